"""playbooks/power.yml against a moto server: off, off again (no change), on; the
servers' states read back through boto3; anything but on/off refused.

The two servers are launched here with boto3 and the tags docs/conventions.md gives
(privatecast:stack, privatecast:server), which is all power.yml looks for; molecule/aws
checks that aws_compute tags its servers so. That keeps this test to the power playbook's
own runs instead of a whole provisioning.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner

pytestmark = pytest.mark.integration

STACK = "local"  # privatecast_stack_name in inventory/local
SERVERS = ("proxy", "owncast")
POWER_TASK = "privatecast.streaming.privatecast : Start or stop the servers and wait"


def must_succeed(result: PlaybookResult, what: str) -> None:
    output = json.dumps(result.output, indent=1)[-4000:]
    assert result.returncode == 0 and result.failed() == 0, (
        f"{what} failed (rc {result.returncode}):\n{output}\n{result.stderr[-2000:]}"
    )


def launch_servers(ec2: Any) -> dict[str, str]:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = {}
    for server in (*SERVERS, "other-stack"):
        stack = "another" if server == "other-stack" else STACK
        tags = [
            {"Key": "Name", "Value": f"{stack}-{server}"},
            {"Key": "privatecast:stack", "Value": stack},
            {"Key": "privatecast:component", "Value": "compute"},
            {"Key": "privatecast:server", "Value": "proxy" if server == "other-stack" else server},
        ]
        [instance] = ec2.run_instances(
            ImageId=image,
            InstanceType="t4g.nano",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )["Instances"]
        ids[server] = instance["InstanceId"]
    return ids


def states(ec2: Any, ids: dict[str, str]) -> dict[str, str]:
    reservations = ec2.describe_instances(InstanceIds=list(ids.values()))["Reservations"]
    by_id = {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}
    return {server: by_id[instance_id] for server, instance_id in ids.items()}


def test_power_off_and_on_round_trip(playbook: PlaybookRunner, moto: MotoServer) -> None:
    ec2 = moto.client("ec2")
    ids = launch_servers(ec2)
    assert set(states(ec2, ids).values()) == {"running"}

    off = playbook.run("power.yml", {"power": "off"})
    must_succeed(off, "power=off")
    assert off.task_results(POWER_TASK)[0]["changed"]
    assert states(ec2, ids) == {"proxy": "stopped", "owncast": "stopped", "other-stack": "running"}

    off_again = playbook.run("power.yml", {"power": "off"})
    must_succeed(off_again, "second power=off")
    assert off_again.changed() == 0, f"second power=off changed: {off_again.changed_tasks()}"

    on = playbook.run("power.yml", {"power": "on"})
    must_succeed(on, "power=on")
    assert on.task_results(POWER_TASK)[0]["changed"]
    assert set(states(ec2, ids).values()) == {"running"}


def test_anything_but_on_or_off_is_refused(playbook: PlaybookRunner, moto: MotoServer) -> None:
    ec2 = moto.client("ec2")
    ids = launch_servers(ec2)
    refused = playbook.run("power.yml", {"power": "of"})
    assert refused.returncode != 0
    [check] = refused.task_results("Check the requested power state")
    assert "-e power=on" in check["msg"] and '"of"' in check["msg"]
    assert set(states(ec2, ids).values()) == {"running"}
