# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape of the collection's AWS modules: describe, plan, apply.

1. describe: read what exists into plain (frozen) data; nothing is changed.
2. plan: compare it with what is wanted and return a Plan of typed actions, in the order
   they must run. Planning never touches AWS, so check mode is planning only.
3. apply: ``apply_actions`` runs each action's ``apply`` against the module's applier (its
   clients and the ids of what earlier actions made) and records what was done.

A typed action is a frozen dataclass subclassing Action: its fields are what the change
needs, ``description`` says it for people (the module's ``changes``), ``before`` and
``after`` what it changes from and to (None: nothing), ``apply`` does it. ``kind`` names
the type for logs and tests; ``params`` are its other fields.

The plan's ``before`` and ``after`` are the module's diff (``Plan.diff``).

``differs`` is the one comparison of wanted settings with what AWS returns, and
``paginate`` the one way to read every page of a listing (the client it is handed
retries: module_utils/retrying_client.py).

Imports nothing outside the standard library: the Lambdas use it through maintenance.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

_NOT_PARAMS = frozenset({"description", "before", "after"})
_SCALARS = (str, int, float, bool)


class Action:
    """Base of the typed actions (each subclass is a frozen dataclass)."""

    kind: ClassVar[str] = "action"
    description: str
    before: Any = None
    after: Any = None

    @property
    def params(self) -> dict[str, Any]:
        """The action's fields other than description, before and after."""
        return {
            item.name: getattr(self, item.name)
            for item in dataclasses.fields(self)  # type: ignore[arg-type]
            if item.name not in _NOT_PARAMS
        }

    def apply(self, applier: Any) -> None:
        """Carry the change out through `applier` (the module's clients and ids)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it is applied")


@dataclass(frozen=True)
class Plan:
    """What to change, in order, and the diff: `before` is what was described, `after`
    what applying the actions leaves. `name` says what the plan is for."""

    name: str
    actions: tuple[Action, ...]
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    @property
    def descriptions(self) -> list[str]:
        return [action.description for action in self.actions]

    @property
    def diff(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after}


@dataclass
class ApplyResult:
    """What was done (descriptions, in order), and values the actions learnt on the way
    (ids and addresses of what they created)."""

    done: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def apply_actions(
    actions: Iterable[Action], applier: Any, result: ApplyResult, error: type[Exception] | None = None
) -> ApplyResult:
    """Runs the actions in order against `applier`, recording each in `result`. On a
    failure, raises `error` naming the action and what was done before it (without
    `error`, the failure itself goes up, for the module's own message): what is left
    half-done is what the next describe finds, and the next plan finishes."""
    for action in actions:
        try:
            action.apply(applier)
        except Exception as failure:
            if error is None:
                raise
            done = "; ".join(result.done) or "nothing"
            raise error(f"failed to {action.description}: {failure} (done before: {done})") from failure
        result.done.append(action.description)
    return result


def apply_unless_checking(
    plan: Plan, applier: Any, check_mode: bool, error: type[Exception] | None = None
) -> ApplyResult:
    """Check mode is the plan only: the actions run only outside it. `applier.result`
    collects what was done."""
    result: ApplyResult = applier.result
    if check_mode or not plan.changed:
        return result
    return apply_actions(plan.actions, applier, result, error)


@dataclass
class ClientApplier:
    """The applier of a module with one client: the actions call `client` and note the
    ids of what they create in `result.values`."""

    client: Any
    result: ApplyResult = field(default_factory=ApplyResult)


def differs(desired: Any, current: Any) -> bool:
    """True when something set in `desired` has another value in `current` (the rules
    are differences')."""
    return bool(differences(desired, current))


def differences(desired: Any, current: Any, path: str = "") -> list[str]:
    """Paths (dotted, list indices in brackets) where `current` has another value than
    `desired` sets; empty when they agree. The one rule set of every module:

    - a dict: only the keys `desired` sets are compared (AWS adds its own), recursively;
      a key `current` lacks differs (unless `desired` sets it to "");
    - a list of scalars is a set (AWS does not keep the order): compared sorted;
    - any other list: same length, items compared in order, recursively;
    - numbers compare by value (1 == 1.0); an empty string matches a missing value.
    """
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return [path]
        found: list[str] = []
        for key, value in desired.items():
            found += differences(value, current.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(desired, (list, tuple)):
        return _list_differences(desired, current, path)
    if desired == "" and current is None:
        return []
    if _is_number(desired) and _is_number(current):
        return [] if float(desired) == float(current) else [path]
    return [] if desired == current else [path]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list_differences(desired: Sequence[Any], current: Any, path: str) -> list[str]:
    if current is None:
        current = []
    if not isinstance(current, (list, tuple)) or len(desired) != len(current):
        return [path]
    if all(isinstance(item, _SCALARS) for item in (*desired, *current)):
        return [] if _sorted(desired) == _sorted(current) else [path]
    found: list[str] = []
    for index, (want, have) in enumerate(zip(desired, current, strict=True)):
        found += differences(want, have, f"{path}[{index}]")
    return found


def _sorted(items: Sequence[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:  # mixed types: any stable order will do
        return sorted(items, key=repr)


def paginate(
    client: Any, operation: str, key: str, *, token: tuple[str, str] | None = None, **params: Any
) -> list[Any]:
    """Every item under `key` (dotted for nested results, e.g. ``DistributionList.Items``)
    of every page of `operation`, through boto3's paginator. An operation boto3 has no
    paginator for is paged by `token`: (request parameter, dotted response key), e.g.
    ``("Marker", "ResponseHeadersPolicyList.NextMarker")``; without it, one call.
    Retries come from the client (retrying_client retries the whole listing, or each call
    of a manual one; a Lambda's client is configured to retry each call)."""
    if client.can_paginate(operation):
        response = client.get_paginator(operation).paginate(**params).build_full_result()
        return list(_dig(response, key) or [])
    items: list[Any] = []
    while True:
        response = getattr(client, operation)(**params)
        items += _dig(response, key) or []
        if token is None or not _dig(response, token[1]):
            return items
        params = {**params, token[0]: _dig(response, token[1])}


def _dig(response: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        response = (response or {}).get(part)
    return response
