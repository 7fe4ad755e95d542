#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_audit_info
short_description: Read-only checks of a deployed privatecast stack against its security model
version_added: 1.1.0
description:
  - Describes the stack's AWS resources (found by the tags and names of docs/conventions.md)
    and, through the proxy, Owncast's admin frontend, and returns one row per check and
    resource with C(pass), C(fail) or C(not checked) and a reason. It changes nothing, in
    AWS or on the servers, so it runs the same in check mode.
  - It never fails because a check fails; the caller decides (playbooks/audit.yml prints
    the table and then fails on any C(fail)). It fails only when it cannot read AWS.
  - "Checks: C(bucket_private), C(bucket_readers), C(video_key_group), C(api_authorizer),
    C(ssh_closed), C(https_admin_only), C(owncast_no_public_address), C(imdsv2),
    C(signing_key_age), C(mfa), C(cookie_lifetimes), and through the proxy
    C(owncast_admin_password), C(proxy_paths), C(proxy_admin_sources). docs/audit.md says
    what each means."
  - The signing key's SSM parameter is described, never read, so no secret is fetched.
author:
  - privatecast.streaming contributors (@privatecast)
options:
  stack_name:
    description: The stack (tag C(privatecast:stack)); the default names below derive from it.
    required: true
    type: str
  bucket_name:
    description: The stack's video bucket.
    required: true
    type: str
  distribution_comment:
    description: Comment that identifies the stack's CloudFront distribution. Default C(privatecast <stack>).
    type: str
  key_group_name:
    description: The CloudFront key group of the signed cookies. Default C(<stack>-signers).
    type: str
  signing_key_parameter:
    description:
      - The signing key's SSM parameter (only described, never read).
      - Default C(/privatecast/<stack>/cloudfront/signing-key).
    type: str
  signing_key_max_age_days:
    description: The current signing key (the newest key of the group) must be younger than this.
    type: int
    default: 90
  api_name:
    description: The HTTP API. Default C(<stack>-api).
    type: str
  open_routes:
    description:
      - Route keys (C(GET /api/x)) meant to be reachable without the authorizer. The
        collection's API has none.
    type: list
    elements: str
    default: []
  user_pool_name:
    description: The Cognito user pool. Default C(<stack>).
    type: str
  session_function:
    description: The Lambda function that signs the cookies. Default C(<stack>-session).
    type: str
  mfa:
    description: The configured MFA setting (C(aws_auth_mfa)).
    required: true
    type: str
    choices: ['off', optional, required]
  hls_cookie_ttl_seconds:
    description: The configured lifetime of the live video cookie (C(aws_api_hls_cookie_ttl_seconds)).
    required: true
    type: int
  recordings_cookie_ttl_seconds:
    description: The configured lifetime of the recordings cookie (C(aws_api_recordings_cookie_ttl_seconds)).
    required: true
    type: int
  admin_cidrs:
    description: The admin sources (C(privatecast_admin_cidrs)), the only ones HTTPS may be open to.
    required: true
    type: list
    elements: str
  proxy_checks:
    description:
      - Probe Owncast's admin frontend through the proxy from where the module runs (the
        controller). V(false) reports those checks as C(not checked), which does not fail.
      - A proxy that does not answer fails the checks; it never passes them.
    type: bool
    default: true
  proxy_url:
    description:
      - Base URL of the proxy's HTTPS frontend. Default C(https://<the proxy's public address>).
    type: str
  proxy_probe_sources:
    description:
      - Local source addresses outside O(admin_cidrs) to probe the admin page from; each must
        be refused (403). Useful where the controller has such an address (the local stack
        uses C(127.0.0.2)).
    type: list
    elements: str
    default: []
  owncast_default_password:
    description: Owncast's default admin password, which must be refused.
    type: str
    default: abc123
  probe_timeout:
    description: Seconds to wait for each probe.
    type: float
    default: 5
notes:
  - Supports check mode (it only reads).
  - The probes do not verify the proxy's certificate (it may be self-signed); the only
    credential they send is Owncast's public default password.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit the stack
  privatecast.streaming.stack_audit_info:
    stack_name: mystack
    bucket_name: mystack-video-123456789012
    mfa: optional
    hls_cookie_ttl_seconds: 3600
    recordings_cookie_ttl_seconds: 3600
    admin_cidrs: [203.0.113.7/32]
  register: audit

- name: Show the table
  ansible.builtin.debug:
    var: audit.table
"""

RETURN = r"""
checks:
  description: One row per check and resource, in a fixed order of checks.
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: The check's name (docs/audit.md).
      type: str
    status:
      description: C(pass), C(fail) or C(not checked).
      type: str
    resource:
      description: What was checked (id and name).
      type: str
    reason:
      description: Why it passed or failed.
      type: str
failed_checks:
  description: The rows whose status is C(fail).
  returned: always
  type: list
  elements: dict
table:
  description: The rows as aligned text lines, a header first.
  returned: always
  type: list
  elements: str
summary:
  description: How many rows passed, failed and were not checked.
  returned: always
  type: dict
  sample: {"pass": 30, "fail": 0, "not checked": 1}
