"""Helpers for the Lambda handler tests: the zips' modules on sys.path, an in-process
moto environment the handlers' clients point at, API Gateway HTTP API (payload 2.0)
events, S3 events, and an Owncast stand-in that uploads real ffmpeg HLS output to S3 as
Owncast does (segments, then a sliding live playlist, deleting old segments)."""

from __future__ import annotations

import importlib
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from moto import mock_aws

from tests.support import lambda_zip, moto_gaps

# The handlers import their modules as top-level names from their zip. In-process they come
# from one folder holding what the role's packager puts in the zips (each function's
# modules, followed from its handler's imports), never the collection's copy: a module a
# zip would miss is missing here too. Libraries pinned for the zips (cryptography) are the
# venv's, at the same version (tests/unit/test_lambda_zips.py runs the zips themselves).
CODE_DIR = lambda_zip.code_folder()
if str(CODE_DIR) not in sys.path:
    sys.path.insert(0, str(CODE_DIR))

import lambda_common

REGION = "us-east-1"
STACK = "teststack"
BUCKET = "teststack-video"
PUBLIC_HOST = "d111111abcdef8.cloudfront.net"
DISTRIBUTION_PARAMETER = f"/privatecast/{STACK}/cloudfront/distribution"


@dataclass(frozen=True)
class MotoDistribution:
    id: str
    arn: str
    domain_name: str


def create_distribution(cloudfront: Any) -> MotoDistribution:
    """A distribution of the stack in moto (what the invalidations name)."""
    origin = {
        "Id": "bucket",
        "DomainName": f"{BUCKET}.s3.{REGION}.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": f"privatecast-{STACK}",
        "Comment": f"privatecast {STACK}",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "bucket", "ViewerProtocolPolicy": "https-only"},
    }
    created = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    return MotoDistribution(created["Id"], created["ARN"], created["DomainName"])


def tell_distribution(ssm: Any, distribution_id: str, host: str) -> None:
    """The SSM parameter aws_api's distribution entry point writes."""
    value = json.dumps({"host": host, "id": distribution_id}, sort_keys=True, separators=(",", ":"))
    ssm.put_parameter(Name=DISTRIBUTION_PARAMETER, Value=value, Type="String", Overwrite=True)


def handler_module(name: str) -> ModuleType:
    """A module of the Lambda folder, imported as the Lambda runtime imports it."""
    return importlib.import_module(name)


def aws_environment(monkeypatch: pytest.MonkeyPatch, bucket: str = BUCKET) -> Iterator[None]:
    """moto in-process with the bucket created; the handlers' cached clients are reset
    around the test so each test starts like a fresh container."""
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("PRIVATECAST_STACK", STACK)
    monkeypatch.setenv("PRIVATECAST_BUCKET", bucket)
    monkeypatch.delenv("PRIVATECAST_AWS_ENDPOINT_URL", raising=False)
    moto_gaps.apply()  # moto gap: housekeeping reads the DNS firewall (moto_gaps_dns_firewall)
    with mock_aws():
        lambda_common.reset_clients()
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
        yield
    lambda_common.reset_clients()


def claims(sub: str = "user-1", groups: list[str] | str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"sub": sub, "email": f"{sub}@example.org", "token_use": "access"}
    if groups is not None:
        value["cognito:groups"] = groups
    return value


def api_event(
    route: str,
    user_claims: dict[str, Any] | None = None,
    *,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    domain: str = "abc123.execute-api.us-east-1.amazonaws.com",
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event as API Gateway hands it to a Lambda integration."""
    method, path = route.split(" ", 1)
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    context: dict[str, Any] = {
        "domainName": domain,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
        "requestId": "request-1",
        "routeKey": route,
        "stage": "$default",
    }
    if user_claims is not None:
        context["authorizer"] = {"jwt": {"claims": user_claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"host": domain},
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if query:
        event["queryStringParameters"] = query
    return event


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def s3_event(bucket: str, *keys: str) -> dict[str, Any]:
    """An S3 notification as S3 sends it to a Lambda: keys URL-encoded with '+' for space."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/")}},
            }
            for key in keys
        ]
    }


