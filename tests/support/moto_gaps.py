"""Fills gaps of moto 5.2.5 that the collection's AWS calls meet, as AWS documents the calls.
Tests only: product code makes the real AWS calls and never works around moto.

- API Gateway v2: GetAuthorizers and UpdateStage are not implemented.
- CloudFront: UpdateKeyGroup and DeleteKeyGroup are not implemented (CreateKeyGroup,
  GetKeyGroup and ListKeyGroups are).
- CloudFront distribution origins: moto drops ``OriginAccessControlId`` and
  ``S3OriginConfig`` of an S3 origin when it stores a distribution; AWS returns both.
- EC2 security group rules to a prefix list: moto forgets their ``Description`` (on
  authorize and on UpdateSecurityGroupRuleDescriptions*), and those two update calls
  answer without ``Return``; AWS keeps the description and returns ``Return: true``.
- EC2 tags of an Elastic IP: DescribeTags files them under resource type
  ``vpc-elastic-ip``; AWS says ``elastic-ip`` (the type a ``resource-type`` filter takes).
- S3 bucket policies: moto counts a statement whose Condition it cannot evaluate as an
  explicit deny, whatever its Effect, so the bucket's "deny when aws:SecureTransport is
  false" statement refuses every request. AWS applies a statement only when its
  condition holds. Here a statement applies when its conditions are only
  ``aws:SecureTransport`` and hold for a TLS request (moto serves plain HTTP on
  loopback, standing in for S3's HTTPS endpoint), and is skipped otherwise.
- Cognito user pools (SRP password proof, challenges, MFA, RevokeToken, forgotten
  passwords): see tests/support/moto_gaps_cognito.py.
- S3 PutBucketNotificationConfiguration: moto accepts only lower-case filter rule names
  (``prefix``/``suffix``) with non-empty values; AWS takes ``Prefix``/``Suffix`` (what
  community.aws.s3_bucket_notification sends, an unused suffix as an empty value) and
  returns them as ``Prefix``/``Suffix``.

``apply()`` patches moto in this process (``mock_aws`` unit tests);
``python -m tests.support.moto_gaps -H 127.0.0.1 -p PORT`` runs a patched moto server;
every moto server of the tests, the molecule scenarios and the local stack is this one.
Remove each piece once moto implements it.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from typing import Any
from urllib.parse import unquote

from moto.apigatewayv2 import responses as apigw_responses
from moto.cloudfront import models as cloudfront_models
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import security_groups as ec2_security_groups
from moto.ec2.models import tags as ec2_tags
from moto.ec2.responses.security_groups import SecurityGroups as SecurityGroupsResponse
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.moto_api._internal import mock_random
from moto.s3 import responses as s3_responses
from moto.s3.models import FakeBucket
from moto.server import main as moto_server_main

from tests.support import (
    moto_gaps_budgets,
    moto_gaps_cloudfront_headers,
    moto_gaps_cognito,
    moto_gaps_cognito_attributes,
    moto_gaps_dns_firewall,
    moto_gaps_lambda_events,
    moto_gaps_teardown,
    moto_request_log,
)

EMPTY_VALUE = "__privatecast_empty__"
AWS_RULE_NAMES = {"prefix": "Prefix", "suffix": "Suffix"}


def get_authorizers(self: apigw_responses.ApiGatewayV2Response) -> tuple[int, dict, str]:
    api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
    return 200, {}, json.dumps({"items": [item.to_json() for item in api.authorizers.values()]})


def update_stage(self: apigw_responses.ApiGatewayV2Response) -> tuple[int, dict, str]:
    parts = self.path.split("/")
    stage = self.apigatewayv2_backend.get_stage(parts[-3], unquote(parts[-1]))
    body = json.loads(self.body)
    stage.default_route_settings = {**stage.default_route_settings, **body.get("defaultRouteSettings", {})}
    stage.auto_deploy = body.get("autoDeploy", stage.auto_deploy)
    return 200, {}, json.dumps(stage.to_json())


def update_key_group(self: CloudFrontResponse) -> ActionResult:
    group = self.backend.get_key_group(self._get_param("Id"))
    group.name = self._get_param("KeyGroupConfig.Name")
    group.items = self._get_param("KeyGroupConfig.Items", [])
    group.etag = mock_random.get_random_hex(14).upper()
    return ActionResult({"KeyGroup": group, "ETag": group.etag})


def delete_key_group(self: CloudFrontResponse) -> EmptyResult:
    self.backend.key_groups.pop(self._get_param("Id"))
    return EmptyResult()


def _wrap_origin_init(original):
    def origin_init(self: cloudfront_models.Origin, origin: dict[str, Any]) -> None:
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId", "")
        if "S3OriginConfig" in origin:
            self.s3_origin_config = origin["S3OriginConfig"]

    origin_init.patched_by_privatecast = True
    return origin_init


def _wrap_rule_init(original):
    signature = inspect.signature(original)

    def rule_init(self: ec2_security_groups.SecurityGroupRule, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        prefix_list = signature.bind(self, *args, **kwargs).arguments.get("prefix_list_id")
        self.prefix_list_description = (prefix_list or {}).get("Description")

    rule_init.patched_by_privatecast = True
    return rule_init


def _rule_description(self: ec2_security_groups.SecurityGroupRule) -> str | None:
    return self.ip_range.get("Description") or getattr(self, "prefix_list_description", None)


def _wrap_flattened_rules(original):
    """DescribeSecurityGroups: each prefix list of a grouped rule with its description."""

    def flattened_rules(self: ec2_security_groups.SecurityGroup, rules: list) -> list:
        views = original(self, rules)
        descriptions = {
            (
                rule.from_port,
                rule.to_port,
                rule.ip_protocol,
                rule.prefix_list_id,
            ): rule.prefix_list_description
            for rule in rules
            if rule.prefix_list_id and getattr(rule, "prefix_list_description", None) is not None
        }
        for view in views:
            for entry in view.prefix_list_ids:
                key = (view.from_port, view.to_port, view.ip_protocol, entry["PrefixListId"])
                if key in descriptions:
                    entry["Description"] = descriptions[key]
        return views

    flattened_rules.patched_by_privatecast = True
    return flattened_rules


def _wrap_update_description(original):
    def update_description(self: Any, wanted: ec2_security_groups.SecurityGroupRule, rule: Any) -> None:
        original(self, wanted, rule)
        if wanted.prefix_list_id and wanted.prefix_list_id == rule.prefix_list_id:
            rule.prefix_list_description = wanted.prefix_list_description

    update_description.patched_by_privatecast = True
    return update_description


def _wrap_returning_true(original):
    def returning_true(self: SecurityGroupsResponse) -> ActionResult:
        original(self)
        return ActionResult({"Return": True})

    returning_true.patched_by_privatecast = True
    return returning_true


def _restore_rules(config: Any) -> None:
    """Rule names back to AWS's spelling, empty values back to empty."""
    if isinstance(config, dict):
        if "Name" in config and "Value" in config:
            config["Name"] = AWS_RULE_NAMES.get(config["Name"], config["Name"])
            config["Value"] = "" if config["Value"] == EMPTY_VALUE else config["Value"]
        for value in config.values():
            _restore_rules(value)
    elif isinstance(config, list):
        for item in config:
            _restore_rules(item)


