# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags, one way for every module, through amazon.aws's tagging helpers: a module's
``tags`` and ``purge_tags`` options say what the resource's tags become; ``tags: null``
leaves them alone."""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)


def tag_changes(
    current: dict[str, str], wanted: dict[str, Any] | None, purge: bool
) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove) so `current` becomes what `wanted` and `purge` ask."""
    if wanted is None:
        return {}, []
    to_set, to_remove = compare_aws_tags(current, wanted, purge)
    return dict(to_set), list(to_remove)


def tags_to_add(current: dict[str, str], wanted: dict[str, Any] | None) -> dict[str, str]:
    """The tags to set so `current` has every wanted one (none removed: purge off)."""
    return tag_changes(current, wanted, purge=False)[0]


def tags_after(current: dict[str, str], wanted: dict[str, Any] | None, purge: bool) -> dict[str, str]:
    """The tags once tag_changes is applied."""
    to_set, to_remove = tag_changes(current, wanted, purge)
    kept = {key: value for key, value in current.items() if key not in to_remove}
    return {**kept, **to_set}


def tag_dict(tag_list: list[dict[str, str]] | None) -> dict[str, str]:
    """AWS's [{"Key": k, "Value": v}] as {k: v}."""
    return boto3_tag_list_to_ansible_dict(tag_list or [])


def tag_list(tags: dict[str, Any]) -> list[dict[str, str]]:
    """{k: v} as AWS's [{"Key": k, "Value": v}], sorted by key."""
    return sorted(ansible_dict_to_boto3_tag_list(tags), key=lambda tag: tag["Key"])
