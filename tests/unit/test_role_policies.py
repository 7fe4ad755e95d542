"""Issue 10, least privilege: the IAM policies as the roles render them (roles/aws_storage,
roles/aws_api vars and defaults, tests/support/role_vars.py), evaluated request by request
(tests/support/iam_policy.py): the attacks are refused, what the product does is allowed.

- Owncast's static key (its admin API shows it) works only through the stack's S3
  gateway endpoint, and writes only the names Owncast 0.2.5 writes under hls/<variant>/.
- Housekeeping closes a maintenance window and cannot open one or touch the proxy's
  permanent Elastic IP.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.iam_policy import Request, allows, allows_all
from tests.support.role_vars import render_role_var

STACK = "teststack"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
BUCKET = f"{STACK}-video-{ACCOUNT}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ENDPOINT = "vpce-0a1b2c3d4e5f60718"
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"

STACK_INPUTS = {
    "privatecast_stack_name": STACK,
    "privatecast_region": REGION,
    "privatecast_account_id": ACCOUNT,
    "privatecast_partition": "aws",
    "privatecast_bucket_name": BUCKET,
}


# --- Owncast's key ---------------------------------------------------------------------


def owncast_policy(**inputs: Any) -> dict[str, Any]:
    facts = {**STACK_INPUTS, "aws_network_s3_endpoint_id": ENDPOINT, **inputs}
    return render_role_var("aws_storage", "aws_storage_owncast_policy", facts)


@pytest.fixture(scope="module")
def owncast() -> dict[str, Any]:
    return owncast_policy()


THROUGH_ENDPOINT = {"aws:SourceVpce": ENDPOINT}
# What Owncast 0.2.5 writes (core/storageproviders/s3Storage.go Save, called for each
# segment, each variant playlist and, when a stream ends, the offline clip).
OWNCAST_WRITES = [
    "hls/0/stream-Ab3_dE-0.ts",
    "hls/0/stream-Ab3_dE-1042.ts",
    "hls/1/stream-Ab3_dE-7.ts",
    "hls/0/stream-offline-3.ts",
    "hls/0/offline-v2.ts",
    "hls/0/stream.m3u8",
    "hls/12/stream.m3u8",
]


def s3(action: str, key: str | None, **context: str) -> Request:
    return Request(action, f"{BUCKET_ARN}/{key}" if key is not None else BUCKET_ARN, context)


@pytest.mark.parametrize("key", OWNCAST_WRITES)
def test_owncast_writes_its_segments_and_playlists_through_the_endpoint(owncast: dict, key: str) -> None:
    assert allows(owncast, s3("s3:PutObject", key, **THROUGH_ENDPOINT))
    assert allows(owncast, s3("s3:AbortMultipartUpload", key, **THROUGH_ENDPOINT))


@pytest.mark.parametrize("key", OWNCAST_WRITES)
def test_the_key_writes_nothing_from_outside_the_vpc_endpoint(owncast: dict, key: str) -> None:
    assert not allows(owncast, s3("s3:PutObject", key))  # from the internet: no aws:SourceVpce
    assert not allows(owncast, s3("s3:PutObject", key, **{"aws:SourceVpce": "vpce-0ffffffffffffffff"}))


@pytest.mark.parametrize(
    "key",
    [
        "hls/x.html",  # the attack: script on the page's origin
        "hls/0/x.html",
        "hls/0/stream.m3u8.html",
        "hls/0/app.js",
        "hls/stream.m3u8",  # the master playlist stays on the server
        "hls/x.ts",  # not under a variant folder
        "recordings/abc/master.m3u8",
        "web/index.html",
        "index/recordings.json",
    ],
)
def test_owncast_cannot_write_other_names_even_through_the_endpoint(owncast: dict, key: str) -> None:
    assert not allows(owncast, s3("s3:PutObject", key, **THROUGH_ENDPOINT))


def test_owncast_cleanup_deletes_old_segments_only(owncast: dict) -> None:
    assert allows(owncast, s3("s3:DeleteObject", "hls/0/stream-Ab3_dE-0.ts", **THROUGH_ENDPOINT))
    assert not allows(owncast, s3("s3:DeleteObject", "hls/0/stream-Ab3_dE-0.ts"))
    archived = "recordings/abc/0/00000001_2000000.ts"
    assert not allows(owncast, s3("s3:DeleteObject", archived, **THROUGH_ENDPOINT))
    assert not allows(owncast, s3("s3:DeleteObject", "web/index.html", **THROUGH_ENDPOINT))


def test_owncast_lists_hls_through_the_endpoint_only(owncast: dict) -> None:
    assert allows(owncast, s3("s3:ListBucket", None, **{"s3:prefix": "hls/", **THROUGH_ENDPOINT}))
    assert not allows(owncast, s3("s3:ListBucket", None, **{"s3:prefix": "hls/"}))
    assert not allows(owncast, s3("s3:ListBucket", None, **{"s3:prefix": "recordings/", **THROUGH_ENDPOINT}))


def test_owncast_never_reads(owncast: dict) -> None:
    for key in ("hls/0/stream.m3u8", "recordings/abc/master.m3u8", "index/recordings.json"):
        assert not allows(owncast, s3("s3:GetObject", key, **THROUGH_ENDPOINT))


def test_under_sse_kms_owncast_uses_the_key_only_through_s3() -> None:
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = owncast_policy(aws_storage_encryption="aws:kms", aws_storage_kms_key_arn=key_arn)
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert allows(policy, Request("kms:GenerateDataKey", key_arn, via_s3))
    assert not allows(policy, Request("kms:Decrypt", key_arn))  # called directly, with the stolen key
    assert allows(policy, s3("s3:PutObject", "hls/0/stream.m3u8", **THROUGH_ENDPOINT))


def test_the_endpoint_comes_from_the_network_role_or_is_given() -> None:
    given = owncast_policy(aws_network_s3_endpoint_id="", aws_storage_s3_endpoint_id="vpce-0123")
    assert allows(given, s3("s3:PutObject", "hls/0/stream.m3u8", **{"aws:SourceVpce": "vpce-0123"}))
    assert not allows(given, s3("s3:PutObject", "hls/0/stream.m3u8", **THROUGH_ENDPOINT))


# --- housekeeping ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def housekeeping() -> dict[str, Any]:
    facts = {**STACK_INPUTS, "aws_storage_bucket_name": BUCKET}
    statements = render_role_var("aws_api", "aws_api_policy_statements", facts)["housekeeping"]
    return {"Version": "2012-10-17", "Statement": statements}


def tags(**values: str) -> dict[str, str]:
    """A resource's tags as the request context carries them."""
    return {f"aws:ResourceTag/{key.replace('_', ':', 1)}": value for key, value in values.items()}


