"""Runs the collection's playbooks with ansible-playbook and reads the results as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def ensure_ssh_key(private_key: Path) -> None:
    """The local inventory imports <state>/ssh/id_ed25519.pub into EC2."""
    if private_key.exists():
        return
    private_key.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "privatecast-test", "-f", str(private_key)],
        check=True,
    )


@dataclass
class PlaybookResult:
    returncode: int
    output: dict[str, Any]
    stderr: str

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return self.output.get("stats", {})

    def changed(self, host: str = "localhost") -> int:
        return self.stats.get(host, {}).get("changed", 0)

    def failed(self, host: str = "localhost") -> int:
        host_stats = self.stats.get(host, {})
        return host_stats.get("failures", 0) + host_stats.get("unreachable", 0)

    def task_results(self, task_name: str, host: str = "localhost") -> list[dict[str, Any]]:
        """Every result of the tasks with this name, in run order."""
        found = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == task_name and host in task["hosts"]:
                    found.append(task["hosts"][host])
        return found

    def changed_tasks(self, host: str = "localhost") -> list[str]:
        names = []
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                if task["hosts"].get(host, {}).get("changed"):
                    names.append(task["task"]["name"])
        return names


@dataclass
class PlaybookRunner:
    repo_root: Path
    endpoint_url: str
    state_dir: Path
    inventory: str = "inventory/local"
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ensure_ssh_key(self.state_dir / "ssh" / "id_ed25519")

    def run(
        self,
        playbook: str,
        extra_vars: dict[str, Any] | None = None,
        *,
        check: bool = False,
        diff: bool = False,
        extra_args: tuple[str, ...] = (),
    ) -> PlaybookResult:
        variables = {"privatecast_aws_endpoint_url": self.endpoint_url, **(extra_vars or {})}
        command = [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            str(self.repo_root / self.inventory),
            str(self.repo_root / "playbooks" / playbook),
            "-e",
            json.dumps(variables),
        ]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        command.extend(extra_args)
        env = {
            **os.environ,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_COLLECTIONS_PATH": str(self.repo_root / ".ansible" / "collections"),
            "ANSIBLE_ROLES_PATH": str(self.repo_root / "roles"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "PRIVATECAST_LOCAL_STATE": str(self.state_dir),
            **self.extra_env,
        }
        # No terminal: a playbook that asks (pause with a prompt) gets no answer instead of waiting.
        completed = subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        try:
            output = json.loads(completed.stdout)
        except json.JSONDecodeError:
            output = {"raw": completed.stdout}
        return PlaybookResult(completed.returncode, output, completed.stderr)
