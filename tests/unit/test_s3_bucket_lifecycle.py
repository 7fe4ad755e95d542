"""s3_bucket_lifecycle run in-process against moto (mock_aws): the aws_storage role's three
rules in one run, as community.aws.s3_lifecycle wrote them; a second run reads once and
writes nothing; check mode plans only; drift (a changed rule, a rule added by hand) is put
back; 0 days turns a step or a rule off; no rule deletes the configuration; bad input
fails before any call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import s3_bucket_lifecycle
from moto import mock_aws

from tests.support.module_runner import run_module

BUCKET = "unit-video-123456789012"


def storage_rules(
    hls: int = 1,
    transition: int = 30,
    storage_class: str = "standard_ia",
    expiration: int = 0,
    abort: int = 1,
) -> list[dict[str, Any]]:
    """The rules as roles/aws_storage/tasks/lifecycle.yml gives them."""
    return [
        {"id": "hls-expire", "prefix": "hls/", "expiration_days": hls},
        {
            "id": "recordings-age",
            "prefix": "recordings/",
            "transitions": [{"days": transition, "storage_class": storage_class}] if transition else [],
            "expiration_days": expiration,
        },
        {"id": "abort-incomplete-uploads", "prefix": "", "abort_incomplete_multipart_upload_days": abort},
    ]


# What community.aws.s3_lifecycle wrote for the defaults, one task per rule.
S3_LIFECYCLE_RULES = [
    {"ID": "hls-expire", "Filter": {"Prefix": "hls/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
    {
        "ID": "recordings-age",
        "Filter": {"Prefix": "recordings/"},
        "Status": "Enabled",
        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
    },
    {
        "ID": "abort-incomplete-uploads",
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    },
]


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def s3() -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def run(
    capsys: pytest.CaptureFixture[str], rules: list[dict[str, Any]], check: bool = False
) -> dict[str, Any]:
    return run_module(
        s3_bucket_lifecycle.main,
        capsys,
        {"bucket": BUCKET, "rules": rules, "region": "us-east-1"},
        check_mode=check,
        diff=True,
    )


def rules_in(s3: Any) -> dict[str, dict[str, Any]]:
    try:
        found = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    except s3.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
        return {}
    return {rule["ID"]: rule for rule in found}


def recording_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = boto3.session.Session.client

    def recording_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)
    return calls


def test_sets_the_three_rules_as_s3_lifecycle_did_then_changes_nothing(capsys, s3) -> None:
    created = run(capsys, storage_rules())

    assert created["rc"] == 0 and created["changed"] is True, created
    assert created["changes"] == [f"put_bucket_lifecycle_configuration {BUCKET}"]
    assert rules_in(s3) == {rule["ID"]: rule for rule in S3_LIFECYCLE_RULES}
    assert created["diff"] == {"before": {"rules": []}, "after": {"rules": created["rules"]}}

    again = run(capsys, storage_rules())
    assert again["changed"] is False and again["changes"] == [], again


def test_a_bucket_set_up_by_s3_lifecycle_is_found_equal_with_one_read(capsys, s3, monkeypatch) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET, LifecycleConfiguration={"Rules": list(reversed(S3_LIFECYCLE_RULES))}
    )
    calls = recording_calls(monkeypatch)

    found = run(capsys, storage_rules())

    assert found["changed"] is False, found
    assert calls == ["GetBucketLifecycleConfiguration"]


def test_check_mode_plans_without_writing(capsys, s3) -> None:
    planned = run(capsys, storage_rules(), check=True)

    assert planned["changed"] is True
    assert planned["changes"] == [f"put_bucket_lifecycle_configuration {BUCKET}"]
    assert [rule["ID"] for rule in planned["diff"]["after"]["rules"]] == [
        "hls-expire",
        "recordings-age",
        "abort-incomplete-uploads",
    ]
    assert rules_in(s3) == {}


def test_check_mode_before_the_bucket_exists_plans_the_rules(capsys) -> None:
    planned = run(capsys, storage_rules(), check=True)

    assert planned["changed"] is True and planned["diff"]["before"] == {"rules": []}


def test_drift_and_rules_added_by_hand_are_put_back(capsys, s3) -> None:
    run(capsys, storage_rules())
    drifted = [
        {**S3_LIFECYCLE_RULES[0], "Expiration": {"Days": 7}},
        *S3_LIFECYCLE_RULES[1:],
        {"ID": "by-hand", "Filter": {"Prefix": "web/"}, "Status": "Enabled", "Expiration": {"Days": 2}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": drifted})

    fixed = run(capsys, storage_rules())

    assert fixed["changed"] is True
    assert rules_in(s3) == {rule["ID"]: rule for rule in S3_LIFECYCLE_RULES}
    assert len(fixed["diff"]["before"]["rules"]) == 4
    assert run(capsys, storage_rules())["changed"] is False


def test_new_settings_are_written(capsys, s3) -> None:
    run(capsys, storage_rules())

    changed = run(capsys, storage_rules(transition=90, storage_class="glacier", expiration=365))

    assert changed["changed"] is True
    ageing = rules_in(s3)["recordings-age"]
    assert ageing["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER"}]
    assert ageing["Expiration"] == {"Days": 365}


def test_zero_days_turn_a_step_and_then_the_rule_off(capsys, s3) -> None:
    run(capsys, storage_rules(expiration=365))

    run(capsys, storage_rules(transition=0, expiration=365))
    assert "Transitions" not in rules_in(s3)["recordings-age"]

    off = run(capsys, storage_rules(transition=0, expiration=0))
    assert off["changed"] is True
    assert set(rules_in(s3)) == {"hls-expire", "abort-incomplete-uploads"}
    assert run(capsys, storage_rules(transition=0, expiration=0))["changed"] is False


def test_no_rule_left_deletes_the_configuration(capsys, s3) -> None:
    run(capsys, storage_rules())

    deleted = run(capsys, [])

    assert deleted["changes"] == [f"delete_bucket_lifecycle {BUCKET}"]
    assert rules_in(s3) == {}
    assert run(capsys, [])["changed"] is False


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([*storage_rules(), {"id": "hls-expire", "expiration_days": 3}], "repeated: hls-expire"),
        ([{"id": "", "expiration_days": 3}], "1 to 255 characters"),
        ([{"id": "x" * 256, "expiration_days": 3}], "1 to 255 characters"),
        ([{"id": "neg", "expiration_days": -1}], "rule neg: day counts must be 0 or more"),
        ([{"id": "cls", "transitions": [{"days": 30, "storage_class": "tape"}]}], "storage_class"),
    ],
)
def test_bad_input_fails_before_any_call(capsys, s3, monkeypatch, rules, message) -> None:
    calls = recording_calls(monkeypatch)

    failed = run(capsys, rules)

    assert failed["failed"] is True and message in failed["msg"], failed
    assert calls == []
