"""The maintenance window's shared logic (module_utils/maintenance.py) against moto
in-process: open, close, idempotence both ways, every partial state, bad input."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import maintenance
from moto import mock_aws

from tests.unit.maintenance_stack import REGION, StackIds, build_stack, network_snapshot

ADMIN = ("203.0.113.0/24",)


@pytest.fixture
def ec2() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


@pytest.fixture
def stack(ec2: Any) -> StackIds:
    return build_stack(ec2)


def describe(ec2: Any, stack: StackIds, **kwargs: Any) -> maintenance.WindowState:
    return maintenance.describe_window(ec2, stack.name, **kwargs)


def open_window(ec2: Any, stack: StackIds, cidrs: list[str] | None = None, **kwargs: Any) -> maintenance.Plan:
    plan = maintenance.plan_open(describe(ec2, stack), cidrs or ADMIN, **kwargs)
    maintenance.apply_plan(ec2, plan)
    return plan


def close_window(ec2: Any, stack: StackIds) -> maintenance.Plan:
    plan = maintenance.plan_close(describe(ec2, stack))
    maintenance.apply_plan(ec2, plan)
    return plan


def instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def group_ids(ec2: Any, instance_id: str) -> set[str]:
    return {group["GroupId"] for group in instance(ec2, instance_id)["SecurityGroups"]}


def window_entries(ec2: Any, nacl_id: str) -> list[dict[str, Any]]:
    entries = ec2.describe_network_acls(NetworkAclIds=[nacl_id])["NetworkAcls"][0]["Entries"]
    return [e for e in entries if 900 <= e["RuleNumber"] <= 999]


def has_entry(
    entries: list[dict[str, Any]], egress: bool, protocol: str, cidr: str, ports: tuple[int, int]
) -> bool:
    return any(
        e["Egress"] == egress
        and e["Protocol"] == protocol
        and e["RuleAction"] == "allow"
        and e.get("CidrBlock") == cidr
        and (e["PortRange"]["From"], e["PortRange"]["To"]) == ports
        for e in entries
    )


def default_route(ec2: Any, route_table_id: str) -> dict[str, Any] | None:
    table = ec2.describe_route_tables(RouteTableIds=[route_table_id])["RouteTables"][0]
    return next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)


def maintenance_addresses(ec2: Any, stack: StackIds) -> list[dict[str, Any]]:
    filters = [
        {"Name": "tag:privatecast:stack", "Values": [stack.name]},
        {"Name": "tag:privatecast:component", "Values": ["maintenance"]},
    ]
    return ec2.describe_addresses(Filters=filters)["Addresses"]


# --- open ---------------------------------------------------------------------------


def test_open_from_nothing_adds_every_piece(ec2: Any, stack: StackIds) -> None:
    assert describe(ec2, stack).status == "closed"

    open_window(ec2, stack)

    route = default_route(ec2, stack.private_route_table_id)
    assert route is not None and route["GatewayId"] == stack.igw_id
    private = window_entries(ec2, stack.private_nacl_id)
    assert has_entry(private, False, "6", ADMIN[0], (22, 22))
    assert has_entry(private, True, "6", ADMIN[0], (1024, 65535)), "SSH replies to the admins"
    for protocol, port in (("6", 80), ("6", 443), ("6", 53), ("17", 53)):
        assert has_entry(private, True, protocol, "0.0.0.0/0", (port, port))
    for protocol in ("6", "17"):
        assert has_entry(private, False, protocol, "0.0.0.0/0", (1024, 65535)), "return traffic in"
    assert has_entry(private, False, "6", "10.20.0.0/24", (22, 22)), "SSH from the proxy (jump host)"
    public = window_entries(ec2, stack.public_nacl_id)
    assert has_entry(public, False, "6", ADMIN[0], (22, 22))
    assert has_entry(public, True, "6", "10.20.1.0/24", (22, 22)), "the jump from the proxy on to Owncast"
    assert has_entry(public, True, "6", "0.0.0.0/0", (443, 443))

    assert group_ids(ec2, stack.owncast_instance_id) == {stack.owncast_sg_id, stack.maintenance_sg_id}
    assert group_ids(ec2, stack.proxy_instance_id) == {stack.proxy_sg_id, stack.maintenance_sg_id}

    [address] = maintenance_addresses(ec2, stack)
    assert address["InstanceId"] == stack.owncast_instance_id
    tags = {t["Key"]: t["Value"] for t in address["Tags"]}
    assert tags["Name"] == f"{stack.name}-maintenance"
    opened = datetime.datetime.fromisoformat(tags["privatecast:opened-at"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(datetime.UTC) - opened).total_seconds()) < 60
    assert instance(ec2, stack.owncast_instance_id)["PublicIpAddress"] == address["PublicIp"]

    state = describe(ec2, stack)
    assert state.status == "open"
    assert state.opened_at == tags["privatecast:opened-at"]
    assert set(state.pieces) == {
        "route",
        "private_nacl_entries",
        "public_nacl_entries",
        "owncast_group",
        "proxy_group",
        "address",
    }
    details = state.as_dict()
    assert details["owncast_public_ip"] == address["PublicIp"]
    assert details["proxy_public_ip"] == stack.proxy_eip
    assert 0 <= maintenance.window_age_seconds(state) < 60


def test_open_leaves_everything_else_alone(ec2: Any, stack: StackIds) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    open_window(ec2, stack)
    after = network_snapshot(ec2, stack.vpc_id)
    public_table = stack.public_route_table_id
    assert after["route_tables"][public_table] == before["route_tables"][public_table]
    assert after["groups"] == before["groups"], "the module attaches groups, never edits their rules"
    for nacl_id in (stack.public_nacl_id, stack.private_nacl_id):
        own_rules = [
            [e for e in snap["nacls"][nacl_id]["Entries"] if e["RuleNumber"] < 900]
            for snap in (before, after)
        ]
        assert own_rules[0] == own_rules[1]
    proxy_address = [
        [a for a in snap["addresses"] if a["PublicIp"] == stack.proxy_eip] for snap in (before, after)
    ]
    assert proxy_address[0] == proxy_address[1]


def test_open_twice_changes_nothing(ec2: Any, stack: StackIds) -> None:
    open_window(ec2, stack)
    second = maintenance.plan_open(describe(ec2, stack), ADMIN)
    assert not second.changed, second.descriptions
    assert second.before == second.after


def test_open_without_proxy_leaves_the_proxy_closed(ec2: Any, stack: StackIds) -> None:
    open_window(ec2, stack, include_proxy=False)
    assert window_entries(ec2, stack.public_nacl_id) == []
    assert group_ids(ec2, stack.proxy_instance_id) == {stack.proxy_sg_id}
    assert not has_entry(window_entries(ec2, stack.private_nacl_id), False, "6", "10.20.0.0/24", (22, 22))
    assert describe(ec2, stack).status == "open"


def test_reopen_with_other_settings_brings_the_window_in_line(ec2: Any, stack: StackIds) -> None:
    open_window(ec2, stack, ["203.0.113.0/24", "198.51.100.7/32"])
    plan = open_window(ec2, stack, ["198.51.100.7/32"], include_proxy=False)
    kinds = {action.kind for action in plan.actions}
    assert {"replace_nacl_entry", "delete_nacl_entry", "set_instance_groups"} <= kinds
    assert "allocate_address" not in kinds
    private = window_entries(ec2, stack.private_nacl_id)
    assert has_entry(private, False, "6", "198.51.100.7/32", (22, 22))
    assert not any(e.get("CidrBlock") == "203.0.113.0/24" for e in private)
    assert window_entries(ec2, stack.public_nacl_id) == []
    assert group_ids(ec2, stack.proxy_instance_id) == {stack.proxy_sg_id}
    assert not maintenance.plan_open(describe(ec2, stack), ["198.51.100.7/32"], include_proxy=False).changed


def test_the_maintenance_group_joins_and_leaves_alone(ec2: Any, stack: StackIds) -> None:
    """An operator's own extra group on the Owncast instance survives open and close."""
    extra = ec2.create_security_group(GroupName="operator-extra", Description="x", VpcId=stack.vpc_id)[
        "GroupId"
    ]
    ec2.modify_instance_attribute(InstanceId=stack.owncast_instance_id, Groups=[stack.owncast_sg_id, extra])
    open_window(ec2, stack)
    assert group_ids(ec2, stack.owncast_instance_id) == {stack.owncast_sg_id, extra, stack.maintenance_sg_id}
    close_window(ec2, stack)
    assert group_ids(ec2, stack.owncast_instance_id) == {stack.owncast_sg_id, extra}


