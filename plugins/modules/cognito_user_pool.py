#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cognito_user_pool
short_description: Manage a Cognito user pool, its public app client, groups and users
version_added: 0.1.0
description:
  - Creates, updates or deletes an Amazon Cognito user pool for people who log in to watch.
  - The pool has a strong password policy (every character class, a configurable minimum length
    of at least 12), TOTP (software token) MFA only (never SMS), no self sign-up and the e-mail
    address as user name.
  - It holds one public app client (no secret) for the viewer page, with the SRP, password and
    refresh-token flows, user existence errors prevented and token revocation on.
  - It holds the groups C(admins) and C(viewers) and the users listed in O(users).
  - A new user is invited in one of two ways (O(invitation)). V(email) lets Cognito send the
    invitation with a temporary password it makes itself, so no password passes through Ansible.
    V(print) makes a random temporary password that satisfies the policy and returns it in
    RV(created_users) only by the run that creates the user, and never again; it is never reset
    on a later run. Register the result with C(no_log) and show it to the operator once.
  - An existing user's group membership is reconciled with O(users), and a user can be disabled
    or removed (O(users[].state)). Users who are not listed are left alone.
  - Users cannot change their own e-mail address, which is also their user name. The app client
    may write no attribute but C(locale), and the pool requires a verified address before any
    e-mail update. A user listed in O(users) is recognised by the address the module invited it
    with, kept in the immutable attribute C(custom:invited_email); a user whose address no longer
    matches it is refused, never put in a group.
  - The pool is found by its name; two pools with the same name are an error.
author:
  - privatecast.streaming developers (@privatecast)
options:
  name:
    description: Name of the user pool; the app client has the same name unless O(client_name) is set.
    required: true
    type: str
  state:
    description:
      - V(present) creates or updates the pool, V(absent) deletes it with its client, groups and users.
      - Deleting fails while deletion protection is on.
    choices: [present, absent]
    default: present
    type: str
  password_minimum_length:
    description: Minimum password length. Upper case, lower case, digits and symbols are always required.
    type: int
    default: 14
  temporary_password_validity_days:
    description: Days a new user's temporary password stays valid.
    type: int
    default: 7
  mfa:
    description:
      - TOTP (authenticator app) MFA. V(optional) lets each user turn it on, V(required) makes it
        mandatory, V(off) disables it. SMS MFA is never enabled.
    choices: ['off', optional, required]
    default: optional
    type: str
  deletion_protection:
    description:
      - Refuse to delete the pool (in this module and in the AWS API) while true.
      - With O(state=absent), V(false) lifts the pool's deletion protection before deleting it
        (what a teardown does); V(true) refuses to delete a protected pool.
    type: bool
    default: true
  client_name:
    description: Name of the app client. Defaults to O(name).
    type: str
  allow_user_password_auth:
    description:
      - Allow the C(USER_PASSWORD_AUTH) flow besides SRP and refresh tokens.
      - It sends the password itself (over TLS) to Cognito; SRP never does.
    type: bool
    default: true
  access_token_validity_minutes:
    description: Lifetime of access tokens, 5 to 1440 minutes.
    type: int
    default: 60
  id_token_validity_minutes:
    description: Lifetime of ID tokens, 5 to 1440 minutes.
    type: int
    default: 60
  refresh_token_validity_days:
    description: Lifetime of refresh tokens, 1 to 3650 days; a user logs in again after it.
    type: int
    default: 30
  invitation:
    description:
      - How a new user gets their temporary password.
      - V(email) has Cognito send the invitation e-mail with a password it makes; nothing is
        returned or printed. Cognito's own e-mail sending is limited to a few dozen messages a day.
      - V(print) returns a generated password in RV(created_users), once. It then sits in whatever
        shows the run's output (CI logs keep it for days). Use it for a local test stack, or
        when no e-mail can reach the user.
    type: str
    choices: [email, print]
    default: email
  users:
    description:
      - People who may log in. Each is created once with a temporary password and put in its group.
    type: list
    elements: dict
    default: []
    suboptions:
      email:
        description: E-mail address; the user name. Compared case-insensitively.
        type: str
        required: true
      group:
        description: V(admins) may start, stop and delete; V(viewers) may watch.
        type: str
        choices: [admins, viewers]
        default: viewers
      state:
        description:
          - V(present) creates the user (or enables a disabled one).
          - V(disabled) signs the user out everywhere (their refresh tokens are revoked) and disables
            the account; it can be enabled again by setting V(present).
          - V(absent) signs the user out everywhere, disables and then deletes the account.
          - Tokens already issued stay valid until they expire (O(access_token_validity_minutes)),
            and so do signed cookies.
        type: str
        choices: [present, disabled, absent]
        default: present
