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

from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

FIXED_SETTINGS = {
    "SigningProtocol": "sigv4",
    "SigningBehavior": "always",
    "OriginAccessControlOriginType": "s3",
}


def find_control_id(client, name: str) -> str | None:
    paginator = client.get_paginator("list_origin_access_controls")
    listing = paginator.paginate().build_full_result().get("OriginAccessControlList", {})
    for summary in listing.get("Items") or []:
        if summary.get("Name") == name:
            return summary["Id"]
    return None


def get_control(client, control_id: str) -> dict[str, Any]:
    """The control's config and its ETag (needed for updates and deletes)."""
    response = client.get_origin_access_control(aws_retry=True, Id=control_id)
    return {
        "config": response["OriginAccessControl"]["OriginAccessControlConfig"],
        "etag": response.get("ETag"),
    }


def desired_config(name: str, description: str) -> dict[str, str]:
    return dict(FIXED_SETTINGS, Name=name, Description=description)


def differs(current: dict[str, Any], desired: dict[str, str]) -> bool:
    return any(current.get(key, "") != value for key, value in desired.items())


def result_for(control_id: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": control_id, "origin_access_control": camel_dict_to_snake_dict(config)}


def ensure_present(client, module: AnsibleAWSModule) -> dict[str, Any]:
    desired = desired_config(module.params["name"], module.params["description"])
    control_id = find_control_id(client, module.params["name"])
    if control_id is None:
        if module.check_mode:
            return dict(result_for("", desired), changed=True, diff={"before": {}, "after": desired})
        response = client.create_origin_access_control(aws_retry=True, OriginAccessControlConfig=desired)
        created = response["OriginAccessControl"]
        return dict(
            result_for(created["Id"], desired),
            changed=True,
            diff={"before": {}, "after": desired},
        )
    current = get_control(client, control_id)
    if not differs(current["config"], desired):
        return dict(result_for(control_id, current["config"]), changed=False)
    diff = {"before": current["config"], "after": desired}
    if not module.check_mode:
        client.update_origin_access_control(
            aws_retry=True, Id=control_id, IfMatch=current["etag"], OriginAccessControlConfig=desired
        )
    return dict(result_for(control_id, desired), changed=True, diff=diff)


def ensure_absent(client, module: AnsibleAWSModule) -> dict[str, Any]:
    control_id = find_control_id(client, module.params["name"])
    if control_id is None:
        return {"id": "", "changed": False}
    current = get_control(client, control_id)
    if not module.check_mode:
        client.delete_origin_access_control(aws_retry=True, Id=control_id, IfMatch=current["etag"])
    return {"id": control_id, "changed": True, "diff": {"before": current["config"], "after": {}}}


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
    client = module.client("cloudfront", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "present":
            result = ensure_present(client, module)
        else:
            result = ensure_absent(client, module)
    except is_boto3_error_code("OriginAccessControlInUse") as error:
        module.fail_json_aws(error, msg="The origin access control is still used by a distribution")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
        module.fail_json_aws(error, msg="Failed to manage the CloudFront origin access control")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
