#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: cloudfront_response_headers_policy
short_description: The response headers policy of a privatecast stack's viewer page
version_added: 0.1.0
description:
  - Creates, updates or deletes the CloudFront response headers policy that the stack's
    distribution adds to every response, found by its O(name) (response headers policies
    have no tags).
  - "This module has the product's shape built in and is not a general module (see
    M(community.aws.cloudfront_response_headers_policy) for that, which updates on every
    run and has no real check mode). The policy sends a strict Content-Security-Policy:
    C(default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;
    media-src 'self' blob:; connect-src 'self' <connect origins>; worker-src 'self' blob:;
    manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'),
    and the headers of the managed C(SecurityHeadersPolicy), tightened:
    C(Strict-Transport-Security: max-age=31536000; includeSubDomains),
    C(X-Content-Type-Options: nosniff), C(X-Frame-Options: DENY),
    C(Referrer-Policy: strict-origin-when-cross-origin), C(X-XSS-Protection: 1; mode=block);
    each overrides what an origin sends."
  - The policy is updated (with its ETag) only when it differs; check and diff mode.
author:
  - privatecast.streaming developers (@privatecast)
options:
  name:
    description: Name of the policy, unique in the account (for example C(<stack>-page)).
    type: str
    required: true
  comment:
    description: Comment of the policy.
    type: str
    default: ""
  connect_origins:
    description:
      - URLs the page calls besides its own host (the Cognito endpoint); their origins
        (scheme, host and port) are added to C(connect-src).
    type: list
    elements: str
    default: []
  state:
    description:
      - C(present) creates or updates the policy; C(absent) deletes it (CloudFront refuses
        while a distribution uses it).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The page's headers, allowing calls to Cognito
  privatecast.streaming.cloudfront_response_headers_policy:
    name: demo-page
    comment: privatecast demo viewer page
    connect_origins:
      - https://cognito-idp.eu-west-1.amazonaws.com/
  register: headers_policy
"""

RETURN = r"""
id:
  description: Id of the policy (empty when absent, or in check mode before it exists).
  returned: always
  type: str
  sample: 0d3e5f10-1a2b-4c3d-8e9f-0a1b2c3d4e5f
content_security_policy:
  description: The Content-Security-Policy the policy sends.
  returned: when O(state=present)
  type: str
  sample: "default-src 'none'; script-src 'self'; ..."
"""

from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.privatecast.streaming.plugins.module_utils.cloudfront_distribution_config import (
    comparable,
    config_differences,
    project,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.cloudfront_page_headers import (
    build_policy_config,
    content_security_policy,
)


def find_policy_id(client, name: str) -> str | None:
    """Id of the custom policy with this name (the listing pages by Marker)."""
    marker = ""
    while True:
        args = {"Type": "custom", **({"Marker": marker} if marker else {})}
        listing = client.list_response_headers_policies(aws_retry=True, **args)["ResponseHeadersPolicyList"]
        for item in listing.get("Items") or []:
            policy = item["ResponseHeadersPolicy"]
            if policy["ResponseHeadersPolicyConfig"]["Name"] == name:
                return policy["Id"]
        marker = listing.get("NextMarker") or ""
        if not marker:
            return None


def get_policy(client, policy_id: str) -> dict[str, Any]:
    response = client.get_response_headers_policy(aws_retry=True, Id=policy_id)
    return {
        "config": response["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"],
        "etag": response["ETag"],
    }


def ensure_present(client, module: AnsibleAWSModule) -> dict[str, Any]:
    params = module.params
    try:
        csp = content_security_policy(params["connect_origins"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    desired = build_policy_config(params["name"], params["comment"], csp)
    result: dict[str, Any] = {"content_security_policy": csp}
    policy_id = find_policy_id(client, params["name"])
    if policy_id is None:
        result.update(changed=True, id="", diff={"before": {}, "after": comparable(desired)})
        if not module.check_mode:
            response = client.create_response_headers_policy(
                aws_retry=True, ResponseHeadersPolicyConfig=desired
            )
            result["id"] = response["ResponseHeadersPolicy"]["Id"]
        return result
    current = get_policy(client, policy_id)
    result.update(id=policy_id, changed=bool(config_differences(current["config"], desired)))
    if not result["changed"]:
        return result
    result["diff"] = {"before": project(current["config"], desired), "after": comparable(desired)}
    if not module.check_mode:
        client.update_response_headers_policy(
            aws_retry=True, Id=policy_id, IfMatch=current["etag"], ResponseHeadersPolicyConfig=desired
        )
    return result


def ensure_absent(client, module: AnsibleAWSModule) -> dict[str, Any]:
    policy_id = find_policy_id(client, module.params["name"])
    if policy_id is None:
        return {"changed": False, "id": ""}
    current = get_policy(client, policy_id)
    if not module.check_mode:
        client.delete_response_headers_policy(aws_retry=True, Id=policy_id, IfMatch=current["etag"])
    return {"changed": True, "id": policy_id, "diff": {"before": current["config"], "after": {}}}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            comment=dict(type="str", default=""),
            connect_origins=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    client = module.client("cloudfront", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "present":
            result = ensure_present(client, module)
        else:
            result = ensure_absent(client, module)
    except is_boto3_error_code("ResponseHeadersPolicyInUse") as error:
        module.fail_json_aws(error, msg="The response headers policy is still used by a distribution")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
        module.fail_json_aws(error, msg="Failed to manage the CloudFront response headers policy")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
