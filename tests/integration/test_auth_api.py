"""aws_auth and aws_api against a moto server: two runs of playbooks/provision.yml (the
shared provisioned stack of tests/support/provisioned.py, which test_provision.py checks
too); the second changes nothing, every route needs the JWT authorizer, each function's
role allows exactly what its handler uses, the zips are byte-identical, and a temporary
password is shown exactly once.

The moto server here is tests/support/moto_gaps.py's: moto 5.2.5 lacks GetAuthorizers and
UpdateStage and refuses S3 notification filter rules spelled as AWS spells them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer

from tests.support import lambda_zip
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult
from tests.support.provisioned import LAMBDA_FUNCTIONS, ProvisionedStack
from tests.unit import lambda_support

pytestmark = pytest.mark.integration

STACK = "local"
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET_ARN = f"arn:aws:s3:::{STACK}-video-{ACCOUNT}"
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"
FUNCTIONS = LAMBDA_FUNCTIONS
ROUTES = {
    "GET /api/status": "status",
    "POST /api/servers/start": "servers",
    "POST /api/servers/stop": "servers",
    "POST /api/session": "session",
    "POST /api/signout": "session",
    "GET /api/recordings": "recordings",
    "DELETE /api/recordings/{id}": "recordings",
}
SHOWN_ONCE_TASK = "privatecast.streaming.aws_auth : Show the temporary passwords of new users (shown once)"

STACK_TAG = {"StringEquals": {"aws:ResourceTag/privatecast:stack": STACK}}


def stack_tag_and(**tags: Any) -> dict[str, dict[str, Any]]:
    """The stack tag and further resource tags (privatecast_sg="proxy" -> privatecast:sg)."""
    more = {f"aws:ResourceTag/{key.replace('_', ':', 1)}": value for key, value in tags.items()}
    return {"StringEquals": {**STACK_TAG["StringEquals"], **more}}


MAINTENANCE_DESCRIBE = [
    "ec2:DescribeAddresses",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
]
RECORDINGS_AND_INDEX = [f"{BUCKET_ARN}/recordings/*", f"{BUCKET_ARN}/index/recordings.json"]
DISTRIBUTION_PARAMETER = f"/privatecast/{STACK}/cloudfront/distribution"
DISTRIBUTION_PARAMETER_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{DISTRIBUTION_PARAMETER}"


def grants(
    actions: list[str], resources: list[str], condition: dict | None = None
) -> set[tuple[str, str, str]]:
    return {
        (action, resource, json.dumps(condition or {}, sort_keys=True))
        for action in actions
        for resource in resources
    }


# files/lambda/README.md, "AWS calls per function", written out: the exact grants expected.
EXPECTED_GRANTS = {
    "status": grants(MAINTENANCE_DESCRIBE, ["*"])
    | grants(["s3:ListBucket"], [BUCKET_ARN], {"StringLike": {"s3:prefix": "hls/*"}})
    | grants(
        ["ssm:GetParameter"],
        [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/privatecast/{STACK}/haproxy/certificate"],
    ),
    "servers": grants(["ec2:DescribeInstances"], ["*"])
    | grants(["ec2:StartInstances", "ec2:StopInstances"], [f"{EC2}:instance/*"], STACK_TAG),
    "session": grants(
        ["ssm:GetParameter"],
        [
            f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/privatecast/{STACK}/cloudfront/signing-key",
            DISTRIBUTION_PARAMETER_ARN,
        ],
    ),
    # + cloudfront:CreateInvalidation on the stack's distribution (its ARN is known only
    # once it exists: expected_grants adds it).
    "recordings": grants(["s3:ListBucket"], [BUCKET_ARN])
    | grants(["s3:GetObject", "s3:PutObject"], [f"{BUCKET_ARN}/index/recordings.json"])
    | grants(["s3:DeleteObject"], [f"{BUCKET_ARN}/recordings/*", f"{BUCKET_ARN}/hls/*/stream-*.ts"])
    | grants(["ssm:GetParameter"], [DISTRIBUTION_PARAMETER_ARN]),
    "archiver": grants(["s3:ListBucket"], [BUCKET_ARN])
    | grants(["s3:GetObject"], [f"{BUCKET_ARN}/hls/*"])
    | grants(["s3:GetObject", "s3:PutObject"], RECORDINGS_AND_INDEX),
    "housekeeping": grants(MAINTENANCE_DESCRIBE, ["*"])
    | grants(["ec2:StopInstances"], [f"{EC2}:instance/*"], STACK_TAG)
    # Closing only (tests/unit/test_role_policies.py evaluates it request by request).
    | grants(
        ["ec2:DeleteRoute"],
        [f"{EC2}:route-table/*"],
        stack_tag_and(privatecast_tier="private"),
    )
    | grants(["ec2:DeleteNetworkAclEntry"], [f"{EC2}:network-acl/*"], STACK_TAG)
    | grants(["ec2:ModifyInstanceAttribute", "ec2:DisassociateAddress"], [f"{EC2}:instance/*"], STACK_TAG)
    | grants(
        ["ec2:ModifyInstanceAttribute"],
        [f"{EC2}:security-group/*"],
        stack_tag_and(privatecast_sg=["owncast", "proxy"]),
    )
    | grants(
        ["ec2:DisassociateAddress", "ec2:ReleaseAddress"],
        [f"{EC2}:elastic-ip/*"],
        stack_tag_and(privatecast_component="maintenance"),
    )
    | grants(["ec2:DisassociateAddress"], [f"{EC2}:network-interface/*"])
    | grants(["route53resolver:ListFirewallDomainLists"], ["*"])
    | grants(
        ["route53resolver:ListFirewallDomains", "route53resolver:UpdateFirewallDomains"],
        [f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-domain-list/*"],
        STACK_TAG,
    )
    | grants(["s3:ListBucket"], [BUCKET_ARN])
    | grants(["s3:GetObject", "s3:PutObject"], RECORDINGS_AND_INDEX),
}


def own_log_grants(function: str) -> set[tuple[str, str, str]]:
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{STACK}-{function}:*"
    return grants(["logs:CreateLogStream", "logs:PutLogEvents"], [log_group])


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def granted(policy: dict[str, Any]) -> set[tuple[str, str, str]]:
    found = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        found |= grants(
            as_list(statement["Action"]), as_list(statement["Resource"]), statement.get("Condition")
        )
    return found


@dataclass
class Runs:
    first: PlaybookResult
    second: PlaybookResult
    zips_first: dict[str, bytes]
    zips_second: dict[str, bytes]
    server: MotoServer

    def client(self, service: str):
        return self.server.client(service, REGION)


@pytest.fixture(scope="module")
def runs(provisioned_stack: ProvisionedStack) -> Runs:
    first, second = provisioned_stack.first, provisioned_stack.second
    assert first.returncode == 0, first.stderr[-3000:] + json.dumps(first.output)[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    return Runs(
        first, second, provisioned_stack.zips_first, provisioned_stack.zips_second, provisioned_stack.server
    )


def test_second_run_changes_nothing(runs: Runs):
    assert runs.first.changed() > 0
    assert runs.second.changed() == 0, runs.second.changed_tasks()


def test_every_route_requires_the_cognito_jwt_authorizer(runs: Runs):
    apigw = runs.client("apigatewayv2")
    (api,) = [item for item in apigw.get_apis()["Items"] if item["Name"] == f"{STACK}-api"]
    pool_id = next(
        pool["Id"] for pool in runs.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    )
    (client,) = runs.client("cognito-idp").list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)[
        "UserPoolClients"
    ]
    integrations = {
        item["IntegrationId"]: item for item in apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    }

    routes = apigw.get_routes(ApiId=api["ApiId"])["Items"]

    assert {route["RouteKey"] for route in routes} == set(ROUTES)
    for route in routes:
        assert route["AuthorizationType"] == "JWT", route["RouteKey"]
        authorizer = apigw.get_authorizer(ApiId=api["ApiId"], AuthorizerId=route["AuthorizerId"])
        assert authorizer["AuthorizerType"] == "JWT"
        assert authorizer["JwtConfiguration"] == {
            "Issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
            "Audience": [client["ClientId"]],
        }
        integration = integrations[route["Target"].removeprefix("integrations/")]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        expected_function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-{ROUTES[route['RouteKey']]}"
        assert integration["IntegrationUri"] == expected_function
    stage = apigw.get_stage(ApiId=api["ApiId"], StageName="$default")
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 10
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 20


def test_api_gateway_may_invoke_each_function_only_for_its_routes(runs: Runs):
    api_id = next(item["ApiId"] for item in runs.client("apigatewayv2").get_apis()["Items"])
    prefix = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    for function in ("status", "servers", "session", "recordings"):
        policy = json.loads(runs.client("lambda").get_policy(FunctionName=f"{STACK}-{function}")["Policy"])
        source_arns = {
            statement["Condition"]["ArnLike"]["AWS:SourceArn"]
            for statement in policy["Statement"]
            if statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        }
        expected = {
            f"{prefix}/{key.split()[0]}{re.sub(r'{[^}]+}', '*', key.split()[1])}"
            for key, target in ROUTES.items()
            if target == function
        }
        assert source_arns == expected


def the_distribution(runs: Runs) -> dict[str, Any]:
    (distribution,) = runs.client("cloudfront").list_distributions()["DistributionList"]["Items"]
    return distribution


def test_each_function_role_allows_only_what_it_uses(runs: Runs):
    iam = runs.client("iam")
    invalidate = grants(["cloudfront:CreateInvalidation"], [the_distribution(runs)["ARN"]])
    for function in FUNCTIONS:
        configuration = runs.client("lambda").get_function_configuration(FunctionName=f"{STACK}-{function}")
        role_name = configuration["Role"].rsplit("/", 1)[1]
        assert role_name == f"{STACK}-lambda-{function}"
        assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
        names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        extra = [f"{role_name}-invalidate"] if function == "recordings" else []
        assert sorted(names) == sorted([role_name, *extra])
        found: set[tuple[str, str, str]] = set()
        for policy_name in names:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
            found |= granted(json.loads(document) if isinstance(document, str) else document)

        expected = EXPECTED_GRANTS[function] | (invalidate if function == "recordings" else set())
        assert found == expected | own_log_grants(function), function
        trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
        assert [statement["Principal"] for statement in trust["Statement"]] == [
            {"Service": "lambda.amazonaws.com"}
        ]


def test_functions_run_python_312_on_arm_with_their_settings(runs: Runs):
    for function in FUNCTIONS:
        configuration = runs.client("lambda").get_function_configuration(FunctionName=f"{STACK}-{function}")
        assert configuration["Runtime"] == "python3.12"
        assert configuration["Architectures"] == ["arm64"]
        environment = configuration["Environment"]["Variables"]
        assert environment["PRIVATECAST_STACK"] == STACK
        assert environment["PRIVATECAST_AWS_ENDPOINT_URL"] == runs.server.url
    session = runs.client("lambda").get_function_configuration(FunctionName=f"{STACK}-session")
    assert session["Environment"]["Variables"]["PRIVATECAST_SIGNING_KEY_PARAMETER"] == (
        f"/privatecast/{STACK}/cloudfront/signing-key"
    )


def test_functions_are_told_the_distribution_and_cookies_name_its_host(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 10: the session function signs for the distribution's domain, never "*", and
    learns it in the same run that creates the distribution. The deployed session code
    runs in-process (moto runs no Lambda) with the deployed function's environment."""
    distribution = the_distribution(runs)
    parameter = runs.client("ssm").get_parameter(Name=DISTRIBUTION_PARAMETER)["Parameter"]
    assert parameter["Type"] == "String"
    assert json.loads(parameter["Value"]) == {"host": distribution["DomainName"], "id": distribution["Id"]}
    told = "Tell the session and recordings functions the distribution and its viewer host"
    assert any(name.endswith(told) for name in runs.first.changed_tasks()), "learnt in the first run"

    environment = runs.client("lambda").get_function_configuration(FunctionName=f"{STACK}-session")
    for name, value in {**environment["Environment"]["Variables"], "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    assert "PRIVATECAST_PUBLIC_HOST" not in environment["Environment"]["Variables"]
    lambda_common = lambda_support.handler_module("lambda_common")
    api_session = lambda_support.handler_module("api_session")
    lambda_common.reset_clients()
    api_session.signing_key.cache_clear()
    try:
        viewer = lambda_support.claims("viewer-1", ["viewers"])
        response = api_session.handler(lambda_support.api_event("POST /api/session", viewer))
    finally:
        lambda_common.reset_clients()
        api_session.signing_key.cache_clear()
    assert response["statusCode"] == 200, response
    resources = set()
    for header in response["cookies"]:
        if header.startswith("CloudFront-Policy="):
            value = header.split(";", 1)[0].split("=", 1)[1]
            resources.add(cookie_signer.Policy.from_json(cookie_signer.cloudfront_b64decode(value)).resource)
    host = distribution["DomainName"]
    assert resources == {f"https://{host}/hls/*", f"https://{host}/recordings/*"}


def test_zips_are_byte_identical_across_runs_and_deployed_as_built(runs: Runs, tmp_path: Path):
    """What the role built and deployed is what the packager builds from each handler's
    imports for arm64 (tests/unit/test_lambda_zips.py runs those zips alone)."""
    assert runs.zips_first == runs.zips_second
    handlers = {function.name: function.handler for function in lambda_zip.functions()}
    assert set(runs.zips_first) == set(handlers)
    for function, content in runs.zips_first.items():
        expected = tmp_path / f"{function}.zip"
        lambda_zip.package(expected, handlers[function], architecture="arm64", python_version="3.12")
        assert content == expected.read_bytes(), function
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        deployed = runs.client("lambda").get_function_configuration(FunctionName=f"{STACK}-{function}")
        assert deployed["CodeSha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()


def test_archiver_gets_new_hls_objects_and_housekeeping_runs_on_schedule(runs: Runs):
    notification = runs.client("s3").get_bucket_notification_configuration(Bucket=f"{STACK}-video-{ACCOUNT}")
    (config,) = notification["LambdaFunctionConfigurations"]
    assert config["LambdaFunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-archiver"
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert {"Name": "Prefix", "Value": "hls/"} in config["Filter"]["Key"]["FilterRules"]
    archiver_policy = json.loads(runs.client("lambda").get_policy(FunctionName=f"{STACK}-archiver")["Policy"])
    (s3_statement,) = [
        item for item in archiver_policy["Statement"] if item["Principal"] == {"Service": "s3.amazonaws.com"}
    ]
    assert s3_statement["Condition"]["ArnLike"]["AWS:SourceArn"] == BUCKET_ARN
    assert s3_statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT

    events = runs.client("events")
    rule = events.describe_rule(Name=f"{STACK}-housekeeping")
    # The local inventory's schedule (inventory/local/group_vars/all/api.yml), not the default.
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    (target,) = events.list_targets_by_rule(Rule=f"{STACK}-housekeeping")["Targets"]
    assert target["Arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-housekeeping"
    housekeeping_policy = json.loads(
        runs.client("lambda").get_policy(FunctionName=f"{STACK}-housekeeping")["Policy"]
    )
    (event_statement,) = housekeeping_policy["Statement"]
    assert event_statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert event_statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]


def shown_passwords(result: PlaybookResult) -> dict[str, str]:
    (shown,) = result.task_results(SHOWN_ONCE_TASK)
    pairs = [line.split("  ", 1) for line in shown["msg"] if not line.startswith("!!!")]
    return dict(pairs)


def test_temporary_password_is_shown_once_and_never_again(runs: Runs):
    passwords = shown_passwords(runs.first)

    assert set(passwords) == {"admin@example.com", "viewer@example.com"}
    first_output = json.dumps(runs.first.output) + runs.first.stderr
    second_output = json.dumps(runs.second.output) + runs.second.stderr
    for password in passwords.values():
        assert len(password) >= 20
        assert first_output.count(json.dumps(password)[1:-1]) == 1
        assert json.dumps(password)[1:-1] not in second_output
    (skipped,) = runs.second.task_results(SHOWN_ONCE_TASK)
    assert skipped.get("skipped") is True
    users = runs.client("cognito-idp")
    pool_id = next(pool["Id"] for pool in users.list_user_pools(MaxResults=60)["UserPools"])
    for email in passwords:
        assert (
            users.admin_get_user(UserPoolId=pool_id, Username=email)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
        )
