"""The Owncast binary matches its server: the arm64 build runs (under qemu-user-static)
and answers Owncast's status API; the owncast role refuses a binary built for another
architecture than the host's before copying it; the release zip install verifies the
pinned sha256 and installs nothing on a mismatch.

The role's tasks run on this machine (x86_64 here) with its real facts, through
tests/integration/playbooks/owncast_binary.yml, into a temporary install directory. The
amd64-binary-for-an-arm64-host case is covered by tests/unit/test_architecture.py (the
lookup the role calls, with the real builds and host architecture aarch64): no arm64 host
with Python is available here.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import COLLECTIONS_DIR, REPO_ROOT
from tests.support.owncast_builds import OWNCAST_LOCK, OWNCAST_VERSION, owncast_build

pytestmark = pytest.mark.integration

# This part's test ports (docs/conventions.md, "Local ports").
QEMU_WEB_PORT = 25110
QEMU_RTMP_PORT = 25111
RELEASE_SERVER_PORT = 25112
PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "owncast_binary.yml"
HOST_ASSETS = {"x86_64": "linux-64bit", "aarch64": "linux-arm64"}
HOST_GOARCH = {"x86_64": "amd64", "aarch64": "arm64"}
OTHER_GOARCH = {"x86_64": "arm64", "aarch64": "amd64"}


@pytest.fixture
def owncast_lock() -> Iterator[None]:
    """Only one Owncast may run on the machine (its internal port 8927 is fixed)."""
    with OWNCAST_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_for_status(url: str, process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Owncast exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                return json.load(answer)
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"Owncast did not answer {url} within {timeout} s")


def test_arm64_build_answers_the_status_api_under_qemu(owncast_lock: None, tmp_path: Path) -> None:
    binary = owncast_build("arm64")
    qemu = shutil.which("qemu-aarch64-static")
    assert qemu, "qemu-user-static is missing: run scripts/bootstrap"
    info = dict(line.split("=", 1) for line in (binary.parent / "BUILD-INFO").read_text().split())
    assert info["goarch"] == "arm64"
    command = [qemu, "-L", "/usr/aarch64-linux-gnu", str(binary), "-webserverip", "127.0.0.1"]
    command += ["-webserverport", str(QEMU_WEB_PORT), "-rtmpport", str(QEMU_RTMP_PORT)]
    log = (tmp_path / "owncast.log").open("wb")
    process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        status = wait_for_status(f"http://127.0.0.1:{QEMU_WEB_PORT}/api/status", process, timeout=90)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert status["online"] is False
    assert status["versionNumber"] == OWNCAST_VERSION


@dataclass
class RoleRun:
    returncode: int
    output: dict[str, Any]
    stderr: str

    @property
    def text(self) -> str:
        return json.dumps(self.output) + self.stderr

    def changed(self) -> int:
        return self.output.get("stats", {}).get("localhost", {}).get("changed", 0)


def run_binary_tasks(install_dir: Path, extra_vars: dict[str, Any]) -> RoleRun:
    variables = {
        "owncast_install_dir": str(install_dir),
        "ansible_python_interpreter": sys.executable,
        **extra_vars,
    }
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", str(PLAYBOOK)]
    command += ["-e", json.dumps(variables)]
    env = {
        **os.environ,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_DIR),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError:
        output = {"raw": completed.stdout}
    return RoleRun(completed.returncode, output, completed.stderr)


def host_architecture() -> str:
    machine = os.uname().machine
    if machine not in HOST_GOARCH:
        pytest.fail(f"no Owncast build for this machine's architecture {machine}")
    return machine


@pytest.fixture
def install_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "opt" / "owncast"
    directory.mkdir(parents=True)
    return directory


def test_role_refuses_a_binary_for_another_architecture_before_copying(install_dir: Path) -> None:
    machine = host_architecture()
    foreign = owncast_build(OTHER_GOARCH[machine])
    run = run_binary_tasks(install_dir, {"owncast_binary_src": str(foreign)})
    assert run.returncode != 0
    assert f"{foreign} is built for " in run.text
    assert f"but the host is {machine}: it would not run there" in run.text
    assert list(install_dir.iterdir()) == []
    assert not (install_dir.parent / "restarted").exists()


def test_role_installs_the_binary_for_the_host(install_dir: Path) -> None:
    native = owncast_build(HOST_GOARCH[host_architecture()])
    run = run_binary_tasks(install_dir, {"owncast_binary_src": str(native)})
    assert run.returncode == 0, run.text
    assert sha256(install_dir / "owncast") == sha256(native)
    assert (install_dir.parent / "restarted").exists()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ReleaseServer:
    """Serves a directory laid out as Owncast's release downloads, on 127.0.0.1; counts GETs."""

    def __init__(self, root: Path, port: int) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self) -> None:
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def release(tmp_path: Path) -> Iterator[tuple[ReleaseServer, Path, str]]:
    """A release zip of the host's build, as Owncast names it, served on loopback."""
    machine = host_architecture()
    binary = owncast_build(HOST_GOARCH[machine])
    assets = tmp_path / "releases" / f"v{OWNCAST_VERSION}"
    assets.mkdir(parents=True)
    archive = assets / f"owncast-{OWNCAST_VERSION}-{HOST_ASSETS[machine]}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
        zipped.write(binary, "owncast")
    server = ReleaseServer(tmp_path / "releases", RELEASE_SERVER_PORT)
    try:
        yield server, binary, sha256(archive)
    finally:
        server.stop()


