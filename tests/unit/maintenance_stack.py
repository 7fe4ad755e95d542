"""Builds a stack's network shape (docs/conventions.md) in moto with plain boto3, so the
maintenance window's tests do not depend on the aws_network / aws_compute roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
# One of the AMIs moto ships; looking one up with describe_images serializes thousands.
MOTO_AMI_ID = "ami-12c6146b"


@dataclass(frozen=True)
class StackIds:
    name: str
    vpc_id: str
    igw_id: str
    public_subnet_id: str
    private_subnet_id: str
    public_route_table_id: str
    private_route_table_id: str
    public_nacl_id: str
    private_nacl_id: str
    proxy_sg_id: str
    owncast_sg_id: str
    maintenance_sg_id: str
    proxy_instance_id: str
    owncast_instance_id: str
    proxy_eip: str


def _tags(stack: str, name: str, component: str, **extra: str) -> list[dict[str, str]]:
    tags = {"Name": name, "privatecast:stack": stack, "privatecast:component": component, **extra}
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _spec(resource_type: str, tags: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags}]


def _nacl(ec2: Any, stack: str, vpc_id: str, subnet_id: str, tier: str) -> str:
    """A tiered NACL with a few of the role's own rules (below 900), replacing the
    subnet's default association."""
    tags = _tags(stack, f"{stack}-{tier}", "network", **{"privatecast:tier": tier})
    nacl_id = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=_spec("network-acl", tags))[
        "NetworkAcl"
    ]["NetworkAclId"]
    for rule_number, egress, port_from, port_to in ((100, False, 1935, 1935), (100, True, 1024, 65535)):
        ec2.create_network_acl_entry(
            NetworkAclId=nacl_id,
            RuleNumber=rule_number,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": port_from, "To": port_to},
        )
    associations = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )
    for acl in associations["NetworkAcls"]:
        for association in acl["Associations"]:
            if association["SubnetId"] == subnet_id:
                ec2.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"], NetworkAclId=nacl_id
                )
    return nacl_id


def _security_group(ec2: Any, stack: str, vpc_id: str, purpose: str) -> str:
    tags = _tags(stack, f"{stack}-{purpose}", "network", **{"privatecast:sg": purpose})
    return ec2.create_security_group(
        GroupName=f"{stack}-{purpose}",
        Description=f"privatecast {purpose}",
        VpcId=vpc_id,
        TagSpecifications=_spec("security-group", tags),
    )["GroupId"]


def _instance(ec2: Any, stack: str, server: str, subnet_id: str, group_id: str) -> str:
    tags = _tags(stack, f"{stack}-{server}", "compute", **{"privatecast:server": server})
    return ec2.run_instances(
        ImageId=MOTO_AMI_ID,
        InstanceType="t4g.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        SecurityGroupIds=[group_id],
        TagSpecifications=_spec("instance", tags),
    )["Instances"][0]["InstanceId"]


def build_stack(ec2: Any, stack: str = "teststack", cidr: str = "10.20.0.0/16") -> StackIds:
    """VPC, subnets, IGW, route tables, NACLs, security groups, the two instances and the
    proxy's Elastic IP, tagged as the roles tag them."""
    prefix = cidr.rsplit(".", 2)[0]
    vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_spec("vpc", _tags(stack, stack, "network")))[
        "Vpc"
    ]["VpcId"]
    igw_id = ec2.create_internet_gateway(
        TagSpecifications=_spec("internet-gateway", _tags(stack, stack, "network"))
    )["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    subnets, tables, nacls = {}, {}, {}
    for index, tier in enumerate(("public", "private")):
        tags = _tags(stack, f"{stack}-{tier}", "network", **{"privatecast:tier": tier})
        subnets[tier] = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"{prefix}.{index}.0/24",
            AvailabilityZone=f"{REGION}a",
            TagSpecifications=_spec("subnet", tags),
        )["Subnet"]["SubnetId"]
        tables[tier] = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_spec("route-table", tags))[
            "RouteTable"
        ]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=tables[tier], SubnetId=subnets[tier])
        nacls[tier] = _nacl(ec2, stack, vpc_id, subnets[tier], tier)
    ec2.create_route(RouteTableId=tables["public"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    groups = {
        purpose: _security_group(ec2, stack, vpc_id, purpose)
        for purpose in ("proxy", "owncast", "maintenance")
    }
    proxy_id = _instance(ec2, stack, "proxy", subnets["public"], groups["proxy"])
    owncast_id = _instance(ec2, stack, "owncast", subnets["private"], groups["owncast"])
    eip = ec2.allocate_address(
        Domain="vpc", TagSpecifications=_spec("elastic-ip", _tags(stack, f"{stack}-proxy", "compute"))
    )
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=proxy_id)
    return StackIds(
        name=stack,
        vpc_id=vpc_id,
        igw_id=igw_id,
        public_subnet_id=subnets["public"],
        private_subnet_id=subnets["private"],
        public_route_table_id=tables["public"],
        private_route_table_id=tables["private"],
        public_nacl_id=nacls["public"],
        private_nacl_id=nacls["private"],
        proxy_sg_id=groups["proxy"],
        owncast_sg_id=groups["owncast"],
        maintenance_sg_id=groups["maintenance"],
        proxy_instance_id=proxy_id,
        owncast_instance_id=owncast_id,
        proxy_eip=eip["PublicIp"],
    )


def _sorted(items: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: tuple(str(item.get(key, "")) for key in keys))


def network_snapshot(ec2: Any, vpc_id: str) -> dict[str, Any]:
    """The full description of everything the window may touch, in a stable order: the
    VPC's route tables, network ACLs and security groups, its instances' groups, public
    addresses and network interfaces, and every Elastic IP of the region."""
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    route_tables = {
        table["RouteTableId"]: {
            **table,
            "Routes": _sorted(table["Routes"], "DestinationCidrBlock", "GatewayId"),
        }
        for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    }
    nacls = {
        acl["NetworkAclId"]: {**acl, "Entries": _sorted(acl["Entries"], "Egress", "RuleNumber")}
        for acl in ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]
    }
    groups = {
        group["GroupId"]: group for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    }
    instances = {
        instance["InstanceId"]: {
            "SecurityGroups": _sorted(instance["SecurityGroups"], "GroupId"),
            "PublicIpAddress": instance.get("PublicIpAddress"),
            "NetworkInterfaces": instance.get("NetworkInterfaces"),
        }
        for reservation in ec2.describe_instances(Filters=in_vpc)["Reservations"]
        for instance in reservation["Instances"]
    }
    addresses = _sorted(ec2.describe_addresses()["Addresses"], "AllocationId")
    return {
        "route_tables": route_tables,
        "nacls": nacls,
        "groups": groups,
        "instances": instances,
        "addresses": addresses,
    }
