"""cognito_user_pool against moto in-process: create, idempotence, check mode, changes, errors,
and temporary passwords that are shown once and never logged."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.modules import cognito_user_pool
from moto import mock_aws
from moto.cognitoidp import models as cognito_models

from tests.support import moto_gaps_cognito_attributes
from tests.support.module_runner import LogRecorder, run_module

REGION = "us-east-1"
IMMUTABLE_POOL_KEYS = ("UsernameAttributes", "UsernameConfiguration")
BASE_ARGS = {
    "name": "unit",
    "region": REGION,
    "users": [{"email": "Alice@Example.com", "group": "admins"}, {"email": "bob@example.com"}],
    "tags": {"privatecast:stack": "unit"},
    "invitation": "print",
}


@pytest.fixture(autouse=True)
def moto_keeps_username_attributes(monkeypatch):
    """Moto gap: moto's UpdateUserPool resets UsernameAttributes, which real Cognito cannot
    change after creation (the update API does not even take them). Keep them, as AWS does."""
    original = cognito_models.CognitoIdpUserPool.update_extended_config

    def update_keeping_username_attributes(pool, extended_config):
        current = getattr(pool, "extended_config", {})
        kept = {key: current[key] for key in IMMUTABLE_POOL_KEYS if key in current}
        original(pool, {**(extended_config or {}), **kept})

    monkeypatch.setattr(
        cognito_models.CognitoIdpUserPool, "update_extended_config", update_keeping_username_attributes
    )


@pytest.fixture
def aws():
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


@pytest.fixture
def run(capsys):
    def runner(check_mode: bool = False, diff: bool = False, **overrides: Any) -> dict[str, Any]:
        return run_module(
            cognito_user_pool.main, capsys, {**BASE_ARGS, **overrides}, check_mode=check_mode, diff=diff
        )

    return runner


def user_groups(aws, pool_id: str, email: str) -> list[str]:
    return [
        group["GroupName"]
        for group in aws.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"]
    ]


def test_creates_pool_client_groups_and_users(aws, run):
    result = run()

    assert result["changed"] is True
    pool = result["user_pool"]
    assert pool["issuer"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool['id']}"
    assert pool["jwks_url"] == pool["issuer"] + "/.well-known/jwks.json"
    described = aws.describe_user_pool(UserPoolId=pool["id"])["UserPool"]
    assert described["Arn"] == pool["arn"]
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert described["UsernameAttributes"] == ["email"]
    assert described["DeletionProtection"] == "ACTIVE"
    assert described["UserPoolTags"] == {"privatecast:stack": "unit"}
    policy = described["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 14
    assert all(
        policy[key] for key in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols")
    )
    mfa = aws.get_user_pool_mfa_config(UserPoolId=pool["id"])
    assert mfa["MfaConfiguration"] == "OPTIONAL"
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert "SmsMfaConfiguration" not in mfa or not mfa["SmsMfaConfiguration"].get("SmsConfiguration")

    client = aws.describe_user_pool_client(UserPoolId=pool["id"], ClientId=pool["client_id"])[
        "UserPoolClient"
    ]
    assert "ClientSecret" not in client
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (
        60,
        60,
        30,
    )

    groups = {group["GroupName"] for group in aws.list_groups(UserPoolId=pool["id"])["Groups"]}
    assert groups == {"admins", "viewers"}
    assert user_groups(aws, pool["id"], "alice@example.com") == ["admins"]
    assert user_groups(aws, pool["id"], "bob@example.com") == ["viewers"]
    user = aws.admin_get_user(UserPoolId=pool["id"], Username="bob@example.com")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    created = {entry["email"]: entry for entry in result["created_users"]}
    assert set(created) == {"alice@example.com", "bob@example.com"}
    for entry in created.values():
        password = entry["temporary_password"]
        assert len(password) >= 20
        for pattern in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]"):
            assert re.search(pattern, password), password
    assert (
        created["alice@example.com"]["temporary_password"] != created["bob@example.com"]["temporary_password"]
    )
    assert [user["action"] for user in result["users"]] == ["created", "created"]
    assert all("temporary_password" not in user for user in result["users"])


def test_second_run_changes_nothing_and_returns_no_password(aws, run):
    first = run()
    second = run()

    assert second["changed"] is False
    assert second["created_users"] == []
    assert second["user_pool"] == first["user_pool"]
    assert [user["action"] for user in second["users"]] == ["unchanged", "unchanged"]
    for entry in first["created_users"]:
        assert entry["temporary_password"] not in str(second)


def test_temporary_password_never_in_module_logs(aws, run, monkeypatch):
    logs = LogRecorder(monkeypatch)
    result = run()

    assert logs.messages, "the module logs its invocation; the recorder must have seen it"
    for entry in result["created_users"]:
        assert entry["temporary_password"] not in logs.text


def test_check_mode_creates_nothing_and_generates_no_password(aws, run):
    result = run(check_mode=True)

    assert result["changed"] is True
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert result["created_users"] == [
        {"email": "alice@example.com", "group": "admins"},
        {"email": "bob@example.com", "group": "viewers"},
    ]


def test_check_mode_on_an_existing_pool_reports_without_changing(aws, run):
    pool_id = run()["user_pool"]["id"]

    result = run(check_mode=True, mfa="required")

    assert result["changed"] is True
    assert aws.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OPTIONAL"


def test_detects_and_applies_changes(aws, run):
    pool_id = run()["user_pool"]["id"]

    result = run(
        diff=True,
        mfa="required",
        deletion_protection=False,
        password_minimum_length=16,
        access_token_validity_minutes=30,
        allow_user_password_auth=False,
        users=[{"email": "alice@example.com", "group": "viewers"}, {"email": "bob@example.com"}],
    )

    assert result["changed"] is True
    assert aws.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "ON"
    described = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["DeletionProtection"] == "INACTIVE"
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 16
    client = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=result["user_pool"]["client_id"])
    assert client["UserPoolClient"]["AccessTokenValidity"] == 30
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["UserPoolClient"]["ExplicitAuthFlows"]
    assert user_groups(aws, pool_id, "alice@example.com") == ["viewers"]
    assert result["users"][0]["action"] == "group changed"
    assert result["created_users"] == []
    assert result["diff"]["before"]["pool"]["MfaConfiguration"] == "OPTIONAL"
    assert result["diff"]["after"]["pool"]["MfaConfiguration"] == "ON"
    assert (
        run(
            mfa="required",
            deletion_protection=False,
            password_minimum_length=16,
            access_token_validity_minutes=30,
            allow_user_password_auth=False,
            users=[{"email": "alice@example.com", "group": "viewers"}],
        )["changed"]
        is False
    )


def test_adding_a_user_later_returns_only_that_users_password(aws, run):
    run()
    result = run(users=[*BASE_ARGS["users"], {"email": "carol@example.com"}])

    assert [entry["email"] for entry in result["created_users"]] == ["carol@example.com"]
    assert result["created_users"][0]["temporary_password"]


def test_absent_refuses_while_deletion_protection_is_on_then_deletes(aws, run):
    run()
    refused = run(state="absent")
    assert refused["failed"] is True
    assert "deletion protection" in refused["msg"]

    run(deletion_protection=False)
    deleted = run(state="absent")
    assert deleted["changed"] is True
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert run(state="absent")["changed"] is False


def test_absent_with_deletion_protection_false_lifts_it_and_deletes(aws, run):
    pool_id = run()["user_pool"]["id"]
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["DeletionProtection"] == "ACTIVE"

    checked = run(state="absent", deletion_protection=False, check_mode=True)
    assert checked["changed"] is True
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["DeletionProtection"] == "ACTIVE"

    deleted = run(state="absent", deletion_protection=False)
    assert deleted["changed"] is True
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert run(state="absent", deletion_protection=False)["changed"] is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password_minimum_length": 8}, "password_minimum_length must be between 12 and 99"),
        ({"users": [{"email": "not-an-address"}]}, "is not an e-mail address"),
        ({"users": [{"email": "a@example.com"}, {"email": "A@example.com"}]}, "listed twice"),
        ({"users": [{"email": "a@example.com", "group": "root"}]}, "value of group must be one of"),
        ({"mfa": "sms"}, "value of mfa must be one of"),
        ({"refresh_token_validity_days": 0}, "refresh_token_validity_days must be between"),
    ],
)
def test_bad_input_fails_clearly(aws, run, overrides, message):
    result = run(**overrides)

    assert result["failed"] is True
    assert message in result["msg"]
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []


# --- e-mail addresses, invitations, disabling and removing people -------------------------------


def sign_in(aws, client_id: str, email: str, temporary_password: str) -> dict[str, str]:
    """Signs a new user in with their temporary password and sets their own; returns the tokens."""
    challenge = aws.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": temporary_password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answer = aws.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Own-passw0rd-of-the-user!"},
    )
    return answer["AuthenticationResult"]


def test_a_viewer_cannot_change_their_e_mail_address(aws, run):
    """The attack: a viewer takes an address the operator later lists as an admin's."""
    moto_gaps_cognito_attributes.apply()
    result = run()
    pool = result["user_pool"]
    bob = next(user for user in result["created_users"] if user["email"] == "bob@example.com")
    tokens = sign_in(aws, pool["client_id"], "bob@example.com", bob["temporary_password"])

    with pytest.raises(aws.exceptions.NotAuthorizedException, match="unauthorized attribute"):
        aws.update_user_attributes(
            AccessToken=tokens["AccessToken"],
            UserAttributes=[{"Name": "email", "Value": "carol@example.com"}],
        )
    attributes = {
        item["Name"]: item["Value"]
        for item in aws.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    }
    assert attributes["email"] == "bob@example.com"
    # What the refusal rests on, as the module configured it.
    client = aws.describe_user_pool_client(UserPoolId=pool["id"], ClientId=pool["client_id"])[
        "UserPoolClient"
    ]
    assert "email" not in client["WriteAttributes"] and client["WriteAttributes"]
    described = aws.describe_user_pool(UserPoolId=pool["id"])["UserPool"]
    assert described["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"] == ["email"]


