"""The page's response headers policy: its Content-Security-Policy and security headers
(pure builder), and the cloudfront_response_headers_policy module run in-process against
moto (mock_aws).

moto gap worked around here: moto 5.2.5 has no response headers policy API (404);
tests.support.moto_gaps (tests/support/moto_gaps_cloudfront_headers.py) serves it as AWS
documents it, ETags included, so the module's find/compare/update is tested for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cloudfront_page_headers as headers
from ansible_collections.privatecast.streaming.plugins.modules import cloudfront_response_headers_policy
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module

NAME = "unit-page"
COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/"
CSP_WITH_COGNITO = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com; "
    "worker-src 'self' blob:; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def test_csp_is_the_strict_policy_with_cognitos_origin_in_connect_src():
    assert headers.content_security_policy([COGNITO]) == CSP_WITH_COGNITO


def test_csp_without_extra_origins_connects_to_its_own_host_only():
    assert "connect-src 'self'; worker-src" in headers.content_security_policy([])


def test_csp_names_each_origin_once_in_the_given_order():
    policy = headers.content_security_policy(
        ["https://b.example.org/x", "http://127.0.0.1:5055/", "https://b.example.org:443/y"]
    )
    assert "connect-src 'self' https://b.example.org http://127.0.0.1:5055; " in policy


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://cognito-idp.us-east-1.amazonaws.com/", "https://cognito-idp.us-east-1.amazonaws.com"),
        ("https://Cognito.Example.org:8443/path?q=1", "https://cognito.example.org:8443"),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("http://[::1]:5055", "http://[::1]:5055"),
    ],
)
def test_origin_of(url, origin):
    assert headers.origin_of(url) == origin


@pytest.mark.parametrize("url", ["cognito-idp.us-east-1.amazonaws.com", "ftp://x.example.org", "https://"])
def test_origin_of_refuses_what_is_no_http_url(url):
    with pytest.raises(ValueError, match="http"):
        headers.origin_of(url)


def test_policy_config_keeps_the_managed_security_headers_tightened():
    config = headers.build_policy_config(NAME, "page", "default-src 'none'")
    assert config == {
        "Name": NAME,
        "Comment": "page",
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": "default-src 'none'"},
            "StrictTransportSecurity": {
                "Override": True,
                "AccessControlMaxAgeSec": 31536000,
                "IncludeSubdomains": True,
                "Preload": False,
            },
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            "XSSProtection": {"Override": True, "Protection": True, "ModeBlock": True},
        },
    }


@pytest.fixture
def aws() -> Iterator[None]:
    moto_gaps.apply()
    with mock_aws():
        yield


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    return run_module(
        cloudfront_response_headers_policy.main,
        capsys,
        {"name": NAME, "region": "us-east-1", "connect_origins": [COGNITO], **args},
        check_mode=check,
        diff=True,
    )


def client():
    return boto3.client("cloudfront", region_name="us-east-1")


def policies() -> list[dict[str, Any]]:
    listing = client().list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]
    return [item["ResponseHeadersPolicy"] for item in listing.get("Items") or []]


def csp_of(policy_id: str) -> str:
    policy = client().get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"]
    return policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
        "ContentSecurityPolicy"
    ]


def test_create_then_nothing_to_do(aws, capsys):
    created = run(capsys, comment="the page")
    assert created["rc"] == 0 and created["changed"] is True and created["id"]
    assert created["content_security_policy"] == CSP_WITH_COGNITO
    assert [policy["Id"] for policy in policies()] == [created["id"]]
    assert csp_of(created["id"]) == CSP_WITH_COGNITO

    etag = client().get_response_headers_policy(Id=created["id"])["ETag"]
    again = run(capsys, comment="the page")
    assert again["changed"] is False and again["id"] == created["id"] and "diff" not in again
    assert client().get_response_headers_policy(Id=created["id"])["ETag"] == etag  # no update call


def test_check_mode_creates_nothing(aws, capsys):
    checked = run(capsys, check=True)
    assert checked["changed"] is True and checked["id"] == ""
    assert checked["diff"]["before"] == {}
    assert policies() == []


def test_another_endpoint_updates_in_place_with_a_diff(aws, capsys):
    created = run(capsys)
    other = ["https://auth.example.org/"]
    checked = run(capsys, check=True, connect_origins=other)
    assert checked["changed"] is True
    before = checked["diff"]["before"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
        "ContentSecurityPolicy"
    ]
    assert before == CSP_WITH_COGNITO
    assert csp_of(created["id"]) == CSP_WITH_COGNITO

    updated = run(capsys, connect_origins=other)
    assert updated["changed"] is True and updated["id"] == created["id"]
    assert "connect-src 'self' https://auth.example.org;" in csp_of(created["id"])
    assert run(capsys, connect_origins=other)["changed"] is False


def test_a_header_changed_outside_is_put_back(aws, capsys):
    created = run(capsys)
    current = client().get_response_headers_policy(Id=created["id"])
    config = current["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
    config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] = "SAMEORIGIN"
    client().update_response_headers_policy(
        Id=created["id"], IfMatch=current["ETag"], ResponseHeadersPolicyConfig=config
    )
    repaired = run(capsys)
    assert repaired["changed"] is True
    assert repaired["diff"]["before"]["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] == "SAMEORIGIN"
    stored = client().get_response_headers_policy(Id=created["id"])["ResponseHeadersPolicy"]
    assert (
        stored["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"]
        == "DENY"
    )


def test_absent_deletes_it_once(aws, capsys):
    run(capsys)
    assert run(capsys, state="absent", check=True)["changed"] is True
    assert len(policies()) == 1
    assert run(capsys, state="absent")["changed"] is True
    assert policies() == []
    assert run(capsys, state="absent")["changed"] is False


def test_a_bad_origin_is_refused_clearly(aws, capsys):
    refused = run(capsys, connect_origins=["cognito-idp.eu-west-1.amazonaws.com"])
    assert refused["rc"] == 1 and "http(s) URL" in refused["msg"]
    assert policies() == []
