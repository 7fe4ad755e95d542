#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: cloudfront_origin_access_control
short_description: Manage a CloudFront origin access control for an S3 origin
version_added: 0.1.0
description:
  - Creates, updates or deletes a CloudFront origin access control (OAC) that signs every
    request CloudFront sends to an S3 origin with SigV4, so the bucket policy can admit
    only the distribution (service principal C(cloudfront.amazonaws.com) with an
    C(AWS:SourceArn) condition) and keep every other reader out.
  - The origin type (C(s3)), the signing behaviour (C(always)) and the protocol
    (C(sigv4)) are fixed; they are what a private bucket behind CloudFront needs.
  - The control is found by its O(name), which CloudFront keeps unique per account.
    Origin access controls carry no tags in AWS.
author:
  - privatecast.streaming developers (@privatecast)
options:
  name:
    description: Name of the origin access control (unique in the account, up to 64 characters).
    type: str
    required: true
  description:
    description: Free text shown in the console.
    type: str
    default: ""
  state:
    description: Whether the origin access control exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Origin access control for the video bucket
  privatecast.streaming.cloudfront_origin_access_control:
    name: privatecast-s3
    description: CloudFront reads the privatecast bucket
  register: oac

- name: Remove it (no distribution may still use it)
  privatecast.streaming.cloudfront_origin_access_control:
    name: privatecast-s3
    state: absent
"""

RETURN = r"""
id:
  description: Id of the origin access control (empty when absent).
  returned: always
  type: str
  sample: E2QWRUHAPOMQZL
origin_access_control:
  description: The origin access control's settings.
  returned: when O(state=present)
  type: dict
  contains:
    name:
      description: Name.
      type: str
    description:
      description: Description.
      type: str
    signing_protocol:
      description: Always C(sigv4).
      type: str
    signing_behavior:
      description: Always C(always).
      type: str
    origin_access_control_origin_type:
      description: Always C(s3).
      type: str
"""

from dataclasses import dataclass
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ClientApplier,
    Plan,
    apply_unless_checking,
    differs,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client

FIXED_SETTINGS = {
    "SigningProtocol": "sigv4",
    "SigningBehavior": "always",
    "OriginAccessControlOriginType": "s3",
}


@dataclass(frozen=True)
class Control:
    """An origin access control as CloudFront has it, with the ETag updates and deletes need."""

    id: str
    config: dict[str, Any]
    etag: str | None


# --- describe --------------------------------------------------------------------------


def find_control_id(client: Any, name: str) -> str | None:
    for summary in paginate(client, "list_origin_access_controls", "OriginAccessControlList.Items"):
        if summary.get("Name") == name:
            return summary["Id"]
    return None


def describe_control(client: Any, name: str) -> Control | None:
    control_id = find_control_id(client, name)
    if control_id is None:
        return None
    response = client.get_origin_access_control(Id=control_id)
    return Control(
        control_id, response["OriginAccessControl"]["OriginAccessControlConfig"], response.get("ETag")
    )


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateControl(Action):
    kind: ClassVar[str] = "create"
    description: str
    after: dict[str, Any]

    def apply(self, applier: ClientApplier) -> None:
        response = applier.client.create_origin_access_control(OriginAccessControlConfig=self.after)
        applier.result.values["id"] = response["OriginAccessControl"]["Id"]


@dataclass(frozen=True)
class UpdateControl(Action):
    kind: ClassVar[str] = "update"
    description: str
    control_id: str
    etag: str | None
    before: dict[str, Any]
    after: dict[str, Any]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.update_origin_access_control(
            Id=self.control_id, IfMatch=self.etag, OriginAccessControlConfig=self.after
        )


@dataclass(frozen=True)
class DeleteControl(Action):
    kind: ClassVar[str] = "delete"
    description: str
    control_id: str
    etag: str | None
    before: dict[str, Any]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.delete_origin_access_control(Id=self.control_id, IfMatch=self.etag)


# --- plan --------------------------------------------------------------------------------


def desired_config(name: str, description: str) -> dict[str, str]:
    return dict(FIXED_SETTINGS, Name=name, Description=description)


def plan_present(current: Control | None, desired: dict[str, str]) -> Plan:
    name = desired["Name"]
    if current is None:
        actions: tuple[Action, ...] = (CreateControl(f"create origin access control {name}", desired),)
        return Plan(name, actions, {}, desired)
    if not differs(desired, current.config):
        return Plan(name, (), current.config, current.config)
    update = UpdateControl(
        f"update origin access control {name}", current.id, current.etag, current.config, desired
    )
    return Plan(name, (update,), current.config, desired)


def plan_absent(current: Control | None, name: str) -> Plan:
    if current is None:
        return Plan(name, (), {}, {})
    delete = DeleteControl(f"delete origin access control {name}", current.id, current.etag, current.config)
    return Plan(name, (delete,), current.config, {})


# --- result ------------------------------------------------------------------------------


def result_for(control_id: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": control_id, "origin_access_control": camel_dict_to_snake_dict(config)}


def outcome(plan: Plan, current: Control | None, applier: ClientApplier, present: bool) -> dict[str, Any]:
    """The module's return value (the diff only when something changes)."""
    control_id = applier.result.values.get("id") or (current.id if current else "")
    if present:
        result = dict(result_for(control_id, plan.after), changed=plan.changed)
    else:
        result = {"id": control_id, "changed": plan.changed}
    if plan.changed:
        result["diff"] = plan.diff
    return result


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            description=dict(type="str", default=""),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    if not 1 <= len(module.params["name"]) <= 64:
        module.fail_json(msg="name must be 1 to 64 characters long")
    name = module.params["name"]
    present = module.params["state"] == "present"
    applier = ClientApplier(retrying_client(module, "cloudfront"))
    try:
        current = describe_control(applier.client, name)
        if present:
            plan = plan_present(current, desired_config(name, module.params["description"]))
        else:
            plan = plan_absent(current, name)
        apply_unless_checking(plan, applier, module.check_mode)
        result = outcome(plan, current, applier, present)
    except is_boto3_error_code("OriginAccessControlInUse") as error:
        module.fail_json_aws(error, msg="The origin access control is still used by a distribution")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
        module.fail_json_aws(error, msg="Failed to manage the CloudFront origin access control")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
