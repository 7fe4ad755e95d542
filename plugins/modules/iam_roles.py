#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: iam_roles
short_description: Reconcile a set of IAM roles, their inline policies and instance profiles in one call
version_added: 0.1.0
description:
  - Makes each role of O(roles) exist with its path, description, trust policy, tags and
    the inline policies given, and with no managed policy attached (unless
    O(roles[].purge_managed_policies=false)). One module run for the whole set (the
    aws_api role's functions, the aws_compute role's servers), where
    M(amazon.aws.iam_role), M(amazon.aws.iam_policy) and M(amazon.aws.iam_instance_profile)
    need up to three runs per role.
  - With O(roles[].instance_profile=true), also makes the instance profile of the same name,
    path and tags exist, holding that role and no other.
  - Describes what exists, plans the actions, then applies them; in check mode it only
    plans. A run that finds everything in place makes only read calls.
  - Inline policies that the role has but O(roles[].inline_policies) does not name are left
    alone (another task may own them); policies are compared as documents, not as text.
  - Tags are set as given (others removed). A role's or instance profile's path cannot
    change in IAM, so one found under another path fails the run.
  - An instance profile is never deleted here (O(roles[].instance_profile=false) leaves one
    in place); deleting is M(amazon.aws.iam_role)'s C(delete_instance_profile).
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
      purge_managed_policies:
        description:
          - Detach every managed policy attached to the role. V(false) leaves attached
            policies alone (another task may attach them).
        type: bool
        default: true
      instance_profile:
        description:
          - Also keep an instance profile named as the role, with the role's path and tags,
            holding this role only (another role in it is removed from it).
        type: bool
        default: false
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

- name: One role and instance profile per server, with no permissions
  privatecast.streaming.iam_roles:
    roles:
      - name: demo-proxy
        path: /privatecast/demo/
        description: proxy instance of stack demo
        assume_role_policy_document: "{{ ec2_trust | to_json }}"
        tags: {privatecast:stack: demo}
        purge_managed_policies: false
        instance_profile: true
      - name: demo-owncast
        path: /privatecast/demo/
        description: owncast instance of stack demo
        assume_role_policy_document: "{{ ec2_trust | to_json }}"
        tags: {privatecast:stack: demo}
        purge_managed_policies: false
        instance_profile: true
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
    instance_profile_arn:
      description:
        - ARN of the role's instance profile (empty without O(roles[].instance_profile), or
          when check mode plans its creation).
      type: str
    changed:
      description: Whether the run changed (or would change) this role or its instance profile.
      type: bool
changes:
  description:
    - The planned actions, one line each, like C(put_role_policy status/status) or
      C(add_role_to_instance_profile proxy/proxy) (profile/role).
  returned: always
  type: list
  elements: str
