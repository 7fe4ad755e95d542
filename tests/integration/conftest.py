"""Fixtures of the integration tier: the shared provisioned stack (tests/support/provisioned.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import FAKE_CREDENTIALS, REPO_ROOT
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookRunner
from tests.support.provisioned import SHARED_MODULES, ProvisionedStack, provision_three_times


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module that uses the shared stack must be in SHARED_MODULES, or pytest-xdist could
    run it on another worker, which would provision a second stack."""
    unlisted = {
        item.nodeid.split("::", 1)[0]
        for item in items
        if "provisioned_stack" in getattr(item, "fixturenames", ())
        and item.nodeid.split("::", 1)[0] not in SHARED_MODULES
    }
    if unlisted:
        raise pytest.UsageError(
            f"{sorted(unlisted)} use provisioned_stack: add them to SHARED_MODULES "
            "in tests/support/provisioned.py"
        )


@pytest.fixture(scope="session")
def provisioned_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProvisionedStack]:
    """provision.yml run three times (first, second, check mode) on a moto server of its own,
    for tests that only read the stack. Tests that change it provision their own."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        server = MotoServer.start(env={**os.environ, **FAKE_CREDENTIALS})
        try:
            state = tmp_path_factory.mktemp("provisioned-state")
            runner = PlaybookRunner(repo_root=REPO_ROOT, endpoint_url=server.url, state_dir=state)
            yield provision_three_times(runner, server)
        finally:
            server.stop()
