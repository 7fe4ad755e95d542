"""The aws_network role's rules as Ansible renders them: the public network ACL
(templates/nacl_entries.json.j2) and the proxy security group (vars/main.yml), with the
stack-wide RTMPS switch and ACME's port 80 (privatecast_admin_domain) on and off, and the
guard on the admin sources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.template import trust_as_template

from tests.support.role_vars import render_role_var

ROLE = Path(__file__).resolve().parents[2] / "roles" / "aws_network"
PUBLIC_CIDR = "10.42.0.0/25"
PRIVATE_CIDR = "10.42.0.128/25"
CAMERAS = ["0.0.0.0/0", "198.51.100.0/24"]
ADMINS = ["203.0.113.10/32"]
# An ACL entry: [rule number, protocol, action, CIDR, ICMP type, ICMP code, first port, last port].
ACTION, CIDR, FIRST_PORT, LAST_PORT = 2, 3, 6, 7


def _inputs(
    rtmps_enabled: bool, rtmps_port: int = 1936, partition: str = "aws", admin_domain: str = ""
) -> dict[str, Any]:
    return {
        "privatecast_admin_domain": admin_domain,
        "privatecast_stack_name": "unit",
        "privatecast_region": "eu-west-1",
        "privatecast_partition": partition,
        "privatecast_bucket_name": "unit-video-123456789012",
        "privatecast_camera_cidrs": CAMERAS,
        "privatecast_admin_cidrs": ADMINS,
        "privatecast_rtmps_enabled": rtmps_enabled,
        "privatecast_rtmps_port": rtmps_port,
    }


def _nacl_entries(inputs: dict[str, Any]) -> dict[str, Any]:
    source = (ROLE / "templates" / "nacl_entries.json.j2").read_text()
    rendered = render_role_var(
        "aws_network", "nacl_under_test", {**inputs, "nacl_under_test": trust_as_template(source)}
    )
    return json.loads(rendered)


def _public_ingress(inputs: dict[str, Any]) -> list[list[Any]]:
    return _nacl_entries(inputs)["public"]["ingress"]


def _proxy_sg_rules(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return render_role_var("aws_network", "aws_network_proxy_sg_rules", inputs)


def _acl_sources_for_port(entries: list[list[Any]], port: int) -> list[str]:
    """Sources the ACL lets in on `port`, leaving out the private subnet's replies (which
    come back on ephemeral ports 1024-65535 and so include every high port)."""
    return sorted(
        entry[CIDR]
        for entry in entries
        if entry[ACTION] == "allow"
        and entry[FIRST_PORT] <= port <= entry[LAST_PORT]
        and entry[CIDR] != PRIVATE_CIDR
    )


def _sg_sources_for_port(rules: list[dict[str, Any]], port: int) -> list[str]:
    return sorted(cidr for rule in rules if port in rule["ports"] for cidr in rule["cidr_ip"])


def test_rtmps_port_is_closed_while_the_switch_is_off() -> None:
    inputs = _inputs(rtmps_enabled=False)
    ingress = _public_ingress(inputs)
    rules = _proxy_sg_rules(inputs)
    assert _acl_sources_for_port(ingress, 1936) == []
    assert _sg_sources_for_port(rules, 1936) == []
    # The rest is unchanged by the switch.
    assert _acl_sources_for_port(ingress, 1935) == sorted(CAMERAS)
    assert _sg_sources_for_port(rules, 1935) == sorted(CAMERAS)
    assert _sg_sources_for_port(rules, 443) == ADMINS


@pytest.mark.parametrize("port", [1936, 8443])
def test_rtmps_port_is_open_from_the_cameras_when_switched_on(port: int) -> None:
    inputs = _inputs(rtmps_enabled=True, rtmps_port=port)
    ingress = _public_ingress(inputs)
    assert _acl_sources_for_port(ingress, port) == sorted(CAMERAS)
    assert _sg_sources_for_port(_proxy_sg_rules(inputs), port) == sorted(CAMERAS)
    rtmps_numbers = sorted(entry[0] for entry in ingress if entry[FIRST_PORT] == port)
    assert rtmps_numbers == [600, 601], "RTMPS rules keep their own number range, clear of 900-999"


def test_replies_to_rtmps_cameras_leave_the_public_subnet() -> None:
    egress = _nacl_entries(_inputs(rtmps_enabled=True))["public"]["egress"]
    for camera in CAMERAS:
        assert [camera, 1024, 65535] in [
            [entry[CIDR], entry[FIRST_PORT], entry[LAST_PORT]] for entry in egress
        ]


def test_acl_rule_numbers_are_unique_and_below_the_window_range() -> None:
    ingress = _public_ingress(_inputs(rtmps_enabled=True))
    numbers = [entry[0] for entry in ingress]
    assert len(numbers) == len(set(numbers))
    assert max(numbers) < 900


BROAD_ADMIN_SOURCES = [
    ["0.0.0.0/0"],
    ["0.0.0.0/1", "128.0.0.0/1"],
    ["203.0.113.10/32", "100.0.0.0/8"],
    ["2001:db8::/32"],
]
NARROW_ADMIN_SOURCES = [[], ["203.0.113.10/32"], ["198.51.100.0/24", "10.9.0.0/17"]]


@pytest.fixture(scope="module")
def admin_source_checks(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[tuple[str, ...], bool], dict]:
    """The role's own assert on the admin sources, run by ansible-playbook (so the filter
    comes through Ansible's plugin loader) for every case at once: case -> task result."""
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    check = next(task for task in tasks if task["name"].startswith("Check the admin sources"))
    cases = [
        (tuple(cidrs), allow)
        for cidrs in BROAD_ADMIN_SOURCES + NARROW_ADMIN_SOURCES
        for allow in (False, True)
    ]
    play_tasks = [
        {
            **check,
            "name": f"case {index}",
            "vars": {
                **check["vars"],
                "privatecast_admin_cidrs": list(cidrs),
                "privatecast_admin_allow_any_source": allow,
            },
            "ignore_errors": True,
        }
        for index, (cidrs, allow) in enumerate(cases)
    ]
    playbook = tmp_path_factory.mktemp("admin-sources") / "check.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": play_tasks}]))
    repo_root = ROLE.parents[1]
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(playbook),
        ],
        env={
            **os.environ,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_COLLECTIONS_PATH": str(repo_root / ".ansible" / "collections"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    results = {
        task["task"]["name"]: task["hosts"]["localhost"]
        for play in json.loads(completed.stdout)["plays"]
        for task in play["tasks"]
    }
    return {case: results[f"case {index}"] for index, case in enumerate(cases)}


