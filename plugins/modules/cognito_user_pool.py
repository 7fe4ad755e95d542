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
from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

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


def desired_tags(params: dict[str, Any], current: dict[str, str]) -> dict[str, str]:
    if params["tags"] is None:
        return current
    if params["purge_tags"]:
        return dict(params["tags"])
    return {**current, **params["tags"]}


def validate_params(module: AnsibleAWSModule) -> None:
    params = module.params
    if params["password_minimum_length"] < 12 or params["password_minimum_length"] > 99:
        module.fail_json(msg="password_minimum_length must be between 12 and 99.")
    if not 0 < params["temporary_password_validity_days"] <= 365:
        module.fail_json(msg="temporary_password_validity_days must be between 1 and 365.")
    for option in ("access_token_validity_minutes", "id_token_validity_minutes"):
        if not 5 <= params[option] <= 1440:
            module.fail_json(msg=f"{option} must be between 5 and 1440.")
    if not 1 <= params["refresh_token_validity_days"] <= 3650:
        module.fail_json(msg="refresh_token_validity_days must be between 1 and 3650.")
    seen = set()
    for user in params["users"]:
        email = user["email"].strip().lower()
        if not EMAIL_PATTERN.match(email):
            module.fail_json(msg=f"users: '{user['email']}' is not an e-mail address.")
        if email in seen:
            module.fail_json(msg=f"users: '{email}' is listed twice.")
        seen.add(email)
        user["email"] = email


