"""The archiver Lambda with moto in-process and real ffmpeg HLS segments: event order,
duplicates and gaps do not change the result, reconcile rebuilds the same result, and
the VOD playlist plays in ffprobe."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.unit import lambda_support as support

SESSION = "Xy3_k-9aB"
OTHER_SESSION = "Pq7-zz_1"
SECONDS = 6

archiver = support.handler_module("archiver")
store = support.handler_module("recordings_store")


@pytest.fixture(scope="session")
def hls_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, support.HlsOutput]:
    """Two variants of one real stream, encoded once per test session."""
    root = tmp_path_factory.mktemp("owncast-hls")
    return {
        "0": support.ffmpeg_hls(root / "0", SESSION, "320x180", SECONDS),
        "1": support.ffmpeg_hls(root / "1", SESSION, "160x90", SECONDS),
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from support.aws_environment(monkeypatch)


def s3() -> Any:
    return boto3.client("s3", region_name=support.REGION)


def use_bucket(monkeypatch: pytest.MonkeyPatch, bucket: str) -> None:
    if bucket != support.BUCKET:
        s3().create_bucket(Bucket=bucket)
    monkeypatch.setenv("PRIVATECAST_BUCKET", bucket)


def deliver(bucket: str, keys: list[str]) -> None:
    """One invocation per event, as S3 invokes the function."""
    for key in keys:
        archiver.handler(support.s3_event(bucket, key))


def stream_in_order(bucket: str, outputs: dict[str, support.HlsOutput]) -> support.OwncastStandIn:
    owncast = support.OwncastStandIn(s3(), bucket, outputs)
    for _step in range(owncast.steps):
        deliver(bucket, owncast.step())
    return owncast


def stream_chaotically(
    bucket: str, outputs: dict[str, support.HlsOutput], seed: int
) -> support.OwncastStandIn:
    owncast = support.OwncastStandIn(s3(), bucket, outputs)
    delivery = support.ChaoticDelivery(seed)
    for _step in range(owncast.steps):
        deliver(bucket, delivery.after_step(owncast.step()))
    deliver(bucket, delivery.rest())
    assert delivery.held_before and delivery.duplicated, "the delivery must have gaps and duplicates"
    return owncast


def recordings_snapshot(bucket: str) -> dict[str, str]:
    """Every object under recordings/ by key: playlists as text, segments by digest."""
    snapshot = {}
    for obj in store.list_objects(s3(), bucket, "recordings/"):
        body = s3().get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        snapshot[obj["Key"]] = (
            body.decode() if obj["Key"].endswith(".m3u8") else hashlib.sha256(body).hexdigest()
        )
    return snapshot


def index_of(bucket: str) -> dict[str, Any]:
    return json.loads(s3().get_object(Bucket=bucket, Key=store.INDEX_KEY)["Body"].read())


def without_times(index: dict[str, Any]) -> dict[str, Any]:
    """The index minus wall-clock fields (two runs happen at different moments)."""
    copy = json.loads(json.dumps(index))
    for entry in copy["recordings"].values():
        for stats in entry["variants"].values():
            del stats["start"], stats["updated"]
    return copy


def test_a_stream_in_order_is_archived_with_its_owncast_durations(aws: None, hls_outputs: Any) -> None:
    owncast = stream_in_order(support.BUCKET, hls_outputs)
    assert owncast.deleted, "the stand-in must delete old segments as Owncast does"
    snapshot = recordings_snapshot(support.BUCKET)
    for variant, output in hls_outputs.items():
        playlist = snapshot[f"recordings/{SESSION}/{variant}/playlist.m3u8"]
        expected_extinf = [f"#EXTINF:{float(duration):.6f}," for duration in output.durations]
        assert [line for line in playlist.splitlines() if line.startswith("#EXTINF")] == expected_extinf
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist
        assert "#EXT-X-ENDLIST" not in playlist
        assert "#EXT-X-DISCONTINUITY" not in playlist
        archived = sorted(key for key in snapshot if key.startswith(f"recordings/{SESSION}/{variant}/0"))
        assert len(archived) == len(output.names)
        for key, name in zip(archived, output.names, strict=True):
            assert snapshot[key] == hashlib.sha256((output.directory / name).read_bytes()).hexdigest()
    entry = index_of(support.BUCKET)["recordings"][SESSION]
    assert entry["closed"] is False
    first_copy = s3().head_object(Bucket=support.BUCKET, Key=f"recordings/{SESSION}/0/00000000_1000000.ts")
    assert entry["variants"]["0"]["start"] <= first_copy["LastModified"].timestamp() - 1
    assert entry["variants"]["0"]["segments"] == len(hls_outputs["0"].names)
    total_us = sum(store.duration_to_us(d) or 0 for d in hls_outputs["0"].durations)
    assert entry["variants"]["0"]["duration_us"] == total_us
    master = snapshot[f"recordings/{SESSION}/master.m3u8"]
    assert "0/playlist.m3u8" in master and "1/playlist.m3u8" in master


@pytest.mark.parametrize("seed", [7])
def test_duplicated_shuffled_and_late_events_give_the_same_recordings(
    aws: None, hls_outputs: Any, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    stream_in_order(support.BUCKET, hls_outputs)
    calm_snapshot = recordings_snapshot(support.BUCKET)
    calm_index = index_of(support.BUCKET)

    use_bucket(monkeypatch, "chaos-bucket")
    stream_chaotically("chaos-bucket", hls_outputs, seed)
    assert recordings_snapshot("chaos-bucket") == calm_snapshot
    assert without_times(index_of("chaos-bucket")) == without_times(calm_index)


def test_reconcile_from_scratch_rebuilds_the_same_playlists_and_index(aws: None, hls_outputs: Any) -> None:
    stream_in_order(support.BUCKET, hls_outputs)
    before = recordings_snapshot(support.BUCKET)
    index_before = index_of(support.BUCKET)
    derived = [key for key in before if key.endswith(".m3u8")] + [store.INDEX_KEY]
    for key in derived:
        s3().delete_object(Bucket=support.BUCKET, Key=key)
    assert not any(key.endswith(".m3u8") for key in recordings_snapshot(support.BUCKET))

    result = archiver.handler({"action": "reconcile"})

    assert result["recordings"] == [SESSION]
    assert recordings_snapshot(support.BUCKET) == before
    assert index_of(support.BUCKET) == index_before


def test_reconcile_archives_segments_whose_events_never_came(aws: None, hls_outputs: Any) -> None:
    owncast = support.OwncastStandIn(s3(), support.BUCKET, hls_outputs, keep_extra=SECONDS)
    for _step in range(owncast.steps):
        owncast.step()
    assert not store.read_index(s3(), support.BUCKET)["recordings"]
    archiver.reconcile()
    entry = store.read_index(s3(), support.BUCKET)["recordings"][SESSION]
    # Only the segments Owncast's live playlist still lists have a known duration.
    assert entry["variants"]["0"]["segments"] == owncast.list_size


def test_a_deleted_recording_does_not_come_back_with_late_events(aws: None, hls_outputs: Any) -> None:
    owncast = support.OwncastStandIn(s3(), support.BUCKET, hls_outputs)
    deliver(support.BUCKET, owncast.step())
    assert store.delete_recording(s3(), support.BUCKET, SESSION)
    deliver(support.BUCKET, owncast.step())
    archiver.reconcile()
    assert recordings_snapshot(support.BUCKET) == {}
    assert SESSION in index_of(support.BUCKET)["deleted"]


def test_events_outside_hls_or_for_other_buckets_do_nothing(aws: None) -> None:
    assert archiver.handler(support.s3_event(support.BUCKET, "web/index.html", "hls/stream.m3u8")) == {}
    assert archiver.handler(support.s3_event("someone-else", "hls/0/stream-a-1.ts")) == {}


def test_two_sessions_are_two_recordings(aws: None, hls_outputs: Any, tmp_path: Path) -> None:
    other = {"0": support.ffmpeg_hls(tmp_path / "other", OTHER_SESSION, "160x90", 3)}
    stream_in_order(support.BUCKET, {"0": hls_outputs["0"]})
    stream_in_order(support.BUCKET, other)
    recordings = store.read_index(s3(), support.BUCKET)["recordings"]
    assert sorted(recordings) == sorted([SESSION, OTHER_SESSION])
    assert recordings[OTHER_SESSION]["variants"]["0"]["segments"] == len(other["0"].names)


def ffprobe_duration(playlist: Path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(playlist)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(result.stdout.strip())


def download(bucket: str, prefix: str, target: Path) -> None:
    for obj in store.list_objects(s3(), bucket, prefix):
        path = target / obj["Key"][len(prefix) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3().get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())


def test_the_closed_vod_playlist_plays_in_ffprobe(aws: None, hls_outputs: Any, tmp_path: Path) -> None:
    stream_in_order(support.BUCKET, hls_outputs)
    store.close_recording(s3(), support.BUCKET, SESSION)
    download(support.BUCKET, f"recordings/{SESSION}/", tmp_path)

    playlist = (tmp_path / "0" / "playlist.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    expected = sum(float(duration) for duration in hls_outputs["0"].durations)
    assert expected == pytest.approx(SECONDS, abs=0.1)
    for variant in hls_outputs:
        assert ffprobe_duration(tmp_path / variant / "playlist.m3u8") == pytest.approx(expected, abs=0.1)
    assert ffprobe_duration(tmp_path / "master.m3u8") == pytest.approx(expected, abs=0.1)


def test_a_concurrent_index_write_is_not_lost(aws: None) -> None:
    """Another invocation writes the index between this one's read and write: the
    conditional write fails (moto checks If-Match as S3 does) and the retry keeps both."""
    calls = []

    def add_first(index: dict[str, Any]) -> None:
        calls.append("first")
        if len(calls) == 1:
            store.update_index(s3(), support.BUCKET, lambda other: other["deleted"].append("from-the-other"))
        index["deleted"].append("from-this-one")

    store.update_index(s3(), support.BUCKET, lambda index: None)  # the index exists: If-Match path
    store.update_index(s3(), support.BUCKET, add_first)
    assert len(calls) == 2, "the first write must have lost the race and retried"
    assert sorted(index_of(support.BUCKET)["deleted"]) == ["from-the-other", "from-this-one"]


def test_a_concurrent_first_write_is_not_lost(aws: None) -> None:
    """Two invocations create the index at once: If-None-Match lets only one create it."""
    calls = []

    def add(index: dict[str, Any]) -> None:
        calls.append("call")
        if len(calls) == 1:
            store.update_index(s3(), support.BUCKET, lambda other: other["deleted"].append("b"))
        index["deleted"].append("a")

    store.update_index(s3(), support.BUCKET, add)
    assert len(calls) == 2
    assert sorted(index_of(support.BUCKET)["deleted"]) == ["a", "b"]
