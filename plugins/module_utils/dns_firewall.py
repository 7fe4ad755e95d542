# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect, plan and apply a privatecast stack's Route 53 Resolver DNS Firewall.

Describe, plan, apply (module_utils/plan.py): every AWS call goes through the boto3-style
route53resolver client the caller hands in (the module's retries each call,
retrying_client.py); the maintenance window's code uses the same names (its list).

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
from typing import Any, ClassVar

from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    apply_actions,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.tags import tag_list, tags_to_add

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


# --- reading -------------------------------------------------------------------------


def _one_by_name(items: list[dict[str, Any]], name: str, what: str) -> dict[str, Any] | None:
    found = [item for item in items if item.get("Name") == name and not item.get("ManagedOwnerName")]
    if len(found) > 1:
        ids = ", ".join(sorted(item["Id"] for item in found))
        raise FirewallError(f"found {len(found)} {what}s named {name} where the stack has one: {ids}")
    return found[0] if found else None


def _tags(client: Any, arn: str) -> dict[str, str]:
    tags = paginate(client, "list_tags_for_resource", "Tags", ResourceArn=arn)
    return {tag["Key"]: tag["Value"] for tag in tags}


def _read_lists(client: Any, name: str) -> dict[str, DomainList]:
    all_lists = paginate(client, "list_firewall_domain_lists", "FirewallDomainLists")
    lists = {}
    for key in LIST_KEYS:
        raw = _one_by_name(all_lists, list_name(name, key), "firewall domain list")
        if raw is not None:
            domains = paginate(client, "list_firewall_domains", "Domains", FirewallDomainListId=raw["Id"])
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
    for raw in paginate(client, "list_firewall_rules", "FirewallRules", FirewallRuleGroupId=group_id):
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
    groups = paginate(client, "list_firewall_rule_groups", "FirewallRuleGroups")
    group = _one_by_name(groups, group_name(name), "firewall rule group")
    if group is None:
        return FirewallState(name, lists, None, None, {}, (), (), ())
    rules, foreign = _read_rules(client, group["Id"], lists)
    associations = paginate(
        client,
        "list_firewall_rule_group_associations",
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


# --- actions -------------------------------------------------------------------------


class _Applier:
    """The client, the tags new resources get, and the ids and ARNs of the lists and the
    group (by list key or GROUP), those found and those made earlier in the plan."""

    def __init__(
        self,
        client: Any,
        state: FirewallState,
        desired: Desired | None,
        sleep: Callable[[float], None],
        result: ApplyResult,
    ) -> None:
        self.client = client
        self.name = state.name
        self.tags = tag_list(desired.tags if desired else {})
        self.sleep = sleep
        self.ids: dict[str, str] = result.values
        self.arns: dict[str, str] = {key: value.arn for key, value in state.lists.items()}
        self.ids.update({key: value.list_id for key, value in state.lists.items()})
        if state.group_id and state.group_arn:
            self.ids[GROUP] = state.group_id
            self.arns[GROUP] = state.group_arn


@dataclass(frozen=True)
class CreateList(Action):
    kind: ClassVar[str] = "create_list"
    description: str
    key: str
    name: str

    def apply(self, applier: _Applier) -> None:
        created = applier.client.create_firewall_domain_list(
            CreatorRequestId=_request_id(), Name=self.name, Tags=applier.tags
        )["FirewallDomainList"]
        applier.ids[self.key] = created["Id"]
        applier.arns[self.key] = created["Arn"]


@dataclass(frozen=True)
class Tag(Action):
    """Add tags to a list or the group (by key); the firewall's tags are never purged."""

    kind: ClassVar[str] = "tag"
    description: str
    key: str
    tags: dict[str, str]

    def apply(self, applier: _Applier) -> None:
        applier.client.tag_resource(ResourceArn=applier.arns[self.key], Tags=tag_list(self.tags))


@dataclass(frozen=True)
class SetDomains(Action):
    kind: ClassVar[str] = "set_domains"
    description: str
    key: str
    domains: tuple[str, ...]
    before: tuple[str, ...] = ()

    def apply(self, applier: _Applier) -> None:
        list_id = applier.ids[self.key]
        client = applier.client
        if self.domains:
            client.update_firewall_domains(
                FirewallDomainListId=list_id, Operation="REPLACE", Domains=list(self.domains)
            )
            return
        current = paginate(client, "list_firewall_domains", "Domains", FirewallDomainListId=list_id)
        if current:
            client.update_firewall_domains(FirewallDomainListId=list_id, Operation="REMOVE", Domains=current)


@dataclass(frozen=True)
class CreateGroup(Action):
    kind: ClassVar[str] = "create_group"
    description: str
    name: str

    def apply(self, applier: _Applier) -> None:
        created = applier.client.create_firewall_rule_group(
            CreatorRequestId=_request_id(), Name=self.name, Tags=applier.tags
        )["FirewallRuleGroup"]
        applier.ids[GROUP] = created["Id"]
        applier.arns[GROUP] = created["Arn"]


@dataclass(frozen=True)
class CreateRule(Action):
    kind: ClassVar[str] = "create_rule"
    description: str
    rule: Rule

    def apply(self, applier: _Applier) -> None:
        applier.client.create_firewall_rule(
            CreatorRequestId=_request_id(),
            FirewallRuleGroupId=applier.ids[GROUP],
            FirewallDomainListId=applier.ids[self.rule.key],
            **_rule_params(self.rule),
        )


@dataclass(frozen=True)
class UpdateRule(Action):
    kind: ClassVar[str] = "update_rule"
    description: str
    rule: Rule
    before: Rule | None = None

    def apply(self, applier: _Applier) -> None:
        applier.client.update_firewall_rule(
            FirewallRuleGroupId=applier.ids[GROUP],
            FirewallDomainListId=applier.ids[self.rule.key],
            **_rule_params(self.rule),
        )


@dataclass(frozen=True)
class DeleteRule(Action):
    kind: ClassVar[str] = "delete_rule"
    description: str
    list_id: str

    def apply(self, applier: _Applier) -> None:
        applier.client.delete_firewall_rule(
            FirewallRuleGroupId=applier.ids[GROUP], FirewallDomainListId=self.list_id
        )


@dataclass(frozen=True)
class Associate(Action):
    kind: ClassVar[str] = "associate"
    description: str
    vpc_id: str
    priority: int

    def apply(self, applier: _Applier) -> None:
        created = applier.client.associate_firewall_rule_group(
            CreatorRequestId=_request_id(),
            FirewallRuleGroupId=applier.ids[GROUP],
            VpcId=self.vpc_id,
            Priority=self.priority,
            Name=group_name(applier.name),
            MutationProtection="DISABLED",
            Tags=applier.tags,
        )["FirewallRuleGroupAssociation"]
        applier.ids["association"] = created["Id"]


@dataclass(frozen=True)
class Disassociate(Action):
    kind: ClassVar[str] = "disassociate"
    description: str
    association_id: str

    def apply(self, applier: _Applier) -> None:
        applier.client.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=self.association_id)
        _wait_disassociated(applier.client, self.association_id, DISASSOCIATE_TIMEOUT, applier.sleep)