def test_an_address_that_changed_hands_is_refused_not_promoted(aws, run):
    pool_id = run(users=[{"email": "mallory@example.com"}])["user_pool"]["id"]
    # However it happened (before this fix, or by an admin's mistake), mallory now holds the
    # address the operator is about to list as an admin's.
    aws.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="mallory@example.com",
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )

    result = run(users=[{"email": "alice@example.com", "group": "admins"}])

    assert result["failed"] is True
    assert "invited as 'mallory@example.com'" in result["msg"] and "changed hands" in result["msg"]
    assert user_groups(aws, pool_id, "alice@example.com") == ["viewers"]


def test_an_account_made_outside_the_module_is_not_adopted(aws, run):
    pool_id = run(users=[])["user_pool"]["id"]
    aws.admin_create_user(
        UserPoolId=pool_id,
        Username="alice@example.com",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )

    result = run(users=[{"email": "alice@example.com", "group": "admins"}])

    assert result["failed"] is True
    assert "was not created by this module" in result["msg"]
    assert user_groups(aws, pool_id, "alice@example.com") == []


def test_email_invitation_leaves_no_password_anywhere(aws, run, monkeypatch):
    logs = LogRecorder(monkeypatch)
    result = run(invitation="email")

    assert [user["action"] for user in result["users"]] == ["invited", "invited"]
    assert result["created_users"] == [
        {"email": "alice@example.com", "group": "admins"},
        {"email": "bob@example.com", "group": "viewers"},
    ]
    assert "'temporary_password':" not in str(result) and "TemporaryPassword" not in logs.text
    user = aws.admin_get_user(UserPoolId=result["user_pool"]["id"], Username="bob@example.com")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert run(invitation="email")["changed"] is False