notes:
  - With O(invitation=print) new users are created with the invitation message suppressed; the
    operator passes the temporary password on, and the user chooses their own at first login.
  - Supports check mode. In check mode no password is generated.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: Create the pool, its client, groups and two users
  privatecast.streaming.cognito_user_pool:
    name: privatecast
    mfa: optional
    users:
      - email: alice@example.com
        group: admins
      - email: bob@example.com
    tags:
      privatecast:stack: privatecast

- name: Disable one user and remove another (both are signed out everywhere)
  privatecast.streaming.cognito_user_pool:
    name: privatecast
    users:
      - email: alice@example.com
        group: admins
      - email: bob@example.com
        state: disabled
      - email: carol@example.com
        state: absent

- name: A local test pool whose users get printed passwords
  privatecast.streaming.cognito_user_pool:
    name: privatecast-local
    invitation: print
    users:
      - email: tester@example.com
  register: pool
  no_log: true  # created_users holds temporary passwords

- name: Show new users' temporary passwords (this is the only time they are shown)
  ansible.builtin.debug:
    msg: "{{ item.email }}: {{ item.temporary_password }}"
  loop: "{{ pool.created_users }}"

- name: Delete a pool (turn deletion protection off first)
  privatecast.streaming.cognito_user_pool:
    name: privatecast
    state: absent
"""

RETURN = r"""
user_pool:
  description: The pool and its app client. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: User pool id.
      type: str
      sample: eu-west-1_AbCdEf123
    arn:
      description: User pool ARN.
      type: str
      sample: arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123
    name:
      description: User pool name.
      type: str
    client_id:
      description: Id of the public app client (it has no secret).
      type: str
    issuer:
      description: Token issuer URL, for a JWT authorizer.
      type: str
      sample: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123
    jwks_url:
      description: URL of the pool's public signing keys.
      type: str
      sample: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json
    mfa:
      description: The MFA mode.
      type: str
      sample: optional
    deletion_protection:
      description: Whether deletion protection is on.
      type: bool
users:
  description: Every listed user with its group and what this run did to it. Never holds a password.
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    email:
      description: The user name.
      type: str
    group:
      description: The user's group.
      type: str
    state:
      description: The state asked for.
      type: str
    action:
      description: >-
        V(created), V(invited) (created, Cognito sent the invitation), V(group changed),
        V(enabled), V(disabled), V(deleted), V(unchanged) or V(not found) (absent already).
      type: str
created_users:
  description:
    - Users created by this run. The temporary password is here once, on the run that creates the
      user; a later run never returns it and never changes it. Absent from check mode results.
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    email:
      description: The user name.
      type: str
    group:
      description: The user's group.
      type: str
    temporary_password:
      description:
        - The temporary password, to be changed at first login. Only with O(invitation=print) and
          outside check mode.
      type: str
