"""Records the AWS API call of every request a moto server answers: a measuring tool.

Not a gap fill. With ``PRIVATECAST_MOTO_REQUEST_LOG=FILE`` in the moto server's
environment, ``apply()`` wraps moto's WSGI application so that each request appends one
JSON line ``{"service": "lambda", "action": "GetFunction"}`` to FILE. scripts/bench-site
counts the lines of a no-op run and splits them into reads and writes.

The action is found as AWS's protocols carry it: the ``X-Amz-Target`` header (JSON
protocol), the ``Action`` parameter (query protocol), or else (REST protocols) the
operation of botocore's service model whose HTTP method and request URI match the
request. The service is the signing name in the request's credential scope.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import botocore.exceptions
import botocore.session
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

ENV = "PRIVATECAST_MOTO_REQUEST_LOG"
READ_PREFIXES = ("Describe", "Get", "List", "Head")
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_LOCK = threading.Lock()
# REST services whose signing name is not their model's name (others: the same name).
MODELS_OF_SIGNING_NAME = {"apigateway": ("apigateway", "apigatewayv2")}


def is_read(action: str) -> bool:
    """Describe/Get/List/Head calls read, also as Cognito's Admin* calls (AdminGetUser);
    every other action writes."""
    return action.removeprefix("Admin").startswith(READ_PREFIXES)


def signing_service(environ: dict[str, Any]) -> str:
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "unsigned"


@cache
def _rest_routes(service: str) -> list[Route]:
    """The routes of the REST service models signed with this name."""
    session = botocore.session.get_session()
    routes = []
    for model_name in MODELS_OF_SIGNING_NAME.get(service, (service,)):
        try:
            routes += _model_routes(session.get_service_model(model_name))
        except botocore.exceptions.UnknownServiceError:
            continue
    return routes


Route = tuple[str, re.Pattern[str], frozenset[str], frozenset[str], int, str]


def _model_routes(model: Any) -> list[Route]:
    """(method, path pattern, query keys, headers, literal length, operation) per operation.

    The query keys and headers are those the operation requires (literal in its URI or
    required members sent there): PutObject and UploadPartCopy share method and URI.
    """
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        path, _sep, query = http["requestUri"].partition("?")
        pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", ".+", re.escape(path.rstrip("/") or "/"))
        pattern = re.sub(r"\\\{[^}]+?\\\}", "[^/]+", pattern)
        keys = {k.split("=")[0] for k in query.split("&") if k}
        headers = set()
        shape = operation.input_shape
        for member in shape.required_members if shape else ():
            where = shape.members[member].serialization
            if where.get("location") == "querystring":
                keys.add(where["name"])
            elif where.get("location") == "header":
                headers.add("HTTP_" + where["name"].upper().replace("-", "_"))
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        routes.append(
            (http["method"], re.compile(f"^{pattern}/?$"), frozenset(keys), frozenset(headers), literal, name)
        )
    return routes


def rest_action(service: str, environ: dict[str, Any], query: dict[str, list[str]]) -> str:
    """The operation whose method, URI, query keys and headers match, the most specific."""
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    matches = [
        (len(keys) + len(headers), literal, name)
        for verb, pattern, keys, headers, literal, name in _rest_routes(service)
        if verb == method and pattern.match(path) and keys <= query.keys() and headers <= environ.keys()
    ]
    return max(matches)[2] if matches else f"{method} {path}"


def request_action(environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "Action" in query:
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    service = signing_service(environ)
    return rest_action(service, environ, query)


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def record(path: str, environ: dict[str, Any]) -> None:
    if environ.get("PATH_INFO", "").startswith("/moto-api"):
        return
    entry = {"service": signing_service(environ), "action": request_action(environ, _read_body(environ))}
    with _LOCK, open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def _wrap_call(original: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        path = os.environ.get(ENV)
        if path:
            record(path, environ)
        return original(self, environ, start_response)

    call.patched_by_privatecast = True  # type: ignore[attr-defined]
    return call


def apply() -> None:
    original = DomainDispatcherApplication.__call__
    if not getattr(original, "patched_by_privatecast", False):
        DomainDispatcherApplication.__call__ = _wrap_call(original)  # type: ignore[method-assign]
