"""AWS Budgets calls missing from moto 5.2.5, as AWS documents them. Tests and the local
stack only; the cost_budget module makes the real calls.

- UpdateBudget: not implemented. AWS replaces the budget's definition with ``NewBudget``
  (the limit among it) and keeps its notifications.
- DescribeSubscribersForNotification: not implemented. AWS returns the subscribers of the
  notification named by its type, comparison, threshold and threshold type; an unknown
  notification is a NotFoundException.

moto already stores the subscribers given to CreateBudget and CreateNotification.
"""

from __future__ import annotations

import json
from typing import Any

from moto.budgets.exceptions import NotFoundException
from moto.budgets.models import Budget, BudgetsBackend
from moto.budgets.responses import BudgetsResponse
from moto.core.utils import unix_time

NOTIFICATION_KEYS = ("NotificationType", "ComparisonOperator", "ThresholdType")


def _budget(backend: BudgetsBackend, account_id: str, name: str, verb: str) -> Budget:
    if name not in backend.budgets[account_id]:
        raise NotFoundException(f"Unable to {verb}: {name} - the budget doesn't exist.")
    return backend.budgets[account_id][name]


def _same_notification(stored: dict[str, Any], asked: dict[str, Any]) -> bool:
    same_kind = all(stored.get(key) == asked.get(key) for key in NOTIFICATION_KEYS)
    return same_kind and float(stored.get("Threshold", -1)) == float(asked.get("Threshold", -2))


def update_budget(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    new = self._get_param("NewBudget")
    budget = _budget(self.backend, account_id, new["BudgetName"], "update budget")
    kept = {key: budget.budget[key] for key in ("TimePeriod",) if key in budget.budget}
    budget.budget = {**kept, **new, "LastUpdatedTime": unix_time()}
    return json.dumps({})


def describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    budget = _budget(self.backend, account_id, self._get_param("BudgetName"), "describe subscribers")
    asked = self._get_param("Notification")
    for notification in budget.notifications:
        if _same_notification(notification.details, asked):
            return json.dumps({"Subscribers": list(notification.subscribers)})
    raise NotFoundException("Unable to describe subscribers - the notification doesn't exist.")


def apply() -> None:
    BudgetsResponse.update_budget = update_budget
    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification
