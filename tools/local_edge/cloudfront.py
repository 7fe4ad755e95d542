"""CloudFront's rules, as pure functions over the AWS API shapes (GetDistributionConfig,
GetResponseHeadersPolicy). Sources: Amazon CloudFront Developer Guide,
  distribution-web-values-specify.html  "Path pattern", "Default root object",
                                        "Allowed HTTP methods"
  DefaultRootObject.html                (the root only, never subdirectories)
  understanding-response-headers-policies.html, using-managed-response-headers-policies.html
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from tools.local_edge.http_types import Response

# <bucket>.s3.<region>.amazonaws.com (regional) or <bucket>.s3.amazonaws.com (legacy global).
S3_ORIGIN_DOMAIN = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]+)\.s3(\.(?P<region>[a-z0-9-]+))?\.amazonaws\.com$"
)


@lru_cache(maxsize=256)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    # "*" matches 0 or more characters (including "/"), "?" exactly one character; every
    # other character literally. Patterns are case sensitive. A pattern written without
    # its leading "/" means the same as with it.
    if not pattern.startswith("/") and pattern != "*":
        pattern = "/" + pattern
    parts = [".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern]
    return re.compile("".join(parts), re.DOTALL)


def path_matches(pattern: str, path: str) -> bool:
    """CloudFront's path pattern match, against the URI path without the query string."""
    return _pattern_regex(pattern).fullmatch(path) is not None


def select_behaviour(config: dict[str, Any], path: str) -> dict[str, Any]:
    """The first ordered cache behaviour whose pattern matches, else the default one.

    CloudFront compares the request with the path patterns in the order the behaviours
    are listed and stops at the first match; the default behaviour (pattern "*") is last.
    """
    for behaviour in (config.get("CacheBehaviors") or {}).get("Items") or []:
        if path_matches(behaviour["PathPattern"], path):
            return behaviour
    return {**config["DefaultCacheBehavior"], "PathPattern": "*"}


def with_default_root_object(config: dict[str, Any], path: str) -> str:
    """The root URL ("/") names the default root object; nothing else does.

    CloudFront answers only a request for the distribution's root with the default root
    object; a request for a subdirectory ("/images/") is passed on as it is. The edge
    selects the behaviour with the rewritten path, as CloudFront does.
    """
    root_object = config.get("DefaultRootObject") or ""
    if path == "/" and root_object:
        return "/" + root_object.lstrip("/")
    return path


def origin_of(config: dict[str, Any], behaviour: dict[str, Any]) -> dict[str, Any]:
    for origin in config["Origins"]["Items"]:
        if origin["Id"] == behaviour["TargetOriginId"]:
            return origin
    raise LookupError(
        f"behaviour {behaviour.get('PathPattern')} targets unknown origin {behaviour['TargetOriginId']}"
    )


def allowed_methods(behaviour: dict[str, Any]) -> list[str]:
    return list((behaviour.get("AllowedMethods") or {}).get("Items") or ["GET", "HEAD"])


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str


def s3_location(origin: dict[str, Any], path: str) -> S3Location | None:
    """Bucket and key for a request path on an S3 origin: the origin path comes first, and
    S3 decodes the percent-encoding of the path into the key. None if not an S3 origin."""
    if "S3OriginConfig" not in origin:
        return None
    match = S3_ORIGIN_DOMAIN.match(origin["DomainName"])
    if match is None:
        return None
    full_path = (origin.get("OriginPath") or "").rstrip("/") + path
    return S3Location(bucket=match.group("bucket"), key=unquote(full_path).lstrip("/"))


def viewer_host(config: dict[str, Any], domain_name: str, host_header: str) -> str:
    """The host of the URL CloudFront matches a signed policy's Resource against.

    CloudFront answers only for its own names (its domain and its aliases), so the URL
    names one of them: the Host the viewer sent. The edge is reached on a loopback address
    and stands in for the distribution's domain; a Host naming an alias keeps the alias.
    """
    name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    aliases = (config.get("Aliases") or {}).get("Items") or []
    for known in [domain_name, *aliases]:
        if name.lower() == known.lower():
            return known
    return domain_name


def trusted_key_groups(behaviour: dict[str, Any]) -> list[str]:
    groups = behaviour.get("TrustedKeyGroups") or {}
    return list(groups.get("Items") or []) if groups.get("Enabled") else []


# --- responses ------------------------------------------------------------------------


def edge_headers() -> list[tuple[str, str]]:
    """Headers CloudFront adds to every response (no cache here: always a miss)."""
    request_id = secrets.token_urlsafe(42)[:56]
    return [
        ("Via", "1.1 local-edge.cloudfront.net (CloudFront)"),
        ("X-Amz-Cf-Pop", "LOCAL"),
        ("X-Amz-Cf-Id", request_id),
    ]


