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


def test_session_cookies_grant_their_own_path_only(
    key_parameter: str, signing_key: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVATECAST_PUBLIC_HOST", support.PUBLIC_HOST)
    response = api_session.handler(support.api_event("POST /api/session", VIEWER))
    assert response["statusCode"] == 200
    assert "Set-Cookie" not in response["headers"], "payload 2.0 sets cookies through the cookies list"
    grants = cookies_by_path(response["cookies"])
    assert set(grants) == {"/hls/", "/recordings/"}
    public_pem = signing_key[1]
    host = f"https://{support.PUBLIC_HOST}"
    for path, other in (("/hls/", "/recordings/"), ("/recordings/", "/hls/")):
        grant = grants[path]
        assert set(grant["values"]) == set(cookie_signer.COOKIE_NAMES)
        assert {"Secure", "HttpOnly", "SameSite=Strict"} <= grant["attributes"]
        assert 3599 <= grant["max_age"] <= 3600
        assert not any(a.lower().startswith("domain=") for a in grant["attributes"]), "host-only cookies"
        policy = cookie_signer.Policy.from_json(
            cookie_signer.cloudfront_b64decode(grant["values"]["CloudFront-Policy"])
        )
        assert policy.resource == f"{host}{path}*"
        assert policy.expires_at == pytest.approx(time.time() + 3600, abs=5)
        assert verdict(grant["values"], f"{host}{path}abc/0/playlist.m3u8", public_pem)
        refused = verdict(grant["values"], f"{host}{other}abc/0/playlist.m3u8", public_pem)
        assert refused.reason == cookie_signer.REASON_RESOURCE_MISMATCH
        later = verdict(grant["values"], f"{host}{path}x.ts", public_pem, now=policy.expires_at + 1)
        assert later.reason == cookie_signer.REASON_EXPIRED
        elsewhere = verdict(grant["values"], f"https://evil.example{path}x.ts", public_pem)
        assert not elsewhere


def test_session_lifetimes_are_configurable_and_host_defaults_to_the_request(
    key_parameter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVATECAST_HLS_COOKIE_TTL_SECONDS", "600")
    monkeypatch.setenv("PRIVATECAST_RECORDINGS_COOKIE_TTL_SECONDS", "7200")
    event = support.api_event("POST /api/session", ADMIN, domain="127.0.0.1:8443")
    grants = cookies_by_path(api_session.handler(event)["cookies"])
    assert 599 <= grants["/hls/"]["max_age"] <= 600
    assert 7199 <= grants["/recordings/"]["max_age"] <= 7200
    policy_cookie = grants["/hls/"]["values"]["CloudFront-Policy"]
    policy = cookie_signer.Policy.from_json(cookie_signer.cloudfront_b64decode(policy_cookie))
    assert policy.resource == "https://127.0.0.1:8443/hls/*"
    assert policy.expires_at == pytest.approx(time.time() + 600, abs=5)


def test_session_reads_the_key_from_ssm_once_per_container(key_parameter: str) -> None:
    assert api_session.handler(support.api_event("POST /api/session", VIEWER))["statusCode"] == 200
    boto3.client("ssm", region_name=support.REGION).delete_parameter(Name=key_parameter)
    assert api_session.handler(support.api_event("POST /api/session", VIEWER))["statusCode"] == 200
    api_session.signing_key.cache_clear()  # a new container
    with pytest.raises(Exception, match="ParameterNotFound"):
        api_session.handler(support.api_event("POST /api/session", VIEWER))


def test_session_picks_up_a_rotated_key_after_the_refresh_time(
    key_parameter: str, monkeypatch: pytest.MonkeyPatch
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


def test_only_admins_delete_recordings(aws: None) -> None:
    make_recordings(2)

    def delete(user: dict[str, Any] | None, recording: str) -> int:
        event = support.api_event("DELETE /api/recordings/{id}", user, path_parameters={"id": recording})
        return api_recordings.handler(event)["statusCode"]

    assert delete(None, "rec000") == 401
    assert delete(VIEWER, "rec000") == 403
    assert delete(ADMIN, "rec000") == 204
    assert delete(ADMIN, "rec000") == 404
    assert delete(ADMIN, "../etc") == 400
    remaining = support.body_of(list_page(VIEWER))["recordings"]
    assert [item["id"] for item in remaining] == ["rec001"]
    assert not list(store.list_objects(s3(), support.BUCKET, "recordings/rec000/"))
    assert list(store.list_objects(s3(), support.BUCKET, "recordings/rec001/"))
