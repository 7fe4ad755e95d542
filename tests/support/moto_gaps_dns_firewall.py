"""Fills moto 5.2.5's missing Route 53 Resolver DNS Firewall API, as AWS documents it.
Tests only: product code makes the real AWS calls and never works around moto.

Gap: moto's route53resolver backend implements resolver endpoints, rules, query logging
and DNSSEC, but none of the firewall calls (each answers "not yet implemented"), and its
TagResource / ListTagsForResource refuse every ARN that is not an endpoint's or a rule's.
Filled here, with AWS's checks that the collection's module meets:

- CreateFirewallDomainList, GetFirewallDomainList, ListFirewallDomainLists,
  UpdateFirewallDomains (``ADD``/``REMOVE``/``REPLACE``), ListFirewallDomains,
  DeleteFirewallDomainList (``ConflictException`` while a rule uses the list).
- CreateFirewallRuleGroup, GetFirewallRuleGroup, ListFirewallRuleGroups,
  DeleteFirewallRuleGroup (``ConflictException`` while associated with a VPC).
- CreateFirewallRule (one rule per domain list and a priority of its own in a group;
  ``BlockResponse`` required for ``BLOCK``), ListFirewallRules, UpdateFirewallRule,
  DeleteFirewallRule; ``FirewallDomainRedirectionAction`` defaults to
  ``INSPECT_REDIRECTION_DOMAIN``.
- AssociateFirewallRuleGroup (the VPC must exist; one association per rule group and
  VPC, one priority per VPC, priority 100-9900), GetFirewallRuleGroupAssociation,
  ListFirewallRuleGroupAssociations, DisassociateFirewallRuleGroup.
- Tags given on creation, and TagResource / UntagResource / ListTagsForResource on the
  firewall ARNs.

AWS applies domain list updates and (dis)associations asynchronously (statuses
``UPDATING``, ``CREATING``, ``DELETING``); here each is done at once and reads
``COMPLETE``, and a disassociated association is gone. Lists are answered in one page.
Registered from tests.support.moto_gaps.apply(). Remove this module once moto
implements the API.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random
from moto.route53resolver.exceptions import ResourceNotFoundException
from moto.route53resolver.models import Route53ResolverBackend
from moto.route53resolver.responses import Route53ResolverResponse

STORE = "privatecast_dns_firewall"
FIREWALL_ARN_PART = ":firewall-"
DOMAIN_LIST_OPERATIONS = ("ADD", "REMOVE", "REPLACE")
ACTIONS = ("ALLOW", "BLOCK", "ALERT")
BLOCK_RESPONSES = ("NODATA", "NXDOMAIN", "OVERRIDE")
UPDATABLE_RULE_FIELDS = (
    "Name",
    "Priority",
    "Action",
    "BlockResponse",
    "BlockOverrideDomain",
    "BlockOverrideDnsType",
    "BlockOverrideTtl",
    "FirewallDomainRedirectionAction",
    "Qtype",
)
MIN_ASSOCIATION_PRIORITY = 100
MAX_ASSOCIATION_PRIORITY = 9900


class ConflictException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


class ValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


def _store(backend: Route53ResolverBackend) -> dict[str, dict[str, Any]]:
    """The backend's firewall resources; kept on the backend so /moto-api/reset clears them."""
    if not hasattr(backend, STORE):
        setattr(backend, STORE, {"lists": {}, "groups": {}, "rules": {}, "associations": {}})
    return getattr(backend, STORE)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _new_id(prefix: str) -> str:
    return f"rslvr-{prefix}-{mock_random.get_random_hex(17)}"


def _arn(backend: Route53ResolverBackend, kind: str, resource_id: str) -> str:
    return f"arn:aws:route53resolver:{backend.region_name}:{backend.account_id}:{kind}/{resource_id}"


def _existing(items: dict[str, dict[str, Any]], key: Any, what: str) -> dict[str, Any]:
    if key not in items:
        raise ResourceNotFoundException(f"{what} '{key}' does not exist.")
    return items[key]


def _tag(backend: Route53ResolverBackend, arn: str, tags: list[dict[str, str]] | None) -> None:
    if tags:
        backend.tagger.tag_resource(arn, tags)


def _normalised(domain: str) -> str:
    """AWS stores a domain with its trailing dot and answers it so."""
    domain = domain.strip().lower()
    if not domain or len(domain) > 255 or "*" in domain[1:]:
        raise ValidationException(f"Invalid domain name: '{domain}'.")
    return domain if domain.endswith(".") else f"{domain}."


def _params(response: Route53ResolverResponse) -> dict[str, Any]:
    return json.loads(response.body or "{}")


