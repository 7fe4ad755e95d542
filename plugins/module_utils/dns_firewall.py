# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect, plan and apply a privatecast stack's Route 53 Resolver DNS Firewall.

Imports nothing from Ansible and nothing outside the standard library: every AWS call
goes through the boto3-style route53resolver client the caller hands in (the module
wraps its calls in AWSRetry.jittered_backoff), so the maintenance window's code can use
the same names and calls.

The firewall of a stack named N (names in docs/conventions.md):

- domain list ``N-dns-allowed``: the names the servers need all the time;
- domain list ``N-dns-maintenance``: empty, except while a maintenance window is open
  (the window puts Debian's package names in and takes them out again);
- domain list ``N-dns-all``: the single name ``*``;
- rule group ``N-dns`` with three rules: priority 100 ALLOW ``N-dns-allowed``, 200 ALLOW
  ``N-dns-maintenance`` (both trusting the CNAME chain of an allowed name, since the
  targets, such as a CDN's, are not the product's to list), 1000 BLOCK ``N-dns-all``;
- the rule group associated with the stack's VPC.

Usage: ``state = describe_firewall(client, name)``, ``plan = plan_present(state,
desired)`` or ``plan = plan_absent(state)``, then ``apply_plan(client, plan)`` unless
only checking.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALLOWED = "allowed"
MAINTENANCE = "maintenance"
CATCH_ALL = "all"
LIST_KEYS = (ALLOWED, MAINTENANCE, CATCH_ALL)
GROUP = "group"
CATCH_ALL_DOMAIN = "*"
BLOCK_RESPONSES = ("NXDOMAIN", "NODATA")
TRUST_REDIRECTION = "TRUST_REDIRECTION_DOMAIN"
INSPECT_REDIRECTION = "INSPECT_REDIRECTION_DOMAIN"
MIN_ASSOCIATION_PRIORITY = 100
MAX_ASSOCIATION_PRIORITY = 9900
DISASSOCIATE_TIMEOUT = 600
LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
MAX_DOMAIN_LENGTH = 255


class FirewallError(Exception):
    """The firewall cannot be inspected, planned or applied; the message says why."""


def list_name(name: str, key: str) -> str:
    """Name of one of the firewall's domain lists (and of the rule that uses it)."""
    return f"{name}-dns-{key}"


def group_name(name: str) -> str:
    return f"{name}-dns"


def normalise_domain(domain: str) -> str:
    """Lower case, no trailing dot; raises FirewallError for a name AWS would refuse.
    ``*`` alone or as the leftmost label is a wildcard."""
    cleaned = domain.strip().lower().rstrip(".")
    labels = cleaned.split(".")
    if labels and labels[0] == "*":
        labels = labels[1:]
        if not labels and cleaned != CATCH_ALL_DOMAIN:
            raise FirewallError(f"invalid domain name {domain!r}")
    if not cleaned or len(cleaned) > MAX_DOMAIN_LENGTH or not all(LABEL.match(label) for label in labels):
        raise FirewallError(
            f"invalid domain name {domain!r}: labels of letters, digits, '-' and '_', a '*' only as the "
            f"whole leftmost label, at most {MAX_DOMAIN_LENGTH} characters"
        )
    return cleaned


@dataclass(frozen=True)
class DomainList:
    list_id: str
    arn: str
    domains: tuple[str, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class Rule:
    """One rule of the group, identified by its domain list."""

    key: str
    name: str
    priority: int
    action: str
    block_response: str | None
    redirection: str

    def describe(self) -> str:
        response = f" ({self.block_response})" if self.block_response else ""
        trust = ", trusting CNAME targets" if self.redirection == TRUST_REDIRECTION else ""
        return f"{self.priority} {self.action}{response} {self.name}{trust}"


@dataclass(frozen=True)
class Association:
    association_id: str
    vpc_id: str
    priority: int
    status: str


@dataclass(frozen=True)
class FirewallState:
    name: str
    lists: dict[str, DomainList]
    group_id: str | None
    group_arn: str | None
    group_tags: dict[str, str]
    rules: tuple[Rule, ...]
    foreign_rules: tuple[str, ...]
    associations: tuple[Association, ...]

    def summary(self) -> dict[str, Any]:
        return {
            "rule_group": group_name(self.name) if self.group_id else None,
            "domain_lists": {key: sorted(self.lists[key].domains) for key in LIST_KEYS if key in self.lists},
            "rules": [rule.describe() for rule in sorted(self.rules, key=lambda r: r.priority)],
            "associations": sorted(f"{a.vpc_id} (priority {a.priority})" for a in self.associations),
        }


@dataclass(frozen=True)
class Desired:
    vpc_id: str
    allowed_domains: tuple[str, ...]
    block_response: str = "NXDOMAIN"
    association_priority: int = 101
    tags: dict[str, str] = field(default_factory=dict)

    def rules(self, name: str) -> tuple[Rule, ...]:
        return (
            Rule(ALLOWED, list_name(name, ALLOWED), 100, "ALLOW", None, TRUST_REDIRECTION),
            Rule(MAINTENANCE, list_name(name, MAINTENANCE), 200, "ALLOW", None, TRUST_REDIRECTION),
            Rule(
                CATCH_ALL, list_name(name, CATCH_ALL), 1000, "BLOCK", self.block_response, INSPECT_REDIRECTION
            ),
        )


@dataclass(frozen=True)
class Action:
    """One change; kind selects the call in apply_plan, description is for people."""

    kind: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    name: str
    actions: tuple[Action, ...]
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    @property
    def descriptions(self) -> list[str]:
        return [action.description for action in self.actions]


@dataclass
class ApplyResult:
    ids: dict[str, str] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------


def _collect(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of a list call (manual NextToken so each page goes through the
    caller's retry wrapper)."""
    items: list[dict[str, Any]] = []
    while True:
        response = call(**kwargs)
        items.extend(response.get(key, []))
        token = response.get("NextToken")
        if not token:
            return items
        kwargs["NextToken"] = token


def _one_by_name(items: list[dict[str, Any]], name: str, what: str) -> dict[str, Any] | None:
    found = [item for item in items if item.get("Name") == name and not item.get("ManagedOwnerName")]
    if len(found) > 1:
        ids = ", ".join(sorted(item["Id"] for item in found))
        raise FirewallError(f"found {len(found)} {what}s named {name} where the stack has one: {ids}")
    return found[0] if found else None


def _tags(client: Any, arn: str) -> dict[str, str]:
    tags = _collect(client.list_tags_for_resource, "Tags", ResourceArn=arn)
    return {tag["Key"]: tag["Value"] for tag in tags}


def _read_lists(client: Any, name: str) -> dict[str, DomainList]:
    all_lists = _collect(client.list_firewall_domain_lists, "FirewallDomainLists")
    lists = {}
    for key in LIST_KEYS:
        raw = _one_by_name(all_lists, list_name(name, key), "firewall domain list")
        if raw is not None:
            domains = _collect(client.list_firewall_domains, "Domains", FirewallDomainListId=raw["Id"])
            lists[key] = DomainList(
                raw["Id"],
                raw["Arn"],
                tuple(sorted(normalise_domain(d) for d in domains)),
                _tags(client, raw["Arn"]),
            )
    return lists


def _read_rules(client: Any, group_id: str, lists: dict[str, DomainList]) -> tuple[list[Rule], list[str]]:
    keys_by_id = {domain_list.list_id: key for key, domain_list in lists.items()}
    rules: list[Rule] = []
    foreign: list[str] = []
    for raw in _collect(client.list_firewall_rules, "FirewallRules", FirewallRuleGroupId=group_id):
        key = keys_by_id.get(raw["FirewallDomainListId"])
        if key is None:
            foreign.append(raw["FirewallDomainListId"])
            continue
        rules.append(
            Rule(
                key,
                raw["Name"],
                raw["Priority"],
                raw["Action"],
                raw.get("BlockResponse"),
                raw.get("FirewallDomainRedirectionAction", INSPECT_REDIRECTION),
            )
        )
    return rules, foreign


def describe_firewall(client: Any, name: str) -> FirewallState:
    """The firewall as it is: its domain lists, rule group, rules and associations, found
    by name. Raises FirewallError for duplicates."""
    lists = _read_lists(client, name)
    groups = _collect(client.list_firewall_rule_groups, "FirewallRuleGroups")
    group = _one_by_name(groups, group_name(name), "firewall rule group")
    if group is None:
        return FirewallState(name, lists, None, None, {}, (), (), ())
    rules, foreign = _read_rules(client, group["Id"], lists)
    associations = _collect(
        client.list_firewall_rule_group_associations,
        "FirewallRuleGroupAssociations",
        FirewallRuleGroupId=group["Id"],
    )
    return FirewallState(
        name,
        lists,
        group["Id"],
        group["Arn"],
        _tags(client, group["Arn"]),
        tuple(rules),
        tuple(foreign),
        tuple(
            Association(a["Id"], a["VpcId"], a["Priority"], a["Status"])
            for a in associations
            if a["Status"] != "DELETING"
        ),
    )


# --- planning ------------------------------------------------------------------------


def _wanted_domains(desired: Desired, state: FirewallState, key: str) -> tuple[str, ...] | None:
    """The domains a list must hold; None: leave them as they are (the window's list)."""
    if key == ALLOWED:
        return tuple(sorted(set(desired.allowed_domains)))
    if key == CATCH_ALL:
        return (CATCH_ALL_DOMAIN,)
    return None if key in state.lists else ()


def _plan_lists(state: FirewallState, desired: Desired) -> list[Action]:
    actions = []
    for key in LIST_KEYS:
        name = list_name(state.name, key)
        existing = state.lists.get(key)
        wanted = _wanted_domains(desired, state, key)
        if existing is None:
            actions.append(
                Action("create_list", f"create firewall domain list {name}", {"key": key, "name": name})
            )
        elif not set(desired.tags.items()).issubset(existing.tags.items()):
            actions.append(Action("tag", f"tag firewall domain list {name}", {"key": key}))
        current = existing.domains if existing else ()
        if wanted is not None and tuple(current) != wanted:
            text = ", ".join(wanted) if wanted else "nothing"
            actions.append(
                Action("set_domains", f"set the domains of {name} to {text}", {"key": key, "domains": wanted})
            )
    return actions


def _plan_rules(state: FirewallState, desired: Desired) -> list[Action]:
    actions = []
    group = group_name(state.name)
    for list_id in state.foreign_rules:
        actions.append(
            Action(
                "delete_rule", f"delete the rule of {group} for domain list {list_id}", {"list_id": list_id}
            )
        )
    current = {rule.key: rule for rule in state.rules}
    for rule in desired.rules(state.name):
        if current.get(rule.key) == rule:
            continue
        kind = "update_rule" if rule.key in current else "create_rule"
        verb = "change" if rule.key in current else "add"
        actions.append(Action(kind, f"{verb} rule {rule.describe()} in {group}", {"rule": rule}))
    # A changed priority may collide with a rule not yet moved: move in priority order.
    return sorted(
        actions, key=lambda a: (a.kind != "delete_rule", getattr(a.params.get("rule"), "priority", 0))
    )


def _plan_association(state: FirewallState, desired: Desired) -> list[Action]:
    actions = []
    group = group_name(state.name)
    kept = None
    for association in state.associations:
        if (
            kept is None
            and association.vpc_id == desired.vpc_id
            and (association.priority == desired.association_priority)
        ):
            kept = association
            continue
        actions.append(
            Action(
                "disassociate",
                f"disassociate {group} from {association.vpc_id} (priority {association.priority})",
                {"association_id": association.association_id},
            )
        )
    if kept is None:
        actions.append(
            Action(
                "associate",
                f"associate {group} with {desired.vpc_id} (priority {desired.association_priority})",
                {"vpc_id": desired.vpc_id, "priority": desired.association_priority},
            )
        )
    return actions


def plan_present(state: FirewallState, desired: Desired) -> Plan:
    """The changes that make the firewall exactly `desired` (the maintenance list's
    domains excepted); nothing when it already is."""
    if not MIN_ASSOCIATION_PRIORITY <= desired.association_priority <= MAX_ASSOCIATION_PRIORITY:
        raise FirewallError(
            f"association priority must be between {MIN_ASSOCIATION_PRIORITY} and {MAX_ASSOCIATION_PRIORITY}"
        )
    if desired.block_response not in BLOCK_RESPONSES:
        raise FirewallError(f"block response must be one of {', '.join(BLOCK_RESPONSES)}")
    actions = _plan_lists(state, desired)
    group = group_name(state.name)
    if state.group_id is None:
        actions.append(Action("create_group", f"create firewall rule group {group}", {"name": group}))
    elif not set(desired.tags.items()).issubset(state.group_tags.items()):
        actions.append(Action("tag", f"tag firewall rule group {group}", {"key": GROUP}))
    actions += _plan_rules(state, desired)
    actions += _plan_association(state, desired)
    maintenance = state.lists.get(MAINTENANCE)
    after = {
        "rule_group": group,
        "domain_lists": {
            ALLOWED: sorted(set(desired.allowed_domains)),
            MAINTENANCE: sorted(maintenance.domains) if maintenance else [],
            CATCH_ALL: [CATCH_ALL_DOMAIN],
        },
        "rules": [rule.describe() for rule in desired.rules(state.name)],
        "associations": [f"{desired.vpc_id} (priority {desired.association_priority})"],
    }
    return Plan(state.name, tuple(actions), state.summary(), after)


def plan_absent(state: FirewallState) -> Plan:
    """The changes that remove the firewall: associations, rules, rule group, lists."""
    group = group_name(state.name)
    actions = [
        Action(
            "disassociate",
            f"disassociate {group} from {a.vpc_id} (priority {a.priority})",
            {"association_id": a.association_id},
        )
        for a in state.associations
    ]
    if state.group_id is not None:
        actions += [
            Action(
                "delete_rule",
                f"delete rule {rule.describe()} from {group}",
                {"list_id": state.lists[rule.key].list_id},
            )
            for rule in state.rules
        ]
        actions += [
            Action(
                "delete_rule", f"delete the rule of {group} for domain list {list_id}", {"list_id": list_id}
            )
            for list_id in state.foreign_rules
        ]
        actions.append(Action("delete_group", f"delete firewall rule group {group}", {}))
    for key in LIST_KEYS:
        if key in state.lists:
            name = list_name(state.name, key)
            actions.append(Action("delete_list", f"delete firewall domain list {name}", {"key": key}))
    after = {"rule_group": None, "domain_lists": {}, "rules": [], "associations": []}
    return Plan(state.name, tuple(actions), state.summary(), after)


# --- applying ------------------------------------------------------------------------


def _request_id() -> str:
    return f"privatecast-{uuid.uuid4()}"


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def _wait_disassociated(
    client: Any, association_id: str, timeout: float, sleep: Callable[[float], None]
) -> None:
    """AWS removes an association asynchronously; a rule group can be deleted only after."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.get_firewall_rule_group_association(FirewallRuleGroupAssociationId=association_id)
        except Exception as error:
            if _error_code(error) == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > deadline:
            raise FirewallError(f"association {association_id} still exists after {timeout:.0f} s")
        sleep(5)


def _rule_params(rule: Rule) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Name": rule.name,
        "Priority": rule.priority,
        "Action": rule.action,
        "FirewallDomainRedirectionAction": rule.redirection,
    }
    if rule.block_response:
        params["BlockResponse"] = rule.block_response
    return params


class _Applier:
    """Runs actions in order; ids of resources made earlier in the plan are found in
    `result.ids` (by list key or GROUP)."""

    def __init__(
        self, client: Any, state: FirewallState, desired: Desired | None, sleep: Callable[[float], None]
    ):
        self.client = client
        self.name = state.name
        self.desired = desired
        self.sleep = sleep
        self.result = ApplyResult()
        self.arns: dict[str, str] = {key: value.arn for key, value in state.lists.items()}
        self.result.ids.update({key: value.list_id for key, value in state.lists.items()})
        if state.group_id and state.group_arn:
            self.result.ids[GROUP] = state.group_id
            self.arns[GROUP] = state.group_arn

    @property
    def tags(self) -> list[dict[str, str]]:
        return _tag_list(self.desired.tags if self.desired else {})

    def run(self, action: Action) -> None:
        getattr(self, f"_{action.kind}")(action.params)

    def _create_list(self, params: dict[str, Any]) -> None:
        created = self.client.create_firewall_domain_list(
            CreatorRequestId=_request_id(), Name=params["name"], Tags=self.tags
        )["FirewallDomainList"]
        self.result.ids[params["key"]] = created["Id"]
        self.arns[params["key"]] = created["Arn"]

    def _tag(self, params: dict[str, Any]) -> None:
        self.client.tag_resource(ResourceArn=self.arns[params["key"]], Tags=self.tags)

    def _set_domains(self, params: dict[str, Any]) -> None:
        list_id = self.result.ids[params["key"]]
        if params["domains"]:
            self.client.update_firewall_domains(
                FirewallDomainListId=list_id, Operation="REPLACE", Domains=list(params["domains"])
            )
            return
        current = _collect(self.client.list_firewall_domains, "Domains", FirewallDomainListId=list_id)
        if current:
            self.client.update_firewall_domains(
                FirewallDomainListId=list_id, Operation="REMOVE", Domains=current
            )

    def _create_group(self, params: dict[str, Any]) -> None:
        created = self.client.create_firewall_rule_group(
            CreatorRequestId=_request_id(), Name=params["name"], Tags=self.tags
        )["FirewallRuleGroup"]
        self.result.ids[GROUP] = created["Id"]
        self.arns[GROUP] = created["Arn"]

    def _create_rule(self, params: dict[str, Any]) -> None:
        rule: Rule = params["rule"]
        self.client.create_firewall_rule(
            CreatorRequestId=_request_id(),
            FirewallRuleGroupId=self.result.ids[GROUP],
            FirewallDomainListId=self.result.ids[rule.key],
            **_rule_params(rule),
        )

    def _update_rule(self, params: dict[str, Any]) -> None:
        rule: Rule = params["rule"]
        self.client.update_firewall_rule(
            FirewallRuleGroupId=self.result.ids[GROUP],
            FirewallDomainListId=self.result.ids[rule.key],
            **_rule_params(rule),
        )

    def _delete_rule(self, params: dict[str, Any]) -> None:
        self.client.delete_firewall_rule(
            FirewallRuleGroupId=self.result.ids[GROUP], FirewallDomainListId=params["list_id"]
        )

    def _associate(self, params: dict[str, Any]) -> None:
        created = self.client.associate_firewall_rule_group(
            CreatorRequestId=_request_id(),
            FirewallRuleGroupId=self.result.ids[GROUP],
            VpcId=params["vpc_id"],
            Priority=params["priority"],
            Name=group_name(self.name),
            MutationProtection="DISABLED",
            Tags=self.tags,
        )["FirewallRuleGroupAssociation"]
        self.result.ids["association"] = created["Id"]

    def _disassociate(self, params: dict[str, Any]) -> None:
        self.client.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=params["association_id"])
        _wait_disassociated(self.client, params["association_id"], DISASSOCIATE_TIMEOUT, self.sleep)

    def _delete_group(self, params: dict[str, Any]) -> None:
        self.client.delete_firewall_rule_group(FirewallRuleGroupId=self.result.ids.pop(GROUP))

    def _delete_list(self, params: dict[str, Any]) -> None:
        self.client.delete_firewall_domain_list(FirewallDomainListId=self.result.ids.pop(params["key"]))


def apply_plan(
    client: Any,
    state: FirewallState,
    plan: Plan,
    desired: Desired | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyResult:
    """Runs the plan's actions in order; on an error the message names what was done."""
    applier = _Applier(client, state, desired, sleep)
    for action in plan.actions:
        try:
            applier.run(action)
        except Exception as error:
            done = "; ".join(applier.result.done) or "nothing"
            raise FirewallError(f"failed to {action.description}: {error} (done before: {done})") from error
        applier.result.done.append(action.description)
    return applier.result
