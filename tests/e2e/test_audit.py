"""playbooks/audit.yml against the running local stack (scripts/up): every check passes,
the host-side ones included. They probe the real HAProxy in front of the real Owncast from
this machine: Owncast refuses its default admin password, only admin paths answer, and
the admin page refuses a source outside the admin CIDRs (127.0.0.2;
inventory/local/group_vars/all/audit.yml)."""

from __future__ import annotations

import pytest

from tests.support.local_stack import REPO_ROOT, STATE, LocalStack
from tests.support.playbook import PlaybookRunner

CREDENTIALS = {  # scripts/up's: they reach only the local stack's moto server
    "AWS_ACCESS_KEY_ID": "MOTOLOCALSTACKKEYID",
    "AWS_SECRET_ACCESS_KEY": "moto-local-stack-secret-access-key",
}


def test_the_local_stack_passes_every_check(local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    runner = PlaybookRunner(
        repo_root=REPO_ROOT, endpoint_url=local_stack.moto_url, state_dir=STATE, extra_env=CREDENTIALS
    )
    result = runner.run("audit.yml")
    (audited,) = result.task_results("Audit the stack")
    failed = [row for row in audited["checks"] if row["status"] != "pass"]
    assert result.returncode == 0 and not failed, failed or result.stderr
    by_check = {row["check"]: row for row in audited["checks"]}
    assert by_check["owncast_admin_password"]["reason"] == "the default password is refused (HTTP 401)"
    assert by_check["proxy_admin_sources"]["resource"].endswith("from 127.0.0.2")
    proxy_rows = [row for row in audited["checks"] if row["check"] == "proxy_paths"]
    assert len(proxy_rows) == 2, proxy_rows  # the admin answers; every public path refused
