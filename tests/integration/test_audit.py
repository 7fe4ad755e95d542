"""playbooks/audit.yml against the shared provisioned stack (moto): every AWS-side check
passes on the fresh stack, and each hand-made weakening fails the run naming the resource.

Each change is made with boto3 and undone in a `finally`, so the stack the other shared
tests read is left as provision.yml built it (the module is in SHARED_MODULES: one xdist
worker runs every user of the stack, one test at a time). The proxy checks need the real
servers: here they are switched off (reported "not checked"), or pointed at a port where
nothing listens to show that an unreachable proxy fails them; tests/e2e/test_audit.py runs
them against the local stack.
"""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.support.provisioned import STACK, ProvisionedStack, succeeded

pytestmark = pytest.mark.integration

AUDIT_TASK = "Audit the stack"
VERDICT_TASK = "Fail on any failed check"
AWS_CHECKS = {
    "bucket_private",
    "bucket_readers",
    "video_key_group",
    "api_authorizer",
    "ssh_closed",
    "https_admin_only",
    "owncast_no_public_address",
    "imdsv2",
    "signing_key_age",
    "mfa",
    "cookie_lifetimes",
}
PROXY_CHECKS = {"owncast_admin_password", "proxy_paths", "proxy_admin_sources"}
OFFICE = "198.51.100.0/24"  # TEST-NET-2: an SSH source nobody configured


def audit(provisioned_stack: ProvisionedStack, tmp_path: Path, **extra_vars: Any) -> PlaybookResult:
    assert succeeded(provisioned_stack.first), "provision.yml failed: see test_provision.py"
    runner = PlaybookRunner(
        repo_root=REPO_ROOT, endpoint_url=provisioned_stack.server.url, state_dir=tmp_path
    )
    return runner.run("audit.yml", {"audit_proxy_checks": False, **extra_vars})


def audit_rows(result: PlaybookResult) -> list[dict[str, str]]:
    (audited,) = result.task_results(AUDIT_TASK)
    assert audited.get("changed") is False
    return audited["checks"]


def failed_rows(result: PlaybookResult) -> list[dict[str, str]]:
    return [row for row in audit_rows(result) if row["status"] == "fail"]


def assert_fails_naming(result: PlaybookResult, check: str, resource_part: str) -> None:
    """The run failed at the verdict, and the named check failed on a resource naming it."""
    assert result.returncode != 0, "the audit passed a weakened stack"
    (verdict,) = result.task_results(VERDICT_TASK)
    assert verdict.get("failed") is True
    failing = [row for row in failed_rows(result) if row["check"] == check]
    assert any(resource_part in row["resource"] for row in failing), failed_rows(result)
    assert resource_part in verdict["msg"]


def test_a_fresh_stack_passes(provisioned_stack: ProvisionedStack, tmp_path: Path) -> None:
    result = audit(provisioned_stack, tmp_path)
    rows = audit_rows(result)
    assert result.returncode == 0, failed_rows(result) or result.stderr
    assert {row["check"] for row in rows if row["status"] == "pass"} == AWS_CHECKS
    assert {row["check"] for row in rows if row["status"] == "not checked"} == PROXY_CHECKS
    video = [row["resource"].split(" ", 1)[1] for row in rows if row["check"] == "video_key_group"]
    assert sorted(video) == ["/hls/*.m3u8", "/hls/*.ts", "/recordings/*.m3u8", "/recordings/*.ts"]
    assert len([row for row in rows if row["check"] == "api_authorizer"]) == 7
    assert "PRIVATE KEY" not in json.dumps(result.output)


def test_an_unreachable_proxy_fails_the_host_checks(
    provisioned_stack: ProvisionedStack, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed
    result = audit(
        provisioned_stack,
        tmp_path,
        audit_proxy_checks=True,
        audit_proxy_url=f"https://127.0.0.1:{closed_port}",
    )
    assert result.returncode != 0
    failing = failed_rows(result)
    assert sorted(row["check"] for row in failing) == sorted(PROXY_CHECKS)  # once each
    assert all(row["reason"].startswith("not checked, counted as failed: no answer") for row in failing)


@contextmanager
def changed(make: Callable[[], Any], undo: Callable[[Any], None]) -> Iterator[None]:
    """A hand-made change for the length of the block, undone even when the test fails."""
    state = make()
    try:
        yield
    finally:
        undo(state)


def stack_group(server: MotoServer, role: str) -> str:
    groups = server.client("ec2").describe_security_groups(
        Filters=[
            {"Name": "tag:privatecast:stack", "Values": [STACK]},
            {"Name": "tag:privatecast:sg", "Values": [role]},
        ]
    )["SecurityGroups"]
    return groups[0]["GroupId"]


def test_ssh_opened_in_a_security_group_fails(provisioned_stack: ProvisionedStack, tmp_path: Path) -> None:
    ec2 = provisioned_stack.server.client("ec2")
    group_id = stack_group(provisioned_stack.server, "owncast")
    permission = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": OFFICE}]}
    with changed(
        lambda: ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission]),
        lambda _: ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[permission]),
    ):
        result = audit(provisioned_stack, tmp_path)
    assert_fails_naming(result, "ssh_closed", group_id)
    assert {row["check"] for row in failed_rows(result)} == {"ssh_closed"}


