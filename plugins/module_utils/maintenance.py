# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open, close and inspect the SSH maintenance window of a privatecast stack.

Shared by the maintenance_window module and the housekeeping Lambda, so it imports
nothing from Ansible and nothing outside the standard library: every AWS call goes
through the boto3-style EC2 client the caller hands in (the module wraps its calls in
AWSRetry.jittered_backoff, the Lambda configures botocore's retries).

The window, for the stack's private subnet (and, with include_proxy, the proxy):

- a default route 0.0.0.0/0 to the stack's internet gateway in the private route table;
- network ACL entries numbered 900-999 (the range is reserved for the window) for SSH in
  from the admin CIDRs, HTTP/HTTPS/DNS out, and the return traffic of both;
- the maintenance security group added to the Owncast instance (and the proxy);
- a temporary Elastic IP on the Owncast instance, tagged privatecast:component=maintenance
  and privatecast:opened-at=<UTC ISO 8601>. A route to an internet gateway does nothing
  for an instance without a public address, so the address is what makes the route work;
- when the stack has a DNS firewall (route53resolver_dns_firewall, domain list
  ``<stack>-dns-maintenance``) and a route53resolver client is handed in: Debian's package
  names in that list, so apt can resolve them; closing empties it again.

Usage: ``state = describe_window(ec2, stack, resolver=r53r)``, ``plan = plan_open(state,
cidrs)`` or ``plan = plan_close(state)``, then ``apply_plan(ec2, plan, resolver=r53r)``
unless only checking. Without ``resolver`` the DNS firewall is neither read nor changed.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

# In a module the collection's path; in a Lambda zip the shared modules are top level.
if __name__.startswith("ansible_collections."):
    from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
        Action,
        ApplyResult,
        Plan,
        apply_actions,
        paginate,
    )
    from ansible_collections.privatecast.streaming.plugins.module_utils.stack_resources import (
        COMPONENT_TAG,
        LIVE_INSTANCE_STATES,
        OPENED_AT_TAG,
        SERVER_TAG,
        SG_TAG,
        STACK_TAG,
        TIER_TAG,
        resource_tags,
        tag_filters,
    )
else:
    from plan import Action, ApplyResult, Plan, apply_actions, paginate
    from stack_resources import (
        COMPONENT_TAG,
        LIVE_INSTANCE_STATES,
        OPENED_AT_TAG,
        SERVER_TAG,
        SG_TAG,
        STACK_TAG,
        TIER_TAG,
        resource_tags,
        tag_filters,
    )


MAINTENANCE_COMPONENT = "maintenance"

FIRST_RULE = 900
LAST_RULE = 999
ANY_IPV4 = "0.0.0.0/0"
ANY_IPV6 = "::/0"
SSH_PORT = 22
EPHEMERAL_PORTS = (1024, 65535)
TCP = "6"
UDP = "17"
PROTOCOL_NAMES = {TCP: "tcp", UDP: "udp"}
# What a maintenance needs out: packages over HTTP/HTTPS and DNS.
OUTBOUND_SERVICES = ((TCP, 80), (TCP, 443), (TCP, 53), (UDP, 53))
# The DNS firewall's list for the window (dns_firewall.list_name(stack, "maintenance")).
DNS_LIST_SUFFIX = "-dns-maintenance"
# What apt on Debian 12 resolves: the archive and security names of the sources Debian's
# AMIs ship (cdn-aws.deb.debian.org on AWS) and the generic ones. Exact names: the
# firewall trusts their CNAME targets (the CDN's), so nothing else is needed.
DEBIAN_DOMAINS = ("cdn-aws.deb.debian.org", "deb.debian.org", "security.debian.org")

STATUS_CLOSED = "closed"
STATUS_OPEN = "open"
STATUS_PARTIAL = "partial"


class MaintenanceError(Exception):
    """A window cannot be inspected, planned or applied; the message says why."""


class StackNotFoundError(MaintenanceError):
    """No VPC carries the stack's tag."""


class StackMismatchError(MaintenanceError):
    """The resources found do not fit together (duplicates, or a given id is not the stack's)."""


@dataclass(frozen=True)
class Instance:
    instance_id: str
    state: str
    private_ip: str | None
    public_ip: str | None
    group_ids: tuple[str, ...]


@dataclass(frozen=True)
class Address:
    allocation_id: str
    public_ip: str
    association_id: str | None
    instance_id: str | None
    opened_at: str | None


@dataclass(frozen=True)
class NaclEntry:
    """One allow entry; nacl_id and direction place it, the rest is what it allows."""

    nacl_id: str
    egress: bool
    rule_number: int
    protocol: str
    cidr: str
    port_from: int
    port_to: int

    def same_rule(self, other: NaclEntry) -> bool:
        return (self.protocol, self.cidr, self.port_from, self.port_to) == (
            other.protocol,
            other.cidr,
            other.port_from,
            other.port_to,
        )

    def describe(self) -> str:
        direction = "egress" if self.egress else "ingress"
        ports = str(self.port_from) if self.port_from == self.port_to else f"{self.port_from}-{self.port_to}"
        peer = "to" if self.egress else "from"
        protocol = PROTOCOL_NAMES.get(self.protocol, self.protocol)
        return (
            f"{self.nacl_id} {direction} rule {self.rule_number}: allow {protocol} {ports} {peer} {self.cidr}"
        )


