"""The API Lambdas (status, servers, session, recordings) called in-process with HTTP API
payload 2.0 events against moto: success and refusal paths, cookie scope and lifetime,
sign-out, and pagination."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer, maintenance
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.moto_server import MotoServer
from tests.unit import lambda_support as support
from tests.unit.maintenance_stack import build_stack

api_recordings = support.handler_module("api_recordings")
api_servers = support.handler_module("api_servers")
api_session = support.handler_module("api_session")
api_status = support.handler_module("api_status")
lambda_common = support.handler_module("lambda_common")
store = support.handler_module("recordings_store")

KEY_ID = "K2JCJMDEHXQW5F"
ADMIN = support.claims("admin-1", ["admins"])
VIEWER = support.claims("viewer-1", ["viewers"])
NOBODY = support.claims("nobody-1")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    api_session.signing_key.cache_clear()
    yield from support.aws_environment(monkeypatch)
    api_session.signing_key.cache_clear()


def s3() -> Any:
    return boto3.client("s3", region_name=support.REGION)


def ec2() -> Any:
    return boto3.client("ec2", region_name=support.REGION)


# --- claims -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["admins", "viewers"], {"admins", "viewers"}),
        ("[admins viewers]", {"admins", "viewers"}),
        ('["admins","viewers"]', {"admins", "viewers"}),
        ("[viewers]", {"viewers"}),
        ("admins", {"admins"}),
        ("[]", set()),
    ],
)
def test_group_claims_in_token_and_http_api_forms(raw: Any, expected: set[str]) -> None:
    assert lambda_common.groups_of({"cognito:groups": raw}) == expected


def test_groups_as_moto_cognito_puts_them_into_the_token(aws: None) -> None:
    idp = boto3.client("cognito-idp", region_name=support.REGION)
    pool = idp.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool, GroupName="admins")
    idp.admin_create_user(UserPoolId=pool, Username="ann", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="ann", Password="Passw0rd!Passw0rd", Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username="ann", GroupName="admins")
    tokens = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann", "PASSWORD": "Passw0rd!Passw0rd"},
    )["AuthenticationResult"]
    payload = tokens["AccessToken"].split(".")[1]
    token_claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert token_claims["cognito:groups"] == ["admins"]  # a JSON list in the token
    # API Gateway HTTP APIs hand array claims to the Lambda as "[a b]".
    http_api_claims = {**token_claims, "cognito:groups": "[" + " ".join(token_claims["cognito:groups"]) + "]"}
    for event_claims in (token_claims, http_api_claims):
        assert lambda_common.require_admin(support.api_event("POST /api/servers/stop", event_claims))


# --- status ---------------------------------------------------------------------------------


def test_status_reports_servers_stream_and_maintenance(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = build_stack(ec2(), support.STACK)
    response = api_status.handler(support.api_event("GET /api/status", VIEWER))
    assert response["statusCode"] == 200
    body = support.body_of(response)
    assert body["servers"] == {
        "proxy": {"instance_id": None, "state": "running"},
        "owncast": {"instance_id": None, "state": "running"},
    }
    assert body["stream"] == {"live": False, "newest_segment_age_seconds": None}
    assert body["maintenance"] == {"status": "closed", "opened_at": None}
    admin_body = support.body_of(api_status.handler(support.api_event("GET /api/status", ADMIN)))
    assert admin_body["servers"]["proxy"] == {"instance_id": ids.proxy_instance_id, "state": "running"}
    assert admin_body["servers"]["owncast"] == {"instance_id": ids.owncast_instance_id, "state": "running"}

    s3().put_object(Bucket=support.BUCKET, Key="hls/0/stream-abc-1.ts", Body=b"ts")
    state = maintenance.describe_window(ec2(), support.STACK)
    maintenance.apply_plan(
        ec2(), maintenance.plan_open(state, ["203.0.113.7/32"], opened_at="2026-01-01T00:00:00Z")
    )
    body = support.body_of(api_status.handler(support.api_event("GET /api/status", ADMIN)))
    assert body["stream"]["live"] is True
    assert body["maintenance"] == {"status": "open", "opened_at": "2026-01-01T00:00:00Z"}

    later = time.time() + 31
    monkeypatch.setattr(lambda_common, "now", lambda: later)
    body = support.body_of(api_status.handler(support.api_event("GET /api/status", VIEWER)))
    assert body["stream"]["live"] is False
    assert body["stream"]["newest_segment_age_seconds"] >= 30


def test_status_refuses_without_claims_or_group(aws: None) -> None:
    assert api_status.handler(support.api_event("GET /api/status"))["statusCode"] == 401
    assert api_status.handler(support.api_event("GET /api/status", NOBODY))["statusCode"] == 403


def status_as(claims: dict[str, Any]) -> dict[str, Any]:
    return support.body_of(api_status.handler(support.api_event("GET /api/status", claims)))


def test_status_reports_the_certificate_expiry_to_admins_only(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_stack(ec2(), support.STACK)
    assert "certificate" not in status_as(VIEWER)
    assert status_as(ADMIN)["certificate"] is None  # nothing recorded (no ACME)

    boto3.client("ssm", region_name=support.REGION).put_parameter(
        Name=f"/privatecast/{support.STACK}/haproxy/certificate",
        Type="String",
        Value='{"domain": "admin.example.org", "not_after": "2027-03-01T12:00:00Z"}',
    )
    not_after = 1803902400  # 2027-03-01T12:00:00Z
    monkeypatch.setattr(lambda_common, "now", lambda: not_after - 10.5 * 86400)
    assert status_as(ADMIN)["certificate"] == {
        "domain": "admin.example.org",
        "not_after": "2027-03-01T12:00:00Z",
        "days_left": 10,
    }
    viewer_body = status_as(VIEWER)
    assert "certificate" not in viewer_body
    assert "admin.example.org" not in json.dumps(viewer_body)


def test_status_certificate_parameter_is_configurable_and_a_bad_record_is_reported(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_stack(ec2(), support.STACK)
    monkeypatch.setenv("PRIVATECAST_CERTIFICATE_PARAMETER", "/elsewhere/certificate")
    boto3.client("ssm", region_name=support.REGION).put_parameter(
        Name="/elsewhere/certificate", Type="String", Value='{"domain": "a.example.org", "not_after": "soon"}'
    )
    body = status_as(ADMIN)
    assert body["certificate"]["not_after"] is None
    assert body["certificate"]["days_left"] is None
    assert "soon" in body["certificate"]["detail"]


# --- servers --------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["POST /api/servers/start", "POST /api/servers/stop"])
def test_servers_refuse_viewers_and_anonymous(aws: None, route: str) -> None:
    build_stack(ec2(), support.STACK)
    assert api_servers.handler(support.api_event(route))["statusCode"] == 401
    assert api_servers.handler(support.api_event(route, VIEWER))["statusCode"] == 403
    assert (
        api_servers.handler(support.api_event(route, support.claims("v", "[viewers]")))["statusCode"] == 403
    )
    states = {i["State"]["Name"] for r in ec2().describe_instances()["Reservations"] for i in r["Instances"]}
    assert states == {"running"}, "a refused call must not touch the servers"


def test_admins_stop_and_start_the_servers(aws: None) -> None:
    ids = build_stack(ec2(), support.STACK)
    both = sorted([ids.proxy_instance_id, ids.owncast_instance_id])
    stop = api_servers.handler(support.api_event("POST /api/servers/stop", support.claims("a", "[admins]")))
    assert stop["statusCode"] == 200
    body = support.body_of(stop)
    assert body["changed"] == both
    assert {server["state"] for server in body["servers"].values()} <= {"stopping", "stopped"}

    again = support.body_of(api_servers.handler(support.api_event("POST /api/servers/stop", ADMIN)))
    assert again["changed"] == []

    start = api_servers.handler(support.api_event("POST /api/servers/start", ADMIN))
    assert start["statusCode"] == 200
    body = support.body_of(start)
    assert body["changed"] == both
    assert {server["state"] for server in body["servers"].values()} <= {"pending", "running"}


# --- session --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key() -> tuple[str, str]:
    """(private PEM, public PEM), generated for this test run and never stored."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


