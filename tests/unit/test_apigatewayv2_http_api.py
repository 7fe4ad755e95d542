"""apigatewayv2_http_api against moto in-process: create, idempotence, check mode, changes,
invoke permissions, purge, errors."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import apigatewayv2_http_api
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module

REGION = "us-east-1"
ACCOUNT = "123456789012"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_pool"
FUNCTIONS = ("status", "servers", "recordings")


@pytest.fixture(autouse=True, scope="module")
def moto_without_gaps():
    """Moto lacks GetAuthorizers and UpdateStage (see tests/support/moto_gaps.py). The module
    lists authorizers only when no route uses one yet, and updates the stage on a change."""
    moto_gaps.apply()


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.fixture
def aws():
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName="unit-lambda", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        lambdas = boto3.client("lambda", region_name=REGION)
        arns = {}
        for name in FUNCTIONS:
            arns[name] = lambdas.create_function(
                FunctionName=f"unit-{name}",
                Runtime="python3.12",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": handler_zip()},
            )["FunctionArn"]
        yield {"apigw": boto3.client("apigatewayv2", region_name=REGION), "lambda": lambdas, "arns": arns}


def routes_for(arns: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"route_key": "GET /api/status", "function_arn": arns["status"]},
        {"route_key": "POST /api/servers/start", "function_arn": arns["servers"]},
        {"route_key": "POST /api/servers/stop", "function_arn": arns["servers"]},
        {"route_key": "DELETE /api/recordings/{id}", "function_arn": arns["recordings"]},
    ]


@pytest.fixture
def run(capsys, aws):
    def runner(check_mode: bool = False, diff: bool = False, **overrides: Any) -> dict[str, Any]:
        args = {
            "name": "unit-api",
            "region": REGION,
            "jwt_issuer": ISSUER,
            "jwt_audience": ["client-1"],
            "routes": routes_for(aws["arns"]),
            "tags": {"privatecast:stack": "unit"},
            **overrides,
        }
        return run_module(apigatewayv2_http_api.main, capsys, args, check_mode=check_mode, diff=diff)

    return runner


def policy_statements(aws, function: str) -> dict[str, dict[str, Any]]:
    try:
        policy = aws["lambda"].get_policy(FunctionName=aws["arns"][function])["Policy"]
    except aws["lambda"].exceptions.ResourceNotFoundException:
        return {}
    return {item["Sid"]: item for item in json.loads(policy)["Statement"]}


def source_arns(aws, function: str) -> set[str]:
    return {
        item["Condition"]["ArnLike"]["AWS:SourceArn"] for item in policy_statements(aws, function).values()
    }


def test_creates_api_authorizer_routes_stage_and_permissions(aws, run):
    result = run()

    assert result["changed"] is True
    api = result["api"]
    apigw = aws["apigw"]
    assert apigw.get_api(ApiId=api["id"])["ApiEndpoint"] == api["endpoint"]
    assert api["execution_arn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['id']}"
    authorizer = apigw.get_authorizer(ApiId=api["id"], AuthorizerId=api["authorizer_id"])
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"] == {"Issuer": ISSUER, "Audience": ["client-1"]}
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]

    routes = apigw.get_routes(ApiId=api["id"])["Items"]
    assert sorted(route["RouteKey"] for route in routes) == sorted(
        route["route_key"] for route in routes_for(aws["arns"])
    )
    for route in routes:
        assert route["AuthorizationType"] == "JWT"
        assert route["AuthorizerId"] == api["authorizer_id"]
    integrations = apigw.get_integrations(ApiId=api["id"])["Items"]
    assert len(integrations) == 3
    assert {item["PayloadFormatVersion"] for item in integrations} == {"2.0"}
    assert {item["IntegrationType"] for item in integrations} == {"AWS_PROXY"}
    returned = {route["route_key"]: route["function_arn"] for route in api["routes"]}
    assert returned == {route["route_key"]: route["function_arn"] for route in routes_for(aws["arns"])}

    stage = apigw.get_stage(ApiId=api["id"], StageName="$default")
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 10.0
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 20
    assert apigw.get_api(ApiId=api["id"])["Tags"] == {"privatecast:stack": "unit"}

    prefix = api["execution_arn"]
    assert source_arns(aws, "status") == {f"{prefix}/*/GET/api/status"}
    assert source_arns(aws, "servers") == {
        f"{prefix}/*/POST/api/servers/start",
        f"{prefix}/*/POST/api/servers/stop",
    }
    assert source_arns(aws, "recordings") == {f"{prefix}/*/DELETE/api/recordings/*"}
    for statement in policy_statements(aws, "servers").values():
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        assert statement["Action"] == "lambda:InvokeFunction"


def test_second_run_changes_nothing(run):
    first = run()
    second = run()

    assert second["changed"] is False
    assert second["api"] == first["api"]


def test_check_mode_creates_nothing(aws, run):
    result = run(check_mode=True)

    assert result["changed"] is True
    assert aws["apigw"].get_apis()["Items"] == []
    assert policy_statements(aws, "status") == {}


def test_check_mode_reports_a_change_without_making_it(aws, run):
    api_id = run()["api"]["id"]

    assert run(check_mode=True)["changed"] is False
    result = run(check_mode=True, throttling_rate_limit=2.0, routes=routes_for(aws["arns"])[:1])
    assert result["changed"] is True
    assert len(aws["apigw"].get_routes(ApiId=api_id)["Items"]) == 4
    assert (
        aws["apigw"].get_stage(ApiId=api_id, StageName="$default")["DefaultRouteSettings"][
            "ThrottlingRateLimit"
        ]
        == 10.0
    )


def test_changes_are_applied_and_unlisted_routes_purged(aws, run):
    api_id = run()["api"]["id"]

    result = run(
        diff=True,
        jwt_audience=["client-2"],
        throttling_rate_limit=5.0,
        throttling_burst_limit=7,
        routes=[{"route_key": "GET /api/status", "function_arn": aws["arns"]["status"]}],
    )

    assert result["changed"] is True
    apigw = aws["apigw"]
    assert [route["RouteKey"] for route in apigw.get_routes(ApiId=api_id)["Items"]] == ["GET /api/status"]
    assert [item["IntegrationUri"] for item in apigw.get_integrations(ApiId=api_id)["Items"]] == [
        aws["arns"]["status"]
    ]
    authorizer = apigw.get_authorizer(ApiId=api_id, AuthorizerId=result["api"]["authorizer_id"])
    assert authorizer["JwtConfiguration"]["Audience"] == ["client-2"]
    settings = apigw.get_stage(ApiId=api_id, StageName="$default")["DefaultRouteSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (5.0, 7)
    assert policy_statements(aws, "servers") == {}
    assert policy_statements(aws, "recordings") == {}
    assert len(policy_statements(aws, "status")) == 1
    assert set(result["diff"]["before"]["routes"]) == {
        route["route_key"] for route in routes_for(aws["arns"])
    }
    assert set(result["diff"]["after"]["routes"]) == {"GET /api/status"}


def test_a_route_stripped_of_its_authorizer_gets_it_back(aws, run):
    api = run()["api"]
    route_id = api["routes"][0]["route_id"]
    aws["apigw"].update_route(ApiId=api["id"], RouteId=route_id, AuthorizationType="NONE", AuthorizerId="")

    assert run()["changed"] is True
    route = aws["apigw"].get_route(ApiId=api["id"], RouteId=route_id)
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("JWT", api["authorizer_id"])


def test_an_existing_authorizer_without_routes_is_reused(aws, run):
    """An earlier run stopped after creating the authorizer: it is found by name, not duplicated."""
    apigw = aws["apigw"]
    api_id = apigw.create_api(Name="unit-api", ProtocolType="HTTP")["ApiId"]
    existing = apigw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": ISSUER, "Audience": ["client-1"]},
    )["AuthorizerId"]

    assert run()["api"]["authorizer_id"] == existing


def test_a_stale_permission_is_replaced(aws, run):
    api = run()["api"]
    sid = next(iter(policy_statements(aws, "status")))
    aws["lambda"].remove_permission(FunctionName=aws["arns"]["status"], StatementId=sid)
    aws["lambda"].add_permission(
        FunctionName=aws["arns"]["status"],
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"{api['execution_arn']}/*/*",
    )

    assert run()["changed"] is True
    assert source_arns(aws, "status") == {f"{api['execution_arn']}/*/GET/api/status"}


def test_absent_deletes_the_api_and_its_permissions(aws, run):
    run()

    result = run(state="absent")

    assert result["changed"] is True
    assert aws["apigw"].get_apis()["Items"] == []
    assert all(policy_statements(aws, name) == {} for name in FUNCTIONS)
    assert run(state="absent")["changed"] is False


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"route_key": "$default"}, "is not '<METHOD> /<path>'"),
        ({"route_key": "FETCH /api/status"}, "is not '<METHOD> /<path>'"),
        ({"route_key": "GET /api/status", "function_arn": "status"}, "is not an unqualified Lambda ARN"),
    ],
)
def test_bad_routes_fail_clearly(aws, run, route, message):
    result = run(routes=[{"function_arn": aws["arns"]["status"], **route}])

    assert result["failed"] is True
    assert message in result["msg"]
    assert aws["apigw"].get_apis()["Items"] == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"routes": []}, "at least one route"),
        ({"jwt_issuer": "http://issuer.example"}, "must be an https:// URL"),
        ({"jwt_audience": []}, "at least one audience"),
        ({"throttling_burst_limit": 0}, "must be positive"),
        ({"integration_timeout_ms": 31000}, "between 50 and 30000"),
    ],
)
def test_bad_input_fails_clearly(aws, run, overrides, message):
    result = run(**overrides)

    assert result["failed"] is True
    assert message in result["msg"]


def test_duplicate_routes_fail(aws, run):
    route = routes_for(aws["arns"])[0]
    result = run(routes=[route, route])

    assert result["failed"] is True
    assert "listed twice" in result["msg"]


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_execution_arn_names_the_partition_of_the_region(region: str, partition: str) -> None:
    assert apigatewayv2_http_api.execution_arn(region, "123456789012", "a1b2c3") == (
        f"arn:{partition}:execute-api:{region}:123456789012:a1b2c3"
    )
