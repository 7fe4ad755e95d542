# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only checks of a deployed stack against the security model (playbooks/audit.yml,
docs/audit.md). Each check reads what AWS describes and turns it into rows
(check, status, resource, reason). Nothing here writes to AWS.

`gather_*` functions call boto3 clients (describe/get/list only; every listing read to its
last page with plan.paginate, through the module's retrying clients); `check_*` functions
are pure and take what was gathered, so unit tests can feed them hand-made descriptions."""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ansible_collections.privatecast.streaming.plugins.module_utils import maintenance as mw
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import paginate

PASS = "pass"  # noqa: S105 (a status, not a password)
FAIL = "fail"
NOT_CHECKED = "not checked"

SSH_PORT = 22
HTTPS_PORT = 443
VIDEO_PREFIXES = ("/hls/", "/recordings/")
CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
READ_ACTIONS = {"s3:getobject"}
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
PUBLIC_ACCESS_BLOCK = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
COOKIE_VARIABLES = {
    "hls_cookie_ttl_seconds": "PRIVATECAST_HLS_COOKIE_TTL_SECONDS",
    "recordings_cookie_ttl_seconds": "PRIVATECAST_RECORDINGS_COOKIE_TTL_SECONDS",
}
MFA_SETTINGS = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}


@dataclass(frozen=True)
class Row:
    """One line of the audit table."""

    check: str
    status: str
    resource: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def row(check: str, ok: bool, resource: str, reason: str) -> Row:
    return Row(check, PASS if ok else FAIL, resource, reason)


# --- storage -------------------------------------------------------------------------


def _statement_list(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _source_arns(statement: dict[str, Any]) -> list[str]:
    """The AWS:SourceArn values of a statement's StringEquals/ArnEquals condition (condition
    keys are case-insensitive)."""
    arns: list[str] = []
    for operator, entries in statement.get("Condition", {}).items():
        if operator not in ("StringEquals", "ArnEquals"):
            continue
        for key, value in entries.items():
            if key.lower() == "aws:sourcearn":
                arns.extend(_as_list(value))
    return arns


def reader_problem(statement: dict[str, Any], distribution_arn: str) -> str | None:
    """Why an Allow statement grants more than this distribution's reads; None if it does not."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or set(principal) != {"Service"}:
        return f"grants to {json.dumps(principal)}, not to CloudFront"
    if _as_list(principal["Service"]) != [CLOUDFRONT_SERVICE]:
        return f"grants to service {principal['Service']}, not {CLOUDFRONT_SERVICE} alone"
    actions = {action.lower() for action in _as_list(statement.get("Action"))}
    if not actions or not actions <= READ_ACTIONS:
        return f"allows {sorted(actions)}, more than s3:GetObject"
    if "NotPrincipal" in statement or "NotAction" in statement:
        return "uses NotPrincipal/NotAction"
    if _source_arns(statement) != [distribution_arn]:
        return f"AWS:SourceArn is {_source_arns(statement) or 'missing'}, not {distribution_arn}"
    return None


def check_bucket(bucket: str, facts: dict[str, Any], distribution_arn: str | None) -> list[Row]:
    """bucket_private: public access block all on, no public ACL grant, policy not public;
    bucket_readers: every Allow names CloudFront for this distribution only."""
    block = facts.get("public_access_block") or {}
    off = [name for name in PUBLIC_ACCESS_BLOCK if not block.get(name)]
    public_grants = [
        grant["Permission"]
        for grant in facts.get("acl_grants", [])
        if grant.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES
    ]
    problems = [f"public access block off: {', '.join(off)}"] if off else []
    problems += [f"ACL grants {permission} to everyone" for permission in public_grants]
    if facts.get("policy_is_public"):
        problems.append("S3 rates the bucket policy public")
    rows = [
        row(
            "bucket_private",
            not problems,
            bucket,
            "; ".join(problems) or "public access block on, no public grant",
        )
    ]
    rows.append(_bucket_readers(bucket, facts.get("policy"), distribution_arn))
    return rows