@pytest.fixture
def key_parameter(aws: None, signing_key: tuple[str, str]) -> str:
    name = f"/privatecast/{support.STACK}/cloudfront/signing-key"
    value = json.dumps({"key_id": KEY_ID, "private_key_pem": signing_key[0]})
    boto3.client("ssm", region_name=support.REGION).put_parameter(Name=name, Value=value, Type="SecureString")
    return name


def cookies_by_path(headers: list[str]) -> dict[str, dict[str, Any]]:
    """Set-Cookie headers grouped by their Path: {path: {"values": {...}, "attributes": [...]}}."""
    grouped: dict[str, dict[str, Any]] = {}
    for header in headers:
        name_value, *attributes = [part.strip() for part in header.split(";")]
        name, _separator, value = name_value.partition("=")
        path = next(a.split("=", 1)[1] for a in attributes if a.startswith("Path="))
        entry = grouped.setdefault(path, {"values": {}, "attributes": set()})
        entry["values"][name] = value
        entry["attributes"] |= {a for a in attributes if not a.startswith(("Expires=", "Max-Age="))}
        entry["max_age"] = int(next(a.split("=", 1)[1] for a in attributes if a.startswith("Max-Age=")))
    return grouped


def verdict(cookies: dict[str, str], url: str, public_pem: str, now: float | None = None) -> Any:
    return cookie_signer.verify_cookies(cookies, url, {KEY_ID: public_pem}, now=now)


