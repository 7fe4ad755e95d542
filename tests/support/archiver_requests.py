"""What one archiver event costs in S3 requests, for tests/unit/test_lambda_archiver_cost.py
and scripts/bench-recordings: a recording with a given number of archived segments, then
Owncast's next segment and live playlist, each delivered as its S3 event while a botocore
hook on the handler's client records every API call (each page of a listing is one).

The archiver's modules are passed in (store: recordings_store, handler: archiver.handler),
so the benchmark can measure another checkout's code with the same steps; only names both
the old and the new recordings_store have are used."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

SEGMENT_US = 2_000_000
SEGMENT_BODY = b"\x47" + b"\xff" * 187  # one TS packet: the body does not change the cost
LIVE_WINDOW = 3  # segments Owncast's live playlist lists, as the tests' stand-in does


@dataclass
class RequestLog:
    """Every S3 API call a client makes while attached (botocore's before-call and
    after-call events: one per call, retries included in its time), with its duration."""

    calls: list[tuple[str, float]] = field(default_factory=list)
    started: float = 0.0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.s3", self.begin)
        client.meta.events.register("after-call.s3", self.end)

    def begin(self, **_kwargs: Any) -> None:
        self.started = time.perf_counter()

    def end(self, model: Any = None, **_kwargs: Any) -> None:
        self.calls.append((model.name, time.perf_counter() - self.started))

    def take(self) -> list[tuple[str, float]]:
        taken, self.calls = self.calls, []
        return taken


@dataclass(frozen=True)
class EventCost:
    kind: str  # "segment" (Owncast's new .ts) or "playlist" (its stream.m3u8 naming it)
    calls: tuple[str, ...]
    seconds: float
    list_seconds: float  # of which in ListObjectsV2 calls


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}
    record["s3"] = {"bucket": {"name": bucket}, "object": {"key": quote_plus(key)}}
    return {"Records": [record]}


def seed_recording(
    s3: Any, store: ModuleType, bucket: str, session: str, *, count: int, first: int = 0
) -> None:
    """Archived segments first..count-1 of variant 0 of a recording (as the archiver names its copies),
    then its playlist and index entry rebuilt by the store from a full listing."""
    for sequence in range(first, count):
        key = store.variant_prefix(session, "0") + store.archived_name(sequence, SEGMENT_US)
        s3.put_object(Bucket=bucket, Key=key, Body=SEGMENT_BODY)
    store.refresh_recording(s3, bucket, session, "0")


def live_playlist(bucket: str, variant: str, session: str, newest: int) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2"]
    first = max(0, newest + 1 - LIVE_WINDOW)
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    for sequence in range(first, newest + 1):
        lines.append(f"#EXTINF:{SEGMENT_US / 1_000_000:.6f},")
        lines.append(f"https://{bucket}.s3.amazonaws.com/hls/{variant}/stream-{session}-{sequence}.ts")
    return "\n".join(lines) + "\n"


def timed(log: RequestLog, kind: str, run: Callable[[], Any]) -> EventCost:
    log.take()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    calls = log.take()
    listing = sum(duration for name, duration in calls if name == "ListObjectsV2")
    return EventCost(kind, tuple(call[0] for call in calls), seconds, listing)


def next_segment_events(
    s3: Any,
    handler: Callable[[dict[str, Any]], Any],
    log: RequestLog,
    *,
    bucket: str,
    session: str,
    sequence: int,
) -> list[EventCost]:
    """Owncast uploads segment `sequence` (event 1), then its live playlist naming it
    (event 2), and deletes the segment that fell out of its window, as the stand-in does."""
    variant = "0"
    segment_key = f"hls/{variant}/stream-{session}-{sequence}.ts"
    s3.put_object(Bucket=bucket, Key=segment_key, Body=SEGMENT_BODY)
    costs = [timed(log, "segment", lambda: handler(s3_event(bucket, segment_key)))]
    playlist_key = f"hls/{variant}/stream.m3u8"
    s3.put_object(Bucket=bucket, Key=playlist_key, Body=live_playlist(bucket, variant, session, sequence))
    costs.append(timed(log, "playlist", lambda: handler(s3_event(bucket, playlist_key))))
    stale = sequence - LIVE_WINDOW - 1
    if stale >= 0:
        s3.delete_object(Bucket=bucket, Key=f"hls/{variant}/stream-{session}-{stale}.ts")
    return costs


def prime_window(s3: Any, bucket: str, session: str, newest: int) -> None:
    """Owncast's folder as it is while segment `newest` is the last one it published: the
    window's segments are in hls/ (already archived by then)."""
    for sequence in range(max(0, newest + 1 - LIVE_WINDOW), newest + 1):
        key = f"hls/0/stream-{session}-{sequence}.ts"
        s3.put_object(Bucket=bucket, Key=key, Body=SEGMENT_BODY)
    s3.put_object(Bucket=bucket, Key="hls/0/stream.m3u8", Body=live_playlist(bucket, "0", session, newest))
