"""vpc_network against a moto server: the stack's VPC, subnets, gateway, route tables, S3
endpoint and network ACLs made from nothing in one run; a second run plans nothing and
calls no write; check mode plans only; drift (an extra or changed ACL entry, a missing or
extra route, a subnet on the wrong ACL or route table, the endpoint's policy, tags) is put
back and shown in the diff; bad input is refused before anything is made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import vpc_network as network
from ansible_collections.privatecast.streaming.plugins.modules import vpc_network

from tests.support.module_runner import run_module
from tests.support.moto_server import MotoServer

REGION = "eu-west-1"
ZONE = "eu-west-1a"
STACK = "unit"
PUBLIC, PRIVATE = "10.42.0.0/25", "10.42.0.128/25"
CAMERA, ADMIN = "198.51.100.0/24", "203.0.113.10/32"
TAGS = {"privatecast:stack": STACK, "privatecast:component": "network"}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "StackBucketOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::unit-video", "arn:aws:s3:::unit-video/*"],
        }
    ],
}


def tcp(number: int, cidr: str, first: int, last: int | None = None) -> list[Any]:
    return [number, "tcp", "allow", cidr, None, None, first, last or first]


ENTRIES = {
    "public": {
        "ingress": [tcp(100, CAMERA, 1935), tcp(300, ADMIN, 443), tcp(500, PRIVATE, 1024, 65535)],
        "egress": [tcp(100, CAMERA, 1024, 65535), tcp(101, ADMIN, 1024, 65535), tcp(500, PRIVATE, 1935)],
    },
    "private": {
        "ingress": [tcp(100, PUBLIC, 1935), tcp(200, "0.0.0.0/0", 1024, 65535)],
        "egress": [tcp(100, PUBLIC, 1024, 65535), tcp(200, "0.0.0.0/0", 443)],
    },
}


def params(**changes: Any) -> dict[str, Any]:
    return {
        "name": STACK,
        "cidr_block": "10.42.0.0/24",
        "availability_zone": ZONE,
        "public_subnet_cidr": PUBLIC,
        "private_subnet_cidr": PRIVATE,
        "s3_endpoint_service": f"com.amazonaws.{REGION}.s3",
        "s3_endpoint_policy": json.dumps(POLICY),
        "nacl_entries": ENTRIES,
        "tags": TAGS,
        **changes,
    }


@pytest.fixture
def ec2(moto: MotoServer) -> Any:
    return moto.client("ec2", REGION)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> Iterator[Any]:
    def run_it(check: bool = False, **changes: Any) -> dict[str, Any]:
        args = {**params(**changes), "region": REGION, "endpoint_url": moto.url}
        return run_module(vpc_network.main, capsys, args, check_mode=check, diff=True)

    yield run_it


def entries_of(ec2: Any, nacl_id: str) -> list[tuple[bool, int, str, str, dict[str, int] | None]]:
    [nacl] = ec2.describe_network_acls(NetworkAclIds=[nacl_id])["NetworkAcls"]
    return sorted(
        (e["Egress"], e["RuleNumber"], e["RuleAction"], e["CidrBlock"], e.get("PortRange"))
        for e in nacl["Entries"]
        if e["RuleNumber"] < 32767
    )


def expected_entries(tier: str) -> list[tuple[bool, int, str, str, dict[str, int]]]:
    return sorted(
        (direction == "egress", e[0], "allow", e[3], {"From": e[6], "To": e[7]})
        for direction in ("ingress", "egress")
        for e in ENTRIES[tier][direction]
    )


def tags_of(item: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in item.get("Tags", [])}


def routes_of(ec2: Any, table_id: str) -> list[tuple[str, str]]:
    [table] = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
    return sorted(
        (r.get("DestinationCidrBlock") or r.get("DestinationPrefixListId"), r.get("GatewayId", ""))
        for r in table["Routes"]
    )


def test_builds_the_network_then_changes_nothing(run, ec2) -> None:
    made = run()

    assert made["rc"] == 0 and made["changed"] is True, made
    [vpc] = ec2.describe_vpcs(VpcIds=[made["vpc_id"]])["Vpcs"]
    assert vpc["CidrBlock"] == "10.42.0.0/24" and tags_of(vpc) == {**TAGS, "Name": STACK}
    for attribute, key in (
        ("enableDnsSupport", "EnableDnsSupport"),
        ("enableDnsHostnames", "EnableDnsHostnames"),
    ):
        assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)[key]["Value"] is True
    for tier, cidr in (("public", PUBLIC), ("private", PRIVATE)):
        [subnet] = ec2.describe_subnets(SubnetIds=[made[f"{tier}_subnet_id"]])["Subnets"]
        assert (subnet["CidrBlock"], subnet["AvailabilityZone"], subnet["MapPublicIpOnLaunch"]) == (
            cidr,
            ZONE,
            False,
        )
        assert tags_of(subnet) == {**TAGS, "Name": f"{STACK}-{tier}", "privatecast:tier": tier}
        [table] = ec2.describe_route_tables(RouteTableIds=[made[f"{tier}_route_table_id"]])["RouteTables"]
        assert tags_of(table) == {**TAGS, "Name": f"{STACK}-{tier}", "privatecast:tier": tier}
        assert [a["SubnetId"] for a in table["Associations"] if not a.get("Main")] == [subnet["SubnetId"]]
        [nacl] = ec2.describe_network_acls(NetworkAclIds=[made[f"{tier}_nacl_id"]])["NetworkAcls"]
        assert tags_of(nacl) == {**TAGS, "Name": f"{STACK}-{tier}", "privatecast:tier": tier}
        assert [a["SubnetId"] for a in nacl["Associations"]] == [subnet["SubnetId"]]
        assert entries_of(ec2, nacl["NetworkAclId"]) == expected_entries(tier)
    [gateway] = ec2.describe_internet_gateways(InternetGatewayIds=[made["internet_gateway_id"]])[
        "InternetGateways"
    ]
    assert gateway["Attachments"][0]["VpcId"] == vpc["VpcId"] and tags_of(gateway) == {**TAGS, "Name": STACK}
    [endpoint] = ec2.describe_vpc_endpoints(VpcEndpointIds=[made["s3_endpoint_id"]])["VpcEndpoints"]
    assert endpoint["RouteTableIds"] == [made["private_route_table_id"]]
    assert json.loads(endpoint["PolicyDocument"]) == POLICY
    assert tags_of(endpoint) == {**TAGS, "Name": f"{STACK}-s3"}
    assert made["s3_prefix_list_id"].startswith("pl-")
    local = ("10.42.0.0/24", "local")
    assert routes_of(ec2, made["public_route_table_id"]) == sorted(
        [local, ("0.0.0.0/0", gateway["InternetGatewayId"])]
    )
    assert routes_of(ec2, made["private_route_table_id"]) == sorted(
        [local, (made["s3_prefix_list_id"], endpoint["VpcEndpointId"])]
    )

    again = run()
    assert again["rc"] == 0 and again["changed"] is False and again["changes"] == [], again
    ids = {key: value for key, value in made.items() if key.endswith("_id")}
    assert {key: again[key] for key in ids} == ids


def test_a_second_run_calls_no_write(run, monkeypatch) -> None:
    run()
    calls: list[str] = []
    original = boto3.session.Session.client

    def recording_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)
    assert run()["changed"] is False

    assert calls and all(name.startswith("Describe") for name in calls), calls
    assert len(calls) == 8, calls


def test_check_mode_plans_without_writing(run, ec2) -> None:
    planned = run(check=True)

    assert planned["rc"] == 0 and planned["changed"] is True, planned
    assert planned["changes"][0] == f"create VPC {STACK} 10.42.0.0/24"
    assert "create S3 gateway endpoint unit-s3 on route table unit-private" in planned["changes"]
    assert planned["vpc_id"] == "" and planned["s3_prefix_list_id"] == ""
    assert planned["diff"]["before"] == {}
    assert (
        planned["diff"]["after"]["network_acls"]["public"]["entries"][0]
        == "ingress 100: allow tcp 1935 from " + CAMERA
    )
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [STACK]}])["Vpcs"] == []


def drift(ec2: Any, made: dict[str, Any]) -> None:
    """What a hand (or an open maintenance window) may leave."""
    public_acl, private_acl = made["public_nacl_id"], made["private_nacl_id"]
    ec2.create_network_acl_entry(
        NetworkAclId=private_acl, RuleNumber=900, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock=ADMIN, PortRange={"From": 22, "To": 22},
    )  # fmt: skip
    ec2.replace_network_acl_entry(
        NetworkAclId=public_acl, RuleNumber=300, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443},
    )  # fmt: skip
    ec2.delete_network_acl_entry(NetworkAclId=public_acl, RuleNumber=101, Egress=True)
    ec2.delete_route(RouteTableId=made["public_route_table_id"], DestinationCidrBlock="0.0.0.0/0")
    ec2.create_route(
        RouteTableId=made["private_route_table_id"],
        DestinationCidrBlock="0.0.0.0/0",
        GatewayId=made["internet_gateway_id"],
    )
    policy = json.loads(json.dumps(POLICY))
    policy["Statement"][0]["Resource"] = "*"
    ec2.modify_vpc_endpoint(VpcEndpointId=made["s3_endpoint_id"], PolicyDocument=json.dumps(policy))
    ec2.delete_tags(Resources=[made["vpc_id"]], Tags=[{"Key": "privatecast:component"}])
    ec2.create_tags(Resources=[made["private_subnet_id"]], Tags=[{"Key": "extra", "Value": "x"}])
    [default_acl] = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [made["vpc_id"]]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"]
    [association] = [
        a
        for a in ec2.describe_network_acls(NetworkAclIds=[private_acl])["NetworkAcls"][0]["Associations"]
        if a["SubnetId"] == made["private_subnet_id"]
    ]
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=default_acl["NetworkAclId"]
    )


def test_drift_is_put_back_and_shown(run, ec2) -> None:
    made = run()
    drift(ec2, made)
    public_acl, private_acl = made["public_nacl_id"], made["private_nacl_id"]

    checked = run(check=True)
    assert checked["changed"] is True and len(checked["changes"]) == 9, checked["changes"]
    assert entries_of(ec2, private_acl) != expected_entries("private")  # check mode wrote nothing

    fixed = run()

    assert fixed["rc"] == 0 and fixed["changed"] is True, fixed
    assert sorted(fixed["changes"]) == sorted(
        [
            f"tag VPC {made['vpc_id']}: privatecast:component",
            f"untag private subnet {made['private_subnet_id']}: extra",
            "add route 0.0.0.0/0 -> internet gateway to route table unit-public "
            f"{made['public_route_table_id']}",
            f"delete route 0.0.0.0/0 -> {made['internet_gateway_id']} from route table unit-private "
            f"{made['private_route_table_id']}",
            f"modify S3 endpoint {made['s3_endpoint_id']}: its policy",
            f"replace network ACL unit-public {public_acl} ingress 300: allow tcp 443 from 0.0.0.0/0 "
            f"with ingress 300: allow tcp 443 from {ADMIN}",
            f"add network ACL unit-public {public_acl} egress 101: allow tcp 1024-65535 to {ADMIN}",
            f"delete network ACL unit-private {private_acl} ingress 900: allow tcp 22 from {ADMIN}",
            f"associate private subnet {made['private_subnet_id']} with network ACL unit-private "
            f"{private_acl}",
        ]
    )
    assert fixed["changes"] == checked["changes"]
    before, after = fixed["diff"]["before"], fixed["diff"]["after"]
    assert f"ingress 900: allow tcp 22 from {ADMIN}" in before["network_acls"]["private"]["entries"]
    assert f"ingress 900: allow tcp 22 from {ADMIN}" not in after["network_acls"]["private"]["entries"]
    assert before["route_tables"]["public"]["routes"] == []
    assert after["route_tables"]["public"]["routes"] == [f"0.0.0.0/0 -> {made['internet_gateway_id']}"]
    assert after["s3_endpoint"]["policy"] == POLICY != before["s3_endpoint"]["policy"]

    for tier in ("public", "private"):
        assert entries_of(ec2, made[f"{tier}_nacl_id"]) == expected_entries(tier)
    [nacl] = ec2.describe_network_acls(NetworkAclIds=[private_acl])["NetworkAcls"]
    assert [a["SubnetId"] for a in nacl["Associations"]] == [made["private_subnet_id"]]
    assert ("0.0.0.0/0", made["internet_gateway_id"]) in routes_of(ec2, made["public_route_table_id"])
    assert "0.0.0.0/0" not in [route[0] for route in routes_of(ec2, made["private_route_table_id"])]
    [endpoint] = ec2.describe_vpc_endpoints(VpcEndpointIds=[made["s3_endpoint_id"]])["VpcEndpoints"]
    assert json.loads(endpoint["PolicyDocument"]) == POLICY
    [subnet] = ec2.describe_subnets(SubnetIds=[made["private_subnet_id"]])["Subnets"]
    assert "extra" not in tags_of(subnet)
    assert run()["changed"] is False


def test_a_subnet_on_another_route_table_is_moved_back(run, ec2) -> None:
    made = run()
    [association] = [
        a
        for a in ec2.describe_route_tables(RouteTableIds=[made["private_route_table_id"]])["RouteTables"][0][
            "Associations"
        ]
        if a.get("SubnetId")
    ]
    ec2.replace_route_table_association(
        AssociationId=association["RouteTableAssociationId"], RouteTableId=made["public_route_table_id"]
    )

    fixed = run()

    assert fixed["rc"] == 0, (fixed.get("msg"), fixed.get("error"))
    assert fixed["changes"] == [
        f"associate private subnet {made['private_subnet_id']} with route table unit-private "
        f"{made['private_route_table_id']} (from {made['public_route_table_id']})"
    ]
    [table] = ec2.describe_route_tables(RouteTableIds=[made["private_route_table_id"]])["RouteTables"]
    assert [a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")] == [made["private_subnet_id"]]
    assert run()["changed"] is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"public_subnet_cidr": "10.43.0.0/25"}, "public_subnet_cidr 10.43.0.0/25 is not inside cidr_block"),
        ({"private_subnet_cidr": "10.42.0.0/26"}, "the subnets 10.42.0.0/25 and 10.42.0.0/26 overlap"),
        ({"cidr_block": "10.42.0.0/33"}, "cidr_block '10.42.0.0/33' is not a CIDR block"),
        ({"s3_endpoint_policy": json.dumps({"Version": "2012-10-17"})}, "must be a policy document"),
        (
            {
                "nacl_entries": {
                    **ENTRIES,
                    "private": {"ingress": [[100, "gre!", "allow", PUBLIC, None, None, 1, 1]]},
                }
            },
            "nacl_entries.private.ingress rule 100: unknown protocol 'gre!'",
        ),
        (
            {
                "nacl_entries": {
                    **ENTRIES,
                    "private": {"egress": [tcp(100, PUBLIC, 443), tcp(100, PUBLIC, 80)]},
                }
            },
            "nacl_entries.private.egress repeats rule numbers [100]",
        ),
        (
            {"nacl_entries": {**ENTRIES, "public": {"ingress": [tcp(32767, PUBLIC, 443)]}}},
            "nacl_entries.public.ingress: rule number must be between 1 and 32766, not 32767",
        ),
        (
            {"nacl_entries": {**ENTRIES, "public": {"ingress": [tcp(100, PUBLIC, 443, 80)]}}},
            "nacl_entries.public.ingress rule 100: last port must be between 443 and 65535, not 80",
        ),
        (
            {"nacl_entries": {**ENTRIES, "public": {"ingress": [[100, "tcp", "allow", PUBLIC]]}}},
            "nacl_entries.public.ingress: an entry is [number, protocol, action, cidr",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_is_made(run, ec2, changes, message) -> None:
    refused = run(**changes)

    assert refused["rc"] == 1 and refused["failed"] is True
    assert message in refused["msg"], refused["msg"]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [STACK]}])["Vpcs"] == []


def test_a_vpc_whose_cidr_differs_is_refused(run) -> None:
    made = run()

    refused = run(cidr_block="10.42.0.0/23")

    assert refused["rc"] == 1
    assert refused["msg"].startswith(f"VPC {made['vpc_id']} (unit) has CIDR 10.42.0.0/24, not 10.42.0.0/23")


def test_rules_read_back_as_they_were_given() -> None:
    """The entry AWS returns compares equal to the one parsed from the module's input."""
    given = network.parse_rule(tcp(100, CAMERA, 1935), False, "test")
    found = network.rules_of(
        {
            "Entries": [
                {
                    "RuleNumber": 100,
                    "Protocol": "6",
                    "RuleAction": "allow",
                    "Egress": False,
                    "CidrBlock": CAMERA,
                    "PortRange": {"From": 1935, "To": 1935},
                },
                {
                    "RuleNumber": 32767,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "Egress": False,
                    "CidrBlock": "0.0.0.0/0",
                },
            ]
        }
    )
    assert found == (given,)
    assert given.describe() == f"ingress 100: allow tcp 1935 from {CAMERA}"


def test_the_endpoint_serves_only_the_private_route_table(run, ec2) -> None:
    made = run()
    ec2.modify_vpc_endpoint(
        VpcEndpointId=made["s3_endpoint_id"], AddRouteTableIds=[made["public_route_table_id"]]
    )

    fixed = run()

    assert fixed["changes"] == [
        f"modify S3 endpoint {made['s3_endpoint_id']}: remove route tables {made['public_route_table_id']}"
    ]
    assert fixed["diff"]["after"]["s3_endpoint"]["route_tables"] == [made["private_route_table_id"]]
    [endpoint] = ec2.describe_vpc_endpoints(VpcEndpointIds=[made["s3_endpoint_id"]])["VpcEndpoints"]
    assert endpoint["RouteTableIds"] == [made["private_route_table_id"]]
    assert run()["changed"] is False
