#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apigatewayv2_http_api
short_description: Manage an API Gateway HTTP API whose every route is behind a JWT authorizer
version_added: 0.1.0
description:
  - Creates, updates or deletes an Amazon API Gateway v2 HTTP API that sends each route to a Lambda
    function (proxy integration, payload format 2.0).
  - Every route requires the API's JWT authorizer (for example a Cognito user pool and its app client).
    The module has no way to make an unauthenticated route, and it re-attaches the authorizer to a
    route that lost it.
  - The C($default) stage deploys automatically and throttles every route (rate and burst).
  - Each function gets a resource-policy statement that lets API Gateway invoke it for its own routes
    only (C(SourceArn) C(arn:aws:execute-api:<region>:<account>:<api id>/*/<method>/<path>), path
    parameters as C(*)).
  - Routes that are not listed are deleted, with their integrations and invoke permissions.
  - The API is found by its name; two HTTP APIs with the same name are an error.
author:
  - privatecast.streaming developers (@privatecast)
options:
  name:
    description: Name of the HTTP API.
    required: true
    type: str
  state:
    description: V(present) creates or updates the API; V(absent) deletes it and its invoke permissions.
    choices: [present, absent]
    default: present
    type: str
  description:
    description: Description of the API.
    type: str
    default: ""
  jwt_issuer:
    description:
      - Issuer URL of the JWT authorizer, for Cognito C(https://cognito-idp.<region>.amazonaws.com/<pool id>).
      - Required with O(state=present).
    type: str
  jwt_audience:
    description:
      - Accepted audiences, that is the app client ids (C(aud) of ID tokens, C(client_id) of access tokens).
      - Required with O(state=present).
    type: list
    elements: str
  authorizer_name:
    description: Name of the JWT authorizer.
    type: str
    default: jwt
  routes:
    description:
      - The routes, each sent to a Lambda function. Required with O(state=present), at least one.
    type: list
    elements: dict
    suboptions:
      route_key:
        description:
          - Method and path, for example V(GET /api/status) or V(DELETE /api/recordings/{id}).
          - V($default) is refused, because it would route every unknown path to a function.
        type: str
        required: true
      function_arn:
        description: ARN of the Lambda function (without qualifier) the route invokes.
        type: str
        required: true
  integration_timeout_ms:
    description: How long API Gateway waits for a function, 50 to 30000 milliseconds.
    type: int
    default: 10000
  throttling_rate_limit:
    description: Steady-state requests per second allowed on each route of the C($default) stage.
    type: float
    default: 10.0
  throttling_burst_limit:
    description: Burst of requests allowed on each route of the C($default) stage.
    type: int
    default: 20
notes:
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: The viewer API behind the Cognito user pool
  privatecast.streaming.apigatewayv2_http_api:
    name: privatecast-api
    jwt_issuer: "https://cognito-idp.eu-west-1.amazonaws.com/{{ pool_id }}"
    jwt_audience:
      - "{{ client_id }}"
    routes:
      - route_key: GET /api/status
        function_arn: "{{ status_function_arn }}"
      - route_key: DELETE /api/recordings/{id}
        function_arn: "{{ recordings_function_arn }}"
    throttling_rate_limit: 5
    throttling_burst_limit: 10
    tags:
      privatecast:stack: privatecast
  register: api

- name: Delete the API
  privatecast.streaming.apigatewayv2_http_api:
    name: privatecast-api
    state: absent
"""

RETURN = r"""
api:
  description: The API. Empty after O(state=absent); without ids in check mode before it exists.
  returned: always
  type: dict
  contains:
    id:
      description: API id.
      type: str
      sample: a1b2c3d4e5
    name:
      description: API name.
      type: str
    endpoint:
      description: Default endpoint of the API.
      type: str
      sample: https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com
    execution_arn:
      description: Prefix of the ARNs API Gateway invokes functions with.
      type: str
      sample: arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5
    authorizer_id:
      description: Id of the JWT authorizer.
      type: str
    stage:
      description: Name of the auto-deployed stage.
      type: str
      sample: $default
    routes:
      description: Every route, with the authorization it requires.
      type: list
      elements: dict
      contains:
        route_key:
          description: Method and path.
          type: str
        route_id:
          description: Route id.
          type: str
        function_arn:
          description: The function the route invokes.
          type: str
        authorization_type:
          description: Always V(JWT).
          type: str
        authorizer_id:
          description: The JWT authorizer's id.
          type: str
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

try:
    import botocore
    import botocore.session
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    apply_unless_checking,
    differs,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import tag_changes

STAGE_NAME = "$default"
IDENTITY_SOURCE = ["$request.header.Authorization"]
ROUTE_KEY_PATTERN = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (/[A-Za-z0-9._~{}+/-]*)$")
FUNCTION_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)$")
PATH_PARAMETER = re.compile(r"\{[^/}]+\}")
INVOKE_PRINCIPAL = "apigateway.amazonaws.com"
INVOKE_ACTION = "lambda:InvokeFunction"


# --- pure helpers -------------------------------------------------------------------------------


def account_of(function_arn: str) -> str:
    match = FUNCTION_ARN_PATTERN.match(function_arn)
    return match.group(2) if match else ""


def partition_of(region: str) -> str:
    """The ARN partition of a region: aws, aws-cn, aws-us-gov, ..."""
    return botocore.session.get_session().get_partition_for_region(region)


def execution_arn(region: str, account: str, api_id: str) -> str:
    return f"arn:{partition_of(region)}:execute-api:{region}:{account}:{api_id}"


def route_source_arn(api_execution_arn: str, route_key: str) -> str:
    """The ARN API Gateway invokes with for this route, on any stage; path parameters match anything."""
    method, path = route_key.split(" ", 1)
    resource = PATH_PARAMETER.sub("*", path)
    return f"{api_execution_arn}/*/{'*' if method == 'ANY' else method}{resource}"


def statement_prefix(api_id: str) -> str:
    return f"privatecast-apigw-{api_id}-"


def statement_id(api_id: str, route_key: str) -> str:
    return statement_prefix(api_id) + hashlib.sha256(route_key.encode()).hexdigest()[:16]


def desired_authorizer(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": params["authorizer_name"],
        "AuthorizerType": "JWT",
        "IdentitySource": IDENTITY_SOURCE,
        "JwtConfiguration": {"Issuer": params["jwt_issuer"], "Audience": sorted(params["jwt_audience"])},
    }


def desired_integration(params: dict[str, Any], function_arn: str) -> dict[str, Any]:
    return {
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": function_arn,
        "IntegrationMethod": "POST",
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": params["integration_timeout_ms"],
    }


def desired_stage(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "AutoDeploy": True,
        "DefaultRouteSettings": {
            "ThrottlingRateLimit": float(params["throttling_rate_limit"]),
            "ThrottlingBurstLimit": params["throttling_burst_limit"],
        },
    }


class HttpApiError(Exception):
    """The API cannot be managed as asked; the message is the module's failure."""


def params_problem(params: dict[str, Any]) -> str | None:
    """Why the options cannot work, or None (the first problem, in the order they are checked)."""
    if params["state"] == "absent":
        return None
    checks = (
        (not params["routes"], lambda: "routes: at least one route is required."),
        (
            not params["jwt_audience"],
            lambda: "jwt_audience: at least one audience (the app client id) is required.",
        ),
        (
            not params["jwt_issuer"].startswith("https://"),
            lambda: f"jwt_issuer must be an https:// URL, not '{params['jwt_issuer']}'.",
        ),
    )
    for failed, message in checks:
        if failed:
            return message()
    return routes_problem(params["routes"]) or limits_problem(params)


def limits_problem(params: dict[str, Any]) -> str | None:
    if not 50 <= params["integration_timeout_ms"] <= 30000:
        return "integration_timeout_ms must be between 50 and 30000."
    if params["throttling_rate_limit"] <= 0 or params["throttling_burst_limit"] <= 0:
        return "throttling_rate_limit and throttling_burst_limit must be positive."
    return None


def routes_problem(routes: list[dict[str, Any]]) -> str | None:
    seen = set()
    for route in routes:
        key = route["route_key"]
        if not ROUTE_KEY_PATTERN.match(key):
            return (
                f"routes: '{key}' is not '<METHOD> /<path>'; every route is explicit and behind the "
                "JWT authorizer ($default and catch-all keys are refused)."
            )
        if key in seen:
            return f"routes: '{key}' is listed twice."
        seen.add(key)
        if not FUNCTION_ARN_PATTERN.match(route["function_arn"]):
            return f"routes: '{route['function_arn']}' of '{key}' is not an unqualified Lambda ARN."
    return None


# --- describe -----------------------------------------------------------------------------------


def find_api(client: Any, name: str) -> dict[str, Any] | None:
    matches = [
        api
        for api in paginate(client, "get_apis", "Items")
        if api["Name"] == name and api["ProtocolType"] == "HTTP"
    ]
    if len(matches) > 1:
        ids = ", ".join(api["ApiId"] for api in matches)
        raise HttpApiError(f"{len(matches)} HTTP APIs are named '{name}': {ids}; keep one.")
    return matches[0] if matches else None


def function_policy(lambda_client: Any, function_arn: str) -> list[dict[str, Any]]:
    try:
        policy = lambda_client.get_policy(FunctionName=function_arn)["Policy"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return []
    return json.loads(policy).get("Statement", [])


def statement_matches(statement: dict[str, Any], source_arn: str) -> bool:
    principal = statement.get("Principal", {})
    service = principal.get("Service") if isinstance(principal, dict) else principal
    condition = statement.get("Condition", {}).get("ArnLike", {})
    return (
        statement.get("Effect") == "Allow"
        and service == INVOKE_PRINCIPAL
        and statement.get("Action") == INVOKE_ACTION
        and condition.get("AWS:SourceArn") == source_arn
    )


def find_authorizer(
    client: Any, api_id: str, routes: list[dict[str, Any]], name: str
) -> dict[str, Any] | None:
    """The authorizer the routes use (one call per authorizer, not a listing); the listing is
    only needed when no route uses one yet."""
    for authorizer_id in sorted({route["AuthorizerId"] for route in routes if route.get("AuthorizerId")}):
        authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
        if authorizer.get("Name") == name:
            return authorizer
    found = [
        item for item in paginate(client, "get_authorizers", "Items", ApiId=api_id) if item["Name"] == name
    ]
    return found[0] if found else None


@dataclass(frozen=True)
class ApiState:
    """The API as it is (api None: it does not exist, nor anything in it)."""

    api: dict[str, Any] | None
    routes: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[dict[str, Any]] = field(default_factory=list)
    authorizer: dict[str, Any] | None = None
    stage: dict[str, Any] | None = None
    # Statements of each function the API uses or is to use (only for an existing API).
    statements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def api_id(self) -> str | None:
        return self.api["ApiId"] if self.api else None

    @property
    def previous_functions(self) -> set[str]:
        return {item["IntegrationUri"] for item in self.integrations if item.get("IntegrationUri")}


def describe_api(client: Any, lambda_client: Any, params: dict[str, Any], present: bool) -> ApiState:
    api = find_api(client, params["name"])
    if api is None:
        return ApiState(None)
    api_id = api["ApiId"]
    integrations = paginate(client, "get_integrations", "Items", ApiId=api_id)
    routes = paginate(client, "get_routes", "Items", ApiId=api_id) if present else []
    previous = {item["IntegrationUri"] for item in integrations if item.get("IntegrationUri")}
    wanted = {route["function_arn"] for route in params["routes"] or []} if present else set()
    stages = paginate(client, "get_stages", "Items", ApiId=api_id) if present else []
    return ApiState(
        api=api,
        routes=routes,
        integrations=integrations,
        authorizer=find_authorizer(client, api_id, routes, params["authorizer_name"]) if present else None,
        stage=next((stage for stage in stages if stage["StageName"] == STAGE_NAME), None),
        statements={arn: function_policy(lambda_client, arn) for arn in sorted(previous | wanted)},
    )


# --- actions ------------------------------------------------------------------------------------


@dataclass
class Applier:
    """The clients, the region, and the ids of what the plan made (result.values: api_id,
    authorizer_id, integration:<function ARN>)."""

    client: Any
    lambda_client: Any
    region: str
    result: ApplyResult = field(default_factory=ApplyResult)

    @property
    def api_id(self) -> str:
        return self.result.values["api_id"]


@dataclass(frozen=True)
class CreateApi(Action):
    kind: ClassVar[str] = "create_api"
    description: str
    name: str
    api_description: str
    tags: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        created = applier.client.create_api(
            Name=self.name, ProtocolType="HTTP", Description=self.api_description, Tags=self.tags
        )
        applier.result.values["api_id"] = created["ApiId"]


@dataclass(frozen=True)
class UpdateApiDescription(Action):
    kind: ClassVar[str] = "update_api"
    description: str
    api_description: str

    def apply(self, applier: Applier) -> None:
        applier.client.update_api(ApiId=applier.api_id, Description=self.api_description)


@dataclass(frozen=True)
class TagApi(Action):
    kind: ClassVar[str] = "tag_api"
    description: str
    arn: str
    to_set: dict[str, Any]
    to_remove: list[str]

    def apply(self, applier: Applier) -> None:
        if self.to_set:
            applier.client.tag_resource(ResourceArn=self.arn, Tags=self.to_set)
        if self.to_remove:
            applier.client.untag_resource(ResourceArn=self.arn, TagKeys=self.to_remove)


@dataclass(frozen=True)
class PutAuthorizer(Action):
    """Create the authorizer (authorizer_id None) or update it."""

    kind: ClassVar[str] = "put_authorizer"
    description: str
    authorizer_id: str | None
    after: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        if self.authorizer_id is None:
            created = applier.client.create_authorizer(ApiId=applier.api_id, **self.after)
            applier.result.values["authorizer_id"] = created["AuthorizerId"]
        else:
            applier.client.update_authorizer(
                ApiId=applier.api_id, AuthorizerId=self.authorizer_id, **self.after
            )


@dataclass(frozen=True)
class PutIntegration(Action):
    """Create the function's integration (integration_id None) or update it."""

    kind: ClassVar[str] = "put_integration"
    description: str
    function_arn: str
    integration_id: str | None
    after: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        if self.integration_id is None:
            created = applier.client.create_integration(ApiId=applier.api_id, **self.after)
            applier.result.values[f"integration:{self.function_arn}"] = created["IntegrationId"]
        else:
            applier.client.update_integration(
                ApiId=applier.api_id, IntegrationId=self.integration_id, **self.after
            )


@dataclass(frozen=True)
class PutRoute(Action):
    """Create the route (route_id None) or update it: JWT through the authorizer, to the
    function's integration (ids made earlier in the plan come from the applier)."""

    kind: ClassVar[str] = "put_route"
    description: str
    route_key: str
    route_id: str | None
    authorizer_id: str | None
    function_arn: str
    integration_id: str | None

    def apply(self, applier: Applier) -> None:
        values = applier.result.values
        integration_id = self.integration_id or values[f"integration:{self.function_arn}"]
        settings = route_settings(self.authorizer_id or values["authorizer_id"], integration_id)
        if self.route_id is None:
            applier.client.create_route(ApiId=applier.api_id, RouteKey=self.route_key, **settings)
        else:
            applier.client.update_route(ApiId=applier.api_id, RouteId=self.route_id, **settings)


@dataclass(frozen=True)
class DeleteRoute(Action):
    kind: ClassVar[str] = "delete_route"
    description: str
    route_id: str

    def apply(self, applier: Applier) -> None:
        applier.client.delete_route(ApiId=applier.api_id, RouteId=self.route_id)


@dataclass(frozen=True)
class DeleteIntegration(Action):
    kind: ClassVar[str] = "delete_integration"
    description: str
    integration_id: str

    def apply(self, applier: Applier) -> None:
        applier.client.delete_integration(ApiId=applier.api_id, IntegrationId=self.integration_id)


@dataclass(frozen=True)
class PutStage(Action):
    kind: ClassVar[str] = "put_stage"
    description: str
    exists: bool
    after: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        call = applier.client.update_stage if self.exists else applier.client.create_stage
        call(ApiId=applier.api_id, StageName=STAGE_NAME, **self.after)


@dataclass(frozen=True)
class RemovePermission(Action):
    kind: ClassVar[str] = "remove_permission"
    description: str
    function_arn: str
    statement_id: str

    def apply(self, applier: Applier) -> None:
        applier.lambda_client.remove_permission(FunctionName=self.function_arn, StatementId=self.statement_id)


@dataclass(frozen=True)
class AddPermission(Action):
    """Let the API invoke the function for one route (the statement id and source ARN name
    the API, so they are made once its id is known)."""

    kind: ClassVar[str] = "add_permission"
    description: str
    function_arn: str
    route_key: str

    def apply(self, applier: Applier) -> None:
        api_id = applier.api_id
        arn = execution_arn(applier.region, account_of(self.function_arn), api_id)
        applier.lambda_client.add_permission(
            FunctionName=self.function_arn,
            StatementId=statement_id(api_id, self.route_key),
            Action=INVOKE_ACTION,
            Principal=INVOKE_PRINCIPAL,
            SourceArn=route_source_arn(arn, self.route_key),
        )


@dataclass(frozen=True)
class DeleteApi(Action):
    kind: ClassVar[str] = "delete_api"
    description: str

    def apply(self, applier: Applier) -> None:
        applier.client.delete_api(ApiId=applier.api_id)


# --- plan ---------------------------------------------------------------------------------------


def route_settings(authorizer_id: str | None, integration_id: str | None) -> dict[str, Any]:
    return {
        "AuthorizationType": "JWT",
        "AuthorizerId": authorizer_id,
        "Target": f"integrations/{integration_id}",
    }


def route_map(routes: list[dict[str, Any]], integrations: list[dict[str, Any]]) -> dict[str, str]:
    uris = {item["IntegrationId"]: item.get("IntegrationUri") for item in integrations}
    return {
        route["RouteKey"]: uris.get(route.get("Target", "").replace("integrations/", "")) for route in routes
    }


@dataclass
class Diff:
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def plan_api(state: ApiState, params: dict[str, Any], region: str, diff: Diff) -> list[Action]:
    name, description, tags = params["name"], params["description"], params["tags"]
    api = state.api
    if api is None:
        return [CreateApi(f"create HTTP API {name}", name, description, tags or {})]
    actions: list[Action] = []
    if api.get("Description", "") != description:
        actions.append(UpdateApiDescription(f"update the description of {name}", description))
    if tags is not None:
        current = api.get("Tags", {})
        diff.before["tags"], diff.after["tags"] = current, tags
        to_set, to_remove = tag_changes(current, tags, params["purge_tags"])
        if to_set or to_remove:
            arn = f"arn:{partition_of(region)}:apigateway:{region}::/apis/{api['ApiId']}"
            actions.append(TagApi(f"tag HTTP API {name}", arn, to_set, to_remove))
    return actions


def plan_authorizer(state: ApiState, params: dict[str, Any], diff: Diff) -> list[Action]:
    desired = desired_authorizer(params)
    diff.after["authorizer"] = desired
    current = state.authorizer
    if current is None:
        return [PutAuthorizer(f"create authorizer {desired['Name']}", None, desired)]
    diff.before["authorizer"] = {key: current.get(key) for key in desired}
    if not differs(desired, current):
        return []
    return [PutAuthorizer(f"update authorizer {desired['Name']}", current["AuthorizerId"], desired)]


def integration_ids(state: ApiState) -> dict[str, str]:
    return {
        item["IntegrationUri"]: item["IntegrationId"]
        for item in state.integrations
        if item.get("IntegrationType") == "AWS_PROXY"
    }


def plan_integrations(state: ApiState, params: dict[str, Any]) -> list[Action]:
    by_uri = {
        item["IntegrationUri"]: item
        for item in state.integrations
        if item.get("IntegrationType") == "AWS_PROXY"
    }
    actions: list[Action] = []
    for function_arn in sorted({route["function_arn"] for route in params["routes"]}):
        desired = desired_integration(params, function_arn)
        existing = by_uri.get(function_arn)
        if existing is None:
            actions.append(
                PutIntegration(f"add the integration of {function_arn}", function_arn, None, desired)
            )
        elif differs(desired, existing):
            actions.append(
                PutIntegration(
                    f"update the integration of {function_arn}",
                    function_arn,
                    existing["IntegrationId"],
                    desired,
                )
            )
    return actions


def plan_routes(state: ApiState, params: dict[str, Any]) -> list[Action]:
    authorizer_id = state.authorizer["AuthorizerId"] if state.authorizer else None
    integrations = integration_ids(state)
    by_key = {route["RouteKey"]: route for route in state.routes}
    actions: list[Action] = []
    for route in params["routes"]:
        key, function_arn = route["route_key"], route["function_arn"]
        integration_id = integrations.get(function_arn)
        existing = by_key.get(key)
        if existing is None:
            actions.append(
                PutRoute(f"add route {key}", key, None, authorizer_id, function_arn, integration_id)
            )
        elif (
            authorizer_id is None
            or integration_id is None
            or differs(route_settings(authorizer_id, integration_id), existing)
        ):
            actions.append(
                PutRoute(
                    f"update route {key}",
                    key,
                    existing["RouteId"],
                    authorizer_id,
                    function_arn,
                    integration_id,
                )
            )
    wanted = {route["route_key"] for route in params["routes"]}
    actions += [
        DeleteRoute(f"delete route {key}", route["RouteId"])
        for key, route in by_key.items()
        if key not in wanted
    ]
    return actions


def plan_unused_integrations(state: ApiState, params: dict[str, Any]) -> list[Action]:
    wanted = {route["function_arn"] for route in params["routes"]}
    return [
        DeleteIntegration(f"delete the integration of {item.get('IntegrationUri')}", item["IntegrationId"])
        for item in state.integrations
        if item.get("IntegrationUri") not in wanted
    ]


def plan_stage(state: ApiState, params: dict[str, Any], diff: Diff) -> list[Action]:
    desired = desired_stage(params)
    diff.after["stage"] = desired
    current = state.stage
    if current is None:
        return [PutStage(f"create stage {STAGE_NAME}", False, desired)]
    diff.before["stage"] = {key: current.get(key) for key in desired}
    return [PutStage(f"update stage {STAGE_NAME}", True, desired)] if differs(desired, current) else []


def plan_permissions(state: ApiState, routes: list[dict[str, Any]], region: str) -> list[Action]:
    """One statement per route on its function; stale statements of this API are removed from
    every function the API used before or uses now."""
    api_id = state.api_id
    desired: dict[str, dict[str, tuple[str, str]]] = {}
    for route in routes:
        arn = execution_arn(region, account_of(route["function_arn"]), api_id or "<new>")
        sid = statement_id(api_id or "<new>", route["route_key"])
        source = route_source_arn(arn, route["route_key"])
        desired.setdefault(route["function_arn"], {})[sid] = (route["route_key"], source)
    actions: list[Action] = []
    for function_arn in sorted(state.previous_functions | set(desired)):
        wanted = desired.get(function_arn, {})
        statements = state.statements.get(function_arn, []) if api_id else []
        ours = {
            item["Sid"]: item
            for item in statements
            if item.get("Sid", "").startswith(statement_prefix(api_id))
        }
        for sid, statement in ours.items():
            if sid not in wanted or not statement_matches(statement, wanted[sid][1]):
                actions.append(
                    RemovePermission(f"remove permission {sid} from {function_arn}", function_arn, sid)
                )
        for sid, (route_key, source_arn) in wanted.items():
            if sid not in ours or not statement_matches(ours[sid], source_arn):
                actions.append(
                    AddPermission(f"let {route_key} invoke {function_arn}", function_arn, route_key)
                )
    return actions


def plan_present(state: ApiState, params: dict[str, Any], region: str) -> Plan:
    diff = Diff()
    actions = plan_api(state, params, region, diff)
    diff.before["routes"] = route_map(state.routes, state.integrations)
    diff.after["routes"] = {route["route_key"]: route["function_arn"] for route in params["routes"]}
    actions += plan_authorizer(state, params, diff)
    actions += plan_integrations(state, params)
    actions += plan_routes(state, params)
    actions += plan_unused_integrations(state, params)
    actions += plan_stage(state, params, diff)
    actions += plan_permissions(state, params["routes"], region)
    return Plan(params["name"], tuple(actions), diff.before, diff.after)


def plan_absent(state: ApiState, params: dict[str, Any], region: str) -> Plan:
    if state.api is None:
        return Plan(params["name"], (), None, None)
    actions = plan_permissions(state, [], region)
    actions.append(DeleteApi(f"delete HTTP API {params['name']}"))
    return Plan(params["name"], tuple(actions), {"api": state.api_id}, {})


# --- result -------------------------------------------------------------------------------------


def summary(client: Any, params: dict[str, Any], region: str, api_id: str | None) -> dict[str, Any]:
    if api_id is None:
        return {"name": params["name"], "routes": []}
    api = client.get_api(ApiId=api_id)
    integrations = {
        item["IntegrationId"]: item for item in paginate(client, "get_integrations", "Items", ApiId=api_id)
    }
    routes = []
    for route in sorted(
        paginate(client, "get_routes", "Items", ApiId=api_id), key=lambda item: item["RouteKey"]
    ):
        integration = integrations.get(route.get("Target", "").replace("integrations/", ""), {})
        routes.append(
            {
                "route_key": route["RouteKey"],
                "route_id": route["RouteId"],
                "function_arn": integration.get("IntegrationUri"),
                "authorization_type": route.get("AuthorizationType"),
                "authorizer_id": route.get("AuthorizerId"),
            }
        )
    account = account_of(params["routes"][0]["function_arn"])
    return {
        "id": api_id,
        "name": api["Name"],
        "endpoint": api.get("ApiEndpoint"),
        "execution_arn": execution_arn(region, account, api_id),
        "authorizer_id": routes[0]["authorizer_id"] if routes else None,
        "stage": STAGE_NAME,
        "routes": routes,
    }


def ensure(params: dict[str, Any], applier: Applier, check_mode: bool) -> dict[str, Any]:
    present = params["state"] == "present"
    state = describe_api(applier.client, applier.lambda_client, params, present)
    if state.api_id:
        applier.result.values["api_id"] = state.api_id
    plan = (plan_present if present else plan_absent)(state, params, applier.region)
    apply_unless_checking(plan, applier, check_mode)
    if not present:
        result: dict[str, Any] = {"changed": plan.changed, "api": {}}
    else:
        api_id = applier.result.values.get("api_id")
        result = {"changed": plan.changed, "api": summary(applier.client, params, applier.region, api_id)}
    if plan.before is not None:
        result["diff"] = plan.diff
    return result


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str", default=""),
        jwt_issuer=dict(type="str"),
        jwt_audience=dict(type="list", elements="str"),
        authorizer_name=dict(type="str", default="jwt"),
        routes=dict(
            type="list",
            elements="dict",
            options=dict(
                route_key=dict(type="str", required=True, no_log=False),
                function_arn=dict(type="str", required=True),
            ),
        ),
        integration_timeout_ms=dict(type="int", default=10000),
        throttling_rate_limit=dict(type="float", default=10.0),
        throttling_burst_limit=dict(type="int", default=20),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["jwt_issuer", "jwt_audience", "routes"])],
    )
    problem = params_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    applier = Applier(
        retrying_client(module, "apigatewayv2"), retrying_client(module, "lambda"), module.region
    )
    try:
        result = ensure(module.params, applier, module.check_mode)
    except HttpApiError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage HTTP API '{module.params['name']}'")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