def _bucket_readers(bucket: str, policy: dict[str, Any] | None, distribution_arn: str | None) -> Row:
    if distribution_arn is None:
        return row("bucket_readers", False, bucket, "the stack's distribution was not found")
    if not policy:
        return row(
            "bucket_readers", False, bucket, "the bucket has no policy: the distribution cannot read it"
        )
    allows = [s for s in _statement_list(policy) if s.get("Effect") == "Allow"]
    problems = [
        f"statement {s.get('Sid', index)} {problem}"
        for index, s in enumerate(allows)
        if (problem := reader_problem(s, distribution_arn))
    ]
    if problems:
        return row("bucket_readers", False, f"{bucket} (bucket policy)", "; ".join(problems))
    if not allows:
        return row(
            "bucket_readers", False, f"{bucket} (bucket policy)", "no statement lets the distribution read"
        )
    return row("bucket_readers", True, f"{bucket} (bucket policy)", f"read only by {distribution_arn}")


def gather_bucket(s3: Any, bucket: str) -> dict[str, Any]:
    def optional(call: Callable[[], Any], missing: tuple[str, ...]) -> Any:
        try:
            return call()
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in missing:
                return None
            raise

    block = optional(
        lambda: s3.get_public_access_block(Bucket=bucket), ("NoSuchPublicAccessBlockConfiguration",)
    )
    policy = optional(lambda: s3.get_bucket_policy(Bucket=bucket), ("NoSuchBucketPolicy",))
    status = optional(lambda: s3.get_bucket_policy_status(Bucket=bucket), ("NoSuchBucketPolicy",))
    return {
        "public_access_block": (block or {}).get("PublicAccessBlockConfiguration"),
        "acl_grants": s3.get_bucket_acl(Bucket=bucket).get("Grants", []),
        "policy": json.loads(policy["Policy"]) if policy else None,
        "policy_is_public": bool(((status or {}).get("PolicyStatus") or {}).get("IsPublic")),
    }


# --- edge ----------------------------------------------------------------------------


def find_distribution(cloudfront: Any, comment: str) -> dict[str, Any] | None:
    """The distribution whose comment is `comment` (docs/conventions.md), with its config."""
    for item in paginate(cloudfront, "list_distributions", "DistributionList.Items"):
        if item.get("Comment") == comment:
            config = cloudfront.get_distribution_config(Id=item["Id"])["DistributionConfig"]
            return {"id": item["Id"], "arn": item["ARN"], "config": config}
    return None


def find_key_group(cloudfront: Any, name: str) -> dict[str, Any] | None:
    """The key group named `name` and its public keys' creation times."""
    groups = paginate(
        cloudfront, "list_key_groups", "KeyGroupList.Items", token=("Marker", "KeyGroupList.NextMarker")
    )
    for entry in groups:
        group = entry["KeyGroup"]
        if group["KeyGroupConfig"]["Name"] == name:
            created = {
                key_id: cloudfront.get_public_key(Id=key_id)["PublicKey"]["CreatedTime"]
                for key_id in group["KeyGroupConfig"].get("Items", [])
            }
            return {"id": group["Id"], "name": name, "keys": created}
    return None


def check_video_behaviours(
    distribution: dict[str, Any] | None, key_group: dict[str, Any] | None
) -> list[Row]:
    """video_key_group: every /hls/ and /recordings/ behaviour trusts the stack's key group."""
    if distribution is None:
        return [row("video_key_group", False, "distribution", "the stack's distribution was not found")]
    if key_group is None:
        return [row("video_key_group", False, distribution["id"], "the stack's key group was not found")]
    behaviours = distribution["config"].get("CacheBehaviors", {}).get("Items", []) or []
    video = [b for b in behaviours if b["PathPattern"].startswith(VIDEO_PREFIXES)]
    rows = [_video_behaviour(distribution["id"], b, key_group["id"]) for b in video]
    for prefix in VIDEO_PREFIXES:
        if not any(b["PathPattern"].startswith(prefix) for b in video):
            rows.append(row("video_key_group", False, distribution["id"], f"no behaviour for {prefix}*"))
    return rows


