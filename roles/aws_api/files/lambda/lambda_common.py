"""Shared pieces of the privatecast Lambdas: configuration from the environment, boto3
clients created once per container, JWT claims of API Gateway HTTP API events, and
responses in payload format 2.0. Standard library and boto3 only."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from botocore.config import Config


class HttpError(Exception):
    """Ends a request with the given status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "")
    if value:
        return value
    if default is None:
        raise RuntimeError(f"environment variable {name} is required")
    return default


def env_seconds(name: str, default: int) -> int:
    value = int(env(name, str(default)))
    if value <= 0:
        raise RuntimeError(f"{name} must be a positive number of seconds")
    return value


def now() -> float:
    """The current time (epoch seconds); one place for tests to move the clock."""
    return time.time()


def stack_name() -> str:
    return env("PRIVATECAST_STACK")


def bucket_name() -> str:
    return env("PRIVATECAST_BUCKET")


@cache
def client(service: str) -> Any:
    """One client per service and container; endpoint from PRIVATECAST_AWS_ENDPOINT_URL."""
    endpoint = os.environ.get("PRIVATECAST_AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    retries = Config(retries={"mode": "standard", "max_attempts": 5})
    return boto3.client(service, region_name=region, endpoint_url=endpoint, config=retries)


def reset_clients() -> None:
    """Forget cached clients and settings (a new container, as far as the handlers can tell)."""
    client.cache_clear()
    distribution.cache_clear()


# --- the CloudFront distribution (written by the playbook once it exists) ----------------

DISTRIBUTION_REFRESH_SECONDS = 300
# A DNS name, nothing CloudFront's resource match reads as a wildcard ("*", "?").
HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"{HOST_LABEL}(?:\.{HOST_LABEL})*")
DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{1,64}")


@dataclass(frozen=True)
class Distribution:
    id: str
    host: str  # the name viewers use: the distribution's first alias, else its domain


def distribution_parameter() -> str:
    default = f"/privatecast/{stack_name()}/cloudfront/distribution"
    return env("PRIVATECAST_DISTRIBUTION_PARAMETER", default)


class DistributionCache:
    """The stack's distribution from its SSM parameter, read again after
    DISTRIBUTION_REFRESH_SECONDS. Until the playbook has written it: 503."""

    def __init__(self) -> None:
        self._loaded_at = 0.0
        self._value: Distribution | None = None

    def __call__(self) -> Distribution:
        if self._value is None or time.monotonic() - self._loaded_at >= DISTRIBUTION_REFRESH_SECONDS:
            self._value = self._load()
            self._loaded_at = time.monotonic()
        return self._value

    @staticmethod
    def _load() -> Distribution:
        ssm = client("ssm")
        try:
            text = ssm.get_parameter(Name=distribution_parameter())["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            raise HttpError(503, "the CloudFront distribution is not deployed yet") from None
        document = json.loads(text)
        found = Distribution(id=str(document.get("id", "")), host=str(document.get("host", "")))
        if not DISTRIBUTION_ID.fullmatch(found.id) or not HOST_NAME.fullmatch(found.host):
            raise RuntimeError(f"{distribution_parameter()} does not name a distribution and its host")
        return found

    def cache_clear(self) -> None:
        self._value = None


distribution = DistributionCache()


# --- API Gateway HTTP API (payload 2.0) ---------------------------------------------


def claims_of(event: dict[str, Any]) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return (authorizer.get("jwt") or {}).get("claims") or {}


def groups_of(claims: dict[str, Any]) -> set[str]:
    """cognito:groups as a list (the token) or as HTTP API's string form "[a b]"."""
    raw = claims.get("cognito:groups")
    if raw is None:
        return set()
    if isinstance(raw, list):
        return {str(group) for group in raw}
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text[1:-1].replace(",", " ").split()
        else:
            parsed = parsed if isinstance(parsed, list) else [parsed]
        return {str(group).strip().strip('"') for group in parsed if str(group).strip()}
    return {part.strip() for part in text.replace(",", " ").split() if part.strip()}


def admin_group() -> str:
    return env("PRIVATECAST_ADMIN_GROUP", "admins")


def viewer_group() -> str:
    return env("PRIVATECAST_VIEWER_GROUP", "viewers")


def require_groups(event: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    """The caller's claims if they carry one of the allowed groups; 401/403 otherwise."""
    claims = require_signed_in(event)
    if not groups_of(claims) & allowed:
        raise HttpError(403, "not allowed")
    return claims


def require_signed_in(event: dict[str, Any]) -> dict[str, Any]:
    claims = claims_of(event)
    if not claims.get("sub"):
        raise HttpError(401, "not signed in")
    return claims


def require_viewer(event: dict[str, Any]) -> dict[str, Any]:
    return require_groups(event, {viewer_group(), admin_group()})


def require_admin(event: dict[str, Any]) -> dict[str, Any]:
    return require_groups(event, {admin_group()})


def query_parameter(event: dict[str, Any], name: str) -> str | None:
    """One query parameter's value, None when absent. API Gateway joins the values of a
    repeated parameter with commas, and no parameter of this API holds a comma, so a
    comma means the parameter came more than once: 400."""
    value = (event.get("queryStringParameters") or {}).get(name)
    if value is None:
        return None
    if not isinstance(value, str) or "," in value:
        raise HttpError(400, f"give {name} once, with one value")
    return value


def route_of(event: dict[str, Any]) -> str:
    return str(event.get("routeKey") or "")


def json_response(status: int, body: Any, cookies: list[str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(body, sort_keys=True),
    }
    if cookies:
        response["cookies"] = cookies
    return response


def empty_response(status: int = 204, cookies: list[str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": status, "headers": {"cache-control": "no-store"}}
    if cookies:
        response["cookies"] = cookies
    return response


def error_response(error: HttpError) -> dict[str, Any]:
    return json_response(error.status, {"message": error.message})


Route = Callable[[dict[str, Any]], dict[str, Any]]


def dispatch(event: dict[str, Any], routes: dict[str, Route]) -> dict[str, Any]:
    """Call the route's function; HttpError becomes its response."""
    route = routes.get(route_of(event))
    try:
        if route is None:
            raise HttpError(404, "no such route")
        return route(event)
    except HttpError as error:
        return error_response(error)


# --- servers --------------------------------------------------------------------------


def launched_at(instance: dict[str, Any]) -> float:
    value = instance.get("LaunchTime")
    return value.timestamp() if isinstance(value, datetime) else 0.0


# --- the live stream ------------------------------------------------------------------

HLS_PREFIX = "hls/"


def newest_segment_time(s3: Any, bucket: str) -> float | None:
    """When Owncast last uploaded a segment under hls/ (epoch seconds); None if none."""
    newest = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=HLS_PREFIX):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(".ts"):
                modified = obj["LastModified"].timestamp()
                newest = modified if newest is None else max(newest, modified)
    return newest
