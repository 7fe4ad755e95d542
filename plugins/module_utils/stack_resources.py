# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules and the Lambdas both know about a stack's AWS resources: the tags
(docs/conventions.md), the instance states, and how the stack's servers are found.

Imports nothing outside the standard library: the Lambda zips carry it
(package_lambda.py's SHARED_MODULES)."""

from __future__ import annotations

from typing import Any

STACK_TAG = "privatecast:stack"
COMPONENT_TAG = "privatecast:component"
TIER_TAG = "privatecast:tier"
SG_TAG = "privatecast:sg"
SERVER_TAG = "privatecast:server"
OPENED_AT_TAG = "privatecast:opened-at"

# The stack's two servers, by their privatecast:server tag.
SERVER_ROLES = ("proxy", "owncast")
# An instance in one of these states is the stack's (terminated ones are gone).
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]
# A server in one of these is on, or coming on.
ACTIVE_INSTANCE_STATES = frozenset({"pending", "running"})


def tag_filters(**tags: str) -> list[dict[str, Any]]:
    """EC2 describe filters matching every given tag (tag names as keywords' values)."""
    return [{"Name": f"tag:{key}", "Values": [value]} for key, value in tags.items()]


def server_filters(stack: str, roles: tuple[str, ...] = SERVER_ROLES) -> list[dict[str, Any]]:
    """describe_instances filters for the stack's live servers of the given roles."""
    return [
        {"Name": f"tag:{STACK_TAG}", "Values": [stack]},
        {"Name": f"tag:{SERVER_TAG}", "Values": list(roles)},
        {"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES},
    ]


def resource_tags(resource: dict[str, Any]) -> dict[str, str]:
    """An EC2 resource's tags as a dict."""
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def stack_instances(ec2: Any, stack: str) -> dict[str, dict[str, Any]]:
    """The stack's proxy and owncast instances (not terminated), by server role."""
    found: dict[str, dict[str, Any]] = {}
    pages = ec2.get_paginator("describe_instances").paginate(Filters=server_filters(stack))
    for reservation in pages.build_full_result().get("Reservations", []):
        for instance in reservation["Instances"]:
            found[resource_tags(instance)[SERVER_TAG]] = instance
    return found


def server_states(instances: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each server role's instance id and state ("absent": no instance)."""
    return {
        role: {
            "instance_id": instances[role]["InstanceId"] if role in instances else None,
            "state": instances[role]["State"]["Name"] if role in instances else "absent",
        }
        for role in SERVER_ROLES
    }
