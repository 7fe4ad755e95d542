# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's optional AWS Budgets cost budget: a monthly limit in USD and one e-mail
alert when the actual cost passes a percentage of it.

Imports nothing from Ansible: every call goes through the boto3-style ``budgets`` client
the caller hands in (the module wraps it with retries).

Usage: ``state = describe_budget(client, account_id, name)``, ``plan = plan_budget(state,
wanted)`` (``wanted`` None: no budget), then ``apply_plan(client, account_id, plan)``
unless only checking.

The budget is named ``privatecast-<stack>`` (docs/conventions.md). It covers the account's
whole cost: a budget filtered by the ``privatecast:stack`` tag would count nothing until
that tag is activated as a cost allocation tag in the billing console.
A changed alert (threshold or address) is deleted and created again: UpdateNotification
would keep its history, but an alert has no history worth keeping here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NAME_PREFIX = "privatecast-"
BUDGET_TYPE = "COST"
TIME_UNIT = "MONTHLY"
CURRENCY = "USD"


class BudgetError(Exception):
    """The budget cannot be read, planned or changed; the message says why."""


def budget_name(stack_name: str) -> str:
    return f"{NAME_PREFIX}{stack_name}"


@dataclass(frozen=True)
class Alert:
    """One notification: the actual cost above ``percent`` of the limit, e-mailed."""

    percent: float
    emails: tuple[str, ...]

    @property
    def notification(self) -> dict[str, Any]:
        return {
            "NotificationType": "ACTUAL",
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": self.percent,
            "ThresholdType": "PERCENTAGE",
        }

    @property
    def subscribers(self) -> list[dict[str, str]]:
        return [{"SubscriptionType": "EMAIL", "Address": email} for email in self.emails]

    def as_dict(self) -> dict[str, Any]:
        return {"percent": self.percent, "emails": list(self.emails)}


@dataclass(frozen=True)
class Wanted:
    name: str
    limit_usd: float
    alert: Alert

    def __post_init__(self) -> None:
        if not self.name.startswith(NAME_PREFIX):
            raise BudgetError(f"budget name {self.name!r} must start with {NAME_PREFIX!r}")
        if self.limit_usd <= 0:
            raise BudgetError(f"the monthly limit must be above 0 USD, got {self.limit_usd}")
        if not 0 < self.alert.percent <= 1000:
            raise BudgetError(
                f"the alert percentage must be above 0 and at most 1000, got {self.alert.percent}"
            )
        if not self.alert.emails or any("@" not in email for email in self.alert.emails):
            raise BudgetError("the alert needs an e-mail address")

    @property
    def budget(self) -> dict[str, Any]:
        return {
            "BudgetName": self.name,
            "BudgetType": BUDGET_TYPE,
            "TimeUnit": TIME_UNIT,
            "BudgetLimit": {"Amount": _amount(self.limit_usd), "Unit": CURRENCY},
        }


@dataclass(frozen=True)
class Notification:
    """A notification found on the budget, as the API describes it, with its subscribers."""

    details: dict[str, Any]
    subscribers: tuple[dict[str, str], ...]

    def matches(self, alert: Alert) -> bool:
        keys = ("NotificationType", "ComparisonOperator", "ThresholdType")
        same_kind = all(self.details.get(key) == alert.notification[key] for key in keys)
        same_threshold = float(self.details.get("Threshold", -1)) == float(alert.percent)
        addresses = sorted((item.get("SubscriptionType"), item.get("Address")) for item in self.subscribers)
        wanted = sorted(("EMAIL", email) for email in alert.emails)
        return same_kind and same_threshold and addresses == wanted


@dataclass(frozen=True)
class BudgetState:
    name: str
    limit_usd: float
    unit: str
    budget_type: str
    time_unit: str
    notifications: tuple[Notification, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "limit_usd": self.limit_usd,
            "unit": self.unit,
            "budget_type": self.budget_type,
            "time_unit": self.time_unit,
            "alerts": [
                {
                    "type": item.details.get("NotificationType"),
                    "comparison": item.details.get("ComparisonOperator"),
                    "threshold": float(item.details.get("Threshold", 0)),
                    "threshold_type": item.details.get("ThresholdType"),
                    "emails": sorted(
                        s["Address"] for s in item.subscribers if s.get("SubscriptionType") == "EMAIL"
                    ),
                }
                for item in self.notifications
            ],
        }


