"""playbooks/configure.yml closes the maintenance window even when both servers fail.

The stack's network and instances are built in the moto server with boto3
(tests/unit/maintenance_stack.py). The inventory has two servers that fail in the two
ways a real run can: the proxy fails inside its role (a bad haproxy_tls_source fails the
role's argument validation on the controller, before the role touches anything), and the
Owncast server never answers (SSH to a loopback port nobody listens on). The playbook
must open the window, fail, close the window, and leave the network exactly as before.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import maintenance

from tests.support.moto_server import MotoServer
from tests.support.playbook import PlaybookResult, PlaybookRunner
from tests.unit.maintenance_stack import REGION, StackIds, build_stack, network_snapshot

pytestmark = pytest.mark.integration

STACK = "local"
OPEN_TASK = "Open the maintenance window for the configuration"
CLOSE_TASK = "Close the maintenance window"


def closed_loopback_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failing_inventory(path: Path) -> Path:
    controller = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }
    inventory = {
        "all": {
            "hosts": {"localhost": controller},
            "children": {
                "proxy": {
                    "hosts": {
                        "failing-proxy": {
                            **controller,
                            "ansible_become": False,
                            "haproxy_tls_source": "from-nowhere",
                        }
                    }
                },
                "owncast": {
                    "hosts": {
                        "unreachable-owncast": {
                            "ansible_host": "127.0.0.1",
                            "ansible_port": closed_loopback_port(),
                            "ansible_user": "admin",
                        }
                    }
                },
            },
        }
    }
    path.write_text(json.dumps(inventory))  # JSON is YAML
    return path


def run_failing_configure(moto: MotoServer, tmp_path: Path) -> PlaybookResult:
    runner = PlaybookRunner(
        repo_root=Path(__file__).resolve().parents[2],
        endpoint_url=moto.url,
        state_dir=tmp_path,
        inventory=str(failing_inventory(tmp_path / "hosts.yml")),
    )
    result = runner.run(
        "configure.yml",
        {
            "privatecast_stack_name": STACK,
            "privatecast_region": REGION,
            "privatecast_admin_cidrs": ["127.0.0.1/32"],
            "configure_connection_timeout": 3,
        },
    )
    assert result.returncode != 0, "a run whose servers failed must not succeed"
    assert result.stats["failing-proxy"]["failures"] == 1, result.stats
    owncast = result.stats["unreachable-owncast"]
    assert owncast["failures"] + owncast["unreachable"] == 1, result.stats
    return result


def assert_window_closed(ec2: Any, stack: StackIds) -> dict[str, Any]:
    after = network_snapshot(ec2, stack.vpc_id)
    assert not [
        address
        for address in ec2.describe_addresses()["Addresses"]
        if {"Key": "privatecast:component", "Value": "maintenance"} in address.get("Tags", [])
    ], "the temporary Elastic IP must be released"
    private_routes = after["route_tables"][stack.private_route_table_id]["Routes"]
    assert not [route for route in private_routes if route.get("DestinationCidrBlock") == "0.0.0.0/0"]
    return after


def test_window_is_closed_after_failing_servers(moto: MotoServer, tmp_path: Path) -> None:
    ec2 = moto.client("ec2")
    stack = build_stack(ec2, STACK)
    before = network_snapshot(ec2, stack.vpc_id)

    result = run_failing_configure(moto, tmp_path)

    (opened,) = result.task_results(OPEN_TASK)
    assert opened["status"] == "open", "the window must have been open while the servers were configured"
    assert opened["changes"], "the window was closed before the run, so opening it changed things"
    (closed,) = result.task_results(CLOSE_TASK)
    assert closed["status"] == "closed", closed
    # Closing what this run opened leaves the window as it was: no net change reported.
    assert not closed["changed"], closed
    assert assert_window_closed(ec2, stack) == before, "closing must put the network back exactly as it was"


def test_window_open_before_the_run_is_closed_and_reported(moto: MotoServer, tmp_path: Path) -> None:
    ec2 = moto.client("ec2")
    stack = build_stack(ec2, STACK)
    before = network_snapshot(ec2, stack.vpc_id)
    state = maintenance.describe_window(ec2, STACK)
    maintenance.apply_plan(ec2, maintenance.plan_open(state, ["127.0.0.1/32"]))

    result = run_failing_configure(moto, tmp_path)

    (opened,) = result.task_results(OPEN_TASK)
    assert opened["status"] == "open" and not opened["changes"], "it was open already"
    (closed,) = result.task_results(CLOSE_TASK)
    assert closed["status"] == "closed" and closed["changed"], "closing a window open before is a change"
    assert assert_window_closed(ec2, stack) == before
