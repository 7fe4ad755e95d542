# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stack's two-tier VPC in one reconciliation (module vpc_network): the VPC, its public
and private subnet, the internet gateway, one route table per tier with its subnet, the
S3 gateway endpoint on the private route table with its policy, and one network ACL per
tier with exactly its entries and its subnet.

describe_network reads everything in the VPC with one call per kind (the VPC found by its
Name tag); plan_network compares it with what is wanted and returns a Plan of typed
actions, without calling AWS; the actions run against a NetworkApplier, which knows the
ids of what exists and learns the ids of what its actions create. Every resource is
named as docs/conventions.md says: Name ``<name>`` (VPC, internet gateway),
``<name>-<tier>`` (subnets, route tables, network ACLs, each with ``privatecast:tier``),
``<name>-s3`` (endpoint), plus the common tags.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.stack_resources import (
    TIER_TAG,
    resource_tags,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import (
    tag_changes,
    tag_list,
    tags_after,
)

TIERS = ("public", "private")
ANY_IPV4 = "0.0.0.0/0"
# The highest rule number a network ACL entry of ours may have; 32767 is AWS's own
# default deny entry, which stays.
LAST_RULE_NUMBER = 32766
# ec2_vpc_nacl's protocol names, and AWS's numbers as strings.
PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "ipv6-icmp": "58", "all": "-1"}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}
PORTED = {"6", "17"}
ICMP = {"1", "58"}
LIVE_ENDPOINT_STATES = ["pending", "available", "pendingAcceptance"]
# Errors of a resource the run has just created and AWS does not show everywhere yet.
NOT_YET_VISIBLE = (
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidNetworkAclID.NotFound",
    "InvalidVpcEndpointId.NotFound",
    "InvalidGatewayID.NotFound",
)
ENDPOINT_WAIT_SECONDS = 300
ENDPOINT_POLL_SECONDS = 5


class NetworkError(Exception):
    """The wanted network is refused, or cannot be reached from what exists."""


# --- what is wanted -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class NaclRule:
    """One network ACL entry, as AWS keeps it (protocol as its number)."""

    egress: bool
    number: int
    protocol: str
    action: str
    cidr: str
    ports: tuple[int, int] | None = None
    icmp: tuple[int, int] | None = None

    def describe(self) -> str:
        direction = "egress" if self.egress else "ingress"
        peer = "to" if self.egress else "from"
        what = PROTOCOL_NAMES.get(self.protocol, self.protocol)
        if self.ports:
            what += (
                f" {self.ports[0]}" if self.ports[0] == self.ports[1] else f" {self.ports[0]}-{self.ports[1]}"
            )
        if self.icmp:
            what += f" type {self.icmp[0]} code {self.icmp[1]}"
        return f"{direction} {self.number}: {self.action} {what} {peer} {self.cidr}"

    def entry_params(self) -> dict[str, Any]:
        """The arguments of create/replace_network_acl_entry other than the ACL's id."""
        params: dict[str, Any] = {
            "RuleNumber": self.number,
            "Egress": self.egress,
            "Protocol": self.protocol,
            "RuleAction": self.action,
            ("Ipv6CidrBlock" if ":" in self.cidr else "CidrBlock"): self.cidr,
        }
        if self.ports:
            params["PortRange"] = {"From": self.ports[0], "To": self.ports[1]}
        if self.icmp:
            params["IcmpTypeCode"] = {"Type": self.icmp[0], "Code": self.icmp[1]}
        return params


@dataclass(frozen=True)
class WantedNetwork:
    name: str
    cidr: str
    availability_zone: str
    subnet_cidrs: dict[str, str]
    endpoint_service: str
    endpoint_policy: dict[str, Any]
    nacl_rules: dict[str, tuple[NaclRule, ...]]
    tags: dict[str, str]

    def tags_of(self, kind: str, tier: str = "") -> dict[str, str]:
        """The tags of one resource: the common ones, its Name, its tier."""
        if kind == "endpoint":
            return {**self.tags, "Name": f"{self.name}-s3"}
        if tier:
            return {**self.tags, "Name": f"{self.name}-{tier}", TIER_TAG: tier}
        return {**self.tags, "Name": self.name}


