#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: lambda_functions
short_description: Reconcile a set of Lambda functions, their log groups and permissions in one call
version_added: 0.1.0
description:
  - Makes each function of O(functions) exist with the code of its zip file, its runtime,
    architecture, handler, role, memory, timeout, description, environment and tags; its
    log group C(/aws/lambda/<name>) with a retention and tags; and the resource-policy
    statements given in O(functions[].permissions). One module run for the whole set (the
    aws_api role's functions), where M(amazon.aws.cloudwatchlogs_log_group),
    M(amazon.aws.lambda) and M(amazon.aws.lambda_policy) need one run per function or
    statement.
  - Describes what exists, plans the actions, then applies them; in check mode it only
    plans. A run that finds everything in place makes only read calls.
  - Code is compared by its SHA-256 (Lambda's C(CodeSha256)) with the zip file's, so a zip
    built byte-identically from the same code is not deployed again. A new function and
    new code are published as a version, as M(amazon.aws.lambda) does.
  - Before a second update of a function (its configuration after its code) the module
    waits until Lambda reports the first one done (C(State) and C(LastUpdateStatus)).
  - A role created moments before cannot be assumed by Lambda yet; creating a function
    or changing its role is retried with a jittered backoff (about 40 s, at most 75 s) while
    Lambda says so, so the task needs no C(until) loop.
  - Statements of a function's resource policy that O(functions[].permissions) does not
    name (another task may own them, like the API Gateway permissions of
    M(privatecast.streaming.apigatewayv2_http_api)) are left alone; a named statement
    that differs is removed and added again.
  - Tags are set as given, others removed (O(purge_tags)); C(tags) left out leaves them
    alone.
author:
  - privatecast.streaming developers (@privatecast)
options:
  functions:
    description: The functions.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Function name; its log group is C(/aws/lambda/<name>).
        type: str
        required: true
      zip_file:
        description: Path of the deployment package (a zip file) on the host the module runs on.
        type: path
        required: true
      runtime:
        description: Runtime, like C(python3.12).
        type: str
        required: true
      architecture:
        description: Instruction set architecture.
        type: str
        choices: [x86_64, arm64]
        default: x86_64
      handler:
        description: Handler, C(<module>.<function>).
        type: str
        required: true
      role:
        description: ARN of the IAM role the function runs as.
        type: str
        required: true
      memory_size:
        description: Memory in MB (128 to 10240).
        type: int
        default: 128
      timeout:
        description: Timeout in seconds (1 to 900).
        type: int
        default: 3
      description:
        description: Description.
        type: str
        default: ""
      environment:
        description: Environment variables (the whole set; values are passed as strings).
        type: dict
        default: {}
      tags:
        description: Tags of the function. Left out, the function's tags are left alone.
        type: dict
      log_retention_days:
        description:
          - Days CloudWatch Logs keeps the function's log events, one of the values
            CloudWatch Logs accepts. Left out, a new log group keeps them forever and an
            existing group's retention is left alone.
        type: int
        choices: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                  2557, 2922, 3288, 3653]
      log_group_tags:
        description: Tags of the log group. Left out, the function's O(functions[].tags).
        type: dict
      permissions:
        description: Statements of the function's resource policy (Lambda's AddPermission).
        type: list
        elements: dict
        default: []
        suboptions:
          statement_id:
            description: Statement id, unique in the function's policy.
            type: str
            required: true
          action:
            description: The action allowed.
            type: str
            default: lambda:InvokeFunction
          principal:
            description: A service (C(s3.amazonaws.com)) or an account id.
            type: str
            required: true
          source_arn:
            description: Only on behalf of this resource (condition C(AWS:SourceArn)).
            type: str
          source_account:
            description: Only on behalf of this account (condition C(AWS:SourceAccount)).
            type: str
  purge_tags:
    description: Remove the tags of a function or log group that its tags do not name.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Two functions, their log groups, and S3 allowed to invoke one of them
  privatecast.streaming.lambda_functions:
    functions:
      - name: demo-status
        zip_file: /tmp/build/status.zip
        runtime: python3.12
        architecture: arm64
        handler: api_status.handler
        role: arn:aws:iam::123456789012:role/privatecast/demo/demo-lambda-status
        memory_size: 256
        timeout: 10
        environment: {PRIVATECAST_STACK: demo}
        tags: {privatecast:stack: demo, Name: demo-status}
        log_retention_days: 30
      - name: demo-archiver
        zip_file: /tmp/build/archiver.zip
        runtime: python3.12
        handler: archiver.handler
        role: arn:aws:iam::123456789012:role/privatecast/demo/demo-lambda-archiver
        log_retention_days: 30
        permissions:
          - statement_id: privatecast-s3-archiver
            principal: s3.amazonaws.com
            source_arn: arn:aws:s3:::demo-video
            source_account: "123456789012"
