#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudfront_key_group
short_description: CloudFront key group for signed cookies, its RSA keys and the signing key in SSM
version_added: 1.0.0
description:
  - Manages a CloudFront key group that a distribution trusts for signed cookies, the
    CloudFront public keys in it, and the current private signing key, kept in SSM Parameter
    Store as a SecureString, a JSON object with C(key_id) (the CloudFront public key id) and
    C(private_key_pem).
  - Makes a 2048-bit RSA key pair (CloudFront accepts only 2048-bit RSA keys) or takes one
    given in O(private_key). The private key is never returned and never logged.
  - The state is the SSM parameter (which key is current) and the public key ids in the group.
    A run with nothing to do changes nothing; the module never makes a new key just because it
    cannot show the private key.
  - Rotation (O(rotate=true)) adds a new key and makes it current. Each older key stays in the
    group for O(grace_period) seconds after the key that replaced it was created, so cookies
    signed before the rotation keep working until they expire; keys past their grace period are
    removed from the group and their CloudFront public keys deleted (on any run).
  - Revocation (O(rotate=true) with O(revoke=true)) removes every older key at once, so every
    cookie signed before stops working.
  - CloudFront public keys and key groups cannot be tagged; the key group is found by O(name).
    O(tags) apply to the SSM parameter.
author:
  - privatecast.streaming contributors (@privatecast)
options:
  name:
    description:
      - Name of the key group. New public keys are named C(<name>-<UTC yyyymmddHHMMSS>-<hex>).
      - The collection names it C(<stack>-signers).
    required: true
    type: str
  state:
    description:
      - V(present) makes sure the group, its current key and the SSM parameter exist.
      - V(absent) deletes the key group, its public keys and the SSM parameter. The group must
        no longer be trusted by a distribution. Public keys named for the group
        (C(<name>-<UTC yyyymmddHHMMSS>-<hex>)) that are in no group, left by a run that
        stopped between making a key and adding it, are deleted too.
    choices: [present, absent]
    default: present
    type: str
  parameter_name:
    description:
      - SSM parameter that holds the current signing key.
      - Defaults to C(/privatecast/<stack>/cloudfront/signing-key), where C(<stack>) is O(name)
        without a trailing C(-signers) (the names in docs/conventions.md).
    type: str
  kms_key_id:
    description:
      - KMS key (id, ARN or alias) that encrypts the SSM parameter. Omit for the account's
        default C(alias/aws/ssm) key.
    type: str
  private_key:
    description:
      - An unencrypted 2048-bit RSA private key in PEM form (PKCS#1 C(RSA PRIVATE KEY) or PKCS#8
        C(PRIVATE KEY)) to use instead of a generated one.
      - When the group has no current key yet, this key becomes current. When it differs from
        the current key, O(rotate=true) is required to make it current; when it is the current
        key, nothing changes.
    type: str
  rotate:
    description:
      - Add a new key (generated, or O(private_key)) and make it current.
      - Without O(private_key) every run with O(rotate=true) makes a new key, so it reports a
        change each time.
    type: bool
    default: false
  revoke:
    description:
      - With O(rotate=true), remove every other key from the group at once so that every
        outstanding cookie stops working (for a leaked key).
    type: bool
    default: false
  grace_period:
    description:
      - Seconds an older key stays in the group after the key that replaced it was created.
      - Must be at least the longest lifetime of the cookies you sign (the session Lambda's
        default is one hour). The default is one day.
    type: int
    default: 86400
  tags:
    description:
      - Tags the SSM parameter carries, for example C(privatecast:stack). Tags not listed are
        left alone.
    type: dict
    aliases: [resource_tags]
requirements:
  - cryptography (only to generate a key pair; a given O(private_key) does not need it)