"""

import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    apply_unless_checking,
    differs,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import tags_after

GROUPS = {
    "admins": {"Description": "May start and stop the servers and delete recordings.", "Precedence": 0},
    "viewers": {"Description": "May watch live streams and recordings.", "Precedence": 10},
}
MFA_MODES = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}
# Symbols Cognito accepts in passwords, minus quotes and backslash so that the password can be
# read off a terminal and typed without escaping.
PASSWORD_SYMBOLS = "!#%*+-.=?@^_~"  # noqa: S105 - an alphabet, not a password
TEMPORARY_PASSWORD_LENGTH = 20
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The address a user was invited with, set once at creation and never writable again (not by the
# user, not by an admin): how a listed person is told apart from someone who took the address.
INVITED_EMAIL = "custom:invited_email"
INVITED_EMAIL_SCHEMA = {
    "Name": INVITED_EMAIL.removeprefix("custom:"),
    "AttributeDataType": "String",
    "Mutable": False,
    "StringAttributeConstraints": {"MinLength": "3", "MaxLength": "256"},
}
# Cognito reads an empty WriteAttributes as "every standard attribute", e-mail included. The page
# writes no attribute, so the client may write one the product never reads.
CLIENT_WRITE_ATTRIBUTES = ["locale"]


def issuer_url(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def generate_temporary_password(minimum_length: int) -> str:
    """A random password with every character class, long enough for the policy."""
    length = max(minimum_length, TEMPORARY_PASSWORD_LENGTH)
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS]
    alphabet = "".join(classes)
    characters = [secrets.choice(chars) for chars in classes]
    characters += [secrets.choice(alphabet) for position in range(length - len(classes))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


# --- desired state ------------------------------------------------------------------------------


def desired_pool_settings(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": params["password_minimum_length"],
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": params["temporary_password_validity_days"],
            }
        },
        "DeletionProtection": "ACTIVE" if params["deletion_protection"] else "INACTIVE",
        "AutoVerifiedAttributes": ["email"],
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    }


def desired_client_settings(params: dict[str, Any]) -> dict[str, Any]:
    flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    if params["allow_user_password_auth"]:
        flows.append("ALLOW_USER_PASSWORD_AUTH")
    return {
        "ClientName": params["client_name"] or params["name"],
        "ExplicitAuthFlows": sorted(flows),
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        "WriteAttributes": CLIENT_WRITE_ATTRIBUTES,
        "AccessTokenValidity": params["access_token_validity_minutes"],
        "IdTokenValidity": params["id_token_validity_minutes"],
        "RefreshTokenValidity": params["refresh_token_validity_days"],
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    }


class CognitoError(Exception):
    """The pool cannot be managed as asked; the message is the module's failure."""


# Each option's range, and the message when it is outside it.
LIMITS = (
    ("password_minimum_length", 12, 99, "password_minimum_length must be between 12 and 99."),
    (
        "temporary_password_validity_days",
        1,
        365,
        "temporary_password_validity_days must be between 1 and 365.",
    ),
    ("access_token_validity_minutes", 5, 1440, "access_token_validity_minutes must be between 5 and 1440."),
    ("id_token_validity_minutes", 5, 1440, "id_token_validity_minutes must be between 5 and 1440."),
    ("refresh_token_validity_days", 1, 3650, "refresh_token_validity_days must be between 1 and 3650."),
)


def params_problem(params: dict[str, Any]) -> str | None:
    """Why the options cannot work, or None (users' e-mail addresses compared normalised)."""
    for option, low, high, message in LIMITS:
        if not low <= params[option] <= high:
            return message
    seen = set()
    for user in params["users"]:
        email = normalised_email(user["email"])
        if not EMAIL_PATTERN.match(email):
            return f"users: '{user['email']}' is not an e-mail address."
        if email in seen:
            return f"users: '{email}' is listed twice."
        seen.add(email)
    return None


def normalised_email(email: str) -> str:
    return email.strip().lower()


# --- AWS calls ----------------------------------------------------------------------------------


def find_pool_id(client: Any, name: str) -> str | None:
    pools = paginate(client, "list_user_pools", "UserPools", MaxResults=60)
    matches = [pool["Id"] for pool in pools if pool["Name"] == name]
    if len(matches) > 1:
        raise CognitoError(f"{len(matches)} user pools are named '{name}': {', '.join(matches)}; keep one.")
    return matches[0] if matches else None


