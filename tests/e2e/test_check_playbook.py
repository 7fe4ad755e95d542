"""playbooks/check.yml, the smoke test a user runs after deploying, against the local
stack: every hop passes with the stream key the owncast role keeps, and a wrong key stops
it at Owncast, naming that hop. Both runs print the table of every hop and never the key
or the password."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.local_stack import REPO_ROOT, LocalStack

VIEWER = "viewer@example.com"
HOPS = [
    "servers running",
    "proxy port open",
    "admin certificate",
    "Owncast receiving",
    "segment in S3",
    "archiver recording",
    "sign-in and cookies",
    "distribution serves",
    "API status live",
    "push finished",
]
# scripts/up's credentials for the local stack's moto server: they reach nothing else.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "MOTOLOCALSTACKKEYID",
    "AWS_SECRET_ACCESS_KEY": "moto-local-stack-secret-access-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# A row of the table, as the debug task prints it: '%-22s %-5s %8s  %s' in a JSON string.
ROW = re.compile(
    r'^\s*"(?P<hop>.{22}) (?P<result>pass |FAIL |-    )\s*(?P<seconds>[0-9.]*)  (?P<detail>.*)",?$'
)


def run_check(
    local_stack: LocalStack, tmp_path: Path, *extra: str
) -> tuple[subprocess.CompletedProcess, float]:
    user = tmp_path / "check-user.json"
    user.write_text(json.dumps({"check_user": VIEWER, "check_password": local_stack.demo_password(VIEWER)}))
    user.chmod(0o600)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= MOTO_ENV | {"PRIVATECAST_LOCAL_STATE": str(local_stack.state), "ANSIBLE_NOCOLOR": "1"}
    command = ["ansible-playbook", "-i", "inventory/local", "playbooks/check.yml", "-e", f"@{user}", *extra]
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return done, time.monotonic() - started


def table(output: str) -> dict[str, dict[str, str]]:
    """The rows of the table check.yml prints, by hop."""
    rows = {}
    for line in output.splitlines():
        if match := ROW.match(line):
            rows[match["hop"].strip()] = {key: match[key].strip() for key in ("result", "seconds", "detail")}
    return rows


def secrets(local_stack: LocalStack) -> list[str]:
    owncast = local_stack.state / "owncast"
    return [
        (owncast / "stream-key").read_text().strip(),
        (owncast / "admin-password").read_text().strip(),
        local_stack.demo_password(VIEWER),
    ]


def assert_no_secret(output: str, local_stack: LocalStack) -> None:
    for secret in secrets(local_stack):
        assert secret not in output, "check.yml printed a secret (stream key, admin or user password)"


@pytest.fixture(scope="module")
def passing_run(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, float]:
    done, seconds = run_check(local_stack, tmp_path_factory.mktemp("check"))
    assert done.returncode == 0, f"check.yml failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return done.stdout + done.stderr, seconds


def test_check_passes_every_hop_on_the_local_stack(
    passing_run: tuple[str, float], local_stack: LocalStack
) -> None:
    output, seconds = passing_run
    rows = table(output)
    assert list(rows) == HOPS, output[-4000:]
    assert all(row["result"] == "pass" for row in rows.values()), rows
    assert all(float(row["seconds"]) >= 0 for row in rows.values()), rows
    assert "127.0.0.1:1935 accepts connections" in rows["proxy port open"]["detail"]
    assert "days left" in rows["admin certificate"]["detail"]
    assert re.search(r"s3://local-video-\d+/hls/\w+/stream-[\w-]+-\d+\.ts", rows["segment in S3"]["detail"])
    assert "403 without cookies, 200 with" in rows["distribution serves"]["detail"]
    assert rows["API status live"]["detail"].startswith("live")
    assert_no_secret(output, local_stack)
    timings = ", ".join(f"{hop} {row['seconds']}" for hop, row in rows.items())
    print(f"check.yml passed in {seconds:.0f} s: {timings}")


def test_check_with_a_wrong_stream_key_names_the_owncast_hop(
    passing_run: tuple[str, float], local_stack: LocalStack, tmp_path: Path
) -> None:
    done, seconds = run_check(
        local_stack, tmp_path, "-e", "check_stream_key=not-the-stream-key", "-e", "check_attempts=10"
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    rows = table(output)
    assert list(rows) == HOPS, output[-4000:]
    assert [row["result"] for row in rows.values()] == ["pass"] * 3 + ["FAIL"] + ["-"] * 6, rows
    assert "Broken hop: Owncast receiving" in output
    assert "did not report the stream online" in rows["Owncast receiving"]["detail"]
    assert_no_secret(output, local_stack)
    print(f"check.yml with a wrong key failed in {seconds:.0f} s: {rows['Owncast receiving']['detail']}")
