"""route53resolver_dns_firewall run in-process against moto (mock_aws).

moto gap worked around here: moto 5.2.5 has none of the Route 53 Resolver DNS Firewall
calls; tests.support.moto_gaps (moto_gaps_dns_firewall) adds them to moto for the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import dns_firewall
from ansible_collections.privatecast.streaming.plugins.modules import route53resolver_dns_firewall
from moto import mock_aws

from tests.support import moto_gaps
from tests.support.module_runner import run_module

REGION = "eu-west-1"
NAME = "unit"
S3_NAMES = ["s3.eu-west-1.amazonaws.com", "unit-bucket.s3.eu-west-1.amazonaws.com"]
TAGS = {"privatecast:stack": NAME, "privatecast:component": "network"}


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    moto_gaps.apply()
    with mock_aws():
        yield


@pytest.fixture
def vpc_id() -> str:
    return boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.42.0.0/24")["Vpc"]["VpcId"]


def resolver() -> Any:
    return boto3.client("route53resolver", region_name=REGION)


def run(capsys: pytest.CaptureFixture[str], check: bool = False, **args: Any) -> dict[str, Any]:
    """Run the module as Ansible would and return its JSON result (with rc)."""
    return run_module(
        route53resolver_dns_firewall.main,
        capsys,
        {"name": NAME, "region": REGION, **args},
        check_mode=check,
        diff=True,
    )


def present(
    capsys: pytest.CaptureFixture[str], vpc_id: str, check: bool = False, **args: Any
) -> dict[str, Any]:
    return run(capsys, check, vpc_id=vpc_id, allowed_domains=S3_NAMES, tags=TAGS, **args)


def domains_of(list_name: str) -> list[str]:
    client = resolver()
    lists = [
        item
        for item in client.list_firewall_domain_lists()["FirewallDomainLists"]
        if item["Name"] == list_name
    ]
    assert len(lists) == 1, lists
    return client.list_firewall_domains(FirewallDomainListId=lists[0]["Id"])["Domains"]


def rules_of(group_id: str) -> list[tuple[int, str, str | None, str, str]]:
    """(priority, action, block response, redirection, domain list name) of each rule."""
    client = resolver()
    names = {item["Id"]: item["Name"] for item in client.list_firewall_domain_lists()["FirewallDomainLists"]}
    rules = client.list_firewall_rules(FirewallRuleGroupId=group_id)["FirewallRules"]
    return sorted(
        (
            rule["Priority"],
            rule["Action"],
            rule.get("BlockResponse"),
            rule["FirewallDomainRedirectionAction"],
            names[rule["FirewallDomainListId"]],
        )
        for rule in rules
    )


def nothing_left() -> bool:
    client = resolver()
    return not (
        client.list_firewall_domain_lists()["FirewallDomainLists"]
        or client.list_firewall_rule_groups()["FirewallRuleGroups"]
        or client.list_firewall_rule_group_associations()["FirewallRuleGroupAssociations"]
    )


def test_present_creates_lists_rules_and_the_vpc_association(
    capsys: pytest.CaptureFixture[str], vpc_id: str
) -> None:
    result = present(capsys, vpc_id)

    assert result["rc"] == 0 and result["changed"] is True, result
    assert domains_of("unit-dns-allowed") == sorted(f"{name}." for name in S3_NAMES)
    assert domains_of("unit-dns-maintenance") == []
    assert domains_of("unit-dns-all") == ["*."]
    assert rules_of(result["rule_group_id"]) == [
        (100, "ALLOW", None, "TRUST_REDIRECTION_DOMAIN", "unit-dns-allowed"),
        (200, "ALLOW", None, "TRUST_REDIRECTION_DOMAIN", "unit-dns-maintenance"),
        (1000, "BLOCK", "NXDOMAIN", "INSPECT_REDIRECTION_DOMAIN", "unit-dns-all"),
    ]
    associations = resolver().list_firewall_rule_group_associations()["FirewallRuleGroupAssociations"]
    assert [(a["VpcId"], a["Priority"], a["FirewallRuleGroupId"], a["Id"]) for a in associations] == [
        (vpc_id, 101, result["rule_group_id"], result["association_id"])
    ]
    group_arn = resolver().get_firewall_rule_group(FirewallRuleGroupId=result["rule_group_id"])[
        "FirewallRuleGroup"
    ]["Arn"]
    tags = resolver().list_tags_for_resource(ResourceArn=group_arn)["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == TAGS
    assert sorted(result["domain_list_ids"]) == ["all", "allowed", "maintenance"]
    assert result["firewall"]["domain_lists"]["allowed"] == sorted(S3_NAMES)
    assert result["diff"]["before"]["rule_group"] is None
    assert result["diff"]["after"]["associations"] == [f"{vpc_id} (priority 101)"]


def test_second_run_changes_nothing(capsys: pytest.CaptureFixture[str], vpc_id: str) -> None:
    first = present(capsys, vpc_id)
    second = present(capsys, vpc_id)

    assert second["changed"] is False and second["changes"] == [], second
    assert second["diff"]["before"] == second["diff"]["after"]
    assert second["rule_group_id"] == first["rule_group_id"]
    assert second["association_id"] == first["association_id"]


def test_check_mode_reports_and_changes_nothing(capsys: pytest.CaptureFixture[str], vpc_id: str) -> None:
    result = present(capsys, vpc_id, check=True)

    assert result["changed"] is True
    assert "create firewall rule group unit-dns" in result["changes"]
    assert f"associate unit-dns with {vpc_id} (priority 101)" in result["changes"]
    assert result["firewall"]["domain_lists"]["allowed"] == sorted(S3_NAMES)
    assert nothing_left()


def test_changed_domains_and_block_response_are_updated_in_place(
    capsys: pytest.CaptureFixture[str], vpc_id: str
) -> None:
    first = present(capsys, vpc_id)
    wanted = [S3_NAMES[0], "Other-Bucket.s3.eu-west-1.amazonaws.com."]

    checked = run(capsys, True, vpc_id=vpc_id, allowed_domains=wanted, tags=TAGS, block_response="NODATA")
    assert domains_of("unit-dns-allowed") == sorted(f"{name}." for name in S3_NAMES)
    changed = run(capsys, vpc_id=vpc_id, allowed_domains=wanted, tags=TAGS, block_response="NODATA")

    expected_domains = ["other-bucket.s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"]
    assert (
        checked["changes"]
        == changed["changes"]
        == [
            f"set the domains of unit-dns-allowed to {', '.join(expected_domains)}",
            "change rule 1000 BLOCK (NODATA) unit-dns-all in unit-dns",
        ]
    )
    assert domains_of("unit-dns-allowed") == [f"{name}." for name in expected_domains]
    assert rules_of(first["rule_group_id"])[-1][:3] == (1000, "BLOCK", "NODATA")
    assert changed["diff"]["before"]["domain_lists"]["allowed"] == sorted(S3_NAMES)
    assert changed["diff"]["after"]["domain_lists"]["allowed"] == expected_domains
    assert changed["rule_group_id"] == first["rule_group_id"]


def test_maintenance_domains_are_left_to_the_window(capsys: pytest.CaptureFixture[str], vpc_id: str) -> None:
    first = present(capsys, vpc_id)
    resolver().update_firewall_domains(
        FirewallDomainListId=first["domain_list_ids"]["maintenance"],
        Operation="ADD",
        Domains=["deb.debian.org"],
    )

    again = present(capsys, vpc_id)

    assert again["changed"] is False, again["changes"]
    assert domains_of("unit-dns-maintenance") == ["deb.debian.org."]


def test_moved_vpc_and_hand_made_rule_are_put_right(capsys: pytest.CaptureFixture[str], vpc_id: str) -> None:
    first = present(capsys, vpc_id)
    client = resolver()
    stray = client.create_firewall_domain_list(CreatorRequestId="stray", Name="stray")["FirewallDomainList"]
    client.create_firewall_rule(
        CreatorRequestId="stray-rule",
        FirewallRuleGroupId=first["rule_group_id"],
        FirewallDomainListId=stray["Id"],
        Priority=50,
        Action="ALLOW",
        Name="stray",
    )
    other_vpc = boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.43.0.0/24")["Vpc"]["VpcId"]

    moved = present(capsys, other_vpc)

    assert moved["changes"] == [
        f"delete the rule of unit-dns for domain list {stray['Id']}",
        f"disassociate unit-dns from {vpc_id} (priority 101)",
        f"associate unit-dns with {other_vpc} (priority 101)",
    ]
    assert [rule[-1] for rule in rules_of(first["rule_group_id"])] == [
        "unit-dns-allowed",
        "unit-dns-maintenance",
        "unit-dns-all",
    ]
    associations = client.list_firewall_rule_group_associations()["FirewallRuleGroupAssociations"]
    assert [a["VpcId"] for a in associations] == [other_vpc]


def test_absent_removes_everything_and_then_nothing(capsys: pytest.CaptureFixture[str], vpc_id: str) -> None:
    present(capsys, vpc_id)

    checked = run(capsys, True, state="absent")
    assert checked["changed"] is True and not nothing_left()
    removed = run(capsys, state="absent")
    again = run(capsys, state="absent")

    assert removed["changed"] is True and removed["changes"] == checked["changes"]
    assert removed["changes"][0] == f"disassociate unit-dns from {vpc_id} (priority 101)"
    assert removed["changes"][-1] == "delete firewall domain list unit-dns-all"
    assert removed["diff"]["after"] == {
        "rule_group": None,
        "domain_lists": {},
        "rules": [],
        "associations": [],
    }
    assert nothing_left()
    assert again["changed"] is False and again["changes"] == []


def test_bad_domain_and_duplicate_names_fail_clearly(capsys: pytest.CaptureFixture[str], vpc_id: str) -> None:
    bad = run(capsys, vpc_id=vpc_id, allowed_domains=["exa mple.com"])
    assert bad["failed"] is True and "invalid domain name 'exa mple.com'" in bad["msg"]
    wildcard_inside = run(capsys, vpc_id=vpc_id, allowed_domains=["a.*.example.com"])
    assert wildcard_inside["failed"] is True

    for request in ("one", "two"):
        resolver().create_firewall_rule_group(CreatorRequestId=request, Name="unit-dns")
    duplicate = present(capsys, vpc_id)

    assert duplicate["failed"] is True
    assert "found 2 firewall rule groups named unit-dns" in duplicate["msg"]


def test_priority_taken_by_another_rule_group_names_the_call(
    capsys: pytest.CaptureFixture[str], vpc_id: str
) -> None:
    client = resolver()
    other = client.create_firewall_rule_group(CreatorRequestId="other", Name="other")["FirewallRuleGroup"]
    client.associate_firewall_rule_group(
        CreatorRequestId="other-assoc",
        FirewallRuleGroupId=other["Id"],
        VpcId=vpc_id,
        Priority=101,
        Name="other",
    )

    result = present(capsys, vpc_id)

    assert result["failed"] is True
    assert f"failed to associate unit-dns with {vpc_id} (priority 101)" in result["msg"]
    assert "ConflictException" in result["msg"]
    assert present(capsys, vpc_id, association_priority=102)["changed"] is True


def test_wildcards_and_names_are_normalised() -> None:
    assert dns_firewall.normalise_domain("*") == "*"
    assert dns_firewall.normalise_domain("*.Example.COM.") == "*.example.com"
    assert dns_firewall.normalise_domain("eu-west-1.compute.internal") == "eu-west-1.compute.internal"
    for bad in ("", ".", "a..b", "-a.b", "a.*", "x" * 64 + ".com"):
        with pytest.raises(dns_firewall.FirewallError):
            dns_firewall.normalise_domain(bad)
