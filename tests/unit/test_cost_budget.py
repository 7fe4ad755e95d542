"""The cost_budget module and the privatecast role's budget tasks against a moto server.

moto gap worked around here: moto 5.2.5 lacks UpdateBudget and
DescribeSubscribersForNotification; tests.support.moto_gaps (moto_gaps_budgets) adds them
to the moto server the tests start.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.privatecast.streaming.plugins.module_utils import budget
from ansible_collections.privatecast.streaming.plugins.modules import cost_budget

from tests.conftest import COLLECTIONS_DIR, REPO_ROOT
from tests.support.module_runner import run_module
from tests.support.moto_server import MotoServer

NAME = "privatecast-unit"
ACCOUNT = "123456789012"  # moto's account


def run(
    capsys: pytest.CaptureFixture[str], moto: MotoServer, check: bool = False, **args: Any
) -> dict[str, Any]:
    return run_module(
        cost_budget.main,
        capsys,
        {"name": NAME, "region": "eu-west-1", "endpoint_url": moto.url, **args},
        check_mode=check,
        diff=True,
    )


def present(
    capsys: pytest.CaptureFixture[str], moto: MotoServer, check: bool = False, **args: Any
) -> dict[str, Any]:
    wanted = {"limit_usd": 20, "alert_percent": 80, "alert_email": "owner@example.com", **args}
    return run(capsys, moto, check, **wanted)


def budgets_in(moto: MotoServer) -> list[dict[str, Any]]:
    return moto.client("budgets").describe_budgets(AccountId=ACCOUNT)["Budgets"]


def alerts_of(moto: MotoServer) -> list[tuple[float, list[str]]]:
    client = moto.client("budgets")
    found = []
    for item in client.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)["Notifications"]:
        subscribers = client.describe_subscribers_for_notification(
            AccountId=ACCOUNT, BudgetName=NAME, Notification=item
        )["Subscribers"]
        found.append((float(item["Threshold"]), sorted(s["Address"] for s in subscribers)))
    return found


def test_created_then_unchanged(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> None:
    first = present(capsys, moto)
    assert first["rc"] == 0 and first["changed"], first
    assert first["changes"] == [f"create budget {NAME}: 20.00 USD a month, alert at 80%"]
    [made] = budgets_in(moto)
    assert (made["BudgetName"], made["BudgetType"], made["TimeUnit"]) == (NAME, "COST", "MONTHLY")
    assert made["BudgetLimit"] == {"Amount": "20.00", "Unit": "USD"}
    assert alerts_of(moto) == [(80.0, ["owner@example.com"])]
    assert first["budget"]["alerts"][0]["type"] == "ACTUAL"

    second = present(capsys, moto)
    assert second["rc"] == 0 and not second["changed"] and second["changes"] == [], second


def test_check_mode_changes_nothing(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> None:
    result = present(capsys, moto, check=True)
    assert result["changed"] and result["budget"] == {}
    assert budgets_in(moto) == []


def test_changed_threshold_limit_and_address_are_updated(
    capsys: pytest.CaptureFixture[str], moto: MotoServer
) -> None:
    present(capsys, moto)
    threshold = present(capsys, moto, alert_percent=50)
    assert threshold["changed"] and threshold["changes"] == [
        "delete the ACTUAL alert at 80 PERCENTAGE",
        "e-mail an alert when the actual cost passes 50% of the limit",
    ]
    assert alerts_of(moto) == [(50.0, ["owner@example.com"])]

    limit = present(capsys, moto, alert_percent=50, limit_usd=35.5)
    assert limit["changes"] == ["set the monthly limit from 20.00 USD to 35.50 USD"]
    assert budgets_in(moto)[0]["BudgetLimit"] == {"Amount": "35.50", "Unit": "USD"}
    assert alerts_of(moto) == [(50.0, ["owner@example.com"])]

    address = present(capsys, moto, alert_percent=50, limit_usd=35.5, alert_email="other@example.com")
    assert address["changed"]
    assert alerts_of(moto) == [(50.0, ["other@example.com"])]
    assert not present(capsys, moto, alert_percent=50, limit_usd=35.5, alert_email="other@example.com")[
        "changed"
    ]


def test_foreign_notifications_are_removed(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> None:
    present(capsys, moto)
    moto.client("budgets").create_notification(
        AccountId=ACCOUNT,
        BudgetName=NAME,
        Notification={
            "NotificationType": "FORECASTED",
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": 100,
            "ThresholdType": "PERCENTAGE",
        },
        Subscribers=[{"SubscriptionType": "EMAIL", "Address": "someone@example.com"}],
    )
    result = present(capsys, moto)
    assert result["changes"] == ["delete the FORECASTED alert at 100 PERCENTAGE"]
    assert alerts_of(moto) == [(80.0, ["owner@example.com"])]


def test_absent_deletes_and_then_does_nothing(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> None:
    present(capsys, moto)
    removed = run(capsys, moto, state="absent")
    assert removed["changed"] and removed["changes"] == [f"delete budget {NAME}"] and removed["budget"] == {}
    assert budgets_in(moto) == []
    again = run(capsys, moto, state="absent")
    assert not again["changed"] and again["rc"] == 0


def test_refuses_bad_input(capsys: pytest.CaptureFixture[str], moto: MotoServer) -> None:
    other = run(capsys, moto, name="someone-else", limit_usd=5, alert_email="a@example.com")
    assert other["failed"] and "must start with 'privatecast-'" in other["msg"]
    zero = present(capsys, moto, limit_usd=0)
    assert zero["failed"] and "above 0 USD" in zero["msg"]
    missing = run(capsys, moto, limit_usd=5)
    assert missing["failed"] and "alert_email" in missing["msg"]
    assert budgets_in(moto) == []


def test_a_budget_of_another_kind_is_not_taken_over(
    capsys: pytest.CaptureFixture[str], moto: MotoServer
) -> None:
    moto.client("budgets").create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": NAME,
            "BudgetType": "USAGE",
            "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "10", "Unit": "GB"},
        },
    )
    result = present(capsys, moto)
    assert result["failed"] and "not a monthly cost budget" in result["msg"]


def test_plan_without_aws_matches_notifications_by_value() -> None:
    alert = budget.Alert(80, ("owner@example.com",))
    found = budget.Notification(
        {**alert.notification, "Threshold": 80.0, "NotificationState": "OK"},
        ({"SubscriptionType": "EMAIL", "Address": "owner@example.com"},),
    )
    state = budget.BudgetState(NAME, 20.0, "USD", "COST", "MONTHLY", (found,))
    assert not budget.plan_budget(state, budget.Wanted(NAME, 20, alert)).changed
    assert budget.plan_budget(
        state, budget.Wanted(NAME, 20, budget.Alert(81, ("owner@example.com",)))
    ).changed


def run_budget_tasks(moto: MotoServer, tmp_path: Path, variables: dict[str, Any]) -> dict[str, Any]:
    """The privatecast role's budget.yml through ansible-playbook, as provision.yml runs it."""
    playbook = tmp_path / "budget.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Budget",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "module_defaults": {
                        "group/privatecast.streaming.aws": {"region": "eu-west-1", "endpoint_url": moto.url}
                    },
                    "tasks": [
                        {
                            "name": "Budget tasks",
                            "ansible.builtin.include_role": {
                                "name": "privatecast.streaming.privatecast",
                                "tasks_from": "budget",
                            },
                        }
                    ],
                }
            ]
        )
    )
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_DIR),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }
    run = subprocess.run(
        [
            "ansible-playbook",
            str(playbook),
            "-e",
            json.dumps({"privatecast_stack_name": "unit", **variables}),
        ],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = json.loads(run.stdout)
    output["rc"] = run.returncode
    return output


def test_role_tasks_create_keep_and_remove_the_budget(moto: MotoServer, tmp_path: Path) -> None:
    wanted = {"privatecast_budget_monthly_usd": 15, "privatecast_budget_alert_email": "owner@example.com"}
    first = run_budget_tasks(moto, tmp_path, wanted)
    assert first["rc"] == 0 and first["stats"]["localhost"]["changed"] == 1, first["stats"]
    assert [b["BudgetName"] for b in budgets_in(moto)] == [NAME]
    assert alerts_of(moto) == [(80.0, ["owner@example.com"])]
    second = run_budget_tasks(moto, tmp_path, wanted)
    assert second["rc"] == 0 and second["stats"]["localhost"]["changed"] == 0
    unset = run_budget_tasks(moto, tmp_path, {})
    assert unset["rc"] == 0 and unset["stats"]["localhost"]["changed"] == 1
    assert budgets_in(moto) == []
    refused = run_budget_tasks(moto, tmp_path, {"privatecast_budget_monthly_usd": 15})
    assert refused["rc"] != 0 and budgets_in(moto) == []
