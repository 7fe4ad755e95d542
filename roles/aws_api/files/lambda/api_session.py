"""Session Lambda: POST /api/session sets CloudFront signed cookies for /hls/* and
/recordings/* (two grants, each with its own Path and lifetime); POST /api/signout
expires them. The signing key is read from SSM once per container and read again after
PRIVATECAST_SIGNING_KEY_REFRESH_SECONDS (default 300), so a key rotation or revocation
reaches warm containers within that time instead of when they happen to be recycled.

Cookies are host-only (no Domain): the browser keeps them for the host it talked to,
the CloudFront name. The signed policy must name that host too, and behind CloudFront
requestContext.domainName is API Gateway's own name, so PRIVATECAST_PUBLIC_HOST wins
when set (see README.md)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import cookie_signer as signer
import lambda_common as common

GRANTS = (
    ("/hls/", "PRIVATECAST_HLS_COOKIE_TTL_SECONDS"),
    ("/recordings/", "PRIVATECAST_RECORDINGS_COOKIE_TTL_SECONDS"),
)
DEFAULT_TTL = 3600
DEFAULT_KEY_REFRESH = 300
HOST_PATTERN = re.compile(r"^(\*|[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")


def signing_key_parameter() -> str:
    default = f"/privatecast/{common.stack_name()}/cloudfront/signing-key"
    return common.env("PRIVATECAST_SIGNING_KEY_PARAMETER", default)


class SigningKeyCache:
    """(CloudFront public key id, parsed private key) from SSM, kept for the refresh time."""

    def __init__(self) -> None:
        self._loaded_at = 0.0
        self._key: tuple[str, Any] | None = None

    def __call__(self) -> tuple[str, Any]:
        refresh = common.env_seconds("PRIVATECAST_SIGNING_KEY_REFRESH_SECONDS", DEFAULT_KEY_REFRESH)
        if self._key is None or time.monotonic() - self._loaded_at >= refresh:
            self._key = self._load()
            self._loaded_at = time.monotonic()
        return self._key

    @staticmethod
    def _load() -> tuple[str, Any]:
        response = common.client("ssm").get_parameter(Name=signing_key_parameter(), WithDecryption=True)
        document = json.loads(response["Parameter"]["Value"])
        return document["key_id"], signer.load_private_key(document["private_key_pem"])

    def cache_clear(self) -> None:
        self._key = None


signing_key = SigningKeyCache()


def public_host(event: dict[str, Any]) -> str:
    request_host = (event.get("requestContext") or {}).get("domainName", "")
    host = common.env("PRIVATECAST_PUBLIC_HOST", "") or request_host
    if not HOST_PATTERN.match(host or ""):
        raise common.HttpError(500, "the public host name is not configured")
    return host


def start_session(event: dict[str, Any]) -> dict[str, Any]:
    common.require_viewer(event)
    key_id, private_key = signing_key()
    host = public_host(event)
    cookies: list[str] = []
    expires: dict[str, int] = {}
    for path, ttl_variable in GRANTS:
        lifetime = common.env_seconds(ttl_variable, DEFAULT_TTL)
        resource = f"https://{host}{path}*"
        cookies += signer.issue_cookie_headers(resource, key_id, private_key, lifetime, path=path)
        expires[path.strip("/")] = lifetime
    return common.json_response(200, {"lifetimes": expires}, cookies=cookies)


def sign_out(event: dict[str, Any]) -> dict[str, Any]:
    common.require_signed_in(event)
    cookies = [header for path, _lifetime_variable in GRANTS for header in signer.sign_out_headers(path=path)]
    return common.empty_response(204, cookies=cookies)


ROUTES = {
    "POST /api/session": start_session,
    "POST /api/signout": sign_out,
}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
