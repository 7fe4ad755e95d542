"""cloudfront_key_group run in-process against moto (mock_aws).

moto gap worked around here: moto 5.2.5 has no UpdateKeyGroup / DeleteKeyGroup;
tests.support.moto_gaps adds them to moto for the tests.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer as cs
from ansible_collections.privatecast.streaming.plugins.modules import cloudfront_key_group
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module

NAME = "unit-signers"
PARAMETER = "/privatecast/unit/cloudfront/signing-key"
HOST = "https://d111111abcdef8.cloudfront.net"
GRACE = 86400


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    moto_gaps.apply()
    with mock_aws():
        yield


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    """Run the module as Ansible would and return its JSON result (with rc)."""
    return run_module(
        cloudfront_key_group.main,
        capsys,
        {"name": NAME, "region": "us-east-1", **args},
        check_mode=check,
        diff=True,
    )


def stored_key() -> dict[str, str]:
    ssm = boto3.client("ssm", region_name="us-east-1")
    parameter = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    return json.loads(parameter["Value"])


def group_items() -> list[str]:
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    groups = cloudfront.list_key_groups()["KeyGroupList"].get("Items") or []
    return [item for entry in groups for item in entry["KeyGroup"]["KeyGroupConfig"]["Items"]]


def public_key_ids() -> set[str]:
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    return {key["Id"] for key in cloudfront.list_public_keys()["PublicKeyList"].get("Items") or []}


def pem_of(bits: int = 2048, pem_format=serialization.PrivateFormat.PKCS8) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(serialization.Encoding.PEM, pem_format, serialization.NoEncryption()).decode()


def later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Move the module's clock forward, as if that much time had passed since the keys were made."""
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    monkeypatch.setattr(cloudfront_key_group, "utc_now", lambda: moment)


def cookie_verdict(result: dict[str, Any], signing: dict[str, str]) -> cs.Verdict:
    """Sign with a stored key and verify against the group's keys as the module returned them."""
    headers = cs.issue_cookie_headers(f"{HOST}/hls/*", signing["key_id"], signing["private_key_pem"], 600)
    cookies = cs.parse_cookie_header("; ".join(header.split(";")[0] for header in headers))
    trusted = {key["id"]: key["public_key_pem"] for key in result["public_keys"]}
    return cs.verify_cookies(cookies, f"{HOST}/hls/0/stream.m3u8", trusted)


def test_create_stores_the_key_and_returns_no_secret(capsys) -> None:
    created = run(capsys, tags={"privatecast:stack": "unit"})
    assert created["rc"] == 0 and created["changed"] is True
    stored = stored_key()
    assert created["current_key_id"] == stored["key_id"]
    assert created["key_ids"] == [stored["key_id"]] == group_items()
    assert created["parameter_name"] == PARAMETER
    assert created["public_keys"][0]["current"] is True
    signer_key = cs.load_private_key(stored["private_key_pem"])
    assert signer_key.bits == 2048
    assert cs.load_public_key(created["public_keys"][0]["public_key_pem"]) == signer_key.public_key
    assert stored["private_key_pem"].strip() not in json.dumps(created)
    assert "PRIVATE KEY" not in json.dumps(created)
    assert cookie_verdict(created, stored).allowed

    ssm = boto3.client("ssm", region_name="us-east-1")
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=PARAMETER)["TagList"]
    assert {"Key": "privatecast:stack", "Value": "unit"} in tags


def test_rerun_changes_nothing(capsys) -> None:
    created = run(capsys, tags={"privatecast:stack": "unit"})
    again = run(capsys, tags={"privatecast:stack": "unit"})
    assert again["changed"] is False
    assert again["current_key_id"] == created["current_key_id"]
    assert again["key_group_id"] == created["key_group_id"]
    assert again["key_ids"] == created["key_ids"]
    assert len(public_key_ids()) == 1