@pytest.fixture
def distribution(aws: None) -> support.MotoDistribution:
    """The stack's distribution, and its parameter naming its domain as the viewer host."""
    created = support.create_distribution(boto3.client("cloudfront", region_name=support.REGION))
    support.tell_distribution(
        boto3.client("ssm", region_name=support.REGION), created.id, created.domain_name
    )
    return created


def session_grants(user: dict[str, Any] = VIEWER, **event: Any) -> dict[str, dict[str, Any]]:
    response = api_session.handler(support.api_event("POST /api/session", user, **event))
    assert response["statusCode"] == 200, response
    return cookies_by_path(response["cookies"])


def policy_of(grant: dict[str, Any]) -> Any:
    return cookie_signer.Policy.from_json(
        cookie_signer.cloudfront_b64decode(grant["values"]["CloudFront-Policy"])
    )


def test_session_cookies_grant_their_own_path_only(
    key_parameter: str, distribution: support.MotoDistribution, signing_key: tuple[str, str]
) -> None:
    response = api_session.handler(support.api_event("POST /api/session", VIEWER))
    assert response["statusCode"] == 200
    assert "Set-Cookie" not in response["headers"], "payload 2.0 sets cookies through the cookies list"
    grants = cookies_by_path(response["cookies"])
    assert set(grants) == {"/hls/", "/recordings/"}
    public_pem = signing_key[1]
    host = f"https://{distribution.domain_name}"
    for path, other in (("/hls/", "/recordings/"), ("/recordings/", "/hls/")):
        grant = grants[path]
        assert set(grant["values"]) == set(cookie_signer.COOKIE_NAMES)
        assert {"Secure", "HttpOnly", "SameSite=Strict"} <= grant["attributes"]
        assert 3599 <= grant["max_age"] <= 3600
        assert not any(a.lower().startswith("domain=") for a in grant["attributes"]), "host-only cookies"
        policy = policy_of(grant)
        assert policy.resource == f"{host}{path}*"
        assert policy.expires_at == pytest.approx(time.time() + 3600, abs=5)
        assert verdict(grant["values"], f"{host}{path}abc/0/playlist.m3u8", public_pem)
        refused = verdict(grant["values"], f"{host}{other}abc/0/playlist.m3u8", public_pem)
        assert refused.reason == cookie_signer.REASON_RESOURCE_MISMATCH
        later = verdict(grant["values"], f"{host}{path}x.ts", public_pem, now=policy.expires_at + 1)
        assert later.reason == cookie_signer.REASON_EXPIRED
        elsewhere = verdict(grant["values"], f"https://evil.example{path}x.ts", public_pem)
        assert not elsewhere


