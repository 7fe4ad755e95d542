"""The collection builds with ansible-galaxy, installs, and its modules, roles and
playbooks resolve by fully qualified name from the installed copy (not the work tree)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO_ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
PLAYBOOKS = sorted(p.stem for p in (REPO_ROOT / "playbooks").glob("*.yml"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("collection")
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", work, REPO_ROOT],
        check=True,
        capture_output=True,
    )
    (artifact,) = work.glob("privatecast-streaming-*.tar.gz")
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    leaked = [
        n
        for n in names
        if n.split("/")[0] in {"local-stack", ".ansible", ".git"} or n.startswith("tests/output")
    ]
    assert not leaked, f"local state in the artifact: {leaked[:5]}"
    subprocess.run(
        [
            BIN / "ansible-galaxy",
            "collection",
            "install",
            "--force",
            "--no-deps",
            "-p",
            work / "cols",
            artifact,
        ],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_ROLES_PATH"}
    return {**env, "ANSIBLE_COLLECTIONS_PATH": str(work / "cols")}


def test_every_module_documents_itself_from_the_installed_collection(installed: dict[str, str]) -> None:
    assert MODULES, "no modules found"
    for module in MODULES:
        shown = subprocess.run(
            [BIN / "ansible-doc", f"privatecast.streaming.{module}"],
            env=installed,
            capture_output=True,
            text=True,
            check=False,
        )
        assert shown.returncode == 0, shown.stderr
        assert str(REPO_ROOT) not in shown.stdout, "resolved from the work tree, not the installed copy"
        assert "EXAMPLES" in shown.stdout and "RETURN VALUES" in shown.stdout, module


def test_every_playbook_runs_by_its_fully_qualified_name(installed: dict[str, str]) -> None:
    assert "site" in PLAYBOOKS
    for playbook in PLAYBOOKS:
        checked = subprocess.run(
            [BIN / "ansible-playbook", f"privatecast.streaming.{playbook}", "--syntax-check"],
            env=installed,
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, f"{playbook}: {checked.stderr}"
        assert "/ansible_collections/privatecast/streaming/playbooks/" in checked.stdout