def _list_view(item: dict[str, Any]) -> dict[str, Any]:
    public = {key: value for key, value in item.items() if key != "Domains"}
    public["DomainCount"] = len(item["Domains"])
    return public


def create_firewall_domain_list(self: Route53ResolverResponse) -> str:
    params = _params(self)
    backend = self.route53resolver_backend
    lists = _store(backend)["lists"]
    for item in lists.values():
        if item["CreatorRequestId"] == params["CreatorRequestId"]:
            return json.dumps({"FirewallDomainList": _list_view(item)})
    list_id = _new_id("fdl")
    now = _now()
    lists[list_id] = {
        "Id": list_id,
        "Arn": _arn(backend, "firewall-domain-list", list_id),
        "Name": params["Name"],
        "Status": "COMPLETE",
        "StatusMessage": "Created Firewall Domain List",
        "CreatorRequestId": params["CreatorRequestId"],
        "CreationTime": now,
        "ModificationTime": now,
        "Domains": [],
    }
    _tag(backend, lists[list_id]["Arn"], params.get("Tags"))
    return json.dumps({"FirewallDomainList": _list_view(lists[list_id])})


def get_firewall_domain_list(self: Route53ResolverResponse) -> str:
    lists = _store(self.route53resolver_backend)["lists"]
    item = _existing(lists, _params(self)["FirewallDomainListId"], "Firewall domain list")
    return json.dumps({"FirewallDomainList": _list_view(item)})


def list_firewall_domain_lists(self: Route53ResolverResponse) -> str:
    lists = _store(self.route53resolver_backend)["lists"].values()
    keys = ("Id", "Arn", "Name", "CreatorRequestId")
    return json.dumps({"FirewallDomainLists": [{key: item[key] for key in keys} for item in lists]})


def update_firewall_domains(self: Route53ResolverResponse) -> str:
    params = _params(self)
    item = _existing(
        _store(self.route53resolver_backend)["lists"], params["FirewallDomainListId"], "Firewall domain list"
    )
    operation = params["Operation"]
    if operation not in DOMAIN_LIST_OPERATIONS:
        raise ValidationException(f"Operation must be one of {', '.join(DOMAIN_LIST_OPERATIONS)}.")
    domains = [_normalised(domain) for domain in params["Domains"]]
    if operation == "REPLACE":
        item["Domains"] = sorted(set(domains))
    elif operation == "ADD":
        item["Domains"] = sorted(set(item["Domains"]) | set(domains))
    else:
        item["Domains"] = sorted(set(item["Domains"]) - set(domains))
    item["ModificationTime"] = _now()
    return json.dumps(
        {"Id": item["Id"], "Name": item["Name"], "Status": "COMPLETE", "StatusMessage": "Updated"}
    )


def list_firewall_domains(self: Route53ResolverResponse) -> str:
    lists = _store(self.route53resolver_backend)["lists"]
    item = _existing(lists, _params(self)["FirewallDomainListId"], "Firewall domain list")
    return json.dumps({"Domains": item["Domains"]})


def delete_firewall_domain_list(self: Route53ResolverResponse) -> str:
    store = _store(self.route53resolver_backend)
    list_id = _params(self)["FirewallDomainListId"]
    item = _existing(store["lists"], list_id, "Firewall domain list")
    if any(rule["FirewallDomainListId"] == list_id for rule in store["rules"].values()):
        raise ConflictException(f"Firewall domain list '{list_id}' is used by a firewall rule.")
    del store["lists"][list_id]
    return json.dumps({"FirewallDomainList": {**_list_view(item), "Status": "DELETING"}})


