"""playbooks/configure.yml on a stack whose servers housekeeping has stopped.

The stack's network and instances are built in the moto server with boto3
(tests/unit/maintenance_stack.py) and both servers are stopped. The inventory is the
example one (inventory/aws.example, copied as tests/integration/test_aws_inventory.py
does), which lists running instances only: it holds no server until configure.yml has
started them and re-read it. Hosts found there are reached as the configure tests reach
theirs (test_configure_window.py): the inventory copy's host_vars send a server's
connection to this machine (`local`) or to a loopback port nobody listens on. The runs
skip the haproxy and owncast roles (--skip-tags haproxy,owncast; molecule tests them):
what is shown is that both servers are found, started, reached through the window and
stopped again, that -e power=on leaves them running, and that a server that cannot be
reached or is missing from the inventory fails the run with its name.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_aws_inventory import inventory_copy
from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.unit.maintenance_stack import REGION, StackIds, build_stack, network_snapshot

pytestmark = pytest.mark.integration

STACK = "local"
PROXY, OWNCAST = f"{STACK}-proxy", f"{STACK}-owncast"
SKIP_ROLES = ("--skip-tags", "haproxy,owncast")
POWER_TASK = "privatecast.streaming.privatecast : Start or stop the servers and wait"
PROXY_WAIT = "Wait until the proxy answers over SSH"
OWNCAST_WAIT = "Wait until the Owncast server answers over SSH (through the proxy)"
PREPARE_FAILED = "Stop here, the servers could not be prepared"
PROXY_UNREACHABLE = "Stop here, the proxy cannot be reached"
LOCAL = {
    "ansible_connection": "local",
    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    "ansible_become": False,
}


def closed_loopback_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stopped_stack(ec2: Any) -> StackIds:
    stack = build_stack(ec2, STACK)
    ec2.stop_instances(InstanceIds=[stack.proxy_instance_id, stack.owncast_instance_id])
    assert states(ec2, stack) == {"proxy": "stopped", "owncast": "stopped"}
    return stack


def states(ec2: Any, stack: StackIds) -> dict[str, str]:
    ids = {"proxy": stack.proxy_instance_id, "owncast": stack.owncast_instance_id}
    reservations = ec2.describe_instances(InstanceIds=list(ids.values()))["Reservations"]
    by_id = {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}
    return {server: by_id[instance_id] for server, instance_id in ids.items()}


def example_inventory(tmp_path: Path, moto: MotoServer, host_vars: dict[str, dict[str, Any]]) -> Path:
    inventory = inventory_copy(tmp_path / "aws", moto.url)
    (inventory / "host_vars").mkdir()
    for host, variables in host_vars.items():
        (inventory / "host_vars" / f"{host}.yml").write_text(json.dumps(variables))  # JSON is YAML
    return inventory


def run_configure(
    moto: MotoServer, tmp_path: Path, inventory: Path, extra_vars: dict[str, Any] | None = None
) -> PlaybookResult:
    runner = PlaybookRunner(
        repo_root=Path(__file__).resolve().parents[2],
        endpoint_url=moto.url,
        state_dir=tmp_path / "state",
        inventory=str(inventory),
    )
    variables = {
        "privatecast_stack_name": STACK,
        "privatecast_region": REGION,
        "privatecast_admin_cidrs": ["127.0.0.1/32"],
        "privatecast_ssh_public_key": "unused by configure.yml",
        "configure_connection_timeout": 3,
        **(extra_vars or {}),
    }
    return runner.run("configure.yml", variables, extra_args=SKIP_ROLES)


def report(result: PlaybookResult) -> str:
    return f"rc {result.returncode}:\n{json.dumps(result.output, indent=1)[-5000:]}\n{result.stderr[-2000:]}"


def assert_reached(result: PlaybookResult, host: str, wait_task: str) -> None:
    stats = result.stats.get(host)
    assert stats, f"{host} was not in the run: the inventory did not find it ({result.stats})"
    assert stats["failures"] == stats["unreachable"] == 0, stats
    (waited,) = result.task_results(wait_task, host=host)
    assert not waited.get("failed") and not waited.get("skipped"), waited


def started_ids(result: PlaybookResult) -> set[str]:
    started = result.task_results(POWER_TASK)[0]  # the start; the stop comes after
    return {instance["instance_id"] for instance in started.get("instances", [])}


def test_stopped_servers_are_started_reached_and_stopped_again(moto: MotoServer, tmp_path: Path) -> None:
    ec2 = moto.client("ec2")
    stack = stopped_stack(ec2)
    before = network_snapshot(ec2, stack.vpc_id)
    inventory = example_inventory(tmp_path, moto, {PROXY: LOCAL, OWNCAST: LOCAL})

    result = run_configure(moto, tmp_path, inventory)

    assert result.returncode == 0, report(result)
    assert started_ids(result) == {stack.proxy_instance_id, stack.owncast_instance_id}
    assert_reached(result, PROXY, PROXY_WAIT)
    assert_reached(result, OWNCAST, OWNCAST_WAIT)
    assert states(ec2, stack) == {"proxy": "stopped", "owncast": "stopped"}, "stopped again, as found"
    assert result.changed() == 0, f"left as found is no change: {result.changed_tasks()}"
    assert network_snapshot(ec2, stack.vpc_id) == before, "the window must be closed again"

    left_on = run_configure(moto, tmp_path, inventory, {"power": "on"})

    assert left_on.returncode == 0, report(left_on)
    assert_reached(left_on, PROXY, PROXY_WAIT)
    assert_reached(left_on, OWNCAST, OWNCAST_WAIT)
    assert states(ec2, stack) == {"proxy": "running", "owncast": "running"}, "-e power=on leaves them on"
    assert left_on.changed() == 1, f"starting them for good is the change: {left_on.changed_tasks()}"

    again = run_configure(moto, tmp_path, inventory)

    assert again.returncode == 0, report(again)
    assert_reached(again, PROXY, PROXY_WAIT)
    assert states(ec2, stack) == {"proxy": "running", "owncast": "running"}, "running servers stay running"
    assert again.changed() == 0, f"a run on a running stack changes nothing: {again.changed_tasks()}"


def test_unreachable_server_fails_the_run_by_name(moto: MotoServer, tmp_path: Path) -> None:
    ec2 = moto.client("ec2")
    stack = stopped_stack(ec2)
    before = network_snapshot(ec2, stack.vpc_id)
    nobody = {"ansible_host": "127.0.0.1", "ansible_port": closed_loopback_port(), "ansible_become": False}
    inventory = example_inventory(tmp_path, moto, {PROXY: nobody, OWNCAST: LOCAL})

    result = run_configure(moto, tmp_path, inventory)

    assert result.returncode != 0, report(result)
    assert result.stats[PROXY]["failures"] == 1, result.stats
    (failure,) = result.task_results(PROXY_UNREACHABLE, host=PROXY)
    assert failure["failed"] and f"Server {PROXY} (127.0.0.1) did not answer" in failure["msg"], failure
    assert_reached(result, OWNCAST, OWNCAST_WAIT)
    assert states(ec2, stack) == {"proxy": "stopped", "owncast": "stopped"}, "stopped again after a failure"
    assert network_snapshot(ec2, stack.vpc_id) == before, "the window must be closed after a failure"


def test_server_missing_from_the_inventory_fails_the_run_by_name(moto: MotoServer, tmp_path: Path) -> None:
    ec2 = moto.client("ec2")
    stack = stopped_stack(ec2)
    before = network_snapshot(ec2, stack.vpc_id)
    # The example inventory names hosts by their Name tag: without it, the aws_ec2 plugin
    # leaves the instance out.
    ec2.delete_tags(Resources=[stack.owncast_instance_id], Tags=[{"Key": "Name"}])
    inventory = example_inventory(tmp_path, moto, {PROXY: LOCAL})

    result = run_configure(moto, tmp_path, inventory)

    assert result.returncode != 0, report(result)
    (failure,) = result.task_results(PREPARE_FAILED)
    assert failure["failed"], failure
    server = f"Server without a Name tag ({stack.owncast_instance_id}, privatecast:server=owncast)"
    assert server in failure["msg"], failure
    assert "exists in AWS but the inventory has no host in group owncast" in failure["msg"], failure
    assert PROXY not in result.stats, "no server is configured when one is missing"
    assert states(ec2, stack) == {"proxy": "stopped", "owncast": "stopped"}, "stopped again after a failure"
    assert network_snapshot(ec2, stack.vpc_id) == before, "the window is never opened"