OURS = {"privatecast_stack": STACK}
PRIVATE_ROUTE_TABLE = Request(
    "ec2:DeleteRoute", f"{EC2}:route-table/rtb-1", tags(**OURS, privatecast_tier="private")
)
PUBLIC_ROUTE_TABLE = Request(
    "ec2:DeleteRoute", f"{EC2}:route-table/rtb-2", tags(**OURS, privatecast_tier="public")
)
MAINTENANCE_ADDRESS = tags(**OURS, privatecast_component="maintenance")
PROXY_ADDRESS = tags(**OURS, privatecast_component="compute")  # the camera's permanent target


def modify_groups(instance_tags: dict[str, str], *group_tags: dict[str, str]) -> list[Request]:
    """ModifyInstanceAttribute(Groups=[...]): the instance and each group it sets."""
    action = "ec2:ModifyInstanceAttribute"
    return [Request(action, f"{EC2}:instance/i-1", instance_tags)] + [
        Request(action, f"{EC2}:security-group/sg-{n}", group) for n, group in enumerate(group_tags)
    ]


OWNCAST_INSTANCE = tags(**OURS, privatecast_server="owncast")
OWNCAST_GROUP = tags(**OURS, privatecast_sg="owncast")
PROXY_GROUP = tags(**OURS, privatecast_sg="proxy")
MAINTENANCE_GROUP = tags(**OURS, privatecast_sg="maintenance")


def address(action: str, address_tags: dict[str, str]) -> Request:
    return Request(action, f"{EC2}:elastic-ip/eipalloc-1", address_tags)


