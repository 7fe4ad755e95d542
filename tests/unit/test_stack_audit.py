"""The audit's checks (module_utils stack_audit and proxy_probe) on hand-made descriptions
and against a small HTTP server standing in for the proxy's answers. The module and the
playbook run against moto in tests/integration/test_audit.py and against the local stack in
tests/e2e/test_audit.py."""

from __future__ import annotations

import datetime
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import proxy_probe as pp
from ansible_collections.privatecast.streaming.plugins.module_utils import stack_audit as sa

DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/EDIST"
READER = {
    "Sid": "Reader",
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/hls/*",
    "Condition": {"StringEquals": {"AWS:SourceArn": DISTRIBUTION}},
}
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


def statuses(rows: list[sa.Row]) -> list[str]:
    return [row.status for row in rows]


def test_the_distribution_alone_reading_passes() -> None:
    assert sa.reader_problem(READER, DISTRIBUTION) is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Principal": "*"}, "not to CloudFront"),
        ({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}}, "not to CloudFront"),
        ({"Action": ["s3:GetObject", "s3:PutObject"]}, "more than s3:GetObject"),
        ({"Action": "s3:*"}, "more than s3:GetObject"),
        ({"Condition": {}}, "AWS:SourceArn is missing"),
        ({"Condition": {"StringEquals": {"aws:sourcearn": DISTRIBUTION + "X"}}}, "not arn"),
        ({"Condition": {"StringLike": {"AWS:SourceArn": "*"}}}, "AWS:SourceArn is missing"),
    ],
)
def test_a_wider_reader_is_named(change: dict[str, Any], expected: str) -> None:
    problem = sa.reader_problem({**READER, **change}, DISTRIBUTION)
    assert problem is not None and expected in problem


def bucket_facts(**changes: Any) -> dict[str, Any]:
    facts = {
        "public_access_block": dict.fromkeys(sa.PUBLIC_ACCESS_BLOCK, True),
        "acl_grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "x"}, "Permission": "FULL_CONTROL"}],
        "policy": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, READER]},
        "policy_is_public": False,
    }
    return {**facts, **changes}


def test_bucket_checks() -> None:
    assert statuses(sa.check_bucket("b", bucket_facts(), DISTRIBUTION)) == ["pass", "pass"]
    block_off = bucket_facts(public_access_block={"BlockPublicAcls": True})
    private = sa.check_bucket("b", block_off, DISTRIBUTION)[0]
    assert private.status == "fail" and "IgnorePublicAcls" in private.reason
    public_acl = bucket_facts(
        acl_grants=[{"Grantee": {"URI": sa.PUBLIC_GRANTEES[0]}, "Permission": "READ"}], policy_is_public=True
    )
    private = sa.check_bucket("b", public_acl, DISTRIBUTION)[0]
    assert private.status == "fail" and "READ to everyone" in private.reason and "public" in private.reason
    assert statuses(sa.check_bucket("b", bucket_facts(policy=None), DISTRIBUTION)) == ["pass", "fail"]
    assert statuses(sa.check_bucket("b", bucket_facts(), None)) == ["pass", "fail"]


def behaviour(pattern: str, groups: list[str]) -> dict[str, Any]:
    return {
        "PathPattern": pattern,
        "TrustedKeyGroups": {"Enabled": bool(groups), "Quantity": len(groups), "Items": groups},
    }


def distribution(*behaviours: dict[str, Any]) -> dict[str, Any]:
    return {"id": "EDIST", "arn": DISTRIBUTION, "config": {"CacheBehaviors": {"Items": list(behaviours)}}}


def test_video_behaviours_need_the_stack_key_group() -> None:
    group = {"id": "KG", "name": "s-signers", "keys": {}}
    good = distribution(
        behaviour("/api/*", []), behaviour("/hls/*.ts", ["KG"]), behaviour("/recordings/*.ts", ["KG"])
    )
    assert statuses(sa.check_video_behaviours(good, group)) == ["pass", "pass"]
    bad = distribution(behaviour("/hls/*.ts", []), behaviour("/recordings/*.ts", ["KG", "OTHER"]))
    rows = sa.check_video_behaviours(bad, group)
    assert statuses(rows) == ["fail", "fail"]
    assert rows[0].resource == "EDIST /hls/*.ts" and "OTHER" in rows[1].reason
    missing = sa.check_video_behaviours(distribution(behaviour("/hls/*.ts", ["KG"])), group)
    assert statuses(missing) == ["pass", "fail"] and "/recordings/" in missing[1].reason
    assert statuses(sa.check_video_behaviours(None, group)) == ["fail"]


def test_routes_need_the_pool_authorizer_unless_meant_open() -> None:
    api = {
        "id": "api1",
        "authorizers": [
            {
                "AuthorizerId": "a1",
                "AuthorizerType": "JWT",
                "JwtConfiguration": {"Issuer": "https://idp/pool-1"},
            },
            {
                "AuthorizerId": "a2",
                "AuthorizerType": "JWT",
                "JwtConfiguration": {"Issuer": "https://idp/pool-2"},
            },
        ],
        "routes": [
            {"RouteKey": "GET /a", "AuthorizationType": "JWT", "AuthorizerId": "a1"},
            {"RouteKey": "GET /b", "AuthorizationType": "NONE"},
            {"RouteKey": "GET /c", "AuthorizationType": "JWT", "AuthorizerId": "a2"},
            {"RouteKey": "GET /open", "AuthorizationType": "NONE"},
        ],
    }
    rows = sa.check_routes(api, ["GET /open"], "pool-1")
    assert statuses(rows) == ["pass", "fail", "fail", "pass"]
    assert rows[1].resource == "api1 GET /b" and "no authorizer" in rows[1].reason


def group(group_id: str, *permissions: dict[str, Any]) -> dict[str, Any]:
    return {"GroupId": group_id, "GroupName": group_id, "IpPermissions": list(permissions)}


def tcp(low: int, high: int, cidr: str) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": low, "ToPort": high, "IpRanges": [{"CidrIp": cidr}]}


def nacl(nacl_id: str, *entries: tuple[int, str, int, int, str]) -> dict[str, Any]:
    return {
        "NetworkAclId": nacl_id,
        "Entries": [
            {
                "RuleNumber": n,
                "Protocol": p,
                "PortRange": {"From": lo, "To": hi},
                "CidrBlock": c,
                "RuleAction": "allow",
                "Egress": False,
            }
            for n, p, lo, hi, c in entries
        ]
        + [
            {
                "RuleNumber": 32767,
                "Protocol": "-1",
                "RuleAction": "deny",
                "Egress": False,
                "CidrBlock": "0.0.0.0/0",
            }
        ],
    }


def network(groups: list[dict[str, Any]], nacls: list[dict[str, Any]], attached: list[str]) -> dict[str, Any]:
    return {"groups": groups, "nacls": nacls, "attached_group_ids": attached, "maintenance_group_id": "sg-m"}


CLOSED = {"status": "closed", "opened_at": None}
OPEN = {"status": "open", "opened_at": "2026-12-01T20:00:00Z", "owncast_public_ip": "192.0.2.9"}


def test_ssh_is_found_in_groups_and_acls() -> None:
    maintenance = group("sg-m", tcp(22, 22, "203.0.113.7/32"))
    wide = group("sg-w", tcp(0, 65535, "0.0.0.0/0"))
    everything = group("sg-all", {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-x"}]})
    acl = nacl("acl-1", (100, "6", 443, 443, "0.0.0.0/0"), (900, "6", 22, 22, "203.0.113.7/32"))
    rows = sa.check_ssh(network([maintenance, wide, everything], [acl], ["sg-w"]), CLOSED)
    assert statuses(rows) == ["pass", "fail", "fail", "fail"]
    assert "0.0.0.0/0" in rows[1].reason and "sg-x" in rows[2].reason and "rule 900" in rows[3].reason


def test_ssh_through_an_open_window_is_its_own() -> None:
    maintenance = group("sg-m", tcp(22, 22, "203.0.113.7/32"))
    acl = nacl("acl-1", (900, "6", 22, 22, "203.0.113.7/32"), (100, "-1", 0, 0, "10.0.0.0/8"))
    rows = sa.check_ssh(network([maintenance], [acl], ["sg-m"]), OPEN)
    assert statuses(rows) == ["pass", "fail"]
    assert "rule 100" in rows[1].reason and "rule 900" not in rows[1].reason
    # Attached while no window is open: SSH is open outside any window.
    assert statuses(sa.check_ssh(network([maintenance], [], ["sg-m"]), CLOSED)) == ["fail"]
    # A window left half open grants nothing, and the reason says how to close it.
    (half,) = sa.check_ssh(network([maintenance], [], ["sg-m"]), {"status": "partial", "opened_at": None})
    assert half.status == "fail" and "maintenance=closed" in half.reason


def test_https_only_from_the_admin_cidrs() -> None:
    proxy = group("sg-p", tcp(443, 443, "203.0.113.7/32"), tcp(1935, 1935, "0.0.0.0/0"))
    acl = nacl("acl-p", (300, "6", 443, 443, "203.0.113.0/28"))
    facts = {"proxy_group": proxy, "public_nacl": acl}
    assert statuses(sa.check_https(facts, ["203.0.113.0/24"])) == ["pass", "pass"]
    assert statuses(sa.check_https(facts, ["203.0.113.7/32"])) == ["pass", "fail"]


def test_owncast_address_and_imdsv2() -> None:
    owncast = {"InstanceId": "i-o", "Tags": [{"Key": "Name", "Value": "s-owncast"}]}
    assert sa.check_owncast_address(CLOSED, owncast).status == "pass"
    exposed = {**owncast, "PublicIpAddress": "192.0.2.9"}
    assert sa.check_owncast_address(CLOSED, exposed).status == "fail"
    assert sa.check_owncast_address(OPEN, exposed).status == "pass"
    assert sa.check_owncast_address({**OPEN, "status": "partial"}, exposed).status == "fail"
    instances = [
        {"InstanceId": "i-1", "MetadataOptions": {"HttpTokens": "required"}},
        {"InstanceId": "i-2", "MetadataOptions": {"HttpTokens": "optional"}},
    ]
    assert statuses(sa.check_imdsv2(instances)) == ["pass", "fail"]
    assert statuses(sa.check_imdsv2([])) == ["fail"]


def test_signing_key_age() -> None:
    keys = {"K1": NOW - datetime.timedelta(days=200), "K2": NOW - datetime.timedelta(days=89)}
    key_group = {"id": "KG", "name": "s-signers", "keys": keys}
    young = sa.check_signing_key(key_group, {"Name": "p"}, 90, NOW)
    assert young.status == "pass" and young.resource == "s-signers key K2"
    old = sa.check_signing_key(key_group, {"Name": "p"}, 60, NOW)
    assert old.status == "fail" and "rotate_keys.yml" in old.reason
    assert sa.check_signing_key(key_group, None, 90, NOW).status == "fail"


def test_mfa_and_cookie_lifetimes() -> None:
    pool = {
        "id": "p1",
        "mfa": {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
    }
    assert sa.check_mfa(pool, "optional").status == "pass"
    assert sa.check_mfa(pool, "required").status == "fail"
    assert sa.check_mfa({"id": "p1", "mfa": {"MfaConfiguration": "OFF"}}, "off").status == "pass"
    environment = {
        "PRIVATECAST_HLS_COOKIE_TTL_SECONDS": "3600",
        "PRIVATECAST_RECORDINGS_COOKIE_TTL_SECONDS": "7200",
    }
    expected = {"hls_cookie_ttl_seconds": 3600, "recordings_cookie_ttl_seconds": 3600}
    assert statuses(sa.check_cookies("s-session", environment, expected)) == ["pass", "fail"]
    assert statuses(sa.check_cookies("s-session", None, expected)) == ["fail"]


def test_the_table_lines_up() -> None:
    rows = [sa.Row("mfa", "pass", "p1", "ok"), sa.Row("cookie_lifetimes", "not checked", "fn", "why")]
    lines = sa.render_table(rows)
    assert lines[0].split() == ["check", "status", "resource", "reason"]
    assert lines[2].startswith("cookie_lifetimes  NOT CHECKED  fn  ")
    assert len({line.index(line.split()[-1]) for line in lines}) == 1  # reasons start in one column


class ProxyStandIn(BaseHTTPRequestHandler):
    """Answers as the tests tell it: a status per path, and 200 to the default password
    when `accepts_default` is set."""

    answers: ClassVar[dict[str, int]] = {}
    accepts_default = False

    def do_GET(self) -> None:
        status = self.answers.get(self.path, 404)
        if self.path == pp.ADMIN_CONFIG_PATH and self.headers.get("Authorization"):
            status = 200 if self.accepts_default else 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), ProxyStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    ProxyStandIn.answers, ProxyStandIn.accepts_default = {}, False


def test_the_default_password_is_caught(proxy: str) -> None:
    assert pp.check_admin_password(proxy, "abc123", 5).status == "pass"
    ProxyStandIn.accepts_default = True
    row = pp.check_admin_password(proxy, "abc123", 5)
    assert row.status == "fail" and "accepts the default" in row.reason


def test_an_unreachable_proxy_never_passes() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert pp.check_admin_password(url, "abc123", 2).status == "fail"
    assert "fail" in statuses(pp.check_paths(url, ["/"], 2))
    rows = pp.check_through_proxy(url, "abc123", ["127.0.0.2"], ["127.0.0.1/32"], 2)
    assert [row.check for row in rows] == list(pp.HOST_CHECKS)
    assert statuses(rows) == ["fail"] * 3 and "no answer" in rows[0].reason


def test_a_proxy_without_outside_sources_reports_that_check_not_done(proxy: str) -> None:
    ProxyStandIn.answers = {pp.ADMIN_PAGE_PATH: 401}
    rows = pp.check_through_proxy(proxy, "abc123", [], ["127.0.0.1/32"], 5)
    assert statuses(rows) == ["pass", "pass", "pass", "not checked"]


def test_public_paths_must_be_refused(proxy: str) -> None:
    ProxyStandIn.answers = {pp.ADMIN_PAGE_PATH: 401, "/": 403, "/api/status": 404}
    assert statuses(pp.check_paths(proxy, ["/", "/api/status"], 5)) == ["pass", "pass"]
    ProxyStandIn.answers["/api/status"] = 200
    rows = pp.check_paths(proxy, ["/", "/api/status"], 5)
    assert statuses(rows) == ["pass", "fail"] and rows[1].resource.endswith("/api/status")


def test_sources_inside_the_admin_cidrs_prove_nothing(proxy: str) -> None:
    ProxyStandIn.answers = {pp.ADMIN_PAGE_PATH: 403}
    assert statuses(pp.check_sources(proxy, ["127.0.0.2"], ["127.0.0.1/32"], 5)) == ["pass"]
    assert statuses(pp.check_sources(proxy, ["127.0.0.1"], ["127.0.0.1/32"], 5)) == ["fail"]
    ProxyStandIn.answers = {pp.ADMIN_PAGE_PATH: 200}
    assert statuses(pp.check_sources(proxy, ["127.0.0.2"], ["127.0.0.1/32"], 5)) == ["fail"]
