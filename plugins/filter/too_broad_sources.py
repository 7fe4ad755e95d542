# -*- coding: utf-8 -*-
# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter privatecast.streaming.too_broad_sources (documented in too_broad_sources.yml)."""

from __future__ import absolute_import, annotations, division, print_function

from ansible.errors import AnsibleFilterError
from ansible_collections.privatecast.streaming.plugins.module_utils.maintenance import (
    MaintenanceError,
    too_broad_sources,
)


def _too_broad_sources(cidrs: list[str], what: str = "sources") -> list[str]:
    if not isinstance(cidrs, (list, tuple)):
        raise AnsibleFilterError(f"too_broad_sources expects a list of CIDRs, got {type(cidrs).__name__}")
    try:
        return too_broad_sources(list(cidrs), str(what))
    except MaintenanceError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"too_broad_sources": _too_broad_sources}
