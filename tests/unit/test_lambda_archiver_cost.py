"""The archiver's S3 requests per event do not grow with the recording: the same calls,
in the same order, for a recording of 10 archived segments and one of 1,000 (moto
in-process, requests counted by a botocore hook on the handler's own client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support import archiver_requests as cost
from tests.unit import lambda_support as support

archiver = support.handler_module("archiver")
store = support.handler_module("recordings_store")
common = support.handler_module("lambda_common")
SESSION = "cost-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from support.aws_environment(monkeypatch)


def s3() -> Any:
    return boto3.client("s3", region_name=support.REGION)


def events_after(
    archived: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[cost.EventCost], dict[str, Any]]:
    """Two new segments (four events) after a recording of `archived` segments, in a
    bucket of its own; also the index entry of the variant afterwards."""
    bucket = f"cost-{archived}"
    s3().create_bucket(Bucket=bucket)
    monkeypatch.setenv("PRIVATECAST_BUCKET", bucket)
    cost.seed_recording(s3(), store, bucket, SESSION, count=archived)
    cost.prime_window(s3(), bucket, SESSION, archived - 1)
    log = cost.RequestLog()
    log.attach(common.client("s3"))
    handler = archiver.handler
    costs = []
    for sequence in (archived, archived + 1):
        costs += cost.next_segment_events(
            common.client("s3"), handler, log, bucket=bucket, session=SESSION, sequence=sequence
        )
    return costs, store.read_index(s3(), bucket)["recordings"][SESSION]["variants"]["0"]


def test_requests_per_event_do_not_grow_with_the_recording(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    short, short_entry = events_after(10, monkeypatch)
    long, long_entry = events_after(1000, monkeypatch)

    assert [event.calls for event in short] == [event.calls for event in long]
    assert short_entry["segments"] == 12 and long_entry["segments"] == 1002
    playlist_key = store.variant_prefix(SESSION, "0") + store.VARIANT_PLAYLIST
    playlist = s3().get_object(Bucket="cost-1000", Key=playlist_key)["Body"].read().decode()
    assert playlist.count("#EXTINF") == 1002
    # The playlist event copies its segment; listings stay one page each.
    copying = long[1].calls
    assert copying.count("CopyObject") == 1
    assert copying.count("ListObjectsV2") == 3  # hls/, the window's copies, the playlist's tail