"""

RETURN = r"""
functions:
  description: Each function as it is (or would be) after the run, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Function name.
      type: str
    arn:
      description: Function ARN (empty when check mode plans its creation).
      type: str
    code_sha256:
      description: SHA-256 of the zip file, base64 (Lambda's C(CodeSha256)).
      type: str
    log_group:
      description: Name of the function's log group.
      type: str
    changed:
      description: Whether the run changed (or would change) the function, its log group or its permissions.
      type: bool
changes:
  description: The planned actions, one line each, like C(update_function_code demo-status).
  returned: always
  type: list
  elements: str
"""

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    apply_unless_checking,
    differs,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import (
    RetryingClient,
    fail_with_cause,
    jittered_retry,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import tag_changes

LOG_GROUP_PREFIX = "/aws/lambda/"
MEMORY_RANGE = (128, 10240)
TIMEOUT_RANGE = (1, 900)
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/\S+")
ACCOUNT_ROOT = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):root")
# The configuration keys the module sets (UpdateFunctionConfiguration's), with the names
# the diff shows them by; the code and architecture go with UpdateFunctionCode.
CONFIG_KEYS = {
    "Runtime": "runtime",
    "Handler": "handler",
    "Role": "role",
    "MemorySize": "memory_size",
    "Timeout": "timeout",
    "Description": "description",
    "Environment": "environment",
}
# Lambda refuses a role it cannot assume yet with this code and message; the retry below
# gives that case a code of its own so nothing else with the same code is retried.
ROLE_NOT_READY = "RoleNotAssumableYet"


class LambdaFunctionsError(Exception):
    """The wanted functions are not valid, or a change failed; the message says which."""


class NewRoleRetry(AWSRetry):
    """AWSRetry that also retries Lambda's "role ... cannot be assumed by Lambda" (a role
    created moments before, not yet seen by Lambda), and no other invalid parameter."""

    @staticmethod
    def status_code_from_exception(error: Any) -> str:
        code = AWSRetry.status_code_from_exception(error)
        message = error.response.get("Error", {}).get("Message", "")
        if code == "InvalidParameterValueException" and "cannot be assumed" in message:
            return ROLE_NOT_READY
        return code


def new_role_retry() -> Any:
    """Jittered delays of up to 2, 4, 8, then 15 s: about 40 s in all, at most 75 s."""
    return NewRoleRetry.jittered_backoff(
        retries=8, delay=2, backoff=2.0, max_delay=15, catch_extra_error_codes=[ROLE_NOT_READY]
    )


# --- what is wanted ---


@dataclass(frozen=True)
class Permission:
    statement_id: str
    action: str
    principal: str
    source_arn: str | None
    source_account: str | None

    def view(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "principal": self.principal,
            "source_arn": self.source_arn,
            "source_account": self.source_account,
        }


@dataclass(frozen=True)
class WantedFunction:
    name: str
    zip_file: str
    code_sha256: str
    architecture: str
    config: dict[str, Any]  # CONFIG_KEYS as UpdateFunctionConfiguration takes them
    tags: dict[str, str] | None
    log_retention_days: int | None
    log_tags: dict[str, str] | None
    permissions: tuple[Permission, ...]

    @property
    def log_group(self) -> str:
        return LOG_GROUP_PREFIX + self.name


def code_sha256(path: str) -> str:
    """Lambda's CodeSha256 of a zip file: the base64 of its SHA-256."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode("ascii")


