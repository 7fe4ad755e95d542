"""EventBridge schedules: every enabled rule with a rate() expression whose target is one
of the stack's functions invokes it with a Scheduled Event, as EventBridge does. The rules
are read from moto each cycle; cron() expressions are reported and not run.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from tools.local_edge.deployment import Deployment

LOG = logging.getLogger("local_edge.schedule")
RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    match = RATE.match(expression.strip())
    if match is None:
        return None
    return int(match.group("value")) * UNIT_SECONDS[match.group("unit").rstrip("s")]


def scheduled_event(rule: dict[str, Any], now: float) -> dict[str, Any]:
    """The event EventBridge sends a target of a scheduled rule."""
    arn = rule["Arn"]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": arn.split(":")[4],
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "region": arn.split(":")[3],
        "resources": [arn],
        "detail": {},
    }


def target_input(target: dict[str, Any], rule: dict[str, Any], now: float) -> dict[str, Any]:
    """A target's constant Input replaces the event (EventBridge's Input setting)."""
    if target.get("Input"):
        return json.loads(target["Input"])
    if target.get("InputPath") or target.get("InputTransformer"):
        raise ValueError(f"target {target['Id']}: InputPath/InputTransformer are not implemented by the edge")
    return scheduled_event(rule, now)


class Scheduler:
    """Fires each (rule, target) once per period, the first time one period after start."""

    def __init__(
        self, deployment: Deployment, function_prefix: str, invoke: Callable[[str, dict[str, Any], str], None]
    ) -> None:
        self._deployment = deployment
        self._prefix = function_prefix  # arn:aws:lambda:<region>:<account>:function:<stack>-
        self._invoke = invoke
        self._next: dict[tuple[str, str], float] = {}
        self._warned: set[str] = set()
        self._stop = threading.Event()

    def due(self, now: float) -> list[tuple[str, dict[str, Any], str]]:
        """(function ARN, event, description) of every target due at now."""
        fired = []
        for rule, targets in self._deployment.schedules():
            period = rate_seconds(rule.get("ScheduleExpression", ""))
            if rule.get("State") != "ENABLED" or period is None:
                self._warn_once(rule)
                continue
            for target in targets:
                if not target["Arn"].startswith(self._prefix):
                    continue
                key = (rule["Arn"], target["Id"])
                next_time = self._next.setdefault(key, now + period)
                if now >= next_time:
                    self._next[key] = now + period
                    fired.append((target["Arn"], target_input(target, rule, now), f"schedule {rule['Name']}"))
        return fired

    def _warn_once(self, rule: dict[str, Any]) -> None:
        if rule.get("State") == "ENABLED" and rule["Arn"] not in self._warned:
            self._warned.add(rule["Arn"])
            LOG.warning("rule %s: %s is not run by the edge", rule["Name"], rule.get("ScheduleExpression"))

    def run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                for arn, event, why in self.due(time.time()):
                    self._invoke(arn, event, why)
            except Exception:
                LOG.exception("reading the schedules failed")

    def stop(self) -> None:
        self._stop.set()
