#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53resolver_dns_firewall
short_description: Allow-list DNS firewall (Route 53 Resolver DNS Firewall) for a VPC
version_added: 0.1.0
description:
  - Makes the VPC resolver answer only the names a stack needs and refuse every other
    name, so that software inside the VPC cannot leak data through DNS queries to a
    name server someone else controls.
  - With O(state=present) it keeps three firewall domain lists, C(<name>-dns-allowed)
    (exactly O(allowed_domains)), C(<name>-dns-maintenance) (created empty; its domains
    belong to the maintenance window and are never changed here) and C(<name>-dns-all)
    (the single name C(*)); a rule group C(<name>-dns) with exactly three rules,
    priority 100 ALLOW C(<name>-dns-allowed), 200 ALLOW C(<name>-dns-maintenance) and
    1000 BLOCK C(<name>-dns-all) with O(block_response); and one association of the rule
    group, with O(vpc_id) at O(association_priority). Associations with other VPCs or at
    another priority are removed.
  - The ALLOW rules trust the CNAME chain of an allowed name
    (C(TRUST_REDIRECTION_DOMAIN)), because the targets of a name such as a bucket's or a
    mirror's are chosen by its owner and are not the stack's to list. The BLOCK rule
    inspects every name of a chain.
  - With O(state=absent) it removes the association(s), the rules, the rule group and the
    three domain lists, waiting for AWS to finish each disassociation first.
  - Resources are found by name (names in the collection's docs/conventions.md); two
    resources with one of these names is an error.
  - The logic lives in the module_utils C(dns_firewall) file.
author:
  - privatecast.streaming contributors (@privatecast)
notes:
  - An exact name such as C(s3.eu-west-1.amazonaws.com) allows that name only;
    C(*.example.com) allows every name below C(example.com) (not C(example.com) itself).
    Allowing only exact names and names under domains the stack's user does not control
    leaves nothing to encode data in that reaches anyone else's name server.
  - Names are compared without case and without a trailing dot.
  - The firewall applies to every query a VPC's instances send to the VPC resolver
    (C(169.254.169.253) or the VPC network's base address plus two), in every subnet.
    Amazon Time Sync (C(169.254.169.123)) and the instance metadata service are
    addresses, not names, and need no entry.
  - AWS applies domain list changes and associations asynchronously; the module returns
    once AWS accepted them, except that it waits for disassociations (a rule group can be
    deleted only when no VPC uses it).
  - Supports check mode and diff mode. Calls are retried with C(AWSRetry.jittered_backoff).
options:
  name:
    description:
      - Base name of the firewall's resources, normally the stack's name.
    type: str
    required: true
  state:
    description:
      - V(present) makes the firewall exactly as described, V(absent) removes it.
    type: str
    default: present
    choices: [present, absent]
  vpc_id:
    description:
      - The VPC whose resolver the firewall filters. Required when O(state=present).
    type: str
  allowed_domains:
    description:
      - The names the resolver answers (besides those of the maintenance list). Required
        when O(state=present); an empty list blocks every name.
    type: list
    elements: str
  block_response:
    description:
      - What a blocked query gets, V(NXDOMAIN) (the name does not exist) or V(NODATA)
        (it exists but has no record of the asked type).
    type: str
    default: NXDOMAIN
    choices: [NXDOMAIN, NODATA]
  association_priority:
    description:
      - Priority of the rule group's association with the VPC, 100-9900 (lower runs
        first); must differ from the VPC's other rule group associations.
    type: int
    default: 101
  tags:
    description:
      - Tags every resource made carries; missing ones are added to existing resources,
        others are left alone.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
"""

EXAMPLES = r"""
- name: Let the VPC resolver answer the bucket's S3 names only
  privatecast.streaming.route53resolver_dns_firewall:
    name: privatecast
    vpc_id: vpc-0123456789abcdef0
    allowed_domains:
      - s3.eu-west-1.amazonaws.com
      - my-bucket.s3.eu-west-1.amazonaws.com
    tags:
      privatecast:stack: privatecast
      privatecast:component: network

- name: Remove the firewall
  privatecast.streaming.route53resolver_dns_firewall:
    name: privatecast
    state: absent
"""

RETURN = r"""
changes:
  description: What was changed (in check mode, what would be), in order, for people.
  returned: always
  type: list
  elements: str
  sample:
    - create firewall domain list privatecast-dns-allowed
    - associate privatecast-dns with vpc-0123456789abcdef0 (priority 101)
rule_group_id:
  description: The rule group's id; empty when absent or not yet made (check mode).
  returned: always
  type: str
  sample: rslvr-frg-0123456789abcdef
association_id:
  description: The id of the rule group's association with O(vpc_id); empty when none.
  returned: always
  type: str
  sample: rslvr-frgassoc-0123456789abcdef
domain_list_ids:
  description: The ids of the domain lists by role (V(allowed), V(maintenance), V(all)).
  returned: always
  type: dict
  sample: {"allowed": "rslvr-fdl-0123456789abcdef", "maintenance": "rslvr-fdl-1123456789abcdef",
           "all": "rslvr-fdl-2123456789abcdef"}
firewall:
  description: The firewall after the run (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    rule_group:
      description: The rule group's name, null when there is none.
      type: str
    domain_lists:
      description: Domains of each list by role, without trailing dots.
      type: dict
    rules:
      description: The rules as C(<priority> <action> <domain list>), lowest priority first.
      type: list
      elements: str
    associations:
      description: The VPCs the rule group is associated with, with priorities.
      type: list
      elements: str
  sample:
    rule_group: privatecast-dns
    domain_lists: {"allowed": ["s3.eu-west-1.amazonaws.com"], "maintenance": [], "all": ["*"]}
    rules:
      - 100 ALLOW privatecast-dns-allowed, trusting CNAME targets
      - 200 ALLOW privatecast-dns-maintenance, trusting CNAME targets
      - 1000 BLOCK (NXDOMAIN) privatecast-dns-all
    associations: ["vpc-0123456789abcdef0 (priority 101)"]
"""

from typing import Any

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.dns_firewall import (
    Desired,
    FirewallError,
    FirewallState,
    Plan,
    apply_plan,
    describe_firewall,
    normalise_domain,
    plan_absent,
    plan_present,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import (
    fail_with_cause,
    retrying_client,
)

# Throttling is retried by default. ConflictException is not retried: it also means a
# real conflict (a priority taken by another rule group), which should fail at once.
EXTRA_RETRY_CODES: list[str] = []


def desired_of(params: dict[str, Any]) -> Desired:
    return Desired(
        vpc_id=params["vpc_id"],
        allowed_domains=tuple(normalise_domain(domain) for domain in params["allowed_domains"]),
        block_response=params["block_response"],
        association_priority=params["association_priority"],
        tags=params["tags"],
    )


def result_of(
    plan: Plan, final: FirewallState | None, ids: dict[str, str], vpc_id: str | None, diff_mode: bool
) -> dict[str, Any]:
    """The module's return value; `final` is the re-read state (None in check mode)."""
    association_id = ""
    if final is not None:
        ids = {key: value.list_id for key, value in final.lists.items()}
        ids["group"] = final.group_id or ""
        association_id = next((a.association_id for a in final.associations if a.vpc_id == vpc_id), "")
    result = {
        "changed": plan.changed,
        "changes": plan.descriptions,
        "rule_group_id": ids.get("group", ""),
        "association_id": association_id,
        "domain_list_ids": {key: value for key, value in ids.items() if key != "group"},
        "firewall": final.summary() if final is not None else plan.after,
    }
    if diff_mode:
        result["diff"] = plan.diff
    return result


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        vpc_id=dict(type="str"),
        allowed_domains=dict(type="list", elements="str"),
        block_response=dict(type="str", default="NXDOMAIN", choices=["NXDOMAIN", "NODATA"]),
        association_priority=dict(type="int", default=101),
        tags=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["vpc_id", "allowed_domains"])],
    )
    client = retrying_client(module, "route53resolver", EXTRA_RETRY_CODES)
    name = module.params["name"]
    try:
        before = describe_firewall(client, name)
        desired = desired_of(module.params) if module.params["state"] == "present" else None
        plan = plan_present(before, desired) if desired else plan_absent(before)
        final = None
        ids = {key: value.list_id for key, value in before.lists.items()}
        ids["group"] = before.group_id or ""
        if not module.check_mode:
            if plan.changed:
                apply_plan(client, before, plan, desired)
            final = describe_firewall(client, name)
    except FirewallError as error:
        fail_with_cause(module, error)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"could not read or change the DNS firewall {name}")
    module.exit_json(**result_of(plan, final, ids, module.params["vpc_id"], module._diff))


if __name__ == "__main__":
    main()