@dataclass(frozen=True)
class Stack:
    """The stack's resources the window touches, found by the tags in docs/conventions.md."""

    name: str
    vpc_id: str
    internet_gateway_id: str | None
    public_subnet_cidr: str | None
    private_subnet_cidr: str | None
    private_route_table_id: str | None
    public_nacl_id: str | None
    private_nacl_id: str | None
    maintenance_group_id: str | None
    owncast: Instance | None
    proxy: Instance | None


@dataclass(frozen=True)
class DnsList:
    """The DNS firewall's maintenance domain list and the names it holds."""

    list_id: str
    name: str
    domains: tuple[str, ...]


@dataclass(frozen=True)
class WindowState:
    """Which pieces of the window exist right now. dns_list is None when the stack has no
    DNS firewall (or it was not read)."""

    stack: Stack
    default_route_target: str | None
    nacl_entries: tuple[NaclEntry, ...]
    addresses: tuple[Address, ...]
    dns_list: DnsList | None = None

    @property
    def route_open(self) -> bool:
        target = self.default_route_target
        return target is not None and target == self.stack.internet_gateway_id

    @property
    def owncast_group_attached(self) -> bool:
        return _has_group(self.stack.owncast, self.stack.maintenance_group_id)

    @property
    def proxy_group_attached(self) -> bool:
        return _has_group(self.stack.proxy, self.stack.maintenance_group_id)

    @property
    def owncast_address(self) -> Address | None:
        owncast = self.stack.owncast
        for address in self.addresses:
            if owncast is not None and address.instance_id == owncast.instance_id:
                return address
        return None

    @property
    def opened_at(self) -> str | None:
        """When the window was opened (the temporary address's tag); None when unknown."""
        times = sorted(a.opened_at for a in self.addresses if a.opened_at)
        return times[0] if times else None

    @property
    def pieces(self) -> list[str]:
        """Names of the pieces that exist, for messages and the Lambda's log."""
        found = []
        if self.route_open:
            found.append("route")
        if any(e.nacl_id == self.stack.private_nacl_id for e in self.nacl_entries):
            found.append("private_nacl_entries")
        if any(e.nacl_id == self.stack.public_nacl_id for e in self.nacl_entries):
            found.append("public_nacl_entries")
        if self.owncast_group_attached:
            found.append("owncast_group")
        if self.proxy_group_attached:
            found.append("proxy_group")
        if self.addresses:
            found.append("address")
        if self.dns_list is not None and self.dns_list.domains:
            found.append("dns_names")
        return found

    @property
    def status(self) -> str:
        """open: every piece Owncast needs is there and the proxy's pieces are all there or
        all absent (include_proxy false); closed: nothing is there; partial otherwise."""
        pieces = self.pieces
        if not pieces:
            return STATUS_CLOSED
        core = {"route", "private_nacl_entries", "owncast_group"}
        if self.dns_list is not None:
            core.add("dns_names")
        proxy_pieces = {"public_nacl_entries", "proxy_group"}.intersection(pieces)
        if core.issubset(pieces) and self.owncast_address is not None and len(proxy_pieces) != 1:
            return STATUS_OPEN
        return STATUS_PARTIAL

    def summary(self) -> dict[str, Any]:
        """The window's pieces as plain data (diff before/after, return values, logs);
        dns_names only for a stack with a DNS firewall."""
        stack = self.stack
        summary = {
            "route": f"{ANY_IPV4} -> {stack.internet_gateway_id}" if self.route_open else None,
            "nacl_entries": sorted(e.describe() for e in self.nacl_entries),
            "owncast_groups": sorted(stack.owncast.group_ids) if stack.owncast else [],
            "proxy_groups": sorted(stack.proxy.group_ids) if stack.proxy else [],
            "addresses": [_address_summary(a) for a in self.addresses],
        }
        if self.dns_list is not None:
            summary["dns_names"] = sorted(self.dns_list.domains)
        return summary

    def as_dict(self) -> dict[str, Any]:
        stack = self.stack
        owncast_address = self.owncast_address
        return {
            "status": self.status,
            "pieces": self.pieces,
            "opened_at": self.opened_at,
            "vpc_id": stack.vpc_id,
            "owncast_instance_id": stack.owncast.instance_id if stack.owncast else None,
            "owncast_private_ip": stack.owncast.private_ip if stack.owncast else None,
            "owncast_public_ip": owncast_address.public_ip if owncast_address else None,
            "proxy_instance_id": stack.proxy.instance_id if stack.proxy else None,
            "proxy_public_ip": stack.proxy.public_ip if stack.proxy else None,
            **self.summary(),
        }


@dataclass
class WindowResult(ApplyResult):
    """What apply_plan did; allocated_public_ip is the new temporary address, if any."""

    allocated_public_ip: str | None = None


def _has_group(instance: Instance | None, group_id: str | None) -> bool:
    return instance is not None and group_id is not None and group_id in instance.group_ids


# --- reading the stack ---------------------------------------------------------------


def _at_most_one(items: list[dict[str, Any]], what: str, id_key: str) -> dict[str, Any] | None:
    if len(items) > 1:
        ids = ", ".join(sorted(item[id_key] for item in items))
        raise StackMismatchError(f"found {len(items)} {what} where the stack has one: {ids}")
    return items[0] if items else None


