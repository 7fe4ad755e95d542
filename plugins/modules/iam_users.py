#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: iam_users
short_description: Reconcile a set of IAM users and their inline policies, and list their access keys
version_added: 0.1.0
description:
  - Makes each user of O(users) exist with its path, tags and the inline policies given,
    and returns the ids of its access keys. One module run for what
    M(amazon.aws.iam_user), M(amazon.aws.iam_policy) and M(amazon.aws.iam_access_key_info)
    do in three (the aws_storage role's Owncast user).
  - Describes what exists, plans the actions, then applies them; in check mode it only
    plans. A run that finds everything in place makes only read calls.
  - Inline policies that the user has but O(users[].inline_policies) does not name are left
    alone, as are managed policies, login profiles and access keys (the module only lists
    those; it never creates, deletes or returns a secret). Policies are compared as
    documents, not as text.
  - Tags are set as given (others removed). A user found under another path is moved to
    O(users[].path) (IAM can change a user's path).
author:
  - privatecast.streaming developers (@privatecast)
options:
  users:
    description: The users.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      path:
        description: The user's path.
        type: str
        default: /
      tags:
        description: Tags of the user.
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
- name: The upload user with its one policy, and its access keys' ids
  privatecast.streaming.iam_users:
    users:
      - name: demo-owncast
        path: /privatecast/demo/
        tags: {Name: demo-owncast, privatecast:stack: demo}
        inline_policies:
          demo-owncast-hls: "{{ upload_policy | to_json }}"
  register: upload_user

- name: Show the key ids (never a secret)
  ansible.builtin.debug:
    msg: "{{ upload_user.users[0].access_keys | map(attribute='access_key_id') }}"
"""

RETURN = r"""
users:
  description: Each user as it is (or would be) after the run, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: User name.
      type: str
    arn:
      description: User ARN (empty when check mode plans its creation).
      type: str
    created:
      description: Whether the run created (in check mode, would create) the user.
      type: bool
    changed:
      description: Whether the run changed (or would change) this user.
      type: bool
    access_keys:
      description: The user's access keys (none for a user this run creates).
      type: list
      elements: dict
      contains:
        access_key_id:
          description: The key's id.
          type: str
        status:
          description: C(Active) or C(Inactive).
          type: str
changes:
  description: The planned actions, one line each, like C(put_user_policy owncast/owncast-hls).
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
class WantedUser:
    name: str
    path: str
    tags: dict[str, str]
    policies: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class FoundUser:
    arn: str
    path: str
    tags: dict[str, str]
    policies: dict[str, dict[str, Any] | None]  # the wanted names only; None: absent
    access_keys: tuple[dict[str, str], ...]


class InputError(Exception):
    """An option cannot be used as given."""


def policy_documents(user: str, policies: dict[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        return {name: as_document(doc) for name, doc in policies.items()}
    except ValueError as error:
        raise InputError(f"inline_policies of user {user}: a document is not JSON ({error})") from error


def wanted_users(params: list[dict[str, Any]]) -> list[WantedUser]:
    return [
        WantedUser(
            name=item["name"],
            path=item["path"],
            tags={key: str(value) for key, value in (item["tags"] or {}).items()},
            policies=policy_documents(item["name"], item["inline_policies"] or {}),
        )
        for item in params
    ]


# --- describe: reads only ---


def describe_user(client: Any, wanted: WantedUser) -> FoundUser | None:
    try:
        user = client.get_user(UserName=wanted.name)["User"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    keys = paginate(client, "list_access_keys", "AccessKeyMetadata", UserName=wanted.name)
    return FoundUser(
        arn=user["Arn"],
        path=user["Path"],
        tags=tag_dict(paginate(client, "list_user_tags", "Tags", UserName=wanted.name)),
        policies={name: inline_policy(client, "user", wanted.name, name) for name in wanted.policies},
        access_keys=tuple({"access_key_id": key["AccessKeyId"], "status": key["Status"]} for key in keys),
    )


# --- actions: one IAM call each; the description is the module's line for it ---


@dataclass(frozen=True)
class CreateUser(Action):
    kind: ClassVar[str] = "create_user"
    description: str
    user: WantedUser

    def apply(self, applier: ClientApplier) -> None:
        response = applier.client.create_user(
            UserName=self.user.name, Path=self.user.path, Tags=tag_list(self.user.tags)
        )
        applier.result.values.setdefault("arns", {})[self.user.name] = response["User"]["Arn"]


@dataclass(frozen=True)
class MoveUser(Action):
    kind: ClassVar[str] = "update_user"
    description: str
    user_name: str
    before: str
    after: str

    def apply(self, applier: ClientApplier) -> None:
        applier.client.update_user(UserName=self.user_name, NewPath=self.after)


@dataclass(frozen=True)
class TagUser(Action):
    kind: ClassVar[str] = "tag_user"
    description: str
    user_name: str
    tags: dict[str, str]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.tag_user(UserName=self.user_name, Tags=tag_list(self.tags))


@dataclass(frozen=True)
class UntagUser(Action):
    kind: ClassVar[str] = "untag_user"
    description: str
    user_name: str
    keys: tuple[str, ...]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.untag_user(UserName=self.user_name, TagKeys=list(self.keys))


@dataclass(frozen=True)
class PutUserPolicy(Action):
    kind: ClassVar[str] = "put_user_policy"
    description: str
    user_name: str
    policy_name: str
    after: dict[str, Any]
    before: dict[str, Any] | None = None

    def apply(self, applier: ClientApplier) -> None:
        applier.client.put_user_policy(
            UserName=self.user_name, PolicyName=self.policy_name, PolicyDocument=json.dumps(self.after)
        )


# --- plan: no AWS calls ---


def plan_user(wanted: WantedUser, found: FoundUser | None) -> list[Action]:
    name = wanted.name
    if found is None:
        return [CreateUser(line("create_user", name), wanted), *plan_policies(wanted, {})]
    actions: list[Action] = []
    if found.path != wanted.path:
        actions.append(MoveUser(line("update_user", name), name, found.path, wanted.path))
    to_set, to_remove = tag_changes(found.tags, wanted.tags, purge=True)
    if to_set:
        actions.append(TagUser(line("tag_user", name), name, to_set))
    if to_remove:
        actions.append(UntagUser(line("untag_user", name), name, tuple(sorted(to_remove))))
    return actions + plan_policies(wanted, found.policies)


def plan_policies(wanted: WantedUser, found: dict[str, dict[str, Any] | None]) -> list[Action]:
    return [
        PutUserPolicy(line("put_user_policy", wanted.name, name), wanted.name, name, document, before)
        for name, document, before in policies_to_put(wanted.policies, found)
    ]


def view(user: WantedUser | FoundUser) -> dict[str, Any]:
    """A user as the diff shows it (no access keys: the module does not change them)."""
    policies = {name: doc for name, doc in user.policies.items() if doc is not None}
    return {"path": user.path, "tags": user.tags, "inline_policies": policies}


def plan_users(wanted: list[WantedUser], found: dict[str, FoundUser | None]) -> tuple[Plan, set[str]]:
    """Every user's actions in the order given, and the names of the users they change.
    The diff shows the changed users only."""
    plans = {user.name: plan_user(user, found[user.name]) for user in wanted}
    changed = {name for name, actions in plans.items() if actions}
    before = {}
    for user in wanted:
        current = found[user.name]
        if user.name in changed and current:
            before[user.name] = view(current)
    after = {user.name: view(user) for user in wanted if user.name in changed}
    actions = tuple(action for user in wanted for action in plans[user.name])
    return Plan("iam users", actions, before, after), changed


def user_result(
    user: WantedUser, found: FoundUser | None, created: dict[str, Any], changed: set[str]
) -> dict[str, Any]:
    """A user's entry of the result: its ARN and its access keys' ids and states."""
    return {
        "name": user.name,
        "arn": created.get("arns", {}).get(user.name) or (found.arn if found else ""),
        "created": found is None,
        "changed": user.name in changed,
        "access_keys": list(found.access_keys) if found else [],
    }


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            users=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    path=dict(type="str", default="/"),
                    tags=dict(type="dict", default={}),
                    inline_policies=dict(type="dict", default={}),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    try:
        wanted = wanted_users(module.params["users"])
    except InputError as error:
        module.fail_json(msg=str(error))
    applier = ClientApplier(retrying_client(module, "iam"))
    try:
        found = {user.name: describe_user(applier.client, user) for user in wanted}
        plan, changed = plan_users(wanted, found)
        apply_unless_checking(plan, applier, module.check_mode)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the IAM users")
    result: dict[str, Any] = {
        "changed": plan.changed,
        "changes": plan.descriptions,
        "users": [user_result(user, found[user.name], applier.result.values, changed) for user in wanted],
    }
    if module._diff:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