notes:
  - Supports check mode and diff mode. In check mode a new key's id is not known yet and is
    returned as C(null).
  - CloudFront checks the signature of each cookie against the keys in the key groups the
    behaviour trusts; a key removed from the group refuses its cookies within minutes.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Key group for the stack's signed cookies (first run makes the key pair)
  privatecast.streaming.cloudfront_key_group:
    name: "{{ privatecast_stack_name }}-signers"
    parameter_name: "/privatecast/{{ privatecast_stack_name }}/cloudfront/signing-key"
    tags:
      privatecast:stack: "{{ privatecast_stack_name }}"
      privatecast:component: edge
  register: signers

- name: Rotate the signing key; the previous key keeps working for a day
  privatecast.streaming.cloudfront_key_group:
    name: mystack-signers
    rotate: true

- name: Revoke every outstanding cookie (new key, every older key removed)
  privatecast.streaming.cloudfront_key_group:
    name: mystack-signers
    rotate: true
    revoke: true

- name: Use a key made elsewhere
  privatecast.streaming.cloudfront_key_group:
    name: mystack-signers
    private_key: "{{ lookup('ansible.builtin.file', 'signing-key.pem') }}"

- name: Remove the group, its public keys and the parameter
  privatecast.streaming.cloudfront_key_group:
    name: mystack-signers
    state: absent