def _group_view(store: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
    rules = [key for key in store["rules"] if key[0] == group["Id"]]
    return {**group, "RuleCount": len(rules)}


def create_firewall_rule_group(self: Route53ResolverResponse) -> str:
    params = _params(self)
    backend = self.route53resolver_backend
    store = _store(backend)
    for group in store["groups"].values():
        if group["CreatorRequestId"] == params["CreatorRequestId"]:
            return json.dumps({"FirewallRuleGroup": _group_view(store, group)})
    group_id = _new_id("frg")
    now = _now()
    store["groups"][group_id] = {
        "Id": group_id,
        "Arn": _arn(backend, "firewall-rule-group", group_id),
        "Name": params["Name"],
        "Status": "COMPLETE",
        "StatusMessage": "Created Firewall Rule Group",
        "OwnerId": backend.account_id,
        "CreatorRequestId": params["CreatorRequestId"],
        "ShareStatus": "NOT_SHARED",
        "CreationTime": now,
        "ModificationTime": now,
    }
    _tag(backend, store["groups"][group_id]["Arn"], params.get("Tags"))
    return json.dumps({"FirewallRuleGroup": _group_view(store, store["groups"][group_id])})


def get_firewall_rule_group(self: Route53ResolverResponse) -> str:
    store = _store(self.route53resolver_backend)
    group = _existing(store["groups"], _params(self)["FirewallRuleGroupId"], "Firewall rule group")
    return json.dumps({"FirewallRuleGroup": _group_view(store, group)})


def list_firewall_rule_groups(self: Route53ResolverResponse) -> str:
    groups = _store(self.route53resolver_backend)["groups"].values()
    keys = ("Id", "Arn", "Name", "OwnerId", "CreatorRequestId", "ShareStatus")
    return json.dumps({"FirewallRuleGroups": [{key: group[key] for key in keys} for group in groups]})


def delete_firewall_rule_group(self: Route53ResolverResponse) -> str:
    store = _store(self.route53resolver_backend)
    group_id = _params(self)["FirewallRuleGroupId"]
    group = _existing(store["groups"], group_id, "Firewall rule group")
    if any(a["FirewallRuleGroupId"] == group_id for a in store["associations"].values()):
        raise ConflictException(f"Firewall rule group '{group_id}' is associated with a VPC.")
    view = _group_view(store, group)
    for key in [key for key in store["rules"] if key[0] == group_id]:
        del store["rules"][key]
    del store["groups"][group_id]
    return json.dumps({"FirewallRuleGroup": {**view, "Status": "DELETING"}})


def _check_rule(rule: dict[str, Any]) -> None:
    if rule["Action"] not in ACTIONS:
        raise ValidationException(f"Action must be one of {', '.join(ACTIONS)}.")
    if rule["Action"] == "BLOCK" and rule.get("BlockResponse") not in BLOCK_RESPONSES:
        raise ValidationException("BlockResponse is required (NODATA, NXDOMAIN or OVERRIDE) for BLOCK.")


def _check_priority_free(store: dict[str, Any], key: tuple[str, str], priority: int) -> None:
    for other_key, other in store["rules"].items():
        if other_key[0] == key[0] and other_key != key and other["Priority"] == priority:
            raise ConflictException(f"A rule of firewall rule group '{key[0]}' has priority {priority}.")


def create_firewall_rule(self: Route53ResolverResponse) -> str:
    params = _params(self)
    store = _store(self.route53resolver_backend)
    _existing(store["groups"], params["FirewallRuleGroupId"], "Firewall rule group")
    _existing(store["lists"], params["FirewallDomainListId"], "Firewall domain list")
    key = (params["FirewallRuleGroupId"], params["FirewallDomainListId"])
    if key in store["rules"]:
        raise ConflictException(f"The firewall rule group already has a rule for domain list '{key[1]}'.")
    _check_rule(params)
    _check_priority_free(store, key, params["Priority"])
    now = _now()
    rule = {
        "FirewallRuleGroupId": key[0],
        "FirewallDomainListId": key[1],
        "Name": params["Name"],
        "Priority": params["Priority"],
        "Action": params["Action"],
        "FirewallDomainRedirectionAction": params.get(
            "FirewallDomainRedirectionAction", "INSPECT_REDIRECTION_DOMAIN"
        ),
        "CreatorRequestId": params["CreatorRequestId"],
        "CreationTime": now,
        "ModificationTime": now,
    }
    rule.update({name: params[name] for name in UPDATABLE_RULE_FIELDS[3:] if name in params})
    store["rules"][key] = rule
    return json.dumps({"FirewallRule": rule})


def list_firewall_rules(self: Route53ResolverResponse) -> str:
    store = _store(self.route53resolver_backend)
    group_id = _params(self)["FirewallRuleGroupId"]
    _existing(store["groups"], group_id, "Firewall rule group")
    rules = [rule for key, rule in store["rules"].items() if key[0] == group_id]
    return json.dumps({"FirewallRules": sorted(rules, key=lambda rule: rule["Priority"])})


def update_firewall_rule(self: Route53ResolverResponse) -> str:
    params = _params(self)
    store = _store(self.route53resolver_backend)
    key = (params["FirewallRuleGroupId"], params["FirewallDomainListId"])
    rule = _existing(store["rules"], key, "Firewall rule")
    changes = {name: value for name, value in params.items() if name in UPDATABLE_RULE_FIELDS}
    updated = {**rule, **changes, "ModificationTime": _now()}
    _check_rule(updated)
    _check_priority_free(store, key, updated["Priority"])
    store["rules"][key] = updated
    return json.dumps({"FirewallRule": updated})


def delete_firewall_rule(self: Route53ResolverResponse) -> str:
    params = _params(self)
    store = _store(self.route53resolver_backend)
    key = (params["FirewallRuleGroupId"], params["FirewallDomainListId"])
    rule = _existing(store["rules"], key, "Firewall rule")
    del store["rules"][key]
    return json.dumps({"FirewallRule": rule})


def associate_firewall_rule_group(self: Route53ResolverResponse) -> str:
    params = _params(self)
    backend = self.route53resolver_backend
    store = _store(backend)
    _existing(store["groups"], params["FirewallRuleGroupId"], "Firewall rule group")
    backend.ec2_backend.get_vpc(params["VpcId"])
    priority = params["Priority"]
    if not MIN_ASSOCIATION_PRIORITY <= priority <= MAX_ASSOCIATION_PRIORITY:
        raise ValidationException(
            f"Priority must be between {MIN_ASSOCIATION_PRIORITY} and {MAX_ASSOCIATION_PRIORITY}."
        )
    for other in store["associations"].values():
        if (
            other["VpcId"] == params["VpcId"]
            and other["FirewallRuleGroupId"] == params["FirewallRuleGroupId"]
        ):
            raise ConflictException("The firewall rule group is already associated with this VPC.")
        if other["VpcId"] == params["VpcId"] and other["Priority"] == priority:
            raise ConflictException(f"Another rule group association of the VPC has priority {priority}.")
    association_id = _new_id("frgassoc")
    now = _now()
    association = {
        "Id": association_id,
        "Arn": _arn(backend, "firewall-rule-group-association", association_id),
        "FirewallRuleGroupId": params["FirewallRuleGroupId"],
        "VpcId": params["VpcId"],
        "Name": params["Name"],
        "Priority": priority,
        "MutationProtection": params.get("MutationProtection", "DISABLED"),
        "Status": "COMPLETE",
        "StatusMessage": "Creating Firewall Rule Group Association",
        "CreatorRequestId": params["CreatorRequestId"],
        "CreationTime": now,
        "ModificationTime": now,
    }
    store["associations"][association_id] = association
    _tag(backend, association["Arn"], params.get("Tags"))
    return json.dumps({"FirewallRuleGroupAssociation": association})


def get_firewall_rule_group_association(self: Route53ResolverResponse) -> str:
    store = _store(self.route53resolver_backend)
    association = _existing(
        store["associations"],
        _params(self)["FirewallRuleGroupAssociationId"],
        "Firewall rule group association",
    )
    return json.dumps({"FirewallRuleGroupAssociation": association})


def list_firewall_rule_group_associations(self: Route53ResolverResponse) -> str:
    params = _params(self)
    found = [
        association
        for association in _store(self.route53resolver_backend)["associations"].values()
        if all(
            params.get(key) in (None, association[key])
            for key in ("FirewallRuleGroupId", "VpcId", "Priority", "Status")
        )
    ]
    return json.dumps({"FirewallRuleGroupAssociations": found})


def disassociate_firewall_rule_group(self: Route53ResolverResponse) -> str:
    store = _store(self.route53resolver_backend)
    association_id = _params(self)["FirewallRuleGroupAssociationId"]
    association = _existing(store["associations"], association_id, "Firewall rule group association")
    if association["MutationProtection"] == "ENABLED":
        raise ConflictException("The association has mutation protection enabled.")
    del store["associations"][association_id]
    return json.dumps({"FirewallRuleGroupAssociation": {**association, "Status": "DELETING"}})


def _wrap_matched_arn(original):
    def matched_arn(self: Route53ResolverBackend, resource_arn: str) -> None:
        if FIREWALL_ARN_PART in resource_arn:
            store = _store(self)
            kinds = ("lists", "groups", "associations")
            if any(item["Arn"] == resource_arn for kind in kinds for item in store[kind].values()):
                return
            raise ResourceNotFoundException(f"Resource '{resource_arn}' does not exist.")
        original(self, resource_arn)

    matched_arn.patched_by_privatecast = True
    return matched_arn


HANDLERS = (
    create_firewall_domain_list,
    get_firewall_domain_list,
    list_firewall_domain_lists,
    update_firewall_domains,
    list_firewall_domains,
    delete_firewall_domain_list,
    create_firewall_rule_group,
    get_firewall_rule_group,
    list_firewall_rule_groups,
    delete_firewall_rule_group,
    create_firewall_rule,
    list_firewall_rules,
    update_firewall_rule,
    delete_firewall_rule,
    associate_firewall_rule_group,
    get_firewall_rule_group_association,
    list_firewall_rule_group_associations,
    disassociate_firewall_rule_group,
)


def apply() -> None:
    for handler in HANDLERS:
        setattr(Route53ResolverResponse, handler.__name__, handler)
    original = Route53ResolverBackend._matched_arn
    if not getattr(original, "patched_by_privatecast", False):
        Route53ResolverBackend._matched_arn = _wrap_matched_arn(original)
