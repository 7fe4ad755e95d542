"""Status Lambda: GET /api/status — both servers' states, whether a stream is live (age
of the newest segment under hls/) and whether a maintenance window is open. Admins also
get the instance ids, when the window's state is unknown the reason, and the expiry of the
admin host's ACME certificate; viewers get the plain states."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import lambda_common as common
import maintenance
import stack_resources
from botocore.exceptions import ClientError

SECONDS_PER_DAY = 86400


def maintenance_status(ec2: Any, stack: str, detail: bool) -> dict[str, Any]:
    """The window's state; when it cannot be told, the reason only with detail (admins):
    it names the VPC, instances and groups, which viewers have no need to learn."""
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


def certificate_parameter() -> str:
    return common.env(
        "PRIVATECAST_CERTIFICATE_PARAMETER", f"/privatecast/{common.stack_name()}/haproxy/certificate"
    )


def certificate_status(ssm: Any, name: str, now: float) -> dict[str, Any] | None:
    """The admin host's certificate as the haproxy role records it after each ACME run
    (String parameter, JSON {"domain", "not_after"}); None when none is recorded."""
    try:
        record = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        not_after = str(record["not_after"])
        expires = datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ssm.exceptions.ParameterNotFound:
        return None
    except (ClientError, ValueError, KeyError, TypeError) as error:
        return {"domain": None, "not_after": None, "days_left": None, "detail": str(error)}
    days_left = int((expires.timestamp() - now) // SECONDS_PER_DAY)
    return {"domain": record.get("domain"), "not_after": not_after, "days_left": days_left}


def status(event: dict[str, Any]) -> dict[str, Any]:
    claims = common.require_viewer(event)
    admin = common.admin_group() in common.groups_of(claims)
    stack = common.stack_name()
    ec2 = common.client("ec2")
    servers = stack_resources.server_states(stack_resources.stack_instances(ec2, stack))
    body = {
        "servers": servers if admin else plain_servers(servers),
        "stream": live_status(common.client("s3"), common.bucket_name(), common.now()),
        "maintenance": maintenance_status(ec2, stack, detail=admin),
    }
    if admin:
        body["certificate"] = certificate_status(common.client("ssm"), certificate_parameter(), common.now())
    return common.json_response(200, body)


ROUTES = {"GET /api/status": status}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
