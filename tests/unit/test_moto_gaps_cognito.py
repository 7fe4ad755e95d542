"""The Cognito calls of the viewer page against moto in-process with tests/support/moto_gaps_cognito.py:
SRP with a real password proof, the NEW_PASSWORD_REQUIRED / MFA_SETUP / SOFTWARE_TOKEN_MFA
challenges, TOTP enrolment, GetUser, refresh, RevokeToken, GlobalSignOut, forgotten passwords,
and the CORS / error answers of the moto server. The client side of SRP is pycognito's AWSSRP."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from moto import mock_aws
from moto.cognitoidp import models as cognito_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import DomainDispatcherApplication, create_backend_app
from pycognito.aws_srp import AWSSRP
from werkzeug.test import Client

from tests.support import moto_gaps

REGION = "eu-central-1"
EMAIL = "alice@example.com"
TEMPORARY = "Temporary-Pass-1"
PASSWORD = "Chosen-Password-1"
RESET_PASSWORD = "Another-Password-1"
ORIGIN = "https://127.0.0.1:8480"


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    moto_gaps.apply()
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


def make_pool(idp: Any, mfa: str = "OPTIONAL", revocation: bool = True) -> tuple[str, str]:
    """A pool and app client configured as the collection's cognito_user_pool makes them."""
    pool_id = idp.create_user_pool(
        PoolName="unit",
        UsernameAttributes=["email"],
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        Policies={"PasswordPolicy": {"MinimumLength": 14}},
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": mfa != "OFF"}, MfaConfiguration=mfa
    )
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=revocation,
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def add_user(idp: Any, pool_id: str, confirmed: bool = True) -> None:
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=EMAIL,
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": EMAIL}, {"Name": "email_verified", "Value": "true"}],
    )
    if confirmed:
        idp.admin_set_user_password(UserPoolId=pool_id, Username=EMAIL, Password=PASSWORD, Permanent=True)


def srp_sign_in(idp: Any, pool_id: str, client_id: str, password: str, **overrides: str) -> dict[str, Any]:
    """USER_SRP_AUTH and the PASSWORD_VERIFIER answer, as a browser client computes it;
    overrides replace challenge parameters before the client uses them."""
    srp = AWSSRP(username=EMAIL, password=password, pool_id=pool_id, client_id=client_id, client=idp)
    auth_parameters = srp.get_auth_params()
    started = idp.initiate_auth(AuthFlow="USER_SRP_AUTH", ClientId=client_id, AuthParameters=auth_parameters)
    assert started["ChallengeName"] == "PASSWORD_VERIFIER"
    answer = srp.process_challenge({**started["ChallengeParameters"], **overrides}, auth_parameters)
    return idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )


def totp_code(secret: str) -> str:
    """The current code of a base32 TOTP secret (waits out the last second of a period)."""
    if time.time() % 30 > 28.5:
        time.sleep(30 - time.time() % 30 + 0.1)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303 - RFC 6238 TOTP, as Cognito
    return totp.generate(time.time()).decode()


