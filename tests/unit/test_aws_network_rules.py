"""The aws_network role's rules as Ansible renders them: the public network ACL
(templates/nacl_entries.json.j2) and the proxy security group (vars/main.yml), with the
stack-wide RTMPS switch on and off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template

from tests.support.role_vars import render_role_var

ROLE = Path(__file__).resolve().parents[2] / "roles" / "aws_network"
PUBLIC_CIDR = "10.42.0.0/25"
PRIVATE_CIDR = "10.42.0.128/25"
CAMERAS = ["0.0.0.0/0", "198.51.100.0/24"]
ADMINS = ["203.0.113.10/32"]
# An ACL entry: [rule number, protocol, action, CIDR, ICMP type, ICMP code, first port, last port].
ACTION, CIDR, FIRST_PORT, LAST_PORT = 2, 3, 6, 7


def _inputs(rtmps_enabled: bool, rtmps_port: int = 1936, partition: str = "aws") -> dict[str, Any]:
    return {
        "privatecast_stack_name": "unit",
        "privatecast_region": "eu-west-1",
        "privatecast_partition": partition,
        "privatecast_bucket_name": "unit-video-123456789012",
        "privatecast_camera_cidrs": CAMERAS,
        "privatecast_admin_cidrs": ADMINS,
        "privatecast_rtmps_enabled": rtmps_enabled,
        "privatecast_rtmps_port": rtmps_port,
    }


def _nacl_entries(inputs: dict[str, Any]) -> dict[str, Any]:
    source = (ROLE / "templates" / "nacl_entries.json.j2").read_text()
    rendered = render_role_var(
        "aws_network", "nacl_under_test", {**inputs, "nacl_under_test": trust_as_template(source)}
    )
    return json.loads(rendered)


def _public_ingress(inputs: dict[str, Any]) -> list[list[Any]]:
    return _nacl_entries(inputs)["public"]["ingress"]


def _proxy_sg_rules(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return render_role_var("aws_network", "aws_network_proxy_sg_rules", inputs)


def _acl_sources_for_port(entries: list[list[Any]], port: int) -> list[str]:
    """Sources the ACL lets in on `port`, leaving out the private subnet's replies (which
    come back on ephemeral ports 1024-65535 and so include every high port)."""
    return sorted(
        entry[CIDR]
        for entry in entries
        if entry[ACTION] == "allow"
        and entry[FIRST_PORT] <= port <= entry[LAST_PORT]
        and entry[CIDR] != PRIVATE_CIDR
    )


def _sg_sources_for_port(rules: list[dict[str, Any]], port: int) -> list[str]:
    return sorted(cidr for rule in rules if port in rule["ports"] for cidr in rule["cidr_ip"])


def test_rtmps_port_is_closed_while_the_switch_is_off() -> None:
    inputs = _inputs(rtmps_enabled=False)
    ingress = _public_ingress(inputs)
    rules = _proxy_sg_rules(inputs)
    assert _acl_sources_for_port(ingress, 1936) == []
    assert _sg_sources_for_port(rules, 1936) == []
    # The rest is unchanged by the switch.
    assert _acl_sources_for_port(ingress, 1935) == sorted(CAMERAS)
    assert _sg_sources_for_port(rules, 1935) == sorted(CAMERAS)
    assert _sg_sources_for_port(rules, 443) == ADMINS


@pytest.mark.parametrize("port", [1936, 8443])
def test_rtmps_port_is_open_from_the_cameras_when_switched_on(port: int) -> None:
    inputs = _inputs(rtmps_enabled=True, rtmps_port=port)
    ingress = _public_ingress(inputs)
    assert _acl_sources_for_port(ingress, port) == sorted(CAMERAS)
    assert _sg_sources_for_port(_proxy_sg_rules(inputs), port) == sorted(CAMERAS)
    rtmps_numbers = sorted(entry[0] for entry in ingress if entry[FIRST_PORT] == port)
    assert rtmps_numbers == [600, 601], "RTMPS rules keep their own number range, clear of 900-999"


def test_replies_to_rtmps_cameras_leave_the_public_subnet() -> None:
    egress = _nacl_entries(_inputs(rtmps_enabled=True))["public"]["egress"]
    for camera in CAMERAS:
        assert [camera, 1024, 65535] in [
            [entry[CIDR], entry[FIRST_PORT], entry[LAST_PORT]] for entry in egress
        ]


def test_acl_rule_numbers_are_unique_and_below_the_window_range() -> None:
    ingress = _public_ingress(_inputs(rtmps_enabled=True))
    numbers = [entry[0] for entry in ingress]
    assert len(numbers) == len(set(numbers))
    assert max(numbers) < 900


@pytest.fixture(scope="module", autouse=True)
def _collection_plugins() -> None:
    """Lets Templar find the collection's own filters, as ansible-playbook does."""
    init_plugin_loader([str(ROLE.parents[1] / ".ansible" / "collections")])


def _admin_source_check(admin_cidrs: list[str], allow_any_source: bool) -> tuple[bool, str]:
    """The role's own assert on the admin sources, evaluated as Ansible would: (passes, message)."""
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    task = next(task for task in tasks if task["name"].startswith("Check the admin sources"))
    variables: dict[str, Any] = {
        "privatecast_admin_cidrs": admin_cidrs,
        "privatecast_admin_allow_any_source": allow_any_source,
    }
    for name, value in task["vars"].items():
        variables[name] = trust_as_template(value)
    templar = Templar(loader=DataLoader(), variables=variables)
    condition = " and ".join(f"({expression})" for expression in task["ansible.builtin.assert"]["that"])
    passes = templar.template(trust_as_template("{{ " + condition + " }}"))
    message = templar.template(trust_as_template(task["ansible.builtin.assert"]["fail_msg"]))
    return bool(passes), str(message)


@pytest.mark.parametrize(
    "admin_cidrs",
    [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["203.0.113.10/32", "100.0.0.0/8"], ["2001:db8::/32"]],
)
def test_admin_sources_broader_than_the_limit_are_refused(admin_cidrs: list[str]) -> None:
    passes, message = _admin_source_check(admin_cidrs, allow_any_source=False)
    assert not passes
    assert "privatecast_admin_cidrs: refusing IPv" in message
    assert "privatecast_admin_allow_any_source" in message
    assert _admin_source_check(admin_cidrs, allow_any_source=True)[0]


@pytest.mark.parametrize("admin_cidrs", [[], ["203.0.113.10/32"], ["198.51.100.0/24", "10.9.0.0/17"]])
def test_narrow_admin_sources_pass(admin_cidrs: list[str]) -> None:
    assert _admin_source_check(admin_cidrs, allow_any_source=False)[0]


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_the_s3_endpoint_policy_names_the_bucket_in_the_accounts_partition(partition: str) -> None:
    policy = render_role_var(
        "aws_network", "aws_network_s3_endpoint_policy", _inputs(False, partition=partition)
    )
    resources = [resource for statement in policy["Statement"] for resource in statement["Resource"]]
    assert resources == [
        f"arn:{partition}:s3:::unit-video-123456789012",
        f"arn:{partition}:s3:::unit-video-123456789012/*",
    ]
