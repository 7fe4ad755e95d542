#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: iam_roles
short_description: Reconcile a set of IAM roles and their inline policies in one call
version_added: 0.1.0
description:
  - Makes each role of O(roles) exist with its path, description, trust policy, tags and
    the inline policies given, and with no managed policy attached. One module run for the
    whole set (the aws_api role's functions), where M(amazon.aws.iam_role) and
    M(amazon.aws.iam_policy) need two runs per role.
  - Describes what exists, plans the actions, then applies them; in check mode it only
    plans. A run that finds everything in place makes only read calls.
  - Inline policies that the role has but O(roles[].inline_policies) does not name are left
    alone (another task may own them); policies are compared as documents, not as text.
  - Tags are set as given (others removed). A role's path cannot change in IAM, so a role
    found under another path fails the run.
author:
  - privatecast.streaming developers (@privatecast)
options:
  roles:
    description: The roles.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      path:
        description: Path of a new role.
        type: str
        default: /
      description:
        description: Description.
        type: str
        default: ""
      assume_role_policy_document:
        description: Trust policy (a dict or its JSON).
        type: json
        required: true
      tags:
        description: Tags of the role.
        type: dict
        default: {}
      inline_policies:
        description: Inline policy name to its document (a dict or its JSON).
        type: dict
        default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One role per function, each allowed only what it uses
  privatecast.streaming.iam_roles:
    roles:
      - name: demo-lambda-status
        path: /privatecast/
        description: the status function
        assume_role_policy_document: "{{ trust | to_json }}"
        tags: {Name: demo-lambda-status}
        inline_policies:
          demo-lambda-status: "{{ policy | to_json }}"
"""

RETURN = r"""
roles:
  description: Each role as it is (or would be) after the run, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Role name.
      type: str
    arn:
      description: Role ARN (empty when check mode plans its creation).
      type: str
    changed:
      description: Whether the run changed (or would change) this role.
      type: bool
changes:
  description: The planned actions, one line each, like C(put_role_policy status/status).
  returned: always
  type: list
  elements: str
"""

import json
from dataclasses import dataclass, field
from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)


@dataclass(frozen=True)
class WantedRole:
    name: str
    path: str
    description: str
    trust: dict[str, Any]
    tags: dict[str, str]
    policies: dict[str, dict[str, Any]]


@dataclass
class FoundRole:
    arn: str
    path: str
    description: str
    trust: dict[str, Any]
    tags: dict[str, str]
    managed_arns: list[str]
    policies: dict[str, dict[str, Any] | None]  # the wanted names only; None: absent


@dataclass(frozen=True)
class Action:
    """One IAM call of the plan: its name, the role, and the call's arguments."""

    call: str
    role: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def line(self) -> str:
        return f"{self.call} {self.role}{'/' + self.detail if self.detail else ''}"


def as_document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def wanted_roles(params: list[dict[str, Any]]) -> list[WantedRole]:
    return [
        WantedRole(
            name=item["name"],
            path=item["path"],
            description=item["description"],
            trust=as_document(item["assume_role_policy_document"]),
            tags={key: str(value) for key, value in (item["tags"] or {}).items()},
            policies={name: as_document(doc) for name, doc in (item["inline_policies"] or {}).items()},
        )
        for item in params
    ]


# --- describe: reads only ---


def describe_role(client, wanted: WantedRole) -> FoundRole | None:
    try:
        role = client.get_role(aws_retry=True, RoleName=wanted.name)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    tags = client.list_role_tags(aws_retry=True, RoleName=wanted.name).get("Tags", [])
    attached = client.get_paginator("list_attached_role_policies").paginate(RoleName=wanted.name)
    return FoundRole(
        arn=role["Arn"],
        path=role["Path"],
        description=role.get("Description", ""),
        trust=as_document(role["AssumeRolePolicyDocument"]),
        tags=boto3_tag_list_to_ansible_dict(tags),
        managed_arns=[p["PolicyArn"] for page in attached for p in page["AttachedPolicies"]],
        policies={name: inline_policy(client, wanted.name, name) for name in wanted.policies},
    )


def inline_policy(client, role: str, name: str) -> dict[str, Any] | None:
    try:
        document = client.get_role_policy(aws_retry=True, RoleName=role, PolicyName=name)["PolicyDocument"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    return as_document(document)


# --- plan: no AWS calls ---


def plan_role(wanted: WantedRole, found: FoundRole | None) -> list[Action]:
    name = wanted.name
    if found is None:
        create = Action(
            "create_role",
            name,
            {
                "Path": wanted.path,
                "Description": wanted.description,
                "AssumeRolePolicyDocument": json.dumps(wanted.trust),
                "Tags": ansible_dict_to_boto3_tag_list(wanted.tags),
            },
        )
        return [create, *plan_policies(wanted, dict.fromkeys(wanted.policies))]
    if found.path != wanted.path:
        raise PlanError(f"Role {name} exists under path {found.path}, not {wanted.path}: IAM cannot move it")
    actions = []
    if compare_policies(found.trust, wanted.trust):
        actions.append(
            Action("update_assume_role_policy", name, {"PolicyDocument": json.dumps(wanted.trust)})
        )
    if found.description != wanted.description:
        actions.append(Action("update_role", name, {"Description": wanted.description}))
    to_set, to_remove = compare_aws_tags(found.tags, wanted.tags, purge_tags=True)
    if to_set:
        actions.append(Action("tag_role", name, {"Tags": ansible_dict_to_boto3_tag_list(to_set)}))
    if to_remove:
        actions.append(Action("untag_role", name, {"TagKeys": sorted(to_remove)}))
    actions += [Action("detach_role_policy", name, {"PolicyArn": arn}, arn) for arn in found.managed_arns]
    return actions + plan_policies(wanted, found.policies)


def plan_policies(wanted: WantedRole, found: dict[str, dict[str, Any] | None]) -> list[Action]:
    return [
        Action("put_role_policy", wanted.name, {"PolicyName": name, "PolicyDocument": json.dumps(doc)}, name)
        for name, doc in wanted.policies.items()
        if found.get(name) is None or compare_policies(found[name], doc)
    ]


class PlanError(Exception):
    """The wanted roles cannot be reached from what exists."""


# --- apply ---


def apply_actions(client, actions: list[Action]) -> dict[str, str]:
    """Runs the plan; the ARNs of the roles it created."""
    created = {}
    for action in actions:
        response = getattr(client, action.call)(aws_retry=True, RoleName=action.role, **action.kwargs)
        if action.call == "create_role":
            created[action.role] = response["Role"]["Arn"]
    return created


def diff_of(
    wanted: list[WantedRole], found: dict[str, FoundRole | None], changed: set[str]
) -> dict[str, Any]:
    def view(role: WantedRole | FoundRole) -> dict[str, Any]:
        policies = {name: doc for name, doc in role.policies.items() if doc is not None}
        return {
            "path": role.path,
            "description": role.description,
            "trust": role.trust,
            "tags": role.tags,
            "inline_policies": policies,
        }

    before = {r.name: view(found[r.name]) for r in wanted if r.name in changed and found[r.name]}
    after = {r.name: view(r) for r in wanted if r.name in changed}
    return {"before": before, "after": after}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            roles=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    path=dict(type="str", default="/"),
                    description=dict(type="str", default=""),
                    assume_role_policy_document=dict(type="json", required=True),
                    tags=dict(type="dict", default={}),
                    inline_policies=dict(type="dict", default={}),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    client = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    wanted = wanted_roles(module.params["roles"])
    try:
        found = {role.name: describe_role(client, role) for role in wanted}
        plans = {role.name: plan_role(role, found[role.name]) for role in wanted}
        actions = [action for role in wanted for action in plans[role.name]]
        created = {} if module.check_mode else apply_actions(client, actions)
    except PlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the IAM roles")
    changed = {name for name, plan in plans.items() if plan}
    result: dict[str, Any] = {
        "changed": bool(changed),
        "changes": [action.line() for action in actions],
        "roles": [
            {
                "name": role.name,
                "arn": created.get(role.name) or (found[role.name].arn if found[role.name] else ""),
                "changed": role.name in changed,
            }
            for role in wanted
        ],
    }
    if module._diff:
        result["diff"] = diff_of(wanted, found, changed)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
