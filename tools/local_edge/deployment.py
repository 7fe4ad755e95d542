"""The deployed configuration, read from the moto server with the AWS API and kept for at
most REFRESH_SECONDS, so a playbook run reaches the edge within a second and the
playbooks stay the only source of truth. Nothing here is configured by the edge itself.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError

from tools.local_edge import apigateway, cloudfront

REFRESH_SECONDS = 1.0
T = TypeVar("T")

# The Cognito IdP host of an issuer URL. The edge resolves it to the moto server, as a
# DNS entry pointing cognito-idp.<region>.amazonaws.com at the local stack would: the
# issuer string itself (what tokens carry and the authorizer compares) stays AWS's.
COGNITO_HOST = re.compile(r"^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$")


class TtlCache:
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self._ttl:
                return entry[1]
        value = load()
        with self._lock:
            self._entries[key] = (now, value)
        return value


@dataclass(frozen=True)
class Distribution:
    id: str
    arn: str
    domain_name: str
    config: dict[str, Any]


@dataclass(frozen=True)
class Integration:
    function_arn: str
    timeout_seconds: float  # API Gateway waits this long for the function (TimeoutInMillis)


@dataclass(frozen=True)
class HttpApi:
    api_id: str
    endpoint_host: str
    routes: list[apigateway.Route]
    integrations: dict[str, Integration]
    authorizers: dict[str, apigateway.JwtConfig]


class Deployment:
    """Reads the stack's deployed edge from the AWS API of the moto server."""

    def __init__(self, endpoint: str, region: str, stack: str, ttl: float = REFRESH_SECONDS) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region
        self.stack = stack
        self._cache = TtlCache(ttl)
        self._clients: dict[str, Any] = {}
        self._client_lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._client_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service, region_name=self.region, endpoint_url=self.endpoint
                )
            return self._clients[service]

    # --- CloudFront -------------------------------------------------------------------

    def distribution(self) -> Distribution:
        return self._cache.get("distribution", self._load_distribution)

    def _load_distribution(self) -> Distribution:
        cloudfront_api = self.client("cloudfront")
        comment = f"privatecast {self.stack}"  # docs/conventions.md: found by its comment
        items = cloudfront_api.list_distributions()["DistributionList"].get("Items") or []
        found = [item for item in items if item.get("Comment") == comment]
        if len(found) != 1:
            raise LookupError(f"expected one distribution with comment {comment!r}, found {len(found)}")
        item = found[0]
        config = cloudfront_api.get_distribution_config(Id=item["Id"])["DistributionConfig"]
        return Distribution(id=item["Id"], arn=item["ARN"], domain_name=item["DomainName"], config=config)

    def trusted_keys(self, key_group_ids: list[str]) -> dict[str, str]:
        """Public key id -> PEM for every key of the key groups."""
        return self._cache.get(("keys", tuple(key_group_ids)), lambda: self._load_keys(key_group_ids))

    def _load_keys(self, key_group_ids: list[str]) -> dict[str, str]:
        cloudfront_api = self.client("cloudfront")
        keys: dict[str, str] = {}
        for group_id in key_group_ids:
            group = cloudfront_api.get_key_group(Id=group_id)["KeyGroup"]
            for key_id in group["KeyGroupConfig"]["Items"]:
                public_key = cloudfront_api.get_public_key(Id=key_id)["PublicKey"]
                keys[key_id] = public_key["PublicKeyConfig"]["EncodedKey"]
        return keys

    def response_headers_policy(self, policy_id: str) -> dict[str, Any]:
        """The ResponseHeadersPolicyConfig; managed policies from their documented content."""
        managed = cloudfront.MANAGED_RESPONSE_HEADERS_POLICIES.get(policy_id)
        if managed is not None:
            return managed
        return self._cache.get(("rhp", policy_id), lambda: self._load_policy(policy_id))

    def _load_policy(self, policy_id: str) -> dict[str, Any]:
        answer = self.client("cloudfront").get_response_headers_policy(Id=policy_id)
        return answer["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]

    # --- S3 ---------------------------------------------------------------------------

    def bucket_policy(self, bucket: str) -> str | None:
        return self._cache.get(("policy", bucket), lambda: self._load_bucket_policy(bucket))

    def _load_bucket_policy(self, bucket: str) -> str | None:
        try:
            return self.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
                return None
            raise

    # --- API Gateway ------------------------------------------------------------------

    def http_api(self, endpoint_host: str) -> HttpApi:
        return self._cache.get(("api", endpoint_host), lambda: self._load_api(endpoint_host))

    def _load_api(self, endpoint_host: str) -> HttpApi:
        api_client = self.client("apigatewayv2")
        apis = [
            api
            for api in api_client.get_apis()["Items"]
            if urlsplit(api.get("ApiEndpoint", "")).hostname == endpoint_host
        ]
        if len(apis) != 1:
            raise LookupError(f"expected one HTTP API with endpoint host {endpoint_host}, found {len(apis)}")
        api_id = apis[0]["ApiId"]
        routes = [
            apigateway.Route(
                route_key=item["RouteKey"],
                target=item.get("Target", ""),
                authorization_type=item.get("AuthorizationType", "NONE"),
                authorizer_id=item.get("AuthorizerId", ""),
                scopes=tuple(item.get("AuthorizationScopes") or ()),
            )
            for item in api_client.get_routes(ApiId=api_id)["Items"]
        ]
        integrations = {
            item["IntegrationId"]: Integration(
                function_arn=item.get("IntegrationUri", ""),
                timeout_seconds=int(item.get("TimeoutInMillis") or 30000) / 1000,
            )
            for item in api_client.get_integrations(ApiId=api_id)["Items"]
        }
        authorizers = {
            item["AuthorizerId"]: apigateway.JwtConfig(
                issuer=item["JwtConfiguration"]["Issuer"],
                audience=tuple(item["JwtConfiguration"].get("Audience") or ()),
                identity_source=tuple(item.get("IdentitySource") or ("$request.header.Authorization",)),
            )
            for item in api_client.get_authorizers(ApiId=api_id)["Items"]
            if item.get("AuthorizerType") == "JWT"
        }
        return HttpApi(api_id, endpoint_host, routes, integrations, authorizers)

    def jwks(self, issuer: str) -> dict[str, Any]:
        """The issuer's key set, found as API Gateway finds it: OIDC discovery at
        <issuer>/.well-known/openid-configuration, then its jwks_uri."""
        return self._cache.get(("jwks", issuer), lambda: self._load_jwks(issuer))

    def _load_jwks(self, issuer: str) -> dict[str, Any]:
        discovery = self._get_json(self.resolve(issuer.rstrip("/") + "/.well-known/openid-configuration"))
        return self._get_json(self.resolve(discovery["jwks_uri"]))

    def resolve(self, url: str) -> str:
        """An https://cognito-idp.<region>.amazonaws.com/... URL, sent to the moto server."""
        parts = urlsplit(url)
        if parts.hostname and COGNITO_HOST.match(parts.hostname):
            return self.endpoint + parts.path
        return url

    @staticmethod
    def _get_json(url: str) -> dict[str, Any]:
        if not url.startswith(("http://127.", "http://localhost")):
            raise ValueError(f"the edge fetches only from the local moto server, not {url}")
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback only (checked)
            return json.loads(answer.read())

    # --- EventBridge ------------------------------------------------------------------

    def schedules(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """(rule, its targets) of every scheduled rule."""
        return self._cache.get("schedules", self._load_schedules)

    def _load_schedules(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        events = self.client("events")
        found = []
        for rule in events.list_rules()["Rules"]:
            if rule.get("ScheduleExpression"):
                found.append((rule, events.list_targets_by_rule(Rule=rule["Name"])["Targets"]))
        return found
