"""A small IAM policy evaluator for tests: does an identity policy allow one request?

It follows the IAM User Guide's "Policy evaluation logic" and "IAM JSON policy elements:
Condition operators" for the parts the collection's policies use, and refuses loudly
(UnsupportedPolicy) whatever it does not implement, so a test can never pass because
the evaluator skipped a rule:

- Effect Allow/Deny: an explicit Deny wins, then an Allow; otherwise the request is
  implicitly denied.
- Action / NotAction: case-insensitive, with the wildcards `*` and `?`.
- Resource / NotResource: case-sensitive, `*` and `?` (`*` also matches `/` and `:`).
- Condition: every operator, and every key under it, must hold (AND); the values listed
  for one key are alternatives (OR), and for a negated operator (StringNotEquals, ...)
  the request's value must match none of them. Key names are case-insensitive.
  Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringLike,
  StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool, Null, each (but
  Null) also with the IfExists suffix, and the ForAnyValue: / ForAllValues: set
  qualifiers for keys with several values.
- A key missing from the request: a positive operator does not hold, a negated one
  holds, ...IfExists holds, ForAllValues holds and ForAnyValue does not; Null "true"
  holds only for a missing key.
- Policy variables (`${...}`) are refused, not expanded.

A request is one action on one resource with its context keys (the resource's tags as
`aws:ResourceTag/<key>`, `aws:SourceVpce`, `s3:prefix`, ...). An AWS call that names
several resources (EC2's ModifyInstanceAttribute names the instance and every security
group it sets) is allowed only when each of its requests is: `allows_all`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

ContextValue = str | list[str]


class UnsupportedPolicy(ValueError):
    """A policy element or operator this evaluator does not implement."""


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def value(self, key: str) -> ContextValue | None:
        """The context value of `key` (key names are case-insensitive), None when absent."""
        for name, value in self.context.items():
            if name.lower() == key.lower():
                return value
        return None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _wildcard_regex(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise UnsupportedPolicy(f"policy variables are not implemented: {pattern!r}")
    parts = [".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*` matches any run of characters (`/` and `:` included), `?` exactly one."""
    return _wildcard_regex(pattern, ignore_case=ignore_case).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: the six colon-separated parts match one by one (the last part,
    the resource, may itself hold colons)."""
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _string_equals(expected: str, actual: str) -> bool:
    if "${" in expected:
        raise UnsupportedPolicy(f"policy variables are not implemented: {expected!r}")
    return expected == actual


def _bool_equals(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


# operator -> (compare(policy value, request value), negated)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), False),
    "StringLike": (wildcard_match, False),
    "StringNotLike": (wildcard_match, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool_equals, False),
}


def _split_operator(operator: str) -> tuple[str | None, str, bool]:
    """(set qualifier or None, base operator, IfExists)."""
    qualifier = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            qualifier, operator = prefix[:-1], operator[len(prefix) :]
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    return qualifier, operator, if_exists


def _single_value_holds(
    compare: Callable[[str, str], bool], negated: bool, expected: list[str], actual: str
) -> bool:
    matched = any(compare(str(item), actual) for item in expected)
    return not matched if negated else matched


def _missing_key_holds(qualifier: str | None, *, negated: bool, if_exists: bool) -> bool:
    if qualifier == "ForAllValues":
        return True
    if qualifier == "ForAnyValue":
        return False
    return if_exists or negated


def _key_holds(operator: str, expected_raw: Any, actual: ContextValue | None) -> bool:
    expected = [str(item) for item in _as_list(expected_raw)]
    qualifier, base, if_exists = _split_operator(operator)
    if base == "Null":
        if qualifier or if_exists:
            raise UnsupportedPolicy(f"{operator} is not implemented")
        return any((actual is None) == (item.lower() == "true") for item in expected)
    if base not in OPERATORS:
        raise UnsupportedPolicy(f"condition operator {operator} is not implemented")
    compare, negated = OPERATORS[base]
    if actual is None:
        return _missing_key_holds(qualifier, negated=negated, if_exists=if_exists)
    values = _as_list(actual)
    if qualifier == "ForAnyValue":
        return any(_single_value_holds(compare, negated, expected, value) for value in values)
    if qualifier == "ForAllValues":
        return all(_single_value_holds(compare, negated, expected, value) for value in values)
    if len(values) != 1:
        raise UnsupportedPolicy(f"{operator} on a key with several values needs ForAnyValue/ForAllValues")
    return _single_value_holds(compare, negated, expected, values[0])


def condition_holds(condition: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    return all(
        _key_holds(operator, expected, request.value(key))
        for operator, tests in condition.items()
        for key, expected in tests.items()
    )


KNOWN_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def _matches_any(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(wildcard_match(str(p), value, ignore_case=ignore_case) for p in _as_list(patterns))


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - KNOWN_ELEMENTS
    if unknown:
        raise UnsupportedPolicy(f"statement elements not implemented: {sorted(unknown)}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise UnsupportedPolicy("a statement needs exactly one of Action and NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise UnsupportedPolicy("a statement needs exactly one of Resource and NotResource")
    if "Action" in statement:
        action_ok = _matches_any(statement["Action"], request.action, ignore_case=True)
    else:
        action_ok = not _matches_any(statement["NotAction"], request.action, ignore_case=True)
    if "Resource" in statement:
        resource_ok = _matches_any(statement["Resource"], request.resource, ignore_case=False)
    else:
        resource_ok = not _matches_any(statement["NotResource"], request.resource, ignore_case=False)
    return action_ok and resource_ok and condition_holds(statement.get("Condition") or {}, request)


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """The decision of the identity policies `policies` (policy documents) on `request`."""
    allowed = False
    for policy in policies:
        for statement in _as_list(policy["Statement"]):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise UnsupportedPolicy(f"Effect must be Allow or Deny, not {effect!r}")
            if not statement_applies(statement, request):
                continue
            if effect == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def allows(policy: Mapping[str, Any], request: Request) -> bool:
    return evaluate([policy], request) is Decision.ALLOW


def allows_all(policy: Mapping[str, Any], requests: Iterable[Request]) -> bool:
    """An AWS call that authorises several resources: every one must be allowed."""
    requests = list(requests)
    if not requests:
        raise ValueError("a call authorises at least one resource")
    return all(allows(policy, request) for request in requests)
