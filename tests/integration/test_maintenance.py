"""maintenance.yml against a moto server, on a stack the network and compute roles built:
check mode, open, closed (the network is exactly as before), closed again (no change)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.unit.maintenance_stack import network_snapshot

pytestmark = pytest.mark.integration

STACK = "local"  # privatecast_stack_name in inventory/local
ADMIN_CIDR = "127.0.0.1/32"  # privatecast_admin_cidrs in inventory/local
MODULE_TASK = "Set the maintenance window to {}"
# provision.yml's stack, aws_network and aws_compute roles, without the roles the window
# does not touch (storage, auth, API, edge): same resources, fewer seconds.
PROVISION = "../tests/integration/playbooks/maintenance_stack.yml"


def must_succeed(result: PlaybookResult, what: str) -> None:
    output = json.dumps(result.output, indent=1)[-4000:]
    assert result.returncode == 0 and result.failed() == 0, (
        f"{what} failed (rc {result.returncode}):\n{output}\n{result.stderr[-2000:]}"
    )


def stack_tagged(ec2: Any, **tags: str) -> list[dict[str, Any]]:
    filters = [
        {"Name": f"tag:{key}", "Values": [value]}
        for key, value in {"privatecast:stack": STACK, **tags}.items()
    ]
    filters.append({"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]})
    reservations = ec2.describe_instances(Filters=filters)["Reservations"]
    return [instance for reservation in reservations for instance in reservation["Instances"]]


def provisioned_network(ec2: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    """The VPC id and the two instances; fails loudly when provision.yml did not build them."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:privatecast:stack", "Values": [STACK]}])["Vpcs"]
    if len(vpcs) != 1:
        pytest.fail(
            f"the provisioning left {len(vpcs)} VPCs tagged privatecast:stack={STACK}: is aws_network in it?"
        )
    servers = {server: stack_tagged(ec2, **{"privatecast:server": server}) for server in ("proxy", "owncast")}
    missing = [server for server, found in servers.items() if len(found) != 1]
    if missing:
        pytest.fail(
            f"the provisioning did not leave one {' and one '.join(missing)} instance: is aws_compute in it?"
        )
    return vpcs[0]["VpcId"], {server: found[0] for server, found in servers.items()}


def tagged_one(items: list[dict[str, Any]], tier: str) -> dict[str, Any]:
    [item] = [i for i in items if {"Key": "privatecast:tier", "Value": tier} in i.get("Tags", [])]
    return item


def debug_lines(result: PlaybookResult, task: str) -> list[str]:
    [shown] = result.task_results(task)
    return shown["msg"]


def test_open_and_close_leave_the_network_as_it_was(playbook: PlaybookRunner, moto: MotoServer) -> None:
    must_succeed(playbook.run(PROVISION), PROVISION)
    ec2 = moto.client("ec2")
    vpc_id, instances = provisioned_network(ec2)
    before = network_snapshot(ec2, vpc_id)

    # Check mode on a closed window: says what it would do, changes nothing.
    checked = playbook.run("maintenance.yml", {"maintenance": "open"}, check=True)
    must_succeed(checked, "maintenance.yml --check open")
    [planned] = checked.task_results(MODULE_TASK.format("open"))
    assert planned["changed"] is True and len(planned["changes"]) > 10
    assert network_snapshot(ec2, vpc_id) == before

    opened = playbook.run("maintenance.yml", {"maintenance": "open"})
    must_succeed(opened, "maintenance.yml open")
    [window] = opened.task_results(MODULE_TASK.format("open"))
    assert window["changed"] is True and window["status"] == "open"
    owncast = ec2.describe_instances(InstanceIds=[instances["owncast"]["InstanceId"]])["Reservations"][0][
        "Instances"
    ][0]
    temporary_ip = owncast["PublicIpAddress"]
    assert window["owncast_public_ip"] == temporary_ip

    route_tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    igw_id = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ][0]["InternetGatewayId"]
    private_routes = tagged_one(route_tables, "private")["Routes"]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw_id} in [
        {k: r.get(k) for k in ("DestinationCidrBlock", "GatewayId")} for r in private_routes
    ]
    nacls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    for tier in ("private", "public"):
        ssh_in = [
            e
            for e in tagged_one(nacls, tier)["Entries"]
            if 900 <= e["RuleNumber"] <= 999
            and not e["Egress"]
            and e.get("CidrBlock") == ADMIN_CIDR
            and e.get("PortRange") == {"From": 22, "To": 22}
            and e["RuleAction"] == "allow"
        ]
        assert ssh_in, f"no SSH entry from {ADMIN_CIDR} in the {tier} NACL"
    [maintenance_sg] = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "tag:privatecast:sg", "Values": ["maintenance"]},
        ]
    )["SecurityGroups"]
    owncast_groups = {g["GroupId"] for g in owncast["SecurityGroups"]}
    original_groups = {g["GroupId"] for g in instances["owncast"]["SecurityGroups"]}
    assert owncast_groups == original_groups | {maintenance_sg["GroupId"]}
    [address] = ec2.describe_addresses(
        Filters=[
            {"Name": "tag:privatecast:stack", "Values": [STACK]},
            {"Name": "tag:privatecast:component", "Values": ["maintenance"]},
        ]
    )["Addresses"]
    assert address["InstanceId"] == owncast["InstanceId"] and address["PublicIp"] == temporary_ip

    shown = debug_lines(opened, "Show how to connect while the window is open")
    text = "\n".join(shown)
    proxy_ip = instances["proxy"]["PublicIpAddress"]
    assert f"ssh admin@{temporary_ip}" in text
    assert f"ssh -J admin@{proxy_ip} admin@{owncast['PrivateIpAddress']}" in text
    assert "maintenance.yml -e maintenance=closed" in text and "CLOSE IT WHEN DONE" in text

    closed = playbook.run("maintenance.yml", {"maintenance": "closed"})
    must_succeed(closed, "maintenance.yml closed")
    [removed] = closed.task_results(MODULE_TASK.format("closed"))
    assert removed["changed"] is True and removed["status"] == "closed"
    assert any(temporary_ip in change and "release" in change for change in removed["changes"])
    assert "Removed:" in debug_lines(closed, "Show what closing removed")
    assert network_snapshot(ec2, vpc_id) == before

    again = playbook.run("maintenance.yml", {"maintenance": "closed"})
    must_succeed(again, "maintenance.yml closed, second time")
    assert again.changed() == 0, again.changed_tasks()
    assert network_snapshot(ec2, vpc_id) == before


def test_anything_but_open_or_closed_is_refused(playbook: PlaybookRunner) -> None:
    refused = playbook.run("maintenance.yml", {"maintenance": "opne"})
    assert refused.returncode != 0
    [check] = refused.task_results("Check that the window is asked to be open or closed")
    assert check["failed"] is True
    assert "-e maintenance=open or -e maintenance=closed" in check["msg"] and '"opne"' in check["msg"]
