"""iam_roles run in-process against moto (mock_aws): a set of roles with their trust and
inline policies in one run; a second run plans nothing and calls no write; check mode
plans only; drift (trust, description, tags, a policy, an attached managed policy) is put
back; inline policies it is not given are left alone. With instance_profile, each role's
instance profile (its name, path and tags, holding it alone) is kept the same way, and
purge_managed_policies=false leaves attached managed policies in place."""

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


# --- instance profiles (the aws_compute role's servers) ---

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
SERVER_TAGS = {"privatecast:stack": "unit", "privatecast:component": "compute"}


def server(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "path": PATH,
        "description": f"{name} instance",
        "assume_role_policy_document": json.dumps(EC2_TRUST),
        "tags": SERVER_TAGS,
        "purge_managed_policies": False,
        "instance_profile": True,
        **changes,
    }


SERVERS = [server("unit-proxy"), server("unit-owncast")]


def profile(iam: Any, name: str) -> dict[str, Any]:
    return iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


def test_each_role_gets_its_instance_profile_then_nothing_changes(capsys, iam) -> None:
    created = run(capsys, SERVERS)

    assert created["changed"] is True, created
    assert created["changes"] == [
        "create_role unit-proxy",
        "create_instance_profile unit-proxy",
        "add_role_to_instance_profile unit-proxy/unit-proxy",
        "create_role unit-owncast",
        "create_instance_profile unit-owncast",
        "add_role_to_instance_profile unit-owncast/unit-owncast",
    ]
    for entry in created["roles"]:
        found = profile(iam, entry["name"])
        assert found["Path"] == PATH and found["Arn"] == entry["instance_profile_arn"]
        assert [r["RoleName"] for r in found["Roles"]] == [entry["name"]]
        assert {t["Key"]: t["Value"] for t in found["Tags"]} == SERVER_TAGS
        assert entry["arn"].endswith(f":role{PATH}{entry['name']}")
    assert iam.list_role_policies(RoleName="unit-proxy")["PolicyNames"] == []

    again = run(capsys, SERVERS)
    assert again["changed"] is False and again["changes"] == [], again
    assert again["roles"] == [{**entry, "changed": False} for entry in created["roles"]]


def test_a_second_run_with_profiles_calls_no_write(capsys, monkeypatch) -> None:
    run(capsys, SERVERS)
    calls: list[str] = []
    original = boto3.session.Session.client

    def recording_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)
    run(capsys, SERVERS)

    assert "GetInstanceProfile" in calls and all(name.startswith(("Get", "List")) for name in calls), calls


def test_a_role_without_instance_profile_reads_and_reports_none(capsys, iam) -> None:
    created = run(capsys, ROLES)

    assert all(entry["instance_profile_arn"] == "" for entry in created["roles"])
    assert iam.list_instance_profiles()["InstanceProfiles"] == []


def test_check_mode_plans_the_profiles_without_writing(capsys, iam) -> None:
    planned = run(capsys, SERVERS, check=True)

    assert planned["changed"] is True
    assert "create_instance_profile unit-owncast" in planned["changes"]
    assert planned["diff"]["after"]["unit-proxy"]["instance_profile"] == {
        "path": PATH,
        "tags": SERVER_TAGS,
        "roles": ["unit-proxy"],
    }
    assert [entry["instance_profile_arn"] for entry in planned["roles"]] == ["", ""]
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
    assert iam.list_roles(PathPrefix=PATH)["Roles"] == []


def test_profile_drift_is_put_back_and_attached_policies_stay(capsys, iam) -> None:
    run(capsys, SERVERS)
    iam.remove_role_from_instance_profile(InstanceProfileName="unit-proxy", RoleName="unit-proxy")
    iam.add_role_to_instance_profile(InstanceProfileName="unit-proxy", RoleName="unit-owncast")
    iam.tag_instance_profile(InstanceProfileName="unit-proxy", Tags=[{"Key": "extra", "Value": "x"}])
    iam.remove_role_from_instance_profile(InstanceProfileName="unit-owncast", RoleName="unit-owncast")
    iam.delete_instance_profile(InstanceProfileName="unit-owncast")
    managed = iam.create_policy(PolicyName="later", PolicyDocument=json.dumps(policy("s3:GetObject")))[
        "Policy"
    ]["Arn"]
    iam.attach_role_policy(RoleName="unit-proxy", PolicyArn=managed)

    fixed = run(capsys, SERVERS)

    assert fixed["changes"] == [
        "remove_role_from_instance_profile unit-proxy/unit-owncast",
        "add_role_to_instance_profile unit-proxy/unit-proxy",
        "untag_instance_profile unit-proxy",
        "create_instance_profile unit-owncast",
        "add_role_to_instance_profile unit-owncast/unit-owncast",
    ]
    assert fixed["diff"]["before"]["unit-proxy"]["instance_profile"]["roles"] == ["unit-owncast"]
    assert fixed["diff"]["before"]["unit-owncast"]["instance_profile"] is None
    assert [r["RoleName"] for r in profile(iam, "unit-proxy")["Roles"]] == ["unit-proxy"]
    assert {t["Key"] for t in profile(iam, "unit-proxy")["Tags"]} == set(SERVER_TAGS)
    assert [r["RoleName"] for r in profile(iam, "unit-owncast")["Roles"]] == ["unit-owncast"]
    attached = iam.list_attached_role_policies(RoleName="unit-proxy")["AttachedPolicies"]
    assert [item["PolicyArn"] for item in attached] == [managed]
    assert run(capsys, SERVERS)["changed"] is False


def test_profile_tags_follow_the_role_tags(capsys, iam) -> None:
    run(capsys, SERVERS)
    retagged = {**SERVER_TAGS, "privatecast:component": "other"}

    changed = run(capsys, [server("unit-proxy", tags=retagged), SERVERS[1]])

    assert changed["changes"] == ["tag_role unit-proxy", "tag_instance_profile unit-proxy"]
    assert {t["Key"]: t["Value"] for t in profile(iam, "unit-proxy")["Tags"]} == retagged


def test_a_profile_under_another_path_fails_before_any_write(capsys, iam) -> None:
    iam.create_instance_profile(InstanceProfileName="unit-owncast", Path="/elsewhere/")

    failed = run(capsys, SERVERS)

    assert failed["failed"] is True
    assert "unit-owncast" in failed["msg"] and "/elsewhere/" in failed["msg"]
    assert iam.list_roles(PathPrefix=PATH)["Roles"] == []


def test_instance_profile_must_be_a_bool(capsys) -> None:
    failed = run(capsys, [server("unit-proxy", instance_profile="sometimes")])

    assert failed["failed"] is True and "instance_profile" in failed["msg"]
