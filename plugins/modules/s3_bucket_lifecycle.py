#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: s3_bucket_lifecycle
short_description: Set an S3 bucket's whole lifecycle configuration in one call
version_added: 0.1.0
description:
  - Makes the lifecycle configuration of O(bucket) exactly the rules of O(rules), in one
    module run for every rule, where M(community.aws.s3_lifecycle) needs one run per rule.
    Rules the bucket has and O(rules) does not list are removed; with no rule left, the
    configuration is deleted.
  - Describes what exists, plans, then applies; in check mode it only plans. A run that
    finds the configuration equal (rules compared by id, in any order) makes one read call
    and no write.
  - V(0) days turns a step off (O(rules[].expiration_days),
    O(rules[].abort_incomplete_multipart_upload_days)); a rule with no step left (and no
    O(rules[].transitions)) is left out of the configuration, so settings of 0 days turn a
    rule off.
  - Each rule is written as M(community.aws.s3_lifecycle) writes it (C(ID), a C(Filter)
    with a C(Prefix), C(Status), one key per step), so a bucket set up by that module is
    found equal.
author:
  - privatecast.streaming developers (@privatecast)
options:
  bucket:
    description: Name of the bucket (it must exist).
    type: str
    required: true
  rules:
    description: The rules, the bucket's whole configuration.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: The rule's id, unique in the list (1 to 255 characters).
        type: str
        required: true
      prefix:
        description: Object key prefix the rule applies to; V("") is every object.
        type: str
        default: ""
      status:
        description: Whether the rule is in force.
        type: str
        choices: [enabled, disabled]
        default: enabled
      expiration_days:
        description: Days after which current objects expire; V(0) never.
        type: int
        default: 0
      transitions:
        description:
          - Moves to cheaper storage classes, each after O(rules[].transitions[].days) days
            (V(0) is a valid day count for S3 here, the transition then happens at once).
        type: list
        elements: dict
        default: []
        suboptions:
          days:
            description: Days after creation.
            type: int
            required: true
          storage_class:
            description: The class objects move to.
            type: str
            required: true
            choices: [standard_ia, onezone_ia, intelligent_tiering, glacier, glacier_ir, deep_archive]
      abort_incomplete_multipart_upload_days:
        description: Days after which parts of unfinished multipart uploads are removed; V(0) never.
        type: int
        default: 0
notes:
  - Supports check mode and diff mode. A bucket that does not exist yet (check mode of a
    new stack) has no rules; outside check mode the write then fails naming it.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Expire the live window, age the recordings, abort incomplete uploads
  privatecast.streaming.s3_bucket_lifecycle:
    bucket: demo-video-123456789012
    rules:
      - id: hls-expire
        prefix: hls/
        expiration_days: 1
      - id: recordings-age
        prefix: recordings/
        transitions:
          - days: 30
            storage_class: standard_ia
        expiration_days: 0  # keep forever
      - id: abort-incomplete-uploads
        abort_incomplete_multipart_upload_days: 1
"""

RETURN = r"""
rules:
  description: The bucket's lifecycle rules after the run (in check mode, as they would be), in S3's shape.
  returned: always
  type: list
  elements: dict
  sample:
    - ID: hls-expire
      Filter: {Prefix: hls/}
      Status: Enabled
      Expiration: {Days: 1}
changes:
  description: The planned actions, one line each, like C(put_bucket_lifecycle_configuration demo-video).
  returned: always
  type: list
  elements: str