def describe_pool(client, pool_id: str) -> dict[str, Any]:
    return client.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def describe_mfa(client, pool_id: str) -> str:
    config = client.get_user_pool_mfa_config(UserPoolId=pool_id)
    return config.get("MfaConfiguration", "OFF")


def set_mfa(client, pool_id: str, mode: str) -> None:
    client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": mode != "OFF"},
        MfaConfiguration=mode,
    )


def find_client(client, pool_id: str, client_name: str) -> dict[str, Any] | None:
    for item in paginate(
        client, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id, MaxResults=60
    ):
        if item["ClientName"] == client_name:
            described = client.describe_user_pool_client(UserPoolId=pool_id, ClientId=item["ClientId"])
            return described["UserPoolClient"]
    return None


def existing_groups(client, pool_id: str) -> list[str]:
    return [group["GroupName"] for group in paginate(client, "list_groups", "Groups", UserPoolId=pool_id)]


def find_user(client, pool_id: str, email: str) -> dict[str, Any] | None:
    try:
        return client.admin_get_user(UserPoolId=pool_id, Username=email)
    except is_boto3_error_code("UserNotFoundException"):
        return None


def user_attributes(user: dict[str, Any]) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in user.get("UserAttributes", [])}


def identity_problem(user: dict[str, Any], email: str) -> str | None:
    """Why the user Cognito finds under `email` is not the person this module invited with it."""
    invited = user_attributes(user).get(INVITED_EMAIL)
    if invited is None:
        return (
            f"users: the account with the address '{email}' (sub {user_attributes(user).get('sub')}) was not "
            f"created by this module (it has no {INVITED_EMAIL}), so it may not be the person you listed. "
            "Delete it in Cognito and run this again to invite them."
        )
    if invited.lower() != email:
        return (
            f"users: the account that now has the address '{email}' was invited as '{invited}': the address "
            "changed hands. Nothing was changed for it; check who it is in Cognito."
        )
    return None


def groups_of_user(client, pool_id: str, email: str) -> list[str]:
    groups = paginate(client, "admin_list_groups_for_user", "Groups", UserPoolId=pool_id, Username=email)
    return [group["GroupName"] for group in groups]


def create_user(client, pool_id: str, email: str, password: str | None) -> None:
    """Creates the user; with a password the invitation is suppressed (the operator passes it
    on), without one Cognito makes the password and e-mails the invitation."""
    delivery: dict[str, Any] = (
        {"TemporaryPassword": password, "MessageAction": "SUPPRESS"}
        if password is not None
        else {"DesiredDeliveryMediums": ["EMAIL"]}
    )
    client.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": INVITED_EMAIL, "Value": email},
        ],
        **delivery,
    )


def has_invited_email_attribute(pool: dict[str, Any]) -> bool:
    return any(item.get("Name") == INVITED_EMAIL for item in pool.get("SchemaAttributes", []))


# --- describe -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserState:
    email: str
    user: dict[str, Any] | None  # None: no account has the address
    groups: list[str] | None  # the product's groups it is in (read for a user to keep)


@dataclass(frozen=True)
class PoolState:
    pool: dict[str, Any] | None
    mfa: str | None
    app_client: dict[str, Any] | None
    groups: list[str]
    users: list[UserState]

    @property
    def pool_id(self) -> str | None:
        return self.pool["Id"] if self.pool else None


def describe_users(client: Any, pool_id: str | None, users: list[dict[str, Any]]) -> list[UserState]:
    """Each listed user's account; raises CognitoError for one that is not the person listed."""
    found = []
    for user in users:
        email = user["email"]
        existing = find_user(client, pool_id, email) if pool_id else None
        if existing is not None:
            problem = identity_problem(existing, email)
            if problem:
                raise CognitoError(problem)
        groups = None
        if existing is not None and user["state"] == "present":
            groups = [name for name in groups_of_user(client, pool_id, email) if name in GROUPS]
        found.append(UserState(email, existing, groups))
    return found