def _video_behaviour(distribution_id: str, behaviour: dict[str, Any], key_group_id: str) -> Row:
    trusted = behaviour.get("TrustedKeyGroups") or {}
    items = trusted.get("Items", []) or []
    resource = f"{distribution_id} {behaviour['PathPattern']}"
    if not trusted.get("Enabled") or not items:
        return row("video_key_group", False, resource, "no trusted key group: served without signed cookies")
    if items != [key_group_id]:
        return row("video_key_group", False, resource, f"trusts key groups {items}, not only {key_group_id}")
    return row("video_key_group", True, resource, f"signed cookies of key group {key_group_id} required")


def check_signing_key(
    key_group: dict[str, Any] | None,
    parameter: dict[str, Any] | None,
    max_age_days: int,
    now: datetime.datetime,
) -> Row:
    """signing_key_age: the newest key of the group (the current one) is younger than the limit."""
    if key_group is None or not key_group["keys"]:
        return row("signing_key_age", False, "key group", "the stack's key group or its keys were not found")
    if parameter is None:
        return row("signing_key_age", False, key_group["name"], "the signing-key SSM parameter was not found")
    newest_id, created = max(key_group["keys"].items(), key=lambda item: item[1])
    age = now - created
    limit = datetime.timedelta(days=max_age_days)
    reason = f"current key created {created:%Y-%m-%d} ({age.days} days ago), limit {max_age_days} days"
    if age >= limit:
        reason += ": rotate it (playbooks/rotate_keys.yml)"
    return row("signing_key_age", age < limit, f"{key_group['name']} key {newest_id}", reason)


def gather_parameter(ssm: Any, name: str) -> dict[str, Any] | None:
    """The parameter's metadata (DescribeParameters; its value is never read)."""
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}]).get(
        "Parameters", []
    )
    return found[0] if found else None


# --- API and auth --------------------------------------------------------------------


def find_api(apis: Any, name: str) -> dict[str, Any] | None:
    """The HTTP API named `name`, its routes and authorizers."""
    for api in paginate(apis, "get_apis", "Items"):
        if api.get("Name") == name:
            return {
                "id": api["ApiId"],
                "routes": paginate(apis, "get_routes", "Items", ApiId=api["ApiId"]),
                "authorizers": paginate(apis, "get_authorizers", "Items", ApiId=api["ApiId"]),
            }
    return None


def check_routes(
    api: dict[str, Any] | None, open_routes: Sequence[str], user_pool_id: str | None
) -> list[Row]:
    """api_authorizer: every route but the open ones has the JWT authorizer of the stack's
    user pool."""
    if api is None:
        return [row("api_authorizer", False, "HTTP API", "the stack's HTTP API was not found")]
    pool_authorizers = {
        a["AuthorizerId"]
        for a in api["authorizers"]
        if a.get("AuthorizerType") == "JWT"
        and user_pool_id is not None
        and a.get("JwtConfiguration", {}).get("Issuer", "").endswith(f"/{user_pool_id}")
    }
    return [_route(api["id"], route, open_routes, pool_authorizers) for route in api["routes"]]


def _route(api_id: str, route: dict[str, Any], open_routes: Sequence[str], authorizers: set[str]) -> Row:
    key = route["RouteKey"]
    resource = f"{api_id} {key}"
    if key in open_routes:
        return row("api_authorizer", True, resource, "open by design (audit_open_routes)")
    if route.get("AuthorizationType") != "JWT" or not route.get("AuthorizerId"):
        return row(
            "api_authorizer",
            False,
            resource,
            f"no authorizer (authorization {route.get('AuthorizationType', 'NONE')})",
        )
    if route["AuthorizerId"] not in authorizers:
        return row(
            "api_authorizer",
            False,
            resource,
            f"authorizer {route['AuthorizerId']} is not the user pool's JWT authorizer",
        )
    return row("api_authorizer", True, resource, f"JWT authorizer {route['AuthorizerId']} of the user pool")


def find_user_pool(cognito: Any, name: str) -> dict[str, Any] | None:
    for pool in paginate(cognito, "list_user_pools", "UserPools", MaxResults=60):
        if pool["Name"] == name:
            return {"id": pool["Id"], "mfa": cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])}
    return None


