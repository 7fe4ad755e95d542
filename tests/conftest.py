"""Fixtures shared by every test tier: the collection on sys.path, a moto server on
loopback, AWS credentials that can only reach it, and a playbook runner."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_DIR = REPO_ROOT / ".ansible" / "collections"

# Unit tests import the collection as Ansible does: ansible_collections.privatecast.streaming.
if str(COLLECTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_DIR))

from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookRunner
from tests.support.provisioned import SHARED_MODULES

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class ModuleScheduling(LoadScopeScheduling):
    """pytest-xdist scheduling by module: a module's tests run on one worker, so its module
    fixtures are set up once, and the modules that share a session fixture (SHARED_MODULES)
    run on one worker together. Grouped here because xdist 3.8's xdist_group marks work by
    rewriting node ids, which pytest 9 no longer allows."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return SHARED_MODULES.get(module, module)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    """scripts/test runs `-n auto --dist loadscope`: scheduled by ModuleScheduling."""
    if config.getvalue("dist") != "loadscope":
        return None
    return ModuleScheduling(config, log)


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach a real AWS account: credentials are fake and profiles unset."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server on 127.0.0.1 for the session; tests call .reset() for a clean slate."""
    server = MotoServer.start(env={**os.environ, **FAKE_CREDENTIALS})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    """The moto server, emptied before the test."""
    moto_server.reset()
    return moto_server


@pytest.fixture
def playbook(moto: MotoServer, tmp_path: Path) -> PlaybookRunner:
    """Runs the collection's playbooks against the (emptied) moto server."""
    return PlaybookRunner(repo_root=REPO_ROOT, endpoint_url=moto.url, state_dir=tmp_path)