def _network(value: str, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value)
    except ValueError as error:
        raise NetworkError(f"{what} {value!r} is not a CIDR block: {error}") from error


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).lstrip("-").isdigit():
        raise NetworkError(f"{what} must be a whole number, not {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise NetworkError(f"{what} must be between {low} and {high}, not {number}")
    return number


def parse_rule(entry: Any, egress: bool, where: str) -> NaclRule:
    """One entry in ec2_vpc_nacl's list form: [rule number, protocol, action, CIDR, ICMP
    type, ICMP code, first port, last port] (ICMP: the first six suffice)."""
    if not isinstance(entry, (list, tuple)) or len(entry) not in (6, 8):
        raise NetworkError(
            f"{where}: an entry is [number, protocol, action, cidr, icmp type, icmp code, "
            f"first port, last port], not {entry!r}"
        )
    number = _int(entry[0], f"{where}: rule number", 1, LAST_RULE_NUMBER)
    protocol = PROTOCOLS.get(str(entry[1]).lower(), str(entry[1]))
    if protocol not in PROTOCOL_NAMES and not (protocol.isdigit() and int(protocol) <= 255):
        raise NetworkError(f"{where} rule {number}: unknown protocol {entry[1]!r}")
    action = str(entry[2]).lower()
    if action not in ("allow", "deny"):
        raise NetworkError(f"{where} rule {number}: the action is allow or deny, not {entry[2]!r}")
    cidr = str(_network(str(entry[3]), f"{where} rule {number}: CIDR"))
    ports = icmp = None
    if protocol in PORTED:
        if len(entry) != 8:
            raise NetworkError(f"{where} rule {number}: a TCP or UDP entry needs its first and last port")
        low = _int(entry[6], f"{where} rule {number}: first port", 0, 65535)
        high = _int(entry[7], f"{where} rule {number}: last port", low, 65535)
        ports = (low, high)
    elif protocol in ICMP:
        icmp = (
            _int(entry[4], f"{where} rule {number}: ICMP type", -1, 255),
            _int(entry[5], f"{where} rule {number}: ICMP code", -1, 255),
        )
    return NaclRule(egress, number, protocol, action, cidr, ports, icmp)


def parse_rules(tier: str, entries: dict[str, Any]) -> tuple[NaclRule, ...]:
    rules: list[NaclRule] = []
    for direction in ("ingress", "egress"):
        given = entries.get(direction) or []
        if not isinstance(given, list):
            raise NetworkError(f"nacl_entries.{tier}.{direction} must be a list of entries")
        parsed = [
            parse_rule(entry, direction == "egress", f"nacl_entries.{tier}.{direction}") for entry in given
        ]
        numbers = [rule.number for rule in parsed]
        repeated = sorted({number for number in numbers if numbers.count(number) > 1})
        if repeated:
            raise NetworkError(f"nacl_entries.{tier}.{direction} repeats rule numbers {repeated}")
        rules += parsed
    return tuple(sorted(rules))


def wanted_network(params: dict[str, Any]) -> WantedNetwork:
    """The module's parameters, checked: CIDRs that fit together, a policy document,
    entries that AWS would take."""
    vpc = _network(params["cidr_block"], "cidr_block")
    subnets = {tier: params[f"{tier}_subnet_cidr"] for tier in TIERS}
    for tier, value in subnets.items():
        subnet = _network(value, f"{tier}_subnet_cidr")
        if subnet.version != vpc.version or not subnet.subnet_of(vpc):  # type: ignore[arg-type]
            raise NetworkError(f"{tier}_subnet_cidr {value} is not inside cidr_block {vpc}")
        subnets[tier] = str(subnet)
    if _network(subnets["public"], "").overlaps(_network(subnets["private"], "")):  # type: ignore[arg-type]
        raise NetworkError(f"the subnets {subnets['public']} and {subnets['private']} overlap")
    try:
        policy = params["s3_endpoint_policy"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError as error:
        raise NetworkError(f"s3_endpoint_policy is not JSON: {error}") from error
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise NetworkError("s3_endpoint_policy must be a policy document (with a Statement)")
    entries = params["nacl_entries"] or {}
    return WantedNetwork(
        name=params["name"],
        cidr=str(vpc),
        availability_zone=params["availability_zone"],
        subnet_cidrs=subnets,
        endpoint_service=params["s3_endpoint_service"],
        endpoint_policy=policy,
        nacl_rules={tier: parse_rules(tier, entries.get(tier) or {}) for tier in TIERS},
        tags={str(key): str(value) for key, value in (params["tags"] or {}).items()},
    )


# --- describe: reads only ------------------------------------------------------------


@dataclass(frozen=True)
class FoundNetwork:
    """What exists, as AWS describes it (no VPC: everything empty)."""

    vpc: dict[str, Any] | None = None
    dns_support: bool = False
    dns_hostnames: bool = False
    subnets: tuple[dict[str, Any], ...] = ()
    gateways: tuple[dict[str, Any], ...] = ()
    route_tables: tuple[dict[str, Any], ...] = ()
    endpoints: tuple[dict[str, Any], ...] = ()
    nacls: tuple[dict[str, Any], ...] = ()


def describe_network(ec2: Any, wanted: WantedNetwork) -> FoundNetwork:
    """One read per kind of resource, all inside the VPC named `wanted.name`."""
    vpcs = paginate(ec2, "describe_vpcs", "Vpcs", Filters=[{"Name": "tag:Name", "Values": [wanted.name]}])
    if len(vpcs) > 1:
        ids = ", ".join(sorted(vpc["VpcId"] for vpc in vpcs))
        raise NetworkError(f"{len(vpcs)} VPCs are named {wanted.name} ({ids}): keep one, delete the others")
    if not vpcs:
        return FoundNetwork()
    vpc = vpcs[0]
    vpc_id = vpc["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return FoundNetwork(
        vpc=vpc,
        dns_support=_vpc_attribute(ec2, vpc_id, "enableDnsSupport", "EnableDnsSupport"),
        dns_hostnames=_vpc_attribute(ec2, vpc_id, "enableDnsHostnames", "EnableDnsHostnames"),
        subnets=tuple(paginate(ec2, "describe_subnets", "Subnets", Filters=in_vpc)),
        gateways=tuple(
            paginate(
                ec2,
                "describe_internet_gateways",
                "InternetGateways",
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
            )
        ),
        route_tables=tuple(paginate(ec2, "describe_route_tables", "RouteTables", Filters=in_vpc)),
        endpoints=tuple(
            paginate(
                ec2,
                "describe_vpc_endpoints",
                "VpcEndpoints",
                Filters=[
                    *in_vpc,
                    {"Name": "service-name", "Values": [wanted.endpoint_service]},
                    {"Name": "vpc-endpoint-state", "Values": LIVE_ENDPOINT_STATES},
                ],
            )
        ),
        nacls=tuple(paginate(ec2, "describe_network_acls", "NetworkAcls", Filters=in_vpc)),
    )


def _vpc_attribute(ec2: Any, vpc_id: str, attribute: str, key: str) -> bool:
    return bool(ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"])


# --- the pieces of what was found ---------------------------------------------------


def _one(items: Sequence[dict[str, Any]], what: str, id_key: str) -> dict[str, Any] | None:
    if len(items) > 1:
        ids = ", ".join(sorted(item[id_key] for item in items))
        raise NetworkError(f"found {len(items)} {what} where the stack has one: {ids}")
    return items[0] if items else None


def _tiered(items: Sequence[dict[str, Any]], tier: str, what: str, id_key: str) -> dict[str, Any] | None:
    return _one(
        [item for item in items if resource_tags(item).get(TIER_TAG) == tier], f"{tier} {what}", id_key
    )


@dataclass(frozen=True)
class Pieces:
    """The found resources by their part in the stack (None: missing)."""

    vpc: dict[str, Any] | None
    subnets: dict[str, dict[str, Any] | None]
    gateway: dict[str, Any] | None
    route_tables: dict[str, dict[str, Any] | None]
    endpoint: dict[str, Any] | None
    nacls: dict[str, dict[str, Any] | None]
    default_nacl_id: str | None

    def subnet_ids(self) -> list[str]:
        return [subnet["SubnetId"] for subnet in self.subnets.values() if subnet]

    def ids(self) -> dict[str, str]:
        """The applier's ids of what exists, by the keys the actions use."""
        found = {
            "vpc": (self.vpc, "VpcId"),
            "gateway": (self.gateway, "InternetGatewayId"),
            "endpoint": (self.endpoint, "VpcEndpointId"),
        }
        for tier in TIERS:
            found[f"subnet/{tier}"] = (self.subnets[tier], "SubnetId")
            found[f"route_table/{tier}"] = (self.route_tables[tier], "RouteTableId")
            found[f"nacl/{tier}"] = (self.nacls[tier], "NetworkAclId")
        ids = {key: item[id_key] for key, (item, id_key) in found.items() if item}
        if self.default_nacl_id:
            ids["nacl/default"] = self.default_nacl_id
        return ids


def pieces_of(found: FoundNetwork, wanted: WantedNetwork) -> Pieces:
    """Subnets are found by their CIDR, route tables and ACLs by their tier tag, the
    gateway by its attachment, the endpoint by its service; each at most once."""
    if found.vpc is not None and found.vpc["CidrBlock"] != wanted.cidr:
        raise NetworkError(
            f"VPC {found.vpc['VpcId']} ({wanted.name}) has CIDR {found.vpc['CidrBlock']}, not {wanted.cidr}: "
            "a VPC's CIDR cannot change (keep the CIDR, or tear the network down first)"
        )
    subnets = {
        tier: _one(
            [s for s in found.subnets if s["CidrBlock"] == wanted.subnet_cidrs[tier]],
            f"{tier} subnets",
            "SubnetId",
        )
        for tier in TIERS
    }
    for tier, subnet in subnets.items():
        if subnet and subnet["AvailabilityZone"] != wanted.availability_zone:
            raise NetworkError(
                f"the {tier} subnet {subnet['SubnetId']} is in {subnet['AvailabilityZone']}, not "
                f"{wanted.availability_zone}: a subnet cannot move (tear the network down first)"
            )
    defaults = [nacl["NetworkAclId"] for nacl in found.nacls if nacl.get("IsDefault")]
    return Pieces(
        vpc=found.vpc,
        subnets=subnets,
        gateway=_one(list(found.gateways), "internet gateways", "InternetGatewayId"),
        route_tables={
            tier: _tiered(found.route_tables, tier, "route tables", "RouteTableId") for tier in TIERS
        },
        endpoint=_one(list(found.endpoints), f"{wanted.endpoint_service} endpoints", "VpcEndpointId"),
        nacls={
            tier: _tiered(
                [n for n in found.nacls if not n.get("IsDefault")], tier, "network ACLs", "NetworkAclId"
            )
            for tier in TIERS
        },
        default_nacl_id=defaults[0] if defaults else None,
    )


def rules_of(nacl: dict[str, Any] | None) -> tuple[NaclRule, ...]:
    """A found ACL's entries other than AWS's default ones."""
    rules = []
    for raw in (nacl or {}).get("Entries", []):
        if raw["RuleNumber"] > LAST_RULE_NUMBER:
            continue
        protocol = str(raw["Protocol"])
        port_range, icmp_code = raw.get("PortRange"), raw.get("IcmpTypeCode")
        rules.append(
            NaclRule(
                egress=bool(raw["Egress"]),
                number=int(raw["RuleNumber"]),
                protocol=protocol,
                action=raw["RuleAction"],
                cidr=raw.get("CidrBlock") or raw.get("Ipv6CidrBlock") or "",
                ports=(int(port_range["From"]), int(port_range["To"]))
                if protocol in PORTED and port_range
                else None,
                icmp=(int(icmp_code["Type"]), int(icmp_code["Code"]))
                if protocol in ICMP and icmp_code
                else None,
            )
        )
    return tuple(sorted(rules))


def prefix_list_id(route_table: dict[str, Any] | None, endpoint_id: str | None) -> str:
    """The prefix list of the route the endpoint put in the route table ("" without)."""
    for route in (route_table or {}).get("Routes", []):
        if endpoint_id and route.get("GatewayId") == endpoint_id and route.get("DestinationPrefixListId"):
            return route["DestinationPrefixListId"]
    return ""


# --- the applier and the actions ------------------------------------------------------


@dataclass
class NetworkApplier:
    """The EC2 client and the ids of the stack's resources by key (``vpc``,
    ``subnet/public``, ``route_table/private``, ``nacl/default``, ...): those found, and
    those the actions create."""

    client: Any
    ids: dict[str, str]
    result: ApplyResult = field(default_factory=ApplyResult)
    sleep: Callable[[float], None] = time.sleep

    def id(self, key: str) -> str:
        return self.ids[key]


def _spec(resource_type: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}]


@dataclass(frozen=True)
class CreateVpc(Action):
    kind: ClassVar[str] = "create_vpc"
    description: str
    cidr: str
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        vpc = applier.client.create_vpc(CidrBlock=self.cidr, TagSpecifications=_spec("vpc", self.tags))["Vpc"]
        applier.ids["vpc"] = vpc["VpcId"]
        applier.client.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])