def check_mfa(pool: dict[str, Any] | None, expected: str) -> Row:
    """mfa: the pool's MFA setting is the configured one (aws_auth_mfa), TOTP when on."""
    if pool is None:
        return row("mfa", False, "user pool", "the stack's user pool was not found")
    actual = pool["mfa"].get("MfaConfiguration", "OFF")
    totp = bool(pool["mfa"].get("SoftwareTokenMfaConfiguration", {}).get("Enabled"))
    ok = actual == MFA_SETTINGS[expected] and (expected == "off" or totp)
    reason = f"MFA {actual} (TOTP {'on' if totp else 'off'}), configured {expected}"
    return row("mfa", ok, pool["id"], reason)


def check_cookies(
    function_name: str, environment: dict[str, str] | None, expected: dict[str, int]
) -> list[Row]:
    """cookie_lifetimes: the session function signs cookies with the configured lifetimes."""
    if environment is None:
        return [row("cookie_lifetimes", False, function_name, "the session function was not found")]
    rows = []
    for option, variable in COOKIE_VARIABLES.items():
        actual = environment.get(variable)
        ok = actual is not None and actual == str(expected[option])
        rows.append(
            row(
                "cookie_lifetimes",
                ok,
                f"{function_name} {variable}",
                f"{actual} s, configured {expected[option]} s",
            )
        )
    return rows


def gather_function_environment(lambdas: Any, name: str) -> dict[str, str] | None:
    try:
        configuration = lambdas.get_function_configuration(FunctionName=name)
    except lambdas.exceptions.ResourceNotFoundException:
        return None
    return configuration.get("Environment", {}).get("Variables", {})


# --- network and servers -------------------------------------------------------------


def _covers(low: Any, high: Any, port: int) -> bool:
    if low is None or high is None or int(low) == -1:
        return True  # no port range: every port
    return int(low) <= port <= int(high)


