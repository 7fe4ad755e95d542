"""The tests' IAM policy evaluator (tests/support/iam_policy.py) against the rules of the
IAM User Guide ("Policy evaluation logic", "Condition operators")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.iam_policy import (
    Decision,
    Request,
    UnsupportedPolicy,
    allows,
    allows_all,
    evaluate,
    wildcard_match,
)

BUCKET = "arn:aws:s3:::b"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "s3:PutObject", resource: Any = f"{BUCKET}/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def put(key: str, **context: Any) -> Request:
    return Request("s3:PutObject", f"{BUCKET}/{key}", context)


# --- effects ---------------------------------------------------------------------------


def test_nothing_is_allowed_without_an_allow() -> None:
    assert evaluate([policy()], put("a")) is Decision.IMPLICIT_DENY
    assert evaluate([policy(allow(action="s3:GetObject"))], put("a")) is Decision.IMPLICIT_DENY


def test_an_allow_allows_and_an_explicit_deny_wins_in_any_order() -> None:
    deny = {**allow(), "Effect": "Deny"}
    assert evaluate([policy(allow())], put("a")) is Decision.ALLOW
    assert evaluate([policy(allow(), deny)], put("a")) is Decision.EXPLICIT_DENY
    assert evaluate([policy(deny), policy(allow())], put("a")) is Decision.EXPLICIT_DENY


# --- actions and resources -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("hls/*", "hls/0/a.ts", True),  # "*" crosses "/"
        ("hls/*/*.ts", "hls/0/a.ts", True),
        ("hls/*/*.ts", "hls/a.ts", False),  # the "/" of the pattern is literal
        ("hls/*/*.ts", "hls/0/a.html", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a.c", "abc", False),  # "." is literal
        ("*", "", True),
    ],
)
def test_wildcards(pattern: str, value: str, matches: bool) -> None:
    assert wildcard_match(pattern, value) is matches


def test_actions_ignore_case_and_resources_do_not() -> None:
    assert allows(policy(allow(action="S3:putobject")), put("a"))
    assert allows(policy(allow(action="s3:Put*")), put("a"))
    assert not allows(policy(allow(resource=f"{BUCKET}/HLS/*")), put("hls/a"))


def test_a_list_of_actions_or_resources_is_any_of_them() -> None:
    statement = allow(action=["s3:GetObject", "s3:PutObject"], resource=[f"{BUCKET}/x", f"{BUCKET}/y/*"])
    assert allows(policy(statement), put("y/z"))
    assert not allows(policy(statement), put("z"))


def test_not_action_and_not_resource_match_everything_else() -> None:
    not_action = {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}
    assert allows(policy(not_action), put("a"))
    assert not allows(policy(not_action), Request("s3:DeleteObject", f"{BUCKET}/a"))
    not_resource = {"Effect": "Allow", "Action": "s3:PutObject", "NotResource": f"{BUCKET}/web/*"}
    assert allows(policy(not_resource), put("hls/a"))
    assert not allows(policy(not_resource), put("web/a"))


# --- conditions ------------------------------------------------------------------------


def conditioned(condition: dict[str, Any]) -> dict[str, Any]:
    return policy(allow(Condition=condition))


def test_string_equals_needs_the_key_and_one_of_the_values() -> None:
    endpoint = conditioned({"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}})
    assert allows(endpoint, put("a", **{"aws:SourceVpce": "vpce-2"}))
    assert not allows(endpoint, put("a", **{"aws:SourceVpce": "vpce-3"}))
    assert not allows(endpoint, put("a"))  # a missing key never equals
    assert allows(endpoint, put("a", **{"AWS:SOURCEVPCE": "vpce-1"}))  # key names ignore case
    assert not allows(endpoint, put("a", **{"aws:SourceVpce": "VPCE-1"}))  # values do not


def test_every_key_and_every_operator_must_hold() -> None:
    both = conditioned({"StringEquals": {"k1": "a", "k2": "b"}, "StringLike": {"k3": "x*"}})
    assert allows(both, put("o", k1="a", k2="b", k3="xyz"))
    assert not allows(both, put("o", k1="a", k2="b", k3="yz"))
    assert not allows(both, put("o", k1="a", k3="xyz"))


def test_negated_operators_hold_for_a_missing_key_and_match_none_of_the_values() -> None:
    negated = conditioned({"StringNotEquals": {"tag": ["a", "b"]}})
    assert allows(negated, put("o", tag="c"))
    assert not allows(negated, put("o", tag="b"))
    assert allows(negated, put("o"))
    assert not allows(conditioned({"StringNotLike": {"p": "hls/*"}}), put("o", p="hls/0"))


def test_if_exists_holds_for_a_missing_key_only() -> None:
    if_exists = conditioned({"StringEqualsIfExists": {"tag": "a"}})
    assert allows(if_exists, put("o"))
    assert allows(if_exists, put("o", tag="a"))
    assert not allows(if_exists, put("o", tag="b"))


def test_null_tests_whether_the_key_is_there() -> None:
    absent = conditioned({"Null": {"tag": "true"}})
    present = conditioned({"Null": {"tag": "false"}})
    assert allows(absent, put("o")) and not allows(absent, put("o", tag="x"))
    assert allows(present, put("o", tag="x")) and not allows(present, put("o"))


def test_bool_compares_true_and_false_as_words() -> None:
    tls = conditioned({"Bool": {"aws:SecureTransport": "true"}})
    assert allows(tls, put("o", **{"aws:SecureTransport": "TRUE"}))
    assert not allows(tls, put("o", **{"aws:SecureTransport": "false"}))


def test_arn_like_matches_part_by_part() -> None:
    arn = conditioned({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*"}})
    assert allows(arn, put("o", **{"aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}))
    assert not allows(arn, put("o", **{"aws:SourceArn": "arn:aws:cloudfront::999999999999:distribution/E1"}))
    assert not allows(arn, put("o", **{"aws:SourceArn": "not-an-arn"}))


def test_set_qualifiers_on_keys_with_several_values() -> None:
    any_value = conditioned({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}})
    all_values = conditioned({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})
    assert allows(any_value, put("o", **{"aws:TagKeys": ["b", "z"]}))
    assert not allows(any_value, put("o", **{"aws:TagKeys": ["y", "z"]}))
    assert not allows(any_value, put("o"))
    assert allows(all_values, put("o", **{"aws:TagKeys": ["a", "b"]}))
    assert not allows(all_values, put("o", **{"aws:TagKeys": ["a", "z"]}))
    assert allows(all_values, put("o"))  # vacuously: no value fails


def test_a_call_on_several_resources_needs_each_allowed() -> None:
    statement = allow(action="ec2:ModifyInstanceAttribute", resource="arn:aws:ec2:r:1:instance/*")
    instance = Request("ec2:ModifyInstanceAttribute", "arn:aws:ec2:r:1:instance/i-1")
    group = Request("ec2:ModifyInstanceAttribute", "arn:aws:ec2:r:1:security-group/sg-1")
    assert allows_all(policy(statement), [instance])
    assert not allows_all(policy(statement), [instance, group])


@pytest.mark.parametrize(
    "statement",
    [
        allow(Condition={"NumericLessThan": {"s3:max-keys": "10"}}),  # operator not implemented
        allow(Condition={"StringEquals": {"aws:username": "${aws:username}"}}),  # a policy variable
        allow(Principal="*"),  # a resource policy's element
        {"Effect": "Allow", "Action": "s3:PutObject", "NotAction": "s3:GetObject", "Resource": "*"},
        {"Effect": "Maybe", "Action": "s3:PutObject", "Resource": "*"},
    ],
)
def test_what_it_does_not_implement_is_refused_loudly(statement: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicy):
        evaluate([policy(statement)], put("a", **{"s3:max-keys": "5", "aws:username": "u"}))