@pytest.mark.parametrize("admin_cidrs", BROAD_ADMIN_SOURCES)
def test_admin_sources_broader_than_the_limit_are_refused(
    admin_cidrs: list[str], admin_source_checks
) -> None:
    refused = admin_source_checks[(tuple(admin_cidrs), False)]
    assert refused.get("failed") is True
    assert "privatecast_admin_cidrs: refusing IPv" in refused["msg"]
    assert "privatecast_admin_allow_any_source" in refused["msg"]
    assert not admin_source_checks[(tuple(admin_cidrs), True)].get("failed")


@pytest.mark.parametrize("admin_cidrs", NARROW_ADMIN_SOURCES)
def test_narrow_admin_sources_pass(admin_cidrs: list[str], admin_source_checks) -> None:
    assert not admin_source_checks[(tuple(admin_cidrs), False)].get("failed")


@pytest.mark.parametrize("admin_domain", ["", None])
def test_port_80_is_closed_without_acme(admin_domain: str | None) -> None:
    inputs = _inputs(rtmps_enabled=True)
    if admin_domain is None:
        del inputs["privatecast_admin_domain"]
    nacl = _nacl_entries(inputs)["public"]
    assert _acl_sources_for_port(nacl["ingress"], 80) == []
    assert _sg_sources_for_port(_proxy_sg_rules(inputs), 80) == []
    assert [entry for entry in nacl["egress"] if entry[0] == 520] == []


def test_port_80_is_open_to_anywhere_for_acme_and_the_cas_replies_leave() -> None:
    inputs = _inputs(rtmps_enabled=True, admin_domain="admin.example.org")
    nacl = _nacl_entries(inputs)["public"]
    assert [entry for entry in nacl["ingress"] if entry[FIRST_PORT] == 80] == [
        [510, "tcp", "allow", "0.0.0.0/0", None, None, 80, 80]
    ]
    assert _sg_sources_for_port(_proxy_sg_rules(inputs), 80) == ["0.0.0.0/0"]
    # Stateless ACL: the CA validates from addresses it does not publish; its replies go
    # back to any address on ephemeral ports.
    assert [520, "tcp", "allow", "0.0.0.0/0", None, None, 1024, 65535] in nacl["egress"]
    numbers = [entry[0] for entry in nacl["ingress"]]
    assert len(numbers) == len(set(numbers)) and max(numbers) < 900
    egress_numbers = [entry[0] for entry in nacl["egress"]]
    assert len(egress_numbers) == len(set(egress_numbers))
