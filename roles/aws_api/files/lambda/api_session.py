"""Session Lambda: POST /api/session sets CloudFront signed cookies for /hls/* and
/recordings/* (two grants, each with its own Path and lifetime); POST /api/signout
expires them. The signing key is read from SSM once per container and read again after
PRIVATECAST_SIGNING_KEY_REFRESH_SECONDS (default 300), so a key rotation or revocation
reaches warm containers within that time instead of when they happen to be recycled.

Cookies are host-only (no Domain): the browser keeps them for the host it talked to,
the CloudFront name. The signed policy names that host too, never a wildcard: CloudFront
matches a policy's Resource against the whole URL, query string included, so with "*" for
the host "https://*/hls/*" would also grant "https://<host>/recordings/x?q=/hls/". Behind
CloudFront requestContext.domainName is API Gateway's own name, so the host comes from the
distribution's SSM parameter, which the playbook writes once the distribution exists
(lambda_common.distribution; see README.md)."""

from __future__ import annotations

import json
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


def grant_resource(host: str, path: str) -> str:
    """The policy's Resource for one grant: every URL under path on this one host."""
    if not common.HOST_NAME.fullmatch(host):
        raise ValueError(f"not a host name to sign for: {host!r}")
    return f"https://{host}{path}*"


def start_session(event: dict[str, Any]) -> dict[str, Any]:
    common.require_viewer(event)
    key_id, private_key = signing_key()
    host = common.distribution().host
    cookies: list[str] = []
    expires: dict[str, int] = {}
    for path, ttl_variable in GRANTS:
        lifetime = common.env_seconds(ttl_variable, DEFAULT_TTL)
        resource = grant_resource(host, path)
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