@dataclass(frozen=True)
class DeleteGroup(Action):
    kind: ClassVar[str] = "delete_group"
    description: str

    def apply(self, applier: _Applier) -> None:
        applier.client.delete_firewall_rule_group(FirewallRuleGroupId=applier.ids.pop(GROUP))


@dataclass(frozen=True)
class DeleteList(Action):
    kind: ClassVar[str] = "delete_list"
    description: str
    key: str

    def apply(self, applier: _Applier) -> None:
        applier.client.delete_firewall_domain_list(FirewallDomainListId=applier.ids.pop(self.key))


# --- planning ------------------------------------------------------------------------


def _wanted_domains(desired: Desired, state: FirewallState, key: str) -> tuple[str, ...] | None:
    """The domains a list must hold; None: leave them as they are (the window's list)."""
    if key == ALLOWED:
        return tuple(sorted(set(desired.allowed_domains)))
    if key == CATCH_ALL:
        return (CATCH_ALL_DOMAIN,)
    return None if key in state.lists else ()


def _tag_action(what: str, key: str, current: dict[str, str], wanted: dict[str, str]) -> list[Action]:
    to_set = tags_to_add(current, wanted)
    return [Tag(f"tag {what}", key, to_set)] if to_set else []


def _plan_lists(state: FirewallState, desired: Desired) -> list[Action]:
    actions: list[Action] = []
    for key in LIST_KEYS:
        name = list_name(state.name, key)
        existing = state.lists.get(key)
        wanted = _wanted_domains(desired, state, key)
        if existing is None:
            actions.append(CreateList(f"create firewall domain list {name}", key, name))
        else:
            actions += _tag_action(f"firewall domain list {name}", key, existing.tags, desired.tags)
        current = existing.domains if existing else ()
        if wanted is not None and tuple(current) != wanted:
            text = ", ".join(wanted) if wanted else "nothing"
            actions.append(SetDomains(f"set the domains of {name} to {text}", key, wanted, before=current))
    return actions


