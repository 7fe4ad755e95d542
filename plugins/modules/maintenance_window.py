#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: maintenance_window
short_description: Open or close the SSH maintenance window of a privatecast stack
version_added: 0.1.0
description:
  - Opens or closes a temporary path for SSH and package updates to the Owncast instance,
    which otherwise lives in a private subnet with no route out.
  - O(state=open) adds a default route C(0.0.0.0/0) to the stack's internet gateway in the
    private route table; network ACL entries numbered 900-999 for SSH in from O(admin_cidrs),
    HTTP (80), HTTPS (443) and DNS (53 TCP and UDP) out, and the return traffic of both
    (ephemeral ports 1024-65535); the stack's maintenance security group added to the
    Owncast instance (its other groups are kept); and a temporary Elastic IP on the Owncast
    instance, tagged C(privatecast:component=maintenance) and C(privatecast:opened-at).
  - With O(include_proxy=true) it also attaches the maintenance group to the proxy and adds
    entries 900-999 to the public subnet's network ACL, so the operator can SSH to the proxy
    and use it as a jump host to the Owncast instance, and the proxy can fetch packages.
  - When the stack has a DNS firewall (module route53resolver_dns_firewall, domain list
    C(<stack>-dns-maintenance)), O(state=open) also puts O(dns_domains) in that list so
    the servers can resolve Debian's package names, and O(state=closed) empties it.
  - O(state=closed) removes exactly those pieces (route, entries 900-999, the group from
    both instances, the temporary address is disassociated and released, the DNS names)
    and nothing else.
    It works from any partial state, for example an open that failed half-way.
  - Resources are found by the tags in the collection's docs/conventions.md
    (C(privatecast:stack), C(privatecast:tier), C(privatecast:sg), C(privatecast:server)).
  - The logic lives in the module_utils C(maintenance) file, shared with the housekeeping
    Lambda that closes a window left open too long.
author:
  - privatecast.streaming contributors (@privatecast)
notes:
  - A route to an internet gateway does nothing for an instance without a public address.
    That is why the window puts a temporary Elastic IP on the Owncast instance; without it
    SSH from outside and package downloads would both fail even with the route in place.
  - Network ACL rule numbers 900-999 of the stack's public and private ACLs belong to the
    window; entries there that the window does not want are removed. AWS allows 20 entries
    per direction per ACL by default, so keep O(admin_cidrs) short.
  - The maintenance security group (created by the aws_network role) must allow SSH from
    the admin CIDRs, and for the jump host SSH between its own members (ingress and egress
    TCP 22 with the group itself as peer), since both instances carry it while the window
    is open. This module attaches the group, it does not change its rules.
  - The Elastic IP tag C(privatecast:opened-at) (UTC, ISO 8601) records when the window
    was opened; the window's address is allocated first so that the tag exists whenever
    any piece is open.
  - Supports check mode and diff mode. Calls are retried with C(AWSRetry.jittered_backoff).