def error_response(status: int, code: str, message: str, *, server: str = "CloudFront") -> Response:
    """An error as CloudFront (server CloudFront) or S3 behind it (server AmazonS3) writes it."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    ).encode()
    headers = [
        ("Content-Type", "application/xml"),
        ("Server", server),
        ("X-Cache", "Error from cloudfront"),
    ]
    return Response(status=status, headers=headers, body=body)


def method_not_allowed() -> Response:
    # CloudFront refuses a method the behaviour does not allow with 403.
    return error_response(
        403,
        "MethodNotAllowed",
        "This distribution is not configured to allow the HTTP request method that was used for this "
        "request.",
    )


# --- response headers policies --------------------------------------------------------

# AWS managed policies, in GetResponseHeadersPolicy's shape (using-managed-response-headers-policies.html).
MANAGED_RESPONSE_HEADERS_POLICIES: dict[str, dict[str, Any]] = {
    # SecurityHeadersPolicy
    "67f7725c-6f97-4210-82d7-5512b31e9d03": {
        "Name": "Managed-SecurityHeadersPolicy",
        "SecurityHeadersConfig": {
            "XSSProtection": {"Override": False, "Protection": True, "ModeBlock": True},
            "FrameOptions": {"Override": False, "FrameOption": "SAMEORIGIN"},
            "ReferrerPolicy": {"Override": False, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            "ContentTypeOptions": {"Override": True},
            "StrictTransportSecurity": {
                "Override": False,
                "IncludeSubdomains": False,
                "Preload": False,
                "AccessControlMaxAgeSec": 31536000,
            },
        },
    },
}


@dataclass(frozen=True)
class HeaderRule:
    name: str
    value: str
    override: bool


class UnsupportedPolicy(ValueError):
    """A part of a response headers policy the edge does not implement: it refuses loudly
    instead of serving responses without it."""


def _xss_value(config: dict[str, Any]) -> str:
    if not config.get("Protection"):
        return "0"
    value = "1"
    if config.get("ModeBlock"):
        value += "; mode=block"
    if config.get("ReportUri"):
        value += f"; report={config['ReportUri']}"
    return value


def _hsts_value(config: dict[str, Any]) -> str:
    value = f"max-age={int(config['AccessControlMaxAgeSec'])}"
    if config.get("IncludeSubdomains"):
        value += "; includeSubDomains"
    if config.get("Preload"):
        value += "; preload"
    return value


def _security_rules(security: dict[str, Any]) -> list[HeaderRule]:
    builders = {
        "XSSProtection": ("X-XSS-Protection", _xss_value),
        "FrameOptions": ("X-Frame-Options", lambda c: c["FrameOption"]),
        "ReferrerPolicy": ("Referrer-Policy", lambda c: c["ReferrerPolicy"]),
        "ContentSecurityPolicy": ("Content-Security-Policy", lambda c: c["ContentSecurityPolicy"]),
        "ContentTypeOptions": ("X-Content-Type-Options", lambda _c: "nosniff"),
        "StrictTransportSecurity": ("Strict-Transport-Security", _hsts_value),
    }
    rules = []
    for key, (header, build) in builders.items():
        if key in security and security[key] is not None:
            rules.append(HeaderRule(header, build(security[key]), bool(security[key].get("Override"))))
    return rules


def policy_rules(policy_config: dict[str, Any]) -> tuple[list[HeaderRule], list[str]]:
    """(headers to add, headers to remove) of a ResponseHeadersPolicyConfig."""
    if policy_config.get("CorsConfig"):
        raise UnsupportedPolicy("CorsConfig of a response headers policy is not implemented by the edge")
    if (policy_config.get("ServerTimingHeadersConfig") or {}).get("Enabled"):
        raise UnsupportedPolicy("ServerTimingHeadersConfig is not implemented by the edge")
    rules = _security_rules(policy_config.get("SecurityHeadersConfig") or {})
    for custom in (policy_config.get("CustomHeadersConfig") or {}).get("Items") or []:
        rules.append(HeaderRule(custom["Header"], custom["Value"], bool(custom.get("Override"))))
    removed = [item["Header"] for item in (policy_config.get("RemoveHeadersConfig") or {}).get("Items") or []]
    return rules, removed


def apply_policy(response: Response, policy_config: dict[str, Any]) -> None:
    """Add the policy's headers: with Override the policy's value wins, without it the
    origin's header (if any) is kept. Removed headers go."""
    rules, removed = policy_rules(policy_config)
    for name in removed:
        response.headers = [(key, value) for key, value in response.headers if key.lower() != name.lower()]
    for rule in rules:
        if rule.override or not response.has_header(rule.name):
            response.set_header(rule.name, rule.value)
