"""iam_roles run in-process against moto (mock_aws): a set of roles with their trust and
inline policies in one run; a second run plans nothing and calls no write; check mode
plans only; drift (trust, description, tags, a policy, an attached managed policy) is put
back; inline policies it is not given are left alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import iam_roles
from moto import mock_aws

from tests.support.module_runner import run_module

PATH = "/privatecast/unit/"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def policy(action: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def role(name: str, action: str = "s3:GetObject", **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "path": PATH,
        "description": f"the {name} function",
        "assume_role_policy_document": json.dumps(TRUST),
        "tags": {"Name": name, "privatecast:stack": "unit"},
        "inline_policies": {name: json.dumps(policy(action))},
        **changes,
    }


ROLES = [role("status"), role("archiver", "s3:PutObject")]


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def iam() -> Any:
    return boto3.client("iam", region_name="us-east-1")


def run(
    capsys: pytest.CaptureFixture[str], roles: list[dict[str, Any]], check: bool = False
) -> dict[str, Any]:
    return run_module(
        iam_roles.main, capsys, {"roles": roles, "region": "us-east-1"}, check_mode=check, diff=True
    )


def test_creates_every_role_with_its_policy_then_changes_nothing(capsys, iam) -> None:
    created = run(capsys, ROLES)

    assert created["rc"] == 0 and created["changed"] is True, created
    assert [r["name"] for r in created["roles"]] == ["status", "archiver"]
    assert all(r["arn"].endswith(f":role{PATH}{r['name']}") for r in created["roles"])
    found = iam.get_role(RoleName="archiver")["Role"]
    assert found["Path"] == PATH and found["Description"] == "the archiver function"
    document = iam.get_role_policy(RoleName="archiver", PolicyName="archiver")["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "s3:PutObject"
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="status")["Tags"]} == ROLES[0]["tags"]

    again = run(capsys, ROLES)
    assert again["changed"] is False and again["changes"] == [], again
    assert [r["arn"] for r in again["roles"]] == [r["arn"] for r in created["roles"]]


def test_a_second_run_calls_no_write(capsys, monkeypatch) -> None:
    run(capsys, ROLES)
    calls: list[str] = []
    original = boto3.session.Session.client

    def recording_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)
    run(capsys, ROLES)

    assert calls and all(name.startswith(("Get", "List")) for name in calls), calls


def test_check_mode_plans_without_writing(capsys, iam) -> None:
    planned = run(capsys, ROLES, check=True)

    assert planned["changed"] is True
    assert planned["changes"][:2] == ["create_role status", "put_role_policy status/status"]
    assert planned["diff"]["after"]["status"]["description"] == "the status function"
    assert iam.list_roles(PathPrefix=PATH)["Roles"] == []


def test_drift_is_put_back_and_other_inline_policies_stay(capsys, iam) -> None:
    run(capsys, ROLES)
    iam.put_role_policy(RoleName="status", PolicyName="status", PolicyDocument=json.dumps(policy("s3:*")))
    iam.put_role_policy(
        RoleName="status", PolicyName="other-task", PolicyDocument=json.dumps(policy("sqs:*"))
    )
    iam.update_role(RoleName="status", Description="changed by hand")
    iam.tag_role(RoleName="status", Tags=[{"Key": "extra", "Value": "x"}])
    managed = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(policy("ec2:*")))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName="status", PolicyArn=managed)

    fixed = run(capsys, ROLES)

    assert fixed["changed"] is True
    assert [r["changed"] for r in fixed["roles"]] == [True, False]
    assert sorted(fixed["changes"]) == sorted(
        [
            "update_role status",
            "untag_role status",
            f"detach_role_policy status/{managed}",
            "put_role_policy status/status",
        ]
    )
    assert iam.get_role(RoleName="status")["Role"]["Description"] == "the status function"
    assert iam.list_attached_role_policies(RoleName="status")["AttachedPolicies"] == []
    assert sorted(iam.list_role_policies(RoleName="status")["PolicyNames"]) == ["other-task", "status"]
    assert run(capsys, ROLES)["changed"] is False


def test_a_new_trust_policy_is_written(capsys, iam) -> None:
    run(capsys, ROLES)
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Principal"]["Service"] = "edgelambda.amazonaws.com"

    changed = run(capsys, [role("status", assume_role_policy_document=json.dumps(trust)), ROLES[1]])

    assert changed["changes"] == ["update_assume_role_policy status"]
    found = iam.get_role(RoleName="status")["Role"]["AssumeRolePolicyDocument"]
    assert found["Statement"][0]["Principal"]["Service"] == "edgelambda.amazonaws.com"


def test_a_role_under_another_path_fails_by_name(capsys, iam) -> None:
    iam.create_role(RoleName="status", Path="/elsewhere/", AssumeRolePolicyDocument=json.dumps(TRUST))

    failed = run(capsys, ROLES)

    assert failed["failed"] is True
    assert "status" in failed["msg"] and "/elsewhere/" in failed["msg"]