@dataclass(frozen=True)
class SetVpcAttribute(Action):
    kind: ClassVar[str] = "modify_vpc_attribute"
    description: str
    attribute: str  # EnableDnsSupport or EnableDnsHostnames
    after: bool
    before: bool | None = None

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.modify_vpc_attribute(
            VpcId=applier.id("vpc"), **{self.attribute: {"Value": self.after}}
        )


@dataclass(frozen=True)
class CreateSubnet(Action):
    kind: ClassVar[str] = "create_subnet"
    description: str
    tier: str
    cidr: str
    availability_zone: str
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        subnet = applier.client.create_subnet(
            VpcId=applier.id("vpc"),
            CidrBlock=self.cidr,
            AvailabilityZone=self.availability_zone,
            TagSpecifications=_spec("subnet", self.tags),
        )["Subnet"]
        applier.ids[f"subnet/{self.tier}"] = subnet["SubnetId"]
        applier.client.get_waiter("subnet_available").wait(SubnetIds=[subnet["SubnetId"]])


@dataclass(frozen=True)
class NoPublicAddresses(Action):
    kind: ClassVar[str] = "modify_subnet_attribute"
    description: str
    tier: str
    before: str = "map_public_ip_on_launch: true"
    after: str = "map_public_ip_on_launch: false"

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.modify_subnet_attribute(
            SubnetId=applier.id(f"subnet/{self.tier}"), MapPublicIpOnLaunch={"Value": False}
        )


