"""The haproxy scenario's AWS side in its moto server: `build` creates a stack's network
and instances (tests/unit/maintenance_stack.py) for configure.yml's maintenance window;
`check-closed` fails unless the window is closed (no temporary address, no default
route in the private route table, no instance wearing the maintenance group).

    python moto_stack.py build|check-closed <endpoint url> <stack name>
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])))

from tests.unit.maintenance_stack import REGION, build_stack


def ec2_client(endpoint_url: str) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=endpoint_url)


def stack_exists(ec2: Any, stack: str) -> bool:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:privatecast:stack", "Values": [stack]}])["Vpcs"]
    return bool(vpcs)


def window_leftovers(ec2: Any, stack: str) -> list[str]:
    on_stack = [{"Name": "tag:privatecast:stack", "Values": [stack]}]
    leftovers = [
        f"address {address['PublicIp']}"
        for address in ec2.describe_addresses(Filters=on_stack)["Addresses"]
        if {"Key": "privatecast:component", "Value": "maintenance"} in address.get("Tags", [])
    ]
    private = [*on_stack, {"Name": "tag:privatecast:tier", "Values": ["private"]}]
    for table in ec2.describe_route_tables(Filters=private)["RouteTables"]:
        leftovers += [
            f"route {route['DestinationCidrBlock']} in {table['RouteTableId']}"
            for route in table["Routes"]
            if route.get("DestinationCidrBlock") == "0.0.0.0/0"
        ]
    maintenance = [*on_stack, {"Name": "tag:privatecast:sg", "Values": ["maintenance"]}]
    group_ids = {
        group["GroupId"] for group in ec2.describe_security_groups(Filters=maintenance)["SecurityGroups"]
    }
    for reservation in ec2.describe_instances(Filters=on_stack)["Reservations"]:
        for instance in reservation["Instances"]:
            if group_ids & {group["GroupId"] for group in instance["SecurityGroups"]}:
                leftovers.append(f"maintenance group on {instance['InstanceId']}")
    return leftovers


def main() -> int:
    command, endpoint_url, stack = sys.argv[1:4]
    ec2 = ec2_client(endpoint_url)
    if command == "build":
        if stack_exists(ec2, stack):
            print(f"stack {stack} already in moto")
            return 0
        build_stack(ec2, stack)
        print(f"stack {stack} built")
        return 0
    if command == "check-closed":
        if not stack_exists(ec2, stack):
            print(f"no stack {stack} in moto", file=sys.stderr)
            return 1
        leftovers = window_leftovers(ec2, stack)
        if leftovers:
            print(f"the maintenance window is not closed: {leftovers}", file=sys.stderr)
            return 1
        print("the maintenance window is closed")
        return 0
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
