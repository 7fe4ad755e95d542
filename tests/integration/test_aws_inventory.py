"""inventory/aws.example finds the two servers in EC2 (here the moto server) by their
tags, groups them as `proxy` and `owncast`, reaches the proxy on its Elastic IP and
Owncast on its private address through the proxy as SSH jump host.

The example's aws_ec2.yml is copied with the test's region, stack name and the moto
endpoint (what a user edits, plus endpoint_url, which real AWS does not need).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import MotoServer
from tests.unit.maintenance_stack import REGION, build_stack

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "inventory" / "aws.example"
STACK = "local"


def inventory_copy(destination: Path, endpoint_url: str) -> Path:
    shutil.copytree(EXAMPLE, destination)
    plugin_config = destination / "aws_ec2.yml"
    text = plugin_config.read_text()
    assert "  - eu-west-1\n" in text and "tag:privatecast:stack: privatecast\n" in text
    text = text.replace("  - eu-west-1\n", f"  - {REGION}\n")
    text = text.replace("tag:privatecast:stack: privatecast\n", f"tag:privatecast:stack: {STACK}\n")
    plugin_config.write_text(f"{text}endpoint_url: {endpoint_url}\n")
    return destination


def ansible_inventory(inventory: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(inventory), "--list"],
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / ".ansible" / "collections")},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def connection_vars(inventory: Path) -> dict[str, dict[str, str]]:
    """Each server's connection variables as a connection would see them, templated
    (debug runs on the controller and connects to nothing)."""
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible")),
            "-i",
            str(inventory),
            "proxy:owncast",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ {'host': ansible_host, 'user': ansible_user, 'ssh_args': ansible_ssh_common_args} }}",
        ],
        env={
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / ".ansible" / "collections"),
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(completed.stdout)["plays"][0]["tasks"][0]["hosts"]
    return {host: result["msg"] for host, result in results.items()}


def test_servers_are_found_by_tag_and_reached_through_the_proxy(moto: MotoServer, tmp_path: Path) -> None:
    ec2 = moto.client("ec2")
    stack = build_stack(ec2, STACK)
    build_stack(ec2, "otherstack", cidr="10.30.0.0/16")  # must not be picked up
    owncast_ip = ec2.describe_instances(InstanceIds=[stack.owncast_instance_id])["Reservations"][0][
        "Instances"
    ][0]["PrivateIpAddress"]

    inventory = inventory_copy(tmp_path / "aws", moto.url)
    listing = ansible_inventory(inventory)
    assert listing["proxy"]["hosts"] == [f"{STACK}-proxy"]
    assert listing["owncast"]["hosts"] == [f"{STACK}-owncast"]

    servers = connection_vars(inventory)
    proxy, owncast = servers[f"{STACK}-proxy"], servers[f"{STACK}-owncast"]
    assert proxy["host"] == stack.proxy_eip
    assert owncast["host"] == owncast_ip
    assert proxy["user"] == owncast["user"] == "admin"
    assert "ProxyJump" not in proxy["ssh_args"]
    assert f"ProxyJump=admin@{stack.proxy_eip}" in owncast["ssh_args"].split()
    assert "StrictHostKeyChecking=accept-new" in owncast["ssh_args"].split()