@dataclass(frozen=True)
class CreateGateway(Action):
    kind: ClassVar[str] = "create_internet_gateway"
    description: str
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        gateway = applier.client.create_internet_gateway(
            TagSpecifications=_spec("internet-gateway", self.tags)
        )
        gateway_id = gateway["InternetGateway"]["InternetGatewayId"]
        applier.ids["gateway"] = gateway_id
        applier.client.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=applier.id("vpc"))


@dataclass(frozen=True)
class CreateRouteTable(Action):
    kind: ClassVar[str] = "create_route_table"
    description: str
    tier: str
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        table = applier.client.create_route_table(
            VpcId=applier.id("vpc"), TagSpecifications=_spec("route-table", self.tags)
        )["RouteTable"]
        applier.ids[f"route_table/{self.tier}"] = table["RouteTableId"]


@dataclass(frozen=True)
class PutRoute(Action):
    """A route to the internet gateway: created, or its target replaced."""

    kind: ClassVar[str] = "create_route"
    description: str
    tier: str
    destination: str
    replace: bool
    before: str | None = None
    after: str | None = None

    def apply(self, applier: NetworkApplier) -> None:
        call = applier.client.replace_route if self.replace else applier.client.create_route
        call(
            RouteTableId=applier.id(f"route_table/{self.tier}"),
            DestinationCidrBlock=self.destination,
            GatewayId=applier.id("gateway"),
        )


@dataclass(frozen=True)
class DeleteRoute(Action):
    kind: ClassVar[str] = "delete_route"
    description: str
    tier: str
    destination: dict[str, str]  # DestinationCidrBlock or DestinationIpv6CidrBlock
    before: str | None = None

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.delete_route(RouteTableId=applier.id(f"route_table/{self.tier}"), **self.destination)


@dataclass(frozen=True)
class AssociateRouteTable(Action):
    """The tier's subnet to the tier's route table; `association_id` is the subnet's
    association with another table, replaced (None: the subnet used the main table)."""

    kind: ClassVar[str] = "associate_route_table"
    description: str
    tier: str
    association_id: str | None

    def apply(self, applier: NetworkApplier) -> None:
        table_id = applier.id(f"route_table/{self.tier}")
        if self.association_id:
            applier.client.replace_route_table_association(
                AssociationId=self.association_id, RouteTableId=table_id
            )
        else:
            applier.client.associate_route_table(
                RouteTableId=table_id, SubnetId=applier.id(f"subnet/{self.tier}")
            )


@dataclass(frozen=True)
class DisassociateRouteTable(Action):
    kind: ClassVar[str] = "disassociate_route_table"
    description: str
    association_id: str

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.disassociate_route_table(AssociationId=self.association_id)


@dataclass(frozen=True)
class CreateEndpoint(Action):
    kind: ClassVar[str] = "create_vpc_endpoint"
    description: str
    service: str
    policy: dict[str, Any]
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        endpoint = applier.client.create_vpc_endpoint(
            VpcEndpointType="Gateway",
            VpcId=applier.id("vpc"),
            ServiceName=self.service,
            RouteTableIds=[applier.id("route_table/private")],
            PolicyDocument=json.dumps(self.policy),
            TagSpecifications=_spec("vpc-endpoint", self.tags),
        )["VpcEndpoint"]
        applier.ids["endpoint"] = endpoint["VpcEndpointId"]
        wait_available(applier, endpoint)