def bucket_name(server: MotoServer) -> str:
    (bucket,) = [
        b["Name"]
        for b in server.client("s3").list_buckets()["Buckets"]
        if b["Name"].startswith(f"{STACK}-video-")
    ]
    return bucket


def test_a_loosened_bucket_policy_fails(provisioned_stack: ProvisionedStack, tmp_path: Path) -> None:
    s3 = provisioned_stack.server.client("s3")
    bucket = bucket_name(provisioned_stack.server)
    original = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    policy = json.loads(original)
    policy["Statement"].append(
        {
            "Sid": "Everyone",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    )
    with changed(
        lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy)),
        lambda _: s3.put_bucket_policy(Bucket=bucket, Policy=original),
    ):
        result = audit(provisioned_stack, tmp_path)
    assert_fails_naming(result, "bucket_readers", bucket)
    readers = next(row for row in failed_rows(result) if row["check"] == "bucket_readers")
    assert "Everyone" in readers["reason"]
    # S3 rates a policy with Principal "*" public: the privacy check fails on it too.
    assert {row["check"] for row in failed_rows(result)} == {"bucket_readers", "bucket_private"}


def test_a_route_without_its_authorizer_fails(provisioned_stack: ProvisionedStack, tmp_path: Path) -> None:
    apis = provisioned_stack.server.client("apigatewayv2")
    (api,) = [item for item in apis.get_apis()["Items"] if item["Name"] == f"{STACK}-api"]
    route = next(
        r for r in apis.get_routes(ApiId=api["ApiId"])["Items"] if r["RouteKey"] == "POST /api/session"
    )
    with changed(
        lambda: apis.update_route(ApiId=api["ApiId"], RouteId=route["RouteId"], AuthorizationType="NONE"),
        lambda _: apis.update_route(
            ApiId=api["ApiId"],
            RouteId=route["RouteId"],
            AuthorizationType="JWT",
            AuthorizerId=route["AuthorizerId"],
        ),
    ):
        result = audit(provisioned_stack, tmp_path)
    assert_fails_naming(result, "api_authorizer", "POST /api/session")
    assert len(failed_rows(result)) == 1


def test_a_video_behaviour_without_the_key_group_fails(
    provisioned_stack: ProvisionedStack, tmp_path: Path
) -> None:
    cloudfront = provisioned_stack.server.client("cloudfront")
    (distribution,) = [
        item
        for item in cloudfront.list_distributions()["DistributionList"]["Items"]
        if item["Comment"] == f"privatecast {STACK}"
    ]

    def update(config: dict[str, Any]) -> None:
        etag = cloudfront.get_distribution_config(Id=distribution["Id"])["ETag"]
        cloudfront.update_distribution(Id=distribution["Id"], IfMatch=etag, DistributionConfig=config)

    def remove_key_group() -> dict[str, Any]:
        original = cloudfront.get_distribution_config(Id=distribution["Id"])["DistributionConfig"]
        weakened = copy.deepcopy(original)
        behaviour = next(
            b for b in weakened["CacheBehaviors"]["Items"] if b["PathPattern"] == "/recordings/*.ts"
        )
        behaviour["TrustedKeyGroups"] = {"Enabled": False, "Quantity": 0}
        update(weakened)
        return original

    with changed(remove_key_group, update):
        result = audit(provisioned_stack, tmp_path)
    assert_fails_naming(result, "video_key_group", f"{distribution['Id']} /recordings/*.ts")
    assert len(failed_rows(result)) == 1


def test_an_open_maintenance_window_passes_only_its_own_ssh(
    provisioned_stack: ProvisionedStack, tmp_path: Path
) -> None:
    """maintenance.yml's window opens SSH from the admin CIDRs and gives Owncast an address:
    the audit accepts exactly those while it is open, and a grant beside it still fails."""
    runner = PlaybookRunner(
        repo_root=REPO_ROOT, endpoint_url=provisioned_stack.server.url, state_dir=tmp_path
    )
    ec2 = provisioned_stack.server.client("ec2")
    group_id = stack_group(provisioned_stack.server, "proxy")
    permission = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": OFFICE}]}

    def open_window() -> None:
        assert runner.run("maintenance.yml", {"maintenance": "open"}).returncode == 0

    def close_window(opened: None) -> None:  # changed() hands over what open_window returned
        assert runner.run("maintenance.yml", {"maintenance": "closed"}).returncode == 0

    with changed(open_window, close_window):
        during = audit(provisioned_stack, tmp_path)
        with changed(
            lambda: ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission]),
            lambda _: ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[permission]),
        ):
            beside = audit(provisioned_stack, tmp_path)
    assert during.returncode == 0, failed_rows(during)
    window_rows = [row for row in audit_rows(during) if "maintenance window open" in row["reason"]]
    assert {row["check"] for row in window_rows} == {"ssh_closed"} and len(window_rows) >= 2
    owncast = next(row for row in audit_rows(during) if row["check"] == "owncast_no_public_address")
    assert "temporary address" in owncast["reason"]
    assert_fails_naming(beside, "ssh_closed", group_id)
    assert [row["check"] for row in failed_rows(beside)] == ["ssh_closed"]
