# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What iam_roles and iam_users share about an IAM role or user: its inline policies
(read, and which of the wanted ones differ) and the description of a planned IAM call."""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

# The IAM API's name for each kind of entity: get_<entity>_policy(<Entity>Name=...).
ENTITY_NAME_PARAMETER = {"role": "RoleName", "user": "UserName"}


def as_document(value: Any) -> dict[str, Any]:
    """A policy document as IAM returns it (already decoded by boto3) or as given (JSON text)."""
    return json.loads(value) if isinstance(value, str) else value


def inline_policy(client: Any, entity: str, owner: str, name: str) -> dict[str, Any] | None:
    """The inline policy `name` of role or user `owner`, or None when it has none of that name."""
    get_policy = getattr(client, f"get_{entity}_policy")
    try:
        document = get_policy(**{ENTITY_NAME_PARAMETER[entity]: owner, "PolicyName": name})["PolicyDocument"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    return as_document(document)


def policies_to_put(
    wanted: dict[str, dict[str, Any]], found: dict[str, dict[str, Any] | None]
) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(name, wanted document, document in place or None) of each wanted policy that differs."""
    return [
        (name, document, found.get(name))
        for name, document in wanted.items()
        if found.get(name) is None or compare_policies(found[name], document)
    ]


def line(call: str, owner: str, detail: str = "") -> str:
    """An action's description: the IAM call, the role, user or profile, and what in it (a
    policy, the profile's role)."""
    return f"{call} {owner}{'/' + detail if detail else ''}"
