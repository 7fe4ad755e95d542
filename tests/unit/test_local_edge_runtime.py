"""The local edge's function workers and schedules against the tests' moto server: only the
deployed code runs (CodeSha256), a handler's result and errors come back, a code change
starts a new worker, and rate() rules fire their targets with a Scheduled Event."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import cryptography
import pytest

from tests.support.moto_server import MotoServer
from tools.local_edge import lambdas, schedule
from tools.local_edge.deployment import Deployment

STACK = "edgetest"
REGION = "us-east-1"
HANDLER_V1 = """
import os
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("handler ran")  # the function's log, never the protocol
    return {"version": 1, "event": event, "stack": os.environ["PRIVATECAST_STACK"],
            "region": os.environ["AWS_REGION"], "name": context.function_name}
"""


def build_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def deploy(moto: MotoServer, code: bytes) -> str:
    iam = moto.client("iam")
    role = iam.create_role(RoleName="edge-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = moto.client("lambda").create_function(
        FunctionName=f"{STACK}-echo",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code},
        Timeout=5,
        Environment={"Variables": {"PRIVATECAST_STACK": STACK}},
    )
    return function["FunctionArn"]


@pytest.fixture
def pool(moto: MotoServer, tmp_path: Path):
    functions = lambdas.FunctionPool(
        moto.client("lambda"),
        STACK,
        tmp_path / "lambda",
        tmp_path / "edge",
        lambdas.lambda_base_env(REGION, {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}),
    )
    yield functions
    functions.stop_all()


def test_the_deployed_zip_runs_in_a_worker_with_its_configuration(
    moto: MotoServer, pool, tmp_path: Path
) -> None:
    code = build_zip(HANDLER_V1)
    arn = deploy(moto, code)
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "echo.zip").write_bytes(code)
    result = pool.invoke(arn, {"hello": "world"})
    assert result == {
        "version": 1,
        "event": {"hello": "world"},
        "stack": STACK,
        "region": REGION,
        "name": f"{STACK}-echo",
    }
    with pytest.raises(lambdas.FunctionError) as failed:
        pool.invoke(arn, {"fail": True})
    assert failed.value.error_type == "ValueError"
    assert pool.invoke(arn, {"again": 1})["event"] == {"again": 1}  # the worker survived the error
    assert "handler ran" in (tmp_path / "edge" / "logs" / f"{STACK}-echo.log").read_text()


def test_code_other_than_the_deployed_is_refused(moto: MotoServer, pool, tmp_path: Path) -> None:
    arn = deploy(moto, build_zip(HANDLER_V1))
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "echo.zip").write_bytes(
        build_zip(HANDLER_V1.replace('version": 1', 'version": 2'))
    )
    with pytest.raises(lambdas.FunctionError) as refused:
        pool.invoke(arn, {})
    assert refused.value.error_type == "Edge.CodeMismatch"


def test_new_code_gets_a_new_worker(moto: MotoServer, pool, tmp_path: Path) -> None:
    arn = deploy(moto, build_zip(HANDLER_V1))
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "echo.zip").write_bytes(build_zip(HANDLER_V1))
    assert pool.invoke(arn, {})["version"] == 1
    new_code = build_zip(HANDLER_V1.replace('"version": 1', '"version": 2'))
    moto.client("lambda").update_function_code(FunctionName=arn, ZipFile=new_code)
    (tmp_path / "lambda" / "echo.zip").write_bytes(new_code)
    assert pool.invoke(arn, {})["version"] == 2


HANDLER_WITH_LIBRARY = """
import cryptography
def handler(event, context):
    return {"file": cryptography.__file__, "version": cryptography.__version__}
"""


def zip_with_foreign_cryptography(version: str) -> bytes:
    """A handler and a cryptography built for aarch64 CPython 3.12, as the session zip
    carries it (here a stand-in package that cannot be imported on this machine)."""
    dist_info = f"cryptography-{version}.dist-info"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER_WITH_LIBRARY)
        archive.writestr("cryptography/__init__.py", "raise ImportError('built for aarch64')\n")
        archive.writestr(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nTag: cp312-cp312-manylinux2014_aarch64\n")
        archive.writestr(
            f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: cryptography\nVersion: {version}\n"
        )
        archive.writestr(
            f"{dist_info}/RECORD",
            f"cryptography/__init__.py,,\n{dist_info}/WHEEL,,\n{dist_info}/METADATA,,\n{dist_info}/RECORD,,\n",
        )
    return buffer.getvalue()


def test_a_library_built_for_another_machine_runs_as_the_venvs_same_version(
    moto: MotoServer, pool, tmp_path: Path
) -> None:
    code = zip_with_foreign_cryptography(cryptography.__version__)
    arn = deploy(moto, code)
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "echo.zip").write_bytes(code)

    result = pool.invoke(arn, {})

    assert result == {"file": cryptography.__file__, "version": cryptography.__version__}


def test_a_library_for_another_machine_without_the_same_version_in_the_venv_is_refused(
    moto: MotoServer, pool, tmp_path: Path
) -> None:
    code = zip_with_foreign_cryptography("0.0.1")
    arn = deploy(moto, code)
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "echo.zip").write_bytes(code)

    with pytest.raises(lambdas.FunctionError) as refused:
        pool.invoke(arn, {})

    assert refused.value.error_type == "Edge.LibraryMismatch"
    assert "cryptography==0.0.1" in refused.value.message


def test_rate_rules_fire_their_function_targets_once_per_period(moto: MotoServer) -> None:
    events = moto.client("events")
    prefix = f"arn:aws:lambda:{REGION}:123456789012:function:{STACK}-"
    events.put_rule(Name=f"{STACK}-housekeeping", ScheduleExpression="rate(5 minutes)", State="ENABLED")
    events.put_targets(Rule=f"{STACK}-housekeeping", Targets=[{"Id": "h", "Arn": prefix + "housekeeping"}])
    events.put_rule(Name="other", ScheduleExpression="rate(1 minute)", State="ENABLED")
    events.put_targets(
        Rule="other", Targets=[{"Id": "o", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:x"}]
    )
    scheduler = schedule.Scheduler(Deployment(moto.url, REGION, STACK, ttl=0), prefix, lambda *_: None)
    start = 1_800_000_000.0
    assert scheduler.due(start) == []
    assert scheduler.due(start + 299) == []
    fired = scheduler.due(start + 300)
    assert [(arn, why) for arn, _event, why in fired] == [
        (prefix + "housekeeping", f"schedule {STACK}-housekeeping")
    ]
    event = fired[0][1]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == [f"arn:aws:events:{REGION}:123456789012:rule/{STACK}-housekeeping"]
    assert event["time"] == "2027-01-15T08:05:00Z" and event["detail"] == {}
    assert scheduler.due(start + 301) == []
    assert len(scheduler.due(start + 600)) == 1


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(5 minutes)", 300), ("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("cron(0 * * * ? *)", None)],
)
def test_rate_expressions(expression: str, seconds: int | None) -> None:
    assert schedule.rate_seconds(expression) == seconds


def test_a_targets_constant_input_replaces_the_event() -> None:
    rule = {"Arn": "arn:aws:events:us-east-1:1:rule/r", "Name": "r"}
    assert schedule.target_input({"Id": "t", "Input": json.dumps({"action": "reconcile"})}, rule, 0) == {
        "action": "reconcile"
    }