def error_of(excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# --- SRP ---------------------------------------------------------------------------------


def test_srp_gives_tokens_for_the_right_password_only(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)

    tokens = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(tokens)
    assert claims(tokens["IdToken"])["email"] == EMAIL

    with pytest.raises(idp.exceptions.NotAuthorizedException) as excinfo:
        srp_sign_in(idp, pool_id, client_id, PASSWORD + "x")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_srp_challenge_is_real_and_signed_with_user_id_for_srp(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    srp = AWSSRP(username=EMAIL, password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp)
    started = idp.initiate_auth(
        AuthFlow="USER_SRP_AUTH", ClientId=client_id, AuthParameters=srp.get_auth_params()
    )
    parameters = started["ChallengeParameters"]
    user = idp.admin_get_user(UserPoolId=pool_id, Username=EMAIL)
    sub = next(item["Value"] for item in user["UserAttributes"] if item["Name"] == "sub")

    assert parameters["USER_ID_FOR_SRP"] == parameters["USERNAME"] == user["Username"] == sub
    assert int(parameters["SRP_B"], 16).bit_length() > 2048
    assert len(base64.b64decode(parameters["SECRET_BLOCK"], validate=True)) >= 64
    # The client signs with its e-mail login instead of USER_ID_FOR_SRP: refused.
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        srp_sign_in(idp, pool_id, client_id, PASSWORD, USER_ID_FOR_SRP=EMAIL)


def test_a_secret_block_answers_once(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    srp = AWSSRP(username=EMAIL, password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp)
    auth_parameters = srp.get_auth_params()
    started = idp.initiate_auth(AuthFlow="USER_SRP_AUTH", ClientId=client_id, AuthParameters=auth_parameters)
    answer = srp.process_challenge(started["ChallengeParameters"], auth_parameters)

    idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )


def test_unknown_user_is_told_only_incorrect_username_or_password(idp):
    pool_id, client_id = make_pool(idp)
    srp = AWSSRP(
        username="nobody@example.com", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp
    )

    with pytest.raises(idp.exceptions.NotAuthorizedException) as excinfo:
        srp.authenticate_user()
    assert error_of(excinfo)[1] == "Incorrect username or password."
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "nobody@example.com", "PASSWORD": PASSWORD},
        )


def test_new_password_required_follows_a_correct_proof_only(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id, confirmed=False)

    with pytest.raises(idp.exceptions.NotAuthorizedException):
        srp_sign_in(idp, pool_id, client_id, "Not-The-Temporary-1")
    challenge = srp_sign_in(idp, pool_id, client_id, TEMPORARY)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    parameters = challenge["ChallengeParameters"]
    assert json.loads(parameters["requiredAttributes"]) == []
    assert json.loads(parameters["userAttributes"]) == {"email": EMAIL, "email_verified": "true"}

    def new_password(password: str) -> dict[str, Any]:
        return idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": parameters["USER_ID_FOR_SRP"], "NEW_PASSWORD": password},
        )

    with pytest.raises(idp.exceptions.InvalidPasswordException):
        new_password("Short-1a")
    assert "AccessToken" in new_password(PASSWORD)["AuthenticationResult"]
    assert "AccessToken" in srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        srp_sign_in(idp, pool_id, client_id, TEMPORARY)


def test_reset_required_user_is_sent_to_reset_the_password(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    idp.admin_reset_user_password(UserPoolId=pool_id, Username=EMAIL)

    with pytest.raises(idp.exceptions.PasswordResetRequiredException):
        srp_sign_in(idp, pool_id, client_id, PASSWORD)
    with pytest.raises(idp.exceptions.PasswordResetRequiredException):
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
        )


# --- MFA ---------------------------------------------------------------------------------


def test_get_user_without_mfa_lists_none(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    access = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]["AccessToken"]

    user = idp.get_user(AccessToken=access)
    assert {"UserMFASettingList", "PreferredMfaSetting", "MFAOptions"}.isdisjoint(user)
    assert user["Username"] == claims(access)["sub"]


def test_optional_totp_enrolment_then_sign_in_needs_the_code(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    access = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]["AccessToken"]

    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    with pytest.raises(idp.exceptions.EnableSoftwareTokenMFAException):
        idp.verify_software_token(AccessToken=access, UserCode="000000", FriendlyDeviceName="phone")
    verified = idp.verify_software_token(
        AccessToken=access, UserCode=totp_code(secret), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    assert "Session" not in verified
    idp.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = idp.get_user(AccessToken=access)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    with pytest.raises(idp.exceptions.NotAuthorizedException):
        srp_sign_in(idp, pool_id, client_id, "Wrong-Password-12")
    challenge = srp_sign_in(idp, pool_id, client_id, PASSWORD)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    username = claims(access)["username"]

    def answer(code: str) -> dict[str, Any]:
        return idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
        )

    with pytest.raises(idp.exceptions.CodeMismatchException):
        answer("000000")
    assert "AccessToken" in answer(totp_code(secret))["AuthenticationResult"]