def wait_available(applier: NetworkApplier, endpoint: dict[str, Any]) -> None:
    """Until the new endpoint is available (its route is in the route table then)."""
    waited = 0
    while endpoint.get("State", "").lower() == "pending":
        if waited >= ENDPOINT_WAIT_SECONDS:
            raise NetworkError(f"the endpoint {endpoint['VpcEndpointId']} is still pending after {waited} s")
        applier.sleep(ENDPOINT_POLL_SECONDS)
        waited += ENDPOINT_POLL_SECONDS
        found = applier.client.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])[
            "VpcEndpoints"
        ]
        endpoint = found[0] if found else {}


@dataclass(frozen=True)
class ModifyEndpoint(Action):
    """The endpoint's policy and route tables (only what is given changes)."""

    kind: ClassVar[str] = "modify_vpc_endpoint"
    description: str
    policy: dict[str, Any] | None
    add_private_route_table: bool
    remove_route_tables: tuple[str, ...]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def apply(self, applier: NetworkApplier) -> None:
        params: dict[str, Any] = {"VpcEndpointId": applier.id("endpoint")}
        if self.policy is not None:
            params["PolicyDocument"] = json.dumps(self.policy)
        if self.add_private_route_table:
            params["AddRouteTableIds"] = [applier.id("route_table/private")]
        if self.remove_route_tables:
            params["RemoveRouteTableIds"] = list(self.remove_route_tables)
        applier.client.modify_vpc_endpoint(**params)


@dataclass(frozen=True)
class CreateNacl(Action):
    kind: ClassVar[str] = "create_network_acl"
    description: str
    tier: str
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        nacl = applier.client.create_network_acl(
            VpcId=applier.id("vpc"), TagSpecifications=_spec("network-acl", self.tags)
        )["NetworkAcl"]
        applier.ids[f"nacl/{self.tier}"] = nacl["NetworkAclId"]


@dataclass(frozen=True)
class PutNaclEntry(Action):
    """An entry created, or the entry of the same number and direction replaced."""

    kind: ClassVar[str] = "create_network_acl_entry"
    description: str
    tier: str
    rule: NaclRule
    replace: bool
    before: str | None = None
    after: str | None = None

    def apply(self, applier: NetworkApplier) -> None:
        call = (
            applier.client.replace_network_acl_entry
            if self.replace
            else applier.client.create_network_acl_entry
        )
        call(NetworkAclId=applier.id(f"nacl/{self.tier}"), **self.rule.entry_params())


@dataclass(frozen=True)
class DeleteNaclEntry(Action):
    kind: ClassVar[str] = "delete_network_acl_entry"
    description: str
    tier: str
    rule: NaclRule
    before: str | None = None

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.delete_network_acl_entry(
            NetworkAclId=applier.id(f"nacl/{self.tier}"), RuleNumber=self.rule.number, Egress=self.rule.egress
        )


@dataclass(frozen=True)
class MoveSubnetAcl(Action):
    """A subnet moved to another network ACL (``nacl/<tier>`` or ``nacl/default``); the
    subnet's association is read when it runs (a new subnet's is not known before)."""

    kind: ClassVar[str] = "replace_network_acl_association"
    description: str
    subnet_key: str
    nacl_key: str
    subnet_id: str | None = None  # a subnet that is not one of the stack's keys

    def apply(self, applier: NetworkApplier) -> None:
        subnet_id = self.subnet_id or applier.id(self.subnet_key)
        nacls = applier.client.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
        )["NetworkAcls"]
        associations = [
            a for nacl in nacls for a in nacl.get("Associations", []) if a.get("SubnetId") == subnet_id
        ]
        if not associations:
            raise NetworkError(f"subnet {subnet_id} has no network ACL association to replace")
        applier.client.replace_network_acl_association(
            AssociationId=associations[0]["NetworkAclAssociationId"], NetworkAclId=applier.id(self.nacl_key)
        )


@dataclass(frozen=True)
class TagResource(Action):
    kind: ClassVar[str] = "create_tags"
    description: str
    key: str
    tags: dict[str, str]

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.create_tags(Resources=[applier.id(self.key)], Tags=tag_list(self.tags))


@dataclass(frozen=True)
class UntagResource(Action):
    kind: ClassVar[str] = "delete_tags"
    description: str
    key: str
    tag_keys: tuple[str, ...]

    def apply(self, applier: NetworkApplier) -> None:
        applier.client.delete_tags(
            Resources=[applier.id(self.key)], Tags=[{"Key": key} for key in self.tag_keys]
        )


# --- plan: no AWS calls ---------------------------------------------------------------


def _label(what: str, item: dict[str, Any] | None, id_key: str) -> str:
    """How a description names a resource: its id when it exists, else what it is."""
    return f"{what} {item[id_key]}" if item else f"{what} (new)"


def _tag_actions(
    key: str, label: str, current: dict[str, Any] | None, wanted: dict[str, str]
) -> list[Action]:
    if current is None:
        return []
    to_set, to_remove = tag_changes(resource_tags(current), wanted, purge=True)
    actions: list[Action] = []
    if to_set:
        actions.append(TagResource(f"tag {label}: {', '.join(sorted(to_set))}", key, to_set))
    if to_remove:
        actions.append(
            UntagResource(f"untag {label}: {', '.join(sorted(to_remove))}", key, tuple(sorted(to_remove)))
        )
    return actions