def other_grants_urls(host: str, own: str, other: str) -> list[str]:
    """URLs under the other grant's path that try to look like the own grant's: the own
    path in the query string, in a second path segment, encoded, or behind a dot segment."""
    return [
        f"https://{host}{other}abc/0/playlist.m3u8",
        f"https://{host}{other}x?q={own}",
        f"https://{host}{other}x?q={own}abc/0/stream-1.ts",
        f"https://{host}{other}x?q=https://{host}{own}y",
        f"https://{host}{other}x?{own}",
        f"https://{host}{other}x/{own}y",
        f"https://{host}{other}x%2F..%2F{own.strip('/')}%2Fy",
        f"https://{host}{other}..{own}y",
        f"https://{host}{other}",
        f"https://{host}:443{own}x",
        f"https://{host}.evil.example{own}x",
        f"https://evil.example/{host}{own}x",
    ]


@pytest.mark.parametrize(("own", "other"), [("/hls/", "/recordings/"), ("/recordings/", "/hls/")])
def test_a_grant_is_refused_on_every_url_of_the_other(
    key_parameter: str,
    distribution: support.MotoDistribution,
    signing_key: tuple[str, str],
    own: str,
    other: str,
) -> None:
    """issue 10: with "*" for the host, https://*/hls/* also matched
    https://<host>/recordings/x?q=/hls/ (CloudFront matches the whole URL, query included).
    Signed for the distribution's host, neither grant opens the other's URLs."""
    grant = session_grants()[own]["values"]
    host = distribution.domain_name
    assert verdict(grant, f"https://{host}{own}x?q={other}", signing_key[1]), "the control: its own URLs pass"
    for url in other_grants_urls(host, own, other):
        refused = verdict(grant, url, signing_key[1])
        assert refused.reason == cookie_signer.REASON_RESOURCE_MISMATCH, url


def test_a_wildcard_host_would_have_let_the_hls_grant_open_recordings() -> None:
    """Why the host is never "*": the policy the session function signed before issue 10
    matches a recordings URL whose query names /hls/. This keeps the test above honest."""
    attack = "https://d111111abcdef8.cloudfront.net/recordings/x/0/playlist.m3u8?q=/hls/"
    assert cookie_signer.resource_matches("https://*/hls/*", attack)
    assert not cookie_signer.resource_matches("https://d111111abcdef8.cloudfront.net/hls/*", attack)


