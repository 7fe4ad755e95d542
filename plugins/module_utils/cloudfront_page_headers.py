# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The response headers policy of the viewer page: a strict Content-Security-Policy and the
security headers of CloudFront's managed SecurityHeadersPolicy, tightened.  Pure functions
(no AWS calls), so they are unit-tested alone.

The page (a static single-page app) talks to its own host (page, /api, video) and to
Cognito's IdP endpoint only; hls.js plays through Media Source Extensions (blob: media)
and may run its demuxer in a blob: worker; the TOTP enrolment QR code is a data: image.
"""

from __future__ import absolute_import, annotations, division, print_function

from urllib.parse import urlsplit

# The Content-Security-Policy, one directive a line.  connect-src gets the origins the
# page calls beyond its own host (Cognito's endpoint) appended in the given order.
CSP_DIRECTIVES = (
    ("default-src", ("'none'",)),
    ("script-src", ("'self'",)),
    ("style-src", ("'self'",)),
    ("img-src", ("'self'", "data:")),
    ("media-src", ("'self'", "blob:")),
    ("connect-src", ("'self'",)),
    ("worker-src", ("'self'", "blob:")),
    ("manifest-src", ("'self'",)),
    ("base-uri", ("'none'",)),
    ("form-action", ("'none'",)),
    ("frame-ancestors", ("'none'",)),
)
CONNECT_DIRECTIVE = "connect-src"
# CloudFront refuses a longer Content-Security-Policy value.
CSP_MAX_LENGTH = 1783

# CloudFront's managed SecurityHeadersPolicy (67f7725c-6f97-4210-82d7-5512b31e9d03) sends
# HSTS max-age=31536000, nosniff, X-Frame-Options SAMEORIGIN, Referrer-Policy
# strict-origin-when-cross-origin and X-XSS-Protection "1; mode=block" (Amazon CloudFront
# Developer Guide, using-managed-response-headers-policies.html).  The page's policy keeps
# them, adds includeSubDomains to HSTS, refuses every frame (DENY, as frame-ancestors
# 'none'), and overrides whatever an origin sends.
HSTS_MAX_AGE_SECONDS = 31536000
SECURITY_HEADERS = {
    "StrictTransportSecurity": {
        "Override": True,
        "AccessControlMaxAgeSec": HSTS_MAX_AGE_SECONDS,
        "IncludeSubdomains": True,
        "Preload": False,
    },
    "ContentTypeOptions": {"Override": True},
    "FrameOptions": {"Override": True, "FrameOption": "DENY"},
    "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
    "XSSProtection": {"Override": True, "Protection": True, "ModeBlock": True},
}


def origin_of(url: str) -> str:
    """The origin (scheme://host[:port]) of an http(s) URL, as a CSP source names it."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL, got {url!r}")
    host = parts.hostname
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default_port = {"https": 443, "http": 80}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(connect_origins: list[str] | tuple[str, ...] = ()) -> str:
    """The page's Content-Security-Policy; `connect_origins` are URLs whose origins the
    page may call (fetch/XHR) besides its own host."""
    extra = []
    for url in connect_origins:
        origin = origin_of(url)
        if origin not in extra:
            extra.append(origin)
    directives = []
    for name, sources in CSP_DIRECTIVES:
        added = extra if name == CONNECT_DIRECTIVE else []
        directives.append(" ".join((name, *sources, *added)))
    policy = "; ".join(directives)
    if len(policy) > CSP_MAX_LENGTH:
        raise ValueError(
            f"the Content-Security-Policy is {len(policy)} characters; CloudFront takes {CSP_MAX_LENGTH}"
        )
    return policy


def build_policy_config(name: str, comment: str, csp: str) -> dict:
    """The ResponseHeadersPolicyConfig of the page's policy."""
    security = {key: dict(value) for key, value in SECURITY_HEADERS.items()}
    security["ContentSecurityPolicy"] = {"Override": True, "ContentSecurityPolicy": csp}
    return {"Name": name, "Comment": comment, "SecurityHeadersConfig": security}