@dataclass(frozen=True)
class Action:
    verb: str  # create_budget, update_budget, delete_budget, create_notification, delete_notification
    params: dict[str, Any]
    description: str


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    @property
    def descriptions(self) -> list[str]:
        return [action.description for action in self.actions]


def _amount(usd: float) -> str:
    return f"{usd:.2f}"


def _collect(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items += page.get(key) or []
        token = page.get("NextToken")
        if not token:
            return items


def describe_budget(client: Any, account_id: str, name: str) -> BudgetState | None:
    """The budget and its notifications with their subscribers; None when there is none."""
    try:
        budget = client.describe_budget(AccountId=account_id, BudgetName=name)["Budget"]
    except client.exceptions.NotFoundException:
        return None
    notifications = []
    for details in _collect(
        client.describe_notifications_for_budget, "Notifications", AccountId=account_id, BudgetName=name
    ):
        subscribers = _collect(
            client.describe_subscribers_for_notification,
            "Subscribers",
            AccountId=account_id,
            BudgetName=name,
            Notification=details,
        )
        notifications.append(Notification(dict(details), tuple(subscribers)))
    limit = budget.get("BudgetLimit") or {}
    return BudgetState(
        name=name,
        limit_usd=float(limit.get("Amount", 0)),
        unit=str(limit.get("Unit", "")),
        budget_type=str(budget.get("BudgetType", "")),
        time_unit=str(budget.get("TimeUnit", "")),
        notifications=tuple(notifications),
    )


def _notification_actions(state: BudgetState, wanted: Wanted) -> list[Action]:
    actions = []
    kept = False
    for item in state.notifications:
        if item.matches(wanted.alert) and not kept:
            kept = True
            continue
        actions.append(
            Action(
                "delete_notification",
                {"BudgetName": state.name, "Notification": _notification_key(item.details)},
                f"delete the {item.details.get('NotificationType')} alert at "
                f"{float(item.details.get('Threshold', 0)):g} {item.details.get('ThresholdType')}",
            )
        )
    if not kept:
        actions.append(
            Action(
                "create_notification",
                {
                    "BudgetName": wanted.name,
                    "Notification": wanted.alert.notification,
                    "Subscribers": wanted.alert.subscribers,
                },
                f"e-mail an alert when the actual cost passes {wanted.alert.percent:g}% of the limit",
            )
        )
    return actions


def _notification_key(details: dict[str, Any]) -> dict[str, Any]:
    """What identifies a notification in DeleteNotification (without its state)."""
    keys = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")
    return {key: details[key] for key in keys if key in details}


def plan_budget(state: BudgetState | None, wanted: Wanted | None) -> Plan:
    """What brings the budget from ``state`` to ``wanted`` (None: no budget)."""
    if wanted is None:
        if state is None:
            return Plan()
        return Plan([Action("delete_budget", {"BudgetName": state.name}, f"delete budget {state.name}")])
    if state is None:
        return Plan(
            [
                Action(
                    "create_budget",
                    {
                        "Budget": wanted.budget,
                        "NotificationsWithSubscribers": [
                            {
                                "Notification": wanted.alert.notification,
                                "Subscribers": wanted.alert.subscribers,
                            }
                        ],
                    },
                    f"create budget {wanted.name}: {_amount(wanted.limit_usd)} USD a month, alert at "
                    f"{wanted.alert.percent:g}%",
                )
            ]
        )
    if (state.budget_type, state.time_unit) != (BUDGET_TYPE, TIME_UNIT):
        raise BudgetError(
            f"budget {state.name} exists but is a {state.time_unit} {state.budget_type} budget, not a "
            "monthly cost budget: delete it (or choose another stack name) and run again"
        )
    actions = []
    if _amount(state.limit_usd) != _amount(wanted.limit_usd) or state.unit != CURRENCY:
        actions.append(
            Action(
                "update_budget",
                {"NewBudget": wanted.budget},
                f"set the monthly limit from {_amount(state.limit_usd)} {state.unit} "
                f"to {_amount(wanted.limit_usd)} USD",
            )
        )
    return Plan(actions + _notification_actions(state, wanted))


def apply_plan(client: Any, account_id: str, plan: Plan) -> None:
    for action in plan.actions:
        getattr(client, action.verb)(AccountId=account_id, **action.params)