# --- close --------------------------------------------------------------------------


def test_close_restores_the_network_exactly_and_twice_is_no_change(ec2: Any, stack: StackIds) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    open_window(ec2, stack)
    assert network_snapshot(ec2, stack.vpc_id) != before
    plan = close_window(ec2, stack)
    assert plan.changed
    assert any("release the temporary Elastic IP" in d for d in plan.descriptions)
    assert network_snapshot(ec2, stack.vpc_id) == before
    state = describe(ec2, stack)
    assert state.status == "closed" and state.opened_at is None
    again = maintenance.plan_close(state)
    assert not again.changed and again.before == again.after


def test_close_when_nothing_is_open_changes_nothing(ec2: Any, stack: StackIds) -> None:
    assert not maintenance.plan_close(describe(ec2, stack)).changed


# An open that failed half-way: only some of the open plan's actions were carried out.
PARTIAL_STATES = {
    "only the route": {"create_route"},
    "only an address allocated, not associated": {"allocate_address"},
    "only the address, associated": {"allocate_address", "associate_address"},
    "only the groups attached": {"set_instance_groups"},
    "only the NACL entries": {"create_nacl_entry"},
    "everything but the address": {"create_route", "create_nacl_entry", "set_instance_groups"},
}


def apply_only(ec2: Any, stack: StackIds, kinds: set[str]) -> None:
    plan = maintenance.plan_open(describe(ec2, stack), ADMIN)
    partial = [action for action in plan.actions if action.kind in kinds]
    maintenance.apply_plan(ec2, dataclasses.replace(plan, actions=tuple(partial)))