"""

RETURN = r"""
key_group_id:
  description: Id of the key group (to list in a cache behaviour's trusted key groups).
  returned: state is present and the group exists (not in check mode before it is created)
  type: str
  sample: 5a2c6e4d-7c1e-4a2b-9e0f-2d3c4b5a6f70
key_group_name:
  description: Name of the key group.
  returned: always
  type: str
  sample: mystack-signers
current_key_id:
  description: Id of the CloudFront public key whose private key is in the SSM parameter.
  returned: state is present (null in check mode when a new key would be made)
  type: str
  sample: K2JCJMDEHXQW5F
key_ids:
  description: Ids of the public keys in the group, oldest first; the current key is last.
  returned: state is present
  type: list
  elements: str
  sample: [K3D5EWEUDCCXON, K2JCJMDEHXQW5F]
public_keys:
  description:
    - Each key in the group, oldest first. Public keys are not secret; a verifier needs them.
  returned: state is present
  type: list
  elements: dict
  contains:
    id:
      description: CloudFront public key id (the C(CloudFront-Key-Pair-Id) cookie).
      type: str
    name:
      description: CloudFront public key name.
      type: str
    created_time:
      description: When CloudFront created the key (ISO 8601).
      type: str
    public_key_pem:
      description: The public key, SubjectPublicKeyInfo PEM.
      type: str
    current:
      description: Whether this is the key new cookies are signed with.
      type: bool
removed_key_ids:
  description: Public keys removed from the group and deleted by this run.
  returned: always
  type: list
  elements: str
  sample: [K1OLDKEY00000]
parameter_name:
  description: SSM parameter that holds the current signing key.
  returned: always
  type: str
  sample: /privatecast/mystack/cloudfront/signing-key
"""

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.cookie_signer import (
    KeyFormatError,
    RsaPrivateKey,
    load_private_key,
    load_public_key,
    public_key_pem,
    sign,
    verify_signature,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    apply_unless_checking,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import (
    RetryingClient,
    jittered_retry,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import (
    tag_dict,
    tag_list,
    tags_to_add,
)

CLOUDFRONT_KEY_BITS = 2048
NAME_PATTERN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
MAX_NAME_LENGTH = 100  # CloudFront allows 128; the key names add a 21-character suffix
GROUP_SUFFIX = "-signers"

# {"id", "etag", "items"} of a key group; {"id", "name", "created_time", "public_key_pem"} of a key.
KeyGroup = dict[str, Any]
PublicKey = dict[str, Any]


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_parameter_name(name: str) -> str:
    stack = name[: -len(GROUP_SUFFIX)] if name.endswith(GROUP_SUFFIX) else name
    return f"/privatecast/{stack}/cloudfront/signing-key"


class KeyGroupError(Exception):
    """The options cannot be carried out; the message is the module's failure."""


# --------------------------------------------------------------------------- keys


def generate_private_key_pem() -> str:
    if not HAS_CRYPTOGRAPHY:
        raise KeyGroupError(missing_required_lib("cryptography") + " (or give private_key)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=CLOUDFRONT_KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def parse_given_key(pem: str) -> RsaPrivateKey:
    """The given PEM as a key the signer can use, or a clear failure."""
    try:
        key = load_private_key(pem)
    except KeyFormatError as error:
        raise KeyGroupError(f"private_key is not usable: {error}") from error
    if key.bits != CLOUDFRONT_KEY_BITS:
        raise KeyGroupError(
            f"private_key has {key.bits} bits; CloudFront accepts only {CLOUDFRONT_KEY_BITS}-bit RSA keys"
        )
    probe = b"privatecast key check"
    if not verify_signature(probe, sign(probe, key), key.public_key):
        raise KeyGroupError("private_key does not make valid signatures")
    return key


# --------------------------------------------------------------------------- CloudFront


def find_key_group(client: Any, name: str) -> KeyGroup | None:
    """The key group with this name as {id, etag, items}, or None."""
    entries = paginate(
        client, "list_key_groups", "KeyGroupList.Items", token=("Marker", "KeyGroupList.NextMarker")
    )
    for entry in entries:
        group = entry["KeyGroup"]
        if group["KeyGroupConfig"]["Name"] == name:
            return describe_key_group(client, group["Id"])
    return None


def describe_key_group(client: Any, group_id: str) -> KeyGroup:
    response = client.get_key_group(Id=group_id)
    config = response["KeyGroup"]["KeyGroupConfig"]
    return {"id": group_id, "etag": response["ETag"], "items": list(config.get("Items") or [])}


def describe_public_key(client: Any, key_id: str) -> PublicKey | None:
    """A public key as {id, name, created_time, public_key_pem}, or None when it is gone."""
    try:
        key = client.get_public_key(Id=key_id)["PublicKey"]
    except is_boto3_error_code("NoSuchPublicKey"):
        return None
    config = key["PublicKeyConfig"]
    return {
        "id": key["Id"],
        "name": config["Name"],
        "created_time": key["CreatedTime"],
        "public_key_pem": config["EncodedKey"],
    }


def create_public_key(client: Any, name: str, pem: str) -> PublicKey:
    key_name = f"{name}-{utc_now():%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    response = client.create_public_key(
        PublicKeyConfig={
            "CallerReference": key_name,
            "Name": key_name,
            "EncodedKey": pem,
            "Comment": f"privatecast signed-cookie key of key group {name}",
        },
    )
    return describe_public_key(client, response["PublicKey"]["Id"])


def delete_public_key(client: Any, key_id: str) -> None:
    try:
        etag = client.get_public_key(Id=key_id)["ETag"]
        client.delete_public_key(Id=key_id, IfMatch=etag)
    except is_boto3_error_code(("NoSuchPublicKey", "PublicKeyInUse")):
        pass  # gone already, or trusted by another group that is not ours to change


def put_key_group(client: Any, name: str, group: KeyGroup | None, items: list[str]) -> str:
    config = {"Name": name, "Items": items, "Comment": "privatecast signed-cookie signers"}
    if group is None:
        return client.create_key_group(KeyGroupConfig=config)["KeyGroup"]["Id"]
    client.update_key_group(Id=group["id"], IfMatch=group["etag"], KeyGroupConfig=config)
    return group["id"]


# --------------------------------------------------------------------------- SSM


def read_signing_key(client: Any, parameter_name: str) -> dict[str, str] | None:
    """The stored {key_id, private_key_pem}; None when missing or not in the expected form."""
    try:
        value = client.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
    except is_boto3_error_code("ParameterNotFound"):
        return None
    try:
        stored = json.loads(value)
    except ValueError:
        return None
    if not isinstance(stored, dict) or not stored.get("key_id") or not stored.get("private_key_pem"):
        return None
    return stored


def parameter_kms_key(client: Any, parameter_name: str) -> str | None:
    response = client.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [parameter_name]}]
    )
    parameters = response.get("Parameters") or []
    return parameters[0].get("KeyId") if parameters else None


