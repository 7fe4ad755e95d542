"""lambda_functions against a moto server: a set of functions with their log groups and
resource-policy permissions in one run; a second run plans nothing and calls no write;
check mode plans only; a change in one field updates only that; new code is deployed by
its hash; drift is put back while statements the module is not given stay; a role
created while the module waits is retried; bad input fails by name."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import lambda_functions

from tests.support.module_runner import run_module
from tests.support.moto_server import MotoServer

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
PATH = "/privatecast/unit/"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
BUCKET_ARN = "arn:aws:s3:::unit-video"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/unit-housekeeping"
TAGS = {"privatecast:stack": "unit", "privatecast:component": "api"}


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{PATH}unit-lambda-{name}"


def create_role(moto: MotoServer, name: str) -> None:
    moto.client("iam", REGION).create_role(
        RoleName=f"unit-lambda-{name}", Path=PATH, AssumeRolePolicyDocument=json.dumps(TRUST)
    )


def write_zip(path: Path, body: str) -> Path:
    info = zipfile.ZipInfo("handler.py", date_time=(1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, body)
    return path


def sha(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


@pytest.fixture
def zips(tmp_path: Path) -> dict[str, Path]:
    return {
        name: write_zip(tmp_path / f"{name}.zip", f"def handler(event, context):\n    return {name!r}\n")
        for name in ("status", "archiver")
    }


@pytest.fixture
def roles(moto: MotoServer) -> None:
    for name in ("status", "archiver"):
        create_role(moto, name)


def function(name: str, zips: dict[str, Path], **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": f"unit-{name}",
        "zip_file": str(zips[name]),
        "runtime": "python3.12",
        "architecture": "arm64",
        "handler": "handler.handler",
        "role": role_arn(name),
        "memory_size": 256,
        "timeout": 10,
        "description": f"privatecast unit: {name}",
        "environment": {"PRIVATECAST_STACK": "unit", "PRIVATECAST_BUCKET": "unit-video"},
        "tags": {**TAGS, "Name": f"unit-{name}"},
        "log_retention_days": 30,
    }
    if name == "archiver":
        spec["permissions"] = [
            {
                "statement_id": "privatecast-s3-archiver",
                "principal": "s3.amazonaws.com",
                "source_arn": BUCKET_ARN,
                "source_account": ACCOUNT,
            },
            {
                "statement_id": "privatecast-events",
                "principal": "events.amazonaws.com",
                "source_arn": RULE_ARN,
            },
        ]
    return {**spec, **changes}


def functions(zips: dict[str, Path]) -> list[dict[str, Any]]:
    return [function("status", zips), function("archiver", zips)]


def run(
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    specs: list[dict[str, Any]],
    check: bool = False,
    **args: Any,
) -> dict[str, Any]:
    return run_module(
        lambda_functions.main,
        capsys,
        {"functions": specs, "region": REGION, "endpoint_url": moto.url, **args},
        check_mode=check,
        diff=True,
    )


def statements(moto: MotoServer, name: str) -> dict[str, dict[str, Any]]:
    policy = moto.client("lambda", REGION).get_policy(FunctionName=name)["Policy"]
    return {item["Sid"]: item for item in json.loads(policy)["Statement"]}


def log_group(moto: MotoServer, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    logs = moto.client("logs", REGION)
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return group, logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]


def test_creates_functions_log_groups_and_permissions_then_changes_nothing(capsys, moto, zips, roles) -> None:
    created = run(capsys, moto, functions(zips))

    assert created["rc"] == 0 and created["changed"] is True, created
    assert created["changes"][:2] == [
        "create_log_group /aws/lambda/unit-status",
        "create_function unit-status",
    ]
    assert created["changes"][-2:] == [
        "add_permission unit-archiver/privatecast-s3-archiver",
        "add_permission unit-archiver/privatecast-events",
    ]
    client = moto.client("lambda", REGION)
    response = client.get_function(FunctionName="unit-status")
    config = response["Configuration"]
    assert (config["Runtime"], config["Architectures"], config["Handler"]) == (
        "python3.12",
        ["arm64"],
        "handler.handler",
    )
    assert (config["Role"], config["MemorySize"], config["Timeout"]) == (role_arn("status"), 256, 10)
    assert config["Description"] == "privatecast unit: status"
    assert config["Environment"]["Variables"] == {
        "PRIVATECAST_STACK": "unit",
        "PRIVATECAST_BUCKET": "unit-video",
    }
    assert config["CodeSha256"] == sha(zips["status"])
    assert response["Tags"] == {**TAGS, "Name": "unit-status"}
    group, tags = log_group(moto, "/aws/lambda/unit-status")
    assert group["retentionInDays"] == 30 and tags == {**TAGS, "Name": "unit-status"}
    s3 = statements(moto, "unit-archiver")["privatecast-s3-archiver"]
    assert s3["Principal"] == {"Service": "s3.amazonaws.com"}
    assert s3["Condition"] == {
        "ArnLike": {"AWS:SourceArn": BUCKET_ARN},
        "StringEquals": {"AWS:SourceAccount": ACCOUNT},
    }
    assert [f["arn"] for f in created["functions"]] == [
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:unit-{name}" for name in ("status", "archiver")
    ]
    assert created["functions"][0]["code_sha256"] == sha(zips["status"])

    again = run(capsys, moto, functions(zips))
    assert again["rc"] == 0 and again["changed"] is False and again["changes"] == [], again
    assert [f["changed"] for f in again["functions"]] == [False, False]
    assert again["diff"] == {"before": {}, "after": {}}


def test_a_second_run_calls_no_write(capsys, moto, zips, roles, monkeypatch) -> None:
    run(capsys, moto, functions(zips))
    calls: list[str] = []
    original = boto3.session.Session.client

    def recording_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)
    assert run(capsys, moto, functions(zips))["changed"] is False

    assert calls and all(name.startswith(("Get", "List", "Describe")) for name in calls), calls
    # One read of each function, of the one policy it is given statements for, one listing
    # of the log groups and their tags: 2 + 1 + 1 + 2.
    assert len(calls) == 6, calls


def test_check_mode_plans_without_writing(capsys, moto, zips, roles) -> None:
    planned = run(capsys, moto, functions(zips), check=True)

    assert planned["changed"] is True
    assert "create_function unit-archiver" in planned["changes"]
    assert planned["diff"]["before"] == {}
    after = planned["diff"]["after"]["unit-archiver"]
    assert after["timeout"] == 10 and after["log_group"]["retention_days"] == 30
    assert set(after["permissions"]) == {"privatecast-s3-archiver", "privatecast-events"}
    assert [f["arn"] for f in planned["functions"]] == ["", ""]
    assert moto.client("lambda", REGION).list_functions()["Functions"] == []
    assert moto.client("logs", REGION).describe_log_groups()["logGroups"] == []

    run(capsys, moto, functions(zips))
    changed = [function("status", zips, timeout=20), function("archiver", zips)]
    assert run(capsys, moto, changed, check=True)["changed"] is True
    config = moto.client("lambda", REGION).get_function_configuration(FunctionName="unit-status")
    assert config["Timeout"] == 10


def test_a_change_in_one_field_updates_only_that(capsys, moto, zips, roles) -> None:
    run(capsys, moto, functions(zips))

    changed = run(capsys, moto, [function("status", zips, timeout=20), function("archiver", zips)])

    assert changed["changes"] == ["update_function_configuration unit-status (timeout)"]
    assert [f["changed"] for f in changed["functions"]] == [True, False]
    assert changed["diff"]["before"]["unit-status"]["timeout"] == 10
    assert changed["diff"]["after"]["unit-status"]["timeout"] == 20
    assert set(changed["diff"]["after"]) == {"unit-status"}
    config = moto.client("lambda", REGION).get_function_configuration(FunctionName="unit-status")
    assert config["Timeout"] == 20 and config["MemorySize"] == 256
    assert (
        run(capsys, moto, [function("status", zips, timeout=20), function("archiver", zips)])["changed"]
        is False
    )


def test_new_code_is_deployed_by_its_hash_then_the_configuration(capsys, moto, zips, roles) -> None:
    run(capsys, moto, functions(zips))
    write_zip(zips["status"], "def handler(event, context):\n    return 'new'\n")
    environment = {"PRIVATECAST_STACK": "unit"}

    changed = run(
        capsys, moto, [function("status", zips, environment=environment), function("archiver", zips)]
    )

    assert changed["changes"] == [
        "update_function_code unit-status",
        "update_function_configuration unit-status (environment)",
    ]
    config = moto.client("lambda", REGION).get_function_configuration(FunctionName="unit-status")
    assert config["CodeSha256"] == sha(zips["status"]) == changed["functions"][0]["code_sha256"]
    assert config["Environment"]["Variables"] == environment
    assert changed["diff"]["after"]["unit-status"]["code_sha256"] == sha(zips["status"])


def test_drift_is_put_back_and_other_statements_stay(capsys, moto, zips, roles) -> None:
    run(capsys, moto, functions(zips))
    client, logs = moto.client("lambda", REGION), moto.client("logs", REGION)
    arn = client.get_function(FunctionName="unit-archiver")["Configuration"]["FunctionArn"]
    client.tag_resource(Resource=arn, Tags={"extra": "by hand"})
    client.remove_permission(FunctionName="unit-archiver", StatementId="privatecast-s3-archiver")
    client.add_permission(
        FunctionName="unit-archiver",
        StatementId="privatecast-s3-archiver",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::someone-elses",
    )
    client.add_permission(
        FunctionName="unit-archiver",
        StatementId="other-task",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    logs.put_retention_policy(logGroupName="/aws/lambda/unit-archiver", retentionInDays=1)

    fixed = run(capsys, moto, functions(zips))

    assert fixed["changes"] == [
        "put_retention_policy /aws/lambda/unit-archiver",
        "untag_resource unit-archiver",
        "remove_permission unit-archiver/privatecast-s3-archiver",
        "add_permission unit-archiver/privatecast-s3-archiver",
    ]
    assert "extra" not in client.get_function(FunctionName="unit-archiver")["Tags"]
    found = statements(moto, "unit-archiver")
    assert set(found) == {"privatecast-s3-archiver", "privatecast-events", "other-task"}
    assert found["privatecast-s3-archiver"]["Condition"]["ArnLike"]["AWS:SourceArn"] == BUCKET_ARN
    assert log_group(moto, "/aws/lambda/unit-archiver")[0]["retentionInDays"] == 30
    assert run(capsys, moto, functions(zips))["changed"] is False


def test_tags_left_out_are_left_alone(capsys, moto, zips, roles) -> None:
    run(capsys, moto, functions(zips))
    client = moto.client("lambda", REGION)
    arn = client.get_function(FunctionName="unit-status")["Configuration"]["FunctionArn"]
    client.tag_resource(Resource=arn, Tags={"extra": "by hand"})

    result = run(capsys, moto, [function("status", zips, tags=None), function("archiver", zips)])

    assert result["changed"] is False, result
    assert client.get_function(FunctionName="unit-status")["Tags"]["extra"] == "by hand"


def test_a_role_created_while_it_waits_is_retried(capsys, moto, zips) -> None:
    """Lambda refuses a role it cannot assume yet (moto: one that does not exist); the
    module retries that refusal until the role is there."""
    create_role(moto, "archiver")
    timer = threading.Timer(1.0, create_role, args=(moto, "status"))
    timer.start()
    try:
        created = run(capsys, moto, functions(zips))
    finally:
        timer.join()

    assert created["rc"] == 0 and created["changed"] is True, created
    config = moto.client("lambda", REGION).get_function_configuration(FunctionName="unit-status")
    assert config["Role"] == role_arn("status")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "unit-lambda-status"}, "unit-status: role must be an IAM role ARN"),
        ({"memory_size": 64}, "unit-status: memory_size 64 is not within 128-10240"),
        ({"timeout": 901}, "unit-status: timeout 901 is not within 1-900"),
        (
            {"zip_file": "/nonexistent/status.zip"},
            "unit-status: zip_file /nonexistent/status.zip is not a file",
        ),
        ({"log_retention_days": 31}, "log_retention_days"),
        (
            {"permissions": [{"statement_id": "a", "principal": "s3.amazonaws.com"}] * 2},
            "unit-status: a statement_id is given twice",
        ),
    ],
)
@pytest.mark.usefixtures("roles")
def test_bad_input_fails_by_name_and_changes_nothing(capsys, moto, zips, changes, message) -> None:
    failed = run(capsys, moto, [function("status", zips, **changes)])

    assert failed["failed"] is True and message in failed["msg"], failed
    assert moto.client("lambda", REGION).list_functions()["Functions"] == []


def test_a_function_given_twice_fails(capsys, moto, zips, roles) -> None:
    failed = run(capsys, moto, [function("status", zips), function("status", zips)])

    assert failed["failed"] is True and "given more than once: unit-status" in failed["msg"]


def test_an_aws_refusal_names_the_action_and_what_was_done(capsys, moto, zips, roles) -> None:
    bad = function("status", zips, role=f"arn:aws:iam::210987654321:role{PATH}unit-lambda-status")

    failed = run(capsys, moto, [bad])

    assert failed["failed"] is True
    assert "failed to create_function unit-status" in failed["msg"], failed
    assert "done before: create_log_group /aws/lambda/unit-status" in failed["msg"]