@pytest.mark.parametrize("kinds", PARTIAL_STATES.values(), ids=PARTIAL_STATES.keys())
def test_close_from_a_partial_state(ec2: Any, stack: StackIds, kinds: set[str]) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    apply_only(ec2, stack, kinds)
    assert describe(ec2, stack).status == "partial"
    assert close_window(ec2, stack).changed
    assert network_snapshot(ec2, stack.vpc_id) == before
    assert not maintenance.plan_close(describe(ec2, stack)).changed


@pytest.mark.parametrize("steps", [1, 2, 3, 10, 23])
def test_open_or_close_after_an_open_that_stopped_after_n_steps(
    ec2: Any, stack: StackIds, steps: int
) -> None:
    before = network_snapshot(ec2, stack.vpc_id)
    plan = maintenance.plan_open(describe(ec2, stack), ADMIN)
    assert len(plan.actions) > steps
    maintenance.apply_plan(ec2, dataclasses.replace(plan, actions=plan.actions[:steps]))
    state = describe(ec2, stack)
    assert state.status == "partial"
    assert state.opened_at is not None, "the address comes first, so a partial window is dated"

    rest = maintenance.plan_open(state, ADMIN)
    assert len(rest.actions) == len(plan.actions) - steps, rest.descriptions
    maintenance.apply_plan(ec2, rest)
    assert describe(ec2, stack).status == "open"
    assert len(maintenance_addresses(ec2, stack)) == 1

    close_window(ec2, stack)
    assert network_snapshot(ec2, stack.vpc_id) == before


def test_open_reuses_an_unassociated_address(ec2: Any, stack: StackIds) -> None:
    apply_only(ec2, stack, {"allocate_address"})
    [allocated] = maintenance_addresses(ec2, stack)
    open_window(ec2, stack)
    [address] = maintenance_addresses(ec2, stack)
    assert address["AllocationId"] == allocated["AllocationId"]
    assert address["InstanceId"] == stack.owncast_instance_id


def test_close_leaves_a_default_route_it_did_not_add(ec2: Any, stack: StackIds) -> None:
    """A 0.0.0.0/0 route to something else (say a NAT someone added) is not the window's."""
    eni = ec2.create_network_interface(SubnetId=stack.private_subnet_id)["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    ec2.create_route(
        RouteTableId=stack.private_route_table_id, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=eni
    )
    state = describe(ec2, stack)
    assert not state.route_open
    assert not maintenance.plan_close(state).changed
    with pytest.raises(maintenance.MaintenanceError, match="already has a default route"):
        maintenance.plan_open(state, ADMIN)


# --- bad input and mismatches -------------------------------------------------------


