"""The archiver's S3 requests per event do not grow with the recording: the same calls,
in the same order, for a recording of 10 archived segments and one of 1,000 (moto
in-process, requests counted by a botocore hook on the handler's own client)."""

from __future__ import annotations

import time
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


def playlist_and_entry(bucket: str) -> tuple[str, dict[str, Any]]:
    key = store.variant_prefix(SESSION, "0") + store.VARIANT_PLAYLIST
    body = s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return body, store.read_index(s3(), bucket)["recordings"][SESSION]


def stream_events(bucket: str, sequences: range) -> None:
    log = cost.RequestLog()
    for sequence in sequences:
        cost.next_segment_events(
            common.client("s3"), archiver.handler, log, bucket=bucket, session=SESSION, sequence=sequence
        )


def test_events_keep_the_playlist_and_index_reconcile_would_build(aws: None) -> None:
    """The playlist's state (aggregate, tail folded past STATE_TAIL_MAX) gives exactly
    what a full listing gives, also after the newest segment was copied again (a later
    copy time, as two concurrent invocations can make) and only a duplicate event came."""
    cost.seed_recording(s3(), store, support.BUCKET, SESSION, count=100)
    cost.prime_window(s3(), support.BUCKET, SESSION, 99)
    stream_events(support.BUCKET, range(100, 103))
    time.sleep(1.1)  # a later copy time, in whole seconds as S3 gives it
    recopied = store.variant_prefix(SESSION, "0") + store.archived_name(102, cost.SEGMENT_US)
    s3().copy_object(
        Bucket=support.BUCKET,
        Key=recopied,
        CopySource={"Bucket": support.BUCKET, "Key": recopied},
        MetadataDirective="REPLACE",
        ContentType="video/mp2t",
    )
    archiver.handler(cost.s3_event(support.BUCKET, "hls/0/stream.m3u8"))
    incremental = playlist_and_entry(support.BUCKET)
    assert incremental[1]["variants"]["0"]["segments"] == 103

    store.reconcile(s3(), support.BUCKET, close_after=3600)
    assert playlist_and_entry(support.BUCKET) == incremental


def test_a_playlist_without_state_is_listed_whole_once(aws: None) -> None:
    """A recording archived before the playlist carried its state: the first event lists
    the whole variant and writes the state, the next ones list from the window on."""
    cost.seed_recording(s3(), store, support.BUCKET, SESSION, count=60)
    key = store.variant_prefix(SESSION, "0") + store.VARIANT_PLAYLIST
    body = s3().get_object(Bucket=support.BUCKET, Key=key)["Body"].read()
    s3().put_object(Bucket=support.BUCKET, Key=key, Body=body, ContentType=store.PLAYLIST_TYPE)
    cost.prime_window(s3(), support.BUCKET, SESSION, 59)
    listings: list[str | None] = []

    def record(params: dict[str, Any], **_kwargs: Any) -> None:
        if params["Prefix"].startswith(store.RECORDINGS_PREFIX):
            listings.append(params.get("StartAfter"))

    common.client("s3").meta.events.register("before-parameter-build.s3.ListObjectsV2", record)
    stream_events(support.BUCKET, range(60, 61))
    assert None in listings, "the first refresh must list the whole variant"
    state = s3().get_object(Bucket=support.BUCKET, Key=key)["Metadata"]
    assert store.PLAYLIST_STATE_KEY in state
    listings.clear()
    stream_events(support.BUCKET, range(61, 63))
    assert listings and None not in listings
    assert playlist_and_entry(support.BUCKET)[1]["variants"]["0"]["segments"] == 63


def test_a_concurrent_playlist_write_is_not_lost(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """This invocation copied segment 49 and renders the playlist from its tail while
    another copies segment 50 and writes the playlist: this one's If-Match write fails
    and its retry keeps both."""
    cost.seed_recording(s3(), store, support.BUCKET, SESSION, count=49)
    cost.prime_window(s3(), support.BUCKET, SESSION, 49)
    listing = store.list_archived
    raced = []

    def archive(sequence: int) -> None:
        target = store.variant_prefix(SESSION, "0") + store.archived_name(sequence, cost.SEGMENT_US)
        s3().put_object(Bucket=support.BUCKET, Key=target, Body=cost.SEGMENT_BODY)

    def racing_listing(*args: Any, **kwargs: Any) -> list[Any]:
        found = listing(*args, **kwargs)
        if args[4:] and not raced:  # this invocation's refresh, listing from its window
            raced.append(True)
            archive(50)
            store.refresh_recording(s3(), support.BUCKET, SESSION, "0", 48)
        return found

    archive(49)
    monkeypatch.setattr(store, "list_archived", racing_listing)
    store.refresh_recording(s3(), support.BUCKET, SESSION, "0", 47)
    assert raced
    body, entry = playlist_and_entry(support.BUCKET)
    assert body.count("#EXTINF") == 51 and entry["variants"]["0"]["segments"] == 51
