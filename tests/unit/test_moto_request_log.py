"""tests/support/moto_request_log.py (scripts/bench-site's measure): a moto server started
with PRIVATECAST_MOTO_REQUEST_LOG records each AWS call's service and action, whatever
the protocol (query, JSON, REST), and reads are told from writes by the action's verb."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.moto_request_log import ENV, is_read
from tests.support.moto_server import MotoServer


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MotoServer, Path]]:
    log = tmp_path_factory.mktemp("requests") / "requests.jsonl"
    server = MotoServer.start(env={**os.environ, ENV: str(log)})
    try:
        yield server, log
    finally:
        server.stop()


def calls(log: Path) -> list[tuple[str, str]]:
    return [(entry["service"], entry["action"]) for entry in map(json.loads, log.read_text().splitlines())]


def test_each_protocol_logs_service_and_action(logged: tuple[MotoServer, Path]) -> None:
    server, log = logged
    s3, ssm, ec2, lam = (server.client(name) for name in ("s3", "ssm", "ec2", "lambda"))
    s3.create_bucket(Bucket="logged")
    s3.put_bucket_tagging(Bucket="logged", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.get_bucket_tagging(Bucket="logged")
    s3.put_object(Bucket="logged", Key="hls/a/b.ts", Body=b"x")
    s3.head_object(Bucket="logged", Key="hls/a/b.ts")
    ssm.put_parameter(Name="/p", Value="v", Type="String")
    ssm.get_parameter(Name="/p")
    ec2.describe_vpcs()
    lam.list_functions()

    assert calls(log) == [
        ("s3", "CreateBucket"),
        ("s3", "PutBucketTagging"),
        ("s3", "GetBucketTagging"),
        ("s3", "PutObject"),
        ("s3", "HeadObject"),
        ("ssm", "PutParameter"),
        ("ssm", "GetParameter"),
        ("ec2", "DescribeVpcs"),
        ("lambda", "ListFunctions"),
    ]


@pytest.mark.parametrize(
    ("action", "read"),
    [
        ("DescribeVpcs", True),
        ("GetFunction", True),
        ("ListTagsForResource", True),
        ("HeadBucket", True),
        ("AdminGetUser", True),
        ("AdminListGroupsForUser", True),
        ("PutParameter", False),
        ("UpdateFunctionConfiguration", False),
        ("TagResource", False),
        ("AdminCreateUser", False),
        ("CreateNetworkAclEntry", False),
    ],
)
def test_reads_are_describe_get_list_head(action: str, read: bool) -> None:
    assert is_read(action) is read
