"""API Gateway HTTP API rules: route selection, the JWT authorizer, the Lambda proxy
integration's payload format 2.0 (event in, response out). Sources: Amazon API Gateway
Developer Guide,
  http-api-develop-routes.html                 route keys, path variables, $default
  http-api-jwt-authorizer.html                 how a JWT authorizer validates a token
  http-api-troubleshooting-jwt.html            401 and its www-authenticate header
  http-api-develop-integrations-lambda.html    payload format 2.0, response format
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt

from tools.local_edge.http_types import Request, Response

# --- routes ---------------------------------------------------------------------------

ANY = "ANY"
DEFAULT_ROUTE = "$default"
PATH_VARIABLE = re.compile(r"^\{(?P<name>[A-Za-z0-9._-]+)(?P<greedy>\+)?\}$")


@dataclass(frozen=True)
class Route:
    route_key: str
    target: str  # integrations/<id>
    authorization_type: str = "NONE"
    authorizer_id: str = ""
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


def _match_path(template: str, path: str) -> dict[str, str] | None:
    wanted, actual = template.split("/")[1:], path.split("/")[1:]
    parameters: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        variable = PATH_VARIABLE.match(segment)
        if variable and variable.group("greedy"):
            rest = actual[index:]
            if index != len(wanted) - 1 or not rest or rest == [""]:
                return None
            parameters[variable.group("name")] = unquote("/".join(rest))
            return parameters
        if index >= len(actual):
            return None
        if variable:
            if not actual[index]:
                return None
            parameters[variable.group("name")] = unquote(actual[index])
        elif segment != actual[index]:
            return None
    return parameters if len(actual) == len(wanted) else None


def _specificity(route: Route) -> tuple[int, int, int, int]:
    """Higher is more specific: no greedy variable, more literal segments, more segments,
    a named method over ANY (API Gateway prefers the most specific match)."""
    method, template = route.route_key.split(" ", 1)
    segments = template.split("/")[1:]
    greedy = any((m := PATH_VARIABLE.match(s)) and m.group("greedy") for s in segments)
    literal = sum(1 for s in segments if not PATH_VARIABLE.match(s))
    return (0 if greedy else 1, literal, len(segments), 0 if method == ANY else 1)


def match_route(routes: list[Route], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway selects for METHOD and path: the most specific matching
    "METHOD /path" (path variables {name}, a last greedy {name+}, method ANY), else
    $default, else None (404)."""
    best: tuple[tuple[int, int, int, int], RouteMatch] | None = None
    default = None
    for route in routes:
        if route.route_key == DEFAULT_ROUTE:
            default = RouteMatch(route, {})
            continue
        route_method, separator, template = route.route_key.partition(" ")
        if not separator:
            continue
        if route_method not in (method, ANY):
            continue
        parameters = _match_path(template, path)
        if parameters is None:
            continue
        score = _specificity(route)
        if best is None or score > best[0]:
            best = (score, RouteMatch(route, parameters))
    return best[1] if best else default


