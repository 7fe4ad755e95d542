"""The local edge's CloudFront rules (tools/local_edge/cloudfront.py, bucket_policy.py),
checked against what the CloudFront Developer Guide documents and on the distribution
config the collection itself builds (plugins/module_utils/cloudfront_distribution_config)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import (
    cloudfront_distribution_config as dc,
)

from tools.local_edge import bucket_policy, cloudfront
from tools.local_edge.http_types import Response

BUCKET_DOMAIN = "teststack-video-123456789012.s3.us-east-1.amazonaws.com"
DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"


def product_config(**overrides: Any) -> dict[str, Any]:
    """The DistributionConfig the cloudfront_distribution module deploys."""
    arguments = {
        "comment": "privatecast teststack",
        "s3_domain_name": BUCKET_DOMAIN,
        "origin_access_control_id": "E1OAC",
        "api_domain_name": "abc123.execute-api.us-east-1.amazonaws.com",
        "api_origin_path": "",
        "key_group_id": "KG1",
        **overrides,
    }
    return dc.build_distribution_config(**arguments)


# --- path patterns (distribution-web-values-specify.html, "Path pattern") ---------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/hls/*", "/hls/0/stream-1-2.ts", True),  # "*" matches any characters, "/" included
        ("/hls/*", "/hls/", True),  # ... also none
        ("/hls/*", "/hls", False),
        ("/hls/*", "/HLS/0/a.ts", False),  # path patterns are case sensitive
        ("/hls/*.m3u8", "/hls/0/stream.m3u8", True),
        ("/hls/*.m3u8", "/hls/0/stream.M3U8", False),
        ("/hls/*.m3u8", "/hls/0/stream.ts", False),
        ("/a?.ts", "/ab.ts", True),  # "?" matches exactly one character
        ("/a?.ts", "/a.ts", False),
        ("/a?.ts", "/abc.ts", False),
        ("hls/*", "/hls/x.ts", True),  # a pattern without its leading "/" means the same
        ("/a.b", "/aXb", False),  # other characters are literal, "." included
        ("*", "/anything/at/all", True),  # the default behaviour's pattern
    ],
)
def test_path_patterns_follow_cloudfronts_wildcards(pattern: str, path: str, matches: bool) -> None:
    assert cloudfront.path_matches(pattern, path) is matches


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("/api/status", "/api/*"),
        ("/hls/0/stream.m3u8", "/hls/*.m3u8"),
        ("/hls/0/stream-1-2.ts", "/hls/*.ts"),
        ("/hls/0/offline-v2.ts", "/hls/*.ts"),
        ("/recordings/abc/master.m3u8", "/recordings/*.m3u8"),
        ("/recordings/abc/0/00000001_2000000.ts", "/recordings/*.ts"),
        ("/index.html", "*"),  # no ordered behaviour matches: the default one
        ("/assets/app-1234.js", "*"),
        ("/Api/status", "*"),  # case sensitive: not the API
        ("/hlsx/a.ts", "*"),
    ],
)
def test_the_first_matching_behaviour_wins_and_the_default_comes_last(path: str, pattern: str) -> None:
    assert cloudfront.select_behaviour(product_config(), path)["PathPattern"] == pattern


def test_the_order_of_the_behaviours_decides() -> None:
    config = product_config()
    items = config["CacheBehaviors"]["Items"]
    broad = {**next(item for item in items if item["PathPattern"] == "/hls/*.ts"), "PathPattern": "/hls/*"}
    config["CacheBehaviors"]["Items"] = [broad, *items]
    # /hls/* now comes first and catches the playlists too: first match, not best match.
    assert cloudfront.select_behaviour(config, "/hls/0/stream.m3u8")["PathPattern"] == "/hls/*"


# Issue 10: an object under hls/ or recordings/ that is neither playlist nor segment (say
# an hls/x.html that a stolen Owncast key wrote) must not be served from the page's host.
@pytest.mark.parametrize(
    "path",
    [
        "/hls/x.html",
        "/hls/0/x.html",
        "/hls/0/stream.m3u8.html",
        "/hls/0/stream-1-2.ts.html",
        "/hls/0/a.TS",  # case sensitive
        "/hls/",
        "/hls/0/",
        "/recordings/abc/x.html",
        "/recordings/abc/0/00000001_2000000.js",
        "/recordings/",
    ],
)
def test_the_video_behaviours_serve_only_playlists_and_segments(path: str) -> None:
    config = product_config()
    behaviour = cloudfront.select_behaviour(config, path)
    assert behaviour["PathPattern"] == "*"  # the default behaviour, not a video one
    location = cloudfront.s3_location(cloudfront.origin_of(config, behaviour), path)
    # ... whose origin path keeps it inside web/: never the video object of that name.
    assert location is not None and location.key == "web" + path


def test_the_local_edge_refuses_hls_x_html_even_when_the_bucket_has_it() -> None:
    """The edge's whole decision for /hls/x.html: the page's origin asks S3 for
    web/hls/x.html, which the bucket policy grants but no one wrote, and CloudFront (no
    s3:ListBucket) gets 403, never the hls/x.html object."""
    config = product_config()
    behaviour = cloudfront.select_behaviour(config, "/hls/x.html")
    assert cloudfront.trusted_key_groups(behaviour) == []  # no signed cookie can route it elsewhere
    location = cloudfront.s3_location(cloudfront.origin_of(config, behaviour), "/hls/x.html")
    assert location == cloudfront.S3Location("teststack-video-123456789012", "web/hls/x.html")
    missing_is_403 = not bucket_policy.cloudfront_allowed(
        PRODUCT_BUCKET_POLICY, cloudfront_request(BUCKET_ARN, "s3:ListBucket")
    )
    assert missing_is_403


# --- default root object (DefaultRootObject.html) -------------------------------------


@pytest.mark.parametrize(
    ("path", "rewritten"),
    [
        ("/", "/index.html"),  # the root URL gets the default root object
        ("/sub/", "/sub/"),  # a subdirectory does not
        ("/index.html", "/index.html"),
        ("/api/", "/api/"),
    ],
)
def test_default_root_object_applies_to_the_root_only(path: str, rewritten: str) -> None:
    assert cloudfront.with_default_root_object(product_config(), path) == rewritten


def test_without_a_default_root_object_the_root_stays_the_root() -> None:
    config = {**product_config(), "DefaultRootObject": ""}
    assert cloudfront.with_default_root_object(config, "/") == "/"


# --- S3 origins -----------------------------------------------------------------------


def origin(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    return next(item for item in config["Origins"]["Items"] if item["Id"] == origin_id)


def test_s3_origin_path_is_prepended_and_the_domain_names_the_bucket() -> None:
    config = product_config()
    web = cloudfront.s3_location(origin(config, "web"), "/index.html")
    assert web == cloudfront.S3Location("teststack-video-123456789012", "web/index.html")
    video = cloudfront.s3_location(origin(config, "video"), "/hls/0/stream.m3u8")
    assert video == cloudfront.S3Location("teststack-video-123456789012", "hls/0/stream.m3u8")


def test_s3_keys_are_the_percent_decoded_path() -> None:
    location = cloudfront.s3_location(origin(product_config(), "video"), "/recordings/a%20b/c%2Bd.ts")
    assert location is not None and location.key == "recordings/a b/c+d.ts"


def test_the_api_origin_is_no_s3_origin() -> None:
    assert cloudfront.s3_location(origin(product_config(), "api"), "/api/status") is None


def test_allowed_methods_come_from_the_behaviour() -> None:
    config = product_config()
    assert cloudfront.allowed_methods(cloudfront.select_behaviour(config, "/")) == ["GET", "HEAD"]
    assert "DELETE" in cloudfront.allowed_methods(cloudfront.select_behaviour(config, "/api/recordings/x"))


def test_trusted_key_groups_only_where_enabled() -> None:
    config = product_config()
    assert cloudfront.trusted_key_groups(cloudfront.select_behaviour(config, "/hls/0/a.ts")) == ["KG1"]
    assert cloudfront.trusted_key_groups(cloudfront.select_behaviour(config, "/api/status")) == []
    assert cloudfront.trusted_key_groups(cloudfront.select_behaviour(config, "/")) == []


# --- the URL a signed policy is matched against -----------------------------------------

DOMAIN = "d111111abcdef8.cloudfront.net"


@pytest.mark.parametrize(
    ("host_header", "expected"),
    [
        ("127.0.0.1:8480", DOMAIN),  # the edge's own address stands in for the domain
        ("localhost", DOMAIN),
        ("[::1]:8480", DOMAIN),
        ("", DOMAIN),
        ("elsewhere.example", DOMAIN),
        (DOMAIN, DOMAIN),
        ("video.example.org", "video.example.org"),  # an alias the Host names stays
        ("VIDEO.example.org:443", "video.example.org"),
        ("tv.example.org", "tv.example.org"),
    ],
)
def test_cookies_are_matched_against_one_of_the_distributions_names(host_header: str, expected: str) -> None:
    """CloudFront answers only for its domain and its aliases, so the URL it matches a
    policy's Resource against names one of them, never the edge's loopback address."""
    config = product_config(
        aliases=["video.example.org", "tv.example.org"],
        acm_certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/x",
    )
    assert cloudfront.viewer_host(config, DOMAIN, host_header) == expected
    assert cloudfront.viewer_host(product_config(), DOMAIN, "video.example.org") == DOMAIN


# --- response headers policies --------------------------------------------------------


def test_managed_security_headers_policy_adds_its_documented_headers() -> None:
    response = Response(200, [("Content-Type", "text/html")])
    cloudfront.apply_policy(
        response, cloudfront.MANAGED_RESPONSE_HEADERS_POLICIES[dc.RESPONSE_HEADERS_POLICY_SECURITY_HEADERS]
    )
    assert response.header("Strict-Transport-Security") == "max-age=31536000"
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("X-Frame-Options") == "SAMEORIGIN"
    assert response.header("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert response.header("X-XSS-Protection") == "1; mode=block"


def test_override_decides_whether_the_origins_header_stays() -> None:
    response = Response(200, [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "origin-value")])
    cloudfront.apply_policy(
        response, cloudfront.MANAGED_RESPONSE_HEADERS_POLICIES[dc.RESPONSE_HEADERS_POLICY_SECURITY_HEADERS]
    )
    assert response.header("X-Frame-Options") == "DENY"  # Override false: the origin's value stays
    assert response.header("X-Content-Type-Options") == "nosniff"  # Override true: the policy's wins


AWS_SHAPED_POLICY = {  # GetResponseHeadersPolicy -> ResponseHeadersPolicy.ResponseHeadersPolicyConfig
    "Name": "teststack-page",
    "SecurityHeadersConfig": {
        "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": "default-src 'self'"},
        "StrictTransportSecurity": {
            "Override": True,
            "IncludeSubdomains": True,
            "Preload": True,
            "AccessControlMaxAgeSec": 63072000,
        },
        "FrameOptions": {"Override": True, "FrameOption": "DENY"},
        "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "no-referrer"},
        "ContentTypeOptions": {"Override": True},
        "XSSProtection": {"Override": True, "Protection": False},
    },
    "CustomHeadersConfig": {
        "Quantity": 1,
        "Items": [{"Header": "Permissions-Policy", "Value": "camera=()", "Override": False}],
    },
    "RemoveHeadersConfig": {"Quantity": 1, "Items": [{"Header": "Server"}]},
}


def test_custom_policy_in_the_aws_shape_maps_to_headers() -> None:
    response = Response(200, [("Server", "AmazonS3"), ("Permissions-Policy", "origin")])
    cloudfront.apply_policy(response, AWS_SHAPED_POLICY)
    assert response.header("Content-Security-Policy") == "default-src 'self'"
    assert response.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains; preload"
    assert response.header("X-Frame-Options") == "DENY"
    assert response.header("Referrer-Policy") == "no-referrer"
    assert response.header("X-XSS-Protection") == "0"
    assert response.header("Permissions-Policy") == "origin"
    assert response.header("Server") is None


def test_a_policy_part_the_edge_does_not_implement_is_refused_loudly() -> None:
    with pytest.raises(cloudfront.UnsupportedPolicy):
        cloudfront.apply_policy(
            Response(200), {"CorsConfig": {"AccessControlAllowOrigins": {"Items": ["*"]}}}
        )


# --- the bucket policy CloudFront reads under ----------------------------------------

BUCKET_ARN = "arn:aws:s3:::teststack-video-123456789012"
# roles/aws_storage/vars/main.yml: the TLS-only deny and the distribution's read of the published prefixes.
PRODUCT_BUCKET_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "CloudFrontReadsPublishedPrefixes",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": [f"{BUCKET_ARN}/web/*", f"{BUCKET_ARN}/hls/*", f"{BUCKET_ARN}/recordings/*"],
                "Condition": {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}},
            },
        ],
    }
)


def cloudfront_request(resource: str, action: str = "s3:GetObject", source_arn: str = DISTRIBUTION_ARN):
    return bucket_policy.CloudFrontRequest(action, resource, source_arn, "123456789012")


@pytest.mark.parametrize(
    ("resource", "action", "source_arn", "allowed"),
    [
        (f"{BUCKET_ARN}/web/index.html", "s3:GetObject", DISTRIBUTION_ARN, True),
        (f"{BUCKET_ARN}/hls/0/stream.m3u8", "s3:GetObject", DISTRIBUTION_ARN, True),
        (f"{BUCKET_ARN}/index/recordings.json", "s3:GetObject", DISTRIBUTION_ARN, False),  # not published
        (f"{BUCKET_ARN}/web/index.html", "s3:GetObject", DISTRIBUTION_ARN.replace("E2", "E9"), False),
        (BUCKET_ARN, "s3:ListBucket", DISTRIBUTION_ARN, False),  # so a missing key is 403
    ],
)
def test_cloudfront_reads_only_what_the_bucket_policy_grants_its_distribution(
    resource: str, action: str, source_arn: str, allowed: bool
) -> None:
    request = cloudfront_request(resource, action, source_arn)
    assert bucket_policy.cloudfront_allowed(PRODUCT_BUCKET_POLICY, request) is allowed


def test_without_a_bucket_policy_cloudfront_reads_nothing() -> None:
    assert not bucket_policy.cloudfront_allowed(None, cloudfront_request(f"{BUCKET_ARN}/web/index.html"))


def test_an_unknown_condition_never_grants_and_always_denies() -> None:
    unknown = {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET_ARN}/*"}
    granting = json.dumps({"Statement": [{**allow, "Condition": unknown}]})
    assert not bucket_policy.cloudfront_allowed(granting, cloudfront_request(f"{BUCKET_ARN}/web/a"))
    denying = json.dumps({"Statement": [allow, {**allow, "Effect": "Deny", "Condition": unknown}]})
    assert not bucket_policy.cloudfront_allowed(denying, cloudfront_request(f"{BUCKET_ARN}/web/a"))