def describe_present(client: Any, params: dict[str, Any]) -> PoolState:
    pool_id = find_pool_id(client, params["name"])
    client_name = params["client_name"] or params["name"]
    return PoolState(
        pool=describe_pool(client, pool_id) if pool_id else None,
        mfa=describe_mfa(client, pool_id) if pool_id else None,
        app_client=find_client(client, pool_id, client_name) if pool_id else None,
        groups=existing_groups(client, pool_id) if pool_id else [],
        users=describe_users(client, pool_id, params["users"]),
    )


# --- actions ------------------------------------------------------------------------------------


@dataclass
class Applier:
    """The client and what the plan made: result.values pool_id, client_id, and the
    temporary passwords by e-mail address (passwords)."""

    client: Any
    result: ApplyResult = field(default_factory=ApplyResult)

    @property
    def pool_id(self) -> str:
        return self.result.values["pool_id"]


@dataclass(frozen=True)
class CreatePool(Action):
    kind: ClassVar[str] = "create_pool"
    description: str
    name: str
    settings: dict[str, Any]
    tags: dict[str, Any]
    mfa: str

    def apply(self, applier: Applier) -> None:
        created = applier.client.create_user_pool(
            PoolName=self.name,
            UsernameAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            UserPoolTags=self.tags,
            Schema=[INVITED_EMAIL_SCHEMA],
            MfaConfiguration="OFF",
            **self.settings,
        )["UserPool"]
        applier.result.values["pool_id"] = created["Id"]
        if self.mfa != "OFF":
            set_mfa(applier.client, created["Id"], self.mfa)


@dataclass(frozen=True)
class AddInvitedEmailAttribute(Action):
    """Adds the custom attribute to a pool made before it existed."""

    kind: ClassVar[str] = "add_invited_email_attribute"
    description: str

    def apply(self, applier: Applier) -> None:
        applier.client.add_custom_attributes(
            UserPoolId=applier.pool_id, CustomAttributes=[INVITED_EMAIL_SCHEMA]
        )


@dataclass(frozen=True)
class UpdatePool(Action):
    """UpdateUserPool resets what it is not given, MFA included: MFA is set again after it."""

    kind: ClassVar[str] = "update_pool"
    description: str
    settings: dict[str, Any] | None  # None: only the MFA changes
    tags: dict[str, str]
    mfa: str

    def apply(self, applier: Applier) -> None:
        if self.settings is not None:
            applier.client.update_user_pool(
                UserPoolId=applier.pool_id, UserPoolTags=self.tags, **self.settings
            )
        set_mfa(applier.client, applier.pool_id, self.mfa)


@dataclass(frozen=True)
class PutAppClient(Action):
    kind: ClassVar[str] = "put_app_client"
    description: str
    client_id: str | None
    settings: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        if self.client_id is None:
            created = applier.client.create_user_pool_client(
                UserPoolId=applier.pool_id, GenerateSecret=False, **self.settings
            )
            applier.result.values["client_id"] = created["UserPoolClient"]["ClientId"]
        else:
            applier.client.update_user_pool_client(
                UserPoolId=applier.pool_id, ClientId=self.client_id, **self.settings
            )


@dataclass(frozen=True)
class CreateGroup(Action):
    kind: ClassVar[str] = "create_group"
    description: str
    name: str

    def apply(self, applier: Applier) -> None:
        applier.client.create_group(UserPoolId=applier.pool_id, GroupName=self.name, **GROUPS[self.name])


@dataclass(frozen=True)
class CreateUser(Action):
    """With password_length, a temporary password is made and shown once (invitation
    print); without, Cognito e-mails the invitation."""

    kind: ClassVar[str] = "create_user"
    description: str
    email: str
    group: str
    password_length: int | None

    def apply(self, applier: Applier) -> None:
        client, pool_id = applier.client, applier.pool_id
        password = generate_temporary_password(self.password_length) if self.password_length else None
        create_user(client, pool_id, self.email, password)
        try:
            client.admin_add_user_to_group(UserPoolId=pool_id, Username=self.email, GroupName=self.group)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            # The password would be lost with the failure: remove the user so that the next
            # run creates it again and shows a password.
            client.admin_delete_user(UserPoolId=pool_id, Username=self.email)
            raise
        if password is not None:
            applier.result.values.setdefault("passwords", {})[self.email] = password


