"""The guides stay true to the code: every test docs/security.md and docs/operations.md
name exists (a renamed test must take its row along), and the README's local quick start
stays two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

GUIDES = ("docs/security.md", "docs/operations.md")
# `path.py::name`, or `::name` after a path named earlier on the same line.
TEST_REFERENCE = re.compile(r"`((?:[\w./-]+\.py)?)::(\w+)`")
TASK_REFERENCE = re.compile(r'`((?:molecule|tests)/[\w./-]+\.yml)`, task "([^"]+)"')


def named_tests(text: str) -> list[tuple[str, str]]:
    """(file, function) pairs a guide names, each `::name` resolved to the line's last file."""
    found = []
    for line in text.splitlines():
        current = ""
        for match in TEST_REFERENCE.finditer(line):
            current = match.group(1) or current
            found.append((current, match.group(2)))
    return found


def defines(path: Path, name: str) -> bool:
    return (
        re.search(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", path.read_text(encoding="utf-8"), re.M)
        is not None
    )


@pytest.mark.parametrize("guide", GUIDES)
def test_every_named_test_exists(guide: str) -> None:
    references = named_tests((REPO_ROOT / guide).read_text(encoding="utf-8"))
    assert references, f"{guide} names no test"
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not path or not (REPO_ROOT / path).is_file() or not defines(REPO_ROOT / path, name)
    ]
    assert missing == []


@pytest.mark.parametrize("guide", GUIDES)
def test_every_named_verify_task_exists(guide: str) -> None:
    text = (REPO_ROOT / guide).read_text(encoding="utf-8")
    missing = [
        f"{path}: {task}"
        for path, task in TASK_REFERENCE.findall(text)
        if not (REPO_ROOT / path).is_file()
        or f"name: {task}" not in (REPO_ROOT / path).read_text(encoding="utf-8")
    ]
    assert missing == []


def test_a_renamed_test_is_noticed() -> None:
    text = "| case | `tests/unit/test_galaxy_metadata.py::test_a_real_host_passes`, `::no_such_test` |"
    references = named_tests(text)
    assert references == [
        ("tests/unit/test_galaxy_metadata.py", "test_a_real_host_passes"),
        ("tests/unit/test_galaxy_metadata.py", "no_such_test"),
    ]
    path = REPO_ROOT / references[0][0]
    assert defines(path, references[0][1])
    assert not defines(path, references[1][1])


def test_the_local_quick_start_is_two_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert [command.split()[0] for command in commands] == ["./scripts/up", "./scripts/test"]


def test_the_readme_opens_with_the_architecture_picture() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("```mermaid\nflowchart") < readme.index("\n## ")
