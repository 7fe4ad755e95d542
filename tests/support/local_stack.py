"""The running local stack (scripts/up) as tests and benchmarks reach it: its fixed
loopback addresses, clients of its moto server, the files scripts/up leaves, and how
Debian's Chromium is started for the page."""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("PRIVATECAST_LOCAL_STATE", REPO_ROOT / "local-stack"))
EDGE_URL = "https://127.0.0.1:8480"
MOTO_URL = "http://127.0.0.1:5055"
STACK = "local"
REGION = "us-east-1"
ARTIFACTS = REPO_ROOT / "tests" / "output" / "e2e"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium calls hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
PHONE = {"width": 360, "height": 640}
# The only hosts the page may talk to: its own, and Cognito's endpoint (moto's on the
# local stack, as config.json says).
ALLOWED_ORIGINS = {EDGE_URL, MOTO_URL}


def insecure_tls() -> ssl.SSLContext:
    """The local edge's certificate is self-signed: tests trust it without checking."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def edge_request(
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    request = urllib.request.Request(f"{EDGE_URL}{path}", data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30, context=insecure_tls()) as answer:  # noqa: S310
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


@dataclass
class LocalStack:
    """What scripts/up made: names, clients and files of the running local stack."""

    state: Path = STATE
    edge_url: str = EDGE_URL
    moto_url: str = MOTO_URL

    def client(self, service: str) -> Any:
        """A client of the local stack's moto server, with scripts/up's credentials (they
        reach nothing else)."""
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.moto_url,
            aws_access_key_id="MOTOLOCALSTACKKEYID",
            aws_secret_access_key="moto-local-stack-secret-access-key",
        )

    @cached_property
    def pool_id(self) -> str:
        pools = self.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
        return next(pool["Id"] for pool in pools if pool["Name"] == STACK)

    @cached_property
    def client_id(self) -> str:
        clients = self.client("cognito-idp").list_user_pool_clients(UserPoolId=self.pool_id, MaxResults=60)
        return clients["UserPoolClients"][0]["ClientId"]

    @cached_property
    def bucket(self) -> str:
        return next(b["Name"] for b in self.client("s3").list_buckets()["Buckets"] if "-video-" in b["Name"])

    @cached_property
    def distribution(self) -> dict[str, Any]:
        """The stack's distribution (found by its comment, as the aws_edge role finds it)."""
        items = self.client("cloudfront").list_distributions()["DistributionList"].get("Items", [])
        return next(item for item in items if item["Comment"] == f"privatecast {STACK}")

    def demo_password(self, email: str) -> str:
        return json.loads((self.state / "auth" / "demo-passwords.json").read_text())[email]

    def create_user(self, email: str, group: str, temporary_password: str) -> None:
        """A user as the aws_auth role makes one: a temporary password, must change it."""
        cognito = self.client("cognito-idp")
        cognito.admin_create_user(
            UserPoolId=self.pool_id,
            Username=email,
            TemporaryPassword=temporary_password,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:invited_email", "Value": email},
            ],
        )
        cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=group)

    def tokens(self, email: str, password: str) -> dict[str, str]:
        """Tokens by the password flow the app client allows (no browser involved)."""
        answer = self.client("cognito-idp").initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        return answer["AuthenticationResult"]

    def invocations(self) -> int:
        """How many times the edge has run a function (its invocation log, a line each)."""
        log = self.state / "edge" / "invocations.log"
        return len(log.read_text().splitlines()) if log.exists() else 0
