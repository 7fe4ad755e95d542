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
from typing import Any

try:
    import botocore
    import botocore.session
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

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


def differs(desired: Any, current: Any) -> bool:
    """True when a key set in desired has another value in current (extra keys in current are fine)."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return True
        return any(differs(value, current.get(key)) for key, value in desired.items())
    if isinstance(desired, list):
        return sorted(desired) != sorted(current or [])
    if isinstance(desired, float) and isinstance(current, (int, float)):
        return desired != float(current)
    return desired != current


def validate_params(module: AnsibleAWSModule) -> None:
    params = module.params
    if params["state"] == "absent":
        return
    if not params["routes"]:
        module.fail_json(msg="routes: at least one route is required.")
    if not params["jwt_audience"]:
        module.fail_json(msg="jwt_audience: at least one audience (the app client id) is required.")
    if not params["jwt_issuer"].startswith("https://"):
        module.fail_json(msg=f"jwt_issuer must be an https:// URL, not '{params['jwt_issuer']}'.")
    seen = set()
    for route in params["routes"]:
        key = route["route_key"]
        if not ROUTE_KEY_PATTERN.match(key):
            module.fail_json(
                msg=f"routes: '{key}' is not '<METHOD> /<path>'; every route is explicit and behind the "
                "JWT authorizer ($default and catch-all keys are refused)."
            )
        if key in seen:
            module.fail_json(msg=f"routes: '{key}' is listed twice.")
        seen.add(key)
        if not FUNCTION_ARN_PATTERN.match(route["function_arn"]):
            module.fail_json(
                msg=f"routes: '{route['function_arn']}' of '{key}' is not an unqualified Lambda ARN."
            )
    if not 50 <= params["integration_timeout_ms"] <= 30000:
        module.fail_json(msg="integration_timeout_ms must be between 50 and 30000.")
    if params["throttling_rate_limit"] <= 0 or params["throttling_burst_limit"] <= 0:
        module.fail_json(msg="throttling_rate_limit and throttling_burst_limit must be positive.")


# --- AWS calls ----------------------------------------------------------------------------------


@AWSRetry.jittered_backoff()
def paginated(client, operation: str, **params: Any) -> list[dict[str, Any]]:
    return client.get_paginator(operation).paginate(**params).build_full_result().get("Items", [])


def find_api(module: AnsibleAWSModule, client) -> dict[str, Any] | None:
    name = module.params["name"]
    matches = [
        api for api in paginated(client, "get_apis") if api["Name"] == name and api["ProtocolType"] == "HTTP"
    ]
    if len(matches) > 1:
        ids = ", ".join(api["ApiId"] for api in matches)
        module.fail_json(msg=f"{len(matches)} HTTP APIs are named '{name}': {ids}; keep one.")
    return matches[0] if matches else None


def function_policy(lambda_client, function_arn: str) -> list[dict[str, Any]]:
    try:
        policy = lambda_client.get_policy(FunctionName=function_arn, aws_retry=True)["Policy"]
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


# --- ensure -------------------------------------------------------------------------------------


class HttpApiManager:
    def __init__(self, module: AnsibleAWSModule) -> None:
        self.module = module
        self.params = module.params
        self.client = module.client("apigatewayv2", retry_decorator=AWSRetry.jittered_backoff())
        self.lambda_client = module.client("lambda", retry_decorator=AWSRetry.jittered_backoff())
        self.changed = False
        self.diff: dict[str, dict[str, Any]] = {"before": {}, "after": {}}

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    def change(self) -> bool:
        """Records a change; True when it may be made (not in check mode)."""
        self.changed = True
        return not self.check_mode

    # API and tags

    def ensure_api(self, api: dict[str, Any] | None) -> dict[str, Any] | None:
        tags = self.params["tags"]
        if api is None:
            if not self.change():
                return None
            return self.client.create_api(
                Name=self.params["name"],
                ProtocolType="HTTP",
                Description=self.params["description"],
                Tags=tags or {},
                aws_retry=True,
            )
        if api.get("Description", "") != self.params["description"] and self.change():
            self.client.update_api(ApiId=api["ApiId"], Description=self.params["description"], aws_retry=True)
        self.ensure_tags(api)
        return api

    def ensure_tags(self, api: dict[str, Any]) -> None:
        wanted = self.params["tags"]
        if wanted is None:
            return
        current = api.get("Tags", {})
        arn = f"arn:{partition_of(self.module.region)}:apigateway:{self.module.region}::/apis/{api['ApiId']}"
        missing = {key: value for key, value in wanted.items() if current.get(key) != value}
        extra = [key for key in current if key not in wanted] if self.params["purge_tags"] else []
        self.diff["before"]["tags"], self.diff["after"]["tags"] = current, wanted
        if missing and self.change():
            self.client.tag_resource(ResourceArn=arn, Tags=missing, aws_retry=True)
        if extra and self.change():
            self.client.untag_resource(ResourceArn=arn, TagKeys=extra, aws_retry=True)

    # authorizer

    def find_authorizer(self, api_id: str, routes: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The authorizer the routes use (one call per authorizer, not a listing); the listing is
        only needed when no route uses one yet."""
        name = self.params["authorizer_name"]
        for authorizer_id in sorted({route["AuthorizerId"] for route in routes if route.get("AuthorizerId")}):
            authorizer = self.client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id, aws_retry=True)
            if authorizer.get("Name") == name:
                return authorizer
        found = [
            item for item in paginated(self.client, "get_authorizers", ApiId=api_id) if item["Name"] == name
        ]
        return found[0] if found else None

    def ensure_authorizer(
        self, api_id: str | None, routes: list[dict[str, Any]], api_is_new: bool
    ) -> str | None:
        desired = desired_authorizer(self.params)
        current = None if api_is_new or api_id is None else self.find_authorizer(api_id, routes)
        self.diff["after"]["authorizer"] = desired
        if current is None:
            if not self.change():
                return None
            return self.client.create_authorizer(ApiId=api_id, **desired, aws_retry=True)["AuthorizerId"]
        self.diff["before"]["authorizer"] = {key: current.get(key) for key in desired}
        if differs(desired, current) and self.change():
            self.client.update_authorizer(
                ApiId=api_id, AuthorizerId=current["AuthorizerId"], **desired, aws_retry=True
            )
        return current["AuthorizerId"]

    # integrations and routes

    def ensure_integrations(self, api_id: str | None, current: list[dict[str, Any]]) -> dict[str, str | None]:
        """Integration id per function ARN (None in check mode for one still to create)."""
        by_uri = {
            item["IntegrationUri"]: item for item in current if item.get("IntegrationType") == "AWS_PROXY"
        }
        ids: dict[str, str | None] = {}
        for function_arn in sorted({route["function_arn"] for route in self.params["routes"]}):
            desired = desired_integration(self.params, function_arn)
            existing = by_uri.get(function_arn)
            if existing is None:
                ids[function_arn] = None
                if self.change():
                    created = self.client.create_integration(ApiId=api_id, **desired, aws_retry=True)
                    ids[function_arn] = created["IntegrationId"]
                continue
            ids[function_arn] = existing["IntegrationId"]
            if differs(desired, existing) and self.change():
                self.client.update_integration(
                    ApiId=api_id, IntegrationId=existing["IntegrationId"], **desired, aws_retry=True
                )
        return ids

    def ensure_routes(
        self,
        api_id: str | None,
        current: list[dict[str, Any]],
        authorizer_id: str | None,
        integration_ids: dict[str, str | None],
    ) -> None:
        by_key = {route["RouteKey"]: route for route in current}
        for route in self.params["routes"]:
            integration_id = integration_ids[route["function_arn"]]
            desired = {
                "AuthorizationType": "JWT",
                "AuthorizerId": authorizer_id,
                "Target": f"integrations/{integration_id}",
            }
            existing = by_key.get(route["route_key"])
            if existing is None:
                if self.change():
                    self.client.create_route(
                        ApiId=api_id, RouteKey=route["route_key"], **desired, aws_retry=True
                    )
            elif differs(desired, existing) and self.change():
                self.client.update_route(ApiId=api_id, RouteId=existing["RouteId"], **desired, aws_retry=True)
        wanted = {route["route_key"] for route in self.params["routes"]}
        for key, route in by_key.items():
            if key not in wanted and self.change():
                self.client.delete_route(ApiId=api_id, RouteId=route["RouteId"], aws_retry=True)

    def delete_unused_integrations(self, api_id: str, current: list[dict[str, Any]]) -> None:
        wanted = {route["function_arn"] for route in self.params["routes"]}
        for integration in current:
            if integration.get("IntegrationUri") not in wanted and self.change():
                self.client.delete_integration(
                    ApiId=api_id, IntegrationId=integration["IntegrationId"], aws_retry=True
                )

    # stage

    def ensure_stage(self, api_id: str | None, api_is_new: bool) -> None:
        desired = desired_stage(self.params)
        stages = [] if api_is_new or api_id is None else paginated(self.client, "get_stages", ApiId=api_id)
        current = next((stage for stage in stages if stage["StageName"] == STAGE_NAME), None)
        self.diff["after"]["stage"] = desired
        if current is None:
            if self.change():
                self.client.create_stage(ApiId=api_id, StageName=STAGE_NAME, **desired, aws_retry=True)
            return
        self.diff["before"]["stage"] = {key: current.get(key) for key in desired}
        if differs(desired, current) and self.change():
            self.client.update_stage(ApiId=api_id, StageName=STAGE_NAME, **desired, aws_retry=True)

    # invoke permissions

    def ensure_permissions(self, api_id: str | None, previous_functions: set[str]) -> None:
        """One statement per route on its function; stale statements of this API are removed from
        every function the API used before or uses now."""
        desired: dict[str, dict[str, str]] = {}
        for route in self.params["routes"]:
            arn = execution_arn(self.module.region, account_of(route["function_arn"]), api_id or "<new>")
            sid = statement_id(api_id or "<new>", route["route_key"])
            desired.setdefault(route["function_arn"], {})[sid] = route_source_arn(arn, route["route_key"])
        for function_arn in sorted(previous_functions | set(desired)):
            wanted = desired.get(function_arn, {})
            statements = function_policy(self.lambda_client, function_arn) if api_id else []
            ours = {
                item["Sid"]: item
                for item in statements
                if item.get("Sid", "").startswith(statement_prefix(api_id))
            }
            for sid, statement in ours.items():
                if (sid not in wanted or not statement_matches(statement, wanted[sid])) and self.change():
                    self.lambda_client.remove_permission(
                        FunctionName=function_arn, StatementId=sid, aws_retry=True
                    )
            for sid, source_arn in wanted.items():
                if sid in ours and statement_matches(ours[sid], source_arn):
                    continue
                if self.change():
                    self.lambda_client.add_permission(
                        FunctionName=function_arn,
                        StatementId=sid,
                        Action=INVOKE_ACTION,
                        Principal=INVOKE_PRINCIPAL,
                        SourceArn=source_arn,
                        aws_retry=True,
                    )

    # result

    def summary(self, api_id: str | None) -> dict[str, Any]:
        if api_id is None:
            return {"name": self.params["name"], "routes": []}
        api = self.client.get_api(ApiId=api_id, aws_retry=True)
        integrations = {
            item["IntegrationId"]: item for item in paginated(self.client, "get_integrations", ApiId=api_id)
        }
        routes = []
        for route in sorted(
            paginated(self.client, "get_routes", ApiId=api_id), key=lambda item: item["RouteKey"]
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
        account = account_of(self.params["routes"][0]["function_arn"])
        return {
            "id": api_id,
            "name": api["Name"],
            "endpoint": api.get("ApiEndpoint"),
            "execution_arn": execution_arn(self.module.region, account, api_id),
            "authorizer_id": routes[0]["authorizer_id"] if routes else None,
            "stage": STAGE_NAME,
            "routes": routes,
        }


def route_map(routes: list[dict[str, Any]], integrations: list[dict[str, Any]]) -> dict[str, str]:
    uris = {item["IntegrationId"]: item.get("IntegrationUri") for item in integrations}
    return {
        route["RouteKey"]: uris.get(route.get("Target", "").replace("integrations/", "")) for route in routes
    }


def ensure_present(manager: HttpApiManager) -> dict[str, Any]:
    found = find_api(manager.module, manager.client)
    api = manager.ensure_api(found)
    api_id = api["ApiId"] if api else None
    api_is_new = found is None
    routes = [] if api_is_new else paginated(manager.client, "get_routes", ApiId=api_id)
    integrations = [] if api_is_new else paginated(manager.client, "get_integrations", ApiId=api_id)
    manager.diff["before"]["routes"] = route_map(routes, integrations)
    manager.diff["after"]["routes"] = {
        route["route_key"]: route["function_arn"] for route in manager.params["routes"]
    }

    authorizer_id = manager.ensure_authorizer(api_id, routes, api_is_new)
    integration_ids = manager.ensure_integrations(api_id, integrations)
    manager.ensure_routes(api_id, routes, authorizer_id, integration_ids)
    if api_id is not None:
        manager.delete_unused_integrations(api_id, integrations)
    manager.ensure_stage(api_id, api_is_new)
    previous_functions = {item["IntegrationUri"] for item in integrations if item.get("IntegrationUri")}
    manager.ensure_permissions(api_id, previous_functions)
    return {"changed": manager.changed, "api": manager.summary(api_id), "diff": manager.diff}


def ensure_absent(manager: HttpApiManager) -> dict[str, Any]:
    api = find_api(manager.module, manager.client)
    if api is None:
        return {"changed": False, "api": {}}
    integrations = paginated(manager.client, "get_integrations", ApiId=api["ApiId"])
    manager.params["routes"] = []
    manager.ensure_permissions(api["ApiId"], {item["IntegrationUri"] for item in integrations})
    if manager.change():
        manager.client.delete_api(ApiId=api["ApiId"], aws_retry=True)
    return {"changed": True, "api": {}, "diff": {"before": {"api": api["ApiId"]}, "after": {}}}


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
    validate_params(module)
    manager = HttpApiManager(module)
    try:
        result = ensure_present(manager) if module.params["state"] == "present" else ensure_absent(manager)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage HTTP API '{module.params['name']}'")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
