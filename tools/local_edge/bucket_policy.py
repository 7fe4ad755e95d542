"""What S3 lets CloudFront read under origin access control: the bucket policy's statements
for the service principal cloudfront.amazonaws.com, evaluated for one request as S3
would (an explicit Deny wins, then an Allow, otherwise access is denied).

The edge reads objects with the local stack's credentials, so it asks this module first
whether CloudFront itself would have been allowed. Condition keys it knows: AWS:SourceArn
and AWS:SourceAccount (CloudFront sends the distribution's ARN and account under OAC) and
aws:SecureTransport (CloudFront talks to S3 over HTTPS). A statement with any other
condition key is treated as not matching when it allows and as matching when it denies,
so an unknown condition never grants what AWS might refuse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"


@dataclass(frozen=True)
class CloudFrontRequest:
    action: str  # s3:GetObject, s3:ListBucket
    resource: str  # arn:aws:s3:::bucket/key or arn:aws:s3:::bucket
    source_arn: str  # the distribution's ARN
    source_account: str


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.fullmatch(regex, value, flags) is not None


def _principal_matches(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        if principal.get("AWS") == "*":
            return True
        return CLOUDFRONT_SERVICE in _as_list(principal.get("Service", []))
    return False


def _condition_values(request: CloudFrontRequest) -> dict[str, str]:
    return {
        "aws:sourcearn": request.source_arn,
        "aws:sourceaccount": request.source_account,
        "aws:securetransport": "true",
    }


OPERATORS = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringLike": _wildcard,
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnLike": _wildcard,
    "Bool": lambda expected, actual: str(expected).lower() == actual,
}


def _condition_holds(condition: dict[str, Any], request: CloudFrontRequest) -> bool | None:
    """True/False when every operator and key is known; None when one is not."""
    values = _condition_values(request)
    for operator, tests in condition.items():
        compare = OPERATORS.get(operator)
        if compare is None:
            return None
        for key, expected in tests.items():
            actual = values.get(key.lower())
            if actual is None:
                return None
            if not any(compare(item, actual) for item in _as_list(expected)):
                return False
    return True


def _statement_applies(statement: dict[str, Any], request: CloudFrontRequest) -> bool:
    if not _principal_matches(statement.get("Principal")):
        return False
    actions = _as_list(statement.get("Action", []))
    if not any(_wildcard(action, request.action, case_sensitive=False) for action in actions):
        return False
    if not any(_wildcard(resource, request.resource) for resource in _as_list(statement.get("Resource", []))):
        return False
    holds = _condition_holds(statement.get("Condition") or {}, request)
    if holds is None:
        return statement.get("Effect") == "Deny"
    return holds


def cloudfront_allowed(policy_text: str | None, request: CloudFrontRequest) -> bool:
    if not policy_text:
        return False
    statements = _as_list(json.loads(policy_text).get("Statement", []))
    applying = [statement for statement in statements if _statement_applies(statement, request)]
    if any(statement.get("Effect") == "Deny" for statement in applying):
        return False
    return any(statement.get("Effect") == "Allow" for statement in applying)
