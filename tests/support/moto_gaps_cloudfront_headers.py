"""Fills moto 5.2.5's missing CloudFront response headers policy API, as AWS documents it.
Tests only: product code makes the real AWS calls and never works around moto.

Gap: moto routes no ``/2020-05-31/response-headers-policy`` path (every call answers 404),
so a custom response headers policy can be neither made nor read back. Filled here:

- CreateResponseHeadersPolicy (``POST``): 201 with the policy, ``Location`` and ``ETag``;
  ``ResponseHeadersPolicyAlreadyExists`` (409) for a name already taken.
- GetResponseHeadersPolicy / GetResponseHeadersPolicyConfig (``GET .../{Id}[/config]``):
  the policy (or its config) and its ``ETag``; ``NoSuchResponseHeadersPolicy`` (404).
- ListResponseHeadersPolicies (``GET``, ``?Type=custom|managed``): the custom policies with
  ``Type: custom``. AWS also lists its managed policies (without ``Type`` or with
  ``managed``); they are fixed by AWS and referenced by id, so none are listed here.
- UpdateResponseHeadersPolicy (``PUT .../{Id}``): needs ``IfMatch`` equal to the current
  ``ETag`` (``InvalidIfMatchVersion`` 400 without it, ``PreconditionFailed`` 412 when stale),
  replaces the whole config, new ``ETag`` and ``LastModifiedTime``.
- DeleteResponseHeadersPolicy (``DELETE .../{Id}``): same ``IfMatch`` rule, 204;
  ``ResponseHeadersPolicyInUse`` (409) while a distribution's behaviour names the policy.

Response headers policies have no tags in the CloudFront API; the collection finds its
policy by name (docs/conventions.md). Registered from tests.support.moto_gaps.apply().
Remove this module once moto implements the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.cloudfront import urls as cloudfront_urls
from moto.cloudfront.exceptions import CloudFrontException, InvalidIfMatchVersion
from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal import mock_random

ROUTES = (
    "{0}/2020-05-31/response-headers-policy$",
    "{0}/2020-05-31/response-headers-policy/(?P<policy_id>[^/]+)$",
    "{0}/2020-05-31/response-headers-policy/(?P<policy_id>[^/]+)/config$",
)
STORE = "privatecast_response_headers_policies"


class NoSuchResponseHeadersPolicy(CloudFrontException):
    def __init__(self) -> None:
        super().__init__("NoSuchResponseHeadersPolicy", "The response headers policy does not exist.")


class ResponseHeadersPolicyAlreadyExists(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "ResponseHeadersPolicyAlreadyExists", "A response headers policy with this name already exists."
        )


class ResponseHeadersPolicyInUse(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "ResponseHeadersPolicyInUse", "Cannot delete the response headers policy because it is in use."
        )


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed", "The precondition in one or more of the request fields failed."
        )


def _policies(backend: CloudFrontBackend) -> dict[str, dict[str, Any]]:
    """The backend's policies by id; kept on the backend so /moto-api/reset clears them."""
    if not hasattr(backend, STORE):
        setattr(backend, STORE, {})
    return getattr(backend, STORE)


def _new_etag() -> str:
    return mock_random.get_random_hex(14).upper()


def _stamped(policy_id: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": policy_id,
        "LastModifiedTime": datetime.datetime.now(datetime.UTC),
        "ResponseHeadersPolicyConfig": config,
        "ETag": _new_etag(),
    }


def _public(policy: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in policy.items() if key != "ETag"}


def _existing(backend: CloudFrontBackend, policy_id: str) -> dict[str, Any]:
    policy = _policies(backend).get(policy_id)
    if policy is None:
        raise NoSuchResponseHeadersPolicy()
    return policy


def _check_if_match(policy: dict[str, Any], if_match: str | None) -> None:
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != policy["ETag"]:
        raise PreconditionFailed()


def _in_use(backend: CloudFrontBackend, policy_id: str) -> bool:
    for distribution in backend.distributions.values():
        config = distribution.distribution_config
        behaviours = [config.DefaultCacheBehavior, *(config.CacheBehaviors.get("Items") or [])]
        if any(getattr(b, "response_headers_policy_id", None) == policy_id for b in behaviours):
            return True
    return False


def create_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    policies = _policies(self.backend)
    if any(p["ResponseHeadersPolicyConfig"]["Name"] == config.get("Name") for p in policies.values()):
        raise ResponseHeadersPolicyAlreadyExists()
    policy_id = str(mock_random.uuid4())
    policies[policy_id] = _stamped(policy_id, config)
    location = f"https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/{policy_id}"
    return ActionResult(
        {
            "ResponseHeadersPolicy": _public(policies[policy_id]),
            "Location": location,
            "ETag": policies[policy_id]["ETag"],
        }
    )


def get_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    policy = _existing(self.backend, self._get_param("Id"))
    return ActionResult({"ResponseHeadersPolicy": _public(policy), "ETag": policy["ETag"]})


def get_response_headers_policy_config(self: CloudFrontResponse) -> ActionResult:
    policy = _existing(self.backend, self._get_param("Id"))
    return ActionResult(
        {"ResponseHeadersPolicyConfig": policy["ResponseHeadersPolicyConfig"], "ETag": policy["ETag"]}
    )


def list_response_headers_policies(self: CloudFrontResponse) -> ActionResult:
    wanted = self._get_param("Type")
    policies = [] if wanted == "managed" else list(_policies(self.backend).values())
    items = [{"Type": "custom", "ResponseHeadersPolicy": _public(policy)} for policy in policies]
    listing = {"MaxItems": 100, "Quantity": len(items), "Items": items or None}
    return ActionResult({"ResponseHeadersPolicyList": listing})


def update_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    policy_id = self._get_param("Id")
    policy = _existing(self.backend, policy_id)
    _check_if_match(policy, self._get_param("IfMatch"))
    updated = _stamped(policy_id, self._get_param("ResponseHeadersPolicyConfig", {}))
    _policies(self.backend)[policy_id] = updated
    return ActionResult({"ResponseHeadersPolicy": _public(updated), "ETag": updated["ETag"]})


def delete_response_headers_policy(self: CloudFrontResponse) -> EmptyResult:
    policy_id = self._get_param("Id")
    policy = _existing(self.backend, policy_id)
    _check_if_match(policy, self._get_param("IfMatch"))
    if _in_use(self.backend, policy_id):
        raise ResponseHeadersPolicyInUse()
    del _policies(self.backend)[policy_id]
    return EmptyResult()


def apply() -> None:
    for route in ROUTES:
        cloudfront_urls.url_paths[route] = CloudFrontResponse.dispatch
    CloudFrontResponse.create_response_headers_policy = create_response_headers_policy
    CloudFrontResponse.get_response_headers_policy = get_response_headers_policy
    CloudFrontResponse.get_response_headers_policy_config = get_response_headers_policy_config
    CloudFrontResponse.list_response_headers_policies = list_response_headers_policies
    CloudFrontResponse.update_response_headers_policy = update_response_headers_policy
    CloudFrontResponse.delete_response_headers_policy = delete_response_headers_policy