def release_vars(server: ReleaseServer, pin: str) -> dict[str, Any]:
    return {
        "owncast_install_source": "release",
        "owncast_release_base_url": server.base_url,
        "owncast_release_sha256": {OWNCAST_VERSION: {host_architecture(): pin}},
    }


def leftover_downloads() -> set[str]:
    return {path.name for path in Path("/tmp").glob("*.owncast-release")}


def test_release_zip_with_the_pinned_sha256_installs_once(
    release: tuple[ReleaseServer, Path, str], install_dir: Path
) -> None:
    server, binary, digest = release
    before = leftover_downloads()
    run = run_binary_tasks(install_dir, release_vars(server, digest))
    assert run.returncode == 0, run.text
    assert sha256(install_dir / "owncast") == sha256(binary)
    assert os.access(install_dir / "owncast", os.X_OK)
    assert (install_dir / "owncast.release-sha256").read_text().strip() == digest
    assert (install_dir.parent / "restarted").exists()
    assert len(server.requests) == 1
    assert leftover_downloads() == before

    again = run_binary_tasks(install_dir, release_vars(server, digest))
    assert again.returncode == 0, again.text
    assert again.changed() == 0
    assert len(server.requests) == 1


def test_release_zip_with_a_wrong_sha256_installs_nothing(
    release: tuple[ReleaseServer, Path, str], install_dir: Path
) -> None:
    server, _binary, digest = release
    wrong = hashlib.sha256(digest.encode()).hexdigest()
    before = leftover_downloads()
    run = run_binary_tasks(install_dir, release_vars(server, wrong))
    assert run.returncode != 0
    assert "checksum" in run.text.lower()
    assert len(server.requests) == 1
    assert list(install_dir.iterdir()) == []
    assert not (install_dir.parent / "restarted").exists()
    assert leftover_downloads() == before


def test_release_install_refuses_a_version_without_a_pin(
    release: tuple[ReleaseServer, Path, str], install_dir: Path
) -> None:
    server, _binary, _digest = release
    run = run_binary_tasks(install_dir, {**release_vars(server, "0" * 64), "owncast_release_sha256": {}})
    assert run.returncode != 0
    assert "No sha256 of Owncast" in run.text
    assert server.requests == []
    assert list(install_dir.iterdir()) == []
