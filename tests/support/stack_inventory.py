"""What one stack has in an AWS account, per service, found the way docs/conventions.md
names it: by the tag privatecast:stack=<stack>, the IAM and SSM path /privatecast/<stack>/,
and the names of the resources that cannot be tagged. Used by the teardown tests to name
what stayed and to show another stack untouched.

Every entry is a sorted list of strings (ids or names), so an inventory compares with
``==`` and a difference names the resource.
"""

from __future__ import annotations

from typing import Any

from tests.support.moto_server import MotoServer

STACK_TAG = "privatecast:stack"


def _tagged(stack: str, **more: list[str]) -> list[dict[str, Any]]:
    filters = [{"Name": f"tag:{STACK_TAG}", "Values": [stack]}]
    return filters + [{"Name": name, "Values": values} for name, values in more.items()]


def ec2_inventory(moto: MotoServer, stack: str) -> list[str]:
    ec2 = moto.client("ec2")
    tagged = _tagged(stack)
    found = [f"vpc {v['VpcId']}" for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]]
    found += [f"subnet {s['SubnetId']}" for s in ec2.describe_subnets(Filters=tagged)["Subnets"]]
    tables = ec2.describe_route_tables(Filters=tagged)["RouteTables"]
    found += [f"route table {t['RouteTableId']}" for t in tables]
    acls = ec2.describe_network_acls(Filters=tagged)["NetworkAcls"]
    found += [f"network ACL {a['NetworkAclId']}" for a in acls]
    groups = ec2.describe_security_groups(Filters=tagged)["SecurityGroups"]
    found += [f"security group {g['GroupName']}" for g in groups]
    gateways = ec2.describe_internet_gateways(Filters=tagged)["InternetGateways"]
    found += [f"internet gateway {g['InternetGatewayId']}" for g in gateways]
    endpoints = ec2.describe_vpc_endpoints(Filters=tagged)["VpcEndpoints"]
    found += [f"endpoint {e['VpcEndpointId']}" for e in endpoints if e["State"].lower() != "deleted"]
    live = ["pending", "running", "shutting-down", "stopping", "stopped"]
    in_use = _tagged(stack, **{"instance-state-name": live})
    reservations = ec2.describe_instances(Filters=in_use)["Reservations"]
    found += [f"instance {i['InstanceId']}" for r in reservations for i in r["Instances"]]
    found += [f"Elastic IP {a['PublicIp']}" for a in ec2.describe_addresses(Filters=tagged)["Addresses"]]
    found += [f"key pair {k['KeyName']}" for k in ec2.describe_key_pairs(Filters=tagged)["KeyPairs"]]
    return sorted(found)


def dns_firewall_inventory(moto: MotoServer, stack: str) -> list[str]:
    resolver = moto.client("route53resolver")
    names = {f"{stack}-dns", f"{stack}-dns-allowed", f"{stack}-dns-maintenance", f"{stack}-dns-all"}
    lists = resolver.list_firewall_domain_lists()["FirewallDomainLists"]
    groups = resolver.list_firewall_rule_groups()["FirewallRuleGroups"]
    ours = {g["Id"] for g in groups if g["Name"] in names}
    associations = resolver.list_firewall_rule_group_associations()["FirewallRuleGroupAssociations"]
    return sorted(
        [f"domain list {item['Name']}" for item in lists if item["Name"] in names]
        + [f"rule group {g['Name']}" for g in groups if g["Name"] in names]
        + [f"association {a['Id']}" for a in associations if a["FirewallRuleGroupId"] in ours]
    )


def iam_inventory(moto: MotoServer, stack: str) -> list[str]:
    iam, path = moto.client("iam"), f"/privatecast/{stack}/"
    found = [f"role {r['RoleName']}" for r in iam.list_roles(PathPrefix=path)["Roles"]]
    found += [f"user {u['UserName']}" for u in iam.list_users(PathPrefix=path)["Users"]]
    profiles = iam.list_instance_profiles(PathPrefix=path)["InstanceProfiles"]
    found += [f"instance profile {p['InstanceProfileName']}" for p in profiles]
    return sorted(found)


def ssm_inventory(moto: MotoServer, stack: str) -> list[str]:
    paginator = moto.client("ssm").get_paginator("get_parameters_by_path")
    pages = paginator.paginate(Path=f"/privatecast/{stack}", Recursive=True, WithDecryption=False)
    return sorted(parameter["Name"] for page in pages for parameter in page["Parameters"])