def write_signing_key(
    client: Any, parameter_name: str, stored: dict[str, str], *, kms_key_id: str | None, group_name: str
) -> None:
    """Store {key_id, private_key_pem} as the SecureString the signers read."""
    kwargs = {"KeyId": kms_key_id} if kms_key_id else {}
    client.put_parameter(
        Name=parameter_name,
        Description=f"CloudFront signing key (current key of key group {group_name})",
        Value=json.dumps({"key_id": stored["key_id"], "private_key_pem": stored["private_key_pem"]}),
        Type="SecureString",
        Overwrite=True,
        **kwargs,
    )


def parameter_tags(client: Any, parameter_name: str) -> dict[str, str]:
    response = client.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter_name)
    return tag_dict(response.get("TagList"))


def parameter_exists(client: Any, parameter_name: str) -> bool:
    try:
        client.get_parameter(Name=parameter_name, WithDecryption=False)
    except is_boto3_error_code("ParameterNotFound"):
        return False
    return True


# --------------------------------------------------------------------------- planning


def keys_to_keep(
    previous_keys: list[PublicKey], current_created: datetime, now: datetime, grace_period: int
) -> list[PublicKey]:
    """Older keys still inside their grace period, oldest first.

    An older key was retired when the next newer key was created; it stays grace_period
    seconds after that, long enough for every cookie it signed to expire.
    """
    if not previous_keys:
        return []
    ordered = sorted(previous_keys, key=lambda key: key["created_time"])
    retired_at = [key["created_time"] for key in ordered[1:]] + [current_created]
    grace = timedelta(seconds=grace_period)
    return [key for key, retired in zip(ordered, retired_at, strict=True) if now < retired + grace]


def choose_current_key(
    stored: dict[str, str] | None,
    group_keys: list[PublicKey],
    given_key: RsaPrivateKey | None,
    rotate: bool,
) -> tuple[PublicKey | None, bool]:
    """(current key or None, whether a new key must become current)."""
    current = None
    if stored is not None:
        current = next((key for key in group_keys if key["id"] == stored["key_id"]), None)
    if given_key is None:
        return current, rotate or current is None
    if current is not None and same_public_key(current["public_key_pem"], given_key):
        return current, False
    if current is not None and not rotate:
        raise KeyGroupError(
            f"private_key differs from the current signing key {current['id']}; set rotate: true "
            "to make it current"
        )
    return current, True


def same_public_key(pem: str, private_key: RsaPrivateKey) -> bool:
    try:
        return load_public_key(pem) == private_key.public_key
    except KeyFormatError:
        return False


def kms_key_matches(described: str | None, wanted: str) -> bool:
    """Whether the parameter's KMS key is the wanted one (id, ARN or alias forms)."""

    def resource_part(value: str | None) -> str:
        tail = (value or "").split(":")[-1]
        return tail if "/" in tail else "key/" + tail

    return resource_part(described) == resource_part(wanted)


def public_key_view(key: PublicKey, current_id: str | None) -> dict[str, Any]:
    return {
        "id": key["id"],
        "name": key["name"],
        "created_time": key["created_time"].isoformat(),
        "public_key_pem": key["public_key_pem"],
        "current": key["id"] == current_id,
    }


# --------------------------------------------------------------------------- describe


@dataclass(frozen=True)
class Found:
    """The key group, its keys, the stored signing key and what the parameter has."""

    group: KeyGroup | None
    group_keys: list[PublicKey]
    stored: dict[str, str] | None
    parameter_kms_key: str | None
    parameter_tags: dict[str, str] | None  # None: not read (no parameter, or no tags asked)


def describe_group_keys(client: Any, group: KeyGroup | None) -> list[PublicKey]:
    keys = (describe_public_key(client, key_id) for key_id in (group["items"] if group else []))
    return [key for key in keys if key is not None]


