# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one CloudFront distribution of privatecast: its desired config and the comparison
with what CloudFront holds.  Pure functions (no AWS calls), so they are unit-tested alone.

Shape (CloudFront evaluates the ordered behaviours first to last, then the default):

  /api/*              -> API Gateway origin, not cached, all methods
  /hls/*.m3u8         -> S3 (video origin), signed cookies, never cached
  /hls/*.ts           -> S3 (video origin), signed cookies, cached
  /recordings/*.m3u8  -> S3 (video origin), signed cookies, never cached
  /recordings/*.ts    -> S3 (video origin), signed cookies, cached
  default (/ ...)     -> S3 web/ (origin path /web), public, cached

The video behaviours serve playlists and segments only: any other name under /hls/ or
/recordings/ (say /hls/x.html) falls to the default behaviour, whose origin path /web
makes it web/hls/x.html, a key only the page's publisher writes and the page never has,
so S3 refuses it (403). No other object of the bucket is reachable that way.
"""

from __future__ import absolute_import, annotations, division, print_function

import copy

from ansible_collections.privatecast.streaming.plugins.module_utils.plan import differences

# AWS managed policies, referenced by their fixed ids (no API call; they are the same in
# every account).  Source: Amazon CloudFront Developer Guide,
#   using-managed-cache-policies.html:            CachingOptimized, CachingDisabled
#   using-managed-origin-request-policies.html:   AllViewerExceptHostHeader
#   using-managed-response-headers-policies.html: SecurityHeadersPolicy
CACHE_POLICY_CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHE_POLICY_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# Forwards every viewer header but Host (API Gateway routes on its own host name), plus
# cookies and query strings: the API sees the Authorization header and the cookies.
ORIGIN_REQUEST_POLICY_ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, X-XSS-Protection.  The
# default of the module's response_headers_policy_id; the aws_edge role gives its own
# policy with the page's Content-Security-Policy instead.
RESPONSE_HEADERS_POLICY_SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"

WEB_ORIGIN_ID = "web"
VIDEO_ORIGIN_ID = "video"
API_ORIGIN_ID = "api"

READ_METHODS = ["GET", "HEAD"]
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"]
# The video prefixes served only to holders of signed cookies.
SIGNED_PREFIXES = ["hls", "recordings"]
# What the video behaviours serve under them: playlists (never cached, they change) and
# segments (cached, they do not). Nothing else.
VIDEO_SUFFIXES = [("m3u8", CACHE_POLICY_CACHING_DISABLED), ("ts", CACHE_POLICY_CACHING_OPTIMIZED)]


def _quantified(items):
    return {"Quantity": len(items), "Items": list(items)}


def _s3_origin(origin_id, s3_domain_name, origin_path, origin_access_control_id):
    return {
        "Id": origin_id,
        "DomainName": s3_domain_name,
        "OriginPath": origin_path,
        # With origin access control the legacy identity stays empty.
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": origin_access_control_id,
    }


def _api_origin(api_domain_name, api_origin_path):
    return {
        "Id": API_ORIGIN_ID,
        "DomainName": api_domain_name,
        "OriginPath": api_origin_path,
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": _quantified(["TLSv1.2"]),
        },
    }


def _behaviour(
    origin_id, viewer_protocol_policy, cache_policy_id, methods, *, headers_policy_id, key_group_id=None
):
    behaviour = {
        "TargetOriginId": origin_id,
        "ViewerProtocolPolicy": viewer_protocol_policy,
        "AllowedMethods": dict(_quantified(methods), CachedMethods=_quantified(READ_METHODS)),
        # Compression only takes effect where the cache policy caches.
        "Compress": cache_policy_id == CACHE_POLICY_CACHING_OPTIMIZED,
        "CachePolicyId": cache_policy_id,
        "ResponseHeadersPolicyId": headers_policy_id,
        "TrustedKeyGroups": {"Enabled": bool(key_group_id), "Quantity": 1 if key_group_id else 0},
    }
    if key_group_id:
        behaviour["TrustedKeyGroups"]["Items"] = [key_group_id]
    return behaviour


def _ordered(path_pattern, behaviour):
    return dict(behaviour, PathPattern=path_pattern)


def build_cache_behaviours(key_group_id, headers_policy_id=RESPONSE_HEADERS_POLICY_SECURITY_HEADERS):
    """Ordered behaviours: the API, then per video prefix its playlists and its segments
    (and nothing else of the prefix).  Each adds the response headers policy
    `headers_policy_id`."""
    api = _behaviour(
        API_ORIGIN_ID,
        "https-only",
        CACHE_POLICY_CACHING_DISABLED,
        ALL_METHODS,
        headers_policy_id=headers_policy_id,
    )
    api["OriginRequestPolicyId"] = ORIGIN_REQUEST_POLICY_ALL_VIEWER_EXCEPT_HOST
    behaviours = [_ordered("/api/*", api)]
    for prefix in SIGNED_PREFIXES:
        for suffix, cache_policy in VIDEO_SUFFIXES:
            pattern = f"/{prefix}/*.{suffix}"
            video = _behaviour(
                VIDEO_ORIGIN_ID,
                "https-only",
                cache_policy,
                READ_METHODS,
                headers_policy_id=headers_policy_id,
                key_group_id=key_group_id,
            )
            behaviours.append(_ordered(pattern, video))
    return behaviours


def build_viewer_certificate(aliases, acm_certificate_arn):
    if aliases:
        return {
            "CloudFrontDefaultCertificate": False,
            "ACMCertificateArn": acm_certificate_arn,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    # With the *.cloudfront.net certificate CloudFront fixes the minimum version itself.
    return {"CloudFrontDefaultCertificate": True}


def api_origin_from_endpoint(api_endpoint):
    """Split an API endpoint URL (https://<id>.execute-api.<region>.amazonaws.com[/stage])
    into the origin's domain and origin path."""
    scheme, separator, rest = api_endpoint.partition("://")
    if not separator or scheme != "https" or not rest.split("/", 1)[0]:
        raise ValueError(f"api_endpoint must be an https URL, got {api_endpoint!r}")
    domain, path = rest.split("/", 1) if "/" in rest else (rest, "")
    path = path.strip("/")
    return domain, f"/{path}" if path else ""


def build_distribution_config(
    *,
    comment,
    s3_domain_name,
    origin_access_control_id,
    api_domain_name,
    api_origin_path,
    key_group_id,
    price_class="PriceClass_100",
    aliases=None,
    acm_certificate_arn=None,
    enabled=True,
    response_headers_policy_id=RESPONSE_HEADERS_POLICY_SECURITY_HEADERS,
):
    """The DistributionConfig this product wants (without CallerReference).  Every
    behaviour adds the response headers policy `response_headers_policy_id`."""
    aliases = list(aliases or [])
    default = _behaviour(
        WEB_ORIGIN_ID,
        "redirect-to-https",
        CACHE_POLICY_CACHING_OPTIMIZED,
        READ_METHODS,
        headers_policy_id=response_headers_policy_id,
    )
    return {
        "Comment": comment,
        "Enabled": enabled,
        "PriceClass": price_class,
        "DefaultRootObject": "index.html",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "Aliases": _quantified(aliases) if aliases else {"Quantity": 0},
        "ViewerCertificate": build_viewer_certificate(aliases, acm_certificate_arn),
        "Origins": _quantified(
            [
                _s3_origin(WEB_ORIGIN_ID, s3_domain_name, "/web", origin_access_control_id),
                _s3_origin(VIDEO_ORIGIN_ID, s3_domain_name, "", origin_access_control_id),
                _api_origin(api_domain_name, api_origin_path),
            ]
        ),
        "DefaultCacheBehavior": default,
        "CacheBehaviors": _quantified(build_cache_behaviours(key_group_id, response_headers_policy_id)),
    }


def _normalise_list(items):
    """Lists whose order CloudFront does not keep are compared sorted."""
    if all(isinstance(item, str) for item in items):
        return sorted(items)
    return items


def project(current, desired):
    """The part of `current` that `desired` speaks about: keys `desired` does not set
    (CloudFront's own defaults and read-only fields) are left out, so the comparison is
    about what this module sets.  A key `desired` sets but `current` lacks stays absent,
    which makes the two differ."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return current
        return {key: project(current[key], value) for key, value in desired.items() if key in current}
    if isinstance(desired, list):
        if not isinstance(current, list) or len(current) != len(desired):
            return _normalise_list(current) if isinstance(current, list) else current
        projected = [project(item, wanted) for item, wanted in zip(current, desired, strict=False)]
        return _normalise_list(projected)
    return current


def comparable(desired):
    """`desired` with its unordered lists sorted, to compare with `project(...)`."""
    if isinstance(desired, dict):
        return {key: comparable(value) for key, value in desired.items()}
    if isinstance(desired, list):
        return _normalise_list([comparable(item) for item in desired])
    return desired


def config_differences(current, desired):
    """Paths (dotted, list indices in brackets) where `current` differs from `desired`,
    looking only at what `desired` sets (plan.differences' rules).  Empty when they agree."""
    return differences(desired, current)


def merged_for_update(current, desired):
    """The config to send with UpdateDistribution: CloudFront's current config (it wants
    every field back, CallerReference included) with this module's top-level sections
    replaced.  Fields this module does not set inside those sections take CloudFront's
    defaults, which is what they were created with."""
    merged = copy.deepcopy(current)
    merged.update(copy.deepcopy(desired))
    return merged