def test_check_mode_changes_nothing_and_reports_the_change(capsys) -> None:
    planned = run(capsys, check=True)
    assert planned["changed"] is True and planned["current_key_id"] is None
    assert planned["diff"]["after"]["key_ids"] == ["(new key)"]
    assert group_items() == [] and public_key_ids() == set()
    created = run(capsys)
    assert run(capsys, check=True)["changed"] is False
    planned_rotation = run(capsys, check=True, rotate=True)
    assert planned_rotation["changed"] is True
    assert planned_rotation["diff"]["after"]["key_ids"] == [created["current_key_id"], "(new key)"]
    assert group_items() == created["key_ids"] and stored_key()["key_id"] == created["current_key_id"]


def test_rotate_keeps_previous_and_new(capsys) -> None:
    first = run(capsys)
    old_signing = stored_key()
    rotated = run(capsys, rotate=True)
    assert rotated["changed"] is True
    new_id = rotated["current_key_id"]
    assert new_id != first["current_key_id"]
    assert rotated["key_ids"] == [first["current_key_id"], new_id] == group_items()
    assert stored_key()["key_id"] == new_id
    assert [key["current"] for key in rotated["public_keys"]] == [False, True]
    assert cookie_verdict(rotated, old_signing).allowed  # grace: old cookies still work
    assert cookie_verdict(rotated, stored_key()).allowed
    assert run(capsys)["changed"] is False  # inside the grace period nothing is due


def test_second_rotate_after_the_grace_drops_the_oldest(capsys, monkeypatch) -> None:
    first = run(capsys)
    second = run(capsys, rotate=True)
    later(monkeypatch, GRACE + 60)
    third = run(capsys, rotate=True)
    assert third["key_ids"] == [second["current_key_id"], third["current_key_id"]] == group_items()
    assert third["removed_key_ids"] == [first["current_key_id"]]
    assert first["current_key_id"] not in public_key_ids()  # its CloudFront public key is deleted


def test_second_rotate_inside_the_grace_keeps_all_three(capsys) -> None:
    run(capsys)
    run(capsys, rotate=True)
    third = run(capsys, rotate=True)
    assert len(third["key_ids"]) == 3 and third["removed_key_ids"] == []


def test_expired_previous_key_is_pruned_on_a_plain_run(capsys, monkeypatch) -> None:
    first = run(capsys)
    rotated = run(capsys, rotate=True)
    later(monkeypatch, GRACE + 60)
    pruned = run(capsys)
    assert pruned["changed"] is True and pruned["removed_key_ids"] == [first["current_key_id"]]
    assert group_items() == [rotated["current_key_id"]]


def test_revoke_leaves_exactly_the_new_key(capsys) -> None:
    run(capsys)
    run(capsys, rotate=True)
    old_signing = stored_key()
    revoked = run(capsys, rotate=True, revoke=True)
    new_id = revoked["current_key_id"]
    assert revoked["key_ids"] == [new_id] == group_items()
    assert public_key_ids() == {new_id}
    assert stored_key()["key_id"] == new_id
    assert cookie_verdict(revoked, old_signing).reason == cs.REASON_UNKNOWN_KEY
    assert cookie_verdict(revoked, stored_key()).allowed


def test_revoke_without_rotate_is_refused(capsys) -> None:
    result = run(capsys, revoke=True)
    assert result["rc"] == 1 and "rotate" in result["msg"]