def describe_present(cloudfront: Any, ssm: Any, params: dict[str, Any]) -> Found:
    group = find_key_group(cloudfront, params["name"])
    parameter_name = params["parameter_name"]
    stored = read_signing_key(ssm, parameter_name)
    has_parameter = stored is not None or parameter_exists(ssm, parameter_name)
    return Found(
        group=group,
        group_keys=describe_group_keys(cloudfront, group),
        stored=stored,
        parameter_kms_key=(
            parameter_kms_key(ssm, parameter_name) if stored is not None and params["kms_key_id"] else None
        ),
        parameter_tags=parameter_tags(ssm, parameter_name) if has_parameter and params["tags"] else None,
    )


# --------------------------------------------------------------------------- actions


@dataclass
class Applier:
    cloudfront: Any
    ssm: Any
    result: ApplyResult = field(default_factory=ApplyResult)


@dataclass(frozen=True)
class CreateKey(Action):
    """A new public key from the given PEM, or from one generated now; the key and its PEM
    go to result.values (new_key, new_pem) for the actions after it."""

    kind: ClassVar[str] = "create_key"
    description: str
    group_name: str
    private_key: str | None

    def apply(self, applier: Applier) -> None:
        pem = self.private_key or generate_private_key_pem()
        key = create_public_key(applier.cloudfront, self.group_name, public_key_pem(load_private_key(pem)))
        applier.result.values.update(new_key=key, new_pem=pem)


def _new_key_id(applier: Applier) -> list[str]:
    new_key = applier.result.values.get("new_key")
    return [new_key["id"]] if new_key else []


@dataclass(frozen=True)
class PutKeyGroup(Action):
    """Create or update the group to trust `key_ids` (plus the key CreateKey made)."""

    kind: ClassVar[str] = "put_key_group"
    description: str
    name: str
    group: KeyGroup | None
    key_ids: list[str]

    def apply(self, applier: Applier) -> None:
        items = self.key_ids + _new_key_id(applier)
        applier.result.values["group_id"] = put_key_group(applier.cloudfront, self.name, self.group, items)


@dataclass(frozen=True)
class DeletePublicKey(Action):
    kind: ClassVar[str] = "delete_public_key"
    description: str
    key_id: str

    def apply(self, applier: Applier) -> None:
        delete_public_key(applier.cloudfront, self.key_id)


@dataclass(frozen=True)
class WriteSigningKey(Action):
    """Store `stored` (None: the key CreateKey made) as the signing key."""

    kind: ClassVar[str] = "write_signing_key"
    description: str
    parameter_name: str
    stored: dict[str, str] | None
    kms_key_id: str | None
    group_name: str

    def apply(self, applier: Applier) -> None:
        values = applier.result.values
        stored = self.stored or {"key_id": values["new_key"]["id"], "private_key_pem": values["new_pem"]}
        write_signing_key(
            applier.ssm, self.parameter_name, stored, kms_key_id=self.kms_key_id, group_name=self.group_name
        )


@dataclass(frozen=True)
class TagParameter(Action):
    kind: ClassVar[str] = "tag_parameter"
    description: str
    parameter_name: str
    tags: dict[str, str]

    def apply(self, applier: Applier) -> None:
        applier.ssm.add_tags_to_resource(
            ResourceType="Parameter", ResourceId=self.parameter_name, Tags=tag_list(self.tags)
        )


@dataclass(frozen=True)
class DeleteKeyGroup(Action):
    kind: ClassVar[str] = "delete_key_group"
    description: str
    group: KeyGroup

    def apply(self, applier: Applier) -> None:
        applier.cloudfront.delete_key_group(Id=self.group["id"], IfMatch=self.group["etag"])


@dataclass(frozen=True)
class DeleteParameter(Action):
    kind: ClassVar[str] = "delete_parameter"
    description: str
    parameter_name: str

    def apply(self, applier: Applier) -> None:
        applier.ssm.delete_parameter(Name=self.parameter_name)


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class KeyPlan:
    """The plan and what the return value says about the keys once it is applied."""

    plan: Plan
    current_key: PublicKey | None  # None: the new key (or none yet)
    final_keys: list[PublicKey]  # the kept keys (the new key is added after applying)
    removed_ids: list[str]


