"""Status Lambda: GET /api/status — both servers' states, whether a stream is live (age
of the newest segment under hls/) and whether a maintenance window is open."""

from __future__ import annotations

from typing import Any

import lambda_common as common
import maintenance


def maintenance_status(ec2: Any, stack: str) -> dict[str, Any]:
    try:
        state = maintenance.describe_window(ec2, stack)
    except maintenance.MaintenanceError as error:
        return {"status": "unknown", "opened_at": None, "detail": str(error)}
    return {"status": state.status, "opened_at": state.opened_at}


def live_status(s3: Any, bucket: str, now: float) -> dict[str, Any]:
    newest = common.newest_segment_time(s3, bucket)
    age = None if newest is None else max(0.0, now - newest)
    threshold = common.env_seconds("PRIVATECAST_LIVE_MAX_AGE_SECONDS", 30)
    return {"live": age is not None and age <= threshold, "newest_segment_age_seconds": age}


def status(event: dict[str, Any]) -> dict[str, Any]:
    common.require_viewer(event)
    stack = common.stack_name()
    ec2 = common.client("ec2")
    body = {
        "servers": common.server_states(common.stack_instances(ec2, stack)),
        "stream": live_status(common.client("s3"), common.bucket_name(), common.now()),
        "maintenance": maintenance_status(ec2, stack),
    }
    return common.json_response(200, body)


ROUTES = {"GET /api/status": status}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
