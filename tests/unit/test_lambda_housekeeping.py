"""The housekeeping Lambda against moto in-process: idle servers are stopped (and busy or
stopped ones left alone), a stale maintenance window is closed (a fresh one is left
open), and idle recordings get their playlists closed."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import maintenance
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends

from tests.unit import lambda_support as support
from tests.unit.maintenance_stack import StackIds, build_stack

housekeeping = support.handler_module("housekeeping")
lambda_common = support.handler_module("lambda_common")
store = support.handler_module("recordings_store")

IDLE = 1800


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from support.aws_environment(monkeypatch)


@pytest.fixture
def stack(aws: None) -> StackIds:
    return build_stack(ec2(), support.STACK)


def ec2() -> Any:
    return boto3.client("ec2", region_name=support.REGION)


def s3() -> Any:
    return boto3.client("s3", region_name=support.REGION)


def clock_at(monkeypatch: pytest.MonkeyPatch, seconds_from_now: float) -> None:
    moment = time.time() + seconds_from_now
    monkeypatch.setattr(lambda_common, "now", lambda: moment)


def states(stack: StackIds) -> set[str]:
    ids = [stack.proxy_instance_id, stack.owncast_instance_id]
    reservations = ec2().describe_instances(InstanceIds=ids)["Reservations"]
    return {
        instance["State"]["Name"] for reservation in reservations for instance in reservation["Instances"]
    }


def upload_segment() -> None:
    s3().put_object(Bucket=support.BUCKET, Key="hls/0/stream-abc-7.ts", Body=b"ts")


def launched_ago(stack: StackIds, seconds: float) -> None:
    """moto stamps LaunchTime at run_instances and never moves it; set it in moto's
    backend (a test-side stand-in for 'the servers were started that long ago')."""
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][support.REGION]
    for instance_id in (stack.proxy_instance_id, stack.owncast_instance_id):
        backend.get_instance(instance_id).launch_time = utcnow() - datetime.timedelta(seconds=seconds)


def test_idle_running_servers_are_stopped(stack: StackIds) -> None:
    launched_ago(stack, IDLE + 60)
    report = housekeeping.handler({})
    assert sorted(report["servers"]["stopped"]) == sorted(
        [stack.proxy_instance_id, stack.owncast_instance_id]
    )
    assert states(stack) <= {"stopping", "stopped"}


def test_idle_after_the_last_segment_stops_the_servers(
    stack: StackIds, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched_ago(stack, 2 * IDLE)
    upload_segment()
    clock_at(monkeypatch, IDLE + 60)
    assert housekeeping.handler({})["servers"]["stopped"]
    assert states(stack) <= {"stopping", "stopped"}


def test_a_recent_segment_keeps_the_servers_running(stack: StackIds) -> None:
    launched_ago(stack, 2 * IDLE)
    upload_segment()
    report = housekeeping.handler({})
    assert report["servers"]["stopped"] == []
    assert states(stack) == {"running"}


def test_servers_just_started_without_any_segment_are_not_idle(stack: StackIds) -> None:
    launched_ago(stack, 300)
    assert housekeeping.handler({})["servers"]["stopped"] == []
    assert states(stack) == {"running"}


def test_stopped_servers_are_left_alone(stack: StackIds, monkeypatch: pytest.MonkeyPatch) -> None:
    ec2().stop_instances(InstanceIds=[stack.proxy_instance_id, stack.owncast_instance_id])
    clock_at(monkeypatch, IDLE + 60)
    report = housekeeping.handler({})
    assert report["servers"] == {"stopped": [], "reason": "servers are not running"}


def open_window(opened_at: datetime.datetime) -> None:
    state = maintenance.describe_window(ec2(), support.STACK)
    stamp = opened_at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    maintenance.apply_plan(ec2(), maintenance.plan_open(state, ["203.0.113.7/32"], opened_at=stamp))
    assert maintenance.describe_window(ec2(), support.STACK).status == maintenance.STATUS_OPEN


def test_a_window_open_too_long_is_closed(stack: StackIds) -> None:
    open_window(datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2, minutes=5))
    report = housekeeping.handler({})
    assert report["maintenance"]["closed"] is True
    assert maintenance.describe_window(ec2(), support.STACK).status == maintenance.STATUS_CLOSED


def test_a_fresh_window_is_left_open(stack: StackIds) -> None:
    open_window(datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20))
    report = housekeeping.handler({})
    assert report["maintenance"]["closed"] is False
    assert maintenance.describe_window(ec2(), support.STACK).status == maintenance.STATUS_OPEN


def archive_one_segment(recording: str) -> None:
    key = f"recordings/{recording}/0/{store.archived_name(0, 2_000_000)}"
    s3().put_object(Bucket=support.BUCKET, Key=key, Body=b"ts")
    store.refresh_recording(s3(), support.BUCKET, recording, "0")


def playlist(recording: str) -> str:
    key = f"recordings/{recording}/0/{store.VARIANT_PLAYLIST}"
    return s3().get_object(Bucket=support.BUCKET, Key=key)["Body"].read().decode()


def test_idle_recordings_are_closed_and_live_ones_stay_open(
    stack: StackIds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVATECAST_RECORDING_CLOSE_AFTER_SECONDS", "300")
    archive_one_segment("rec")
    clock_at(monkeypatch, 200)
    assert housekeeping.handler({})["recordings"]["closed"] == []
    assert "#EXT-X-ENDLIST" not in playlist("rec")
    clock_at(monkeypatch, 400)
    assert housekeeping.handler({})["recordings"]["closed"] == ["rec"]
    assert playlist("rec").rstrip().endswith("#EXT-X-ENDLIST")
    assert store.read_index(s3(), support.BUCKET)["recordings"]["rec"]["closed"] is True


def test_one_failing_chore_does_not_stop_the_others(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    archive_one_segment("rec")
    clock_at(monkeypatch, 400)
    with pytest.raises(RuntimeError, match="maintenance"):
        housekeeping.handler({})  # no stack at all: the maintenance chore fails
    assert store.read_index(s3(), support.BUCKET)["recordings"]["rec"]["closed"] is True
