"""The maintenance_window module in-process against moto: results, check mode, diff,
idempotence, errors as Ansible failures, and the retrying client.

moto gap worked around here: the module also reads the stack's DNS firewall, and moto
5.2.5 has no DNS Firewall API; tests.support.moto_gaps adds it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import RetryingClient
from ansible_collections.privatecast.streaming.plugins.modules import maintenance_window
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module
from tests.unit.maintenance_stack import REGION, StackIds, build_stack, network_snapshot

ADMIN = ["203.0.113.7/32"]


@pytest.fixture
def ec2() -> Iterator[Any]:
    moto_gaps.apply()
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


@pytest.fixture
def stack(ec2: Any) -> StackIds:
    return build_stack(ec2)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], stack: StackIds):
    def runner(state: str, check_mode: bool = False, diff: bool = False, **overrides: Any) -> dict[str, Any]:
        args = {"stack_name": stack.name, "state": state, "region": REGION, **overrides}
        if state == "open":
            args.setdefault("admin_cidrs", ADMIN)
        return run_module(maintenance_window.main, capsys, args, check_mode=check_mode, diff=diff)

    return runner


def test_open_returns_how_to_connect_and_is_idempotent(ec2: Any, stack: StackIds, run) -> None:
    opened = run("open")
    assert opened["changed"] is True
    assert opened["state"] == "open" and opened["status"] == "open"
    assert any(c.startswith("allocate a temporary Elastic IP") for c in opened["changes"])
    assert any(c.startswith("add route 0.0.0.0/0") for c in opened["changes"])
    owncast = ec2.describe_instances(InstanceIds=[stack.owncast_instance_id])["Reservations"][0]["Instances"][
        0
    ]
    assert opened["owncast_public_ip"] == owncast["PublicIpAddress"]
    assert opened["owncast_private_ip"] == owncast["PrivateIpAddress"]
    assert opened["owncast_instance_id"] == stack.owncast_instance_id
    assert opened["proxy_public_ip"] == stack.proxy_eip
    assert opened["opened_at"].endswith("Z")
    assert stack.maintenance_sg_id in opened["window"]["owncast_groups"]

    again = run("open")
    assert again["changed"] is False and again["changes"] == []
    assert again["owncast_public_ip"] == opened["owncast_public_ip"]
    assert again["opened_at"] == opened["opened_at"]


def test_close_lists_what_it_removed_and_twice_is_no_change(ec2: Any, stack: StackIds, run) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    opened = run("open")
    closed = run("closed")
    assert closed["changed"] is True and closed["status"] == "closed"
    assert f"release the temporary Elastic IP {opened['owncast_public_ip']}" in " ".join(closed["changes"])
    assert any("remove route 0.0.0.0/0" in c for c in closed["changes"])
    assert closed["owncast_public_ip"] == "" and closed["opened_at"] == ""
    assert network_snapshot(ec2, stack.vpc_id) == before
    again = run("closed")
    assert again["changed"] is False and again["changes"] == []


def test_check_mode_plans_without_changing(ec2: Any, stack: StackIds, run) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    planned = run("open", check_mode=True, diff=True)
    assert planned["changed"] is True and planned["status"] == "open"
    assert len(planned["changes"]) > 10
    assert planned["diff"]["before"]["route"] is None
    assert planned["diff"]["after"]["route"] == f"0.0.0.0/0 -> {stack.igw_id}"
    assert stack.maintenance_sg_id in planned["diff"]["after"]["owncast_groups"]
    assert planned["diff"]["before"]["addresses"] == []
    assert network_snapshot(ec2, stack.vpc_id) == before

    run("open")
    opened = network_snapshot(ec2, stack.vpc_id)
    planned_close = run("closed", check_mode=True, diff=True)
    assert planned_close["changed"] is True and planned_close["status"] == "closed"
    assert planned_close["diff"]["after"] == {
        "route": None,
        "nacl_entries": [],
        "owncast_groups": [stack.owncast_sg_id],
        "proxy_groups": [stack.proxy_sg_id],
        "addresses": [],
    }
    assert network_snapshot(ec2, stack.vpc_id) == opened


def test_diff_shows_the_pieces_before_and_after(stack: StackIds, run) -> None:
    result = run("open", diff=True)
    assert result["diff"]["before"]["nacl_entries"] == []
    assert result["diff"]["after"]["nacl_entries"] == result["window"]["nacl_entries"]
    assert result["diff"]["after"]["route"] == result["window"]["route"]


@pytest.mark.parametrize("anywhere", ["0.0.0.0/0", "::/0"])
def test_anywhere_fails_unless_allowed(ec2: Any, stack: StackIds, run, anywhere: str) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    refused = run("open", admin_cidrs=[anywhere])
    assert refused["failed"] is True
    assert "refusing" in refused["msg"] and "allow_any_source" in refused["msg"]
    assert network_snapshot(ec2, stack.vpc_id) == before
    allowed = run("open", admin_cidrs=[anywhere], allow_any_source=True, check_mode=True)
    assert allowed.get("failed") is not True and allowed["changed"] is True


def test_open_without_admin_cidrs_fails(run) -> None:
    result = run("open", admin_cidrs=None)
    assert result["failed"] is True and "admin_cidrs" in result["msg"]


def test_unknown_stack_fails_clearly(run) -> None:
    result = run("closed", stack_name="nosuch")
    assert result["failed"] is True
    assert "no VPC is tagged privatecast:stack=nosuch" in result["msg"]


def test_mismatched_instance_id_fails(stack: StackIds, run) -> None:
    result = run("open", owncast_instance_id=stack.proxy_instance_id)
    assert result["failed"] is True
    assert (
        f"instance {stack.proxy_instance_id} is not the stack teststack's owncast instance" in result["msg"]
    )


def test_every_call_is_retried_with_jittered_backoff() -> None:
    """The client the module hands to the shared code retries throttling."""

    class FlakyClient:
        def __init__(self) -> None:
            self.calls = 0

        def describe_vpcs(self, **_kwargs: Any) -> dict[str, Any]:
            self.calls += 1
            if self.calls == 1:
                raise ClientError(
                    {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}, "DescribeVpcs"
                )
            return {"Vpcs": []}

    flaky = FlakyClient()
    client = RetryingClient(flaky, AWSRetry.jittered_backoff(retries=3, delay=0.01))
    assert client.describe_vpcs(Filters=[]) == {"Vpcs": []}
    assert flaky.calls == 2