def plan_vpc(wanted: WantedNetwork, found: FoundNetwork, pieces: Pieces) -> list[Action]:
    tags = wanted.tags_of("vpc")
    if pieces.vpc is None:
        return [
            CreateVpc(f"create VPC {wanted.name} {wanted.cidr}", wanted.cidr, tags),
            SetVpcAttribute(f"enable DNS support in VPC {wanted.name}", "EnableDnsSupport", True),
            SetVpcAttribute(f"enable DNS host names in VPC {wanted.name}", "EnableDnsHostnames", True),
        ]
    label = _label("VPC", pieces.vpc, "VpcId")
    actions: list[Action] = []
    if not found.dns_support:
        actions.append(SetVpcAttribute(f"enable DNS support in {label}", "EnableDnsSupport", True, False))
    if not found.dns_hostnames:
        actions.append(
            SetVpcAttribute(f"enable DNS host names in {label}", "EnableDnsHostnames", True, False)
        )
    return actions + _tag_actions("vpc", label, pieces.vpc, tags)


def plan_subnet(wanted: WantedNetwork, pieces: Pieces, tier: str) -> list[Action]:
    subnet = pieces.subnets[tier]
    tags = wanted.tags_of("subnet", tier)
    cidr = wanted.subnet_cidrs[tier]
    if subnet is None:
        return [
            CreateSubnet(
                f"create {tier} subnet {cidr} in {wanted.availability_zone}",
                tier,
                cidr,
                wanted.availability_zone,
                tags,
            )
        ]
    label = _label(f"{tier} subnet", subnet, "SubnetId")
    actions: list[Action] = []
    if subnet.get("MapPublicIpOnLaunch"):
        actions.append(NoPublicAddresses(f"stop giving public addresses in {label}", tier))
    return actions + _tag_actions(f"subnet/{tier}", label, subnet, tags)


def plan_gateway(wanted: WantedNetwork, pieces: Pieces) -> list[Action]:
    tags = wanted.tags_of("gateway")
    if pieces.gateway is None:
        return [CreateGateway(f"create and attach internet gateway {wanted.name}", tags)]
    return _tag_actions(
        "gateway", _label("internet gateway", pieces.gateway, "InternetGatewayId"), pieces.gateway, tags
    )


ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
    "EgressOnlyInternetGatewayId",
)


def _target(route: dict[str, Any]) -> str:
    return next((route[key] for key in ROUTE_TARGETS if route.get(key)), "unknown")


def managed_routes(table: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A table's routes by destination, but for its local route and the endpoint's
    prefix-list route (the endpoint keeps that one)."""
    routes = {}
    for route in (table or {}).get("Routes", []):
        destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
        if destination and route.get("Origin") != "CreateRouteTable" and route.get("GatewayId") != "local":
            routes[destination] = route
    return routes


def wanted_routes(tier: str) -> dict[str, str]:
    """Destination to target key: the public table goes out through the gateway; the
    private one has no route but the endpoint's (its prefix list route is the endpoint's
    to keep)."""
    return {ANY_IPV4: "gateway"} if tier == "public" else {}


def plan_routes(pieces: Pieces, tier: str, label: str) -> list[Action]:
    table = pieces.route_tables[tier]
    gateway_id = pieces.gateway["InternetGatewayId"] if pieces.gateway else None
    found = managed_routes(table)
    actions: list[Action] = []
    for destination in wanted_routes(tier):
        route = found.pop(destination, None)
        if route is None:
            actions.append(
                PutRoute(f"add route {destination} -> internet gateway to {label}", tier, destination, False)
            )
        elif gateway_id is None or _target(route) != gateway_id or route.get("State") == "blackhole":
            actions.append(
                PutRoute(
                    f"route {destination} in {label} to the internet gateway, not {_target(route)}",
                    tier,
                    destination,
                    True,
                    _target(route),
                    "internet gateway",
                )
            )
    for destination, route in sorted(found.items()):
        key = "DestinationCidrBlock" if route.get("DestinationCidrBlock") else "DestinationIpv6CidrBlock"
        actions.append(
            DeleteRoute(
                f"delete route {destination} -> {_target(route)} from {label}",
                tier,
                {key: destination},
                f"{destination} -> {_target(route)}",
            )
        )
    return actions


def plan_route_associations(found: FoundNetwork, pieces: Pieces, tier: str, label: str) -> list[Action]:
    """Exactly the tier's subnet uses the table (a subnet found elsewhere is moved)."""
    table = pieces.route_tables[tier]
    table_id = table["RouteTableId"] if table else None
    subnet = pieces.subnets[tier]
    subnet_id = subnet["SubnetId"] if subnet else None
    current = None
    for other in found.route_tables:
        for association in other.get("Associations", []):
            if subnet_id and association.get("SubnetId") == subnet_id and not association.get("Main"):
                current = (other["RouteTableId"], association["RouteTableAssociationId"])
    actions: list[Action] = []
    if current is None or current[0] != table_id:
        moved_from = f" (from {current[0]})" if current else ""
        actions.append(
            AssociateRouteTable(
                f"associate {tier} subnet {subnet_id or '(new)'} with {label}{moved_from}",
                tier,
                current[1] if current else None,
            )
        )
    ours = pieces.subnet_ids()
    for association in (table or {}).get("Associations", []):
        other_subnet = association.get("SubnetId")
        # The other tier's subnet is moved by its own tier's association.
        if other_subnet and other_subnet not in ours and not association.get("Main"):
            actions.append(
                DisassociateRouteTable(
                    f"disassociate subnet {other_subnet} from {label}", association["RouteTableAssociationId"]
                )
            )
    return actions