@dataclass(frozen=True)
class EnableUser(Action):
    kind: ClassVar[str] = "enable_user"
    description: str
    email: str

    def apply(self, applier: Applier) -> None:
        applier.client.admin_enable_user(UserPoolId=applier.pool_id, Username=self.email)


@dataclass(frozen=True)
class SignOutUser(Action):
    """Disables (and with delete, removes) the user, revoking their refresh tokens first."""

    kind: ClassVar[str] = "sign_out_user"
    description: str
    email: str
    enabled: bool
    delete: bool

    def apply(self, applier: Applier) -> None:
        client, pool_id = applier.client, applier.pool_id
        if self.enabled:
            client.admin_user_global_sign_out(UserPoolId=pool_id, Username=self.email)
            client.admin_disable_user(UserPoolId=pool_id, Username=self.email)
        if self.delete:
            client.admin_delete_user(UserPoolId=pool_id, Username=self.email)


@dataclass(frozen=True)
class SetUserGroup(Action):
    kind: ClassVar[str] = "set_user_group"
    description: str
    email: str
    group: str
    before: list[str]

    def apply(self, applier: Applier) -> None:
        client, pool_id = applier.client, applier.pool_id
        if self.group not in self.before:
            client.admin_add_user_to_group(UserPoolId=pool_id, Username=self.email, GroupName=self.group)
        for name in self.before:
            if name != self.group:
                client.admin_remove_user_from_group(UserPoolId=pool_id, Username=self.email, GroupName=name)


@dataclass(frozen=True)
class LiftDeletionProtection(Action):
    """UpdateUserPool resets what it is not given, so the pool's other settings go along."""

    kind: ClassVar[str] = "lift_deletion_protection"
    description: str
    kept: dict[str, Any]

    def apply(self, applier: Applier) -> None:
        applier.client.update_user_pool(
            UserPoolId=applier.pool_id, DeletionProtection="INACTIVE", **self.kept
        )


@dataclass(frozen=True)
class DeletePool(Action):
    kind: ClassVar[str] = "delete_pool"
    description: str

    def apply(self, applier: Applier) -> None:
        applier.client.delete_user_pool(UserPoolId=applier.pool_id)


# --- plan ---------------------------------------------------------------------------------------


@dataclass
class PoolPlan:
    """The actions, the diff, and the users' report as the module returns them."""

    actions: list[Action] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    users: list[dict[str, str]] = field(default_factory=list)
    created: list[dict[str, str]] = field(default_factory=list)

    def plan(self, name: str) -> Plan:
        return Plan(name, tuple(self.actions), self.before, self.after)


def plan_pool(state: PoolState, params: dict[str, Any], planned: PoolPlan) -> None:
    desired = desired_pool_settings(params)
    mode = MFA_MODES[params["mfa"]]
    pool = state.pool
    if pool is None:
        planned.after["pool"] = {**desired, "MfaConfiguration": mode, "UserPoolTags": params["tags"]}
        tags = tags_after({}, params["tags"], params["purge_tags"])
        planned.actions.append(
            CreatePool(f"create user pool {params['name']}", params["name"], desired, tags, mode)
        )
        return
    if not has_invited_email_attribute(pool):
        planned.before["invited_email_attribute"] = False
        planned.after["invited_email_attribute"] = True
        planned.actions.append(AddInvitedEmailAttribute(f"add {INVITED_EMAIL} to user pool {params['name']}"))
    current_tags = pool.get("UserPoolTags", {})
    tags = tags_after(current_tags, params["tags"], params["purge_tags"])
    settings_differ = differs(desired, pool) or tags != current_tags
    planned.before["pool"] = {
        **{key: pool.get(key) for key in desired},
        "MfaConfiguration": state.mfa,
        "UserPoolTags": current_tags,
    }
    planned.after["pool"] = {**desired, "MfaConfiguration": mode, "UserPoolTags": tags}
    if settings_differ or state.mfa != mode:
        settings = desired if settings_differ else None
        planned.actions.append(UpdatePool(f"update user pool {params['name']}", settings, tags, mode))