"""

import json
from dataclasses import dataclass
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.privatecast.streaming.plugins.module_utils.iam_entities import (
    as_document,
    inline_policy,
    line,
    policies_to_put,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ClientApplier,
    Plan,
    apply_unless_checking,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import (
    tag_changes,
    tag_dict,
    tag_list,
)


@dataclass(frozen=True)
class WantedRole:
    name: str
    path: str
    description: str
    trust: dict[str, Any]
    tags: dict[str, str]
    policies: dict[str, dict[str, Any]]
    purge_managed: bool = True
    instance_profile: bool = False


@dataclass(frozen=True)
class FoundProfile:
    arn: str
    path: str
    tags: dict[str, str]
    role_names: tuple[str, ...]


@dataclass
class FoundRole:
    arn: str
    path: str
    description: str
    trust: dict[str, Any]
    tags: dict[str, str]
    managed_arns: list[str]
    policies: dict[str, dict[str, Any] | None]  # the wanted names only; None: absent


def wanted_roles(params: list[dict[str, Any]]) -> list[WantedRole]:
    return [
        WantedRole(
            name=item["name"],
            path=item["path"],
            description=item["description"],
            trust=as_document(item["assume_role_policy_document"]),
            tags={key: str(value) for key, value in (item["tags"] or {}).items()},
            policies={name: as_document(doc) for name, doc in (item["inline_policies"] or {}).items()},
            purge_managed=item["purge_managed_policies"],
            instance_profile=item["instance_profile"],
        )
        for item in params
    ]


# --- describe: reads only ---


def describe_role(client: Any, wanted: WantedRole) -> FoundRole | None:
    try:
        role = client.get_role(RoleName=wanted.name)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    attached = paginate(client, "list_attached_role_policies", "AttachedPolicies", RoleName=wanted.name)
    return FoundRole(
        arn=role["Arn"],
        path=role["Path"],
        description=role.get("Description", ""),
        trust=as_document(role["AssumeRolePolicyDocument"]),
        tags=tag_dict(paginate(client, "list_role_tags", "Tags", RoleName=wanted.name)),
        managed_arns=[item["PolicyArn"] for item in attached],
        policies={name: inline_policy(client, "role", wanted.name, name) for name in wanted.policies},
    )


def describe_profile(client: Any, wanted: WantedRole) -> FoundProfile | None:
    """The instance profile named as the role (read only when the role wants one).
    GetInstanceProfile carries the profile's tags."""
    if not wanted.instance_profile:
        return None
    try:
        profile = client.get_instance_profile(InstanceProfileName=wanted.name)["InstanceProfile"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    return FoundProfile(
        arn=profile["Arn"],
        path=profile["Path"],
        tags=tag_dict(profile.get("Tags")),
        role_names=tuple(role["RoleName"] for role in profile.get("Roles", [])),
    )


# --- actions: one IAM call each; the description is the module's line for it ---


@dataclass(frozen=True)
class CreateRole(Action):
    kind: ClassVar[str] = "create_role"
    description: str
    role: WantedRole

    def apply(self, applier: ClientApplier) -> None:
        response = applier.client.create_role(
            RoleName=self.role.name,
            Path=self.role.path,
            Description=self.role.description,
            AssumeRolePolicyDocument=json.dumps(self.role.trust),
            Tags=tag_list(self.role.tags),
        )
        applier.result.values.setdefault("arns", {})[self.role.name] = response["Role"]["Arn"]


@dataclass(frozen=True)
class UpdateTrust(Action):
    kind: ClassVar[str] = "update_assume_role_policy"
    description: str
    role_name: str
    before: dict[str, Any]
    after: dict[str, Any]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.update_assume_role_policy(
            RoleName=self.role_name, PolicyDocument=json.dumps(self.after)
        )


@dataclass(frozen=True)
class UpdateDescription(Action):
    kind: ClassVar[str] = "update_role"
    description: str
    role_name: str
    before: str
    after: str

    def apply(self, applier: ClientApplier) -> None:
        applier.client.update_role(RoleName=self.role_name, Description=self.after)


@dataclass(frozen=True)
class TagRole(Action):
    kind: ClassVar[str] = "tag_role"
    description: str
    role_name: str
    tags: dict[str, str]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.tag_role(RoleName=self.role_name, Tags=tag_list(self.tags))


@dataclass(frozen=True)
class UntagRole(Action):
    kind: ClassVar[str] = "untag_role"
    description: str
    role_name: str
    keys: tuple[str, ...]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.untag_role(RoleName=self.role_name, TagKeys=list(self.keys))


@dataclass(frozen=True)
class DetachPolicy(Action):
    kind: ClassVar[str] = "detach_role_policy"
    description: str
    role_name: str
    policy_arn: str

    def apply(self, applier: ClientApplier) -> None:
        applier.client.detach_role_policy(RoleName=self.role_name, PolicyArn=self.policy_arn)


@dataclass(frozen=True)
class PutPolicy(Action):
    kind: ClassVar[str] = "put_role_policy"
    description: str
    role_name: str
    policy_name: str
    after: dict[str, Any]
    before: dict[str, Any] | None = None

    def apply(self, applier: ClientApplier) -> None:
        applier.client.put_role_policy(
            RoleName=self.role_name, PolicyName=self.policy_name, PolicyDocument=json.dumps(self.after)
        )


@dataclass(frozen=True)
class CreateProfile(Action):
    kind: ClassVar[str] = "create_instance_profile"
    description: str
    name: str
    path: str
    tags: dict[str, str]

    def apply(self, applier: ClientApplier) -> None:
        response = applier.client.create_instance_profile(
            InstanceProfileName=self.name, Path=self.path, Tags=tag_list(self.tags)
        )
        applier.result.values.setdefault("profile_arns", {})[self.name] = response["InstanceProfile"]["Arn"]


@dataclass(frozen=True)
class AddRoleToProfile(Action):
    kind: ClassVar[str] = "add_role_to_instance_profile"
    description: str
    profile_name: str
    role_name: str

    def apply(self, applier: ClientApplier) -> None:
        applier.client.add_role_to_instance_profile(
            InstanceProfileName=self.profile_name, RoleName=self.role_name
        )


@dataclass(frozen=True)
class RemoveRoleFromProfile(Action):
    kind: ClassVar[str] = "remove_role_from_instance_profile"
    description: str
    profile_name: str
    role_name: str

    def apply(self, applier: ClientApplier) -> None:
        applier.client.remove_role_from_instance_profile(
            InstanceProfileName=self.profile_name, RoleName=self.role_name
        )


@dataclass(frozen=True)
class TagProfile(Action):
    kind: ClassVar[str] = "tag_instance_profile"
    description: str
    profile_name: str
    tags: dict[str, str]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.tag_instance_profile(InstanceProfileName=self.profile_name, Tags=tag_list(self.tags))


@dataclass(frozen=True)
class UntagProfile(Action):
    kind: ClassVar[str] = "untag_instance_profile"
    description: str
    profile_name: str
    keys: tuple[str, ...]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.untag_instance_profile(InstanceProfileName=self.profile_name, TagKeys=list(self.keys))


# --- plan: no AWS calls ---


class PlanError(Exception):
    """The wanted roles cannot be reached from what exists."""


def plan_role(wanted: WantedRole, found: FoundRole | None) -> list[Action]:
    name = wanted.name
    if found is None:
        return [CreateRole(line("create_role", name), wanted), *plan_policies(wanted, {})]
    if found.path != wanted.path:
        raise PlanError(f"Role {name} exists under path {found.path}, not {wanted.path}: IAM cannot move it")
    actions: list[Action] = []
    if compare_policies(found.trust, wanted.trust):
        actions.append(UpdateTrust(line("update_assume_role_policy", name), name, found.trust, wanted.trust))
    if found.description != wanted.description:
        actions.append(
            UpdateDescription(line("update_role", name), name, found.description, wanted.description)
        )
    to_set, to_remove = tag_changes(found.tags, wanted.tags, purge=True)
    if to_set:
        actions.append(TagRole(line("tag_role", name), name, to_set))
    if to_remove:
        actions.append(UntagRole(line("untag_role", name), name, tuple(sorted(to_remove))))
    if wanted.purge_managed:
        actions += [
            DetachPolicy(line("detach_role_policy", name, arn), name, arn) for arn in found.managed_arns
        ]
    return actions + plan_policies(wanted, found.policies)


def plan_policies(wanted: WantedRole, found: dict[str, dict[str, Any] | None]) -> list[Action]:
    return [
        PutPolicy(line("put_role_policy", wanted.name, name), wanted.name, name, document, before)
        for name, document, before in policies_to_put(wanted.policies, found)
    ]


def plan_profile(wanted: WantedRole, found: FoundProfile | None) -> list[Action]:
    """The instance profile's actions, after the role's (the role must exist to be added)."""
    name = wanted.name
    if not wanted.instance_profile:
        return []
    if found is None:
        return [
            CreateProfile(line("create_instance_profile", name), name, wanted.path, wanted.tags),
            AddRoleToProfile(line("add_role_to_instance_profile", name, name), name, name),
        ]
    if found.path != wanted.path:
        raise PlanError(
            f"Instance profile {name} exists under path {found.path}, not {wanted.path}: IAM cannot move it"
        )
    actions: list[Action] = [
        RemoveRoleFromProfile(line("remove_role_from_instance_profile", name, other), name, other)
        for other in found.role_names
        if other != name
    ]
    if name not in found.role_names:
        actions.append(AddRoleToProfile(line("add_role_to_instance_profile", name, name), name, name))
    to_set, to_remove = tag_changes(found.tags, wanted.tags, purge=True)
    if to_set:
        actions.append(TagProfile(line("tag_instance_profile", name), name, to_set))
    if to_remove:
        actions.append(UntagProfile(line("untag_instance_profile", name), name, tuple(sorted(to_remove))))
    return actions


def view(role: WantedRole | FoundRole) -> dict[str, Any]:
    """A role as the diff shows it."""
    policies = {name: doc for name, doc in role.policies.items() if doc is not None}
    return {
        "path": role.path,
        "description": role.description,
        "trust": role.trust,
        "tags": role.tags,
        "inline_policies": policies,
    }


def profile_view(profile: WantedRole | FoundProfile | None) -> dict[str, Any] | None:
    """An instance profile as the diff shows it (a wanted role: the profile it wants)."""
    if isinstance(profile, WantedRole):
        return {"path": profile.path, "tags": profile.tags, "roles": [profile.name]}
    if profile is None:
        return None
    return {"path": profile.path, "tags": profile.tags, "roles": list(profile.role_names)}


def before_view(
    wanted: WantedRole, role: FoundRole | None, profile: FoundProfile | None
) -> dict[str, Any] | None:
    if role is None and profile is None:
        return None
    shown = view(role) if role else {}
    if wanted.instance_profile:
        shown["instance_profile"] = profile_view(profile)
    return shown


def after_view(wanted: WantedRole) -> dict[str, Any]:
    shown = view(wanted)
    if wanted.instance_profile:
        shown["instance_profile"] = profile_view(wanted)
    return shown


def plan_roles(
    wanted: list[WantedRole],
    found: dict[str, FoundRole | None],
    profiles: dict[str, FoundProfile | None] | None = None,
) -> tuple[Plan, set[str]]:
    """Every role's actions (its instance profile's last) in the order given, and the names
    of the roles they change. The diff shows the changed roles only."""
    profiles = profiles or {}
    plans = {
        role.name: plan_role(role, found[role.name]) + plan_profile(role, profiles.get(role.name))
        for role in wanted
    }
    changed = {name for name, actions in plans.items() if actions}
    before = {}
    for role in wanted:
        shown = before_view(role, found[role.name], profiles.get(role.name))
        if role.name in changed and shown is not None:
            before[role.name] = shown
    after = {role.name: after_view(role) for role in wanted if role.name in changed}
    actions = tuple(action for role in wanted for action in plans[role.name])
    return Plan("iam roles", actions, before, after), changed


def role_result(
    role: WantedRole,
    found: dict[str, FoundRole | None],
    profiles: dict[str, FoundProfile | None],
    created: dict[str, Any],
    changed: set[str],
) -> dict[str, Any]:
    """A role's entry of the result: its ARNs, from what was created or found."""
    existing, profile = found[role.name], profiles[role.name]
    profile_arn = created.get("profile_arns", {}).get(role.name) or (profile.arn if profile else "")
    return {
        "name": role.name,
        "arn": created.get("arns", {}).get(role.name) or (existing.arn if existing else ""),
        "instance_profile_arn": profile_arn if role.instance_profile else "",
        "changed": role.name in changed,
    }


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
                    purge_managed_policies=dict(type="bool", default=True),
                    instance_profile=dict(type="bool", default=False),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    applier = ClientApplier(retrying_client(module, "iam"))
    wanted = wanted_roles(module.params["roles"])
    try:
        found = {role.name: describe_role(applier.client, role) for role in wanted}
        profiles = {role.name: describe_profile(applier.client, role) for role in wanted}
        plan, changed = plan_roles(wanted, found, profiles)
        apply_unless_checking(plan, applier, module.check_mode)
    except PlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the IAM roles")
    result: dict[str, Any] = {
        "changed": plan.changed,
        "changes": plan.descriptions,
        "roles": [role_result(role, found, profiles, applier.result.values, changed) for role in wanted],
    }
    if module._diff:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