def test_disabled_user_is_signed_out_and_can_be_enabled_again(aws, run):
    result = run()
    pool = result["user_pool"]
    bob = next(user for user in result["created_users"] if user["email"] == "bob@example.com")
    tokens = sign_in(aws, pool["client_id"], "bob@example.com", bob["temporary_password"])
    listed = [
        {"email": "alice@example.com", "group": "admins"},
        {"email": "bob@example.com", "state": "disabled"},
    ]

    disabled = run(users=listed, diff=True)

    assert [user["action"] for user in disabled["users"]] == ["unchanged", "disabled"]
    assert disabled["diff"]["after"]["users"]["bob@example.com"] == "disabled"
    assert aws.admin_get_user(UserPoolId=pool["id"], Username="bob@example.com")["Enabled"] is False
    with pytest.raises(aws.exceptions.NotAuthorizedException):
        aws.initiate_auth(
            ClientId=pool["client_id"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert run(users=listed)["changed"] is False

    enabled = run()
    assert [user["action"] for user in enabled["users"]] == ["unchanged", "enabled"]
    assert aws.admin_get_user(UserPoolId=pool["id"], Username="bob@example.com")["Enabled"] is True


def test_absent_user_is_signed_out_and_deleted(aws, run):
    pool_id = run()["user_pool"]["id"]
    listed = [
        {"email": "alice@example.com", "group": "admins"},
        {"email": "bob@example.com", "state": "absent"},
    ]

    checked = run(users=listed, check_mode=True)
    assert checked["changed"] is True
    assert aws.admin_get_user(UserPoolId=pool_id, Username="bob@example.com")["Enabled"] is True

    removed = run(users=listed)
    assert [user["action"] for user in removed["users"]] == ["unchanged", "deleted"]
    with pytest.raises(aws.exceptions.UserNotFoundException):
        aws.admin_get_user(UserPoolId=pool_id, Username="bob@example.com")
    again = run(users=listed)
    assert again["changed"] is False
    assert [user["action"] for user in again["users"]] == ["unchanged", "not found"]