@pytest.mark.parametrize("anywhere", ["0.0.0.0/0", "::/0"])
def test_anywhere_is_refused_as_ssh_source(ec2: Any, stack: StackIds, anywhere: str) -> None:
    state = describe(ec2, stack)
    with pytest.raises(maintenance.MaintenanceError, match="allow_any_source"):
        maintenance.plan_open(state, ["203.0.113.0/24", anywhere])
    plan = maintenance.plan_open(state, [anywhere], allow_any_source=True)
    assert any(f"allow tcp 22 from {anywhere}" in d for d in plan.descriptions)


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/1", "128.0.0.0/1"],  # anywhere, in two halves
        [f"{first}.0.0.0/8" for first in range(1, 41)],  # a sixth of the internet, /8 by /8
        ["203.0.112.0/23", "198.51.100.0/15"],  # a /15 is past the /16 limit
        ["2001:db8::/32"],  # an ISP's whole IPv6 allocation
        ["::/1", "8000::/1"],
    ],
)
def test_sources_broader_than_the_limit_are_refused(ec2: Any, stack: StackIds, cidrs: list[str]) -> None:
    state = describe(ec2, stack)
    with pytest.raises(maintenance.MaintenanceError, match=r"refusing IPv.*allow_any_source"):
        maintenance.plan_open(state, cidrs)
    assert maintenance.plan_open(state, cidrs, allow_any_source=True).changed


@pytest.mark.parametrize(
    "cidrs",
    [
        ["203.0.113.7/32"],
        ["10.1.0.0/16"],  # exactly the limit
        ["10.1.0.0/17", "10.1.128.0/17", "10.1.0.0/16"],  # overlaps are counted once
        ["2001:db8:1::/48", "2001:db8:1:2::/64"],
    ],
)
def test_sources_within_the_limit_are_accepted(ec2: Any, stack: StackIds, cidrs: list[str]) -> None:
    assert maintenance.plan_open(describe(ec2, stack), cidrs).changed


def test_source_breadth_counts_each_address_once() -> None:
    networks = maintenance.parse_sources(["10.0.0.0/24", "10.0.0.128/25", "10.0.1.0/24", "::/0"], "x")
    assert maintenance.covered_addresses(networks, 4) == 512
    assert maintenance.covered_addresses(networks, 6) == 2**128


@pytest.mark.parametrize("cidrs", [[], ["not-a-cidr"], ["10.0.0.300/32"]])
def test_bad_admin_cidrs_are_refused(ec2: Any, stack: StackIds, cidrs: list[str]) -> None:
    with pytest.raises(maintenance.MaintenanceError, match="admin_cidrs"):
        maintenance.plan_open(describe(ec2, stack), cidrs)


def test_unknown_stack_is_a_clear_error(ec2: Any, stack: StackIds) -> None:
    with pytest.raises(maintenance.StackNotFoundError, match="no VPC is tagged privatecast:stack=nosuch"):
        maintenance.describe_window(ec2, "nosuch")


def test_two_vpcs_with_the_stack_tag_are_refused(ec2: Any, stack: StackIds) -> None:
    build_stack(ec2, stack.name, cidr="10.30.0.0/16")
    with pytest.raises(maintenance.StackMismatchError, match="found 2 VPCs"):
        describe(ec2, stack)


def test_given_ids_must_be_the_stacks(ec2: Any, stack: StackIds) -> None:
    other = build_stack(ec2, "otherstack", cidr="10.30.0.0/16")
    with pytest.raises(maintenance.StackMismatchError, match="is not the stack teststack's owncast instance"):
        describe(ec2, stack, owncast_instance_id=stack.proxy_instance_id)
    with pytest.raises(maintenance.StackMismatchError, match="is not the stack teststack's owncast instance"):
        describe(ec2, stack, owncast_instance_id=other.owncast_instance_id)
    with pytest.raises(maintenance.StackMismatchError, match="is not the stack teststack's VPC"):
        describe(ec2, stack, vpc_id=other.vpc_id)
    state = describe(ec2, stack, vpc_id=stack.vpc_id, owncast_instance_id=stack.owncast_instance_id)
    assert state.stack.owncast is not None and state.stack.owncast.instance_id == stack.owncast_instance_id


def test_open_on_an_incomplete_stack_names_what_is_missing(ec2: Any, stack: StackIds) -> None:
    ec2.terminate_instances(InstanceIds=[stack.owncast_instance_id])
    state = describe(ec2, stack)
    with pytest.raises(maintenance.StackMismatchError, match="missing Owncast instance"):
        maintenance.plan_open(state, ADMIN)
    assert not maintenance.plan_close(state).changed


def test_windows_of_two_stacks_do_not_mix(ec2: Any, stack: StackIds) -> None:
    other = build_stack(ec2, "otherstack", cidr="10.30.0.0/16")
    other_before = network_snapshot(ec2, other.vpc_id)
    open_window(ec2, stack)
    close_window(ec2, stack)
    assert network_snapshot(ec2, other.vpc_id) == other_before
    assert describe(ec2, other).status == "closed"