def _find_vpc(ec2: Any, stack_name: str, vpc_id: str | None) -> dict[str, Any]:
    vpcs = paginate(ec2, "describe_vpcs", "Vpcs", Filters=tag_filters(**{STACK_TAG: stack_name}))
    if not vpcs:
        raise StackNotFoundError(
            f"no VPC is tagged {STACK_TAG}={stack_name}: the stack does not exist in this "
            "region/account (provision it first, or check stack_name and region)"
        )
    _at_most_one(vpcs, f"VPCs tagged {STACK_TAG}={stack_name}", "VpcId")
    vpc = vpcs[0]
    if vpc_id is not None and vpc["VpcId"] != vpc_id:
        raise StackMismatchError(f"vpc_id {vpc_id} is not the stack {stack_name}'s VPC ({vpc['VpcId']})")
    return vpc


def _in_vpc(vpc_id: str, **tags: str) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": [vpc_id]}, *tag_filters(**tags)]


def _find_instance(
    ec2: Any, stack_name: str, vpc_id: str, server: str, given_id: str | None
) -> Instance | None:
    filters = [
        *_in_vpc(vpc_id, **{STACK_TAG: stack_name, SERVER_TAG: server}),
        {"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES},
    ]
    reservations = paginate(ec2, "describe_instances", "Reservations", Filters=filters)
    found = [instance for reservation in reservations for instance in reservation["Instances"]]
    raw = _at_most_one(found, f"{server} instances of stack {stack_name}", "InstanceId")
    if given_id is not None and (raw is None or raw["InstanceId"] != given_id):
        actual = raw["InstanceId"] if raw else "none"
        raise StackMismatchError(
            f"instance {given_id} is not the stack {stack_name}'s {server} instance (that is {actual})"
        )
    if raw is None:
        return None
    return Instance(
        instance_id=raw["InstanceId"],
        state=raw["State"]["Name"],
        private_ip=raw.get("PrivateIpAddress"),
        public_ip=raw.get("PublicIpAddress"),
        group_ids=tuple(group["GroupId"] for group in raw.get("SecurityGroups", [])),
    )


# describe call, response key and id key of the resources tagged privatecast:tier.
TIERED_RESOURCES = {
    "subnet": ("describe_subnets", "Subnets", "SubnetId"),
    "route table": ("describe_route_tables", "RouteTables", "RouteTableId"),
    "network ACL": ("describe_network_acls", "NetworkAcls", "NetworkAclId"),
}


def _find_tiered(ec2: Any, kind: str, stack_name: str, vpc_id: str, tier: str) -> dict[str, Any] | None:
    call, key, id_key = TIERED_RESOURCES[kind]
    filters = _in_vpc(vpc_id, **{STACK_TAG: stack_name, TIER_TAG: tier})
    items = paginate(ec2, call, key, Filters=filters)
    return _at_most_one(items, f"{tier} {kind}s of stack {stack_name}", id_key)


def find_stack(
    ec2: Any,
    stack_name: str,
    *,
    vpc_id: str | None = None,
    owncast_instance_id: str | None = None,
) -> Stack:
    """The stack's resources. Raises StackNotFoundError without a VPC and
    StackMismatchError for duplicates or given ids that are not the stack's; pieces that
    are missing are None (plan_open says which it needs, plan_close copes without)."""
    vpc = _find_vpc(ec2, stack_name, vpc_id)
    vpc_id = vpc["VpcId"]
    igws = paginate(
        ec2,
        "describe_internet_gateways",
        "InternetGateways",
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}, *tag_filters(**{STACK_TAG: stack_name})],
    )
    igw = _at_most_one(igws, f"internet gateways of stack {stack_name}", "InternetGatewayId")
    subnets = {tier: _find_tiered(ec2, "subnet", stack_name, vpc_id, tier) for tier in ("public", "private")}
    route_table = _find_tiered(ec2, "route table", stack_name, vpc_id, "private")
    nacls = {
        tier: _find_tiered(ec2, "network ACL", stack_name, vpc_id, tier) for tier in ("public", "private")
    }
    groups = paginate(
        ec2,
        "describe_security_groups",
        "SecurityGroups",
        Filters=_in_vpc(vpc_id, **{STACK_TAG: stack_name, SG_TAG: "maintenance"}),
    )
    group = _at_most_one(groups, f"maintenance security groups of stack {stack_name}", "GroupId")
    return Stack(
        name=stack_name,
        vpc_id=vpc_id,
        internet_gateway_id=igw["InternetGatewayId"] if igw else None,
        public_subnet_cidr=subnets["public"]["CidrBlock"] if subnets["public"] else None,
        private_subnet_cidr=subnets["private"]["CidrBlock"] if subnets["private"] else None,
        private_route_table_id=route_table["RouteTableId"] if route_table else None,
        public_nacl_id=nacls["public"]["NetworkAclId"] if nacls["public"] else None,
        private_nacl_id=nacls["private"]["NetworkAclId"] if nacls["private"] else None,
        maintenance_group_id=group["GroupId"] if group else None,
        owncast=_find_instance(ec2, stack_name, vpc_id, "owncast", owncast_instance_id),
        proxy=_find_instance(ec2, stack_name, vpc_id, "proxy", None),
    )


def _default_route_target(ec2: Any, route_table_id: str | None) -> str | None:
    if route_table_id is None:
        return None
    tables = paginate(ec2, "describe_route_tables", "RouteTables", RouteTableIds=[route_table_id])
    for route in tables[0].get("Routes", []) if tables else []:
        if route.get("DestinationCidrBlock") == ANY_IPV4:
            for key in ("GatewayId", "NatGatewayId", "InstanceId", "NetworkInterfaceId", "TransitGatewayId"):
                if route.get(key):
                    return route[key]
            return "unknown"
    return None


