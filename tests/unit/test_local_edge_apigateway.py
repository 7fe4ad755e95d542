"""The local edge's API Gateway rules (tools/local_edge/apigateway.py): route selection,
the JWT authorizer's refusals, the payload 2.0 event and the mapping of a function's
result, as the API Gateway Developer Guide documents them."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tools.local_edge import apigateway
from tools.local_edge.http_types import Request

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
CLIENT_ID = "7abcclientid"
CONFIG = apigateway.JwtConfig(issuer=ISSUER, audience=(CLIENT_ID,))

ROUTES = [
    apigateway.Route("GET /api/status", "integrations/status", "JWT", "auth"),
    apigateway.Route("POST /api/session", "integrations/session", "JWT", "auth"),
    apigateway.Route("DELETE /api/recordings/{id}", "integrations/recordings", "JWT", "auth"),
    apigateway.Route("GET /api/recordings", "integrations/recordings", "JWT", "auth"),
]


# --- routes (http-api-develop-routes.html) --------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/api/status", "GET /api/status", {}),
        ("DELETE", "/api/recordings/abc-1", "DELETE /api/recordings/{id}", {"id": "abc-1"}),
        ("GET", "/api/recordings", "GET /api/recordings", {}),
    ],
)
def test_routes_match_method_and_path(method: str, path: str, route_key: str, parameters: dict) -> None:
    match = apigateway.match_route(ROUTES, method, path)
    assert match is not None and match.route.route_key == route_key and match.path_parameters == parameters


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/status"),  # the method is part of the route key
        ("GET", "/api/Status"),  # paths are case sensitive
        ("GET", "/api/status/"),
        ("DELETE", "/api/recordings/"),  # a path variable needs a segment
        ("DELETE", "/api/recordings/a/b"),  # ... exactly one
        ("GET", "/api/unknown"),
    ],
)
def test_unknown_routes_are_not_found(method: str, path: str) -> None:
    assert apigateway.match_route(ROUTES, method, path) is None
    response = apigateway.not_found()
    assert response.status == 404 and json.loads(response.body) == {"message": "Not Found"}


def test_greedy_variables_any_and_default_come_after_more_specific_routes() -> None:
    routes = [
        apigateway.Route("$default", "integrations/default"),
        apigateway.Route("ANY /api/{proxy+}", "integrations/proxy"),
        apigateway.Route("GET /api/{proxy+}", "integrations/get-proxy"),
        apigateway.Route("GET /api/items/{id}", "integrations/item"),
        apigateway.Route("GET /api/items/special", "integrations/special"),
    ]

    def target(method: str, path: str) -> tuple[str, dict[str, str]]:
        match = apigateway.match_route(routes, method, path)
        assert match is not None
        return match.route.target, match.path_parameters

    assert target("GET", "/api/items/special") == ("integrations/special", {})
    assert target("GET", "/api/items/7") == ("integrations/item", {"id": "7"})
    assert target("GET", "/api/a/b/c") == ("integrations/get-proxy", {"proxy": "a/b/c"})
    assert target("POST", "/api/a/b") == ("integrations/proxy", {"proxy": "a/b"})
    assert target("POST", "/elsewhere") == ("integrations/default", {})


# --- the JWT authorizer (http-api-jwt-authorizer.html) --------------------------------


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNER = rsa_key()
FORGER = rsa_key()


def jwks_of(key: rsa.RSAPrivateKey, kid: str = "key-1") -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}


JWKS = jwks_of(SIGNER)


def token(key: Any = SIGNER, kid: str = "key-1", algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "user-1", "iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 600, **claims}
    body = {name: value for name, value in body.items() if value is not None}
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


def refusal(text: str) -> str:
    with pytest.raises(apigateway.Unauthorized) as refused:
        apigateway.verify_token(text, CONFIG, JWKS)
    response = refused.value.response()
    assert response.status == 401 and json.loads(response.body) == {"message": "Unauthorized"}
    return refused.value.description


def test_a_valid_id_token_is_accepted() -> None:
    assert apigateway.verify_token(token(), CONFIG, JWKS)["sub"] == "user-1"


def test_an_access_token_is_accepted_by_its_client_id_when_it_has_no_aud() -> None:
    claims = apigateway.verify_token(token(aud=None, client_id=CLIENT_ID), CONFIG, JWKS)
    assert claims["client_id"] == CLIENT_ID


def test_aud_is_checked_before_client_id() -> None:
    assert "audience" in refusal(token(aud="someone-else", client_id=CLIENT_ID))


def test_no_token_is_refused() -> None:
    request = Request("GET", "/api/status", "", [("Host", "x")])
    with pytest.raises(apigateway.MissingToken):
        apigateway.token_from(request, CONFIG)


def test_the_token_comes_alone_or_after_bearer() -> None:
    for value in ("abc.def.ghi", "Bearer abc.def.ghi", "bearer abc.def.ghi"):
        request = Request("GET", "/", "", [("Authorization", value)])
        assert apigateway.token_from(request, CONFIG) == "abc.def.ghi"


def test_a_forged_token_is_refused() -> None:
    assert "verified" in refusal(token(key=FORGER))  # same kid, another key


def test_a_token_of_an_unknown_key_is_refused() -> None:
    assert "kid" in refusal(token(kid="key-2"))


def test_wrong_audience_is_refused() -> None:
    assert refusal(token(aud="another-client")) == "the token does not have a valid audience"


def test_expired_token_is_refused() -> None:
    assert refusal(token(exp=int(time.time()) - 5)) == "the token has expired"


def test_token_without_expiry_is_refused() -> None:
    refusal(token(exp=None))


def test_token_not_yet_valid_is_refused() -> None:
    assert refusal(token(nbf=int(time.time()) + 300)) == "the token is not yet valid"


def test_wrong_issuer_is_refused() -> None:
    assert "issuer" in refusal(token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER"))


def test_only_rsa_algorithms_are_accepted() -> None:
    assert "algorithm" in refusal(
        jwt.encode({"iss": ISSUER}, "secret-secret-secret-secret-32b!", algorithm="HS256")
    )


def test_garbage_is_refused() -> None:
    refusal("not-a-token")


def test_route_scopes_need_one_of_them_in_the_token() -> None:
    with pytest.raises(apigateway.Unauthorized):
        apigateway.verify_token(token(scope="openid"), CONFIG, JWKS, route_scopes=("admin",))
    apigateway.verify_token(token(scope="openid admin"), CONFIG, JWKS, route_scopes=("admin",))


# --- payload format 2.0 (http-api-develop-integrations-lambda.html) ------------------


def test_event_carries_what_api_gateway_sends() -> None:
    request = Request(
        method="DELETE",
        path="/api/recordings/rec-1",
        query="limit=5&x=1&x=2",
        headers=[("User-Agent", "UA/1"), ("Cookie", "a=1; b=2"), ("Content-Type", "application/json")],
        body=b'{"k": 1}',
        client_ip="127.0.0.1",
    )
    match = apigateway.match_route(ROUTES, "DELETE", "/api/recordings/rec-1")
    assert match is not None
    context = apigateway.ApiContext("abc123", "123456789012", "abc123.execute-api.us-east-1.amazonaws.com")
    claims = {"sub": "u1", "cognito:groups": ["admins", "viewers"], "exp": 1700000000, "email_verified": True}
    event = apigateway.build_event(request, match, context, claims, now=1700000000.5)
    assert event["version"] == "2.0" and event["routeKey"] == "DELETE /api/recordings/{id}"
    assert event["rawPath"] == "/api/recordings/rec-1" and event["rawQueryString"] == "limit=5&x=1&x=2"
    assert event["queryStringParameters"] == {"limit": "5", "x": "1,2"}
    assert event["pathParameters"] == {"id": "rec-1"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["user-agent"] == "UA/1" and event["headers"]["host"] == context.domain_name
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http == {
        "method": "DELETE",
        "path": "/api/recordings/rec-1",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "UA/1",
    }
    context_part = event["requestContext"]
    assert context_part["stage"] == "$default" and context_part["apiId"] == "abc123"
    assert context_part["timeEpoch"] == 1700000000500 and context_part["time"] == "14/Nov/2023:22:13:20 +0000"
    # HTTP APIs pass claims as strings; a list becomes "[a b]".
    assert context_part["authorizer"]["jwt"]["claims"] == {
        "sub": "u1",
        "cognito:groups": "[admins viewers]",
        "exp": "1700000000",
        "email_verified": "true",
    }


def test_binary_bodies_are_base64_encoded() -> None:
    request = Request("POST", "/api/session", "", [("Content-Type", "application/octet-stream")], b"\x00\x01")
    match = apigateway.match_route(ROUTES, "POST", "/api/session")
    assert match is not None
    event = apigateway.build_event(request, match, apigateway.ApiContext("a", "1", "a.example"), None)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\x01"
    assert "authorizer" not in event["requestContext"] and "queryStringParameters" not in event


def test_a_structured_result_becomes_the_response() -> None:
    response = apigateway.map_result(
        {
            "statusCode": 201,
            "headers": {"content-type": "application/json"},
            "body": base64.b64encode(b"{}").decode(),
            "isBase64Encoded": True,
            "cookies": ["a=1; Path=/hls/", "b=2; Path=/recordings/"],
        },
        "req-1",
    )
    assert response.status == 201 and response.body == b"{}"
    assert [value for name, value in response.headers if name == "Set-Cookie"] == [
        "a=1; Path=/hls/",
        "b=2; Path=/recordings/",
    ]


def test_a_result_without_status_code_is_a_json_200() -> None:
    response = apigateway.map_result({"hello": "world"}, "req-1")
    assert response.status == 200 and json.loads(response.body) == {"hello": "world"}
    assert response.header("Content-Type") == "application/json"