def plan_route_table(wanted: WantedNetwork, found: FoundNetwork, pieces: Pieces, tier: str) -> list[Action]:
    table = pieces.route_tables[tier]
    tags = wanted.tags_of("route_table", tier)
    actions: list[Action] = []
    if table is None:
        actions.append(CreateRouteTable(f"create route table {wanted.name}-{tier}", tier, tags))
    label = _label(f"route table {wanted.name}-{tier}", table, "RouteTableId")
    actions += _tag_actions(f"route_table/{tier}", label, table, tags)
    actions += plan_routes(pieces, tier, label)
    return actions + plan_route_associations(found, pieces, tier, label)


def plan_endpoint(wanted: WantedNetwork, pieces: Pieces) -> list[Action]:
    endpoint = pieces.endpoint
    tags = wanted.tags_of("endpoint")
    if endpoint is None:
        return [
            CreateEndpoint(
                f"create S3 gateway endpoint {wanted.name}-s3 on route table {wanted.name}-private",
                wanted.endpoint_service,
                wanted.endpoint_policy,
                tags,
            )
        ]
    label = _label("S3 endpoint", endpoint, "VpcEndpointId")
    private = pieces.route_tables["private"]
    private_id = private["RouteTableId"] if private else None
    tables = endpoint.get("RouteTableIds", [])
    remove = tuple(sorted(table for table in tables if table != private_id))
    add = private_id not in tables
    current_policy = json.loads(endpoint.get("PolicyDocument") or "{}")
    policy = wanted.endpoint_policy if compare_policies(current_policy, wanted.endpoint_policy) else None
    actions: list[Action] = []
    if policy is not None or add or remove:
        changes = [
            *(["its policy"] if policy is not None else []),
            *([f"add route table {private_id or wanted.name + '-private (new)'}"] if add else []),
            *([f"remove route tables {', '.join(remove)}"] if remove else []),
        ]
        actions.append(
            ModifyEndpoint(
                f"modify {label}: {'; '.join(changes)}",
                policy,
                add,
                remove,
                {"policy": current_policy, "route_tables": sorted(tables)},
                {"policy": wanted.endpoint_policy, "route_tables": [private_id or "(new)"]},
            )
        )
    return actions + _tag_actions("endpoint", label, endpoint, tags)


def plan_nacl_entries(wanted: WantedNetwork, pieces: Pieces, tier: str, label: str) -> list[Action]:
    current = {(rule.egress, rule.number): rule for rule in rules_of(pieces.nacls[tier])}
    actions: list[Action] = []
    for rule in wanted.nacl_rules[tier]:
        have = current.pop((rule.egress, rule.number), None)
        if have is None:
            actions.append(
                PutNaclEntry(f"add {label} {rule.describe()}", tier, rule, False, None, rule.describe())
            )
        elif have != rule:
            actions.append(
                PutNaclEntry(
                    f"replace {label} {have.describe()} with {rule.describe()}",
                    tier,
                    rule,
                    True,
                    have.describe(),
                    rule.describe(),
                )
            )
    for rule in sorted(current.values()):
        actions.append(DeleteNaclEntry(f"delete {label} {rule.describe()}", tier, rule, rule.describe()))
    return actions


def plan_nacl_subnets(found: FoundNetwork, pieces: Pieces, tier: str, label: str) -> list[Action]:
    """The tier's subnet uses the ACL; any other subnet on it goes back to the default."""
    nacl = pieces.nacls[tier]
    subnet = pieces.subnets[tier]
    subnet_id = subnet["SubnetId"] if subnet else None
    on_it = {a["SubnetId"] for a in (nacl or {}).get("Associations", []) if a.get("SubnetId")}
    actions: list[Action] = []
    if subnet_id is None or subnet_id not in on_it:
        actions.append(
            MoveSubnetAcl(
                f"associate {tier} subnet {subnet_id or '(new)'} with {label}",
                f"subnet/{tier}",
                f"nacl/{tier}",
            )
        )
    for other in sorted(on_it - set(pieces.subnet_ids())):
        actions.append(
            MoveSubnetAcl(
                f"move subnet {other} from {label} to the VPC's default ACL", "", "nacl/default", other
            )
        )
    return actions


def plan_nacl(wanted: WantedNetwork, found: FoundNetwork, pieces: Pieces, tier: str) -> list[Action]:
    nacl = pieces.nacls[tier]
    tags = wanted.tags_of("nacl", tier)
    actions: list[Action] = []
    if nacl is None:
        actions.append(CreateNacl(f"create network ACL {wanted.name}-{tier}", tier, tags))
    label = _label(f"network ACL {wanted.name}-{tier}", nacl, "NetworkAclId")
    actions += _tag_actions(f"nacl/{tier}", label, nacl, tags)
    # Entries before the subnet moves onto the ACL: it never uses a half-written one.
    actions += plan_nacl_entries(wanted, pieces, tier, label)
    return actions + plan_nacl_subnets(found, pieces, tier, label)


def plan_network(wanted: WantedNetwork, found: FoundNetwork) -> tuple[Plan, Pieces]:
    """Every action, in the order they can run: VPC, subnets, gateway, route tables,
    endpoint, network ACLs."""
    pieces = pieces_of(found, wanted)
    actions = plan_vpc(wanted, found, pieces)
    for tier in TIERS:
        actions += plan_subnet(wanted, pieces, tier)
    actions += plan_gateway(wanted, pieces)
    for tier in TIERS:
        actions += plan_route_table(wanted, found, pieces, tier)
    actions += plan_endpoint(wanted, pieces)
    for tier in TIERS:
        actions += plan_nacl(wanted, found, pieces, tier)
    return Plan(
        f"network {wanted.name}", tuple(actions), view_found(found, pieces), view_wanted(wanted, pieces)
    ), pieces


