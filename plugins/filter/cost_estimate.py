# -*- coding: utf-8 -*-
# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter privatecast.streaming.cost_estimate (documented in cost_estimate.yml)."""

from __future__ import absolute_import, annotations, division, print_function

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.privatecast.streaming.plugins.module_utils.cost import CostError, estimate


def _plain(value: Any) -> Any:
    """Ansible's lazy containers as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _cost_estimate(use: Any, prices: Any, region: str, stack: Any = None) -> dict[str, Any]:
    if use is not None and not isinstance(use, dict):
        raise AnsibleFilterError(f"cost_estimate expects the use as a mapping, got {type(use).__name__}")
    if not isinstance(prices, dict):
        raise AnsibleFilterError(
            f"cost_estimate expects the price table as a mapping, got {type(prices).__name__}"
        )
    try:
        return estimate(_plain(use), _plain(prices), str(region), _plain(stack))
    except CostError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"cost_estimate": _cost_estimate}
