#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: cloudfront_distribution
short_description: The one CloudFront distribution of a privatecast stack
version_added: 0.1.0
description:
  - Creates, updates or deletes the CloudFront distribution that serves a privatecast
    stack (the viewer page, the API and the video under one host name, so signed cookies
    are first-party host cookies).
  - This module has the product's shape built in and is not a general CloudFront module
    (see M(community.aws.cloudfront_distribution) for that).
  - "Origins: the bucket twice through the same origin access control (C(web) with origin
    path C(/web), C(video) with none) and the API (HTTPS only, TLS 1.2)."
  - "Behaviours, in order: C(/api/*) to the API (managed C(CachingDisabled) cache policy,
    managed C(AllViewerExceptHostHeader) origin request policy, every method);
    C(/hls/*.m3u8), C(/hls/*.ts), C(/recordings/*.m3u8), C(/recordings/*.ts) from the
    bucket for holders of cookies signed by a key of O(key_group_id), playlists never
    cached (C(CachingDisabled)) and segments cached (C(CachingOptimized)), and nothing
    else of those prefixes; the default behaviour serves C(web/) publicly
    (C(CachingOptimized)), so another name under C(/hls/) (say C(/hls/x.html)) is looked
    up as C(web/hls/x.html) and refused. Every behaviour adds the response
    headers policy O(response_headers_policy_id) (by default the managed
    C(SecurityHeadersPolicy)). Viewers are redirected to HTTPS for the
    page and refused plain HTTP elsewhere. The default root object is C(index.html)."
  - The distribution is found by its O(comment). Only the settings above are compared;
    the distribution is updated (with its ETag) only when one of them differs.
author:
  - privatecast.streaming developers (@privatecast)
options:
  comment:
    description:
      - Comment of the distribution; identifies it, so it must be unique in the account
        (for example C(privatecast <stack>)).
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the distribution.
      - C(absent) disables it, and deletes it once CloudFront has deployed the disabled
        state (immediately with O(wait=true); otherwise run the task again later).
    type: str
    choices: [present, absent]
    default: present
  s3_domain_name:
    description: Regional domain name of the bucket, C(<bucket>.s3.<region>.amazonaws.com).
    type: str
  origin_access_control_id:
    description: Id of the origin access control CloudFront signs bucket requests with.
    type: str
  api_endpoint:
    description:
      - HTTPS URL of the API (an API Gateway HTTP API endpoint, optionally with a stage
        path); requests for C(/api/*) go there with their path unchanged.
    type: str
  key_group_id:
    description: Id of the key group whose keys sign the cookies for C(/hls/*) and C(/recordings/*).
    type: str
  response_headers_policy_id:
    description:
      - Id of the response headers policy every behaviour adds (see
        M(privatecast.streaming.cloudfront_response_headers_policy) for the page's policy).
      - Defaults to the managed C(SecurityHeadersPolicy), C(67f7725c-6f97-4210-82d7-5512b31e9d03).
    type: str
    default: 67f7725c-6f97-4210-82d7-5512b31e9d03
  price_class:
    description: Which edge locations serve the distribution; C(PriceClass_100) is the cheapest.
    type: str
    choices: [PriceClass_100, PriceClass_200, PriceClass_All]
    default: PriceClass_100
  aliases:
    description: Custom host names (CNAMEs); need O(acm_certificate_arn).
    type: list
    elements: str
    default: []
  acm_certificate_arn:
    description:
      - ARN of an ACM certificate in us-east-1 covering every alias; served with SNI and a
        minimum of TLSv1.2_2021.
    type: str
  enabled:
    description: Whether the distribution serves requests.
    type: bool
    default: true
  wait:
    description: Wait until CloudFront reports the distribution C(Deployed).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's distribution
  privatecast.streaming.cloudfront_distribution:
    comment: privatecast demo
    s3_domain_name: demo-video-123456789012.s3.eu-west-1.amazonaws.com
    origin_access_control_id: "{{ oac.id }}"
    api_endpoint: https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com
    key_group_id: "{{ key_group.key_group_id }}"
    response_headers_policy_id: "{{ headers_policy.id }}"
    tags:
      privatecast:stack: demo
      privatecast:component: edge
  register: distribution

- name: With a custom domain, waiting for the deployment
  privatecast.streaming.cloudfront_distribution:
    comment: privatecast demo
    s3_domain_name: demo-video-123456789012.s3.eu-west-1.amazonaws.com
    origin_access_control_id: "{{ oac.id }}"
    api_endpoint: https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com
    key_group_id: "{{ key_group.key_group_id }}"
    aliases: [video.example.org]
    acm_certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab
    wait: true
"""

RETURN = r"""
id:
  description: Id of the distribution (empty when absent).
  returned: always
  type: str
  sample: E1A2B3C4D5E6F7
arn:
  description: ARN of the distribution; the bucket policy's C(AWS:SourceArn).
  returned: when the distribution exists
  type: str
  sample: arn:aws:cloudfront::123456789012:distribution/E1A2B3C4D5E6F7
domain_name:
  description: The C(*.cloudfront.net) host name.
  returned: when the distribution exists
  type: str
  sample: d111111abcdef8.cloudfront.net
status:
  description: C(InProgress) while CloudFront deploys a change, then C(Deployed).
  returned: when the distribution exists
  type: str
  sample: Deployed
tags:
  description: The distribution's tags.
  returned: when the distribution exists
  type: dict
"""

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.cloudfront_distribution_config import (
    PRICE_CLASSES,
    RESPONSE_HEADERS_POLICY_SECURITY_HEADERS,
    api_origin_from_endpoint,
    build_distribution_config,
    comparable,
    config_differences,
    merged_for_update,
    project,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
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

WAIT_DELAY_SECONDS = 20
REQUIRED_WHEN_PRESENT = (
    "s3_domain_name",
    "origin_access_control_id",
    "api_endpoint",
    "key_group_id",
    "response_headers_policy_id",
)


class NotDeployedError(Exception):
    """The distribution did not reach Deployed within wait_timeout (the cause: the waiter's error)."""


@dataclass(frozen=True)
class Distribution:
    """The distribution with our comment: its config with the ETag updates need, and its tags."""

    id: str
    arn: str
    config: dict[str, Any]
    etag: str
    tags: dict[str, str]


# --- describe --------------------------------------------------------------------------


def find_distribution(client: Any, comment: str) -> dict[str, Any] | None:
    """The summary of the distribution with this comment, if any."""
    for summary in paginate(client, "list_distributions", "DistributionList.Items"):
        if summary.get("Comment") == comment:
            return summary
    return None


def get_distribution(client: Any, distribution_id: str) -> dict[str, Any]:
    response = client.get_distribution(Id=distribution_id)
    return dict(response["Distribution"], ETag=response["ETag"])


def get_tags(client: Any, arn: str) -> dict[str, str]:
    response = client.list_tags_for_resource(Resource=arn)
    return tag_dict(response.get("Tags", {}).get("Items", []))


def describe_distribution(client: Any, comment: str) -> Distribution | None:
    summary = find_distribution(client, comment)
    if summary is None:
        return None
    response = client.get_distribution_config(Id=summary["Id"])
    return Distribution(
        summary["Id"],
        summary["ARN"],
        response["DistributionConfig"],
        response["ETag"],
        get_tags(client, summary["ARN"]),
    )


def describe(client: Any, distribution_id: str) -> dict[str, Any]:
    """The module's return value for a distribution."""
    distribution = get_distribution(client, distribution_id)
    return {
        "id": distribution["Id"],
        "arn": distribution["ARN"],
        "domain_name": distribution["DomainName"],
        "status": distribution["Status"],
        "tags": get_tags(client, distribution["ARN"]),
    }


# --- actions -----------------------------------------------------------------------------


@dataclass
class Applier:
    """The client, how long to wait for a deployment (0: do not wait), and the result:
    values["id"] of the distribution, values["deleted"] once it is gone."""

    client: Any
    wait_timeout: int
    result: ApplyResult = field(default_factory=ApplyResult)

    def wait_until_deployed(self, distribution_id: str) -> None:
        attempts = max(1, self.wait_timeout // WAIT_DELAY_SECONDS)
        waiter = self.client.get_waiter("distribution_deployed")
        try:
            waiter.wait(
                Id=distribution_id, WaiterConfig={"Delay": WAIT_DELAY_SECONDS, "MaxAttempts": attempts}
            )
        except botocore.exceptions.WaiterError as error:
            raise NotDeployedError(f"Distribution {distribution_id} was not deployed in time") from error


@dataclass(frozen=True)
class CreateDistribution(Action):
    kind: ClassVar[str] = "create"
    description: str
    config: dict[str, Any]
    tags: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        config = dict(self.config, CallerReference=str(uuid.uuid4()))
        response = applier.client.create_distribution_with_tags(
            DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tag_list(self.tags)}}
        )
        applier.result.values["id"] = response["Distribution"]["Id"]


@dataclass(frozen=True)
class UpdateDistribution(Action):
    kind: ClassVar[str] = "update"
    description: str
    distribution: Distribution
    config: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        current = self.distribution
        applier.client.update_distribution(
            Id=current.id,
            IfMatch=current.etag,
            DistributionConfig=merged_for_update(current.config, self.config),
        )


@dataclass(frozen=True)
class Retag(Action):
    kind: ClassVar[str] = "tag"
    description: str
    arn: str
    to_set: dict[str, str]
    to_remove: list[str]

    def apply(self, applier: Applier) -> None:
        if self.to_set:
            applier.client.tag_resource(Resource=self.arn, Tags={"Items": tag_list(self.to_set)})
        if self.to_remove:
            applier.client.untag_resource(Resource=self.arn, TagKeys={"Items": self.to_remove})


@dataclass(frozen=True)
class WaitDeployed(Action):
    """Wait for the distribution the plan made or changed (its id from the plan, or from
    the create before)."""

    kind: ClassVar[str] = "wait"
    description: str
    distribution_id: str | None

    def apply(self, applier: Applier) -> None:
        applier.wait_until_deployed(self.distribution_id or applier.result.values["id"])


@dataclass(frozen=True)
class DisableDistribution(Action):
    kind: ClassVar[str] = "disable"
    description: str
    distribution: Distribution

    def apply(self, applier: Applier) -> None:
        current = self.distribution
        disabled = dict(current.config, Enabled=False)
        applier.client.update_distribution(Id=current.id, IfMatch=current.etag, DistributionConfig=disabled)


@dataclass(frozen=True)
class DeleteDistribution(Action):
    """Delete once disabled and deployed (waiting for it when asked); a distribution still
    deploying is left for the next run."""

    kind: ClassVar[str] = "delete"
    description: str
    distribution_id: str

    def apply(self, applier: Applier) -> None:
        if applier.wait_timeout:
            applier.wait_until_deployed(self.distribution_id)
        distribution = get_distribution(applier.client, self.distribution_id)
        if distribution["Status"] != "Deployed":
            return
        applier.client.delete_distribution(Id=self.distribution_id, IfMatch=distribution["ETag"])
        applier.result.values["deleted"] = True


# --- plan --------------------------------------------------------------------------------


def desired_config(params: dict[str, Any]) -> dict[str, Any]:
    """The distribution config the options ask for; ValueError for a bad api_endpoint."""
    api_domain, api_path = api_origin_from_endpoint(params["api_endpoint"])
    return build_distribution_config(
        comment=params["comment"],
        s3_domain_name=params["s3_domain_name"],
        origin_access_control_id=params["origin_access_control_id"],
        api_domain_name=api_domain,
        api_origin_path=api_path,
        key_group_id=params["key_group_id"],
        price_class=params["price_class"],
        aliases=params["aliases"],
        acm_certificate_arn=params["acm_certificate_arn"],
        enabled=params["enabled"],
        response_headers_policy_id=params["response_headers_policy_id"],
    )


def plan_present(
    current: Distribution | None,
    desired: dict[str, Any],
    tags: dict[str, Any] | None,
    purge_tags: bool,
    wait: bool,
) -> Plan:
    """Create, or update what differs and the tags. The diff is the config's (tags are in
    the return value), so a tags-only change has none."""
    comment = desired["Comment"]
    if current is None:
        actions: list[Action] = [CreateDistribution(f"create distribution {comment}", desired, tags or {})]
        if wait:
            actions.append(WaitDeployed(f"wait for distribution {comment} to deploy", None))
        return Plan(comment, tuple(actions), {}, comparable(desired))
    actions = []
    before = after = None
    if config_differences(current.config, desired):
        actions.append(UpdateDistribution(f"update distribution {comment}", current, desired))
        before, after = project(current.config, desired), comparable(desired)
    to_set, to_remove = tag_changes(current.tags, tags, purge_tags)
    if to_set or to_remove:
        actions.append(Retag(f"tag distribution {comment}", current.arn, to_set, to_remove))
    if actions and wait:
        actions.append(WaitDeployed(f"wait for distribution {comment} to deploy", current.id))
    return Plan(comment, tuple(actions), before, after)


def plan_absent(current: Distribution | None, comment: str, wait: bool) -> Plan:
    """Disable, then (once deployed, waiting for it with `wait`) delete."""
    if current is None:
        return Plan(comment, (), None, None)
    actions: list[Action] = []
    if current.config["Enabled"]:
        actions.append(DisableDistribution(f"disable distribution {comment}", current))
    if wait or not current.config["Enabled"]:
        actions.append(DeleteDistribution(f"delete distribution {comment}", current.id))
    return Plan(comment, tuple(actions), None, None)


# --- result ------------------------------------------------------------------------------


def present_result(
    client: Any, plan: Plan, current: Distribution | None, applier: Applier, check_mode: bool
) -> dict[str, Any]:
    distribution_id = applier.result.values.get("id") or (current.id if current else "")
    if check_mode and not distribution_id:
        result: dict[str, Any] = {"changed": True, "id": ""}
    else:
        result = dict(describe(client, distribution_id), changed=plan.changed)
    if plan.after is not None:
        result["diff"] = plan.diff
    return result


def absent_result(
    client: Any, plan: Plan, current: Distribution | None, applier: Applier, check_mode: bool
) -> dict[str, Any]:
    if current is None:
        return {"changed": False, "id": ""}
    if check_mode or applier.result.values.get("deleted"):
        return {"changed": True, "id": current.id}
    # Disabled and not waited for, or still deploying from an earlier disable.
    disabled_now = current.config["Enabled"]
    return dict(describe(client, current.id), changed=disabled_now)


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            comment=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            s3_domain_name=dict(type="str"),
            origin_access_control_id=dict(type="str"),
            api_endpoint=dict(type="str"),
            key_group_id=dict(type="str"),
            response_headers_policy_id=dict(type="str", default=RESPONSE_HEADERS_POLICY_SECURITY_HEADERS),
            price_class=dict(type="str", choices=PRICE_CLASSES, default="PriceClass_100"),
            aliases=dict(type="list", elements="str", default=[]),
            acm_certificate_arn=dict(type="str"),
            enabled=dict(type="bool", default=True),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
        ),
        required_if=[
            ("state", "present", REQUIRED_WHEN_PRESENT),
        ],
        supports_check_mode=True,
    )
    # required_if counts a parameter given as null as present; an empty key group would
    # leave the video without signed cookies, so insist on values.
    if module.params["state"] == "present":
        empty = [name for name in REQUIRED_WHEN_PRESENT if not module.params[name]]
        if empty:
            module.fail_json(msg=f"state=present needs values for: {', '.join(empty)}")
    if module.params["aliases"] and not module.params["acm_certificate_arn"]:
        module.fail_json(msg="aliases need acm_certificate_arn (a certificate in us-east-1 covering them)")
    params = module.params
    if params["state"] == "present":
        try:
            desired = desired_config(params)
        except ValueError as error:
            module.fail_json(msg=str(error))
    client = retrying_client(module, "cloudfront")
    applier = Applier(client, params["wait_timeout"] if params["wait"] else 0)
    try:
        current = describe_distribution(client, params["comment"])
        if params["state"] == "present":
            plan = plan_present(current, desired, params["tags"], params["purge_tags"], params["wait"])
            apply_unless_checking(plan, applier, module.check_mode)
            result = present_result(client, plan, current, applier, module.check_mode)
        else:
            plan = plan_absent(current, params["comment"], params["wait"])
            apply_unless_checking(plan, applier, module.check_mode)
            result = absent_result(client, plan, current, applier, module.check_mode)
    except NotDeployedError as error:
        module.fail_json_aws(error.__cause__, msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to manage the CloudFront distribution")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