def sg_port_sources(group: dict[str, Any], port: int) -> list[str]:
    """Every source a security group lets reach `port` over TCP."""
    sources: list[str] = []
    for permission in group.get("IpPermissions", []):
        if permission.get("IpProtocol") not in ("tcp", "6", "-1"):
            continue
        if permission.get("IpProtocol") != "-1" and not _covers(
            permission.get("FromPort"), permission.get("ToPort"), port
        ):
            continue
        sources += [r["CidrIp"] for r in permission.get("IpRanges", [])]
        sources += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        sources += [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])]
        sources += [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
    return sources


def nacl_port_entries(nacl: dict[str, Any], port: int) -> list[dict[str, Any]]:
    """Ingress allow entries of a network ACL that let TCP reach `port`."""
    found = []
    for entry in nacl.get("Entries", []):
        if entry.get("Egress") or entry.get("RuleAction") != "allow" or entry.get("RuleNumber") == 32767:
            continue
        protocol = entry.get("Protocol")
        port_range = entry.get("PortRange") or {}
        if protocol == "-1" or (
            protocol == "6" and _covers(port_range.get("From"), port_range.get("To"), port)
        ):
            found.append(entry)
    return found


def _entry_source(entry: dict[str, Any]) -> str:
    return entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or "?"


@dataclass(frozen=True)
class WindowView:
    """What the SSH check needs of the maintenance window: whether its grants are allowed,
    how to name it, and what to add to a failure."""

    open: bool
    note: str
    hint: str

    @classmethod
    def of(cls, window: dict[str, Any]) -> WindowView:
        status = window["status"]
        note = f"maintenance window {status} (opened {window.get('opened_at') or 'at an unknown time'})"
        hint = ""
        if status == mw.STATUS_PARTIAL:
            hint = f"; {note}: close it with playbooks/maintenance.yml -e maintenance=closed"
        return cls(status == mw.STATUS_OPEN, note, hint)


def check_ssh(network: dict[str, Any], window: dict[str, Any]) -> list[Row]:
    """ssh_closed: no security group of the stack's servers (or of the stack) and no network
    ACL of its subnets lets SSH in; while a maintenance window is open, only its own grants.
    A partial window (some pieces left) allows none: closing it removes them."""
    view = WindowView.of(window)
    attached = set(network["attached_group_ids"])
    maintenance = network["maintenance_group_id"]
    rows = [
        _sg_ssh(group, group["GroupId"] in attached, group["GroupId"] == maintenance, view)
        for group in network["groups"]
    ]
    rows += [_nacl_ssh(nacl, view) for nacl in network["nacls"]]
    return rows


def _sg_ssh(group: dict[str, Any], attached: bool, maintenance: bool, window: WindowView) -> Row:
    """The maintenance group holds SSH rules for good: they count only while it is attached,
    which only an open window may do."""
    resource = f"{group['GroupId']} ({group.get('GroupName', '')})"
    sources = sg_port_sources(group, SSH_PORT)
    if not sources:
        return row("ssh_closed", True, resource, "no SSH rule")
    if maintenance and not attached:
        return row("ssh_closed", True, resource, "the maintenance group (SSH rules) is attached to no server")
    if maintenance and window.open:
        return row(
            "ssh_closed", True, resource, f"SSH from {', '.join(sources)}: the window's group, {window.note}"
        )
    return row("ssh_closed", False, resource, f"allows SSH (22) from {', '.join(sources)}{window.hint}")


def _nacl_ssh(nacl: dict[str, Any], window: WindowView) -> Row:
    resource = f"{nacl['NetworkAclId']} ({nacl.get('name', '')})"
    entries = nacl_port_entries(nacl, SSH_PORT)
    outside = [e for e in entries if not (window.open and mw.FIRST_RULE <= e["RuleNumber"] <= mw.LAST_RULE)]
    if outside:
        rules = ", ".join(f"rule {e['RuleNumber']} from {_entry_source(e)}" for e in outside)
        return row("ssh_closed", False, resource, f"allows SSH (22): {rules}{window.hint}")
    if entries:
        return row("ssh_closed", True, resource, f"SSH only through the window's rules, {window.note}")
    return row("ssh_closed", True, resource, "no rule lets SSH in")


def _outside_cidrs(
    sources: Iterable[str], admin_cidrs: Sequence[str], allowed_groups: Iterable[str]
) -> list[str]:
    admins = [ipaddress.ip_network(cidr, strict=False) for cidr in admin_cidrs]
    allowed = set(allowed_groups)
    outside = []
    for source in sources:
        if source in allowed:
            continue
        try:
            network = ipaddress.ip_network(source, strict=False)
        except ValueError:
            outside.append(source)  # a group or prefix list: not an admin CIDR
            continue
        if not any(network.version == admin.version and network.subnet_of(admin) for admin in admins):
            outside.append(source)
    return outside


def check_https(network: dict[str, Any], admin_cidrs: Sequence[str]) -> list[Row]:
    """https_admin_only: the proxy's HTTPS port (the Owncast admin) opens only to the admin CIDRs."""
    rows = []
    proxy_group = network.get("proxy_group")
    if proxy_group is None:
        rows.append(row("https_admin_only", False, "proxy security group", "not found"))
    else:
        outside = _outside_cidrs(sg_port_sources(proxy_group, HTTPS_PORT), admin_cidrs, ())
        resource = f"{proxy_group['GroupId']} ({proxy_group.get('GroupName', '')})"
        rows.append(_https_row(resource, outside, admin_cidrs))
    public_nacl = network.get("public_nacl")
    if public_nacl is not None:
        sources = [_entry_source(e) for e in nacl_port_entries(public_nacl, HTTPS_PORT)]
        outside = _outside_cidrs(sources, admin_cidrs, ())
        rows.append(
            _https_row(f"{public_nacl['NetworkAclId']} ({public_nacl.get('name', '')})", outside, admin_cidrs)
        )
    return rows


def _https_row(resource: str, outside: list[str], admin_cidrs: Sequence[str]) -> Row:
    if outside:
        return row(
            "https_admin_only",
            False,
            resource,
            f"HTTPS (443) open to {', '.join(outside)}, outside the admin CIDRs",
        )
    return row(
        "https_admin_only", True, resource, f"HTTPS (443) only from the admin CIDRs {', '.join(admin_cidrs)}"
    )


def check_owncast_address(window: dict[str, Any], owncast: dict[str, Any] | None) -> Row:
    """owncast_no_public_address: the Owncast server has no public address (but the window's)."""
    if owncast is None:
        return row("owncast_no_public_address", False, "Owncast server", "not found")
    resource = f"{owncast['InstanceId']} ({_name(owncast)})"
    public = owncast.get("PublicIpAddress")
    if not public:
        return row("owncast_no_public_address", True, resource, "no public address")
    if window["status"] == mw.STATUS_OPEN and public == window.get("owncast_public_ip"):
        return row(
            "owncast_no_public_address",
            True,
            resource,
            f"{public} is the maintenance window's temporary address",
        )
    hint = WindowView.of(window).hint
    return row("owncast_no_public_address", False, resource, f"has the public address {public}{hint}")


def check_imdsv2(instances: Sequence[dict[str, Any]]) -> list[Row]:
    """imdsv2: every instance of the stack requires session tokens (IMDSv2)."""
    if not instances:
        return [row("imdsv2", False, "instances", "the stack has no instances")]
    rows = []
    for instance in instances:
        tokens = instance.get("MetadataOptions", {}).get("HttpTokens", "optional")
        endpoint = instance.get("MetadataOptions", {}).get("HttpEndpoint", "enabled")
        ok = tokens == "required" or endpoint == "disabled"
        reason = f"HttpTokens={tokens}" + ("" if ok else ": IMDSv1 answers")
        rows.append(row("imdsv2", ok, f"{instance['InstanceId']} ({_name(instance)})", reason))
    return rows


def _name(resource: dict[str, Any]) -> str:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == "Name"), "")