def _parameter_actions(found: Found, params: dict[str, Any], needs_new_key: bool) -> list[Action]:
    """Write the current key to SSM when it changed (or its KMS key did); tag the parameter."""
    parameter_name, kms_key_id, name = params["parameter_name"], params["kms_key_id"], params["name"]
    actions: list[Action] = []
    stored = found.stored
    if needs_new_key:
        actions.append(
            WriteSigningKey(f"store the new key in {parameter_name}", parameter_name, None, kms_key_id, name)
        )
    elif stored is not None and kms_key_id and not kms_key_matches(found.parameter_kms_key, kms_key_id):
        actions.append(
            WriteSigningKey(
                f"encrypt {parameter_name} with {kms_key_id}", parameter_name, stored, kms_key_id, name
            )
        )
    wanted = {key: str(value) for key, value in (params["tags"] or {}).items()}
    if found.parameter_tags is not None or (wanted and needs_new_key):
        to_set = tags_to_add(found.parameter_tags or {}, wanted)
        if to_set:
            actions.append(TagParameter(f"tag {parameter_name}", parameter_name, to_set))
    return actions


def plan_present(
    found: Found, params: dict[str, Any], given_key: RsaPrivateKey | None, now: datetime
) -> KeyPlan:
    name = params["name"]
    group, group_keys = found.group, found.group_keys
    current, needs_new_key = choose_current_key(found.stored, group_keys, given_key, params["rotate"])
    current_key = None if needs_new_key else current
    previous = [key for key in group_keys if current_key is None or key["id"] != current_key["id"]]
    if params["revoke"]:
        kept = []
    else:
        current_created = now if needs_new_key else current["created_time"]
        kept = keys_to_keep(previous, current_created, now, params["grace_period"])
    final_keys = kept + ([current_key] if current_key else [])
    final_ids = [key["id"] for key in final_keys]
    removed_ids = [key["id"] for key in group_keys if key["id"] not in final_ids]

    actions: list[Action] = []
    if needs_new_key:
        actions.append(CreateKey(f"create a new signing key for {name}", name, params["private_key"]))
    if group is None or needs_new_key or set(group["items"]) != set(final_ids):
        actions.append(PutKeyGroup(f"set the keys of key group {name}", name, group, final_ids))
        actions += [DeletePublicKey(f"delete public key {key_id}", key_id) for key_id in removed_ids]
    actions += _parameter_actions(found, params, needs_new_key)

    after_ids = final_ids + (["(new key)"] if current_key is None else [])
    before = {
        "key_ids": group["items"] if group else [],
        "current_key_id": found.stored and found.stored["key_id"],
    }
    after = {"key_ids": after_ids, "current_key_id": current_key["id"] if current_key else "(new key)"}
    return KeyPlan(Plan(name, tuple(actions), before, after), current_key, final_keys, removed_ids)


def present_result(
    key_plan: KeyPlan, found: Found, params: dict[str, Any], applied: ApplyResult
) -> dict[str, Any]:
    new_key = applied.values.get("new_key")
    current_key = key_plan.current_key or new_key
    final_keys = key_plan.final_keys + ([new_key] if new_key else [])
    current_id = current_key["id"] if current_key else None
    group = found.group
    return {
        "changed": key_plan.plan.changed,
        "key_group_id": applied.values.get("group_id") or (group["id"] if group else None),
        "key_group_name": params["name"],
        "current_key_id": current_id,
        "key_ids": [key["id"] for key in final_keys],
        "public_keys": [public_key_view(key, current_id) for key in final_keys],
        "removed_key_ids": key_plan.removed_ids,
        "parameter_name": params["parameter_name"],
        "diff": key_plan.plan.diff,
    }


