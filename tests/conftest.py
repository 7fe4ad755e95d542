"""Fixtures shared by every test tier: the collection on sys.path, a moto server on
loopback, AWS credentials that can only reach it, and a playbook runner."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_DIR = REPO_ROOT / ".ansible" / "collections"

# Unit tests import the collection as Ansible does: ansible_collections.privatecast.streaming.
if str(COLLECTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_DIR))

from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookRunner

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


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