def _wrap_notification_parser(original):
    def parse_notification_config(self: s3_responses.S3Response) -> dict[str, Any]:
        body = self.body.decode() if isinstance(self.body, bytes) else self.body
        body = re.sub(
            r"<Name>(Prefix|Suffix)</Name>", lambda match: f"<Name>{match.group(1).lower()}</Name>", body
        )
        self.body = re.sub(r"<Value\s*/>|<Value></Value>", f"<Value>{EMPTY_VALUE}</Value>", body)
        config = original(self)
        _restore_rules(config)
        return config

    parse_notification_config.patched_by_privatecast = True
    return parse_notification_config


def _condition_holds_over_tls(condition: dict[str, Any]) -> bool:
    """True when every condition is aws:SecureTransport and a TLS request meets it."""
    for operator, values in condition.items():
        for key, expected in values.items():
            if operator != "Bool" or key.lower() != "aws:securetransport":
                return False
            wanted = expected if isinstance(expected, list) else [expected]
            if "true" not in [str(value).lower() for value in wanted]:
                return False
    return True


def bucket_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(self.policy)["Statement"]
    result = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition")
        if condition and not _condition_holds_over_tls(condition):
            continue
        unconditioned = {key: value for key, value in statement.items() if key != "Condition"}
        permission = IAMPolicyStatement(unconditioned).is_action_permitted(action, resource)
        if permission == PermissionResult.DENIED:
            return permission
        if permission == PermissionResult.PERMITTED:
            result = permission
    return result


def _patch_once(owner: type, name: str, wrap) -> None:
    """Wraps owner.name once, however often apply() runs."""
    original = getattr(owner, name)
    if not getattr(original, "patched_by_privatecast", False):
        setattr(owner, name, wrap(original))


def apply() -> None:
    moto_gaps_cloudfront_headers.apply()
    FakeBucket.get_permission = bucket_permission
    apigw_responses.ApiGatewayV2Response.get_authorizers = get_authorizers
    apigw_responses.ApiGatewayV2Response.update_stage = update_stage
    CloudFrontResponse.update_key_group = update_key_group
    CloudFrontResponse.delete_key_group = delete_key_group
    _patch_once(cloudfront_models.Origin, "__init__", _wrap_origin_init)
    _patch_once(ec2_security_groups.SecurityGroupRule, "__init__", _wrap_rule_init)
    ec2_security_groups.SecurityGroupRule.description = property(_rule_description)
    _patch_once(ec2_security_groups.SecurityGroup, "_flattened_rules", _wrap_flattened_rules)
    _patch_once(ec2_security_groups.SecurityGroupBackend, "_sg_update_description", _wrap_update_description)
    for direction in ("ingress", "egress"):
        _patch_once(
            SecurityGroupsResponse,
            f"update_security_group_rule_descriptions_{direction}",
            _wrap_returning_true,
        )
    ec2_tags.EC2_PREFIX_TO_RESOURCE["eipalloc"] = "elastic-ip"
    _patch_once(s3_responses.S3Response, "_notification_config_from_body", _wrap_notification_parser)
    moto_gaps_cognito.apply()
    moto_gaps_cognito_attributes.apply()
    moto_gaps_lambda_events.apply()
    moto_gaps_dns_firewall.apply()
    moto_gaps_budgets.apply()
    moto_gaps_teardown.apply()
    moto_request_log.apply()  # a measuring tool, not a gap: off unless its variable is set


def main() -> None:
    apply()
    moto_server_main(sys.argv[1:])


if __name__ == "__main__":
    main()