def _window_nacl_entries(ec2: Any, nacl_ids: Sequence[str]) -> tuple[NaclEntry, ...]:
    if not nacl_ids:
        return ()
    entries = []
    for nacl in paginate(ec2, "describe_network_acls", "NetworkAcls", NetworkAclIds=list(nacl_ids)):
        for raw in nacl.get("Entries", []):
            if FIRST_RULE <= raw["RuleNumber"] <= LAST_RULE:
                entries.append(_entry_from_api(nacl["NetworkAclId"], raw))
    return tuple(sorted(entries, key=lambda e: (e.nacl_id, e.egress, e.rule_number)))


def _entry_from_api(nacl_id: str, raw: dict[str, Any]) -> NaclEntry:
    ports = raw.get("PortRange") or {}
    return NaclEntry(
        nacl_id=nacl_id,
        egress=bool(raw["Egress"]),
        rule_number=int(raw["RuleNumber"]),
        protocol=str(raw["Protocol"]),
        cidr=raw.get("CidrBlock") or raw.get("Ipv6CidrBlock") or "",
        port_from=int(ports.get("From", 0)),
        port_to=int(ports.get("To", 0)),
    )


def _find_addresses(ec2: Any, stack_name: str) -> tuple[Address, ...]:
    filters = tag_filters(**{STACK_TAG: stack_name, COMPONENT_TAG: MAINTENANCE_COMPONENT})
    addresses = []
    for raw in paginate(ec2, "describe_addresses", "Addresses", Filters=filters):
        addresses.append(
            Address(
                allocation_id=raw["AllocationId"],
                public_ip=raw["PublicIp"],
                association_id=raw.get("AssociationId"),
                instance_id=raw.get("InstanceId") or None,
                opened_at=resource_tags(raw).get(OPENED_AT_TAG),
            )
        )
    return tuple(sorted(addresses, key=lambda a: a.allocation_id))


def _find_dns_list(resolver: Any, stack_name: str) -> DnsList | None:
    """The DNS firewall's maintenance list, found by name; None without a firewall."""
    name = f"{stack_name}{DNS_LIST_SUFFIX}"
    lists = paginate(resolver, "list_firewall_domain_lists", "FirewallDomainLists")
    found = [item for item in lists if item.get("Name") == name and not item.get("ManagedOwnerName")]
    raw = _at_most_one(found, f"firewall domain lists named {name}", "Id")
    if raw is None:
        return None
    domains = paginate(resolver, "list_firewall_domains", "Domains", FirewallDomainListId=raw["Id"])
    return DnsList(raw["Id"], name, tuple(sorted(d.lower().rstrip(".") for d in domains)))


def describe_window(
    ec2: Any,
    stack_name: str,
    *,
    vpc_id: str | None = None,
    owncast_instance_id: str | None = None,
    resolver: Any = None,
) -> WindowState:
    """The window's current state for a stack: status open/partial/closed, its pieces,
    and when it was opened (WindowState.opened_at, from the temporary address's tag).
    With a route53resolver client it also reads the DNS firewall's maintenance list."""
    stack = find_stack(ec2, stack_name, vpc_id=vpc_id, owncast_instance_id=owncast_instance_id)
    nacl_ids = [nacl_id for nacl_id in (stack.private_nacl_id, stack.public_nacl_id) if nacl_id]
    return WindowState(
        stack=stack,
        default_route_target=_default_route_target(ec2, stack.private_route_table_id),
        nacl_entries=_window_nacl_entries(ec2, nacl_ids),
        addresses=_find_addresses(ec2, stack_name),
        dns_list=_find_dns_list(resolver, stack_name) if resolver is not None else None,
    )


def window_age_seconds(state: WindowState, now: datetime.datetime | None = None) -> float | None:
    """Seconds since the window was opened; None when closed or the time is unknown."""
    if state.opened_at is None:
        return None
    opened = datetime.datetime.fromisoformat(state.opened_at.replace("Z", "+00:00"))
    now = now or datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 targets)
    return (now - opened).total_seconds()


# --- planning ------------------------------------------------------------------------


# The guard against "anywhere" as an admin source, however it is spelled: 0.0.0.0/0, or
# 0.0.0.0/1 plus 128.0.0.0/1, or a pile of /8s. A list of sources is measured by the
# distinct addresses it covers per IP version, overlapping and adjacent networks merged.
# The limits: one /16 of IPv4 (65,536 addresses: a large office or a small ISP pool) and
# one /48 of IPv6 (the largest block a site is usually given); anything wider is a share
# of the internet, not "my addresses". Also used by the aws_network role for the HTTPS
# admin sources, through the too_broad_sources filter.
MAX_SOURCE_ADDRESSES: dict[int, int] = {4: 2**16, 6: 2**80}
MAX_SOURCE_PREFIX: dict[int, str] = {4: "/16", 6: "/48"}


def parse_sources(cidrs: Sequence[object], what: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The CIDRs as networks (host bits cleared); a clear error for one that is not a CIDR."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError as error:
            raise MaintenanceError(f"{what}: {cidr!r} is not a CIDR ({error})") from error
    return networks


def covered_addresses(networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network], version: int) -> int:
    """How many distinct addresses of one IP version the networks cover together."""
    same_version = [network for network in networks if network.version == version]
    return sum(network.num_addresses for network in ipaddress.collapse_addresses(same_version))