def plan_app_client(state: PoolState, params: dict[str, Any], planned: PoolPlan) -> None:
    desired = desired_client_settings(params)
    current = state.app_client
    planned.after["client"] = desired
    if current is None:
        planned.actions.append(PutAppClient(f"create app client {desired['ClientName']}", None, desired))
        return
    if current.get("ClientSecret"):
        raise CognitoError(
            f"App client '{desired['ClientName']}' has a secret; a browser client must not. "
            "Delete it (its id changes) or choose another client_name."
        )
    planned.before["client"] = {key: current.get(key) for key in desired}
    if differs(desired, current):
        planned.actions.append(
            PutAppClient(f"update app client {desired['ClientName']}", current["ClientId"], desired)
        )


def plan_user(found: UserState, wanted: dict[str, Any], params: dict[str, Any], planned: PoolPlan) -> str:
    """The user's actions; returns what happens to them, for the report."""
    email, group, state = found.email, wanted["group"], wanted["state"]
    user = found.user
    if state == "present" and user is None:
        password_length = params["password_minimum_length"] if params["invitation"] == "print" else None
        planned.actions.append(CreateUser(f"create user {email}", email, group, password_length))
        planned.created.append({"email": email, "group": group})
        return "invited" if params["invitation"] == "email" else "created"
    if state == "present":
        action = "unchanged"
        if not user.get("Enabled", True):
            planned.before.setdefault("users", {})[email] = "disabled"
            planned.actions.append(EnableUser(f"enable user {email}", email))
            action = "enabled"
        current = found.groups or []
        planned.before.setdefault("users", {})[email] = ",".join(sorted(current))
        if current == [group]:
            return action
        planned.actions.append(SetUserGroup(f"put user {email} in {group}", email, group, current))
        return "group changed" if action == "unchanged" else action
    if user is None:
        return "not found"
    enabled = user.get("Enabled", True)
    delete = state == "absent"
    planned.before.setdefault("users", {})[email] = "present" if enabled else "disabled"
    if not enabled and not delete:
        return "unchanged"
    verb = "delete" if delete else "disable"
    planned.actions.append(SignOutUser(f"sign out and {verb} user {email}", email, enabled, delete))
    return "deleted" if delete else "disabled"


def plan_present(state: PoolState, params: dict[str, Any]) -> PoolPlan:
    planned = PoolPlan()
    plan_pool(state, params, planned)
    plan_app_client(state, params, planned)
    planned.actions += [
        CreateGroup(f"create group {name}", name) for name in GROUPS if name not in state.groups
    ]
    for found, wanted in zip(state.users, params["users"], strict=True):
        action = plan_user(found, wanted, params, planned)
        planned.users.append(
            {"email": found.email, "group": wanted["group"], "state": wanted["state"], "action": action}
        )
    planned.after["users"] = {
        entry["email"]: entry["group"] if entry["state"] == "present" else entry["state"]
        for entry in planned.users
    }
    return planned


# --- result -------------------------------------------------------------------------------------


def pool_summary(
    pool: dict[str, Any] | None, client_id: str | None, params: dict[str, Any], region: str
) -> dict[str, Any]:
    if pool is None:
        return {"name": params["name"]}
    return {
        "id": pool["Id"],
        "arn": pool["Arn"],
        "name": pool["Name"],
        "client_id": client_id,
        "issuer": issuer_url(region, pool["Id"]),
        "jwks_url": issuer_url(region, pool["Id"]) + "/.well-known/jwks.json",
        "mfa": params["mfa"],
        "deletion_protection": pool.get("DeletionProtection") == "ACTIVE",
    }


