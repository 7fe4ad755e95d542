"""s3_object_versions run in-process against moto (mock_aws)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import s3_object_versions
from moto import mock_aws

from tests.support.module_runner import run_module

BUCKET = "unit-video-123456789012"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    return run_module(
        s3_object_versions.main, capsys, {"bucket": BUCKET, "region": "us-east-1", **args}, check_mode=check
    )


def versions() -> list[tuple[str, str]]:
    listing = boto3.client("s3", region_name="us-east-1").list_object_versions(Bucket=BUCKET)
    entries = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    return sorted((entry["Key"], entry["VersionId"]) for entry in entries)


def test_deletes_null_versions_versions_and_delete_markers_so_the_bucket_can_go(capsys) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="web/index.html", Body=b"before versioning")  # a null version
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for take in range(3):
        s3.put_object(Bucket=BUCKET, Key="recordings/a/0/00000001_1.ts", Body=f"{take}".encode())
    s3.delete_object(Bucket=BUCKET, Key="recordings/a/0/00000001_1.ts")
    s3.delete_object(Bucket=BUCKET, Key="web/index.html")
    before = versions()
    assert len(before) == 6 and ("web/index.html", "null") in before

    checked = run(capsys, check=True)
    assert checked["changed"] is True and checked["deleted"] == 6
    assert versions() == before

    deleted = run(capsys)
    assert deleted["changed"] is True and deleted["deleted"] == 6
    assert versions() == []
    s3.delete_bucket(Bucket=BUCKET)
    gone = run(capsys)  # no bucket any more
    assert gone["changed"] is False and gone["deleted"] == 0


def test_an_empty_bucket_is_nothing_to_do(capsys) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    assert run(capsys)["changed"] is False


def test_versions_are_deleted_in_batches_of_a_thousand() -> None:
    found = [{"Key": f"k{index}", "VersionId": "null"} for index in range(1001)]
    plan = s3_object_versions.plan_absent(BUCKET, found)
    assert [len(action.versions) for action in plan.actions] == [1000, 1]
    assert plan.diff == {
        "before": {"bucket": BUCKET, "versions": 1001},
        "after": {"bucket": BUCKET, "versions": 0},
    }
    assert not s3_object_versions.plan_absent(BUCKET, None).changed


def test_a_version_s3_refuses_to_delete_fails_the_run_naming_it(capsys) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket=BUCKET, Key="held.ts", Body=b"x", ObjectLockLegalHoldStatus="ON")
    failed = run(capsys)
    assert failed["failed"] and f"S3 refused to delete 1 versions in {BUCKET}: held.ts (" in failed["msg"], (
        failed
    )
    assert len(versions()) == 1
