"""playbooks/provision.yml (every AWS role) against a moto server: a second run changes
nothing, and check mode on the provisioned stack neither reports nor makes a change.

The three runs are the shared provisioned stack's (tests/support/provisioned.py), which
also takes the snapshots of the stack right after the first run.

The moto gaps that would otherwise show as changes are filled in the test's moto server
(tests/support/moto_gaps.py). moto gap worked around in inventory/local (not here): moto
has no Debian SSM parameter, so the local inventory pins one of moto's own arm64 AMIs as
aws_compute_ami_id.
"""

from __future__ import annotations

import json

import pytest

from tests.support.playbook import PlaybookResult
from tests.support.provisioned import (
    ProvisionedStack,
    services_snapshot,
    stack_snapshot,
)

pytestmark = pytest.mark.integration


def must_succeed(result: PlaybookResult, what: str) -> None:
    output = json.dumps(result.output, indent=1)[-4000:]
    assert result.returncode == 0 and result.failed() == 0, (
        f"{what} failed (rc {result.returncode}):\n{output}\n{result.stderr[-2000:]}"
    )


def test_second_run_and_check_mode_change_nothing(provisioned_stack: ProvisionedStack) -> None:
    moto = provisioned_stack.server
    first = provisioned_stack.first
    must_succeed(first, "first provisioning")
    assert first.changed() > 0, "the first run on an empty moto server should create the stack"
    built = provisioned_stack.built
    assert built is not None
    assert len(built["instances"]) == 2
    services = provisioned_stack.services
    assert services is not None
    assert len(services["distributions"]) == 1 and len(services["routes"]) == 1

    second = provisioned_stack.second
    must_succeed(second, "second provisioning")
    assert second.changed() == 0, f"second run changed: {second.changed_tasks()}"

    checked = provisioned_stack.checked
    must_succeed(checked, "check mode")
    assert checked.changed() == 0, (
        f"check mode on the provisioned stack would change: {checked.changed_tasks()}"
    )
    assert stack_snapshot(moto) == built
    assert services_snapshot(moto) == services
