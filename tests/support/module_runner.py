"""Runs an Ansible module's main() in-process (for moto's mock_aws) and returns its result."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


def run_module(
    main: Callable[[], None],
    capsys: pytest.CaptureFixture[str],
    args: dict[str, Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
) -> dict[str, Any]:
    """The module's JSON result, with its exit code as `rc`; a failed module's result has
    `failed: true`."""
    module_args = {**args, "_ansible_check_mode": check_mode, "_ansible_diff": diff}
    with patch_module_args(module_args), pytest.raises(SystemExit) as exited:
        main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exited.value.code
    return result


class LogRecorder:
    """Collects everything a module sends to the system log (AnsibleModule.log)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[str] = []
        monkeypatch.setattr(basic.AnsibleModule, "log", self.record)

    def record(self, msg: str, log_args: dict | None = None) -> None:
        self.messages.append(f"{msg} {json.dumps(log_args or {}, default=str)}")

    @property
    def text(self) -> str:
        return "\n".join(self.messages)
