"""cloudfront_origin_access_control run in-process against moto (mock_aws)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import cloudfront_origin_access_control
from moto import mock_aws

from tests.support.module_runner import run_module

NAME = "unit-s3"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    """Run the module as Ansible would and return its JSON result (with rc)."""
    return run_module(
        cloudfront_origin_access_control.main,
        capsys,
        {"name": NAME, "region": "us-east-1", **args},
        check_mode=check,
        diff=True,
    )


def controls() -> list[dict[str, Any]]:
    listing = boto3.client("cloudfront", region_name="us-east-1").list_origin_access_controls()
    return listing["OriginAccessControlList"].get("Items") or []


def test_create_is_s3_sigv4_always_then_idempotent(capsys):
    created = run(capsys, description="reads the bucket")
    assert created["rc"] == 0 and created["changed"] is True and created["id"]
    assert [
        (c["Id"], c["Name"], c["SigningProtocol"], c["SigningBehavior"], c["OriginAccessControlOriginType"])
        for c in controls()
    ] == [(created["id"], NAME, "sigv4", "always", "s3")]
    again = run(capsys, description="reads the bucket")
    assert again["changed"] is False and again["id"] == created["id"]
    assert again["origin_access_control"]["description"] == "reads the bucket"


def test_check_mode_creates_nothing(capsys):
    result = run(capsys, check=True)
    assert result["changed"] is True and result["id"] == ""
    assert controls() == []


def test_description_change_updates_in_place(capsys):
    created = run(capsys, description="old")
    checked = run(capsys, check=True, description="new")
    assert checked["changed"] is True
    assert checked["diff"]["before"]["Description"] == "old"
    assert controls()[0]["Description"] == "old"
    updated = run(capsys, description="new")
    assert updated["changed"] is True and updated["id"] == created["id"]
    assert [c["Description"] for c in controls()] == ["new"]


def test_absent_removes_it_once(capsys):
    run(capsys)
    assert run(capsys, state="absent", check=True)["changed"] is True
    assert len(controls()) == 1
    assert run(capsys, state="absent")["changed"] is True
    assert controls() == []
    assert run(capsys, state="absent")["changed"] is False


def test_name_length_is_checked(capsys):
    result = run(capsys, name="x" * 65)
    assert result["rc"] == 1 and "64" in result["msg"]
