"""playbooks/provision.yml run once for the tests that only read the stack it builds.

The runs are those tests/integration/test_provision.py checks: a first run on an empty
moto server, a second run, and check mode. What the tests read between the runs is read
here at that moment: the Lambda zips after each run and, after the first, the snapshots
of the stack that test_provision.py compares the end state with. Tests that change the
stack do not use it; they provision their own on the `moto` fixture's server.

The modules that use it are listed in SHARED_MODULES: with pytest-xdist one worker runs
them all (tests/conftest.py's scheduler), so the stack is provisioned once.
tests/integration/conftest.py refuses a test that uses it from a module not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.unit.maintenance_stack import network_snapshot

PROVISIONED_GROUP = "provisioned-stack"
# Test modules that use the provisioned_stack fixture, by node id: one xdist scope.
SHARED_MODULES = {
    "tests/integration/test_audit.py": PROVISIONED_GROUP,
    "tests/integration/test_auth_api.py": PROVISIONED_GROUP,
    "tests/integration/test_provision.py": PROVISIONED_GROUP,
}
PROVISION = "provision.yml"
STACK = "local"  # privatecast_stack_name in inventory/local
LAMBDA_FUNCTIONS = ("status", "servers", "session", "recordings", "archiver", "housekeeping")


def stack_snapshot(moto: MotoServer) -> dict[str, Any]:
    """The network and the servers, described by the AWS API."""
    ec2, iam = moto.client("ec2"), moto.client("iam")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:privatecast:stack", "Values": [STACK]}])["Vpcs"]
    assert len(vpcs) == 1, f"expected one VPC tagged privatecast:stack={STACK}, found {len(vpcs)}"
    vpc_id = vpcs[0]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    instances = [
        instance
        for reservation in ec2.describe_instances(Filters=in_vpc)["Reservations"]
        for instance in reservation["Instances"]
    ]
    roles = iam.list_roles(PathPrefix=f"/privatecast/{STACK}/")["Roles"]
    return {
        "vpc": vpcs[0],
        "network": network_snapshot(ec2, vpc_id),
        "subnets": sorted(ec2.describe_subnets(Filters=in_vpc)["Subnets"], key=lambda s: s["SubnetId"]),
        "endpoints": ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"],
        "instances": sorted(instances, key=lambda i: i["InstanceId"]),
        "key_pairs": ec2.describe_key_pairs()["KeyPairs"],
        "instance_profiles": {
            role["RoleName"]: iam.list_instance_profiles_for_role(RoleName=role["RoleName"])[
                "InstanceProfiles"
            ]
            for role in roles
        },
    }


def services_snapshot(moto: MotoServer) -> dict[str, Any]:
    """What the storage, auth, API and edge roles create, described by the AWS API."""
    s3, cloudfront, apis = moto.client("s3"), moto.client("cloudfront"), moto.client("apigatewayv2")
    buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    distributions = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    api_items = apis.get_apis()["Items"]
    return {
        "bucket_policies": {name: s3.get_bucket_policy(Bucket=name)["Policy"] for name in buckets},
        "distributions": {
            item["Id"]: cloudfront.get_distribution_config(Id=item["Id"])["DistributionConfig"]
            for item in distributions
        },
        "routes": {api["ApiId"]: apis.get_routes(ApiId=api["ApiId"])["Items"] for api in api_items},
        "functions": moto.client("lambda").list_functions()["Functions"],
        "user_pools": moto.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"],
        "iam_roles": moto.client("iam").list_roles(PathPrefix=f"/privatecast/{STACK}/")["Roles"],
    }


@dataclass
class ProvisionedStack:
    """provision.yml's three runs on one moto server, and what was read between them."""

    server: MotoServer
    first: PlaybookResult
    second: PlaybookResult
    checked: PlaybookResult
    zips_first: dict[str, bytes]
    zips_second: dict[str, bytes]
    # stack_snapshot and services_snapshot right after the first run (None when it failed).
    built: dict[str, Any] | None = None
    services: dict[str, Any] | None = None


def succeeded(result: PlaybookResult) -> bool:
    return result.returncode == 0 and result.failed() == 0


def read_zips(result: PlaybookResult, build_dir: Path) -> dict[str, bytes]:
    """The Lambda zips the aws_api role built; none after a failed run (its test reports
    the failure)."""
    if not succeeded(result):
        return {}
    return {function: (build_dir / f"{function}.zip").read_bytes() for function in LAMBDA_FUNCTIONS}


def provision_three_times(runner: PlaybookRunner, server: MotoServer) -> ProvisionedStack:
    first = runner.run(PROVISION)
    zips_first = read_zips(first, runner.state_dir / "lambda")
    built = services = None
    if succeeded(first):
        built, services = stack_snapshot(server), services_snapshot(server)
    second = runner.run(PROVISION)
    zips_second = read_zips(second, runner.state_dir / "lambda")
    checked = runner.run(PROVISION, check=True, diff=True)
    return ProvisionedStack(server, first, second, checked, zips_first, zips_second, built, services)