def test_required_mfa_is_set_up_with_the_session(idp):
    pool_id, client_id = make_pool(idp, mfa="ON")
    add_user(idp, pool_id, confirmed=False)
    challenge = srp_sign_in(idp, pool_id, client_id, TEMPORARY)
    username = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
    setup = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD},
    )
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert "SOFTWARE_TOKEN_MFA" in setup["ChallengeParameters"]["MFAS_CAN_SETUP"]

    associated = idp.associate_software_token(Session=setup["Session"])
    with pytest.raises(idp.exceptions.EnableSoftwareTokenMFAException):
        idp.verify_software_token(Session=associated["Session"], UserCode="000000")
    verified = idp.verify_software_token(
        Session=associated["Session"], UserCode=totp_code(associated["SecretCode"])
    )
    assert verified["Status"] == "SUCCESS"
    tokens = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )["AuthenticationResult"]

    user = idp.get_user(AccessToken=tokens["AccessToken"])
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert srp_sign_in(idp, pool_id, client_id, PASSWORD)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


# --- tokens --------------------------------------------------------------------------------


def refresh(idp: Any, client_id: str, refresh_token: str) -> dict[str, Any]:
    return idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH", ClientId=client_id, AuthParameters={"REFRESH_TOKEN": refresh_token}
    )["AuthenticationResult"]


def test_revoke_token_ends_that_session_only(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    first = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]
    second = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]
    renewed = refresh(idp, client_id, first["RefreshToken"])
    assert claims(renewed["AccessToken"])["origin_jti"] == claims(first["AccessToken"])["origin_jti"]

    idp.revoke_token(Token=first["RefreshToken"], ClientId=client_id)

    with pytest.raises(idp.exceptions.NotAuthorizedException) as excinfo:
        refresh(idp, client_id, first["RefreshToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    for access in (first["AccessToken"], renewed["AccessToken"]):
        with pytest.raises(idp.exceptions.NotAuthorizedException):
            idp.get_user(AccessToken=access)
    assert idp.get_user(AccessToken=second["AccessToken"])["Username"]
    assert "AccessToken" in refresh(idp, client_id, second["RefreshToken"])


def test_revoke_token_refusals(idp):
    pool_id, client_id = make_pool(idp)
    other_client = make_pool(idp, revocation=False)[1]
    add_user(idp, pool_id)
    tokens = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]
    third_client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="other")["UserPoolClient"][
        "ClientId"
    ]

    with pytest.raises(idp.exceptions.UnsupportedTokenTypeException):
        idp.revoke_token(Token=tokens["AccessToken"], ClientId=client_id)
    with pytest.raises(idp.exceptions.UnsupportedOperationException):
        idp.revoke_token(Token=tokens["RefreshToken"], ClientId=other_client)
    with pytest.raises(idp.exceptions.UnauthorizedException):
        idp.revoke_token(Token=tokens["RefreshToken"], ClientId=third_client)
    assert "AccessToken" in refresh(idp, client_id, tokens["RefreshToken"])


def test_global_sign_out_ends_every_session_whatever_region_the_request_names(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    tokens = srp_sign_in(idp, pool_id, client_id, PASSWORD)["AuthenticationResult"]

    # The browser's unsigned request reaches moto without a region: us-east-1's backend.
    cognito_models.cognitoidp_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].global_sign_out(tokens["AccessToken"])

    with pytest.raises(idp.exceptions.NotAuthorizedException):
        refresh(idp, client_id, tokens["RefreshToken"])
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=tokens["AccessToken"])


# --- forgotten passwords ----------------------------------------------------------------


def forgot(idp: Any, client_id: str, username: str = EMAIL) -> tuple[str | None, dict[str, Any]]:
    answer = idp.forgot_password(ClientId=client_id, Username=username)
    return answer["ResponseMetadata"]["HTTPHeaders"].get("x-moto-forgot-password-confirmation-code"), answer


