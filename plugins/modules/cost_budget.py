#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cost_budget
short_description: A monthly AWS Budgets cost budget with one e-mail alert
version_added: 0.1.0
description:
  - Keeps one AWS Budgets cost budget named O(name) with a monthly limit of O(limit_usd)
    USD and exactly one notification, which e-mails O(alert_email) when the actual cost of
    the month passes O(alert_percent) percent of the limit.
  - A changed limit is updated in place (UpdateBudget); a changed threshold or address
    replaces the notification (DeleteNotification, CreateNotification); other
    notifications on the budget are removed.
  - With O(state=absent) the budget is deleted if it exists.
  - The budget covers the cost of the whole account, not only the stack's resources.
  - The logic lives in the module_utils C(budget) file.
author:
  - privatecast.streaming contributors (@privatecast)
notes:
  - AWS Budgets is a global service; the region only chooses the endpoint.
  - A budget without actions costs nothing (AWS Budgets pricing).
  - AWS sends the first e-mail to an address only after the budget is evaluated, a few
    times a day; it does not ask the address to confirm.
  - Supports check mode and diff mode. Calls are retried with C(AWSRetry.jittered_backoff).
options:
  name:
    description:
      - Name of the budget; must start with C(privatecast-) (C(privatecast-<stack>),
        docs/conventions.md).
    type: str
    required: true
  state:
    description: V(present) keeps the budget as described, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  limit_usd:
    description: The monthly limit in USD; required with O(state=present).
    type: float
  alert_percent:
    description: Percentage of the limit above which the actual cost is e-mailed.
    type: float
    default: 80
  alert_email:
    description: The address the alert goes to; required with O(state=present).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
"""

EXAMPLES = r"""
- name: Alert at 80% of 20 USD a month
  privatecast.streaming.cost_budget:
    name: privatecast-home
    limit_usd: 20
    alert_percent: 80
    alert_email: owner@example.com

- name: No budget
  privatecast.streaming.cost_budget:
    name: privatecast-home
    state: absent
"""

RETURN = r"""
changes:
  description: What was changed (in check mode, what would be), in order, for people.
  returned: always
  type: list
  elements: str
  sample: ["create budget privatecast-home: 20.00 USD a month, alert at 80%"]
budget:
  description: The budget after the run (in check mode, before it); empty when there is none.
  returned: always
  type: dict
  sample:
    name: privatecast-home
    limit_usd: 20.0
    unit: USD
    budget_type: COST
    time_unit: MONTHLY
    alerts:
      - type: ACTUAL
        comparison: GREATER_THAN
        threshold: 80.0
        threshold_type: PERCENTAGE
        emails: [owner@example.com]
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.budget import (
    Alert,
    BudgetApplier,
    BudgetError,
    BudgetState,
    Wanted,
    describe_budget,
    plan_budget,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import apply_unless_checking
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client


def wanted_from(params: dict) -> Wanted | None:
    if params["state"] == "absent":
        return None
    alert = Alert(percent=float(params["alert_percent"]), emails=(params["alert_email"].strip(),))
    return Wanted(name=params["name"], limit_usd=float(params["limit_usd"]), alert=alert)


def as_dict(state: BudgetState | None) -> dict:
    return state.as_dict() if state else {}


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        limit_usd=dict(type="float"),
        alert_percent=dict(type="float", default=80),
        alert_email=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["limit_usd", "alert_email"])],
    )
    params = module.params
    try:
        account_id = retrying_client(module, "sts").get_caller_identity()["Account"]
        applier = BudgetApplier(retrying_client(module, "budgets"), account_id)
        wanted = wanted_from(params)
        before = describe_budget(applier.client, account_id, params["name"])
        plan = plan_budget(before, wanted)
        apply_unless_checking(plan, applier, module.check_mode)
        after = before
        if plan.changed and not module.check_mode:
            after = describe_budget(applier.client, account_id, params["name"])
    except BudgetError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"AWS Budgets refused a call for budget {params['name']}")
    result = {"changed": plan.changed, "changes": plan.descriptions, "budget": as_dict(after)}
    if module._diff:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
