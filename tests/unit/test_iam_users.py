"""iam_users run in-process against moto (mock_aws): the aws_storage role's Owncast user with
its inline policy in one run, with its access keys' ids; a second run plans nothing and
calls no write; check mode plans only (a user it would create has no keys); drift (path,
tags, the policy) is put back; inline policies it is not given, managed policies and
access keys are left alone; bad input fails before any call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import iam_users
from moto import mock_aws

from tests.support.module_runner import run_module

PATH = "/privatecast/unit/"
TAGS = {"Name": "unit-owncast", "privatecast:stack": "unit", "privatecast:component": "storage"}


def policy(action: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def user(name: str = "unit-owncast", action: str = "s3:PutObject", **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "path": PATH,
        "tags": TAGS,
        "inline_policies": {f"{name}-hls": json.dumps(policy(action))},
        **changes,
    }


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def iam() -> Any:
    return boto3.client("iam", region_name="us-east-1")


def run(
    capsys: pytest.CaptureFixture[str], users: list[dict[str, Any]], check: bool = False
) -> dict[str, Any]:
    return run_module(
        iam_users.main, capsys, {"users": users, "region": "us-east-1"}, check_mode=check, diff=True
    )


def recording_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = boto3.session.Session.client

    def recording_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)
    return calls


def test_creates_the_user_with_its_policy_then_lists_its_keys(capsys, iam) -> None:
    created = run(capsys, [user()])

    assert created["rc"] == 0 and created["changed"] is True, created
    assert created["changes"] == ["create_user unit-owncast", "put_user_policy unit-owncast/unit-owncast-hls"]
    entry = created["users"][0]
    assert entry["created"] is True and entry["access_keys"] == []
    assert entry["arn"].endswith(f":user{PATH}unit-owncast")
    assert iam.get_user(UserName="unit-owncast")["User"]["Path"] == PATH
    assert {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="unit-owncast")["Tags"]} == TAGS
    document = iam.get_user_policy(UserName="unit-owncast", PolicyName="unit-owncast-hls")["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "s3:PutObject"

    key = iam.create_access_key(UserName="unit-owncast")["AccessKey"]
    again = run(capsys, [user()])
    assert again["changed"] is False and again["changes"] == [], again
    assert again["users"] == [
        {
            "name": "unit-owncast",
            "arn": entry["arn"],
            "created": False,
            "changed": False,
            "access_keys": [{"access_key_id": key["AccessKeyId"], "status": "Active"}],
        }
    ]
    assert key["SecretAccessKey"] not in json.dumps(again)


def test_a_second_run_calls_no_write(capsys, monkeypatch) -> None:
    run(capsys, [user()])
    calls = recording_calls(monkeypatch)

    run(capsys, [user()])

    assert "ListAccessKeys" in calls and all(name.startswith(("Get", "List")) for name in calls), calls


def test_check_mode_plans_without_writing(capsys, iam) -> None:
    planned = run(capsys, [user()], check=True)

    assert planned["changed"] is True
    assert planned["users"][0]["created"] is True and planned["users"][0]["arn"] == ""
    assert planned["diff"]["after"]["unit-owncast"]["path"] == PATH
    assert iam.list_users(PathPrefix=PATH)["Users"] == []


def test_drift_is_put_back_and_what_it_does_not_own_stays(capsys, iam) -> None:
    run(capsys, [user()])
    iam.put_user_policy(
        UserName="unit-owncast", PolicyName="unit-owncast-hls", PolicyDocument=json.dumps(policy("s3:*"))
    )
    iam.put_user_policy(
        UserName="unit-owncast", PolicyName="other", PolicyDocument=json.dumps(policy("sqs:*"))
    )
    iam.tag_user(UserName="unit-owncast", Tags=[{"Key": "extra", "Value": "x"}])
    managed = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(policy("ec2:*")))["Policy"][
        "Arn"
    ]
    iam.attach_user_policy(UserName="unit-owncast", PolicyArn=managed)

    fixed = run(capsys, [user()])

    assert fixed["changes"] == ["untag_user unit-owncast", "put_user_policy unit-owncast/unit-owncast-hls"]
    assert fixed["diff"]["before"]["unit-owncast"]["tags"] == {**TAGS, "extra": "x"}
    assert {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="unit-owncast")["Tags"]} == TAGS
    assert sorted(iam.list_user_policies(UserName="unit-owncast")["PolicyNames"]) == [
        "other",
        "unit-owncast-hls",
    ]
    attached = iam.list_attached_user_policies(UserName="unit-owncast")["AttachedPolicies"]
    assert [item["PolicyArn"] for item in attached] == [managed]
    assert run(capsys, [user()])["changed"] is False


def test_a_user_under_another_path_is_moved(capsys, iam) -> None:
    run(capsys, [user()])
    iam.update_user(UserName="unit-owncast", NewPath="/elsewhere/")  # moto also drops the tags here

    moved = run(capsys, [user()])

    assert moved["changes"][0] == "update_user unit-owncast"
    assert moved["diff"]["before"]["unit-owncast"]["path"] == "/elsewhere/"
    assert iam.get_user(UserName="unit-owncast")["User"]["Path"] == PATH
    assert run(capsys, [user()])["changed"] is False


def test_users_are_reconciled_in_the_order_given(capsys) -> None:
    both = run(capsys, [user("unit-a"), user("unit-b", "s3:GetObject")])

    assert [entry["name"] for entry in both["users"]] == ["unit-a", "unit-b"]
    assert both["changes"][0] == "create_user unit-a" and both["changes"][2] == "create_user unit-b"


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([{"path": PATH}], "name"),
        ([user(inline_policies={"p": "{not json"})], "inline_policies"),
    ],
)
def test_bad_input_fails_before_any_write(capsys, monkeypatch, users, message) -> None:
    calls = recording_calls(monkeypatch)

    failed = run(capsys, users)

    assert failed["failed"] is True and message in failed["msg"], failed
    assert not any(name.startswith(("Create", "Put", "Tag", "Update")) for name in calls), calls
