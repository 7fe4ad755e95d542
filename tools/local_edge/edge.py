"""The viewer-facing edge: one request in, one response out, decided the way the deployed
CloudFront distribution and HTTP API would decide it (tools/local_edge/cloudfront.py,
apigateway.py) with the configuration read from moto (deployment.py) on each request.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout
from email.utils import formatdate
from typing import Any

from botocore.exceptions import ClientError

from plugins.module_utils import cookie_signer
from tools.local_edge import apigateway, bucket_policy, cloudfront
from tools.local_edge.deployment import Deployment, Distribution, HttpApi
from tools.local_edge.http_types import Request, Response
from tools.local_edge.lambdas import FunctionError, FunctionPool

LOG = logging.getLogger("local_edge")

# Headers of an S3 object that CloudFront passes to the viewer.
OBJECT_HEADERS = {
    "ContentType": "Content-Type",
    "CacheControl": "Cache-Control",
    "ContentEncoding": "Content-Encoding",
    "ContentDisposition": "Content-Disposition",
    "ContentLanguage": "Content-Language",
    "ContentRange": "Content-Range",
    "ETag": "ETag",
    "AcceptRanges": "Accept-Ranges",
}
CONDITIONAL_HEADERS = {
    "If-None-Match": "IfNoneMatch",
    "If-Match": "IfMatch",
    "If-Modified-Since": "IfModifiedSince",
    "If-Unmodified-Since": "IfUnmodifiedSince",
}
# cookie_signer's refusal reasons as CloudFront's error codes and messages.
COOKIE_REFUSALS = {
    cookie_signer.REASON_MISSING_COOKIE: (
        "MissingKey",
        "Missing Key-Pair-Id query parameter or cookie value",
    ),
    cookie_signer.REASON_UNKNOWN_KEY: ("InvalidKey", "Unknown Key"),
    cookie_signer.REASON_MALFORMED_POLICY: ("MalformedPolicy", "Malformed Policy"),
}


def account_of(arn: str) -> str:
    return arn.split(":")[4]


class Edge:
    def __init__(self, deployment: Deployment, functions: FunctionPool, executor: Executor) -> None:
        self.deployment = deployment
        self.functions = functions
        self.executor = executor

    def handle(self, request: Request) -> Response:
        response = self._decide(request)
        response.headers += cloudfront.edge_headers()
        if not response.has_header("X-Cache"):
            response.headers.append(("X-Cache", "Miss from cloudfront"))
        return response

    def _decide(self, request: Request) -> Response:
        try:
            distribution = self.deployment.distribution()
        except LookupError as error:
            return Response(503, [("Content-Type", "text/plain")], f"local edge: {error}\n".encode())
        config = distribution.config
        path = cloudfront.with_default_root_object(config, request.path)
        behaviour = cloudfront.select_behaviour(config, path)
        if request.method not in cloudfront.allowed_methods(behaviour):
            return cloudfront.method_not_allowed()
        # ViewerProtocolPolicy (https-only, redirect-to-https) holds: the edge speaks only HTTPS.
        refusal = self._check_signed_cookies(request, behaviour, distribution)
        if refusal is not None:
            return refusal
        origin = cloudfront.origin_of(config, behaviour)
        if "S3OriginConfig" in origin:
            response = self._from_s3(request, origin, path, distribution)
        else:
            response = self._from_api(request, origin)
        policy_id = behaviour.get("ResponseHeadersPolicyId")
        if policy_id:
            cloudfront.apply_policy(response, self.deployment.response_headers_policy(policy_id))
        return response

    # --- trusted key groups -----------------------------------------------------------

    def _check_signed_cookies(
        self, request: Request, behaviour: dict[str, Any], distribution: Distribution
    ) -> Response | None:
        groups = cloudfront.trusted_key_groups(behaviour)
        if not groups:
            return None
        host = cloudfront.viewer_host(distribution.config, distribution.domain_name, request.host)
        url = f"https://{host}{request.path}" + (f"?{request.query}" if request.query else "")
        verdict = cookie_signer.verify_cookies(
            cookie_signer.parse_cookie_header(request.cookie_header()),
            url,
            self.deployment.trusted_keys(groups),
            client_ip=request.client_ip,
        )
        if verdict:
            return None
        LOG.info("403 %s: signed cookies refused (%s: %s)", request.path, verdict.reason, verdict.detail)
        code, message = COOKIE_REFUSALS.get(verdict.reason, ("AccessDenied", "Access denied"))
        return cloudfront.error_response(403, code, message)

    # --- S3 origins -------------------------------------------------------------------

    def _from_s3(
        self, request: Request, origin: dict[str, Any], path: str, distribution: Distribution
    ) -> Response:
        location = cloudfront.s3_location(origin, path)
        if location is None:
            return cloudfront.error_response(
                502, "BadGateway", f"origin {origin['DomainName']} is not an S3 bucket"
            )
        if not self._cloudfront_may(
            "s3:GetObject", f"arn:aws:s3:::{location.bucket}/{location.key}", location, distribution
        ):
            return cloudfront.error_response(403, "AccessDenied", "Access Denied", server="AmazonS3")
        arguments: dict[str, Any] = {"Bucket": location.bucket, "Key": location.key}
        if request.header("Range"):
            arguments["Range"] = request.header("Range")
        for header, argument in CONDITIONAL_HEADERS.items():
            if request.header(header):
                arguments[argument] = request.header(header)
        s3 = self.deployment.client("s3")
        try:
            if request.method == "HEAD":
                answer = s3.head_object(**arguments)
                body = b""
            else:
                answer = s3.get_object(**arguments)
                body = answer["Body"].read()
        except ClientError as error:
            return self._s3_error(error, location, distribution)
        status = 206 if answer.get("ContentRange") else 200
        headers = [(name, str(answer[key])) for key, name in OBJECT_HEADERS.items() if answer.get(key)]
        if answer.get("LastModified"):
            headers.append(("Last-Modified", formatdate(answer["LastModified"].timestamp(), usegmt=True)))
        headers.append(("Content-Length", str(answer.get("ContentLength", len(body)))))
        headers.append(("Server", "AmazonS3"))
        return Response(status, headers, body)

    def _cloudfront_may(
        self, action: str, resource: str, location: cloudfront.S3Location, distribution: Distribution
    ) -> bool:
        request = bucket_policy.CloudFrontRequest(
            action=action,
            resource=resource,
            source_arn=distribution.arn,
            source_account=account_of(distribution.arn),
        )
        return bucket_policy.cloudfront_allowed(self.deployment.bucket_policy(location.bucket), request)

    def _s3_error(
        self, error: ClientError, location: cloudfront.S3Location, distribution: Distribution
    ) -> Response:
        code = error.response["Error"]["Code"]
        status = int(error.response["ResponseMetadata"]["HTTPStatusCode"])
        if status == 304 or code in ("304", "NotModified"):
            headers = error.response["ResponseMetadata"].get("HTTPHeaders", {})
            kept = [
                (name, headers[name.lower()]) for name in ("ETag", "Last-Modified") if name.lower() in headers
            ]
            return Response(304, [*kept, ("Server", "AmazonS3")])
        if code in ("NoSuchKey", "404", "NotFound"):
            # S3 answers 404 only to a caller allowed s3:ListBucket; CloudFront under OAC
            # usually is not, and then a missing key is 403 AccessDenied.
            if self._cloudfront_may(
                "s3:ListBucket", f"arn:aws:s3:::{location.bucket}", location, distribution
            ):
                return cloudfront.error_response(
                    404, "NoSuchKey", "The specified key does not exist.", server="AmazonS3"
                )
            return cloudfront.error_response(403, "AccessDenied", "Access Denied", server="AmazonS3")
        message = error.response["Error"].get("Message", code)
        return cloudfront.error_response(status, code, message, server="AmazonS3")

    # --- the HTTP API -----------------------------------------------------------------

    def _from_api(self, request: Request, origin: dict[str, Any]) -> Response:
        try:
            api = self.deployment.http_api(origin["DomainName"])
        except LookupError as error:
            return cloudfront.error_response(502, "BadGateway", str(error))
        # CloudFront puts the origin path in front of the request path.
        api_request = Request(
            method=request.method,
            path=(origin.get("OriginPath") or "").rstrip("/") + request.path,
            query=request.query,
            headers=[(name, value) for name, value in request.headers if name.lower() != "host"],
            body=request.body,
            client_ip=request.client_ip,
        )
        match = apigateway.match_route(api.routes, api_request.method, api_request.path)
        if match is None:
            return apigateway.not_found()
        try:
            claims = self._authorize(api_request, match.route, api.authorizers)
        except apigateway.Unauthorized as refusal:
            LOG.info("401 %s %s: %s", request.method, request.path, refusal.description)
            return refusal.response()
        return self._integrate(api, api_request, match, claims)

    def _integrate(
        self, api: HttpApi, request: Request, match: apigateway.RouteMatch, claims: dict[str, Any] | None
    ) -> Response:
        """Run the route's Lambda proxy integration and map its answer (500 when the
        function fails, 503 when it outlasts the integration timeout)."""
        integration = api.integrations.get(match.route.target.removeprefix("integrations/"))
        if integration is None:
            return apigateway.internal_error()
        context = apigateway.ApiContext(
            api_id=api.api_id, account_id=account_of(integration.function_arn), domain_name=api.endpoint_host
        )
        event = apigateway.build_event(request, match, context, claims)
        future = self.executor.submit(self.functions.invoke, integration.function_arn, event)
        try:
            return apigateway.map_result(
                future.result(timeout=integration.timeout_seconds), context.request_id
            )
        except FutureTimeout:
            return apigateway.service_unavailable()
        except FunctionError:
            return apigateway.internal_error()
        except Exception:
            LOG.exception("%s %s: the integration could not run", request.method, request.path)
            return apigateway.internal_error()

    def _authorize(
        self, request: Request, route: apigateway.Route, authorizers: dict[str, apigateway.JwtConfig]
    ) -> dict[str, Any] | None:
        if route.authorization_type == "NONE":
            return None
        if route.authorization_type != "JWT" or route.authorizer_id not in authorizers:
            raise apigateway.Unauthorized(
                f"authorization type {route.authorization_type} is not implemented by the edge"
            )
        config = authorizers[route.authorizer_id]
        token = apigateway.token_from(request, config)
        return apigateway.verify_token(
            token, config, self.deployment.jwks(config.issuer), route_scopes=route.scopes
        )

    # --- asynchronous invocations (S3 events, schedules) -------------------------------

    def invoke_async(self, function_arn: str, event: dict[str, Any], why: str) -> None:
        """Invoke as S3 and EventBridge do: queued, the caller does not wait."""

        def run() -> None:
            try:
                result = self.functions.invoke(function_arn, event)
                LOG.info("%s -> %s: %s", why, function_arn.rsplit(":", 1)[-1], str(result)[:200])
            except FunctionError as error:
                LOG.error("%s -> %s failed: %s", why, function_arn, error)
            except Exception:
                LOG.exception("%s -> %s could not run", why, function_arn)

        self.executor.submit(run)