def test_session_signs_for_the_parameters_host_never_the_requests(
    key_parameter: str, distribution: support.MotoDistribution, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVATECAST_HLS_COOKIE_TTL_SECONDS", "600")
    monkeypatch.setenv("PRIVATECAST_RECORDINGS_COOKIE_TTL_SECONDS", "7200")
    monkeypatch.setenv("PRIVATECAST_PUBLIC_HOST", "*")  # the variable of old: ignored
    grants = session_grants(ADMIN, domain="127.0.0.1:8443")
    assert 599 <= grants["/hls/"]["max_age"] <= 600
    assert 7199 <= grants["/recordings/"]["max_age"] <= 7200
    assert policy_of(grants["/hls/"]).resource == f"https://{distribution.domain_name}/hls/*"
    assert policy_of(grants["/recordings/"]).resource == f"https://{distribution.domain_name}/recordings/*"
    assert policy_of(grants["/hls/"]).expires_at == pytest.approx(time.time() + 600, abs=5)


def test_session_signs_for_the_alias_the_parameter_names(
    key_parameter: str, distribution: support.MotoDistribution
) -> None:
    support.tell_distribution(
        boto3.client("ssm", region_name=support.REGION), distribution.id, "video.example.org"
    )
    lambda_common.distribution.cache_clear()
    assert policy_of(session_grants()["/hls/"]).resource == "https://video.example.org/hls/*"


def test_session_without_the_distribution_parameter_sets_no_cookie(key_parameter: str) -> None:
    response = api_session.handler(support.api_event("POST /api/session", VIEWER))
    assert response["statusCode"] == 503
    assert "cookies" not in response


@pytest.mark.parametrize(
    "host", ["*", "*.cloudfront.net", "d111111abcdef8.cloudfront.ne?", "a.example/hls/", ""]
)
def test_session_refuses_a_wildcard_or_malformed_host(
    key_parameter: str, distribution: support.MotoDistribution, host: str
) -> None:
    support.tell_distribution(boto3.client("ssm", region_name=support.REGION), distribution.id, host)
    lambda_common.distribution.cache_clear()
    with pytest.raises(RuntimeError, match="does not name a distribution"):
        api_session.handler(support.api_event("POST /api/session", VIEWER))
    with pytest.raises(ValueError, match="not a host name"):
        api_session.grant_resource(host, "/hls/")


def test_session_reads_the_distribution_again_after_the_refresh_time(
    key_parameter: str, distribution: support.MotoDistribution, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert policy_of(session_grants()["/hls/"]).resource == f"https://{distribution.domain_name}/hls/*"
    support.tell_distribution(
        boto3.client("ssm", region_name=support.REGION), distribution.id, "video.example.org"
    )
    assert policy_of(session_grants()["/hls/"]).resource == f"https://{distribution.domain_name}/hls/*"
    later = time.monotonic() + lambda_common.DISTRIBUTION_REFRESH_SECONDS + 1
    monkeypatch.setattr(lambda_common.time, "monotonic", lambda: later)
    assert policy_of(session_grants()["/hls/"]).resource == "https://video.example.org/hls/*"


def test_session_reads_the_key_from_ssm_once_per_container(
    key_parameter: str, distribution: support.MotoDistribution
) -> None:
    assert api_session.handler(support.api_event("POST /api/session", VIEWER))["statusCode"] == 200
    boto3.client("ssm", region_name=support.REGION).delete_parameter(Name=key_parameter)
    assert api_session.handler(support.api_event("POST /api/session", VIEWER))["statusCode"] == 200
    api_session.signing_key.cache_clear()  # a new container
    with pytest.raises(Exception, match="ParameterNotFound"):
        api_session.handler(support.api_event("POST /api/session", VIEWER))


def test_session_picks_up_a_rotated_key_after_the_refresh_time(
    key_parameter: str, distribution: support.MotoDistribution, monkeypatch: pytest.MonkeyPatch
) -> None:
    def issued_key_id() -> str:
        response = api_session.handler(support.api_event("POST /api/session", VIEWER))
        return cookies_by_path(response["cookies"])["/hls/"]["values"]["CloudFront-Key-Pair-Id"]

    assert issued_key_id() == KEY_ID
    ssm = boto3.client("ssm", region_name=support.REGION)
    document = json.loads(ssm.get_parameter(Name=key_parameter, WithDecryption=True)["Parameter"]["Value"])
    ssm.put_parameter(
        Name=key_parameter,
        Value=json.dumps({**document, "key_id": "KROTATED"}),
        Type="SecureString",
        Overwrite=True,
    )
    assert issued_key_id() == KEY_ID  # within the refresh time: the cached key
    later = time.monotonic() + api_session.DEFAULT_KEY_REFRESH + 1
    monkeypatch.setattr(api_session.time, "monotonic", lambda: later)
    assert issued_key_id() == "KROTATED"


def test_session_refuses_without_claims_or_group(key_parameter: str) -> None:
    assert api_session.handler(support.api_event("POST /api/session"))["statusCode"] == 401
    refused = api_session.handler(support.api_event("POST /api/session", NOBODY))
    assert refused["statusCode"] == 403
    assert "cookies" not in refused


def test_sign_out_expires_every_cookie_of_both_grants(aws: None) -> None:
    assert api_session.handler(support.api_event("POST /api/signout"))["statusCode"] == 401
    response = api_session.handler(support.api_event("POST /api/signout", VIEWER))
    assert response["statusCode"] == 204
    grants = cookies_by_path(response["cookies"])
    assert set(grants) == {"/hls/", "/recordings/"}
    for grant in grants.values():
        assert grant["values"] == dict.fromkeys(cookie_signer.COOKIE_NAMES, "")
        assert {"Secure", "HttpOnly"} <= grant["attributes"]
        assert grant["max_age"] == 0


# --- recordings -----------------------------------------------------------------------------


def make_recordings(count: int) -> list[str]:
    """count recordings as the archiver leaves them; recording k lasts (k+1) * 100 s, so
    their starts differ. Returns their ids, newest first."""
    ids = [f"rec{k:03d}" for k in range(count)]
    for k, recording in enumerate(ids):
        for variant in ("0", "1"):
            for sequence in range(2):
                key = (
                    f"recordings/{recording}/{variant}/{store.archived_name(sequence, (k + 1) * 50_000_000)}"
                )
                s3().put_object(Bucket=support.BUCKET, Key=key, Body=b"x" * (100 + k))
    store.reconcile(s3(), support.BUCKET, close_after=300)
    return ids  # the shortest (rec000) started last


def list_page(user: dict[str, Any] | None, **query: str) -> dict[str, Any]:
    return api_recordings.handler(support.api_event("GET /api/recordings", user, query=query or None))


def test_recordings_pages_are_newest_first_without_gaps_or_repeats(aws: None) -> None:
    ids = make_recordings(7)
    seen: list[dict[str, Any]] = []
    token = None
    pages = 0
    while True:
        query = {"limit": "3", **({"next": token} if token else {})}
        response = list_page(VIEWER, **query)
        assert response["statusCode"] == 200
        body = support.body_of(response)
        assert len(body["recordings"]) == (3 if body["next"] else 1)
        seen += body["recordings"]
        pages += 1
        token = body["next"]
        if token is None:
            break
    assert pages == 3
    assert [item["id"] for item in seen] == ids
    starts = [item["start"] for item in seen]
    assert starts == sorted(starts, reverse=True)
    first = seen[0]
    assert first["duration"] == 100.0
    assert first["size"] == 4 * 100
    assert first["variants"] == ["0", "1"]
    assert first["playlist"] == "/recordings/rec000/master.m3u8"


def test_recordings_list_refusals_and_bad_input(aws: None) -> None:
    make_recordings(1)
    assert list_page(None)["statusCode"] == 401
    assert list_page(NOBODY)["statusCode"] == 403
    assert list_page(VIEWER, limit="0")["statusCode"] == 400
    assert list_page(VIEWER, limit="many")["statusCode"] == 400
    assert list_page(VIEWER, next="not-a-token")["statusCode"] == 400
    assert support.body_of(list_page(VIEWER)) == {
        "recordings": support.body_of(list_page(ADMIN))["recordings"],
        "next": None,
    }


def delete(user: dict[str, Any] | None, recording: str, request_id: str = "request-1") -> dict[str, Any]:
    event = support.api_event("DELETE /api/recordings/{id}", user, path_parameters={"id": recording})
    event["requestContext"]["requestId"] = request_id
    return api_recordings.handler(event)


def invalidated_paths(distribution_id: str) -> list[list[str]]:
    """The paths of every invalidation of the distribution, oldest first (moto's API)."""
    cloudfront = boto3.client("cloudfront", region_name=support.REGION)
    items = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    batches = [
        cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"]
        for item in sorted(items, key=lambda item: item["CreateTime"])
    ]
    return [batch["InvalidationBatch"]["Paths"]["Items"] for batch in batches]


def test_only_admins_delete_recordings(distribution: support.MotoDistribution) -> None:
    make_recordings(2)
    assert delete(None, "rec000")["statusCode"] == 401
    assert delete(VIEWER, "rec000")["statusCode"] == 403
    assert delete(ADMIN, "../etc")["statusCode"] == 400
    assert delete(ADMIN, "never-was")["statusCode"] == 404
    assert invalidated_paths(distribution.id) == [], "a refused delete invalidates nothing"
    assert delete(ADMIN, "rec000")["statusCode"] == 204
    remaining = support.body_of(list_page(VIEWER))["recordings"]
    assert [item["id"] for item in remaining] == ["rec001"]
    assert not list(store.list_objects(s3(), support.BUCKET, "recordings/rec000/"))
    assert list(store.list_objects(s3(), support.BUCKET, "recordings/rec001/"))


def test_delete_invalidates_the_recording_and_its_live_segments_at_cloudfront(
    distribution: support.MotoDistribution,
) -> None:
    """issue 10: archived segments are cached for a year, so a delete must make CloudFront
    forget them: one invalidation of the recording's paths on the stack's distribution."""
    make_recordings(2)
    assert delete(ADMIN, "rec000", "request-a")["statusCode"] == 204
    expected = ["/recordings/rec000/*", "/hls/0/stream-rec000-*", "/hls/1/stream-rec000-*"]
    assert invalidated_paths(distribution.id) == [expected]
    # Deleting again (as after a failed invalidation) repeats the invalidation: of the
    # recording, and of the live segments of the variants hls/ still has (none here).
    assert delete(ADMIN, "rec000", "request-b")["statusCode"] == 204
    assert invalidated_paths(distribution.id) == [expected, ["/recordings/rec000/*"]]
    assert support.body_of(list_page(VIEWER))["recordings"][0]["id"] == "rec001"


def test_delete_removes_the_sessions_hls_segments_and_nothing_else(
    distribution: support.MotoDistribution,
) -> None:
    """The session's originals under hls/ would stay up to a day (the lifecycle rule);
    another session, even one whose id starts with this one's, and the live playlist stay."""
    make_recordings(1)
    mine = ["hls/0/stream-rec000-1.ts", "hls/0/stream-rec000-2.ts", "hls/2/stream-rec000-7.ts"]
    others = [
        "hls/0/stream.m3u8",
        "hls/0/stream-rec000-x-3.ts",
        "hls/0/stream-rec0001-4.ts",
        "hls/2/stream-other-1.ts",
        "hls/0/stream-rec000-5.ts.bak",
    ]
    for key in mine + others:
        s3().put_object(Bucket=support.BUCKET, Key=key, Body=b"x")
    assert delete(ADMIN, "rec000")["statusCode"] == 204
    left = sorted(obj["Key"] for obj in store.list_objects(s3(), support.BUCKET, "hls/"))
    assert left == sorted(others)
    (paths,) = invalidated_paths(distribution.id)
    assert paths == [
        "/recordings/rec000/*",
        "/hls/0/stream-rec000-*",
        "/hls/1/stream-rec000-*",
        "/hls/2/stream-rec000-*",
    ]


def test_a_session_only_left_under_hls_can_be_deleted(distribution: support.MotoDistribution) -> None:
    s3().put_object(Bucket=support.BUCKET, Key="hls/0/stream-live1-1.ts", Body=b"x")
    assert delete(ADMIN, "live1")["statusCode"] == 204
    assert not list(store.list_objects(s3(), support.BUCKET, "hls/0/stream-live1-"))
    assert invalidated_paths(distribution.id) == [["/recordings/live1/*", "/hls/0/stream-live1-*"]]


def test_delete_without_the_distribution_parameter_deletes_nothing(aws: None) -> None:
    make_recordings(1)
    response = delete(ADMIN, "rec000")
    assert response["statusCode"] == 503
    assert [item["id"] for item in support.body_of(list_page(VIEWER))["recordings"]] == ["rec000"]
    assert list(store.list_objects(s3(), support.BUCKET, "recordings/rec000/"))


def test_delete_and_invalidate_through_a_moto_server(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler as the local edge runs it: its clients go to a moto server over HTTP
    (PRIVATECAST_AWS_ENDPOINT_URL), and the invalidation is read back from the server."""
    for name, value in {"AWS_REGION": support.REGION, "PRIVATECAST_STACK": support.STACK}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PRIVATECAST_BUCKET", support.BUCKET)
    monkeypatch.setenv("PRIVATECAST_AWS_ENDPOINT_URL", moto.url)
    lambda_common.reset_clients()
    try:
        moto.client("s3").create_bucket(Bucket=support.BUCKET)
        created = support.create_distribution(moto.client("cloudfront"))
        support.tell_distribution(moto.client("ssm"), created.id, created.domain_name)
        for key in ("recordings/rec9/0/00000000_2000000.ts", "hls/0/stream-rec9-3.ts"):
            moto.client("s3").put_object(Bucket=support.BUCKET, Key=key, Body=b"x")
        assert delete(ADMIN, "rec9")["statusCode"] == 204
        listing = moto.client("cloudfront").list_invalidations(DistributionId=created.id)["InvalidationList"]
        assert listing["Quantity"] == 1
        batch = moto.client("cloudfront").get_invalidation(
            DistributionId=created.id, Id=listing["Items"][0]["Id"]
        )
        assert batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == [
            "/recordings/rec9/*",
            "/hls/0/stream-rec9-*",
        ]
        assert moto.client("s3").list_objects_v2(Bucket=support.BUCKET).get("KeyCount") == 1  # the index
    finally:
        lambda_common.reset_clients()