def string_dict(value: dict[str, Any] | None) -> dict[str, str] | None:
    return None if value is None else {str(key): str(item) for key, item in value.items()}


def check_input(item: dict[str, Any]) -> None:
    name = item["name"]
    if not ROLE_ARN.fullmatch(item["role"]):
        raise LambdaFunctionsError(f"Function {name}: role must be an IAM role ARN, not {item['role']!r}")
    for option, (low, high) in (("memory_size", MEMORY_RANGE), ("timeout", TIMEOUT_RANGE)):
        if not low <= item[option] <= high:
            raise LambdaFunctionsError(f"Function {name}: {option} {item[option]} is not within {low}-{high}")
    if not os.path.isfile(item["zip_file"]):
        raise LambdaFunctionsError(f"Function {name}: zip_file {item['zip_file']} is not a file")
    sids = [permission["statement_id"] for permission in item["permissions"] or []]
    if len(set(sids)) != len(sids):
        raise LambdaFunctionsError(f"Function {name}: a statement_id is given twice in {sids}")


def wanted_function(item: dict[str, Any]) -> WantedFunction:
    check_input(item)
    tags = string_dict(item["tags"])
    config = {
        "Runtime": item["runtime"],
        "Handler": item["handler"],
        "Role": item["role"],
        "MemorySize": item["memory_size"],
        "Timeout": item["timeout"],
        "Description": item["description"],
        "Environment": {"Variables": string_dict(item["environment"] or {})},
    }
    permissions = tuple(
        Permission(p["statement_id"], p["action"], p["principal"], p["source_arn"], p["source_account"])
        for p in item["permissions"] or []
    )
    return WantedFunction(
        name=item["name"],
        zip_file=item["zip_file"],
        code_sha256=code_sha256(item["zip_file"]),
        architecture=item["architecture"],
        config=config,
        tags=tags,
        log_retention_days=item["log_retention_days"],
        log_tags=string_dict(item["log_group_tags"]) if item["log_group_tags"] is not None else tags,
        permissions=permissions,
    )


def wanted_functions(params: list[dict[str, Any]]) -> list[WantedFunction]:
    names = [item["name"] for item in params]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise LambdaFunctionsError(f"Functions given more than once: {', '.join(twice)}")
    return [wanted_function(item) for item in params]


# --- describe: reads only ---


@dataclass(frozen=True)
class FoundFunction:
    arn: str
    code_sha256: str
    architecture: str
    config: dict[str, Any]
    tags: dict[str, str]
    permissions: dict[str, Permission | None]  # the wanted statement ids only; None: absent


@dataclass(frozen=True)
class FoundLogGroup:
    arn: str
    retention_days: int | None
    tags: dict[str, str]


def found_config(configuration: dict[str, Any]) -> dict[str, Any]:
    config = {key: configuration.get(key) for key in CONFIG_KEYS}
    config["Description"] = config["Description"] or ""
    config["Environment"] = {"Variables": (configuration.get("Environment") or {}).get("Variables") or {}}
    return config


