"""Hostile requests through the local edge, each answered as CloudFront and API Gateway
answer them: video without valid signed cookies is 403, the API without a valid token
is 401 before any function runs, and viewers cannot do what only admins may."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from importlib import resources
from typing import Any

import jwt
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import expect

from tests.e2e.conftest import NewContext
from tests.support.local_stack import EDGE_URL, STACK, LocalStack, edge_request

VIEWER = "viewer@example.com"
ADMIN = "admin@example.com"


def session_cookies(access_token: str) -> dict[str, dict[str, str]]:
    """POST /api/session; the three cookies of each grant, by the grant's Path."""
    answer = edge_request("/api/session", "POST", {"Authorization": f"Bearer {access_token}"})
    assert answer.status == 200, answer.body
    grants: dict[str, dict[str, str]] = {}
    for header in answer.headers.get_all("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            grants.setdefault(morsel["path"], {})[name] = morsel.value
    return grants


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


@pytest.fixture(scope="module")
def viewer_token(local_stack: LocalStack) -> str:
    return local_stack.tokens(VIEWER, local_stack.demo_password(VIEWER))["AccessToken"]


@pytest.fixture(scope="module")
def grants(viewer_token: str) -> dict[str, dict[str, str]]:
    return session_cookies(viewer_token)


@pytest.fixture(scope="module")
def segment_path(local_stack: LocalStack) -> str:
    """A segment Owncast uploaded (scripts/up's camera push leaves some under hls/)."""
    objects = local_stack.client("s3").list_objects_v2(Bucket=local_stack.bucket, Prefix="hls/")
    segments = [item["Key"] for item in objects.get("Contents", []) if item["Key"].endswith(".ts")]
    assert segments, "no segment under hls/: scripts/up's camera push did not reach the bucket"
    return "/" + segments[0]


@pytest.fixture(scope="module")
def signing_key(local_stack: LocalStack) -> tuple[str, Any]:
    """The stack's signing key, read from SSM as the session function reads it."""
    parameter = local_stack.client("ssm").get_parameter(
        Name=f"/privatecast/{STACK}/cloudfront/signing-key", WithDecryption=True
    )
    document = json.loads(parameter["Parameter"]["Value"])
    return document["key_id"], cookie_signer.load_private_key(document["private_key_pem"])


def signed(resource: str, key_id: str, private_key: Any, expires_at: float) -> dict[str, str]:
    policy = cookie_signer.Policy(resource=resource, expires_at=int(expires_at))
    return cookie_signer.signed_cookies(policy, key_id, private_key)


def test_valid_cookies_fetch_a_segment(grants: dict[str, dict[str, str]], segment_path: str) -> None:
    """The control: the refusals below mean something only if valid cookies work."""
    answer = edge_request(segment_path, headers=cookie_header(grants["/hls/"]))
    assert answer.status == 200
    assert answer.body[:1] == b"\x47"  # an MPEG-TS packet starts with the sync byte


def test_segment_without_cookies_is_refused(segment_path: str) -> None:
    assert edge_request(segment_path).status == 403


@pytest.fixture(scope="module")
def viewer_host(local_stack: LocalStack) -> str:
    """The host the cookies name: the distribution's domain (the edge stands in for it)."""
    return local_stack.distribution["DomainName"]


@pytest.fixture(scope="module")
def recording_path(local_stack: LocalStack) -> str:
    """A recording's playlist the archiver made from scripts/up's camera push."""
    objects = local_stack.client("s3").list_objects_v2(Bucket=local_stack.bucket, Prefix="recordings/")
    playlists = [item["Key"] for item in objects.get("Contents", []) if item["Key"].endswith("/master.m3u8")]
    assert playlists, "no recording: the archiver did not archive scripts/up's camera push"
    return "/" + playlists[0]


def test_the_session_signs_for_the_distributions_host(
    grants: dict[str, dict[str, str]], viewer_host: str
) -> None:
    for path, grant in grants.items():
        policy = cookie_signer.Policy.from_json(
            cookie_signer.cloudfront_b64decode(grant["CloudFront-Policy"])
        )
        assert policy.resource == f"https://{viewer_host}{path}*"


def test_signed_for_the_host_and_in_time_is_the_control(
    segment_path: str, signing_key: tuple[str, Any], viewer_host: str
) -> None:
    """The control for the expired case: the same cookie, still valid, is accepted."""
    key_id, private_key = signing_key
    cookies = signed(f"https://{viewer_host}/hls/*", key_id, private_key, time.time() + 60)
    assert edge_request(segment_path, headers=cookie_header(cookies)).status == 200


def test_segment_with_expired_cookies_is_refused(
    segment_path: str, signing_key: tuple[str, Any], viewer_host: str
) -> None:
    key_id, private_key = signing_key
    cookies = signed(f"https://{viewer_host}/hls/*", key_id, private_key, time.time() - 5)
    assert edge_request(segment_path, headers=cookie_header(cookies)).status == 403


@pytest.mark.parametrize("query", ["", "?q=/hls/", "?/hls/", "?u=https://HOST/hls/x"])
def test_the_hls_grant_does_not_open_a_recording(
    grants: dict[str, dict[str, str]], recording_path: str, viewer_host: str, query: str
) -> None:
    """issue 10: a policy for https://*/hls/* matched /recordings/x?q=/hls/. The control:
    the recordings grant opens the same URL."""
    url = recording_path + query.replace("HOST", viewer_host)
    assert edge_request(url, headers=cookie_header(grants["/recordings/"])).status == 200
    assert edge_request(url, headers=cookie_header(grants["/hls/"])).status == 403


@pytest.mark.parametrize("cookie", ["CloudFront-Policy", "CloudFront-Signature"])
def test_segment_with_tampered_cookies_is_refused(
    grants: dict[str, dict[str, str]], segment_path: str, cookie: str
) -> None:
    cookies = dict(grants["/hls/"])
    value = cookies[cookie]
    cookies[cookie] = value[:10] + ("A" if value[10] != "A" else "B") + value[11:]
    assert edge_request(segment_path, headers=cookie_header(cookies)).status == 403


def test_segment_with_another_paths_cookies_is_refused(
    grants: dict[str, dict[str, str]], segment_path: str
) -> None:
    """The /recordings/ grant does not open /hls/."""
    assert edge_request(segment_path, headers=cookie_header(grants["/recordings/"])).status == 403


def test_segment_with_a_key_outside_the_key_group_is_refused(
    local_stack: LocalStack, segment_path: str
) -> None:
    """A key CloudFront knows but the key group no longer (or never) trusts: as after a
    revoking rotation."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    created = local_stack.client("cloudfront").create_public_key(
        PublicKeyConfig={
            "CallerReference": str(time.time()),
            "Name": "e2e-untrusted",
            "EncodedKey": public_pem,
        }
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cookies = signed(
        f"https://{local_stack.distribution['DomainName']}/hls/*",
        created["PublicKey"]["Id"],
        cookie_signer.load_private_key(private_pem),
        time.time() + 600,
    )
    assert edge_request(segment_path, headers=cookie_header(cookies)).status == 403


# --- the API: no valid token, no function -------------------------------------------


def moto_signing_key() -> dict[str, Any]:
    """moto's well-known Cognito signing key (it signs every moto token); a test can mint
    tokens that differ from a real one only in the claim under test."""
    data = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


def mint(claims: dict[str, Any], key: Any, kid: str) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def real_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def forged(claims: dict[str, Any]) -> str:
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return mint(claims, own_key, "dummy")


def with_moto_key(claims: dict[str, Any]) -> str:
    jwk = moto_signing_key()
    return mint(claims, jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk)), jwk["kid"])


TOKEN_CASES: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "no token": lambda _claims: None,
    "forged signature": forged,
    "wrong audience": lambda claims: with_moto_key({**claims, "client_id": "someone-else"}),
    "expired": lambda claims: with_moto_key({**claims, "iat": time.time() - 7200, "exp": time.time() - 3600}),
}


@pytest.mark.parametrize("case", sorted(TOKEN_CASES))
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/status"), ("POST", "/api/session")])
def test_api_refuses_bad_tokens_before_any_function_runs(
    local_stack: LocalStack, viewer_token: str, case: str, method: str, path: str
) -> None:
    token = TOKEN_CASES[case](real_claims(viewer_token))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    invocations_before = local_stack.invocations()
    answer = edge_request(path, method, headers)
    assert answer.status == 401
    assert answer.json() == {"message": "Unauthorized"}
    assert local_stack.invocations() == invocations_before, "a function ran for an unauthorised request"


def test_minted_token_control(local_stack: LocalStack, viewer_token: str) -> None:
    """The control for the cases above: a token minted the same way with unchanged claims
    is accepted, so each refusal is due to the claim under test."""
    answer = edge_request(
        "/api/status", headers={"Authorization": f"Bearer {with_moto_key(real_claims(viewer_token))}"}
    )
    assert answer.status == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/servers/start"), ("POST", "/api/servers/stop"), ("DELETE", "/api/recordings/anything")],
)
def test_viewer_cannot_act_as_admin(viewer_token: str, method: str, path: str) -> None:
    answer = edge_request(path, method, {"Authorization": f"Bearer {viewer_token}"})
    assert answer.status == 403
    assert answer.json() == {"message": "not allowed"}


def test_unknown_api_route_is_404(viewer_token: str) -> None:
    answer = edge_request("/api/nothing-here", headers={"Authorization": f"Bearer {viewer_token}"})
    assert answer.status == 404


def test_wrong_password_is_refused_at_sign_in(local_stack: LocalStack, new_context: NewContext) -> None:
    """As in AWS, a wrong password gets no tokens (moto's SRP is made to check the proof,
    tests/support/moto_gaps_cognito.py)."""
    page = new_context().new_page()
    page.goto(EDGE_URL)
    page.get_by_label("E-mail address").fill(VIEWER)
    page.get_by_label("Password", exact=True).fill(local_stack.demo_password(VIEWER) + "x")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("password")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    stored = page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith('Token'))")
    assert stored == []


def test_page_is_served_with_the_strict_content_security_policy() -> None:
    """The distribution's response headers policy, as the edge applies it from moto."""
    answer = edge_request("/")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    policy = dict(
        directive.strip().split(" ", 1) for directive in answer.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self' http://127.0.0.1:5055"
    assert policy["frame-ancestors"] == "'none'"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    config = edge_request("/config.json")
    assert config.headers["Cache-Control"] == "no-cache"
    assert config.json()["cognitoEndpoint"] == "http://127.0.0.1:5055/"


def test_origin_answers_as_s3_behind_cloudfront(grants: dict[str, dict[str, str]], segment_path: str) -> None:
    """A missing object is 403 (the OAC has no ListBucket); the default behaviour takes GET
    and HEAD only; video players' Range and revalidation requests work."""
    assert edge_request("/missing.html").status == 403
    assert edge_request("/", "POST", body=b"x").status == 403
    cookies = cookie_header(grants["/hls/"])
    whole = edge_request(segment_path, headers=cookies)
    ranged = edge_request(segment_path, headers={**cookies, "Range": "bytes=0-187"})
    assert ranged.status == 206
    assert ranged.body == whole.body[:188]
    assert ranged.headers["Content-Range"] == f"bytes 0-187/{len(whole.body)}"
    again = edge_request(segment_path, headers={**cookies, "If-None-Match": whole.headers["ETag"]})
    assert again.status == 304
    assert whole.headers["Strict-Transport-Security"].startswith("max-age=31536000")


HOSTILE_PAGE = b"<!doctype html><script>document.title = 'owned'</script>"


@pytest.mark.parametrize("key", ["hls/x.html", "hls/0/x.html"])
def test_an_html_object_under_hls_is_not_served(
    local_stack: LocalStack, grants: dict[str, dict[str, str]], key: str
) -> None:
    """Issue 10: what a stolen Owncast key could once write (now refused by its policy,
    tests/unit/test_role_policies.py) is not served from the page's host even when it is
    in the bucket: the video behaviours serve playlists and segments only, the rest falls
    to the page's origin (web/), where no such object is."""
    s3 = local_stack.client("s3")
    s3.put_object(Bucket=local_stack.bucket, Key=key, Body=HOSTILE_PAGE, ContentType="text/html")
    try:
        for headers in ({}, cookie_header(grants["/hls/"])):
            answer = edge_request(f"/{key}", headers=headers)
            assert answer.status == 403
            assert b"owned" not in answer.body
            assert not answer.headers.get("Content-Type", "").startswith("text/html")
    finally:
        s3.delete_object(Bucket=local_stack.bucket, Key=key)


def test_video_is_served_with_nosniff(grants: dict[str, dict[str, str]], segment_path: str) -> None:
    answer = edge_request(segment_path, headers=cookie_header(grants["/hls/"]))
    assert answer.status == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