def test_forgot_password_code_is_needed_to_set_a_new_password(idp, capsys):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    code, answer = forgot(idp, client_id)
    assert code.isdigit() and len(code) == 6
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert f"ForgotPassword code for {EMAIL}: {code}" in capsys.readouterr().err

    def confirm(confirmation_code: str, password: str = RESET_PASSWORD) -> None:
        idp.confirm_forgot_password(
            ClientId=client_id, Username=EMAIL, ConfirmationCode=confirmation_code, Password=password
        )

    for wrong in (f"{(int(code) + 1) % 1_000_000:06d}", f"moto-confirmation-code:{code}"):
        with pytest.raises(idp.exceptions.CodeMismatchException):
            confirm(wrong)
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        confirm(code, "Short-1a")
    confirm(code)
    assert "AccessToken" in srp_sign_in(idp, pool_id, client_id, RESET_PASSWORD)["AuthenticationResult"]
    with pytest.raises(idp.exceptions.CodeMismatchException):
        confirm(code)


def test_forgot_password_after_admin_reset_confirms_the_user(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    idp.admin_reset_user_password(UserPoolId=pool_id, Username=EMAIL)
    code = forgot(idp, client_id)[0]
    idp.confirm_forgot_password(
        ClientId=client_id, Username=EMAIL, ConfirmationCode=code, Password=RESET_PASSWORD
    )

    assert idp.admin_get_user(UserPoolId=pool_id, Username=EMAIL)["UserStatus"] == "CONFIRMED"
    assert "AccessToken" in srp_sign_in(idp, pool_id, client_id, RESET_PASSWORD)["AuthenticationResult"]


def test_forgot_password_refusals(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id, confirmed=False)

    with pytest.raises(idp.exceptions.NotAuthorizedException) as excinfo:
        forgot(idp, client_id)
    assert error_of(excinfo)[1] == "User password cannot be reset in the current state."
    code, answer = forgot(idp, client_id, "nobody@example.com")
    assert code is None
    assert answer["CodeDeliveryDetails"]["Destination"] == "n***@e***"
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.confirm_forgot_password(
            ClientId=client_id, Username="nobody@example.com", ConfirmationCode="123456", Password=PASSWORD
        )


# --- the moto server as the browser meets it -----------------------------------------------


def test_server_allows_the_page_origin_and_answers_errors_as_json(idp):
    pool_id, client_id = make_pool(idp)
    add_user(idp, pool_id)
    server = Client(DomainDispatcherApplication(create_backend_app))
    wanted_headers = "content-type,x-amz-target,x-amz-user-agent,cache-control"

    preflight = server.options(
        "/",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": wanted_headers,
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = {name.strip() for name in preflight.headers["Access-Control-Allow-Headers"].lower().split(",")}
    assert set(wanted_headers.split(",")) <= allowed

    # An unsigned request as amazon-cognito-identity-js sends it, with a wrong password.
    srp = AWSSRP(
        username=EMAIL, password="Wrong-Password-12", pool_id=pool_id, client_id=client_id, client=idp
    )
    headers = {
        "Origin": ORIGIN,
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-User-Agent": "aws-amplify/5.0.4 js",
        "Cache-Control": "no-store",
    }

    def post(operation: str, body: dict[str, Any]) -> Any:
        target = {"X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"}
        return server.post("/", data=json.dumps(body), headers={**headers, **target})

    auth_parameters = srp.get_auth_params()
    started = post(
        "InitiateAuth",
        {"AuthFlow": "USER_SRP_AUTH", "ClientId": client_id, "AuthParameters": auth_parameters},
    )
    assert started.status_code == 200
    assert started.headers["Access-Control-Allow-Origin"] == ORIGIN
    challenge = json.loads(started.get_data())
    answer = srp.process_challenge(challenge["ChallengeParameters"], auth_parameters)
    refused = post(
        "RespondToAuthChallenge",
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": client_id,
            "ChallengeResponses": answer,
            "Session": challenge["Session"],
        },
    )
    assert refused.status_code == 400
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert json.loads(refused.get_data()) == {
        "__type": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }
