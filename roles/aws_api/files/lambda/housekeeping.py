"""Housekeeping Lambda (EventBridge schedule): stops the servers when nothing was streamed
for PRIVATECAST_IDLE_STOP_SECONDS, closes a maintenance window open longer than
PRIVATECAST_MAINTENANCE_MAX_OPEN_SECONDS (the maintenance_window module's own logic),
and closes the playlists of recordings idle past PRIVATECAST_RECORDING_CLOSE_AFTER_SECONDS."""

from __future__ import annotations

import logging
from typing import Any

import lambda_common as common
import maintenance
import recordings_store as store
import stack_resources

LOGGER = logging.getLogger(__name__)


def stop_idle_servers(ec2: Any, s3: Any, now: float) -> dict[str, Any]:
    """Idle = no segment and no server start within the idle time (a server just
    started has had no chance to stream yet)."""
    instances = stack_resources.stack_instances(ec2, common.stack_name())
    # Only running servers can be stopped; a pending one was just started, so is not idle.
    active = {role: i for role, i in instances.items() if i["State"]["Name"] == "running"}
    if not active:
        return {"stopped": [], "reason": "servers are not running"}
    newest = common.newest_segment_time(s3, common.bucket_name()) or 0.0
    last_activity = max([newest, *(common.launched_at(i) for i in active.values())])
    idle_for = now - last_activity
    if idle_for < common.env_seconds("PRIVATECAST_IDLE_STOP_SECONDS", 1800):
        return {"stopped": [], "reason": f"active {idle_for:.0f}s ago"}
    ids = sorted(instance["InstanceId"] for instance in active.values())
    ec2.stop_instances(InstanceIds=ids)
    return {"stopped": ids, "reason": f"idle for {idle_for:.0f}s"}


def close_stale_maintenance(ec2: Any, resolver: Any) -> dict[str, Any]:
    state = maintenance.describe_window(ec2, common.stack_name(), resolver=resolver)
    if state.status == maintenance.STATUS_CLOSED:
        return {"closed": False, "reason": "no window is open"}
    age = maintenance.window_age_seconds(state)
    limit = common.env_seconds("PRIVATECAST_MAINTENANCE_MAX_OPEN_SECONDS", 7200)
    if age is not None and age < limit:
        return {"closed": False, "reason": f"open for {age:.0f}s"}
    # No opening time on a window that is not closed: leftovers of an interrupted run.
    plan = maintenance.plan_close(state)
    result = maintenance.apply_plan(ec2, plan, resolver)
    reason = "open too long" if age is not None else "age unknown"
    return {"closed": True, "reason": reason, "done": result.done}


def handler(_event: dict[str, Any] | None = None, _context: Any = None) -> dict[str, Any]:
    ec2 = common.client("ec2")
    s3 = common.client("s3")
    now = common.now()
    close_after = common.env_seconds("PRIVATECAST_RECORDING_CLOSE_AFTER_SECONDS", 300)
    tasks = {
        "servers": lambda: stop_idle_servers(ec2, s3, now),
        "maintenance": lambda: close_stale_maintenance(ec2, common.client("route53resolver")),
        "recordings": lambda: {
            "closed": store.close_idle_recordings(s3, common.bucket_name(), close_after, now)
        },
    }
    report: dict[str, Any] = {}
    failed = []
    for name, task in tasks.items():
        try:
            report[name] = task()
        except Exception as error:  # one failing chore must not block the others
            LOGGER.exception("housekeeping task %s failed", name)
            report[name] = {"error": str(error)}
            failed.append(name)
    LOGGER.info("housekeeping: %s", report)
    if failed:
        raise RuntimeError(f"housekeeping tasks failed: {', '.join(failed)}")
    return report
