"""Permanent local passwords for the local stack's users (scripts/up), so they sign in
without the first-login step. Generated once into <state>/auth/demo-passwords.json (0600)
and set with AdminSetUserPassword(Permanent=True) on every run (the same password each
time, so running scripts/up twice changes nothing). The aws_auth role is not involved:
on a real stack users choose their own passwords.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

import boto3

SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-"  # special characters Cognito accepts in passwords
PASSWORD_LENGTH = 20


@dataclass(frozen=True)
class DemoUser:
    email: str
    groups: list[str]
    password: str


def new_password() -> str:
    """Every character class Cognito's policy can require, and 20 characters."""
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS]
    characters = [secrets.choice(chosen) for chosen in classes]
    alphabet = "".join(classes)
    characters += [secrets.choice(alphabet) for _index in range(PASSWORD_LENGTH - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def _stored(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _store(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(passwords, handle, indent=1, sort_keys=True)
    os.chmod(path, 0o600)


def ensure_passwords(endpoint: str, region: str, stack: str, directory: Path) -> list[DemoUser]:
    cognito = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint)
    pools = [pool for pool in cognito.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"] == stack]
    if len(pools) != 1:
        raise SystemExit(f"expected one user pool named {stack}, found {len(pools)}")
    pool_id = pools[0]["Id"]
    path = directory / "demo-passwords.json"
    passwords = _stored(path)
    users = []
    for user in cognito.list_users(UserPoolId=pool_id)["Users"]:
        attributes = {item["Name"]: item["Value"] for item in user.get("Attributes", [])}
        email = attributes.get("email", user["Username"])
        passwords.setdefault(email, new_password())
        _store(path, passwords)
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user["Username"], Password=passwords[email], Permanent=True
        )
        groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=user["Username"])["Groups"]
        users.append(DemoUser(email, sorted(group["GroupName"] for group in groups), passwords[email]))
    return sorted(users, key=lambda user: user.email)