# --- real HLS output and an Owncast stand-in ----------------------------------------------


@dataclass(frozen=True)
class HlsOutput:
    """ffmpeg's HLS output for one variant: segment names in order and their durations."""

    directory: Path
    names: list[str]
    durations: list[str]


def ffmpeg_hls(directory: Path, session: str, size: str, seconds: int) -> HlsOutput:
    """Encode a test pattern into 1-second H.264 segments named as Owncast names them."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
            "-hls_segment_filename", str(directory / f"stream-{session}-%d.ts"),
            str(directory / "stream.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    names, durations = [], []
    pending = None
    for line in (directory / "stream.m3u8").read_text().splitlines():
        if line.startswith("#EXTINF:"):
            pending = line[len("#EXTINF:") :].split(",", 1)[0]
        elif line and not line.startswith("#") and pending is not None:
            names.append(line)
            durations.append(pending)
            pending = None
    return HlsOutput(directory, names, durations)


@dataclass
class OwncastStandIn:
    """Uploads one session the way Owncast does: each segment, then the variant's live
    playlist (the last list_size segments, absolute URLs as Owncast rewrites them), and
    deletes segments that fell keep_extra behind the playlist. Returns the keys written,
    which are the S3 events the archiver would get."""

    s3: Any
    bucket: str
    variants: dict[str, HlsOutput]
    list_size: int = 3
    keep_extra: int = 1
    step_index: int = 0
    deleted: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return min(len(output.names) for output in self.variants.values())

    def step(self) -> list[str]:
        index = self.step_index
        self.step_index += 1
        written = []
        for variant, output in self.variants.items():
            prefix = f"hls/{variant}/"
            name = output.names[index]
            body = (output.directory / name).read_bytes()
            self.s3.put_object(Bucket=self.bucket, Key=prefix + name, Body=body)
            written.append(prefix + name)
            first = max(0, index + 1 - self.list_size)
            lines = [
                "#EXTM3U",
                "#EXT-X-VERSION:3",
                "#EXT-X-TARGETDURATION:2",
                f"#EXT-X-MEDIA-SEQUENCE:{first}",
            ]
            for position in range(first, index + 1):
                lines.append(f"#EXTINF:{output.durations[position]},")
                lines.append(f"https://{self.bucket}.s3.amazonaws.com/{prefix}{output.names[position]}")
            self.s3.put_object(Bucket=self.bucket, Key=prefix + "stream.m3u8", Body="\n".join(lines) + "\n")
            written.append(prefix + "stream.m3u8")
            stale = index - self.list_size - self.keep_extra
            if stale >= 0:
                self.s3.delete_object(Bucket=self.bucket, Key=prefix + output.names[stale])
                self.deleted.append(prefix + output.names[stale])
        return written


class ChaoticDelivery:
    """S3 event delivery as it can go wrong: after each Owncast step the new keys come
    shuffled, some held back to the next step (a gap, then a late event), some twice."""

    def __init__(self, seed: int) -> None:
        self.chance = random.Random(seed)  # noqa: S311 test shuffling, not crypto
        self.held: list[str] = []
        self.held_before: set[str] = set()
        self.duplicated = 0

    def after_step(self, keys: list[str]) -> list[str]:
        batch = self.held + list(keys)
        self.held = []
        delivered = []
        for key in batch:
            if key not in self.held_before and self.chance.random() < 0.3:
                self.held.append(key)
                self.held_before.add(key)
                continue
            delivered.append(key)
            if self.chance.random() < 0.3:
                delivered.append(key)
                self.duplicated += 1
        self.chance.shuffle(delivered)
        return delivered

    def rest(self) -> list[str]:
        rest, self.held = self.held, []
        return rest