options:
  stack_name:
    description:
      - Name of the stack (the value of the C(privatecast:stack) tag).
    type: str
    required: true
  state:
    description:
      - V(open) opens the window, V(closed) removes every piece of it.
    type: str
    required: true
    choices: [open, closed]
  admin_cidrs:
    description:
      - Addresses allowed to SSH in while the window is open (IPv4 or IPv6 CIDRs).
      - Required when O(state=open).
    type: list
    elements: str
  allow_any_source:
    description:
      - Accept O(admin_cidrs) that together cover more than one /16 of IPv4 (65,536
        addresses) or one /48 of IPv6, such as C(0.0.0.0/0), C(::/0) or C(0.0.0.0/1) plus
        C(128.0.0.0/1). Without it the module refuses to let that much of the internet try
        SSH. Overlapping and adjacent networks are counted once.
    type: bool
    default: false
  include_proxy:
    description:
      - Also open SSH to the proxy (maintenance group on the proxy, entries in the public
        subnet's ACL), so it works as a jump host and can fetch packages.
      - With V(false) an open window leaves (or puts back) the proxy closed.
      - Ignored when O(state=closed), which always closes the proxy too.
    type: bool
    default: true
  vpc_id:
    description:
      - The stack's VPC id, if known; the module fails when the stack's VPC is another one.
    type: str
  owncast_instance_id:
    description:
      - The Owncast instance id, if known; the module fails when it is not the stack's
        Owncast instance.
    type: str
  dns_domains:
    description:
      - The names the stack's DNS firewall answers while the window is open (besides its
        permanent ones), exact names or C(*.<domain>). Ignored without a DNS firewall and
        when O(state=closed).
      - The default is what apt on Debian 12 (the servers' AMI) resolves.
    type: list
    elements: str
    default: [cdn-aws.deb.debian.org, deb.debian.org, security.debian.org]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
"""

EXAMPLES = r"""
- name: Open the maintenance window for my address
  privatecast.streaming.maintenance_window:
    stack_name: privatecast
    state: open
    admin_cidrs:
      - 203.0.113.7/32
  register: window

- name: Show how to connect
  ansible.builtin.debug:
    msg: "ssh admin@{{ window.owncast_public_ip }}"

- name: Open it for the Owncast instance only, not the proxy
  privatecast.streaming.maintenance_window:
    stack_name: privatecast
    state: open
    admin_cidrs: [203.0.113.7/32]
    include_proxy: false

- name: Close the window again
  privatecast.streaming.maintenance_window:
    stack_name: privatecast
    state: closed
"""

RETURN = r"""
state:
  description: The state asked for (V(open) or V(closed)).
  returned: always
  type: str
  sample: open
status:
  description:
    - The window after the run (in check mode, what it would be) - V(open), V(partial) or V(closed).
  returned: always
  type: str
  sample: open
changes:
  description: What was changed (in check mode, what would be), in order, for people.
  returned: always
  type: list
  elements: str
  sample:
    - allocate a temporary Elastic IP (tag privatecast:component=maintenance)
    - add route 0.0.0.0/0 -> igw-0123456789abcdef0 to the private route table rtb-0123456789abcdef0
opened_at:
  description: When the window was opened (UTC, ISO 8601), from the temporary address's tag.
  returned: always
  type: str
  sample: "2026-11-23T13:05:00Z"
owncast_instance_id:
  description: The stack's Owncast instance.
  returned: always
  type: str
  sample: i-0123456789abcdef0
owncast_private_ip:
  description: The Owncast instance's private address (the target through the proxy jump host).
  returned: always
  type: str
  sample: 10.0.1.10
owncast_public_ip:
  description:
    - The temporary public address of the Owncast instance while the window is open.
    - Empty when closed, and in check mode before the address exists.
  returned: always
  type: str
  sample: 198.51.100.20
proxy_public_ip:
  description: The proxy's public (Elastic) address, for C(ssh -J).
  returned: always
  type: str
  sample: 198.51.100.10
window:
  description: The window's pieces after the run (in check mode, as planned).
  returned: always
  type: dict
  contains:
    route:
      description: The window's default route, when present.
      type: str
      sample: 0.0.0.0/0 -> igw-0123456789abcdef0
    nacl_entries:
      description: The ACL entries 900-999, one line each.
      type: list
      elements: str
    owncast_groups:
      description: Security groups of the Owncast instance.
      type: list
      elements: str
    proxy_groups:
      description: Security groups of the proxy instance.
      type: list
      elements: str
    addresses:
      description: Temporary Elastic IPs of the window.
      type: list
      elements: dict
    dns_names:
      description:
        - The names the DNS firewall's maintenance list holds; only when the stack has a
          DNS firewall.
      type: list
      elements: str
      sample: [cdn-aws.deb.debian.org, deb.debian.org, security.debian.org]
"""


from typing import Any

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.maintenance import (
    DEBIAN_DOMAINS,
    MaintenanceError,
    Plan,
    WindowState,
    apply_plan,
    describe_window,
    plan_close,
    plan_open,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import (
    fail_with_cause,
    retrying_client,
)

# Right after an allocation EC2 may not know the new address yet (eventual consistency).
EXTRA_RETRY_CODES = ["InvalidAllocationID.NotFound", "InvalidInstanceID.NotFound"]


def planned(state: WindowState, params: dict[str, Any]) -> Plan:
    """The plan for the module's options `params` (planning reads nothing from AWS)."""
    if params["state"] == "closed":
        return plan_close(state)
    return plan_open(
        state,
        params["admin_cidrs"],
        include_proxy=params["include_proxy"],
        allow_any_source=params["allow_any_source"],
        dns_domains=params["dns_domains"],
    )


def result_of(plan: Plan, final: WindowState | None, before: WindowState, diff_mode: bool) -> dict:
    """The module's return value; `final` is the re-read state (None in check mode)."""
    if final is not None:
        window = final.as_dict()
        status = window["status"]
        owncast_public_ip = window["owncast_public_ip"]
        opened_at = window["opened_at"]
        pieces = final.summary()
    else:
        window = before.as_dict()
        pieces = plan.after
        status = plan.name if plan.name == "closed" else "open"
        addresses = plan.after["addresses"]
        owncast_public_ip = (
            addresses[0]["public_ip"] if addresses and addresses[0]["public_ip"] != "(new)" else None
        )
        opened_at = addresses[0]["opened_at"] if addresses else None
    result = {
        "changed": plan.changed,
        "state": plan.name,
        "status": status,
        "changes": plan.descriptions,
        "opened_at": opened_at or "",
        "owncast_instance_id": window["owncast_instance_id"] or "",
        "owncast_private_ip": window["owncast_private_ip"] or "",
        "owncast_public_ip": owncast_public_ip or "",
        "proxy_public_ip": window["proxy_public_ip"] or "",
        "window": pieces,
    }
    if diff_mode:
        result["diff"] = plan.diff
    return result


def main() -> None:
    argument_spec = dict(
        stack_name=dict(type="str", required=True),
        state=dict(type="str", required=True, choices=["open", "closed"]),
        admin_cidrs=dict(type="list", elements="str"),
        allow_any_source=dict(type="bool", default=False),
        include_proxy=dict(type="bool", default=True),
        vpc_id=dict(type="str"),
        owncast_instance_id=dict(type="str"),
        dns_domains=dict(type="list", elements="str", default=list(DEBIAN_DOMAINS)),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "open", ["admin_cidrs"])],
    )
    ec2 = retrying_client(module, "ec2", EXTRA_RETRY_CODES)
    # The DNS firewall's maintenance list (route53resolver_dns_firewall).
    resolver = retrying_client(module, "route53resolver")
    params = module.params
    lookup = {
        "vpc_id": params["vpc_id"],
        "owncast_instance_id": params["owncast_instance_id"],
        "resolver": resolver,
    }
    try:
        before = describe_window(ec2, params["stack_name"], **lookup)
        plan = planned(before, params)
        final = None
        if plan.changed and not module.check_mode:
            apply_plan(ec2, plan, resolver)
        if not module.check_mode:
            final = describe_window(ec2, params["stack_name"], **lookup)
    except MaintenanceError as error:
        fail_with_cause(module, error)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(
            error, msg=f"could not read or change the maintenance window of {params['stack_name']}"
        )
    module.exit_json(**result_of(plan, final, before, module._diff))


if __name__ == "__main__":
    main()