def too_broad_sources(cidrs: Sequence[object], what: str) -> list[str]:
    """One sentence per IP version whose sources cover more than the limit; empty if none."""
    networks = parse_sources(cidrs, what)
    problems: list[str] = []
    for version, limit in MAX_SOURCE_ADDRESSES.items():
        covered = covered_addresses(networks, version)
        if covered > limit:
            problems.append(
                f"{what}: refusing IPv{version} sources that together cover {covered} addresses (more "
                f"than {limit}, one {MAX_SOURCE_PREFIX[version]}): they let a large part of the internet "
                "in. Give your own address(es), or set allow_any_source if you really mean it."
            )
    return problems


def validate_admin_cidrs(admin_cidrs: Sequence[str], allow_any_source: bool) -> list[str]:
    """Normalised CIDRs without duplicates; refuses an empty list, malformed CIDRs and,
    unless allowed, sources broader than the limits above."""
    if not admin_cidrs:
        raise MaintenanceError("admin_cidrs is empty: say which addresses may SSH in (e.g. 203.0.113.7/32)")
    networks = parse_sources(admin_cidrs, "admin_cidrs")
    if not allow_any_source:
        problems = too_broad_sources(admin_cidrs, "admin_cidrs")
        if problems:
            raise MaintenanceError(" ".join(problems))
    cidrs: list[str] = []
    for network in networks:
        if str(network) not in cidrs:
            cidrs.append(str(network))
    return cidrs


def _rule(protocol: str, cidr: str, ports: tuple[int, int]) -> tuple[str, str, int, int]:
    return (protocol, cidr, ports[0], ports[1])


def _subnet_rules(
    admin_cidrs: Sequence[str], jump_peer: str | None, jump_is_source: bool
) -> tuple[list[tuple[str, str, int, int]], list[tuple[str, str, int, int]]]:
    """(ingress, egress) rule tuples for one subnet: SSH in from the admins (and the
    jump-host path), services out, return traffic both ways."""
    ssh = (SSH_PORT, SSH_PORT)
    ingress = [_rule(TCP, cidr, ssh) for cidr in admin_cidrs]
    egress = [_rule(TCP, cidr, EPHEMERAL_PORTS) for cidr in admin_cidrs]
    if jump_peer is not None:
        if jump_is_source:
            # Owncast's subnet: SSH from the proxy's subnet, replies back to it.
            ingress.append(_rule(TCP, jump_peer, ssh))
            egress.append(_rule(TCP, jump_peer, EPHEMERAL_PORTS))
        else:
            # The proxy's subnet: SSH on to Owncast's subnet; replies come back on the
            # ephemeral range, which the any-source return rule below already allows.
            egress.append(_rule(TCP, jump_peer, ssh))
    egress.extend(_rule(protocol, ANY_IPV4, (port, port)) for protocol, port in OUTBOUND_SERVICES)
    ingress.extend(_rule(protocol, ANY_IPV4, EPHEMERAL_PORTS) for protocol in (TCP, UDP))
    return ingress, egress


def _numbered(nacl_id: str, egress: bool, rules: list[tuple[str, str, int, int]]) -> list[NaclEntry]:
    if len(rules) > LAST_RULE - FIRST_RULE + 1:
        raise MaintenanceError(
            f"too many admin CIDRs: {len(rules)} rules do not fit in {FIRST_RULE}-{LAST_RULE}"
        )
    return [
        NaclEntry(nacl_id, egress, FIRST_RULE + index, protocol, cidr, low, high)
        for index, (protocol, cidr, low, high) in enumerate(rules)
    ]


def desired_nacl_entries(stack: Stack, admin_cidrs: Sequence[str], include_proxy: bool) -> list[NaclEntry]:
    """Every entry an open window has, numbered from 900 per NACL and direction."""
    entries: list[NaclEntry] = []
    jump_source = stack.public_subnet_cidr if include_proxy else None
    ingress, egress = _subnet_rules(admin_cidrs, jump_source, jump_is_source=True)
    entries += _numbered(stack.private_nacl_id or "", False, ingress)
    entries += _numbered(stack.private_nacl_id or "", True, egress)
    if include_proxy:
        ingress, egress = _subnet_rules(admin_cidrs, stack.private_subnet_cidr, jump_is_source=False)
        entries += _numbered(stack.public_nacl_id or "", False, ingress)
        entries += _numbered(stack.public_nacl_id or "", True, egress)
    return entries


def _require_for_open(stack: Stack, include_proxy: bool) -> tuple[Instance, str]:
    """The Owncast instance and the maintenance group id, or an error naming every
    piece an open window needs and the stack lacks."""
    needed = {
        "internet gateway": stack.internet_gateway_id,
        "private subnet (tag privatecast:tier=private)": stack.private_subnet_cidr,
        "private route table (tag privatecast:tier=private)": stack.private_route_table_id,
        "private network ACL (tag privatecast:tier=private)": stack.private_nacl_id,
        "maintenance security group (tag privatecast:sg=maintenance)": stack.maintenance_group_id,
        "Owncast instance (tag privatecast:server=owncast)": stack.owncast,
    }
    if include_proxy:
        needed.update(
            {
                "public subnet (tag privatecast:tier=public)": stack.public_subnet_cidr,
                "public network ACL (tag privatecast:tier=public)": stack.public_nacl_id,
                "proxy instance (tag privatecast:server=proxy)": stack.proxy,
            }
        )
    missing = [what for what, value in needed.items() if not value]
    owncast, group_id = stack.owncast, stack.maintenance_group_id
    if missing or owncast is None or group_id is None:
        raise StackMismatchError(
            f"stack {stack.name} (VPC {stack.vpc_id}) is incomplete, cannot open a window: "
            f"missing {', '.join(missing)}"
        )
    return owncast, group_id


