# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's optional AWS Budgets cost budget: a monthly limit in USD and one e-mail
alert when the actual cost passes a percentage of it.

Imports nothing from Ansible: every call goes through the boto3-style ``budgets`` client
the caller hands in (the module's retrying_client).

The collection's describe, plan, apply (module_utils/plan.py): ``state =
describe_budget(client, account_id, name)``, ``plan = plan_budget(state, wanted)``
(``wanted`` None: no budget; planning makes no call), then ``apply_unless_checking(plan,
BudgetApplier(client, account_id), check_mode)``. The plan's ``after`` is the budget as
describe_budget will find it once applied.

The budget is named ``privatecast-<stack>`` (docs/conventions.md). It covers the account's
whole cost: a budget filtered by the ``privatecast:stack`` tag would count nothing until
that tag is activated as a cost allocation tag in the billing console.
A changed alert (threshold or address) is deleted and created again: UpdateNotification
would keep its history, but an alert has no history worth keeping here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ApplyResult,
    Plan,
    paginate,
)

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

    @property
    def state(self) -> BudgetState:
        """The budget as describe_budget finds it once the plan is applied."""
        notification = Notification(self.alert.notification, tuple(self.alert.subscribers))
        return BudgetState(
            self.name, float(_amount(self.limit_usd)), CURRENCY, BUDGET_TYPE, TIME_UNIT, (notification,)
        )


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.details.get("NotificationType"),
            "comparison": self.details.get("ComparisonOperator"),
            "threshold": float(self.details.get("Threshold", 0)),
            "threshold_type": self.details.get("ThresholdType"),
            "emails": sorted(s["Address"] for s in self.subscribers if s.get("SubscriptionType") == "EMAIL"),
        }


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
            "alerts": [item.as_dict() for item in self.notifications],
        }


@dataclass
class BudgetApplier:
    """What the actions act through: the budgets client and the account id every call names."""

    client: Any
    account_id: str
    result: ApplyResult = field(default_factory=ApplyResult)


@dataclass(frozen=True)
class CreateBudget(Action):
    kind: ClassVar[str] = "create_budget"
    description: str
    wanted: Wanted
    after: dict[str, Any]

    def apply(self, applier: BudgetApplier) -> None:
        alert = self.wanted.alert
        applier.client.create_budget(
            AccountId=applier.account_id,
            Budget=self.wanted.budget,
            NotificationsWithSubscribers=[
                {"Notification": alert.notification, "Subscribers": alert.subscribers}
            ],
        )


@dataclass(frozen=True)
class UpdateLimit(Action):
    kind: ClassVar[str] = "update_budget"
    description: str
    wanted: Wanted
    before: dict[str, Any]
    after: dict[str, Any]

    def apply(self, applier: BudgetApplier) -> None:
        applier.client.update_budget(AccountId=applier.account_id, NewBudget=self.wanted.budget)


@dataclass(frozen=True)
class DeleteBudget(Action):
    kind: ClassVar[str] = "delete_budget"
    description: str
    budget_name: str
    before: dict[str, Any]

    def apply(self, applier: BudgetApplier) -> None:
        applier.client.delete_budget(AccountId=applier.account_id, BudgetName=self.budget_name)


@dataclass(frozen=True)
class CreateNotification(Action):
    kind: ClassVar[str] = "create_notification"
    description: str
    budget_name: str
    alert: Alert
    after: dict[str, Any]

    def apply(self, applier: BudgetApplier) -> None:
        applier.client.create_notification(
            AccountId=applier.account_id,
            BudgetName=self.budget_name,
            Notification=self.alert.notification,
            Subscribers=self.alert.subscribers,
        )


@dataclass(frozen=True)
class DeleteNotification(Action):
    kind: ClassVar[str] = "delete_notification"
    description: str
    budget_name: str
    notification: dict[str, Any]  # what identifies it in DeleteNotification
    before: dict[str, Any]

    def apply(self, applier: BudgetApplier) -> None:
        applier.client.delete_notification(
            AccountId=applier.account_id, BudgetName=self.budget_name, Notification=self.notification
        )


def _amount(usd: float) -> str:
    return f"{usd:.2f}"


def describe_budget(client: Any, account_id: str, name: str) -> BudgetState | None:
    """The budget and its notifications with their subscribers; None when there is none."""
    try:
        budget = client.describe_budget(AccountId=account_id, BudgetName=name)["Budget"]
    except client.exceptions.NotFoundException:
        return None
    notifications = []
    for details in paginate(
        client, "describe_notifications_for_budget", "Notifications", AccountId=account_id, BudgetName=name
    ):
        subscribers = paginate(
            client,
            "describe_subscribers_for_notification",
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
    actions: list[Action] = []
    kept = False
    for item in state.notifications:
        if item.matches(wanted.alert) and not kept:
            kept = True
            continue
        actions.append(
            DeleteNotification(
                f"delete the {item.details.get('NotificationType')} alert at "
                f"{float(item.details.get('Threshold', 0)):g} {item.details.get('ThresholdType')}",
                state.name,
                _notification_key(item.details),
                item.as_dict(),
            )
        )
    if not kept:
        actions.append(
            CreateNotification(
                f"e-mail an alert when the actual cost passes {wanted.alert.percent:g}% of the limit",
                wanted.name,
                wanted.alert,
                wanted.state.notifications[0].as_dict(),
            )
        )
    return actions


def _notification_key(details: dict[str, Any]) -> dict[str, Any]:
    """What identifies a notification in DeleteNotification (without its state)."""
    keys = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")
    return {key: details[key] for key in keys if key in details}


def _plan_absent(state: BudgetState | None) -> Plan:
    if state is None:
        return Plan("budget", (), {}, {})
    delete = DeleteBudget(f"delete budget {state.name}", state.name, state.as_dict())
    return Plan(state.name, (delete,), state.as_dict(), {})


def _plan_create(wanted: Wanted) -> Plan:
    after = wanted.state.as_dict()
    create = CreateBudget(
        f"create budget {wanted.name}: {_amount(wanted.limit_usd)} USD a month, alert at "
        f"{wanted.alert.percent:g}%",
        wanted,
        after,
    )
    return Plan(wanted.name, (create,), {}, after)


def _limit_actions(state: BudgetState, wanted: Wanted) -> list[Action]:
    if _amount(state.limit_usd) == _amount(wanted.limit_usd) and state.unit == CURRENCY:
        return []
    update = UpdateLimit(
        f"set the monthly limit from {_amount(state.limit_usd)} {state.unit} "
        f"to {_amount(wanted.limit_usd)} USD",
        wanted,
        {"limit_usd": state.limit_usd, "unit": state.unit},
        {"limit_usd": float(_amount(wanted.limit_usd)), "unit": CURRENCY},
    )
    return [update]


def plan_budget(state: BudgetState | None, wanted: Wanted | None) -> Plan:
    """What brings the budget from ``state`` to ``wanted`` (None: no budget); no AWS call."""
    if wanted is None:
        return _plan_absent(state)
    if state is None:
        return _plan_create(wanted)
    if (state.budget_type, state.time_unit) != (BUDGET_TYPE, TIME_UNIT):
        raise BudgetError(
            f"budget {state.name} exists but is a {state.time_unit} {state.budget_type} budget, not a "
            "monthly cost budget: delete it (or choose another stack name) and run again"
        )
    actions = _limit_actions(state, wanted) + _notification_actions(state, wanted)
    after = wanted.state.as_dict() if actions else state.as_dict()
    return Plan(state.name, tuple(actions), state.as_dict(), after)