# --- the diff: the network as found, and as the plan leaves it ------------------------


def _id(item: dict[str, Any] | None, key: str) -> str:
    return item[key] if item else "(new)"


def view_found(found: FoundNetwork, pieces: Pieces) -> dict[str, Any]:
    if pieces.vpc is None:
        return {}
    return {
        "vpc": {
            "id": pieces.vpc["VpcId"],
            "cidr": pieces.vpc["CidrBlock"],
            "dns_support": found.dns_support,
            "dns_hostnames": found.dns_hostnames,
            "tags": resource_tags(pieces.vpc),
        },
        "subnets": {
            tier: {
                "id": subnet["SubnetId"],
                "cidr": subnet["CidrBlock"],
                "availability_zone": subnet["AvailabilityZone"],
                "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
                "tags": resource_tags(subnet),
            }
            for tier, subnet in pieces.subnets.items()
            if subnet
        },
        "internet_gateway": (
            {"id": pieces.gateway["InternetGatewayId"], "tags": resource_tags(pieces.gateway)}
            if pieces.gateway
            else {}
        ),
        "route_tables": {
            tier: {
                "id": table["RouteTableId"],
                "routes": sorted(
                    f"{destination} -> {_target(route)}"
                    for destination, route in managed_routes(table).items()
                ),
                "subnets": sorted(a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId")),
                "tags": resource_tags(table),
            }
            for tier, table in pieces.route_tables.items()
            if table
        },
        "s3_endpoint": (
            {
                "id": pieces.endpoint["VpcEndpointId"],
                "route_tables": sorted(pieces.endpoint.get("RouteTableIds", [])),
                "policy": json.loads(pieces.endpoint.get("PolicyDocument") or "{}"),
                "tags": resource_tags(pieces.endpoint),
            }
            if pieces.endpoint
            else {}
        ),
        "network_acls": {
            tier: {
                "id": nacl["NetworkAclId"],
                "entries": [rule.describe() for rule in rules_of(nacl)],
                "subnets": sorted(a["SubnetId"] for a in nacl.get("Associations", []) if a.get("SubnetId")),
                "tags": resource_tags(nacl),
            }
            for tier, nacl in pieces.nacls.items()
            if nacl
        },
    }


def view_wanted(wanted: WantedNetwork, pieces: Pieces) -> dict[str, Any]:
    subnet_ids = {tier: _id(pieces.subnets[tier], "SubnetId") for tier in TIERS}
    gateway_id = _id(pieces.gateway, "InternetGatewayId")
    private_table = _id(pieces.route_tables["private"], "RouteTableId")
    return {
        "vpc": {
            "id": _id(pieces.vpc, "VpcId"),
            "cidr": wanted.cidr,
            "dns_support": True,
            "dns_hostnames": True,
            "tags": _tags_after(pieces.vpc, wanted.tags_of("vpc")),
        },
        "subnets": {
            tier: {
                "id": subnet_ids[tier],
                "cidr": wanted.subnet_cidrs[tier],
                "availability_zone": wanted.availability_zone,
                "map_public_ip_on_launch": False,
                "tags": _tags_after(pieces.subnets[tier], wanted.tags_of("subnet", tier)),
            }
            for tier in TIERS
        },
        "internet_gateway": {
            "id": gateway_id,
            "tags": _tags_after(pieces.gateway, wanted.tags_of("gateway")),
        },
        "route_tables": {
            tier: {
                "id": _id(pieces.route_tables[tier], "RouteTableId"),
                "routes": sorted(f"{destination} -> {gateway_id}" for destination in wanted_routes(tier)),
                "subnets": [subnet_ids[tier]],
                "tags": _tags_after(pieces.route_tables[tier], wanted.tags_of("route_table", tier)),
            }
            for tier in TIERS
        },
        "s3_endpoint": {
            "id": _id(pieces.endpoint, "VpcEndpointId"),
            "route_tables": [private_table],
            "policy": wanted.endpoint_policy,
            "tags": _tags_after(pieces.endpoint, wanted.tags_of("endpoint")),
        },
        "network_acls": {
            tier: {
                "id": _id(pieces.nacls[tier], "NetworkAclId"),
                "entries": [rule.describe() for rule in wanted.nacl_rules[tier]],
                "subnets": [subnet_ids[tier]],
                "tags": _tags_after(pieces.nacls[tier], wanted.tags_of("nacl", tier)),
            }
            for tier in TIERS
        },
    }


def _tags_after(item: dict[str, Any] | None, wanted: dict[str, str]) -> dict[str, str]:
    return tags_after(resource_tags(item) if item else {}, wanted, purge=True)


# --- the module's result --------------------------------------------------------------


def network_ids(ids: dict[str, str], prefix_list: str) -> dict[str, str]:
    """The ids the module returns ("" for what check mode only plans)."""
    names = {
        "vpc_id": "vpc",
        "internet_gateway_id": "gateway",
        "s3_endpoint_id": "endpoint",
        **{f"{tier}_subnet_id": f"subnet/{tier}" for tier in TIERS},
        **{f"{tier}_route_table_id": f"route_table/{tier}" for tier in TIERS},
        **{f"{tier}_nacl_id": f"nacl/{tier}" for tier in TIERS},
    }
    return {**{name: ids.get(key, "") for name, key in names.items()}, "s3_prefix_list_id": prefix_list}
