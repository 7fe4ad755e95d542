"""The maintenance window and the stack's DNS firewall: opening puts Debian's package names
in the firewall's maintenance list, closing (by the module_utils or by the housekeeping
Lambda) empties it; without a firewall nothing changes. In-process moto (mock_aws).

moto gap worked around here: moto 5.2.5 has no DNS Firewall API;
tests.support.moto_gaps (moto_gaps_dns_firewall) adds it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import dns_firewall, maintenance
from ansible_collections.privatecast.streaming.plugins.modules import maintenance_window
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module
from tests.unit import lambda_support as support
from tests.unit.maintenance_stack import REGION, StackIds, build_stack

ADMIN = ("203.0.113.0/24",)
DEBIAN = ["cdn-aws.deb.debian.org", "deb.debian.org", "security.debian.org"]


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    moto_gaps.apply()
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION), boto3.client("route53resolver", region_name=REGION)


def make_firewall(resolver: Any, stack: StackIds) -> None:
    """The firewall as route53resolver_dns_firewall makes it (its own tests cover it)."""
    state = dns_firewall.describe_firewall(resolver, stack.name)
    desired = dns_firewall.Desired(
        stack.vpc_id, ("s3.us-east-1.amazonaws.com",), tags={"privatecast:stack": stack.name}
    )
    dns_firewall.apply_plan(resolver, state, dns_firewall.plan_present(state, desired), desired)


def maintenance_names(resolver: Any, stack_name: str) -> list[str]:
    lists = resolver.list_firewall_domain_lists()["FirewallDomainLists"]
    (found,) = [item for item in lists if item["Name"] == f"{stack_name}-dns-maintenance"]
    return resolver.list_firewall_domains(FirewallDomainListId=found["Id"])["Domains"]


def test_the_list_name_is_the_firewall_modules() -> None:
    assert f"stack{maintenance.DNS_LIST_SUFFIX}" == dns_firewall.list_name("stack", dns_firewall.MAINTENANCE)


def test_open_adds_debian_names_and_close_removes_them(clients: tuple[Any, Any]) -> None:
    ec2, resolver = clients
    stack = build_stack(ec2)
    make_firewall(resolver, stack)
    closed = maintenance.describe_window(ec2, stack.name, resolver=resolver)
    assert closed.status == maintenance.STATUS_CLOSED and closed.summary()["dns_names"] == []

    opening = maintenance.plan_open(closed, ADMIN)
    maintenance.apply_plan(ec2, opening, resolver)
    opened = maintenance.describe_window(ec2, stack.name, resolver=resolver)

    assert f"let the DNS firewall answer {', '.join(DEBIAN)} (domain list teststack-dns-maintenance)" in (
        opening.descriptions
    )
    assert opening.after["dns_names"] == DEBIAN
    assert maintenance_names(resolver, stack.name) == [f"{name}." for name in DEBIAN]
    assert opened.status == maintenance.STATUS_OPEN and "dns_names" in opened.pieces
    assert not maintenance.plan_open(opened, ADMIN).changed

    closing = maintenance.plan_close(opened)
    maintenance.apply_plan(ec2, closing, resolver)
    after = maintenance.describe_window(ec2, stack.name, resolver=resolver)

    assert closing.before["dns_names"] == DEBIAN and closing.after["dns_names"] == []
    assert closing.actions[-1].kind == "release_address"  # the address still goes last
    assert maintenance_names(resolver, stack.name) == []
    assert after.status == maintenance.STATUS_CLOSED
    assert not maintenance.plan_close(after).changed


def test_names_left_alone_make_a_partial_window_that_close_cleans(clients: tuple[Any, Any]) -> None:
    ec2, resolver = clients
    stack = build_stack(ec2)
    make_firewall(resolver, stack)
    state = maintenance.describe_window(ec2, stack.name, resolver=resolver)
    opening = maintenance.plan_open(state, ADMIN, dns_domains=["Deb.Debian.org."])
    only_names = [action for action in opening.actions if action.kind == "set_dns_names"]
    assert [action.params["domains"] for action in only_names] == [("deb.debian.org",)]
    maintenance.apply_plan(ec2, maintenance.Plan("open", tuple(only_names), {}, {}), resolver)

    partial = maintenance.describe_window(ec2, stack.name, resolver=resolver)
    assert partial.status == maintenance.STATUS_PARTIAL and partial.pieces == ["dns_names"]
    maintenance.apply_plan(ec2, maintenance.plan_close(partial), resolver)
    assert maintenance.describe_window(ec2, stack.name, resolver=resolver).status == maintenance.STATUS_CLOSED


def test_a_dns_change_without_a_client_fails_clearly(clients: tuple[Any, Any]) -> None:
    ec2, resolver = clients
    stack = build_stack(ec2)
    make_firewall(resolver, stack)
    plan = maintenance.plan_open(maintenance.describe_window(ec2, stack.name, resolver=resolver), ADMIN)

    with pytest.raises(maintenance.MaintenanceError, match="no route53resolver client was given"):
        maintenance.apply_plan(ec2, plan)


def test_without_a_firewall_the_window_is_as_before(clients: tuple[Any, Any]) -> None:
    ec2, resolver = clients
    stack = build_stack(ec2)
    with_client = maintenance.plan_open(
        maintenance.describe_window(ec2, stack.name, resolver=resolver), ADMIN
    )
    without = maintenance.plan_open(maintenance.describe_window(ec2, stack.name), ADMIN)

    assert [a.kind for a in with_client.actions] == [a.kind for a in without.actions]
    assert "set_dns_names" not in [a.kind for a in with_client.actions]
    assert "dns_names" not in with_client.after


@pytest.fixture
def lambda_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from support.aws_environment(monkeypatch)


def test_housekeeping_closes_the_dns_names_of_a_stale_window(lambda_aws: None) -> None:
    moto_gaps.apply()
    ec2 = boto3.client("ec2", region_name=support.REGION)
    resolver = boto3.client("route53resolver", region_name=support.REGION)
    stack = build_stack(ec2, support.STACK)
    make_firewall(resolver, stack)
    stamp = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3)).replace(microsecond=0)
    state = maintenance.describe_window(ec2, support.STACK, resolver=resolver)
    opening = maintenance.plan_open(state, ADMIN, opened_at=stamp.isoformat().replace("+00:00", "Z"))
    maintenance.apply_plan(ec2, opening, resolver)
    assert maintenance_names(resolver, support.STACK)

    report = support.handler_module("housekeeping").handler({})

    assert report["maintenance"]["closed"] is True
    assert any("let the DNS firewall answer nothing" in done for done in report["maintenance"]["done"])
    assert maintenance_names(resolver, support.STACK) == []


def test_the_module_opens_and_closes_the_names(
    clients: tuple[Any, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ec2, resolver = clients
    stack = build_stack(ec2)
    make_firewall(resolver, stack)
    args = {"stack_name": stack.name, "region": REGION}

    checked = run_module(
        maintenance_window.main,
        capsys,
        {**args, "state": "open", "admin_cidrs": list(ADMIN)},
        check_mode=True,
        diff=True,
    )
    assert checked["window"]["dns_names"] == DEBIAN and maintenance_names(resolver, stack.name) == []
    opened = run_module(
        maintenance_window.main, capsys, {**args, "state": "open", "admin_cidrs": list(ADMIN)}, diff=True
    )
    assert opened["status"] == "open" and opened["window"]["dns_names"] == DEBIAN
    assert opened["diff"]["before"]["dns_names"] == [] and opened["diff"]["after"]["dns_names"] == DEBIAN
    assert maintenance_names(resolver, stack.name) == [f"{name}." for name in DEBIAN]
    closed = run_module(maintenance_window.main, capsys, {**args, "state": "closed"})
    assert closed["status"] == "closed" and closed["window"]["dns_names"] == []
    assert maintenance_names(resolver, stack.name) == []