def _nacl_actions(current: Sequence[NaclEntry], desired: Sequence[NaclEntry]) -> list[Action]:
    """Create, replace or delete entries so the 900-999 range holds exactly `desired`."""
    by_slot = {(e.nacl_id, e.egress, e.rule_number): e for e in current}
    actions = []
    for entry in desired:
        existing = by_slot.pop((entry.nacl_id, entry.egress, entry.rule_number), None)
        if existing is None:
            actions.append(CreateNaclEntry(f"add {entry.describe()}", entry))
        elif not existing.same_rule(entry):
            actions.append(
                ReplaceNaclEntry(
                    f"replace {existing.describe()} with {entry.describe()}", entry, before=existing
                )
            )
    for stale in sorted(by_slot.values(), key=lambda e: (e.nacl_id, e.egress, e.rule_number)):
        actions.append(DeleteNaclEntry(f"remove {stale.describe()}", stale))
    return actions


def _set_groups_action(instance: Instance, groups: list[str], verb: str, group_id: str, role: str) -> Action:
    return SetInstanceGroups(
        f"{verb} maintenance security group {group_id} {'to' if verb == 'attach' else 'from'} "
        f"the {role} instance {instance.instance_id}",
        instance.instance_id,
        list(groups),
        before=instance.group_ids,
    )


def _address_summary(address: Address) -> dict[str, Any]:
    return {
        "allocation_id": address.allocation_id,
        "public_ip": address.public_ip,
        "instance_id": address.instance_id,
        "opened_at": address.opened_at,
    }


def utc_now_iso() -> str:
    return (
        datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 targets)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )


def plan_open(
    state: WindowState,
    admin_cidrs: Sequence[str],
    *,
    include_proxy: bool = True,
    allow_any_source: bool = False,
    opened_at: str | None = None,
    dns_domains: Sequence[str] = DEBIAN_DOMAINS,
) -> Plan:
    """The changes that open the window from `state` (nothing when it is already open
    as asked). Pieces from another configuration (old admin CIDRs, the proxy when
    include_proxy is now false) are brought in line. With a DNS firewall, its
    maintenance list is set to exactly `dns_domains`."""
    cidrs = validate_admin_cidrs(admin_cidrs, allow_any_source)
    stack = state.stack
    owncast, group_id = _require_for_open(stack, include_proxy)
    actions: list[Action] = []

    # The address comes first: its opened-at tag dates the window even if a later step fails.
    address_actions, kept = _plan_open_address(state, owncast, opened_at or utc_now_iso())
    actions += address_actions

    if not state.route_open:
        if state.default_route_target is not None:
            raise MaintenanceError(
                f"the private route table {stack.private_route_table_id} already has a default route "
                f"to {state.default_route_target}; not replacing it (remove it or close by hand)"
            )
        actions.append(
            CreateRoute(
                f"add route {ANY_IPV4} -> {stack.internet_gateway_id} to the private route table "
                f"{stack.private_route_table_id}",
                route_table_id=stack.private_route_table_id,
                gateway_id=stack.internet_gateway_id,
            )
        )

    desired_entries = desired_nacl_entries(stack, cidrs, include_proxy)
    actions += _nacl_actions(state.nacl_entries, desired_entries)

    owncast_groups = list(owncast.group_ids)
    if group_id not in owncast_groups:
        owncast_groups.append(group_id)
        actions.append(_set_groups_action(owncast, owncast_groups, "attach", group_id, "Owncast"))
    proxy_groups = list(stack.proxy.group_ids) if stack.proxy else []
    if stack.proxy is not None:
        if include_proxy and group_id not in proxy_groups:
            proxy_groups.append(group_id)
            actions.append(_set_groups_action(stack.proxy, proxy_groups, "attach", group_id, "proxy"))
        elif not include_proxy and group_id in proxy_groups:
            proxy_groups.remove(group_id)
            actions.append(_set_groups_action(stack.proxy, proxy_groups, "detach", group_id, "proxy"))
    wanted_names = tuple(sorted({name.strip().lower().rstrip(".") for name in dns_domains}))
    actions += _dns_actions(state.dns_list, wanted_names)

    after_addresses = (
        [_address_summary(kept)]
        if kept
        else [
            {
                "allocation_id": "(new)",
                "public_ip": "(new)",
                "instance_id": owncast.instance_id,
                "opened_at": opened_at or "(now)",
            }
        ]
    )
    after = {
        "route": f"{ANY_IPV4} -> {stack.internet_gateway_id}",
        "nacl_entries": sorted(e.describe() for e in desired_entries),
        "owncast_groups": sorted(owncast_groups),
        "proxy_groups": sorted(proxy_groups),
        "addresses": after_addresses,
    }
    if state.dns_list is not None:
        after["dns_names"] = list(wanted_names)
    return Plan("open", tuple(actions), state.summary(), after)