def lambda_inventory(moto: MotoServer, stack: str) -> list[str]:
    client = moto.client("lambda")
    functions = client.list_functions()["Functions"]
    return sorted(
        f["FunctionName"]
        for f in functions
        if client.list_tags(Resource=f["FunctionArn"])["Tags"].get(STACK_TAG) == stack
    )


def logs_inventory(moto: MotoServer, stack: str) -> list[str]:
    groups = moto.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{stack}-")["logGroups"]
    return sorted(group["logGroupName"] for group in groups)


def events_inventory(moto: MotoServer, stack: str) -> list[str]:
    rules = moto.client("events").list_rules(NamePrefix=f"{stack}-")["Rules"]
    return sorted(rule["Name"] for rule in rules)


def apigateway_inventory(moto: MotoServer, stack: str) -> list[str]:
    apis = moto.client("apigatewayv2").get_apis()["Items"]
    return sorted(f"{api['Name']} {api['ApiId']}" for api in apis if api["Name"] == f"{stack}-api")


def cognito_inventory(moto: MotoServer, stack: str) -> list[str]:
    pools = moto.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    return sorted(f"{pool['Name']} {pool['Id']}" for pool in pools if pool["Name"] == stack)


def budgets_inventory(moto: MotoServer, stack: str) -> list[str]:
    """The stack's cost budget, found by its name privatecast-<stack> (budgets carry no tags)."""
    account = moto.client("sts").get_caller_identity()["Account"]
    budgets = moto.client("budgets").describe_budgets(AccountId=account).get("Budgets", [])
    name = f"privatecast-{stack}"
    return sorted(budget["BudgetName"] for budget in budgets if budget["BudgetName"] == name)


def cloudfront_inventory(moto: MotoServer, stack: str) -> list[str]:
    cloudfront = moto.client("cloudfront")
    distributions = cloudfront.list_distributions()["DistributionList"].get("Items") or []
    found = [f"distribution {d['Id']}" for d in distributions if d["Comment"] == f"privatecast {stack}"]
    groups = cloudfront.list_key_groups()["KeyGroupList"].get("Items") or []
    found += [
        f"key group {g['KeyGroup']['Id']}"
        for g in groups
        if g["KeyGroup"]["KeyGroupConfig"]["Name"] == f"{stack}-signers"
    ]
    keys = cloudfront.list_public_keys()["PublicKeyList"].get("Items") or []
    found += [f"public key {k['Name']}" for k in keys if k["Name"].startswith(f"{stack}-signers-")]
    controls = cloudfront.list_origin_access_controls()["OriginAccessControlList"].get("Items") or []
    found += [f"origin access control {c['Id']}" for c in controls if c["Name"] == f"{stack}-s3"]
    policies = cloudfront.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]
    found += [
        f"response headers policy {p['ResponseHeadersPolicy']['Id']}"
        for p in policies.get("Items") or []
        if p["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["Name"] == f"{stack}-page"
    ]
    return sorted(found)


def s3_inventory(moto: MotoServer, bucket: str) -> list[str]:
    """The bucket and every version and delete marker in it, if it exists."""
    s3 = moto.client("s3")
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        return []
    found = [f"bucket {bucket}"]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        found += [f"version {v['Key']} {v['VersionId']}" for v in page.get("Versions", [])]
        found += [f"delete marker {m['Key']} {m['VersionId']}" for m in page.get("DeleteMarkers", [])]
    return sorted(found)


def stack_inventory(moto: MotoServer, stack: str, bucket: str) -> dict[str, list[str]]:
    """Everything of the stack, per service."""
    return {
        "apigateway": apigateway_inventory(moto, stack),
        "budgets": budgets_inventory(moto, stack),
        "cloudfront": cloudfront_inventory(moto, stack),
        "cognito": cognito_inventory(moto, stack),
        "ec2": ec2_inventory(moto, stack),
        "events": events_inventory(moto, stack),
        "iam": iam_inventory(moto, stack),
        "lambda": lambda_inventory(moto, stack),
        "logs": logs_inventory(moto, stack),
        "route53resolver": dns_firewall_inventory(moto, stack),
        "s3": s3_inventory(moto, bucket),
        "ssm": ssm_inventory(moto, stack),
    }


def leftovers(inventory: dict[str, list[str]]) -> dict[str, list[str]]:
    """The services that still hold something, with what they hold."""
    return {service: items for service, items in inventory.items() if items}