def test_housekeeping_closes_a_window(housekeeping: dict) -> None:
    """Every call of maintenance.plan_close + apply_plan."""
    assert allows(housekeeping, PRIVATE_ROUTE_TABLE)
    assert allows(
        housekeeping, Request("ec2:DeleteNetworkAclEntry", f"{EC2}:network-acl/acl-1", tags(**OURS))
    )
    assert allows_all(housekeeping, modify_groups(OWNCAST_INSTANCE, OWNCAST_GROUP))  # detach
    assert allows_all(housekeeping, modify_groups(tags(**OURS, privatecast_server="proxy"), PROXY_GROUP))
    disassociate = "ec2:DisassociateAddress"
    assert allows(housekeeping, address(disassociate, MAINTENANCE_ADDRESS))
    assert allows(housekeeping, Request(disassociate, f"{EC2}:instance/i-1", OWNCAST_INSTANCE))
    assert allows(housekeeping, Request(disassociate, f"{EC2}:network-interface/eni-1"))
    assert allows(housekeeping, address("ec2:ReleaseAddress", MAINTENANCE_ADDRESS))
    assert allows(housekeeping, Request("ec2:StopInstances", f"{EC2}:instance/i-1", OWNCAST_INSTANCE))


def test_housekeeping_cannot_release_or_detach_the_proxys_permanent_address(housekeeping: dict) -> None:
    assert not allows(housekeeping, address("ec2:ReleaseAddress", PROXY_ADDRESS))
    assert not allows(housekeeping, address("ec2:DisassociateAddress", PROXY_ADDRESS))
    untagged = {}
    assert not allows(housekeeping, address("ec2:ReleaseAddress", untagged))


def test_housekeeping_cannot_attach_the_maintenance_group(housekeeping: dict) -> None:
    assert not allows_all(housekeeping, modify_groups(OWNCAST_INSTANCE, OWNCAST_GROUP, MAINTENANCE_GROUP))
    assert not allows_all(housekeeping, modify_groups(OWNCAST_INSTANCE, MAINTENANCE_GROUP))
    other_stack = tags(privatecast_stack="another", privatecast_sg="owncast")
    assert not allows_all(housekeeping, modify_groups(OWNCAST_INSTANCE, other_stack))
    not_ours = {}  # any group of the account without the stack's tags
    assert not allows_all(housekeeping, modify_groups(OWNCAST_INSTANCE, not_ours))


@pytest.mark.parametrize(
    "action",
    [
        "ec2:CreateRoute",
        "ec2:ReplaceRoute",
        "ec2:CreateNetworkAclEntry",
        "ec2:ReplaceNetworkAclEntry",
        "ec2:AllocateAddress",
        "ec2:AssociateAddress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:StartInstances",
        "ec2:CreateTags",
    ],
)
def test_housekeeping_has_no_opening_call(housekeeping: dict, action: str) -> None:
    for resource in ("*", f"{EC2}:route-table/rtb-1", f"{EC2}:network-acl/acl-1", f"{EC2}:instance/i-1",
                     f"{EC2}:elastic-ip/eipalloc-1", f"{EC2}:security-group/sg-1"):  # fmt: skip
        assert not allows(housekeeping, Request(action, resource, tags(**OURS)))


def test_housekeeping_deletes_routes_of_the_private_table_only(housekeeping: dict) -> None:
    assert not allows(housekeeping, PUBLIC_ROUTE_TABLE)  # the proxy's way out stays
    other = Request("ec2:DeleteRoute", f"{EC2}:route-table/rtb-3", tags(privatecast_stack="another"))
    assert not allows(housekeeping, other)


# --- partitions --------------------------------------------------------------------------


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_every_arn_the_roles_write_is_in_the_accounts_partition(partition: str) -> None:
    """issue 9: ARNs in aws-cn and aws-us-gov accounts start arn:<partition>:, never arn:aws:."""
    inputs = {**STACK_INPUTS, "privatecast_partition": partition, "aws_network_s3_endpoint_id": ENDPOINT}
    api_inputs = {**inputs, "aws_storage_bucket_name": BUCKET}
    rendered = json.dumps(
        [
            render_role_var("aws_storage", "aws_storage_owncast_policy", inputs),
            render_role_var("aws_storage", "aws_storage_bucket_arn", inputs),
            render_role_var("aws_network", "aws_network_s3_endpoint_policy", inputs),
            render_role_var("aws_api", "aws_api_policy_statements", api_inputs),
            render_role_var("aws_api", "aws_api_function_arn_prefix", api_inputs),
            render_role_var("aws_api", "aws_api_log_group_arn_prefix", api_inputs),
        ]
    )
    assert "{{" not in rendered and "privatecast_partition" not in rendered, "every template is rendered"
    arns = re.findall(r"arn:[^:]*:", rendered)
    assert arns, "the policies name resources by ARN"
    assert set(arns) == {f"arn:{partition}:"}