def _dns_actions(dns_list: DnsList | None, wanted: tuple[str, ...]) -> list[Action]:
    """Set the DNS firewall's maintenance list to `wanted` (nothing without a firewall)."""
    if dns_list is None or dns_list.domains == wanted:
        return []
    text = ", ".join(wanted) if wanted else "nothing"
    return [
        SetDnsNames(
            f"let the DNS firewall answer {text} (domain list {dns_list.name})",
            list_id=dns_list.list_id,
            domains=wanted,
            current=dns_list.domains,
        )
    ]


def _plan_open_address(
    state: WindowState, owncast: Instance, opened_at: str
) -> tuple[list[Action], Address | None]:
    """Keep one temporary address on Owncast (reusing one left by a half-done open),
    release any others. Returns the actions and the address kept (None: a new one)."""
    actions: list[Action] = []
    kept = state.owncast_address or (state.addresses[0] if state.addresses else None)
    for extra in state.addresses:
        if extra is not kept:
            actions += _release_actions(extra)
    if kept is None:
        actions.append(
            AllocateAddress(
                f"allocate a temporary Elastic IP (tag {COMPONENT_TAG}={MAINTENANCE_COMPONENT})",
                stack_name=state.stack.name,
                opened_at=opened_at,
            )
        )
    if kept is None or kept.instance_id != owncast.instance_id:
        ip = kept.public_ip if kept else "the new Elastic IP"
        actions.append(
            AssociateAddress(
                f"associate {ip} with the Owncast instance {owncast.instance_id}",
                allocation_id=kept.allocation_id if kept else None,
                instance_id=owncast.instance_id,
            )
        )
    if kept is not None and kept.opened_at is None:
        actions.append(
            TagAddress(
                f"tag {kept.public_ip} {OPENED_AT_TAG}={opened_at}",
                allocation_id=kept.allocation_id,
                opened_at=opened_at,
            )
        )
        kept = Address(
            kept.allocation_id, kept.public_ip, kept.association_id, owncast.instance_id, opened_at
        )
    elif kept is not None:
        kept = Address(
            kept.allocation_id, kept.public_ip, kept.association_id, owncast.instance_id, kept.opened_at
        )
    return actions, kept


def _release_actions(address: Address) -> list[Action]:
    actions = []
    if address.association_id:
        actions.append(
            DisassociateAddress(
                f"disassociate the temporary Elastic IP {address.public_ip} from {address.instance_id}",
                association_id=address.association_id,
            )
        )
    actions.append(
        ReleaseAddress(
            f"release the temporary Elastic IP {address.public_ip} ({address.allocation_id})",
            allocation_id=address.allocation_id,
        )
    )
    return actions


def plan_close(state: WindowState) -> Plan:
    """The changes that remove every piece of the window found in `state` and nothing
    else; works from any partial state and plans nothing when the window is closed."""
    stack = state.stack
    group_id = stack.maintenance_group_id
    actions: list[Action] = []
    if state.route_open:
        actions.append(
            DeleteRoute(
                f"remove route {ANY_IPV4} -> {stack.internet_gateway_id} from the private route table "
                f"{stack.private_route_table_id}",
                route_table_id=stack.private_route_table_id,
            )
        )
    actions += _nacl_actions(state.nacl_entries, [])
    after_groups = {}
    for role, instance in (("Owncast", stack.owncast), ("proxy", stack.proxy)):
        groups = list(instance.group_ids) if instance else []
        if instance is not None and group_id is not None and group_id in groups:
            groups.remove(group_id)
            actions.append(_set_groups_action(instance, groups, "detach", group_id, role))
        after_groups[role] = sorted(groups)
    actions += _dns_actions(state.dns_list, ())
    # The address goes last: its opened-at tag marks the window open until the end.
    for address in state.addresses:
        actions += _release_actions(address)
    after = {
        "route": None,
        "nacl_entries": [],
        "owncast_groups": after_groups["Owncast"],
        "proxy_groups": after_groups["proxy"],
        "addresses": [],
    }
    if state.dns_list is not None:
        after["dns_names"] = []
    return Plan("closed", tuple(actions), state.summary(), after)


# --- applying ------------------------------------------------------------------------


def _nacl_entry_params(entry: NaclEntry) -> dict[str, Any]:
    params: dict[str, Any] = {
        "NetworkAclId": entry.nacl_id,
        "RuleNumber": entry.rule_number,
        "Protocol": entry.protocol,
        "RuleAction": "allow",
        "Egress": entry.egress,
        "PortRange": {"From": entry.port_from, "To": entry.port_to},
    }
    cidr_key = "Ipv6CidrBlock" if ":" in entry.cidr else "CidrBlock"
    params[cidr_key] = entry.cidr
    return params


def _address_tags(stack_name: str, opened_at: str) -> list[dict[str, str]]:
    return [
        {"Key": "Name", "Value": f"{stack_name}-maintenance"},
        {"Key": STACK_TAG, "Value": stack_name},
        {"Key": COMPONENT_TAG, "Value": MAINTENANCE_COMPONENT},
        {"Key": OPENED_AT_TAG, "Value": opened_at},
    ]


@dataclass
class _Applier:
    """The clients the actions call, the result they fill in, and the allocation id an
    allocate_address hands to the associate_address after it."""

    ec2: Any
    resolver: Any
    result: WindowResult
    allocation_id: str | None = None