@pytest.mark.parametrize(
    "pem_format", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_given_pem_is_used_and_never_returned(capsys, pem_format) -> None:
    pem = pem_of(pem_format=pem_format)
    created = run(capsys, private_key=pem)
    assert created["changed"] is True
    assert stored_key() == {"key_id": created["current_key_id"], "private_key_pem": pem}
    assert (
        cs.load_public_key(created["public_keys"][0]["public_key_pem"]) == cs.load_private_key(pem).public_key
    )
    output = json.dumps(created)
    assert pem.strip() not in output and "PRIVATE KEY" not in output
    assert created["invocation"]["module_args"]["private_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    assert run(capsys, private_key=pem)["changed"] is False
    assert run(capsys, private_key=pem, rotate=True)["changed"] is False  # already current

    other = pem_of()
    refused = run(capsys, private_key=other)
    assert refused["rc"] == 1 and "rotate: true" in refused["msg"]
    assert other.strip() not in json.dumps(refused)
    rotated = run(capsys, private_key=other, rotate=True)
    assert rotated["key_ids"] == [created["current_key_id"], rotated["current_key_id"]]
    assert stored_key()["private_key_pem"] == other


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (
            "-----BEGIN " + "PRIVATE KEY-----\nbm90IGEga2V5\n-----END " + "PRIVATE KEY-----\n",
            "private_key is not usable",
        ),
        ("ssh-rsa AAAAB3NzaC1yc2E= user@host", "private_key is not usable"),
    ],
)
def test_bad_pem_is_refused_clearly(capsys, pem: str, message: str) -> None:
    result = run(capsys, private_key=pem)
    assert result["rc"] == 1 and message in result["msg"]
    assert group_items() == [] and public_key_ids() == set()


def test_wrong_key_size_is_refused(capsys) -> None:
    result = run(capsys, private_key=pem_of(bits=3072))
    assert result["rc"] == 1 and "only 2048-bit" in result["msg"]


def test_bad_name_is_refused(capsys) -> None:
    result = run(capsys, name="has spaces")
    assert result["rc"] == 1 and "name must be" in result["msg"]


def test_absent_removes_group_keys_and_parameter(capsys) -> None:
    run(capsys)
    run(capsys, rotate=True)
    assert run(capsys, state="absent", check=True)["changed"] is True
    assert len(group_items()) == 2
    removed = run(capsys, state="absent")
    assert removed["changed"] is True and len(removed["removed_key_ids"]) == 2
    assert group_items() == [] and public_key_ids() == set()
    ssm = boto3.client("ssm", region_name="us-east-1")
    assert ssm.describe_parameters()["Parameters"] == []
    assert run(capsys, state="absent")["changed"] is False


def test_absent_also_removes_the_groups_stray_keys_and_no_other(capsys) -> None:
    """A key made by a run that stopped before adding it to the group goes too; a key
    whose name only starts like the group's (another group's) stays."""
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")

    def make_key(key_name: str) -> str:
        pem = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        config = {"CallerReference": key_name, "Name": key_name, "EncodedKey": pem}
        return cloudfront.create_public_key(PublicKeyConfig=config)["PublicKey"]["Id"]

    run(capsys)
    stray = make_key(f"{NAME}-20260101000000-beef")
    foreign = make_key(f"{NAME}-signers-20260101000000-beef")
    removed = run(capsys, state="absent")
    assert stray in removed["removed_key_ids"] and foreign not in removed["removed_key_ids"]
    assert public_key_ids() == {foreign}
    assert run(capsys, state="absent")["changed"] is False


def test_kms_key_is_applied_and_changed_without_a_new_key(capsys) -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    first_key = kms.create_key()["KeyMetadata"]["KeyId"]
    second_key = kms.create_key()["KeyMetadata"]["Arn"]
    created = run(capsys, kms_key_id=first_key)
    ssm = boto3.client("ssm", region_name="us-east-1")

    def parameter_kms_key() -> str:
        return ssm.describe_parameters()["Parameters"][0]["KeyId"]

    assert parameter_kms_key().endswith(first_key)
    assert run(capsys, kms_key_id=first_key)["changed"] is False
    moved = run(capsys, kms_key_id=second_key)
    assert moved["changed"] is True and moved["current_key_id"] == created["current_key_id"]
    assert parameter_kms_key() == second_key
    assert stored_key()["key_id"] == created["current_key_id"]
    assert run(capsys, kms_key_id=second_key)["changed"] is False