POOL_ACTIONS = (CreatePool, AddInvitedEmailAttribute, UpdatePool)

# What UpdateUserPool would otherwise reset to its defaults while the protection is lifted.
KEPT_ON_LIFT = (
    "Policies",
    "AutoVerifiedAttributes",
    "UserAttributeUpdateSettings",
    "AdminCreateUserConfig",
    "AccountRecoverySetting",
    "MfaConfiguration",
    "UserPoolTags",
)


def ensure_present(params: dict[str, Any], applier: Applier, check_mode: bool, region: str) -> dict[str, Any]:
    state = describe_present(applier.client, params)
    if state.pool_id:
        applier.result.values["pool_id"] = state.pool_id
    planned = plan_present(state, params)
    plan = planned.plan(params["name"])
    applied = apply_unless_checking(plan, applier, check_mode)
    values = applied.values
    pool = state.pool
    if not check_mode and any(isinstance(action, POOL_ACTIONS) for action in plan.actions):
        pool = describe_pool(applier.client, values["pool_id"])
    app_client_id = values.get("client_id") or (state.app_client["ClientId"] if state.app_client else None)
    passwords = values.get("passwords", {})
    created = [
        {**entry, "temporary_password": passwords[entry["email"]]} if entry["email"] in passwords else entry
        for entry in planned.created
    ]
    return {
        "changed": plan.changed,
        "user_pool": pool_summary(pool, app_client_id, params, region),
        "users": planned.users,
        "created_users": created,
        "diff": plan.diff,
    }


def ensure_absent(params: dict[str, Any], applier: Applier, check_mode: bool) -> dict[str, Any]:
    pool_id = find_pool_id(applier.client, params["name"])
    if pool_id is None:
        return {"changed": False, "user_pool": {}}
    pool = describe_pool(applier.client, pool_id)
    protected = pool.get("DeletionProtection") == "ACTIVE"
    if protected and params["deletion_protection"]:
        raise CognitoError(
            f"User pool '{pool['Name']}' ({pool_id}) has deletion protection on; "
            "give deletion_protection: false to lift it and delete the pool."
        )
    applier.result.values["pool_id"] = pool_id
    actions: list[Action] = []
    if protected:
        kept = {key: pool[key] for key in KEPT_ON_LIFT if key in pool}
        actions.append(LiftDeletionProtection(f"lift the deletion protection of {params['name']}", kept))
    actions.append(DeletePool(f"delete user pool {params['name']}"))
    plan = Plan(params["name"], tuple(actions), {"pool": pool_id}, {})
    apply_unless_checking(plan, applier, check_mode)
    return {"changed": True, "user_pool": {}, "diff": plan.diff}


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        password_minimum_length=dict(type="int", default=14, no_log=False),
        temporary_password_validity_days=dict(type="int", default=7, no_log=False),
        mfa=dict(type="str", default="optional", choices=list(MFA_MODES)),
        deletion_protection=dict(type="bool", default=True),
        client_name=dict(type="str"),
        allow_user_password_auth=dict(type="bool", default=True, no_log=False),
        access_token_validity_minutes=dict(type="int", default=60, no_log=False),
        id_token_validity_minutes=dict(type="int", default=60, no_log=False),
        refresh_token_validity_days=dict(type="int", default=30, no_log=False),
        users=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                email=dict(type="str", required=True),
                group=dict(type="str", default="viewers", choices=list(GROUPS)),
                state=dict(type="str", default="present", choices=["present", "disabled", "absent"]),
            ),
        ),
        invitation=dict(type="str", default="email", choices=["email", "print"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problem = params_problem(params)
    if problem:
        module.fail_json(msg=problem)
    for user in params["users"]:
        user["email"] = normalised_email(user["email"])
    applier = Applier(retrying_client(module, "cognito-idp"))
    try:
        if params["state"] == "present":
            result = ensure_present(params, applier, module.check_mode, module.region)
        else:
            result = ensure_absent(params, applier, module.check_mode)
    except CognitoError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage Cognito user pool '{module.params['name']}'")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