def _rule_order(action: Action) -> tuple[bool, int]:
    """Deletions first, then by the rule's priority."""
    rule = getattr(action, "rule", None)
    return (not isinstance(action, DeleteRule), rule.priority if rule else 0)


def _plan_rules(state: FirewallState, desired: Desired) -> list[Action]:
    actions: list[Action] = []
    group = group_name(state.name)
    for list_id in state.foreign_rules:
        actions.append(DeleteRule(f"delete the rule of {group} for domain list {list_id}", list_id))
    current = {rule.key: rule for rule in state.rules}
    for rule in desired.rules(state.name):
        existing = current.get(rule.key)
        if existing == rule:
            continue
        if existing is not None:
            actions.append(UpdateRule(f"change rule {rule.describe()} in {group}", rule, before=existing))
        else:
            actions.append(CreateRule(f"add rule {rule.describe()} in {group}", rule))
    # A changed priority may collide with a rule not yet moved: move in priority order.
    return sorted(actions, key=_rule_order)


def _disassociate(group: str, association: Association) -> Action:
    return Disassociate(
        f"disassociate {group} from {association.vpc_id} (priority {association.priority})",
        association.association_id,
    )


def _plan_association(state: FirewallState, desired: Desired) -> list[Action]:
    actions: list[Action] = []
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
        actions.append(_disassociate(group, association))
    if kept is None:
        actions.append(
            Associate(
                f"associate {group} with {desired.vpc_id} (priority {desired.association_priority})",
                desired.vpc_id,
                desired.association_priority,
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
        actions.append(CreateGroup(f"create firewall rule group {group}", group))
    else:
        actions += _tag_action(f"firewall rule group {group}", GROUP, state.group_tags, desired.tags)
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
    actions = [_disassociate(group, a) for a in state.associations]
    if state.group_id is not None:
        actions += [
            DeleteRule(f"delete rule {rule.describe()} from {group}", state.lists[rule.key].list_id)
            for rule in state.rules
        ]
        actions += [
            DeleteRule(f"delete the rule of {group} for domain list {list_id}", list_id)
            for list_id in state.foreign_rules
        ]
        actions.append(DeleteGroup(f"delete firewall rule group {group}"))
    for key in LIST_KEYS:
        if key in state.lists:
            actions.append(DeleteList(f"delete firewall domain list {list_name(state.name, key)}", key))
    after = {"rule_group": None, "domain_lists": {}, "rules": [], "associations": []}
    return Plan(state.name, tuple(actions), state.summary(), after)


# --- applying ------------------------------------------------------------------------


def _request_id() -> str:
    return f"privatecast-{uuid.uuid4()}"


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


def apply_plan(
    client: Any,
    state: FirewallState,
    plan: Plan,
    desired: Desired | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyResult:
    """Runs the plan's actions in order; on an error the message names what was done.
    The result's values are the ids of the lists and the group (by key or GROUP)."""
    result = ApplyResult()
    apply_actions(plan.actions, _Applier(client, state, desired, sleep, result), result, FirewallError)
    return result
