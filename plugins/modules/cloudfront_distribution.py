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
from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
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

WAIT_DELAY_SECONDS = 20
REQUIRED_WHEN_PRESENT = (
    "s3_domain_name",
    "origin_access_control_id",
    "api_endpoint",
    "key_group_id",
    "response_headers_policy_id",
)


def find_distribution(client, comment: str) -> dict[str, Any] | None:
    """The summary of the distribution with this comment, if any."""
    paginator = client.get_paginator("list_distributions")
    listing = paginator.paginate().build_full_result().get("DistributionList", {})
    for summary in listing.get("Items") or []:
        if summary.get("Comment") == comment:
            return summary
    return None


def get_config(client, distribution_id: str) -> dict[str, Any]:
    response = client.get_distribution_config(aws_retry=True, Id=distribution_id)
    return {"config": response["DistributionConfig"], "etag": response["ETag"]}


def get_distribution(client, distribution_id: str) -> dict[str, Any]:
    response = client.get_distribution(aws_retry=True, Id=distribution_id)
    return dict(response["Distribution"], ETag=response["ETag"])


def get_tags(client, arn: str) -> dict[str, str]:
    response = client.list_tags_for_resource(aws_retry=True, Resource=arn)
    return boto3_tag_list_to_ansible_dict(response.get("Tags", {}).get("Items", []))


def ensure_tags(client, module: AnsibleAWSModule, arn: str) -> bool:
    if module.params["tags"] is None:
        return False
    current = get_tags(client, arn)
    to_set, to_remove = compare_aws_tags(current, module.params["tags"], module.params["purge_tags"])
    if not (to_set or to_remove):
        return False
    if module.check_mode:
        return True
    if to_set:
        client.tag_resource(
            aws_retry=True, Resource=arn, Tags={"Items": ansible_dict_to_boto3_tag_list(to_set)}
        )
    if to_remove:
        client.untag_resource(aws_retry=True, Resource=arn, TagKeys={"Items": to_remove})
    return True


def wait_until_deployed(client, module: AnsibleAWSModule, distribution_id: str) -> None:
    attempts = max(1, module.params["wait_timeout"] // WAIT_DELAY_SECONDS)
    waiter = client.get_waiter("distribution_deployed")
    try:
        waiter.wait(Id=distribution_id, WaiterConfig={"Delay": WAIT_DELAY_SECONDS, "MaxAttempts": attempts})
    except botocore.exceptions.WaiterError as error:
        module.fail_json_aws(error, msg=f"Distribution {distribution_id} was not deployed in time")


def desired_config(module: AnsibleAWSModule) -> dict[str, Any]:
    params = module.params
    try:
        api_domain, api_path = api_origin_from_endpoint(params["api_endpoint"])
    except ValueError as error:
        module.fail_json(msg=str(error))
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


def describe(client, distribution_id: str) -> dict[str, Any]:
    distribution = get_distribution(client, distribution_id)
    return {
        "id": distribution["Id"],
        "arn": distribution["ARN"],
        "domain_name": distribution["DomainName"],
        "status": distribution["Status"],
        "tags": get_tags(client, distribution["ARN"]),
    }


def create(client, module: AnsibleAWSModule, desired: dict[str, Any]) -> dict[str, Any]:
    diff = {"before": {}, "after": comparable(desired)}
    if module.check_mode:
        return {"changed": True, "id": "", "diff": diff}
    config = dict(desired, CallerReference=str(uuid.uuid4()))
    tags = ansible_dict_to_boto3_tag_list(module.params["tags"] or {})
    response = client.create_distribution_with_tags(
        aws_retry=True, DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tags}}
    )
    distribution_id = response["Distribution"]["Id"]
    if module.params["wait"]:
        wait_until_deployed(client, module, distribution_id)
    return dict(describe(client, distribution_id), changed=True, diff=diff)


def ensure_present(client, module: AnsibleAWSModule) -> dict[str, Any]:
    desired = desired_config(module)
    summary = find_distribution(client, module.params["comment"])
    if summary is None:
        return create(client, module, desired)
    distribution_id = summary["Id"]
    current = get_config(client, distribution_id)
    differences = config_differences(current["config"], desired)
    changed = bool(differences)
    if changed and not module.check_mode:
        client.update_distribution(
            aws_retry=True,
            Id=distribution_id,
            IfMatch=current["etag"],
            DistributionConfig=merged_for_update(current["config"], desired),
        )
    changed |= ensure_tags(client, module, summary["ARN"])
    if changed and module.params["wait"] and not module.check_mode:
        wait_until_deployed(client, module, distribution_id)
    result = dict(describe(client, distribution_id), changed=changed)
    if differences:
        result["diff"] = {"before": project(current["config"], desired), "after": comparable(desired)}
    return result


def ensure_absent(client, module: AnsibleAWSModule) -> dict[str, Any]:
    summary = find_distribution(client, module.params["comment"])
    if summary is None:
        return {"changed": False, "id": ""}
    distribution_id = summary["Id"]
    current = get_config(client, distribution_id)
    if module.check_mode:
        return {"changed": True, "id": distribution_id}
    if current["config"]["Enabled"]:
        disabled = dict(current["config"], Enabled=False)
        response = client.update_distribution(
            aws_retry=True, Id=distribution_id, IfMatch=current["etag"], DistributionConfig=disabled
        )
        current["etag"] = response["ETag"]
        if not module.params["wait"]:
            return dict(describe(client, distribution_id), changed=True)
    if module.params["wait"]:
        wait_until_deployed(client, module, distribution_id)
    distribution = get_distribution(client, distribution_id)
    if distribution["Status"] != "Deployed":
        return dict(describe(client, distribution_id), changed=False)
    client.delete_distribution(aws_retry=True, Id=distribution_id, IfMatch=distribution["ETag"])
    return {"changed": True, "id": distribution_id}


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
    client = module.client("cloudfront", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "present":
            result = ensure_present(client, module)
        else:
            result = ensure_absent(client, module)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to manage the CloudFront distribution")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
