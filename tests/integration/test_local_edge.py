"""The local edge (tools/local_edge) in front of a stack that playbooks/provision.yml
deployed to a moto server: the page from web/, the API behind the JWT authorizer with the
real handlers, the video behind signed cookies from POST /api/session, and an S3 PutObject
under hls/ reaching the archiver through the notification path.

moto gap (tests/support/moto_gaps_lambda_events.py): moto cannot invoke Lambda without
Docker, so the test's moto server posts S3 events to the edge's event listener.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import FAKE_CREDENTIALS, REPO_ROOT
from tests.support.moto_gaps_lambda_events import EVENTS_URL_VARIABLE
from tests.support.moto_server import MotoServer, free_loopback_port
from tests.support.playbook import PlaybookRunner

pytestmark = pytest.mark.integration

STACK = "local"
PAGE = b"<!doctype html><title>privatecast test page</title>"
SEGMENT = b"\x47" * 188 * 4  # four MPEG-TS packets
PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\nstream-s1-0.ts\n"


@dataclass
class LocalEdge:
    url: str
    moto: MotoServer
    state: Path
    certificate: Path
    process: subprocess.Popen

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, verify=str(self.certificate), timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, verify=str(self.certificate), timeout=30, **kwargs)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the edge exited:\n{log.read_text()[-3000:]}")
        if "LOCAL EDGE" in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the edge did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEdge]:
    state = tmp_path_factory.mktemp("local-stack")
    port, events_port = free_loopback_port(), free_loopback_port()
    env = {
        **os.environ,
        **FAKE_CREDENTIALS,
        EVENTS_URL_VARIABLE: f"http://127.0.0.1:{events_port}/lambda-events",
    }
    moto = MotoServer.start(env=env)
    process = None
    try:
        # Waiting for the distribution is moto's no-op; skipping it keeps the test short.
        runner = PlaybookRunner(
            repo_root=REPO_ROOT, endpoint_url=moto.url, state_dir=state, extra_env=dict(FAKE_CREDENTIALS)
        )
        result = runner.run("provision.yml", {"aws_edge_wait": False})
        assert result.returncode == 0, (
            f"provisioning failed:\n{json.dumps(result.output)[-3000:]}\n{result.stderr[-2000:]}"
        )
        log = state / "edge.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "tools.local_edge", "serve", "--endpoint", moto.url, "--stack", STACK,
                 "--state", str(state), "--port", str(port), "--events-port", str(events_port)],
                cwd=REPO_ROOT, env={**os.environ, **FAKE_CREDENTIALS},
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for_port(port, process, log)
        yield LocalEdge(
            f"https://127.0.0.1:{port}", moto, state, state / "edge" / "tls" / "cert.pem", process
        )
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        moto.stop()


def bucket(edge: LocalEdge) -> str:
    names = [item["Name"] for item in edge.moto.client("s3").list_buckets()["Buckets"]]
    (name,) = [name for name in names if name.startswith(f"{STACK}-video-")]
    return name


def id_token(edge: LocalEdge, email: str) -> str:
    """A real token from moto's Cognito for a demo user, after scripts/up's password step."""
    subprocess.run(
        [sys.executable, "-m", "tools.local_edge", "demo-users", "--endpoint", edge.moto.url,
         "--stack", STACK, "--state", str(edge.state)],
        cwd=REPO_ROOT, env={**os.environ, **FAKE_CREDENTIALS}, check=True, capture_output=True,
    )  # fmt: skip
    passwords = json.loads((edge.state / "auth" / "demo-passwords.json").read_text())
    assert oct((edge.state / "auth" / "demo-passwords.json").stat().st_mode)[-3:] == "600"
    cognito = edge.moto.client("cognito-idp")
    (pool,) = [
        pool["Id"] for pool in cognito.list_user_pools(MaxResults=10)["UserPools"] if pool["Name"] == STACK
    ]
    (client,) = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=10)["UserPoolClients"]
    answer = cognito.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": passwords[email]},
    )
    return answer["AuthenticationResult"]["IdToken"]


def test_the_page_comes_from_web_with_the_security_headers(edge: LocalEdge) -> None:
    edge.moto.client("s3").put_object(
        Bucket=bucket(edge), Key="web/index.html", Body=PAGE, ContentType="text/html"
    )
    page = edge.get("/")
    assert page.status_code == 200 and page.content == PAGE
    assert page.headers["Content-Type"] == "text/html"
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert edge.get("/missing.html").status_code == 403  # S3 behind OAC without ListBucket
    assert edge.post("/").status_code == 403  # the default behaviour allows GET and HEAD


def test_the_api_refuses_bad_tokens_before_any_handler_runs(edge: LocalEdge) -> None:
    status_code_dir = edge.state / "edge" / "functions" / f"{STACK}-status"
    good = id_token(edge, "viewer@example.com")
    header, payload, signature = good.split(".")
    forged_claims = {**json.loads(_b64decode(payload)), "cognito:groups": ["admins"]}
    forged = ".".join([header, _b64encode(json.dumps(forged_claims).encode()), signature])
    for headers in ({}, {"Authorization": "Bearer " + forged}, {"Authorization": "Bearer not.a.token"}):
        refused = edge.get("/api/status", headers=headers)
        assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized"}
    assert not status_code_dir.exists(), "a handler ran for a refused request"
    assert edge.get("/api/nothing", headers={"Authorization": good}).json() == {"message": "Not Found"}

    status = edge.get("/api/status", headers={"Authorization": f"Bearer {good}"})
    assert status.status_code == 200, status.text
    assert set(status.json()) == {"servers", "stream", "maintenance"}  # the real status handler ran
    assert status_code_dir.exists()


def test_video_needs_the_cookies_from_the_session(edge: LocalEdge) -> None:
    s3 = edge.moto.client("s3")
    s3.put_object(Bucket=bucket(edge), Key="hls/0/x.ts", Body=SEGMENT, ContentType="video/mp2t")
    assert edge.get("/hls/0/x.ts").status_code == 403
    session = edge.post("/api/session", headers={"Authorization": id_token(edge, "viewer@example.com")})
    assert session.status_code == 200, session.text
    cookies = session.cookies
    assert {cookie.path for cookie in cookies} == {"/hls/", "/recordings/"}
    segment = edge.get("/hls/0/x.ts", cookies=cookies)
    assert segment.status_code == 200 and segment.content == SEGMENT
    ranged = edge.get("/hls/0/x.ts", cookies=cookies, headers={"Range": "bytes=0-187"})
    assert ranged.status_code == 206 and ranged.content == SEGMENT[:188]
    assert ranged.headers["Content-Range"] == f"bytes 0-187/{len(SEGMENT)}"
    again = edge.get("/hls/0/x.ts", cookies=cookies, headers={"If-None-Match": segment.headers["ETag"]})
    assert again.status_code == 304


def test_a_new_segment_reaches_the_archiver_through_the_s3_notification(edge: LocalEdge) -> None:
    s3, name = edge.moto.client("s3"), bucket(edge)
    s3.put_object(Bucket=name, Key="hls/0/stream-s1-0.ts", Body=SEGMENT, ContentType="video/mp2t")
    s3.put_object(
        Bucket=name, Key="hls/0/stream.m3u8", Body=PLAYLIST.encode(), ContentType="application/x-mpegURL"
    )
    deadline = time.monotonic() + 60
    archived: list[str] = []
    while time.monotonic() < deadline and not archived:
        contents = s3.list_objects_v2(Bucket=name, Prefix="recordings/s1/").get("Contents", [])
        archived = [item["Key"] for item in contents if item["Key"].endswith(".ts")]
        time.sleep(0.5)
    log = edge.state / "edge" / "logs" / f"{STACK}-archiver.log"
    assert archived, (
        f"the archiver did not archive the segment; its log:\n{log.read_text() if log.exists() else '-'}"
    )
    assert archived[0].startswith("recordings/s1/0/")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