def json_error(status: int, message: str, extra: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return Response(status, [("Content-Type", "application/json"), *(extra or [])], body)


def not_found() -> Response:
    return json_error(404, "Not Found")


# --- the JWT authorizer ---------------------------------------------------------------

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")  # "only RSA-based algorithms are supported"


class Unauthorized(Exception):
    """The authorizer refuses the request: 401 before any integration runs."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def response(self) -> Response:
        challenge = f'Bearer scope="" error="invalid_token" error_description="{self.description}"'
        return json_error(401, "Unauthorized", [("www-authenticate", challenge)])


class MissingToken(Unauthorized):
    def response(self) -> Response:
        return json_error(401, "Unauthorized")


@dataclass(frozen=True)
class JwtConfig:
    issuer: str
    audience: tuple[str, ...]
    identity_source: tuple[str, ...] = ("$request.header.Authorization",)


JwksLoader = Callable[[str], dict[str, Any]]  # issuer -> its JWKS document


def token_from(request: Request, config: JwtConfig) -> str:
    """The token from the identity source: the token alone, or prefixed with "Bearer "."""
    for source in config.identity_source:
        prefix = "$request.header."
        if not source.startswith(prefix):
            raise MissingToken(f"identity source {source} is not implemented by the edge")
        value = (request.header(source[len(prefix) :]) or "").strip()
        if value.lower().startswith("bearer "):
            value = value[len("bearer ") :].strip()
        if value:
            return value
    raise MissingToken("no token")


def _audience_matches(claims: dict[str, Any], audience: tuple[str, ...]) -> bool:
    # aud is checked when present; client_id only when aud is absent.
    if "aud" in claims:
        values = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    else:
        values = [claims.get("client_id")]
    return any(value in audience for value in values if value is not None)


def verify_token(
    token: str, config: JwtConfig, jwks: dict[str, Any], *, route_scopes: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The token's claims if API Gateway's JWT authorizer accepts it; Unauthorized otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise Unauthorized("the token is malformed") from error
    if header.get("alg") not in RSA_ALGORITHMS:
        raise Unauthorized("the token's algorithm is not supported")
    keys = [key for key in jwks.get("keys", []) if key.get("kid") == header.get("kid")]
    if not keys:
        raise Unauthorized("the token's kid is not in the issuer's key set")
    try:
        public_key = jwt.PyJWK(keys[0], algorithm=header["alg"]).key
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[header["alg"]],
            # exp after now, nbf and iat before now (PyJWT checks those it finds); issuer and
            # audience are checked below with API Gateway's rules.
            options={"require": ["exp", "iss"], "verify_aud": False, "verify_iss": False},
            leeway=0,
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("the token has expired") from error
    except jwt.ImmatureSignatureError as error:
        raise Unauthorized("the token is not yet valid") from error
    except jwt.PyJWTError as error:
        raise Unauthorized("the token could not be verified") from error
    if claims.get("iss") != config.issuer:
        raise Unauthorized("the token does not have a valid issuer")
    if not _audience_matches(claims, config.audience):
        raise Unauthorized("the token does not have a valid audience")
    if route_scopes and not set(token_scopes(claims)) & set(route_scopes):
        raise Unauthorized("the token does not have a valid scope")
    return claims


def token_scopes(claims: dict[str, Any]) -> list[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    return raw if isinstance(raw, list) else str(raw).split()


def stringify_claim(value: Any) -> str:
    """HTTP APIs pass every claim as a string; a list becomes "[a b]"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(stringify_claim(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# --- payload format 2.0 ---------------------------------------------------------------

TEXT_TYPES = re.compile(
    r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|application/[a-z0-9.+-]+\+(json|xml))",
    re.IGNORECASE,
)


@dataclass
class ApiContext:
    api_id: str
    account_id: str
    domain_name: str  # the Host API Gateway saw: behind CloudFront, the API's own host
    stage: str = "$default"
    request_id: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(12)).decode()[:16])


def _headers_of(request: Request, host: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers["host"] = host
    return headers


def _query_parameters(query: str) -> dict[str, str] | None:
    if not query:
        return None
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def build_event(
    request: Request,
    match: RouteMatch,
    context: ApiContext,
    claims: dict[str, Any] | None,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """The event API Gateway sends a Lambda proxy integration (payload format 2.0)."""
    now = time.time() if now is None else now
    headers = _headers_of(request, context.domain_name)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "domainName": context.domain_name,
            "domainPrefix": context.domain_name.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": context.request_id,
            "routeKey": match.route.route_key,
            "stage": context.stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    cookies = [part.strip() for part in request.cookie_header().split(";") if part.strip()]
    if cookies:
        event["cookies"] = cookies
        headers.pop("cookie", None)
    if (query := _query_parameters(request.query)) is not None:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {
                "claims": {name: stringify_claim(value) for name, value in claims.items()},
                "scopes": list(match.route.scopes) or None,
            }
        }
    if request.body:
        if TEXT_TYPES.match(headers.get("content-type", "")):
            event["body"] = request.body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    return event


def map_result(result: Any, request_id: str) -> Response:
    """The HTTP response API Gateway makes of a payload 2.0 function result.

    With a statusCode the result is read as {statusCode, headers, body, isBase64Encoded,
    cookies}; without one, the whole result is the JSON body of a 200.
    """
    extra = [("apigw-requestid", request_id)]
    if not isinstance(result, dict) or "statusCode" not in result:
        body = json.dumps(result).encode()
        return Response(200, [("Content-Type", "application/json"), *extra], body)
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.append((str(name), ",".join(str(value) for value in values)))
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw_body)
    else:
        body = str(raw_body).encode()
    return Response(int(result["statusCode"]), [*headers, *extra], body)


def internal_error() -> Response:
    """A function that failed (an exception, a timeout, an unreadable result)."""
    return json_error(500, "Internal Server Error")


def service_unavailable() -> Response:
    """The integration did not answer within its timeout."""
    return json_error(503, "Service Unavailable")
