"""The camera's path end to end, from the controller, on loopback only.

ffmpeg pushes a test pattern with sound through HAProxy into Owncast; the HLS playlist
and segments must land in the moto bucket under hls/ as H.264/AAC; a wrong key must be
refused and write nothing; the admin must answer through HAProxy over HTTPS only from the
admin address; the player, video, public API and websocket must be denied there; Owncast
must refuse its default admin password; an `Upgrade: h2c` on an admin path must not open
a tunnel to Owncast's public side (h2c.py). Prints one line per check, exits 1 on a failure.
"""

# ruff: noqa: S603, S607  (a test driving ffmpeg, ffprobe and curl by name)
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import h2c

PUSH_SECONDS = 22


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets-dir", type=Path, required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--rtmp", required=True, help="rtmp://host:port of HAProxy")
    parser.add_argument("--https", required=True, help="https://host:port of HAProxy")
    parser.add_argument("--owncast", required=True, help="http://host:port of Owncast")
    parser.add_argument("--denied-source", default="127.0.0.5")
    return parser.parse_args()


def push(url: str, seconds: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
         "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-t", str(seconds), "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-preset", "veryfast", "-g", "60",
         "-c:a", "aac", "-b:a", "96k", "-f", "flv", url],
        capture_output=True, text=True, timeout=seconds + 30, check=False,
    )  # fmt: skip


def hls_objects(s3, bucket: str) -> dict[str, str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="hls/")
    return {obj["Key"]: obj["ETag"] for page in pages for obj in page.get("Contents", [])}


def settled_objects(s3, bucket: str) -> dict[str, str]:
    """The listing once Owncast has stopped writing (two equal listings 5 s apart)."""
    previous = hls_objects(s3, bucket)
    for _attempt in range(12):
        time.sleep(5)
        current = hls_objects(s3, bucket)
        if current == previous:
            return current
        previous = current
    return previous


def probe_codecs(s3, bucket: str, key: str) -> set[str]:
    with tempfile.NamedTemporaryFile(suffix=".ts") as segment:
        s3.download_file(bucket, key, segment.name)
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", segment.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return {stream["codec_name"] for stream in json.loads(out.stdout)["streams"]}


def http_status(url: str, *extra: str) -> int:
    out = subprocess.run(
        ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", *extra, url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return int(out.stdout or 0)


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        self.failed += not ok


def check_stream(checks: Checks, args: argparse.Namespace, s3, key: str) -> None:
    pushed = push(f"{args.rtmp}/live/{key}", PUSH_SECONDS)
    checks.check(
        f"ffmpeg pushed {PUSH_SECONDS}s through HAProxy", pushed.returncode == 0, pushed.stderr[-300:]
    )
    objects = settled_objects(s3, args.bucket)
    playlists = [k for k in objects if k.endswith(".m3u8")]
    segments = sorted(k for k in objects if k.endswith(".ts"))
    checks.check("playlist in S3 under hls/", bool(playlists), ", ".join(playlists))
    checks.check("segments in S3 under hls/", bool(segments), f"{len(segments)} segments")
    if segments:
        codecs = probe_codecs(s3, args.bucket, segments[len(segments) // 2])
        checks.check("a segment is H.264 + AAC", {"h264", "aac"} <= codecs, ", ".join(sorted(codecs)))


def check_wrong_key(checks: Checks, args: argparse.Namespace, s3) -> None:
    before = settled_objects(s3, args.bucket)
    pushed = push(f"{args.rtmp}/live/not-the-key", 5)
    checks.check("a wrong key is refused", pushed.returncode != 0)
    time.sleep(10)
    after = hls_objects(s3, args.bucket)
    checks.check(
        "a wrong key writes nothing", after == before, f"{len(set(after) - set(before))} new objects"
    )


def check_https(checks: Checks, args: argparse.Namespace, password: str) -> None:
    admin = f"{args.https}/admin/"
    auth = ("-u", f"admin:{password}")
    checks.check("admin answers from the admin address", http_status(admin, *auth) == 200)
    denied = http_status(admin, "--interface", args.denied_source, *auth)
    checks.check(f"admin denied from {args.denied_source}", denied == 403, str(denied))
    websocket = ("-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                 "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")  # fmt: skip
    for path, extra in (("/", ()), ("/hls/stream.m3u8", ()), ("/api/status", ()), ("/ws", websocket)):
        status = http_status(f"{args.https}{path}", *extra)
        checks.check(f"{path} denied through HAProxy", status == 403, str(status))


def check_upgrade(checks: Checks, args: argparse.Namespace, password: str) -> None:
    """h2c smuggling: Owncast answers `Upgrade: h2c` on any path with 101 (its router wraps
    everything in Go's h2c handler), so HAProxy must refuse the upgrade itself."""
    https = urlsplit(args.https)
    for public in ("/api/status", "/hls/stream.m3u8", "/ws", "/"):
        attempt = h2c.attempt(https.hostname or "", https.port or 443, "/admin/", public, password)
        haproxy_denials = attempt.received.count(b"Request forbidden by administrative rules")
        checks.check(
            f"Upgrade: h2c on /admin/ is refused and {public} after it gets nothing of Owncast",
            not attempt.upgraded and attempt.first_status == 403 and haproxy_denials == 2,
            f"first answer {attempt.first_status}, {len(attempt.received)} bytes back",
        )


def check_admin_password(checks: Checks, args: argparse.Namespace, password: str) -> None:
    config = f"{args.owncast}/api/admin/serverconfig"
    checks.check("Owncast refuses the default password", http_status(config, "-u", "admin:abc123") == 401)
    checks.check(
        "Owncast accepts the generated password", http_status(config, "-u", f"admin:{password}") == 200
    )


def main() -> int:
    args = parse_args()
    s3 = boto3.client("s3", endpoint_url=args.moto, region_name="us-east-1")
    key = (args.secrets_dir / "stream-key").read_text().strip()
    password = (args.secrets_dir / "admin-password").read_text().strip()
    checks = Checks()
    check_stream(checks, args, s3, key)
    check_wrong_key(checks, args, s3)
    check_https(checks, args, password)
    check_upgrade(checks, args, password)
    check_admin_password(checks, args, password)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