@dataclass(frozen=True)
class CreateRoute(Action):
    kind: ClassVar[str] = "create_route"
    description: str
    route_table_id: str
    gateway_id: str

    def apply(self, applier: _Applier) -> None:
        applier.ec2.create_route(
            RouteTableId=self.route_table_id, DestinationCidrBlock=ANY_IPV4, GatewayId=self.gateway_id
        )


@dataclass(frozen=True)
class DeleteRoute(Action):
    kind: ClassVar[str] = "delete_route"
    description: str
    route_table_id: str

    def apply(self, applier: _Applier) -> None:
        applier.ec2.delete_route(RouteTableId=self.route_table_id, DestinationCidrBlock=ANY_IPV4)


@dataclass(frozen=True)
class CreateNaclEntry(Action):
    kind: ClassVar[str] = "create_nacl_entry"
    description: str
    entry: NaclEntry

    def apply(self, applier: _Applier) -> None:
        applier.ec2.create_network_acl_entry(**_nacl_entry_params(self.entry))


@dataclass(frozen=True)
class ReplaceNaclEntry(Action):
    kind: ClassVar[str] = "replace_nacl_entry"
    description: str
    entry: NaclEntry
    before: NaclEntry | None = None

    def apply(self, applier: _Applier) -> None:
        applier.ec2.replace_network_acl_entry(**_nacl_entry_params(self.entry))


@dataclass(frozen=True)
class DeleteNaclEntry(Action):
    kind: ClassVar[str] = "delete_nacl_entry"
    description: str
    entry: NaclEntry

    def apply(self, applier: _Applier) -> None:
        entry = self.entry
        applier.ec2.delete_network_acl_entry(
            NetworkAclId=entry.nacl_id, RuleNumber=entry.rule_number, Egress=entry.egress
        )


@dataclass(frozen=True)
class SetInstanceGroups(Action):
    kind: ClassVar[str] = "set_instance_groups"
    description: str
    instance_id: str
    group_ids: list[str]
    before: tuple[str, ...] = ()

    def apply(self, applier: _Applier) -> None:
        applier.ec2.modify_instance_attribute(InstanceId=self.instance_id, Groups=self.group_ids)


@dataclass(frozen=True)
class AllocateAddress(Action):
    kind: ClassVar[str] = "allocate_address"
    description: str
    stack_name: str
    opened_at: str

    def apply(self, applier: _Applier) -> None:
        response = applier.ec2.allocate_address(
            Domain="vpc",
            TagSpecifications=[
                {"ResourceType": "elastic-ip", "Tags": _address_tags(self.stack_name, self.opened_at)}
            ],
        )
        applier.result.allocated_public_ip = response["PublicIp"]
        applier.allocation_id = response["AllocationId"]


@dataclass(frozen=True)
class AssociateAddress(Action):
    """allocation_id None: the address the plan's allocate_address made."""

    kind: ClassVar[str] = "associate_address"
    description: str
    allocation_id: str | None
    instance_id: str

    def apply(self, applier: _Applier) -> None:
        applier.ec2.associate_address(
            AllocationId=self.allocation_id or applier.allocation_id, InstanceId=self.instance_id
        )


@dataclass(frozen=True)
class TagAddress(Action):
    kind: ClassVar[str] = "tag_address"
    description: str
    allocation_id: str
    opened_at: str

    def apply(self, applier: _Applier) -> None:
        applier.ec2.create_tags(
            Resources=[self.allocation_id], Tags=[{"Key": OPENED_AT_TAG, "Value": self.opened_at}]
        )


@dataclass(frozen=True)
class DisassociateAddress(Action):
    kind: ClassVar[str] = "disassociate_address"
    description: str
    association_id: str

    def apply(self, applier: _Applier) -> None:
        applier.ec2.disassociate_address(AssociationId=self.association_id)


@dataclass(frozen=True)
class ReleaseAddress(Action):
    kind: ClassVar[str] = "release_address"
    description: str
    allocation_id: str

    def apply(self, applier: _Applier) -> None:
        applier.ec2.release_address(AllocationId=self.allocation_id)


@dataclass(frozen=True)
class SetDnsNames(Action):
    """The DNS firewall's maintenance list becomes `domains` (from `current`)."""

    kind: ClassVar[str] = "set_dns_names"
    description: str
    list_id: str
    domains: tuple[str, ...]
    current: tuple[str, ...]

    def apply(self, applier: _Applier) -> None:
        resolver = applier.resolver
        if resolver is None:
            raise MaintenanceError(
                "the plan changes the DNS firewall but no route53resolver client was given"
            )
        if self.domains:
            resolver.update_firewall_domains(
                FirewallDomainListId=self.list_id, Operation="REPLACE", Domains=list(self.domains)
            )
        else:
            resolver.update_firewall_domains(
                FirewallDomainListId=self.list_id, Operation="REMOVE", Domains=list(self.current)
            )


def apply_plan(ec2: Any, plan: Plan, resolver: Any = None) -> WindowResult:
    """Runs the plan's actions in order; on an error the window is left partial (closing
    cleans up from there) and the error names what was done before it. `resolver` (a
    route53resolver client) is needed when the plan changes the DNS firewall."""
    result = WindowResult()
    apply_actions(plan.actions, _Applier(ec2, resolver, result), result, MaintenanceError)
    return result
