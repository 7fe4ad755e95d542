"""Cognito user pool gaps of moto 5.2.5 that the viewer page (amazon-cognito-identity-js) meets,
filled as AWS documents and answers the calls. Tests and the local stack only.

- SRP: moto's USER_SRP_AUTH returns random text as ``SRP_B`` and ``SALT``, a UUID as
  ``SECRET_BLOCK`` and accepts any ``PASSWORD_CLAIM_SIGNATURE``, so a wrong password gets
  tokens. Here the server side of Cognito's SRP-6a runs on the stored password: the 3072-bit
  group of RFC 5054 with g = 2, k = H(N | g), x = H(salt | H(pool + USER_ID_FOR_SRP + ":" +
  password)), B = k*v + g^b, u = H(A | B), S = (A * v^u)^b, the key is HKDF-SHA256 of S with
  u as salt and info "Caldera Derived Key" (16 bytes), and the claim must be
  base64(HMAC-SHA256(key, pool + USER_ID_FOR_SRP + SECRET_BLOCK bytes + TIMESTAMP)); "pool"
  is the pool id after its region. SECRET_BLOCK is real base64 (a UUID decodes differently
  in Python and in Node's lenient base64). A wrong proof, or a second try with the same
  SECRET_BLOCK, is refused with NotAuthorizedException "Incorrect username or password.".
  USER_ID_FOR_SRP is the user's (internal) username, as in AWS; for a pool whose users sign
  in by e-mail that is the UUID moto gives them, equal to ``sub``.
- Unknown users with ``PreventUserExistenceErrors: ENABLED``: moto answers
  UserNotFoundException. AWS answers USER_SRP_AUTH with a simulated PASSWORD_VERIFIER
  challenge and then NotAuthorizedException "Incorrect username or password.",
  USER_PASSWORD_AUTH with that NotAuthorizedException, and ConfirmForgotPassword with
  CodeMismatchException.
- A user in RESET_REQUIRED (after AdminResetUserPassword) signs in with moto's SRP as if
  nothing happened; AWS refuses the sign-in with PasswordResetRequiredException.
- NEW_PASSWORD_REQUIRED after PASSWORD_VERIFIER: moto's ChallengeParameters hold only
  USERNAME; AWS sends USER_ID_FOR_SRP, ``requiredAttributes`` (JSON list) and
  ``userAttributes`` (JSON object of the user's attributes without ``sub``).
  amazon-cognito-identity-js JSON-parses both and throws without them.
- MFA: VerifySoftwareToken with a wrong code answers EnableSoftwareTokenMFAException "Code
  mismatch and fail enable Software Token MFA" in AWS (moto: CodeMismatchException).
  RespondToAuthChallenge MFA_SETUP leaves moto's user without TOTP in GetUser's
  ``UserMFASettingList``; in AWS the verified token is the user's MFA from then on (enabled
  and preferred). GetUser / AdminGetUser leave out ``MFAOptions``, ``UserMFASettingList`` and
  ``PreferredMfaSetting`` when there is nothing to report, as AWS does (moto sends [] and "").
- ID token of a pool whose users sign in by e-mail: moto writes the name the client signed
  in with into the ``email`` claim, and amazon-cognito-identity-js signs in (SRP) with
  USER_ID_FOR_SRP, so the claim held the UUID. AWS puts the user's ``email`` attribute there.
- RevokeToken is not implemented in moto. Here it revokes the refresh token and the access and
  ID tokens issued from it (same ``origin_jti``), so REFRESH_TOKEN_AUTH with it is refused
  with NotAuthorizedException "Refresh Token has been revoked" and the access tokens no
  longer work with GetUser. A client with ``EnableTokenRevocation: false`` gets
  UnsupportedOperationException, an access or ID token UnsupportedTokenTypeException, a
  refresh token not issued to the client UnauthorizedException.
- GlobalSignOut: moto looks the access token up only in the region of the request, and the
  browser's unsigned request carries no region, so a pool outside us-east-1 could not sign
  out. Here the token is looked up in every region, as the other unsigned calls are.
- ForgotPassword / ConfirmForgotPassword: moto "sends" ``moto-confirmation-code:<6 digits>``
  in the response header ``x-moto-forgot-password-confirmation-code`` and accepts any code
  without that prefix. Here the code is six digits like Cognito's e-mail code, still in that
  header, and also written to the moto server's stderr (the local stack's moto.log) as
  ``privatecast: ForgotPassword code for <username>: <code>``. ConfirmForgotPassword refuses
  any other code with CodeMismatchException, checks the new password against the pool's
  policy (InvalidPasswordException) and leaves the user CONFIRMED. ForgotPassword for a user
  who never set a password (FORCE_CHANGE_PASSWORD) is refused with NotAuthorizedException
  "User password cannot be reset in the current state.", as in AWS. For an unknown e-mail
  address moto's simulated destination reads ``<address>@h***.com``; here it is masked like a
  real one (``a***@e***``), so the answer does not tell that the user does not exist.

Checked and left alone (moto matches AWS for the page): REFRESH_TOKEN_AUTH, GlobalSignOut's
effect, NEW_PASSWORD_REQUIRED's password policy check, the MFA_SETUP challenge of a pool
with MFA ON, AssociateSoftwareToken / VerifySoftwareToken with Session or AccessToken,
SetUserMFAPreference, the SOFTWARE_TOKEN_MFA challenge and its CodeMismatchException, CORS
(moto answers a preflight with the request's origin, methods and headers and puts
Access-Control-Allow-Origin on every answer) and errors as JSON ``{"__type", "message"}``.
Moto's TOTP secret is always ``asdfasdfasdf`` (enforced only with
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true, as tests/support/moto_server.py starts it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sys
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from moto.cognitoidp import models as cognito_models
from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, CognitoIdpUserPool, UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import EmptyResult

# The 3072-bit MODP group (RFC 3526 / RFC 5054) that Cognito's SRP uses, generator 2.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
HKDF_INFO = b"Caldera Derived Key"
WRONG_PASSWORD = "Incorrect username or password."
WRONG_CODE = "Invalid verification code provided, please try again."
STATE_ATTRIBUTE = "privatecast_srp_challenges"


class PasswordResetRequiredException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("PasswordResetRequiredException", "Password reset required for the user")


class EnableSoftwareTokenMFAException(JsonRESTError):
    def __init__(self) -> None:
        message = "Code mismatch and fail enable Software Token MFA"
        super().__init__("EnableSoftwareTokenMFAException", message)


class UnsupportedOperationException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("UnsupportedOperationException", "Token revocation is not enabled for this client.")


class UnsupportedTokenTypeException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")


class UnauthorizedException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("UnauthorizedException", "Invalid refresh token for this client.")


# --- SRP-6a, server side --------------------------------------------------------------------


def pad_hex(value: int) -> str:
    """Hex of a non-negative number as SRP hashes it: even length, and a leading 00 when the
    first digit would read as a sign bit."""
    text = f"{value:x}"
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdef" else text


def hash_hex(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K = int(hash_hex(pad_hex(N) + pad_hex(G)), 16)


def password_verifier(pool_name: str, user_id: str, password: str, salt: int) -> int:
    """v = g^x with x = H(salt | H(pool + user id + ":" + password))."""
    identity = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
    x = int(hash_hex(pad_hex(salt) + identity), 16)
    return pow(G, x, N)


@dataclass
class SrpChallenge:
    """One USER_SRP_AUTH challenge, kept until its PASSWORD_VERIFIER answer arrives."""

    pool_name: str
    user_id: str
    known_user: bool
    big_a: int
    small_b: int
    salt: int
    verifier: int

    @property
    def big_b(self) -> int:
        return (K * self.verifier + pow(G, self.small_b, N)) % N

    def key(self) -> bytes:
        u = int(hash_hex(pad_hex(self.big_a) + pad_hex(self.big_b)), 16)
        shared = pow(self.big_a * pow(self.verifier, u, N) % N, self.small_b, N)
        hkdf = HKDF(algorithm=hashes.SHA256(), length=16, salt=bytes.fromhex(pad_hex(u)), info=HKDF_INFO)
        return hkdf.derive(bytes.fromhex(pad_hex(shared)))

    def expected_signature(self, secret_block: str, timestamp: str) -> str:
        message = (
            self.pool_name.encode()
            + self.user_id.encode()
            + base64.b64decode(secret_block)
            + timestamp.encode()
        )
        return base64.b64encode(hmac.new(self.key(), message, hashlib.sha256).digest()).decode()

    def accepts(self, secret_block: str, timestamp: str, signature: str) -> bool:
        if not self.known_user or self.big_a % N == 0:
            return False
        return hmac.compare_digest(self.expected_signature(secret_block, timestamp), signature)


def new_challenge(pool: CognitoIdpUserPool, user_id: str, password: str | None, srp_a: str) -> SrpChallenge:
    """A challenge for one sign-in; an unknown user (password None) gets a verifier that no
    password matches."""
    pool_name = pool.id.split("_", 1)[1]
    salt = secrets.randbits(128) | (1 << 124)  # 32 hex digits, no leading zero
    return SrpChallenge(
        pool_name=pool_name,
        user_id=user_id,
        known_user=password is not None,
        big_a=int(srp_a, 16),
        small_b=secrets.randbits(1024) % N,
        salt=salt,
        verifier=password_verifier(pool_name, user_id, password or secrets.token_hex(32), salt),
    )


# --- helpers ------------------------------------------------------------------------------------


def _challenges(backend: CognitoIdpBackend) -> dict[str, SrpChallenge]:
    if not hasattr(backend, STATE_ATTRIBUTE):
        setattr(backend, STATE_ATTRIBUTE, {})
    return getattr(backend, STATE_ATTRIBUTE)


def _pool_and_client(backend: CognitoIdpBackend, client_id: str) -> tuple[CognitoIdpUserPool, Any]:
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool, pool.clients[client_id]
    raise ResourceNotFoundError(client_id)


def _hides_users(client: Any) -> bool:
    return client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def _all_backends() -> list[CognitoIdpBackend]:
    return [
        backend
        for account in cognito_models.cognitoidp_backends.values()
        for region, backend in account.items()
        if region != "global"
    ]


def _token_claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


# --- InitiateAuth / RespondToAuthChallenge -------------------------------------------------------


def _start_srp(backend: CognitoIdpBackend, client_id: str, parameters: dict[str, str], original) -> dict:
    pool, client = _pool_and_client(backend, client_id)
    user = pool._get_user(parameters.get("USERNAME", ""))
    if user is None and _hides_users(client) and parameters.get("SRP_A"):
        challenge = new_challenge(pool, parameters["USERNAME"], None, parameters["SRP_A"])
        session = None
    else:
        result = original(backend, client_id, "USER_SRP_AUTH", parameters)
        session = backend.sessions.pop(result["Session"])
        if user.status == UserStatus.RESET_REQUIRED:
            raise PasswordResetRequiredException()
        challenge = new_challenge(pool, user.username, user.password, parameters["SRP_A"])
    secret_block = base64.b64encode(secrets.token_bytes(96)).decode()
    _challenges(backend)[secret_block] = challenge
    if session is not None:
        backend.sessions[secret_block] = session
    parameters = {
        "SALT": f"{challenge.salt:x}",
        "SRP_B": f"{challenge.big_b:x}",
        "USERNAME": challenge.user_id,
        "USER_ID_FOR_SRP": challenge.user_id,
        "SECRET_BLOCK": secret_block,
    }
    return {"ChallengeName": "PASSWORD_VERIFIER", "Session": secret_block, "ChallengeParameters": parameters}


def _start_password_auth(backend: CognitoIdpBackend, client_id: str, parameters: dict[str, str], original):
    pool, client = _pool_and_client(backend, client_id)
    user = pool._get_user(parameters.get("USERNAME", ""))
    if user is None and _hides_users(client):
        raise NotAuthorizedError(WRONG_PASSWORD)
    if user is not None and user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredException()
    return original(backend, client_id, "USER_PASSWORD_AUTH", parameters)


def _wrap_initiate_auth(original):
    def initiate_auth(self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict):
        if auth_flow == "USER_SRP_AUTH":
            return _start_srp(self, client_id, auth_parameters or {}, original)
        if auth_flow == "USER_PASSWORD_AUTH":
            return _start_password_auth(self, client_id, auth_parameters or {}, original)
        return original(self, client_id, auth_flow, auth_parameters)

    initiate_auth.patched_by_privatecast = True
    return initiate_auth


def _check_password_claim(backend: CognitoIdpBackend, responses: dict[str, str]) -> None:
    secret_block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
    challenge = _challenges(backend).pop(secret_block, None)
    accepted = challenge is not None and challenge.accepts(
        secret_block, responses.get("TIMESTAMP", ""), responses.get("PASSWORD_CLAIM_SIGNATURE", "")
    )
    if not accepted:
        backend.sessions.pop(secret_block, None)
        raise NotAuthorizedError(WRONG_PASSWORD)


def _new_password_parameters(user: CognitoIdpUser) -> dict[str, str]:
    attributes = {item["Name"]: item["Value"] for item in user.attributes if item["Name"] != "sub"}
    return {
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": "[]",
        "userAttributes": json.dumps(attributes),
    }


def _finish_mfa_setup(backend: CognitoIdpBackend, session: str) -> None:
    username, pool = backend.sessions[session]
    user = pool._get_user(username)
    if user is not None and user.token_verified:
        user.software_token_mfa_enabled = True
        user.preferred_mfa_setting = user.preferred_mfa_setting or "SOFTWARE_TOKEN_MFA"


def _wrap_respond_to_auth_challenge(original):
    def respond_to_auth_challenge(
        self: CognitoIdpBackend, session: str, client_id: str, challenge_name: str, responses: dict[str, str]
    ) -> dict[str, Any]:
        responses = responses or {}
        if challenge_name == "PASSWORD_VERIFIER":
            _check_password_claim(self, responses)
        if challenge_name == "MFA_SETUP" and session in self.sessions:
            _finish_mfa_setup(self, session)
        result = original(self, session, client_id, challenge_name, responses)
        if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and challenge_name == "PASSWORD_VERIFIER":
            username, pool = self.sessions[result["Session"]]
            result["ChallengeParameters"] = _new_password_parameters(pool._get_user(username))
        return result

    respond_to_auth_challenge.patched_by_privatecast = True
    return respond_to_auth_challenge


def _wrap_create_jwt(original):
    def create_jwt(self: CognitoIdpUserPool, client_id: str, username: str, token_use: str, *args, **kwargs):
        user = self._get_user(username)
        signs_in_by_email = "email" in self.extended_config.get("UsernameAttributes", [])
        if token_use == "id" and signs_in_by_email and user is not None and "email" in user.attribute_lookup:
            kwargs["extra_data"] = {
                **(kwargs.get("extra_data") or {}),
                "email": user.attribute_lookup["email"],
            }
        return original(self, client_id, username, token_use, *args, **kwargs)

    create_jwt.patched_by_privatecast = True
    return create_jwt


# --- MFA -----------------------------------------------------------------------------------------


def _wrap_verify_software_token(original):
    def verify_software_token(
        self: CognitoIdpBackend, access_token: str, session: str, user_code: str, friendly_device_name: str
    ) -> dict[str, str]:
        try:
            result = original(self, access_token, session, user_code, friendly_device_name)
        except CodeMismatchException:
            raise EnableSoftwareTokenMFAException() from None
        if not session:
            self.sessions.pop(result.pop("Session"), None)
        return result

    verify_software_token.patched_by_privatecast = True
    return verify_software_token


def _wrap_user_to_json(original):
    def to_json(self: CognitoIdpUser, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result = original(self, *args, **kwargs)
        for key in ("MFAOptions", "UserMFASettingList", "PreferredMfaSetting"):
            if key in result and not result[key]:
                del result[key]
        return result

    to_json.patched_by_privatecast = True
    return to_json


# --- RevokeToken / GlobalSignOut -------------------------------------------------------------


def _revoke(pool: CognitoIdpUserPool, refresh_token: str) -> None:
    origin_jti = pool.refresh_tokens[refresh_token][2]
    pool.refresh_tokens[refresh_token] = None
    for tokens in (pool.access_tokens, pool.id_tokens):
        for token in [token for token in tokens if _token_claims(token).get("origin_jti") == origin_jti]:
            tokens.pop(token)


def revoke_token(self: CognitoIdpResponse) -> EmptyResult:
    token = self._get_param("Token") or ""
    client_id = self._get_param("ClientId") or ""
    for backend in _all_backends():
        for pool in backend.user_pools.values():
            if client_id not in pool.clients:
                continue
            if not pool.clients[client_id].extended_config.get("EnableTokenRevocation", True):
                raise UnsupportedOperationException()
            if _token_claims(token):
                raise UnsupportedTokenTypeException()
            if token not in pool.refresh_tokens:
                raise UnauthorizedException()
            entry = pool.refresh_tokens[token]
            if entry is not None:
                if entry[0] != client_id:
                    raise UnauthorizedException()
                _revoke(pool, token)
            return EmptyResult()
    raise ResourceNotFoundError(client_id)


def _wrap_global_sign_out(original):
    def global_sign_out(self: CognitoIdpBackend, access_token: str) -> None:
        for backend in _all_backends():
            if any(access_token in pool.access_tokens for pool in backend.user_pools.values()):
                return original(backend, access_token)
        return original(self, access_token)

    global_sign_out.patched_by_privatecast = True
    return global_sign_out


# --- ForgotPassword / ConfirmForgotPassword --------------------------------------------------


def _wrap_forgot_password(original):
    def forgot_password(self: CognitoIdpBackend, client_id: str, username: str) -> tuple[str | None, dict]:
        pool = _pool_and_client(self, client_id)[0]
        user = pool._get_user(username)
        if user is not None and user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            raise NotAuthorizedError("User password cannot be reset in the current state.")
        response = original(self, client_id, username)[1]
        if user is None:
            details = response["CodeDeliveryDetails"]
            if details["DeliveryMedium"] == "EMAIL" and "@" in username:
                local, domain = username.split("@", 1)
                details["Destination"] = f"{local[:1]}***@{domain[:1]}***"
            return None, response
        user.confirmation_code = f"{secrets.randbelow(1_000_000):06d}"
        print(f"privatecast: ForgotPassword code for {username}: {user.confirmation_code}", file=sys.stderr)
        sys.stderr.flush()
        return user.confirmation_code, response

    forgot_password.patched_by_privatecast = True
    return forgot_password


def confirm_forgot_password(
    self: CognitoIdpBackend, client_id: str, username: str, password: str, confirmation_code: str
) -> None:
    pool, client = _pool_and_client(self, client_id)
    user = pool._get_user(username)
    if user is None:
        if _hides_users(client):
            raise CodeMismatchException(WRONG_CODE)
        raise UserNotFoundError("Username/client id combination not found.")
    expected = user.confirmation_code or ""
    if not expected or not hmac.compare_digest(expected, confirmation_code or ""):
        raise CodeMismatchException(WRONG_CODE)
    self._validate_password(pool.id, password)
    user.password = password
    user.confirmation_code = None
    user.status = UserStatus.CONFIRMED


def _patch_once(owner: type, name: str, wrap) -> None:
    """Wraps owner.name once, however often apply() runs."""
    current = getattr(owner, name)
    if not getattr(current, "patched_by_privatecast", False):
        setattr(owner, name, wrap(current))


def apply() -> None:
    _patch_once(CognitoIdpBackend, "initiate_auth", _wrap_initiate_auth)
    _patch_once(CognitoIdpBackend, "respond_to_auth_challenge", _wrap_respond_to_auth_challenge)
    _patch_once(CognitoIdpBackend, "verify_software_token", _wrap_verify_software_token)
    _patch_once(CognitoIdpBackend, "global_sign_out", _wrap_global_sign_out)
    _patch_once(CognitoIdpBackend, "forgot_password", _wrap_forgot_password)
    _patch_once(CognitoIdpUser, "to_json", _wrap_user_to_json)
    _patch_once(CognitoIdpUserPool, "create_jwt", _wrap_create_jwt)
    CognitoIdpBackend.confirm_forgot_password = confirm_forgot_password
    CognitoIdpResponse.revoke_token = revoke_token
