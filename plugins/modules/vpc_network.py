#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_network
short_description: A two-tier VPC with its gateway, routes, S3 endpoint and network ACLs in one call
version_added: 0.1.0
description:
  - Keeps, in one module run, a VPC named O(name) with DNS support and DNS host names on,
    one public and one private subnet, an internet gateway, one route table per subnet,
    an S3 gateway endpoint on the private route table with the policy given, and one
    network ACL per subnet holding exactly the entries given. What
    M(amazon.aws.ec2_vpc_net), M(amazon.aws.ec2_vpc_subnet), M(amazon.aws.ec2_vpc_igw),
    M(amazon.aws.ec2_vpc_route_table), M(amazon.aws.ec2_vpc_endpoint) and
    M(amazon.aws.ec2_vpc_nacl) do in about a dozen runs.
  - Describes what exists (one read per kind of resource), plans the actions, then applies
    them; in check mode it only plans. A run that finds everything in place makes only
    read calls.
  - Names and tags (docs/conventions.md) - the VPC and the internet gateway C(Name=<name>);
    the subnets, route tables and network ACLs C(Name=<name>-public) / C(<name>-private)
    with C(privatecast:tier=public) / C(private); the endpoint C(Name=<name>-s3); all of them
    carry O(tags) too, and other tags are removed.
  - The VPC is found by its C(Name) tag, the subnets by their CIDR inside it, the route
    tables and network ACLs by their C(privatecast:tier) tag, the internet gateway by its
    attachment and the endpoint by its service. A VPC or subnet whose CIDR or zone differs
    fails the run (AWS cannot change them), as does a second resource where one is expected.
  - The public route table routes C(0.0.0.0/0) to the internet gateway and nothing else; the
    private route table has no route but the endpoint's (to the S3 prefix list), so a
    route added by hand or a maintenance window is removed. Each subnet uses its own route
    table and network ACL; another subnet found on them is moved back to the main route
    table or the default ACL.
  - Network ACL entries other than AWS's default deny entries are rewritten to exactly
    O(nacl_entries); an entry whose number stays but whose content differs is replaced in
    place.
  - The endpoint's policy and route tables are changed in place when they differ.
author:
  - privatecast.streaming contributors (@privatecast)
notes:
  - Supports check mode and diff mode. Calls are retried with C(AWSRetry.jittered_backoff),
    also while a resource the run has just created is not yet visible.
  - The role C(privatecast.streaming.aws_network) calls it; teardown, the audit and the
    maintenance window find the resources by the names and tags above.
options:
  name:
    description: Name of the VPC and the internet gateway, and the prefix of the other names.
    type: str
    required: true
  cidr_block:
    description: CIDR of the VPC (IPv4).
    type: str
    required: true
  availability_zone:
    description: Availability zone of both subnets.
    type: str
    required: true
  public_subnet_cidr:
    description: CIDR of the public subnet, inside O(cidr_block).
    type: str
    required: true
  private_subnet_cidr:
    description: CIDR of the private subnet, inside O(cidr_block), not overlapping the public one.
    type: str
    required: true
  s3_endpoint_service:
    description: Service name of the S3 gateway endpoint, C(com.amazonaws.<region>.s3).
    type: str
    required: true
  s3_endpoint_policy:
    description: Policy of the S3 endpoint (a dict or its JSON); compared as a document.
    type: json
    required: true
  nacl_entries:
    description:
      - The entries of each network ACL, in M(amazon.aws.ec2_vpc_nacl)'s list form
        C([rule number, protocol, action, CIDR, ICMP type, ICMP code, first port, last port]);
        protocol C(tcp), C(udp), C(icmp), C(ipv6-icmp), C(all) or a number; rule numbers
        1-32766, once per direction.
    type: dict
    required: true
    suboptions:
      public:
        description: The public subnet's ACL.
        type: dict
        required: true
        suboptions:
          ingress:
            description: Inbound entries.
            type: list
            elements: raw
            default: []
          egress:
            description: Outbound entries.
            type: list
            elements: raw
            default: []
      private:
        description: The private subnet's ACL.
        type: dict
        required: true
        suboptions:
          ingress:
            description: Inbound entries.
            type: list
            elements: raw
            default: []
          egress:
            description: Outbound entries.
            type: list
            elements: raw
            default: []
  tags:
    description: Tags of every resource, besides its C(Name) and C(privatecast:tier).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's network
  privatecast.streaming.vpc_network:
    name: demo
    cidr_block: 10.42.0.0/24
    availability_zone: eu-west-1a
    public_subnet_cidr: 10.42.0.0/25
    private_subnet_cidr: 10.42.0.128/25
    s3_endpoint_service: com.amazonaws.eu-west-1.s3
    s3_endpoint_policy: "{{ policy | to_json }}"
    nacl_entries:
      public:
        ingress:
          - [100, tcp, allow, 203.0.113.0/24, null, null, 1935, 1935]
          - [500, tcp, allow, 10.42.0.128/25, null, null, 1024, 65535]
        egress:
          - [100, tcp, allow, 203.0.113.0/24, null, null, 1024, 65535]
      private:
        ingress:
          - [100, tcp, allow, 10.42.0.0/25, null, null, 1935, 1935]
        egress:
          - [200, tcp, allow, 0.0.0.0/0, null, null, 443, 443]
    tags:
      privatecast:stack: demo
      privatecast:component: network
  register: network
"""

RETURN = r"""
vpc_id:
  description: The VPC's id (empty when check mode plans its creation, as for every id below).
  returned: always
  type: str
  sample: vpc-0123456789abcdef0
public_subnet_id:
  description: The public subnet's id.
  returned: always
  type: str
private_subnet_id:
  description: The private subnet's id.
  returned: always
  type: str
internet_gateway_id:
  description: The internet gateway's id.
  returned: always
  type: str
public_route_table_id:
  description: The public route table's id.
  returned: always
  type: str
private_route_table_id:
  description: The private route table's id.
  returned: always
  type: str
s3_endpoint_id:
  description: The S3 gateway endpoint's id.
  returned: always
  type: str
s3_prefix_list_id:
  description: The S3 prefix list the endpoint routes the private subnet to (for security group rules).
  returned: always
  type: str
  sample: pl-6da54004
public_nacl_id:
  description: The public network ACL's id.
  returned: always
  type: str
private_nacl_id:
  description: The private network ACL's id.
  returned: always
  type: str
changes:
  description: The planned actions, one line each, like C(create VPC demo 10.42.0.0/24).
  returned: always
  type: list
  elements: str
"""

from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    apply_unless_checking,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import (
    fail_with_cause,
    retrying_client,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.vpc_network import (
    NOT_YET_VISIBLE,
    NetworkApplier,
    NetworkError,
    describe_network,
    network_ids,
    plan_network,
    prefix_list_id,
    wanted_network,
)

ENTRIES = dict(
    type="dict",
    required=True,
    options=dict(
        ingress=dict(type="list", elements="raw", default=[]),
        egress=dict(type="list", elements="raw", default=[]),
    ),
)


def private_prefix_list(applier: NetworkApplier, found_table: dict[str, Any] | None, read_again: bool) -> str:
    """The S3 prefix list of the endpoint's route; read again after a run that changed
    something (a new endpoint adds its route)."""
    endpoint_id = applier.ids.get("endpoint")
    if read_again and "route_table/private" in applier.ids:
        tables = paginate(
            applier.client,
            "describe_route_tables",
            "RouteTables",
            RouteTableIds=[applier.id("route_table/private")],
        )
        found_table = tables[0] if tables else None
    return prefix_list_id(found_table, endpoint_id)


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            cidr_block=dict(type="str", required=True),
            availability_zone=dict(type="str", required=True),
            public_subnet_cidr=dict(type="str", required=True),
            private_subnet_cidr=dict(type="str", required=True),
            s3_endpoint_service=dict(type="str", required=True),
            s3_endpoint_policy=dict(type="json", required=True),
            nacl_entries=dict(
                type="dict",
                required=True,
                options=dict(public=ENTRIES, private=ENTRIES),
            ),
            tags=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    try:
        wanted = wanted_network(module.params)
        client = retrying_client(module, "ec2", NOT_YET_VISIBLE)
        plan, pieces = plan_network(wanted, describe_network(client, wanted))
        applier = NetworkApplier(client, pieces.ids())
        apply_unless_checking(plan, applier, module.check_mode, NetworkError)
        applied = plan.changed and not module.check_mode
        prefix_list = private_prefix_list(applier, pieces.route_tables["private"], applied)
        if not prefix_list and not module.check_mode:
            raise NetworkError(
                f"The private route table {applier.ids.get('route_table/private')} has no route to S3 "
                f"through the endpoint {applier.ids.get('endpoint')}"
            )
    except NetworkError as error:
        fail_with_cause(module, error)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to reconcile the network {module.params['name']}")
    result: dict[str, Any] = {
        "changed": plan.changed,
        "changes": plan.descriptions,
        **network_ids(applier.ids, prefix_list),
    }
    if module._diff:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