def plan_absent(
    group: KeyGroup | None, strays: list[str], has_parameter: bool, name: str, parameter_name: str
) -> Plan:
    """Delete the group, its keys, the keys named for it that no group holds, and the parameter."""
    actions: list[Action] = []
    if group is not None:
        actions.append(DeleteKeyGroup(f"delete key group {name}", group))
        actions += [DeletePublicKey(f"delete public key {key_id}", key_id) for key_id in group["items"]]
    actions += [DeletePublicKey(f"delete stray public key {key_id}", key_id) for key_id in strays]
    if has_parameter:
        actions.append(DeleteParameter(f"delete {parameter_name}", parameter_name))
    before = {"key_group": name if group else None, "parameter": parameter_name if has_parameter else None}
    return Plan(name, tuple(actions), before, {"key_group": None, "parameter": None})


def named_public_key_ids(client: Any, name: str) -> list[str]:
    """Ids of the public keys named as this module names the group's keys."""
    pattern = re.compile(rf"{re.escape(name)}-[0-9]{{14}}-[0-9a-f]+")
    keys = paginate(
        client, "list_public_keys", "PublicKeyList.Items", token=("Marker", "PublicKeyList.NextMarker")
    )
    return [key["Id"] for key in keys if pattern.fullmatch(key["Name"])]


def ensure_present(params: dict[str, Any], applier: Applier, check_mode: bool) -> dict[str, Any]:
    given_key = parse_given_key(params["private_key"]) if params["private_key"] else None
    found = describe_present(applier.cloudfront, applier.ssm, params)
    key_plan = plan_present(found, params, given_key, utc_now())
    applied = apply_unless_checking(key_plan.plan, applier, check_mode)
    return present_result(key_plan, found, params, applied)


def ensure_absent(params: dict[str, Any], applier: Applier, check_mode: bool) -> dict[str, Any]:
    name, parameter_name = params["name"], params["parameter_name"]
    group = find_key_group(applier.cloudfront, name)
    group_keys = group["items"] if group else []
    strays = [key_id for key_id in named_public_key_ids(applier.cloudfront, name) if key_id not in group_keys]
    plan = plan_absent(group, strays, parameter_exists(applier.ssm, parameter_name), name, parameter_name)
    apply_unless_checking(plan, applier, check_mode)
    return {
        "changed": plan.changed,
        "key_group_name": name,
        "removed_key_ids": group_keys + strays,
        "parameter_name": parameter_name,
        "diff": plan.diff,
    }


def params_problem(params: dict[str, Any]) -> str | None:
    """Why the options cannot work together, or None."""
    name = params["name"]
    if not name or len(name) > MAX_NAME_LENGTH or not set(name) <= NAME_PATTERN_CHARS:
        return (
            f"name must be 1-{MAX_NAME_LENGTH} letters, digits, '-' or '_' (CloudFront's rule for "
            f"key group and public key names), not {name!r}"
        )
    if params["revoke"] and not params["rotate"]:
        return "revoke: true needs rotate: true (the new key replaces every revoked one)"
    if params["grace_period"] < 0:
        return "grace_period must be zero or more seconds"
    return None


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        parameter_name=dict(type="str"),
        kms_key_id=dict(type="str"),
        private_key=dict(type="str", no_log=True),
        rotate=dict(type="bool", default=False),
        revoke=dict(type="bool", default=False),
        grace_period=dict(type="int", default=86400),
        tags=dict(type="dict", aliases=["resource_tags"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problem = params_problem(params)
    if problem:
        module.fail_json(msg=problem)
    if not params["parameter_name"]:
        params["parameter_name"] = default_parameter_name(params["name"])
    retry = jittered_retry()
    applier = Applier(
        RetryingClient(module.client("cloudfront"), retry), RetryingClient(module.client("ssm"), retry)
    )
    try:
        if params["state"] == "present":
            result = ensure_present(params, applier, module.check_mode)
        else:
            result = ensure_absent(params, applier, module.check_mode)
    except KeyGroupError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to manage CloudFront key group {module.params['name']}")
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
