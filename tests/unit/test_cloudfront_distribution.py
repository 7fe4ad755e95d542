"""cloudfront_distribution run in-process against moto (mock_aws).

moto gap worked around here (DISTRIBUTION ORIGINS): moto 5.2.5 drops `OriginAccessControlId`
and `S3OriginConfig` from an S3 origin when it stores a distribution; real CloudFront keeps
and returns both. tests.support.moto_gaps.apply() makes moto keep them, so these tests see
what real CloudFront returns and can check the module's idempotence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import cloudfront_distribution
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module

COMMENT = "privatecast unit"
ARGS = {
    "comment": COMMENT,
    "s3_domain_name": "unit-video-123456789012.s3.us-east-1.amazonaws.com",
    "origin_access_control_id": "E2OAC0000000",
    "api_endpoint": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    "key_group_id": "kg-1",
    "tags": {"privatecast:stack": "unit", "privatecast:component": "edge"},
}


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    moto_gaps.apply()
    with mock_aws():
        yield


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    """Run the module as Ansible would and return its JSON result (with rc)."""
    return run_module(
        cloudfront_distribution.main,
        capsys,
        {"region": "us-east-1", **ARGS, **args},
        check_mode=check,
        diff=True,
    )


def client():
    return boto3.client("cloudfront", region_name="us-east-1")


def the_config() -> dict[str, Any]:
    summaries = client().list_distributions()["DistributionList"].get("Items") or []
    assert len(summaries) == 1
    return client().get_distribution_config(Id=summaries[0]["Id"])["DistributionConfig"]


def test_create_then_nothing_to_do(capsys):
    created = run(capsys)
    assert created["rc"] == 0 and created["changed"] is True
    assert created["arn"].endswith(f":distribution/{created['id']}")
    assert created["domain_name"].endswith(".cloudfront.net")
    assert created["tags"] == ARGS["tags"]
    config = the_config()
    assert config["Origins"]["Items"][0]["OriginAccessControlId"] == ARGS["origin_access_control_id"]

    again = run(capsys)
    assert again["rc"] == 0
    assert again["changed"] is False
    assert "diff" not in again
    assert again["id"] == created["id"]


def test_check_mode_creates_nothing(capsys):
    result = run(capsys, check=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["PriceClass"] == "PriceClass_100"
    assert client().list_distributions()["DistributionList"].get("Items") in (None, [])


def test_a_changed_setting_updates_with_a_diff_and_check_mode_leaves_it(capsys):
    run(capsys)
    checked = run(capsys, check=True, price_class="PriceClass_All", key_group_id="kg-2")
    assert checked["changed"] is True
    assert checked["diff"]["before"]["PriceClass"] == "PriceClass_100"
    assert checked["diff"]["after"]["PriceClass"] == "PriceClass_All"
    assert the_config()["PriceClass"] == "PriceClass_100"

    updated = run(capsys, price_class="PriceClass_All", key_group_id="kg-2")
    assert updated["changed"] is True
    config = the_config()
    assert config["PriceClass"] == "PriceClass_All"
    signed = [b for b in config["CacheBehaviors"]["Items"] if b["TrustedKeyGroups"]["Enabled"]]
    assert len(signed) == 4
    assert all(b["TrustedKeyGroups"]["Items"] == ["kg-2"] for b in signed)
    assert config["CallerReference"]  # kept from the current config
    assert run(capsys, price_class="PriceClass_All", key_group_id="kg-2")["changed"] is False


def test_tags_follow_the_task(capsys):
    created = run(capsys)
    retagged = run(capsys, tags={"privatecast:stack": "unit", "owner": "me"})
    assert retagged["changed"] is True
    assert "diff" not in retagged  # the config did not change, only the tags
    tags = client().list_tags_for_resource(Resource=created["arn"])["Tags"]["Items"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == {"privatecast:stack": "unit", "owner": "me"}


def test_bad_input_is_refused_clearly(capsys):
    no_https = run(capsys, api_endpoint="http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com")
    assert no_https["rc"] == 1 and "https URL" in no_https["msg"]
    alias_without_certificate = run(capsys, aliases=["video.example.org"])
    assert alias_without_certificate["rc"] == 1 and "acm_certificate_arn" in alias_without_certificate["msg"]
    missing = run(capsys, key_group_id=None)
    assert missing["rc"] == 1 and "key_group_id" in missing["msg"]


def test_absent_disables_then_deletes(capsys):
    created = run(capsys)
    removed = run(capsys, state="absent", wait=True)
    assert removed["changed"] is True and removed["id"] == created["id"]
    assert client().list_distributions()["DistributionList"].get("Items") in (None, [])
    assert run(capsys, state="absent")["changed"] is False


def test_every_behaviour_takes_the_given_headers_policy_and_a_new_one_updates(capsys):
    created = run(capsys)
    config = the_config()
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]["Items"]]
    # Without the option: the managed SecurityHeadersPolicy.
    assert {b["ResponseHeadersPolicyId"] for b in behaviours} == {"67f7725c-6f97-4210-82d7-5512b31e9d03"}

    checked = run(capsys, check=True, response_headers_policy_id="page-policy-1")
    assert checked["changed"] is True
    assert checked["diff"]["after"]["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == "page-policy-1"
    assert the_config() == config

    updated = run(capsys, response_headers_policy_id="page-policy-1")
    assert updated["changed"] is True and updated["id"] == created["id"]
    config = the_config()
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]["Items"]]
    assert [b["ResponseHeadersPolicyId"] for b in behaviours] == ["page-policy-1"] * 6
    assert run(capsys, response_headers_policy_id="page-policy-1")["changed"] is False