def _tagged(stack_name: str) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{mw.STACK_TAG}", "Values": [stack_name]}]


def gather_network(ec2: Any, stack_name: str, vpc_id: str) -> dict[str, Any]:
    """The stack's instances, the security groups that guard them or carry its tag, and the
    network ACLs of its VPC's subnets."""
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    live = {"Name": "instance-state-name", "Values": mw.LIVE_INSTANCE_STATES}
    reservations = paginate(ec2, "describe_instances", "Reservations", Filters=[*_tagged(stack_name), live])
    instances = [instance for reservation in reservations for instance in reservation["Instances"]]
    tagged = paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=_tagged(stack_name))
    by_id = {group["GroupId"]: group for group in tagged}
    untagged = {g["GroupId"] for i in instances for g in i.get("SecurityGroups", [])} - set(by_id)
    if untagged:
        by_id.update(
            {
                g["GroupId"]: g
                for g in paginate(
                    ec2, "describe_security_groups", "SecurityGroups", GroupIds=sorted(untagged)
                )
            }
        )
    nacls = [
        dict(nacl, name=_name(nacl))
        for nacl in paginate(ec2, "describe_network_acls", "NetworkAcls", Filters=in_vpc)
        if nacl.get("Associations")
    ]
    sg_tag = {g["GroupId"]: _tag(g, mw.SG_TAG) for g in by_id.values()}
    return {
        "instances": instances,
        "groups": [by_id[group_id] for group_id in sorted(by_id)],
        "attached_group_ids": sorted({g["GroupId"] for i in instances for g in i.get("SecurityGroups", [])}),
        "maintenance_group_id": next((gid for gid, tag in sg_tag.items() if tag == "maintenance"), None),
        "proxy_group": next((g for gid, g in by_id.items() if sg_tag[gid] == "proxy"), None),
        "nacls": nacls,
        "public_nacl": next((n for n in nacls if _tag(n, mw.TIER_TAG) == "public"), None),
    }


def _tag(resource: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == key), None)


def server(instances: Sequence[dict[str, Any]], role: str) -> dict[str, Any] | None:
    return next((i for i in instances if _tag(i, mw.SERVER_TAG) == role), None)


def render_table(rows: Sequence[Row]) -> list[str]:
    """The rows as aligned text lines, a header first; statuses in capitals."""
    lines = [("check", "status", "resource", "reason")]
    lines += [(r.check, r.status.upper(), r.resource, r.reason) for r in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(3)]
    return [
        f"{check:<{widths[0]}}  {status:<{widths[1]}}  {resource:<{widths[2]}}  {reason}"
        for check, status, resource, reason in lines
    ]
