"""Cognito's check of the attributes an app client may write, missing from moto 5.2.5.
Tests and the local stack only.

- UpdateUserAttributes with a user's access token: AWS refuses any attribute outside the
  token's app client's ``WriteAttributes`` with NotAuthorizedException "A client attempted
  to write unauthorized attribute" and changes nothing (an empty or missing
  ``WriteAttributes`` lets the client write every standard attribute). moto writes whatever
  it is given, so a viewer could change their e-mail address there.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend

UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"


def _client_write_attributes(backend: CognitoIdpBackend, access_token: str) -> list[str] | None:
    """The WriteAttributes of the app client the token was issued to; None when unknown."""
    for pool in backend.user_pools.values():
        if access_token in pool.access_tokens:
            client_id, _username = pool.access_tokens[access_token]
            client = pool.clients.get(client_id)
            return list(client.extended_config.get("WriteAttributes") or []) if client else None
    return None


def _wrap_update_user_attributes(original):
    def update_user_attributes(self: CognitoIdpBackend, access_token: str, attributes: list[dict[str, Any]]):
        allowed = _client_write_attributes(self, access_token)
        if allowed and any(attribute["Name"] not in allowed for attribute in attributes):
            raise NotAuthorizedError(UNAUTHORIZED_ATTRIBUTE)
        return original(self, access_token, attributes)

    update_user_attributes.patched_by_privatecast = True
    return update_user_attributes


def apply() -> None:
    current = CognitoIdpBackend.update_user_attributes
    if not getattr(current, "patched_by_privatecast", False):
        CognitoIdpBackend.update_user_attributes = _wrap_update_user_attributes(current)
