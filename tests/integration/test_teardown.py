"""playbooks/teardown.yml against a moto server holding two stacks of the same account.

One module fixture provisions both stacks once (at the same time), fills the first
stack's bucket with object versions and a delete marker, then runs teardown.yml on the
first stack four times and takes a per-service inventory of both stacks (by their tags
and names, tests/support/stack_inventory.py) after each run:

1. without confirm=yes and without a terminal: refused, nothing deleted;
2. confirm=yes keep_recordings=true: everything but the bucket goes, every version kept;
3. confirm=yes: the rest (the bucket with every version) goes, on a half-removed stack;
4. confirm=yes again: nothing left to do, changed=0.

The second stack's inventory is the same after every run.
The first stack has Cognito deletion protection on, so the teardown must lift it.

moto gap filled for these runs: tests/support/moto_gaps_teardown.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.conftest import FAKE_CREDENTIALS, REPO_ROOT
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.support.stack_inventory import leftovers, stack_inventory

pytestmark = pytest.mark.integration

GONE, KEPT = "gone", "kept"
ACCOUNT = "123456789012"  # moto's default account
SUMMARY_TASK = "Show what was removed, per service"
RECORDING = "recordings/s1/0/00000001_2000000.ts"


def bucket_of(stack: str) -> str:
    return f"{stack}-video-{ACCOUNT}"


@dataclass
class TeardownRuns:
    """What the fixture ran and what each stack held after each step."""

    provisioned: dict[str, PlaybookResult]
    runs: dict[str, PlaybookResult] = field(default_factory=dict)
    gone: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    kept: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def must_succeed(result: PlaybookResult, what: str) -> None:
    output = json.dumps(result.output, indent=1)[-4000:]
    assert result.returncode == 0 and result.failed() == 0, (
        f"{what} failed (rc {result.returncode}):\n{output}\n{result.stderr[-2000:]}"
    )


def fill_bucket(moto: MotoServer, bucket: str) -> None:
    """Three versions of a recording's segment and a delete marker on top."""
    s3 = moto.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for take in range(3):
        s3.put_object(Bucket=bucket, Key=RECORDING, Body=f"take {take}".encode())
    s3.delete_object(Bucket=bucket, Key=RECORDING)


def take_inventories(runs: TeardownRuns, moto: MotoServer, step: str) -> None:
    runs.gone[step] = stack_inventory(moto, GONE, bucket_of(GONE))
    runs.kept[step] = stack_inventory(moto, KEPT, bucket_of(KEPT))


@pytest.fixture(scope="module")
def teardown_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeardownRuns]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        moto = MotoServer.start(env={**os.environ, **FAKE_CREDENTIALS})
        try:
            yield run_everything(moto, tmp_path_factory)
        finally:
            moto.stop()


def run_everything(moto: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> TeardownRuns:
    runners = {
        stack: PlaybookRunner(
            repo_root=REPO_ROOT, endpoint_url=moto.url, state_dir=tmp_path_factory.mktemp(stack)
        )
        for stack in (GONE, KEPT)
    }
    budget = {"privatecast_budget_monthly_usd": 20, "privatecast_budget_alert_email": "owner@example.org"}
    stack_vars = {
        GONE: {"privatecast_stack_name": GONE, "aws_auth_deletion_protection": True, **budget},
        KEPT: {"privatecast_stack_name": KEPT, **budget},
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            stack: pool.submit(runners[stack].run, "provision.yml", stack_vars[stack]) for stack in runners
        }
        runs = TeardownRuns(provisioned={stack: future.result() for stack, future in futures.items()})
    for stack, result in runs.provisioned.items():
        must_succeed(result, f"provisioning stack {stack}")
    fill_bucket(moto, bucket_of(GONE))
    take_inventories(runs, moto, "provisioned")
    steps = {
        "refused": {},
        "kept": {"confirm": "yes", "keep_recordings": True},
        "removed": {"confirm": "yes"},
        "again": {"confirm": "yes"},
    }
    for step, extra in steps.items():
        runs.runs[step] = runners[GONE].run("teardown.yml", {"privatecast_stack_name": GONE, **extra})
        take_inventories(runs, moto, step)
    return runs


def removed_summary(result: PlaybookResult) -> dict[str, list[str]] | str:
    shown = result.task_results(SUMMARY_TASK)
    assert shown, f"the teardown did not print its summary; changed tasks: {result.changed_tasks()}"
    return shown[-1]["msg"]


def test_both_stacks_were_provisioned_with_something_in_every_service(teardown_runs: TeardownRuns) -> None:
    for stack, inventory in (("gone", teardown_runs.gone), ("kept", teardown_runs.kept)):
        empty = [service for service, items in inventory["provisioned"].items() if not items]
        assert empty == [], f"stack {stack} has nothing in {empty}: the inventory would prove nothing there"


def test_without_confirmation_and_terminal_it_refuses_and_deletes_nothing(
    teardown_runs: TeardownRuns,
) -> None:
    refused = teardown_runs.runs["refused"]
    assert refused.returncode != 0
    messages = json.dumps(refused.output)
    assert "not confirmed: nothing was deleted" in messages and "-e confirm=yes" in messages
    assert refused.changed() == 0
    assert teardown_runs.gone["refused"] == teardown_runs.gone["provisioned"]


def test_keep_recordings_removes_all_but_the_bucket_and_its_versions(teardown_runs: TeardownRuns) -> None:
    kept = teardown_runs.runs["kept"]
    must_succeed(kept, "teardown with keep_recordings=true")
    left = leftovers(teardown_runs.gone["kept"])
    assert left == {"s3": teardown_runs.gone["provisioned"]["s3"]}, f"left after the teardown: {left}"
    versions = [item for item in left["s3"] if item.startswith(("version", "delete marker"))]
    assert len([v for v in versions if RECORDING in v]) == 4, versions
    summary = removed_summary(kept)
    assert isinstance(summary, dict)
    assert set(summary) == {
        "apigateway",
        "budgets",
        "cloudfront",
        "cognito",
        "ec2",
        "events",
        "iam",
        "lambda",
        "logs",
        "route53resolver",
        "ssm",
    }, summary


def test_a_second_teardown_removes_the_bucket_with_every_version(teardown_runs: TeardownRuns) -> None:
    removed = teardown_runs.runs["removed"]
    must_succeed(removed, "teardown after keep_recordings")
    left = leftovers(teardown_runs.gone["removed"])
    assert left == {}, f"left of stack {GONE} after the teardown, per service: {left}"
    summary = removed_summary(removed)
    assert summary == {"s3": [f"bucket {bucket_of(GONE)} with every object version"]}, summary


def test_a_teardown_of_a_removed_stack_changes_nothing(teardown_runs: TeardownRuns) -> None:
    again = teardown_runs.runs["again"]
    must_succeed(again, "teardown of a removed stack")
    assert again.changed() == 0, f"changed: {again.changed_tasks()}"
    assert removed_summary(again) == f"Nothing of stack {GONE} was left to remove."


def test_the_other_stack_is_untouched(teardown_runs: TeardownRuns) -> None:
    before = teardown_runs.kept["provisioned"]
    for step in ("refused", "kept", "removed", "again"):
        after = teardown_runs.kept[step]
        changed = {name: (items, after[name]) for name, items in before.items() if items != after[name]}
        assert changed == {}, f"stack {KEPT} changed by the teardown run '{step}' of {GONE}: {changed}"
