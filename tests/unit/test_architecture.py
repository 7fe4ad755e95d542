"""The architecture plugins: elf_machine (lookup) against the real Owncast builds' ELF
headers, the instance_architecture / goarch filters, and the example inventory's choice
of build by the Owncast instance type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleError, AnsibleFilterError
from ansible_collections.privatecast.streaming.plugins.filter.architecture import (
    goarch,
    instance_architecture,
)
from ansible_collections.privatecast.streaming.plugins.lookup import elf_machine

from tests.conftest import COLLECTIONS_DIR, REPO_ROOT
from tests.support.owncast_builds import owncast_build


def ansible_env() -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_DIR),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }


def run_lookup(path: Path, host_architecture: str | None = None) -> list[str]:
    """The lookup's work, as LookupModule.run does it for one path."""
    return [elf_machine.checked_machine(str(path), host_architecture)]


def lookup_through_ansible(path: Path, host_architecture: str) -> subprocess.CompletedProcess[str]:
    """The lookup as a playbook calls it (plugin loader, documented options), by ad-hoc ansible."""
    arguments = f"'{path}', host_architecture='{host_architecture}'"
    expression = f"{{{{ lookup('privatecast.streaming.elf_machine', {arguments}) }}}}"
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible")),
            "localhost",
            "-m",
            "ansible.builtin.debug",
            "-a",
            f"msg={expression}",
        ],
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_through_ansible_the_lookup_accepts_a_matching_build() -> None:
    completed = lookup_through_ansible(owncast_build("arm64"), "aarch64")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert json.loads(completed.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"] == "aarch64"


def test_through_ansible_the_lookup_refuses_the_amd64_build_for_an_arm64_host() -> None:
    binary = owncast_build("amd64")
    completed = lookup_through_ansible(binary, "aarch64")
    assert completed.returncode != 0
    assert f"{binary} is built for x86_64, but the host is aarch64" in completed.stdout


@pytest.mark.parametrize(("goarch_name", "machine"), [("arm64", "aarch64"), ("amd64", "x86_64")])
def test_reads_the_machine_of_each_owncast_build(goarch_name: str, machine: str) -> None:
    assert run_lookup(owncast_build(goarch_name)) == [machine]


@pytest.mark.parametrize(
    ("goarch_name", "host"),
    [("arm64", "aarch64"), ("arm64", "arm64"), ("amd64", "x86_64"), ("amd64", "amd64")],
)
def test_accepts_a_build_for_the_host(goarch_name: str, host: str) -> None:
    assert run_lookup(owncast_build(goarch_name), host) == [
        elf_machine.machine_of_file(str(owncast_build(goarch_name)))
    ]


def test_refuses_the_amd64_build_for_an_arm64_host() -> None:
    binary = owncast_build("amd64")
    with pytest.raises(AnsibleError) as refused:
        run_lookup(binary, "aarch64")
    assert f"{binary} is built for x86_64, but the host is aarch64" in str(refused.value)


def test_refuses_the_arm64_build_for_an_x86_64_host() -> None:
    binary = owncast_build("arm64")
    with pytest.raises(AnsibleError) as refused:
        run_lookup(binary, "x86_64")
    assert f"{binary} is built for aarch64, but the host is x86_64" in str(refused.value)


def test_refuses_an_arm32_host_for_the_arm64_build() -> None:
    with pytest.raises(AnsibleError, match="built for aarch64, but the host is armv7l"):
        run_lookup(owncast_build("arm64"), "armv7l")


def test_a_file_that_is_not_elf_fails(tmp_path: Path) -> None:
    zip_like = tmp_path / "owncast"
    zip_like.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(AnsibleError, match="cannot read its ELF header: not an ELF file"):
        run_lookup(zip_like, "x86_64")


def test_a_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(AnsibleError, match="cannot read its ELF header"):
        run_lookup(tmp_path / "absent")


def test_big_endian_headers_are_read_in_their_byte_order() -> None:
    # s390x: ELF64, big-endian, e_machine 22 at byte 18.
    header = b"\x7fELF\x02\x02\x01" + bytes(9) + b"\x00\x02" + b"\x00\x16"
    assert elf_machine.machine_of_header(header) == "s390x"


@pytest.mark.parametrize(
    ("instance_type", "ec2", "go", "uname"),
    [
        ("t4g.small", "arm64", "arm64", "aarch64"),
        ("t4g.nano", "arm64", "arm64", "aarch64"),
        ("c7g.large", "arm64", "arm64", "aarch64"),
        ("m7g.xlarge", "arm64", "arm64", "aarch64"),
        ("c7gn.medium", "arm64", "arm64", "aarch64"),
        ("r8gd.large", "arm64", "arm64", "aarch64"),
        ("a1.medium", "arm64", "arm64", "aarch64"),
        ("t3.small", "x86_64", "amd64", "x86_64"),
        ("t3a.micro", "x86_64", "amd64", "x86_64"),
        ("m6i.large", "x86_64", "amd64", "x86_64"),
        ("c7i-flex.large", "x86_64", "amd64", "x86_64"),
        ("g4dn.xlarge", "x86_64", "amd64", "x86_64"),
    ],
)
def test_instance_architecture(instance_type: str, ec2: str, go: str, uname: str) -> None:
    assert instance_architecture(instance_type) == ec2
    assert instance_architecture(instance_type, "go") == go
    assert instance_architecture(instance_type, "uname") == uname


@pytest.mark.parametrize("bad", ["", "t4g", "T4G.SMALL", None, 3])
def test_instance_architecture_refuses_what_is_no_instance_type(bad: object) -> None:
    with pytest.raises(AnsibleFilterError):
        instance_architecture(bad)


def test_instance_architecture_refuses_an_unknown_naming() -> None:
    with pytest.raises(AnsibleFilterError, match="naming"):
        instance_architecture("t4g.small", "debian")


@pytest.mark.parametrize(
    ("name", "expected"), [("aarch64", "arm64"), ("arm64", "arm64"), ("x86_64", "amd64"), ("amd64", "amd64")]
)
def test_goarch(name: str, expected: str) -> None:
    assert goarch(name) == expected


def test_goarch_refuses_other_architectures() -> None:
    with pytest.raises(AnsibleFilterError):
        goarch("armv7l")


@pytest.mark.parametrize(("instance_type", "goarch_name"), [("t4g.small", "arm64"), ("t3.small", "amd64")])
def test_aws_example_inventory_picks_the_build_for_the_owncast_instance_type(
    instance_type: str, goarch_name: str
) -> None:
    group_vars = REPO_ROOT / "inventory" / "aws.example" / "group_vars" / "all"
    command = [str(Path(sys.executable).with_name("ansible")), "localhost", "-m", "ansible.builtin.debug"]
    command += ["-a", "var=owncast_binary_src", "-e", f"@{group_vars / 'compute.yml'}"]
    command += [
        "-e",
        f"@{group_vars / 'owncast.yml'}",
        "-e",
        f"aws_compute_owncast_instance_type={instance_type}",
    ]
    completed = subprocess.run(command, env=ansible_env(), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result["owncast_binary_src"] == f"/var/cache/privatecast/owncast/0.2.5/{goarch_name}/owncast"
