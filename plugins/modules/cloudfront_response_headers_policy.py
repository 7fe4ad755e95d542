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

from dataclasses import dataclass
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.cloudfront_distribution_config import (
    comparable,
    config_differences,
    project,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.cloudfront_page_headers import (
    build_policy_config,
    content_security_policy,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ClientApplier,
    Plan,
    apply_unless_checking,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client


@dataclass(frozen=True)
class Policy:
    id: str
    config: dict[str, Any]
    etag: str


# --- describe ----------------------------------------------------------------------------


def find_policy_id(client: Any, name: str) -> str | None:
    """Id of the custom policy with this name (the listing pages by Marker)."""
    items = paginate(
        client,
        "list_response_headers_policies",
        "ResponseHeadersPolicyList.Items",
        token=("Marker", "ResponseHeadersPolicyList.NextMarker"),
        Type="custom",
    )
    for item in items:
        policy = item["ResponseHeadersPolicy"]
        if policy["ResponseHeadersPolicyConfig"]["Name"] == name:
            return policy["Id"]
    return None


def describe_policy(client: Any, name: str) -> Policy | None:
    policy_id = find_policy_id(client, name)
    if policy_id is None:
        return None
    response = client.get_response_headers_policy(Id=policy_id)
    return Policy(
        policy_id, response["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"], response["ETag"]
    )


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatePolicy(Action):
    kind: ClassVar[str] = "create"
    description: str
    config: dict[str, Any]

    def apply(self, applier: ClientApplier) -> None:
        response = applier.client.create_response_headers_policy(ResponseHeadersPolicyConfig=self.config)
        applier.result.values["id"] = response["ResponseHeadersPolicy"]["Id"]


@dataclass(frozen=True)
class UpdatePolicy(Action):
    kind: ClassVar[str] = "update"
    description: str
    policy: Policy
    config: dict[str, Any]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.update_response_headers_policy(
            Id=self.policy.id, IfMatch=self.policy.etag, ResponseHeadersPolicyConfig=self.config
        )


@dataclass(frozen=True)
class DeletePolicy(Action):
    kind: ClassVar[str] = "delete"
    description: str
    policy: Policy

    def apply(self, applier: ClientApplier) -> None:
        applier.client.delete_response_headers_policy(Id=self.policy.id, IfMatch=self.policy.etag)


# --- plan --------------------------------------------------------------------------------


def plan_present(current: Policy | None, desired: dict[str, Any]) -> Plan:
    """Create, update (only when a setting differs) or nothing; the diff compares what
    this module sets."""
    name = desired["Name"]
    if current is None:
        create = CreatePolicy(f"create response headers policy {name}", desired)
        return Plan(name, (create,), {}, comparable(desired))
    if not config_differences(current.config, desired):
        return Plan(name, (), None, None)
    update = UpdatePolicy(f"update response headers policy {name}", current, desired)
    return Plan(name, (update,), project(current.config, desired), comparable(desired))


def plan_absent(current: Policy | None, name: str) -> Plan:
    if current is None:
        return Plan(name, (), None, None)
    return Plan(name, (DeletePolicy(f"delete response headers policy {name}", current),), current.config, {})


def outcome(plan: Plan, current: Policy | None, applier: ClientApplier) -> dict[str, Any]:
    result: dict[str, Any] = {
        "changed": plan.changed,
        "id": applier.result.values.get("id") or (current.id if current else ""),
    }
    if plan.changed:
        result["diff"] = plan.diff
    return result


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
    params = module.params
    present = params["state"] == "present"
    if present:
        try:
            csp = content_security_policy(params["connect_origins"])
        except ValueError as error:
            module.fail_json(msg=str(error))
    applier = ClientApplier(retrying_client(module, "cloudfront"))
    try:
        current = describe_policy(applier.client, params["name"])
        if present:
            plan = plan_present(current, build_policy_config(params["name"], params["comment"], csp))
        else:
            plan = plan_absent(current, params["name"])
        apply_unless_checking(plan, applier, module.check_mode)
        result = outcome(plan, current, applier)
        if present:
            result["content_security_policy"] = csp
    except is_boto3_error_code("ResponseHeadersPolicyInUse") as error:
        module.fail_json_aws(error, msg="The response headers policy is still used by a distribution")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
        module.fail_json_aws(error, msg="Failed to manage the CloudFront response headers policy")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
