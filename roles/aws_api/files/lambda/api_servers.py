"""Servers Lambda: POST /api/servers/start and POST /api/servers/stop (admins only)
start or stop the stack's proxy and Owncast instances."""

from __future__ import annotations

from typing import Any

import lambda_common as common
from botocore.exceptions import ClientError
from stack_resources import ACTIVE_INSTANCE_STATES, server_states, stack_instances


def change_servers(event: dict[str, Any], start: bool) -> dict[str, Any]:
    common.require_admin(event)
    ec2 = common.client("ec2")
    instances = stack_instances(ec2, common.stack_name())
    if not instances:
        raise common.HttpError(404, "the stack has no servers")
    to_change = [
        instance["InstanceId"]
        for instance in instances.values()
        if (instance["State"]["Name"] in ACTIVE_INSTANCE_STATES) != start
    ]
    if to_change:
        call = ec2.start_instances if start else ec2.stop_instances
        try:
            call(InstanceIds=sorted(to_change))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "IncorrectInstanceState":
                raise
            raise common.HttpError(409, "the servers are changing state; try again in a minute") from error
        instances = stack_instances(ec2, common.stack_name())
    body = {"servers": server_states(instances), "changed": sorted(to_change)}
    return common.json_response(200, body)


def start_servers(event: dict[str, Any]) -> dict[str, Any]:
    return change_servers(event, start=True)


def stop_servers(event: dict[str, Any]) -> dict[str, Any]:
    return change_servers(event, start=False)


ROUTES = {
    "POST /api/servers/start": start_servers,
    "POST /api/servers/stop": stop_servers,
}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