"""

from dataclasses import dataclass
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ClientApplier,
    Plan,
    apply_unless_checking,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client

STORAGE_CLASSES = [
    "standard_ia",
    "onezone_ia",
    "intelligent_tiering",
    "glacier",
    "glacier_ir",
    "deep_archive",
]
MAX_ID_LENGTH = 255  # S3's limit for a rule's ID

Rule = dict[str, Any]


class RulesError(Exception):
    """The rules given cannot be a lifecycle configuration."""


# --- wanted: the options as S3's rules, no AWS calls ---


def wanted_rule(item: dict[str, Any]) -> Rule | None:
    """The rule in S3's shape (as community.aws.s3_lifecycle writes it), or None when every
    step is off."""
    rule: Rule = {
        "Filter": {"Prefix": item["prefix"] or ""},
        "Status": item["status"].title(),
        "ID": item["id"],
    }
    if item["abort_incomplete_multipart_upload_days"]:
        rule["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": item["abort_incomplete_multipart_upload_days"]
        }
    if item["expiration_days"]:
        rule["Expiration"] = {"Days": item["expiration_days"]}
    if item["transitions"]:
        rule["Transitions"] = [
            {"Days": step["days"], "StorageClass": step["storage_class"].upper()}
            for step in item["transitions"]
        ]
    has_step = any(key in rule for key in ("AbortIncompleteMultipartUpload", "Expiration", "Transitions"))
    return rule if has_step else None


def check_rules(items: list[dict[str, Any]]) -> None:
    """Fails on what S3 would refuse, before any call: ids empty, too long or repeated,
    negative day counts."""
    ids = [item["id"] for item in items]
    repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if repeated:
        raise RulesError(f"rule ids must be unique; repeated: {', '.join(repeated)}")
    for item in items:
        if not 1 <= len(item["id"]) <= MAX_ID_LENGTH:
            raise RulesError(f"rule id {item['id']!r} must have 1 to {MAX_ID_LENGTH} characters")
        days = [item["expiration_days"], item["abort_incomplete_multipart_upload_days"]]
        days += [step["days"] for step in item["transitions"]]
        if any(count < 0 for count in days):
            raise RulesError(f"rule {item['id']}: day counts must be 0 or more")


def wanted_rules(items: list[dict[str, Any]]) -> list[Rule]:
    check_rules(items)
    return [rule for rule in map(wanted_rule, items) if rule is not None]


# --- describe: one read ---


def describe_rules(client: Any, bucket: str) -> list[Rule]:
    """The bucket's rules; none without a configuration (or, in a check mode run before the
    bucket is made, without the bucket)."""
    try:
        return client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except is_boto3_error_code(["NoSuchLifecycleConfiguration", "NoSuchBucket"]):
        return []


def comparable(rule: Rule) -> Rule:
    """A rule as S3 returns it, with the forms that mean the same made one: no filter, an
    empty filter and the legacy top-level Prefix are all a Filter with a Prefix."""
    shown = {key: value for key, value in rule.items() if key != "Prefix"}
    if not shown.get("Filter"):
        shown["Filter"] = {"Prefix": rule.get("Prefix", "")}
    return shown


def by_id(rules: list[Rule]) -> dict[str, Rule]:
    return {rule.get("ID", ""): comparable(rule) for rule in rules}


# --- actions: one S3 call each ---


@dataclass(frozen=True)
class PutLifecycle(Action):
    kind: ClassVar[str] = "put_bucket_lifecycle_configuration"
    description: str
    bucket: str
    rules: tuple[Rule, ...]

    def apply(self, applier: ClientApplier) -> None:
        applier.client.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": list(self.rules)}
        )


@dataclass(frozen=True)
class DeleteLifecycle(Action):
    kind: ClassVar[str] = "delete_bucket_lifecycle"
    description: str
    bucket: str

    def apply(self, applier: ClientApplier) -> None:
        applier.client.delete_bucket_lifecycle(Bucket=self.bucket)


# --- plan: no AWS calls ---


def plan_lifecycle(bucket: str, wanted: list[Rule], found: list[Rule]) -> Plan:
    """Nothing when the rules are equal by id; else one write of the whole configuration
    (or its deletion when no rule is wanted)."""
    before, after = {"rules": found}, {"rules": wanted}
    if by_id(wanted) == by_id(found):
        return Plan(bucket, (), before, after)
    if wanted:
        action: Action = PutLifecycle(f"put_bucket_lifecycle_configuration {bucket}", bucket, tuple(wanted))
    else:
        action = DeleteLifecycle(f"delete_bucket_lifecycle {bucket}", bucket)
    return Plan(bucket, (action,), before, after)


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            rules=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    id=dict(type="str", required=True),
                    prefix=dict(type="str", default=""),
                    status=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
                    expiration_days=dict(type="int", default=0),
                    transitions=dict(
                        type="list",
                        elements="dict",
                        default=[],
                        options=dict(
                            days=dict(type="int", required=True),
                            storage_class=dict(type="str", required=True, choices=STORAGE_CLASSES),
                        ),
                    ),
                    abort_incomplete_multipart_upload_days=dict(type="int", default=0),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    bucket = module.params["bucket"]
    applier = ClientApplier(retrying_client(module, "s3"))
    try:
        wanted = wanted_rules(module.params["rules"])
        plan = plan_lifecycle(bucket, wanted, describe_rules(applier.client, bucket))
        apply_unless_checking(plan, applier, module.check_mode)
    except RulesError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to set the lifecycle configuration of bucket {bucket}")
    result: dict[str, Any] = {"changed": plan.changed, "changes": plan.descriptions, "rules": wanted}
    if module._diff and plan.changed:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
