"""Status Lambda: GET /api/status — both servers' states, whether a stream is live (age
of the newest segment under hls/) and whether a maintenance window is open. Admins also
get the instance ids and, when the window's state is unknown, the reason; viewers get
the plain states."""

from __future__ import annotations

from typing import Any

import lambda_common as common


def maintenance_status(ec2: Any, stack: str, detail: bool) -> dict[str, Any]:
    """The window's state; when it cannot be told, the reason only with detail (admins):
    it names the VPC, instances and groups, which viewers have no need to learn."""
    maintenance = common.shared_module("maintenance")
    try:
        state = maintenance.describe_window(ec2, stack)
    except maintenance.MaintenanceError as error:
        unknown: dict[str, Any] = {"status": "unknown", "opened_at": None}
        return {**unknown, "detail": str(error)} if detail else unknown
    return {"status": state.status, "opened_at": state.opened_at}


def plain_servers(servers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The servers as viewers see them: states without instance ids."""
    return {role: {**server, "instance_id": None} for role, server in servers.items()}


def live_status(s3: Any, bucket: str, now: float) -> dict[str, Any]:
    newest = common.newest_segment_time(s3, bucket)
    age = None if newest is None else max(0.0, now - newest)
    threshold = common.env_seconds("PRIVATECAST_LIVE_MAX_AGE_SECONDS", 30)
    return {"live": age is not None and age <= threshold, "newest_segment_age_seconds": age}


def status(event: dict[str, Any]) -> dict[str, Any]:
    claims = common.require_viewer(event)
    admin = common.admin_group() in common.groups_of(claims)
    stack = common.stack_name()
    ec2 = common.client("ec2")
    servers = common.server_states(common.stack_instances(ec2, stack))
    body = {
        "servers": servers if admin else plain_servers(servers),
        "stream": live_status(common.client("s3"), common.bucket_name(), common.now()),
        "maintenance": maintenance_status(ec2, stack, detail=admin),
    }
    return common.json_response(200, body)


ROUTES = {"GET /api/status": status}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
