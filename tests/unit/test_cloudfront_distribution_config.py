"""The distribution config builder and the comparison the module decides updates with."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import (
    cloudfront_distribution_config as cf,
)

KEY_GROUP = "kg-1234"
OAC = "E2OAC0000000"
BUCKET_DOMAIN = "demo-video-123456789012.s3.eu-west-1.amazonaws.com"
API_DOMAIN = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"


def build(**overrides):
    arguments = {
        "comment": "privatecast demo",
        "s3_domain_name": BUCKET_DOMAIN,
        "origin_access_control_id": OAC,
        "api_domain_name": API_DOMAIN,
        "api_origin_path": "",
        "key_group_id": KEY_GROUP,
        **overrides,
    }
    return cf.build_distribution_config(**arguments)


def as_cloudfront_returns(config):
    """What GetDistributionConfig answers on real AWS: our fields plus CloudFront's own
    defaults and CallerReference, string lists possibly in another order."""
    returned = copy.deepcopy(config)
    returned.update(
        CallerReference="ref",
        Logging={"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
        WebACLId="",
        Staging=False,
        CustomErrorResponses={"Quantity": 0},
        Restrictions={"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
    )
    returned["ViewerCertificate"].update(MinimumProtocolVersion="TLSv1", CertificateSource="cloudfront")
    for origin in returned["Origins"]["Items"]:
        origin.update(ConnectionAttempts=3, ConnectionTimeout=10, OriginShield={"Enabled": False})
        origin["CustomHeaders"] = {"Quantity": 0}
    behaviours = [returned["DefaultCacheBehavior"], *returned["CacheBehaviors"]["Items"]]
    for behaviour in behaviours:
        behaviour.update(
            SmoothStreaming=False, FieldLevelEncryptionId="", TrustedSigners={"Enabled": False, "Quantity": 0}
        )
        behaviour["AllowedMethods"]["Items"] = list(reversed(behaviour["AllowedMethods"]["Items"]))
    return returned


def test_behaviours_route_each_prefix_in_order():
    config = build()
    behaviours = config["CacheBehaviors"]["Items"]
    assert config["CacheBehaviors"]["Quantity"] == len(behaviours) == 5
    assert [(b["PathPattern"], b["TargetOriginId"], b["CachePolicyId"]) for b in behaviours] == [
        ("/api/*", "api", cf.CACHE_POLICY_CACHING_DISABLED),
        ("/hls/*.m3u8", "video", cf.CACHE_POLICY_CACHING_DISABLED),
        ("/hls/*.ts", "video", cf.CACHE_POLICY_CACHING_OPTIMIZED),
        ("/recordings/*.m3u8", "video", cf.CACHE_POLICY_CACHING_DISABLED),
        ("/recordings/*.ts", "video", cf.CACHE_POLICY_CACHING_OPTIMIZED),
    ]


def test_only_video_needs_signed_cookies():
    config = build()
    default = config["DefaultCacheBehavior"]
    api, *video = config["CacheBehaviors"]["Items"]
    assert default["TrustedKeyGroups"] == {"Enabled": False, "Quantity": 0}
    assert api["TrustedKeyGroups"] == {"Enabled": False, "Quantity": 0}
    for behaviour in video:
        assert behaviour["TrustedKeyGroups"] == {"Enabled": True, "Quantity": 1, "Items": [KEY_GROUP]}


def test_api_behaviour_forwards_everything_but_host_and_allows_every_method():
    api = build()["CacheBehaviors"]["Items"][0]
    assert api["OriginRequestPolicyId"] == cf.ORIGIN_REQUEST_POLICY_ALL_VIEWER_EXCEPT_HOST
    assert sorted(api["AllowedMethods"]["Items"]) == sorted(
        ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    )
    assert api["AllowedMethods"]["Quantity"] == 7
    assert api["AllowedMethods"]["CachedMethods"]["Items"] == ["GET", "HEAD"]


def test_https_everywhere_and_security_headers_on_every_behaviour():
    config = build()
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    for behaviour in config["CacheBehaviors"]["Items"]:
        assert behaviour["ViewerProtocolPolicy"] == "https-only"
    for behaviour in [default, *config["CacheBehaviors"]["Items"]]:
        assert behaviour["ResponseHeadersPolicyId"] == cf.RESPONSE_HEADERS_POLICY_SECURITY_HEADERS


def test_a_given_headers_policy_replaces_the_managed_one_on_every_behaviour():
    config = build(response_headers_policy_id="page-policy")
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]["Items"]]
    assert [behaviour["ResponseHeadersPolicyId"] for behaviour in behaviours] == ["page-policy"] * 6


def test_origins_page_from_web_prefix_video_from_root_api_https_only():
    origins = {origin["Id"]: origin for origin in build()["Origins"]["Items"]}
    assert origins["web"]["OriginPath"] == "/web"
    assert origins["video"]["OriginPath"] == ""
    for name in ("web", "video"):
        assert origins[name]["DomainName"] == BUCKET_DOMAIN
        assert origins[name]["OriginAccessControlId"] == OAC
        assert origins[name]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert origins["api"]["DomainName"] == API_DOMAIN
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origins["api"]["CustomOriginConfig"]["OriginSslProtocols"] == {"Quantity": 1, "Items": ["TLSv1.2"]}


def test_defaults_and_alias_certificate():
    config = build()
    assert config["PriceClass"] == "PriceClass_100"
    assert config["DefaultRootObject"] == "index.html"
    assert config["Aliases"] == {"Quantity": 0}
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    aliased = build(aliases=["video.example.org"], acm_certificate_arn=arn, price_class="PriceClass_All")
    assert aliased["Aliases"] == {"Quantity": 1, "Items": ["video.example.org"]}
    assert aliased["ViewerCertificate"] == {
        "CloudFrontDefaultCertificate": False,
        "ACMCertificateArn": arn,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert aliased["PriceClass"] == "PriceClass_All"


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (f"https://{API_DOMAIN}", (API_DOMAIN, "")),
        (f"https://{API_DOMAIN}/", (API_DOMAIN, "")),
        (f"https://{API_DOMAIN}/prod", (API_DOMAIN, "/prod")),
    ],
)
def test_api_origin_from_endpoint(endpoint, expected):
    assert cf.api_origin_from_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", [API_DOMAIN, f"http://{API_DOMAIN}", "https://", "https:///prod"])
def test_api_origin_refuses_anything_but_https_urls(endpoint):
    with pytest.raises(ValueError, match="https URL"):
        cf.api_origin_from_endpoint(endpoint)


def test_what_cloudfront_adds_or_reorders_is_no_difference():
    desired = build()
    assert cf.config_differences(as_cloudfront_returns(desired), desired) == []


def test_a_changed_setting_is_found_by_its_path():
    desired = build()
    current = as_cloudfront_returns(desired)
    current["PriceClass"] = "PriceClass_All"
    current["CacheBehaviors"]["Items"][2]["CachePolicyId"] = cf.CACHE_POLICY_CACHING_DISABLED
    current["CacheBehaviors"]["Items"][1]["TrustedKeyGroups"] = {"Enabled": False, "Quantity": 0}
    assert cf.config_differences(current, desired) == [
        "PriceClass",
        "CacheBehaviors.Items[1].TrustedKeyGroups.Enabled",
        "CacheBehaviors.Items[1].TrustedKeyGroups.Quantity",
        "CacheBehaviors.Items[1].TrustedKeyGroups.Items",
        "CacheBehaviors.Items[2].CachePolicyId",
    ]


def test_a_field_missing_from_cloudfronts_answer_is_a_difference():
    """The module compares what it sets: a field CloudFront does not return is re-sent
    (this is what moto's dropped OriginAccessControlId looks like)."""
    desired = build()
    current = as_cloudfront_returns(desired)
    del current["Origins"]["Items"][0]["OriginAccessControlId"]
    assert cf.config_differences(current, desired) == ["Origins.Items[0].OriginAccessControlId"]


def test_reordered_behaviours_or_an_extra_one_are_differences():
    desired = build()
    swapped = as_cloudfront_returns(desired)
    items = swapped["CacheBehaviors"]["Items"]
    items[1], items[2] = items[2], items[1]
    assert "CacheBehaviors.Items[1].PathPattern" in cf.config_differences(swapped, desired)
    extra = as_cloudfront_returns(desired)
    extra["CacheBehaviors"]["Items"].append(copy.deepcopy(extra["CacheBehaviors"]["Items"][0]))
    extra["CacheBehaviors"]["Quantity"] = 6
    assert "CacheBehaviors.Items" in cf.config_differences(extra, desired)


def test_update_keeps_cloudfronts_other_fields_and_replaces_ours():
    desired = build()
    current = as_cloudfront_returns(build(price_class="PriceClass_All", key_group_id="old"))
    merged = cf.merged_for_update(current, desired)
    assert merged["CallerReference"] == "ref"
    assert merged["Logging"] == current["Logging"]
    assert merged["PriceClass"] == "PriceClass_100"
    assert merged["CacheBehaviors"] == desired["CacheBehaviors"]
    assert cf.config_differences(merged, desired) == []
    assert current["PriceClass"] == "PriceClass_All"  # the input is left alone