def describe_function(client: Any, wanted: WantedFunction) -> FoundFunction | None:
    try:
        response = client.get_function(FunctionName=wanted.name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    configuration = response["Configuration"]
    statements = describe_statements(client, wanted.name) if wanted.permissions else {}
    return FoundFunction(
        arn=configuration["FunctionArn"],
        code_sha256=configuration.get("CodeSha256", ""),
        architecture=(configuration.get("Architectures") or ["x86_64"])[0],
        config=found_config(configuration),
        tags=dict(response.get("Tags") or {}),
        permissions={
            p.statement_id: as_permission(statements.get(p.statement_id)) for p in wanted.permissions
        },
    )


def describe_statements(client: Any, name: str) -> dict[str, dict[str, Any]]:
    """The function's resource-policy statements by id ({} without a policy)."""
    try:
        policy = client.get_policy(FunctionName=name)["Policy"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return {}
    document = json.loads(policy) if isinstance(policy, str) else policy
    return {statement["Sid"]: statement for statement in document.get("Statement", []) if "Sid" in statement}


def as_permission(statement: dict[str, Any] | None) -> Permission | None:
    """A policy statement as the permission it grants; one with more than AddPermission's
    conditions keeps them in `principal`, so it never equals a wanted permission."""
    if statement is None:
        return None
    condition = statement.get("Condition") or {}
    source_arn = (condition.get("ArnLike") or {}).get("AWS:SourceArn")
    source_account = (condition.get("StringEquals") or {}).get("AWS:SourceAccount")
    known = {"ArnLike": ["AWS:SourceArn"], "StringEquals": ["AWS:SourceAccount"]}
    extra = {op: keys for op, keys in condition.items() if sorted(keys) != known.get(op)}
    principal = principal_name(statement.get("Principal"))
    if extra or statement.get("Effect") != "Allow":
        principal = json.dumps(
            {"Effect": statement.get("Effect"), "Principal": principal, "Condition": extra}
        )
    action = statement.get("Action")
    return Permission(str(statement.get("Sid")), action, principal, source_arn, source_account)


def principal_name(principal: Any) -> str:
    """A statement's principal as AddPermission takes it: the service or the account id."""
    if isinstance(principal, dict) and len(principal) == 1:
        principal = next(iter(principal.values()))
    if isinstance(principal, str):
        account = ACCOUNT_ROOT.fullmatch(principal)
        return account.group(1) if account else principal
    return json.dumps(principal, sort_keys=True)


def shared_prefix(names: list[str]) -> str:
    """The longest string every name starts with (character by character)."""
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def describe_log_groups(client: Any, wanted: list[WantedFunction]) -> dict[str, FoundLogGroup]:
    """The wanted functions' log groups that exist, by name, from one listing."""
    names = {function.log_group: function for function in wanted}
    if not names:
        return {}
    prefix = shared_prefix(list(names))
    groups = paginate(client, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)
    found = {}
    for group in groups:
        function = names.get(group["logGroupName"])
        if function is None:
            continue
        arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
        read_tags = function.log_tags is not None
        tags = client.list_tags_for_resource(resourceArn=arn).get("tags", {}) if read_tags else {}
        found[group["logGroupName"]] = FoundLogGroup(arn, group.get("retentionInDays"), tags)
    return found


# --- actions: one Lambda or CloudWatch Logs call each (waits aside) ---


@dataclass
class LambdaApplier:
    """The clients the actions call: `role_calls` is the Lambda client whose calls wait
    for a new role; `result.values["arns"]` gets the ARNs of the functions created."""

    lambda_client: Any
    role_calls: Any
    logs: Any
    result: ApplyResult = field(default_factory=ApplyResult)


def wait_ready(client: Any, name: str) -> None:
    """Until the function is active and no update of it is in progress."""
    for waiter in ("function_active_v2", "function_updated_v2"):
        client.get_waiter(waiter).wait(FunctionName=name)


def read_zip(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


@dataclass(frozen=True)
class CreateLogGroup(Action):
    kind: ClassVar[str] = "create_log_group"
    description: str
    name: str
    retention_days: int | None
    tags: dict[str, str] | None

    def apply(self, applier: LambdaApplier) -> None:
        applier.logs.create_log_group(logGroupName=self.name, tags=self.tags or {})
        if self.retention_days is not None:
            applier.logs.put_retention_policy(logGroupName=self.name, retentionInDays=self.retention_days)


@dataclass(frozen=True)
class PutRetention(Action):
    kind: ClassVar[str] = "put_retention_policy"
    description: str
    name: str
    before: int | None
    after: int

    def apply(self, applier: LambdaApplier) -> None:
        applier.logs.put_retention_policy(logGroupName=self.name, retentionInDays=self.after)


@dataclass(frozen=True)
class TagLogGroup(Action):
    kind: ClassVar[str] = "tag_log_group"
    description: str
    arn: str
    tags: dict[str, str]

    def apply(self, applier: LambdaApplier) -> None:
        applier.logs.tag_resource(resourceArn=self.arn, tags=self.tags)


@dataclass(frozen=True)
class UntagLogGroup(Action):
    kind: ClassVar[str] = "untag_log_group"
    description: str
    arn: str
    keys: tuple[str, ...]

    def apply(self, applier: LambdaApplier) -> None:
        applier.logs.untag_resource(resourceArn=self.arn, tagKeys=list(self.keys))


@dataclass(frozen=True)
class CreateFunction(Action):
    kind: ClassVar[str] = "create_function"
    description: str
    function: WantedFunction

    def apply(self, applier: LambdaApplier) -> None:
        wanted = self.function
        response = applier.role_calls.create_function(
            FunctionName=wanted.name,
            Code={"ZipFile": read_zip(wanted.zip_file)},
            Architectures=[wanted.architecture],
            Tags=wanted.tags or {},
            Publish=True,
            **wanted.config,
        )
        applier.result.values.setdefault("arns", {})[wanted.name] = response["FunctionArn"]
        wait_ready(applier.lambda_client, wanted.name)


@dataclass(frozen=True)
class UpdateCode(Action):
    kind: ClassVar[str] = "update_function_code"
    description: str
    name: str
    zip_file: str
    architecture: str
    before: dict[str, str]
    after: dict[str, str]

    def apply(self, applier: LambdaApplier) -> None:
        wait_ready(applier.lambda_client, self.name)
        applier.lambda_client.update_function_code(
            FunctionName=self.name,
            ZipFile=read_zip(self.zip_file),
            Architectures=[self.architecture],
            Publish=True,
        )


@dataclass(frozen=True)
class UpdateConfiguration(Action):
    """Sets every configuration key the module manages (`config`); before and after show
    the ones that differ."""

    kind: ClassVar[str] = "update_function_configuration"
    description: str
    name: str
    config: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]

    def apply(self, applier: LambdaApplier) -> None:
        wait_ready(applier.lambda_client, self.name)
        applier.role_calls.update_function_configuration(FunctionName=self.name, **self.config)


@dataclass(frozen=True)
class TagFunction(Action):
    kind: ClassVar[str] = "tag_function"
    description: str
    arn: str
    tags: dict[str, str]

    def apply(self, applier: LambdaApplier) -> None:
        applier.lambda_client.tag_resource(Resource=self.arn, Tags=self.tags)


@dataclass(frozen=True)
class UntagFunction(Action):
    kind: ClassVar[str] = "untag_function"
    description: str
    arn: str
    keys: tuple[str, ...]

    def apply(self, applier: LambdaApplier) -> None:
        applier.lambda_client.untag_resource(Resource=self.arn, TagKeys=list(self.keys))


@dataclass(frozen=True)
class AddPermission(Action):
    kind: ClassVar[str] = "add_permission"
    description: str
    function_name: str
    permission: Permission

    def apply(self, applier: LambdaApplier) -> None:
        permission = self.permission
        params = {
            "FunctionName": self.function_name,
            "StatementId": permission.statement_id,
            "Action": permission.action,
            "Principal": permission.principal,
        }
        if permission.source_arn:
            params["SourceArn"] = permission.source_arn
        if permission.source_account:
            params["SourceAccount"] = permission.source_account
        applier.lambda_client.add_permission(**params)


@dataclass(frozen=True)
class RemovePermission(Action):
    kind: ClassVar[str] = "remove_permission"
    description: str
    function_name: str
    statement_id: str

    def apply(self, applier: LambdaApplier) -> None:
        applier.lambda_client.remove_permission(
            FunctionName=self.function_name, StatementId=self.statement_id
        )


# --- plan: no AWS calls ---


def plan_log_group(wanted: WantedFunction, found: FoundLogGroup | None, purge_tags: bool) -> list[Action]:
    name = wanted.log_group
    if found is None:
        return [CreateLogGroup(f"create_log_group {name}", name, wanted.log_retention_days, wanted.log_tags)]
    actions: list[Action] = []
    retention = wanted.log_retention_days
    if retention is not None and found.retention_days != retention:
        actions.append(PutRetention(f"put_retention_policy {name}", name, found.retention_days, retention))
    to_set, to_remove = tag_changes(found.tags, wanted.log_tags, purge_tags)
    if to_set:
        actions.append(TagLogGroup(f"tag_log_group {name}", found.arn, to_set))
    if to_remove:
        actions.append(UntagLogGroup(f"untag_log_group {name}", found.arn, tuple(sorted(to_remove))))
    return actions


def config_changes(wanted: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """The configuration keys whose value differs (the environment as a whole set)."""
    changed = [key for key in CONFIG_KEYS if key != "Environment" and differs(wanted[key], found[key])]
    if wanted["Environment"]["Variables"] != found["Environment"]["Variables"]:
        changed.append("Environment")
    return changed


def plan_function(wanted: WantedFunction, found: FoundFunction | None, purge_tags: bool) -> list[Action]:
    name = wanted.name
    if found is None:
        return [CreateFunction(f"create_function {name}", wanted)]
    actions: list[Action] = []
    if (found.code_sha256, found.architecture) != (wanted.code_sha256, wanted.architecture):
        code_before = {"code_sha256": found.code_sha256, "architecture": found.architecture}
        code_after = {"code_sha256": wanted.code_sha256, "architecture": wanted.architecture}
        actions.append(
            UpdateCode(
                f"update_function_code {name}",
                name,
                wanted.zip_file,
                wanted.architecture,
                code_before,
                code_after,
            )
        )
    changed = config_changes(wanted.config, found.config)
    if changed:
        before = {CONFIG_KEYS[key]: found.config[key] for key in changed}
        after = {CONFIG_KEYS[key]: wanted.config[key] for key in changed}
        line = f"update_function_configuration {name} ({', '.join(CONFIG_KEYS[key] for key in changed)})"
        actions.append(UpdateConfiguration(line, name, wanted.config, before, after))
    to_set, to_remove = tag_changes(found.tags, wanted.tags, purge_tags)
    if to_set:
        actions.append(TagFunction(f"tag_resource {name}", found.arn, to_set))
    if to_remove:
        actions.append(UntagFunction(f"untag_resource {name}", found.arn, tuple(sorted(to_remove))))
    return actions


def plan_permissions(wanted: WantedFunction, found: FoundFunction | None) -> list[Action]:
    actions: list[Action] = []
    for permission in wanted.permissions:
        current = found.permissions.get(permission.statement_id) if found else None
        if current == permission:
            continue
        line = f"{wanted.name}/{permission.statement_id}"
        if current is not None:
            actions.append(
                RemovePermission(f"remove_permission {line}", wanted.name, permission.statement_id)
            )
        actions.append(AddPermission(f"add_permission {line}", wanted.name, permission))
    return actions


def view(wanted: WantedFunction, found: FoundFunction | None, log: FoundLogGroup | None) -> dict[str, Any]:
    """A function with its log group and permissions as the diff shows it: `found`
    and `log` (what exists) when given, else what is wanted."""
    if found is None:
        code = {"code_sha256": wanted.code_sha256, "architecture": wanted.architecture}
        config, tags = wanted.config, wanted.tags
        permissions = {p.statement_id: p.view() for p in wanted.permissions}
    else:
        code = {"code_sha256": found.code_sha256, "architecture": found.architecture}
        config, tags = found.config, found.tags
        permissions = {sid: p.view() for sid, p in found.permissions.items() if p is not None}
    return {
        **code,
        **{CONFIG_KEYS[key]: value for key, value in config.items()},
        "tags": tags,
        "log_group": {
            "name": wanted.log_group,
            "retention_days": log.retention_days if log else wanted.log_retention_days,
            "tags": log.tags if log else wanted.log_tags,
        },
        "permissions": permissions,
    }


def wanted_view(
    wanted: WantedFunction, found: FoundFunction | None, log: FoundLogGroup | None
) -> dict[str, Any]:
    """What the run leaves (the tags and retention the module leaves alone stay)."""
    shown = view(wanted, None, None)
    if found is not None and wanted.tags is None:
        shown["tags"] = found.tags
    if log is not None:
        if wanted.log_retention_days is None:
            shown["log_group"]["retention_days"] = log.retention_days
        if wanted.log_tags is None:
            shown["log_group"]["tags"] = log.tags
    return shown


@dataclass(frozen=True)
class Found:
    functions: dict[str, FoundFunction | None]
    log_groups: dict[str, FoundLogGroup]


def describe(applier: LambdaApplier, wanted: list[WantedFunction]) -> Found:
    functions = {function.name: describe_function(applier.lambda_client, function) for function in wanted}
    return Found(functions, describe_log_groups(applier.logs, wanted))


def plan_functions(wanted: list[WantedFunction], found: Found, purge_tags: bool) -> tuple[Plan, set[str]]:
    """Each function's actions in the order given (log group, function, permissions), and
    the names of the functions they change. The diff shows the changed functions only."""
    plans = {}
    for function in wanted:
        current = found.functions[function.name]
        plans[function.name] = (
            plan_log_group(function, found.log_groups.get(function.log_group), purge_tags)
            + plan_function(function, current, purge_tags)
            + plan_permissions(function, current)
        )
    changed = {name for name, actions in plans.items() if actions}
    before, after = {}, {}
    for function in wanted:
        if function.name not in changed:
            continue
        current, log = found.functions[function.name], found.log_groups.get(function.log_group)
        if current is not None or log is not None:
            before[function.name] = view(function, current, log)
        after[function.name] = wanted_view(function, current, log)
    actions = tuple(action for function in wanted for action in plans[function.name])
    return Plan("lambda functions", actions, before, after), changed


def function_results(
    wanted: list[WantedFunction], found: Found, changed: set[str], created: dict[str, str]
) -> list[dict[str, Any]]:
    results = []
    for function in wanted:
        current = found.functions[function.name]
        results.append(
            {
                "name": function.name,
                "arn": created.get(function.name) or (current.arn if current else ""),
                "code_sha256": function.code_sha256,
                "log_group": function.log_group,
                "changed": function.name in changed,
            }
        )
    return results


def argument_spec() -> dict[str, Any]:
    permission = dict(
        statement_id=dict(type="str", required=True),
        action=dict(type="str", default="lambda:InvokeFunction"),
        principal=dict(type="str", required=True),
        source_arn=dict(type="str"),
        source_account=dict(type="str"),
    )
    retention = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096]
    retention += [1827, 2192, 2557, 2922, 3288, 3653]
    function = dict(
        name=dict(type="str", required=True),
        zip_file=dict(type="path", required=True),
        runtime=dict(type="str", required=True),
        architecture=dict(type="str", choices=["x86_64", "arm64"], default="x86_64"),
        handler=dict(type="str", required=True),
        role=dict(type="str", required=True),
        memory_size=dict(type="int", default=128),
        timeout=dict(type="int", default=3),
        description=dict(type="str", default=""),
        environment=dict(type="dict", default={}),
        tags=dict(type="dict"),
        log_retention_days=dict(type="int", choices=retention),
        log_group_tags=dict(type="dict"),
        permissions=dict(type="list", elements="dict", default=[], options=permission),
    )
    return dict(
        functions=dict(type="list", elements="dict", required=True, options=function),
        purge_tags=dict(type="bool", default=True),
    )


def main() -> None:
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    raw = module.client("lambda")
    applier = LambdaApplier(
        lambda_client=RetryingClient(raw, jittered_retry()),
        role_calls=RetryingClient(raw, new_role_retry()),
        logs=RetryingClient(module.client("logs"), jittered_retry()),
    )
    try:
        wanted = wanted_functions(module.params["functions"])
        found = describe(applier, wanted)
        plan, changed = plan_functions(wanted, found, module.params["purge_tags"])
        apply_unless_checking(plan, applier, module.check_mode, LambdaFunctionsError)
    except LambdaFunctionsError as error:
        fail_with_cause(module, error)
    except OSError as error:
        module.fail_json(msg=f"Cannot read a zip file: {error}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to read the Lambda functions or their log groups")
    result: dict[str, Any] = {
        "changed": plan.changed,
        "changes": plan.descriptions,
        "functions": function_results(wanted, found, changed, applier.result.values.get("arns", {})),
    }
    if module._diff:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
