"""Restoring a stack from kept recordings (docs/operations.md), against a moto server.

One module fixture provisions stack `back`, puts a recording and the recordings index in
its bucket, tears the stack down with keep_recordings=true, and provisions it again under
the same name. The tests check what the restore section of docs/operations.md promises:
the kept bucket is taken over with every object version, and its policy, event
notification and the functions' distribution parameter name the new distribution and
archiver, never the deleted ones.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import FAKE_CREDENTIALS, REPO_ROOT
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.support.stack_inventory import leftovers, stack_inventory

pytestmark = pytest.mark.integration

STACK = "back"
ACCOUNT = "123456789012"  # moto's default account
BUCKET = f"{STACK}-video-{ACCOUNT}"
SEGMENT = "recordings/s1/0/00000001_2000000.ts"
INDEX = "index/recordings.json"
DISTRIBUTION_PARAMETER = f"/privatecast/{STACK}/cloudfront/distribution"


@dataclass
class Restore:
    first: PlaybookResult
    teardown: PlaybookResult
    left_by_teardown: dict[str, list[str]]
    again: PlaybookResult
    kept_versions: list[tuple[str, str]]
    old_distribution_id: str
    moto: MotoServer


def must_succeed(result: PlaybookResult, what: str) -> None:
    output = json.dumps(result.output, indent=1)[-4000:]
    assert result.returncode == 0 and result.failed() == 0, (
        f"{what} failed (rc {result.returncode}):\n{output}\n{result.stderr[-2000:]}"
    )


def versions(moto: MotoServer) -> list[tuple[str, str]]:
    pages = moto.client("s3").get_paginator("list_object_versions").paginate(Bucket=BUCKET)
    return sorted((v["Key"], v["VersionId"]) for page in pages for v in page.get("Versions", []))


def distribution_ids(moto: MotoServer) -> list[str]:
    listing = moto.client("cloudfront").list_distributions()["DistributionList"].get("Items") or []
    return [d["Id"] for d in listing if d["Comment"] == f"privatecast {STACK}"]


def record_something(moto: MotoServer) -> None:
    s3 = moto.client("s3")
    s3.put_object(Bucket=BUCKET, Key=SEGMENT, Body=b"a recorded segment")
    index = {"recordings": [{"id": "s1", "title": "kept through a teardown"}]}
    s3.put_object(Bucket=BUCKET, Key=INDEX, Body=json.dumps(index).encode())


@pytest.fixture(scope="module")
def restore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restore]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        moto = MotoServer.start(env={**os.environ, **FAKE_CREDENTIALS})
        try:
            yield run_restore(moto, tmp_path_factory)
        finally:
            moto.stop()


def run_restore(moto: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Restore:
    # One controller state directory throughout: operations.md's restore keeps it.
    runner = PlaybookRunner(
        repo_root=REPO_ROOT, endpoint_url=moto.url, state_dir=tmp_path_factory.mktemp(STACK)
    )
    stack = {"privatecast_stack_name": STACK}
    first = runner.run("provision.yml", stack)
    must_succeed(first, "the first provisioning")
    record_something(moto)
    kept_versions = versions(moto)
    (old_distribution_id,) = distribution_ids(moto)
    teardown = runner.run("teardown.yml", {**stack, "confirm": "yes", "keep_recordings": True})
    left_by_teardown = leftovers(stack_inventory(moto, STACK, BUCKET))
    again = runner.run("provision.yml", stack)
    return Restore(first, teardown, left_by_teardown, again, kept_versions, old_distribution_id, moto)


def test_the_teardown_left_only_the_bucket(restore: Restore) -> None:
    must_succeed(restore.teardown, "teardown with keep_recordings=true")
    assert list(restore.left_by_teardown) == ["s3"], restore.left_by_teardown
    assert f"bucket {BUCKET}" in restore.left_by_teardown["s3"]


def test_the_stack_is_provisioned_again_over_the_kept_bucket(restore: Restore) -> None:
    must_succeed(restore.again, "provisioning over the kept bucket")
    buckets = [b["Name"] for b in restore.moto.client("s3").list_buckets()["Buckets"]]
    assert buckets.count(BUCKET) == 1 and [b for b in buckets if b.startswith(f"{STACK}-")] == [BUCKET]


def test_every_kept_version_is_still_there(restore: Restore) -> None:
    assert {version[0] for version in restore.kept_versions} >= {SEGMENT, INDEX}
    assert versions(restore.moto) == restore.kept_versions
    s3 = restore.moto.client("s3")
    assert s3.get_object(Bucket=BUCKET, Key=SEGMENT)["Body"].read() == b"a recorded segment"


def test_a_new_distribution_alone_may_read_the_bucket(restore: Restore) -> None:
    (new_id,) = distribution_ids(restore.moto)
    assert new_id != restore.old_distribution_id
    policy = json.loads(restore.moto.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
    readers = [
        statement["Condition"]["StringEquals"]["AWS:SourceArn"]
        for statement in policy["Statement"]
        if statement.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    ]
    assert readers == [f"arn:aws:cloudfront::{ACCOUNT}:distribution/{new_id}"], policy


def test_the_functions_are_told_the_new_distribution(restore: Restore) -> None:
    (new_id,) = distribution_ids(restore.moto)
    parameter = restore.moto.client("ssm").get_parameter(Name=DISTRIBUTION_PARAMETER)["Parameter"]
    assert json.loads(parameter["Value"])["id"] == new_id


def test_new_segments_go_to_the_archiver_that_exists_now(restore: Restore) -> None:
    notification = restore.moto.client("s3").get_bucket_notification_configuration(Bucket=BUCKET)
    targets = [c["LambdaFunctionArn"] for c in notification.get("LambdaFunctionConfigurations", [])]
    assert len(targets) == 1, notification
    function = restore.moto.client("lambda").get_function(FunctionName=targets[0])
    assert function["Configuration"]["FunctionName"] == f"{STACK}-archiver"