"""

import datetime
from typing import Any

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils import proxy_probe as pp
from ansible_collections.privatecast.streaming.plugins.module_utils import stack_audit as sa
from ansible_collections.privatecast.streaming.plugins.module_utils.maintenance import (
    MaintenanceError,
    describe_window,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client


def defaults(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with the names of docs/conventions.md filled in."""
    stack = params["stack_name"]
    named = {
        "distribution_comment": f"privatecast {stack}",
        "key_group_name": f"{stack}-signers",
        "signing_key_parameter": f"/privatecast/{stack}/cloudfront/signing-key",
        "api_name": f"{stack}-api",
        "user_pool_name": stack,
        "session_function": f"{stack}-session",
    }
    return {**params, **{key: params[key] or value for key, value in named.items()}}


def aws_rows(module: AnsibleAWSModule, p: dict[str, Any]) -> tuple[list[sa.Row], dict[str, Any] | None]:
    """Every AWS-side row, and the proxy instance (for the probes' default URL)."""
    ec2 = retrying_client(module, "ec2")
    cloudfront = retrying_client(module, "cloudfront")
    window = describe_window(ec2, p["stack_name"]).as_dict()
    network = sa.gather_network(ec2, p["stack_name"], window["vpc_id"])
    distribution = sa.find_distribution(cloudfront, p["distribution_comment"])
    key_group = sa.find_key_group(cloudfront, p["key_group_name"])
    api = sa.find_api(retrying_client(module, "apigatewayv2"), p["api_name"])
    pool = sa.find_user_pool(retrying_client(module, "cognito-idp"), p["user_pool_name"])
    parameter = sa.gather_parameter(retrying_client(module, "ssm"), p["signing_key_parameter"])
    environment = sa.gather_function_environment(retrying_client(module, "lambda"), p["session_function"])
    bucket = sa.gather_bucket(retrying_client(module, "s3"), p["bucket_name"])
    now = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (ansible-test's older Pythons)
    rows = sa.check_bucket(p["bucket_name"], bucket, distribution["arn"] if distribution else None)
    rows += sa.check_video_behaviours(distribution, key_group)
    rows += sa.check_routes(api, p["open_routes"], pool["id"] if pool else None)
    rows += sa.check_ssh(network, window)
    rows += sa.check_https(network, p["admin_cidrs"])
    rows.append(sa.check_owncast_address(window, sa.server(network["instances"], "owncast")))
    rows += sa.check_imdsv2(network["instances"])
    rows.append(sa.check_signing_key(key_group, parameter, p["signing_key_max_age_days"], now))
    rows.append(sa.check_mfa(pool, p["mfa"]))
    expected = {key: p[key] for key in sa.COOKIE_VARIABLES}
    rows += sa.check_cookies(p["session_function"], environment, expected)
    return rows, sa.server(network["instances"], "proxy")


def proxy_rows(p: dict[str, Any], proxy: dict[str, Any] | None) -> list[sa.Row]:
    """The rows probed through the proxy; failed (never passed) when it cannot be reached."""
    if not p["proxy_checks"]:
        return pp.not_checked("switched off (proxy_checks: false)")
    url = p["proxy_url"] or (
        f"https://{proxy['PublicIpAddress']}" if proxy and proxy.get("PublicIpAddress") else None
    )
    if url is None:
        state = proxy["State"]["Name"] if proxy else "missing"
        return pp.unreachable("proxy", f"the proxy has no public address ({state})")
    return pp.check_through_proxy(
        url.rstrip("/"),
        p["owncast_default_password"],
        p["proxy_probe_sources"],
        p["admin_cidrs"],
        p["probe_timeout"],
    )


def main() -> None:
    argument_spec = dict(
        stack_name=dict(type="str", required=True),
        bucket_name=dict(type="str", required=True),
        distribution_comment=dict(type="str"),
        key_group_name=dict(type="str"),
        signing_key_parameter=dict(type="str", no_log=False),
        signing_key_max_age_days=dict(type="int", default=90, no_log=False),
        api_name=dict(type="str"),
        open_routes=dict(type="list", elements="str", default=[]),
        user_pool_name=dict(type="str"),
        session_function=dict(type="str"),
        mfa=dict(type="str", required=True, choices=["off", "optional", "required"]),
        hls_cookie_ttl_seconds=dict(type="int", required=True),
        recordings_cookie_ttl_seconds=dict(type="int", required=True),
        admin_cidrs=dict(type="list", elements="str", required=True),
        proxy_checks=dict(type="bool", default=True),
        proxy_url=dict(type="str"),
        proxy_probe_sources=dict(type="list", elements="str", default=[]),
        owncast_default_password=dict(type="str", default="abc123", no_log=True),
        probe_timeout=dict(type="float", default=5.0),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = defaults(module.params)
    try:
        rows, proxy = aws_rows(module, params)
    except MaintenanceError as error:
        module.fail_json(msg=f"cannot audit stack {params['stack_name']}: {error}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"could not describe stack {params['stack_name']}")
    rows += proxy_rows(params, proxy)
    checks = [row.as_dict() for row in rows]
    summary = {
        status: sum(row.status == status for row in rows) for status in (sa.PASS, sa.FAIL, sa.NOT_CHECKED)
    }
    module.exit_json(
        changed=False,
        checks=checks,
        failed_checks=[check for check in checks if check["status"] == sa.FAIL],
        table=sa.render_table(rows),
        summary=summary,
    )


if __name__ == "__main__":
    main()
