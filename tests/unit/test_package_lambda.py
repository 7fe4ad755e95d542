"""roles/aws_api/files/package_lambda.py: the same files give the same zip bytes, whatever
their timestamps, permissions or the order they are named in; a rebuild rewrites nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGER = REPO_ROOT / "roles" / "aws_api" / "files" / "package_lambda.py"


def package(output: Path, *files: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, str(PACKAGER), str(output), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def write_sources(folder: Path, mtime: int, mode: int) -> list[Path]:
    folder.mkdir()
    files = []
    for name, text in (
        ("handler.py", "def handler(event, context):\n    return 1\n"),
        ("shared.py", "X = 1\n"),
    ):
        path = folder / name
        path.write_text(text)
        path.chmod(mode)
        os.utime(path, (mtime, mtime))
        files.append(path)
    return files


def test_same_files_give_the_same_bytes(tmp_path: Path):
    first = write_sources(tmp_path / "a", mtime=1_000_000, mode=0o600)
    second = write_sources(tmp_path / "b", mtime=2_000_000_000, mode=0o755)

    one = package(tmp_path / "one.zip", *first)
    two = package(tmp_path / "two.zip", *reversed(second))

    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    assert one["sha256"] == two["sha256"]
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert archive.namelist() == ["handler.py", "shared.py"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}


def test_rebuild_rewrites_only_on_change(tmp_path: Path):
    files = write_sources(tmp_path / "src", mtime=1_000_000, mode=0o644)
    output = tmp_path / "out.zip"

    assert package(output, *files)["changed"] is True
    written = output.stat().st_mtime_ns
    assert package(output, *files)["changed"] is False
    assert output.stat().st_mtime_ns == written

    files[0].write_text("def handler(event, context):\n    return 2\n")
    assert package(output, *files)["changed"] is True


def test_two_files_with_one_name_are_refused(tmp_path: Path):
    first = write_sources(tmp_path / "a", mtime=1, mode=0o644)
    second = write_sources(tmp_path / "b", mtime=1, mode=0o644)

    completed = subprocess.run(
        [sys.executable, str(PACKAGER), str(tmp_path / "x.zip"), str(first[0]), str(second[0])],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode != 0
    assert "handler.py" in completed.stderr
    assert not (tmp_path / "x.zip").exists()
