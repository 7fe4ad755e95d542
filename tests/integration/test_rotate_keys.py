"""playbooks/rotate_keys.yml against a moto server: create, rotate, revoke.

The key group is created by rotate_keys.yml itself on a fresh stack (rotate on a stack
without a key group makes its first key): that runs the product playbook with its own
names for the group and the SSM parameter, and costs no extra playbook of the test's.

moto gap worked around here: moto 5.2.5 has no UpdateKeyGroup / DeleteKeyGroup; the
shared `moto` fixture's server has them from tests/support/moto_gaps.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer as cs

from tests.conftest import REPO_ROOT
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookRunner

pytestmark = pytest.mark.integration

STACK = "local"  # inventory/local's privatecast_stack_name
GROUP = f"{STACK}-signers"
PARAMETER = f"/privatecast/{STACK}/cloudfront/signing-key"
ROTATE_TASK = "Rotate the signing key (with revoke, drop every older key)"
SHOW_TASK = "Show the new signing key id"
HOST = "https://d111111abcdef8.cloudfront.net"


def group_keys(server: MotoServer) -> dict[str, str]:
    """The key group's public keys as CloudFront holds them: id -> PEM."""
    cloudfront = server.client("cloudfront")
    groups = cloudfront.list_key_groups()["KeyGroupList"].get("Items") or []
    matching = [entry["KeyGroup"] for entry in groups if entry["KeyGroup"]["KeyGroupConfig"]["Name"] == GROUP]
    assert len(matching) == 1, f"expected one key group {GROUP}, found {len(matching)}"
    return {
        key_id: cloudfront.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
        for key_id in matching[0]["KeyGroupConfig"]["Items"]
    }


def stored_key(server: MotoServer) -> dict[str, str]:
    parameter = server.client("ssm").get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    return json.loads(parameter["Value"])


def cookies_signed_with(stored: dict[str, str]) -> dict[str, str]:
    headers = cs.issue_cookie_headers(f"{HOST}/hls/*", stored["key_id"], stored["private_key_pem"], 3600)
    return cs.parse_cookie_header("; ".join(header.split(";")[0] for header in headers))


def verdict(cookies: dict[str, str], trusted: dict[str, str]) -> cs.Verdict:
    return cs.verify_cookies(cookies, f"{HOST}/hls/720p/stream.m3u8", trusted)


def rotate(runner: PlaybookRunner, **extra_vars: object) -> dict:
    result = runner.run("rotate_keys.yml", extra_vars)
    assert result.returncode == 0, result.stderr or result.output
    output = json.dumps(result.output)
    assert "PRIVATE KEY" not in output, "the private key leaked into the playbook output"
    (module_result,) = result.task_results(ROTATE_TASK)
    (shown,) = result.task_results(SHOW_TASK)
    assert module_result["changed"] is True
    assert module_result["current_key_id"] in shown["msg"]
    return module_result


def test_rotate_then_revoke_leaves_only_the_new_key(moto: MotoServer, tmp_path: Path) -> None:
    runner = PlaybookRunner(repo_root=REPO_ROOT, endpoint_url=moto.url, state_dir=tmp_path)

    first = rotate(runner)
    first_key = stored_key(moto)
    assert list(group_keys(moto)) == [first_key["key_id"]] == [first["current_key_id"]]
    cookies_before_rotation = cookies_signed_with(first_key)

    second = rotate(runner)
    second_key = stored_key(moto)
    trusted = group_keys(moto)
    assert list(trusted) == [first_key["key_id"], second_key["key_id"]] == second["key_ids"]
    assert second_key["key_id"] == second["current_key_id"] != first_key["key_id"]
    assert verdict(cookies_before_rotation, trusted).allowed, "the grace period must keep old cookies working"
    cookies_before_revoke = cookies_signed_with(second_key)
    assert verdict(cookies_before_revoke, trusted).allowed

    revoked = rotate(runner, revoke=True)
    new_key = stored_key(moto)
    trusted = group_keys(moto)
    assert list(trusted) == [new_key["key_id"]] == [revoked["current_key_id"]]
    assert sorted(revoked["removed_key_ids"]) == sorted([first_key["key_id"], second_key["key_id"]])
    remaining = moto.client("cloudfront").list_public_keys()["PublicKeyList"].get("Items") or []
    assert [key["Id"] for key in remaining] == [new_key["key_id"]]
    for cookies in (cookies_before_rotation, cookies_before_revoke):
        assert verdict(cookies, trusted).reason == cs.REASON_UNKNOWN_KEY
    assert verdict(cookies_signed_with(new_key), trusted).allowed