def differs(desired: Any, current: Any) -> bool:
    """True when a key set in desired has another value in current (extra keys in current are fine)."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return True
        return any(differs(value, current.get(key)) for key, value in desired.items())
    if isinstance(desired, list) and all(isinstance(item, str) for item in desired):
        return sorted(desired) != sorted(current or [])
    return desired != current


# --- AWS calls ----------------------------------------------------------------------------------


@AWSRetry.jittered_backoff()
def paginated(client, operation: str, result_key: str, **params: Any) -> list[dict[str, Any]]:
    return client.get_paginator(operation).paginate(**params).build_full_result()[result_key]


def find_pool_id(client, name: str, module: AnsibleAWSModule) -> str | None:
    pools = paginated(client, "list_user_pools", "UserPools", MaxResults=60)
    matches = [pool["Id"] for pool in pools if pool["Name"] == name]
    if len(matches) > 1:
        module.fail_json(msg=f"{len(matches)} user pools are named '{name}': {', '.join(matches)}; keep one.")
    return matches[0] if matches else None


def describe_pool(client, pool_id: str) -> dict[str, Any]:
    return client.describe_user_pool(UserPoolId=pool_id, aws_retry=True)["UserPool"]


def describe_mfa(client, pool_id: str) -> str:
    config = client.get_user_pool_mfa_config(UserPoolId=pool_id, aws_retry=True)
    return config.get("MfaConfiguration", "OFF")


def set_mfa(client, pool_id: str, mode: str) -> None:
    client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": mode != "OFF"},
        MfaConfiguration=mode,
        aws_retry=True,
    )


def find_client(client, pool_id: str, client_name: str) -> dict[str, Any] | None:
    for item in paginated(
        client, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id, MaxResults=60
    ):
        if item["ClientName"] == client_name:
            described = client.describe_user_pool_client(
                UserPoolId=pool_id, ClientId=item["ClientId"], aws_retry=True
            )
            return described["UserPoolClient"]
    return None


def existing_groups(client, pool_id: str) -> list[str]:
    return [group["GroupName"] for group in paginated(client, "list_groups", "Groups", UserPoolId=pool_id)]


def find_user(client, pool_id: str, email: str) -> dict[str, Any] | None:
    try:
        return client.admin_get_user(UserPoolId=pool_id, Username=email, aws_retry=True)
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
    groups = paginated(client, "admin_list_groups_for_user", "Groups", UserPoolId=pool_id, Username=email)
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
        aws_retry=True,
    )


def has_invited_email_attribute(pool: dict[str, Any]) -> bool:
    return any(item.get("Name") == INVITED_EMAIL for item in pool.get("SchemaAttributes", []))


# --- ensure -------------------------------------------------------------------------------------


class PoolManager:
    def __init__(self, module: AnsibleAWSModule) -> None:
        self.module = module
        self.params = module.params
        self.client = module.client("cognito-idp", retry_decorator=AWSRetry.jittered_backoff())
        self.changed = False
        self.diff: dict[str, dict[str, Any]] = {"before": {}, "after": {}}

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    def ensure_pool(self, pool_id: str | None) -> dict[str, Any] | None:
        desired = desired_pool_settings(self.params)
        mode = MFA_MODES[self.params["mfa"]]
        if pool_id is None:
            self.changed = True
            self.diff["after"]["pool"] = {
                **desired,
                "MfaConfiguration": mode,
                "UserPoolTags": self.params["tags"],
            }
            if self.check_mode:
                return None
            created = self.client.create_user_pool(
                PoolName=self.params["name"],
                UsernameAttributes=["email"],
                UsernameConfiguration={"CaseSensitive": False},
                UserPoolTags=desired_tags(self.params, {}),
                Schema=[INVITED_EMAIL_SCHEMA],
                MfaConfiguration="OFF",
                **desired,
                aws_retry=True,
            )["UserPool"]
            if mode != "OFF":
                set_mfa(self.client, created["Id"], mode)
            return describe_pool(self.client, created["Id"])
        current = self.ensure_invited_email_attribute(describe_pool(self.client, pool_id))
        current_mode = describe_mfa(self.client, pool_id)
        tags = desired_tags(self.params, current.get("UserPoolTags", {}))
        settings_differ = differs(desired, current) or tags != current.get("UserPoolTags", {})
        self.diff["before"]["pool"] = {
            **{key: current.get(key) for key in desired},
            "MfaConfiguration": current_mode,
            "UserPoolTags": current.get("UserPoolTags", {}),
        }
        self.diff["after"]["pool"] = {**desired, "MfaConfiguration": mode, "UserPoolTags": tags}
        if not settings_differ and current_mode == mode:
            return current
        self.changed = True
        if self.check_mode:
            return current
        if settings_differ:
            # UpdateUserPool resets what it is not given, MFA included: re-apply MFA after it.
            self.client.update_user_pool(UserPoolId=pool_id, UserPoolTags=tags, **desired, aws_retry=True)
        set_mfa(self.client, pool_id, mode)
        return describe_pool(self.client, pool_id)

    def ensure_invited_email_attribute(self, pool: dict[str, Any]) -> dict[str, Any]:
        """Adds the custom attribute to a pool made before it existed."""
        if has_invited_email_attribute(pool):
            return pool
        self.changed = True
        self.diff["before"]["invited_email_attribute"] = False
        self.diff["after"]["invited_email_attribute"] = True
        if self.check_mode:
            return pool
        self.client.add_custom_attributes(
            UserPoolId=pool["Id"], CustomAttributes=[INVITED_EMAIL_SCHEMA], aws_retry=True
        )
        return describe_pool(self.client, pool["Id"])

    def ensure_client(self, pool_id: str | None) -> str | None:
        desired = desired_client_settings(self.params)
        current = find_client(self.client, pool_id, desired["ClientName"]) if pool_id else None
        if current is None:
            self.changed = True
            self.diff["after"]["client"] = desired
            if self.check_mode:
                return None
            created = self.client.create_user_pool_client(
                UserPoolId=pool_id, GenerateSecret=False, **desired, aws_retry=True
            )
            return created["UserPoolClient"]["ClientId"]
        if current.get("ClientSecret"):
            self.module.fail_json(
                msg=f"App client '{desired['ClientName']}' has a secret; a browser client must not. "
                "Delete it (its id changes) or choose another client_name."
            )
        self.diff["before"]["client"] = {key: current.get(key) for key in desired}
        self.diff["after"]["client"] = desired
        if differs(desired, current):
            self.changed = True
            if not self.check_mode:
                self.client.update_user_pool_client(
                    UserPoolId=pool_id, ClientId=current["ClientId"], **desired, aws_retry=True
                )
        return current["ClientId"]

    def ensure_groups(self, pool_id: str | None) -> None:
        present = existing_groups(self.client, pool_id) if pool_id else []
        for name, settings in GROUPS.items():
            if name in present:
                continue
            self.changed = True
            if not self.check_mode:
                self.client.create_group(UserPoolId=pool_id, GroupName=name, **settings, aws_retry=True)

    def ensure_users(self, pool_id: str | None) -> tuple:
        report, created = [], []
        for user in self.params["users"]:
            email, group, state = user["email"], user["group"], user["state"]
            existing = find_user(self.client, pool_id, email) if pool_id else None
            if existing is not None:
                problem = identity_problem(existing, email)
                if problem:
                    self.module.fail_json(msg=problem, changed=self.changed)
            if state == "present" and existing is None:
                action = "invited" if self.params["invitation"] == "email" else "created"
                created.append(self.create_user(pool_id, email, group))
            elif state == "present":
                action = self.ensure_enabled(pool_id, email, existing)
                group_action = self.reconcile_groups(pool_id, email, group)
                action = group_action if action == "unchanged" else action
            elif existing is None:
                action = "not found"
            else:
                action = self.ensure_signed_out(pool_id, email, existing, delete=state == "absent")
            report.append({"email": email, "group": group, "state": state, "action": action})
        self.diff["after"]["users"] = {
            entry["email"]: entry["group"] if entry["state"] == "present" else entry["state"]
            for entry in report
        }
        return report, created

    def ensure_enabled(self, pool_id: str, email: str, user: dict[str, Any]) -> str:
        if user.get("Enabled", True):
            return "unchanged"
        self.changed = True
        self.diff["before"].setdefault("users", {})[email] = "disabled"
        if not self.check_mode:
            self.client.admin_enable_user(UserPoolId=pool_id, Username=email, aws_retry=True)
        return "enabled"

    def ensure_signed_out(self, pool_id: str, email: str, user: dict[str, Any], delete: bool) -> str:
        """Disables (and with delete, removes) the user, revoking their refresh tokens first."""
        enabled = user.get("Enabled", True)
        self.diff["before"].setdefault("users", {})[email] = "present" if enabled else "disabled"
        if not enabled and not delete:
            return "unchanged"
        self.changed = True
        if not self.check_mode:
            if enabled:
                self.client.admin_user_global_sign_out(UserPoolId=pool_id, Username=email, aws_retry=True)
                self.client.admin_disable_user(UserPoolId=pool_id, Username=email, aws_retry=True)
            if delete:
                self.client.admin_delete_user(UserPoolId=pool_id, Username=email, aws_retry=True)
        return "deleted" if delete else "disabled"

    def create_user(self, pool_id: str | None, email: str, group: str) -> dict[str, str]:
        self.changed = True
        if self.check_mode:
            return {"email": email, "group": group}
        password = (
            generate_temporary_password(self.params["password_minimum_length"])
            if self.params["invitation"] == "print"
            else None
        )
        create_user(self.client, pool_id, email, password)
        try:
            self.client.admin_add_user_to_group(
                UserPoolId=pool_id, Username=email, GroupName=group, aws_retry=True
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            # The password would be lost with the failure: remove the user so that the next
            # run creates it again and shows a password.
            self.client.admin_delete_user(UserPoolId=pool_id, Username=email, aws_retry=True)
            raise
        if password is None:
            return {"email": email, "group": group}
        return {"email": email, "group": group, "temporary_password": password}

    def reconcile_groups(self, pool_id: str, email: str, group: str) -> str:
        current = [name for name in groups_of_user(self.client, pool_id, email) if name in GROUPS]
        self.diff["before"].setdefault("users", {})[email] = ",".join(sorted(current))
        if current == [group]:
            return "unchanged"
        self.changed = True
        if not self.check_mode:
            if group not in current:
                self.client.admin_add_user_to_group(
                    UserPoolId=pool_id, Username=email, GroupName=group, aws_retry=True
                )
            for name in current:
                if name != group:
                    self.client.admin_remove_user_from_group(
                        UserPoolId=pool_id, Username=email, GroupName=name, aws_retry=True
                    )
        return "group changed"

    def pool_summary(self, pool: dict[str, Any] | None, client_id: str | None) -> dict[str, Any]:
        if pool is None:
            return {"name": self.params["name"]}
        return {
            "id": pool["Id"],
            "arn": pool["Arn"],
            "name": pool["Name"],
            "client_id": client_id,
            "issuer": issuer_url(self.module.region, pool["Id"]),
            "jwks_url": issuer_url(self.module.region, pool["Id"]) + "/.well-known/jwks.json",
            "mfa": self.params["mfa"],
            "deletion_protection": pool.get("DeletionProtection") == "ACTIVE",
        }


def ensure_present(manager: PoolManager) -> dict[str, Any]:
    pool_id = find_pool_id(manager.client, manager.params["name"], manager.module)
    pool = manager.ensure_pool(pool_id)
    pool_id = pool["Id"] if pool else None
    client_id = manager.ensure_client(pool_id)
    manager.ensure_groups(pool_id)
    users, created = manager.ensure_users(pool_id)
    return {
        "changed": manager.changed,
        "user_pool": manager.pool_summary(pool, client_id),
        "users": users,
        "created_users": created,
        "diff": manager.diff,
    }


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


def lift_deletion_protection(client, pool: dict[str, Any]) -> None:
    """Turns the pool's deletion protection off, carrying its other settings over."""
    kept = {key: pool[key] for key in KEPT_ON_LIFT if key in pool}
    client.update_user_pool(UserPoolId=pool["Id"], DeletionProtection="INACTIVE", **kept, aws_retry=True)


def ensure_absent(manager: PoolManager) -> dict[str, Any]:
    pool_id = find_pool_id(manager.client, manager.params["name"], manager.module)
    if pool_id is None:
        return {"changed": False, "user_pool": {}}
    pool = describe_pool(manager.client, pool_id)
    protected = pool.get("DeletionProtection") == "ACTIVE"
    if protected and manager.params["deletion_protection"]:
        manager.module.fail_json(
            msg=f"User pool '{pool['Name']}' ({pool_id}) has deletion protection on; "
            "give deletion_protection: false to lift it and delete the pool."
        )
    if not manager.check_mode:
        if protected:
            lift_deletion_protection(manager.client, pool)
        manager.client.delete_user_pool(UserPoolId=pool_id, aws_retry=True)
    return {"changed": True, "user_pool": {}, "diff": {"before": {"pool": pool_id}, "after": {}}}


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
    validate_params(module)
    manager = PoolManager(module)
    try:
        if module.params["state"] == "present":
            result = ensure_present(manager)
        else:
            result = ensure_absent(manager)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage Cognito user pool '{module.params['name']}'")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
