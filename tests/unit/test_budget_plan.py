"""module_utils/budget.py's plan on the plan core (no AWS): typed actions, the plan's diff,
and the cost_budget module's diff in check mode against the tests' moto server."""

from __future__ import annotations

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import budget
from ansible_collections.privatecast.streaming.plugins.modules import cost_budget

from tests.support.module_runner import run_module
from tests.support.moto_server import MotoServer

NAME = "privatecast-plan"
ALERT = budget.Alert(80, ("owner@example.com",))


def test_a_new_budget_is_one_create_whose_after_is_the_diff() -> None:
    wanted = budget.Wanted(NAME, 20, ALERT)
    plan = budget.plan_budget(None, wanted)
    [create] = plan.actions
    assert isinstance(create, budget.CreateBudget) and create.kind == "create_budget"
    assert plan.diff == {"before": {}, "after": create.after}
    assert create.after["limit_usd"] == 20.0 and create.after["alerts"][0]["threshold"] == 80.0


def test_changed_limit_and_threshold_are_typed_actions_in_order() -> None:
    state = budget.Wanted(NAME, 20, ALERT).state
    wanted = budget.Wanted(NAME, 35.5, budget.Alert(50, ("owner@example.com",)))
    plan = budget.plan_budget(state, wanted)
    assert [action.kind for action in plan.actions] == [
        "update_budget",
        "delete_notification",
        "create_notification",
    ]
    update, delete, create = plan.actions
    assert (update.before, update.after) == (
        {"limit_usd": 20.0, "unit": "USD"},
        {"limit_usd": 35.5, "unit": "USD"},
    )
    assert delete.params["notification"]["Threshold"] == 80 and "NotificationState" not in delete.params
    assert create.after["threshold"] == 50.0
    assert plan.diff == {"before": state.as_dict(), "after": wanted.state.as_dict()}


def test_absent_deletes_an_existing_budget_only() -> None:
    state = budget.Wanted(NAME, 20, ALERT).state
    [delete] = budget.plan_budget(state, None).actions
    assert delete.kind == "delete_budget" and delete.params == {"budget_name": NAME}
    assert budget.plan_budget(state, None).diff["after"] == {}
    assert not budget.plan_budget(None, None).changed


def test_check_mode_diff_is_the_planned_budget(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> None:
    result = run_module(
        cost_budget.main,
        capsys,
        {
            "name": NAME,
            "limit_usd": 20,
            "alert_email": "owner@example.com",
            "region": "eu-west-1",
            "endpoint_url": moto.url,
        },
        check_mode=True,
        diff=True,
    )
    assert result["changed"] and result["budget"] == {}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == budget.Wanted(NAME, 20, ALERT).state.as_dict()
    assert moto.client("budgets").describe_budgets(AccountId="123456789012").get("Budgets", []) == []
