"""roles/aws_api/files/package_lambda.py: a zip holds what its handler imports (followed
through the lambda dir and the shared modules, wherever the import stands), refuses an
import it cannot place, installs pinned wheels only with a pinned digest, and gives the
same bytes for the same inputs whatever their timestamps or permissions; a rebuild
rewrites nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import lambda_zip

packager = lambda_zip.load_packager()

SOURCES = {
    "handler.py": (
        "import json\nimport boto3\n\ndef handler(event, context):\n"
        "    import helper\n    return helper.VALUE\n"
    ),
    "helper.py": "try:\n    import maintenance\nexcept ImportError:\n    maintenance = None\nVALUE = 1\n",
    "unused.py": "UNUSED = 1\n",
}
SHARED = {"maintenance.py": "from datetime import datetime\nX = 1\n", "owncast.py": "Y = 1\n"}


def write_tree(folder: Path, files: dict[str, str], mtime: int, mode: int) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        path = folder / name
        path.write_text(text)
        path.chmod(mode)
        os.utime(path, (mtime, mtime))
    return folder


def sources(root: Path, mtime: int = 1_000_000, mode: int = 0o644, **changes: str) -> tuple[Path, Path]:
    lambda_dir = write_tree(root / "lambda", {**SOURCES, **changes}, mtime, mode)
    return lambda_dir, write_tree(root / "shared", SHARED, mtime, mode)


def package(
    output: Path, dirs: tuple[Path, Path], handler: str = "handler.handler"
) -> subprocess.CompletedProcess:
    lambda_dir, shared_dir = dirs
    return subprocess.run(
        [sys.executable, str(lambda_zip.PACKAGER), str(output), handler, "--lambda-dir", str(lambda_dir),
         "--shared-dir", str(shared_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_zip_holds_what_the_handler_imports(tmp_path: Path) -> None:
    completed = package(tmp_path / "out.zip", sources(tmp_path))

    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["modules"] == ["handler", "helper", "maintenance"]
    assert summary["libraries"] == []
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.namelist() == ["handler.py", "helper.py", "maintenance.py"]
        assert archive.read("maintenance.py").decode() == SHARED["maintenance.py"]


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    one = json.loads(package(tmp_path / "one.zip", sources(tmp_path / "a", 1_000_000, 0o600)).stdout)
    two = json.loads(package(tmp_path / "two.zip", sources(tmp_path / "b", 2_000_000_000, 0o755)).stdout)

    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    assert one["sha256"] == two["sha256"]
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}


def test_rebuild_rewrites_only_on_change(tmp_path: Path) -> None:
    dirs = sources(tmp_path)
    output = tmp_path / "out.zip"

    assert json.loads(package(output, dirs).stdout)["changed"] is True
    written = output.stat().st_mtime_ns
    assert json.loads(package(output, dirs).stdout)["changed"] is False
    assert output.stat().st_mtime_ns == written

    (dirs[0] / "unused.py").write_text("UNUSED = 2\n")  # not imported: the zip stays
    assert json.loads(package(output, dirs).stdout)["changed"] is False
    (dirs[0] / "helper.py").write_text("VALUE = 2\n")
    assert json.loads(package(output, dirs).stdout)["changed"] is True


def package_many(dirs: tuple[Path, Path], *functions: tuple[Path, str]) -> subprocess.CompletedProcess:
    lambda_dir, shared_dir = dirs
    pairs = [arg for output, handler in functions for arg in ("--function", str(output), handler)]
    return subprocess.run(
        [sys.executable, str(lambda_zip.PACKAGER), *pairs, "--lambda-dir", str(lambda_dir),
         "--shared-dir", str(shared_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_one_run_builds_several_zips_as_separate_runs_would(tmp_path: Path) -> None:
    dirs = sources(tmp_path, **{"other.py": "import helper\n\ndef handler(event, context):\n    return 2\n"})
    alone = json.loads(package(tmp_path / "alone.zip", dirs, handler="other.handler").stdout)

    completed = package_many(
        dirs, (tmp_path / "one.zip", "handler.handler"), (tmp_path / "two.zip", "other.handler")
    )

    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["changed"] is True
    assert [f["path"] for f in summary["functions"]] == [str(tmp_path / "one.zip"), str(tmp_path / "two.zip")]
    assert summary["functions"][1]["sha256"] == alone["sha256"]
    assert (tmp_path / "two.zip").read_bytes() == (tmp_path / "alone.zip").read_bytes()
    assert summary["functions"][0]["modules"] == ["handler", "helper", "maintenance"]
    again = package_many(
        dirs, (tmp_path / "one.zip", "handler.handler"), (tmp_path / "two.zip", "other.handler")
    )
    assert json.loads(again.stdout)["changed"] is False


def test_a_refused_function_fails_the_whole_run(tmp_path: Path) -> None:
    dirs = sources(tmp_path)
    completed = package_many(
        dirs, (tmp_path / "one.zip", "handler.handler"), (tmp_path / "two.zip", "nothere.handler")
    )

    assert completed.returncode == 1
    assert "'nothere'" in completed.stderr


def test_zips_are_named_either_way_not_both(tmp_path: Path) -> None:
    lambda_dir, shared_dir = sources(tmp_path)
    both = subprocess.run(
        [sys.executable, str(lambda_zip.PACKAGER), str(tmp_path / "a.zip"), "handler.handler",
         "--function", str(tmp_path / "b.zip"), "handler.handler",
         "--lambda-dir", str(lambda_dir), "--shared-dir", str(shared_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert both.returncode == 2
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize(
    ("helper", "refused"),
    [
        ("import requests\n", "'requests'"),  # neither local, shared, stdlib nor runtime
        ("import owncast\n", "'owncast'"),  # a module_utils file that is not a shared module
        ("from . import sibling\n", "relative imports"),
    ],
)
def test_an_import_the_zip_cannot_hold_is_refused(tmp_path: Path, helper: str, refused: str) -> None:
    completed = package(tmp_path / "out.zip", sources(tmp_path, **{"helper.py": helper}))

    assert completed.returncode == 1
    assert refused in completed.stderr
    assert "helper.py" in completed.stderr
    assert not (tmp_path / "out.zip").exists()


def test_a_missing_handler_is_refused(tmp_path: Path) -> None:
    completed = package(tmp_path / "out.zip", sources(tmp_path), handler="nothere.handler")

    assert completed.returncode == 1
    assert "'nothere'" in completed.stderr


def fake_wheel(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / name
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("zzlib/__init__.py", "VALUE = 1\n")
        archive.writestr("zzlib-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
    return wheel


def test_a_cached_wheel_is_used_only_with_a_pinned_digest(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path / "cache", "zzlib-1.0-py3-none-any.whl")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    pinned = packager.Requirement("zzlib", "1.0", frozenset({digest}))
    other = packager.Requirement("zzlib", "1.0", frozenset({"0" * 64}))

    assert packager.cached_wheels([pinned], tmp_path / "cache", "arm64") == [wheel]
    assert packager.cached_wheels([other], tmp_path / "cache", "arm64") is None
    assert packager.wheel_entries(wheel) == {
        "zzlib/__init__.py": b"VALUE = 1\n",
        "zzlib-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nTag: py3-none-any\n",
    }


def test_a_wheel_for_another_architecture_is_not_used(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path / "cache", "zzlib-1.0-cp312-cp312-manylinux2014_x86_64.whl")
    pinned = packager.Requirement("zzlib", "1.0", frozenset({hashlib.sha256(wheel.read_bytes()).hexdigest()}))

    assert packager.cached_wheels([pinned], tmp_path / "cache", "x86_64") == [wheel]
    assert packager.cached_wheels([pinned], tmp_path / "cache", "arm64") is None


def test_the_requirements_file_pins_every_line_with_a_digest(tmp_path: Path) -> None:
    requirements = packager.parse_requirements(lambda_zip.REQUIREMENTS)
    assert {requirement.name for requirement in requirements} == {"cryptography", "cffi", "pycparser"}
    assert all(requirement.hashes for requirement in requirements)

    loose = tmp_path / "loose.txt"
    loose.write_text("cryptography\n")
    with pytest.raises(packager.PackagingError, match="name==version --hash"):
        packager.parse_requirements(loose)


def package_into(build_dir: Path, dirs: tuple[Path, Path]) -> subprocess.CompletedProcess:
    lambda_dir, shared_dir = dirs
    return subprocess.run(
        [sys.executable, str(lambda_zip.PACKAGER), "--build-dir", str(build_dir),
         "--function", str(build_dir / "one.zip"), "handler.handler",
         "--lambda-dir", str(lambda_dir), "--shared-dir", str(shared_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_build_dir_is_made_private_with_its_missing_parents(tmp_path: Path) -> None:
    dirs = sources(tmp_path)
    existing = tmp_path / "home"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    build_dir = existing / "cache" / "stack" / "lambda"

    completed = package_into(build_dir, dirs)

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["changed"] is True
    assert (build_dir / "one.zip").is_file()
    assert [mode(folder) for folder in (existing / "cache", build_dir.parent, build_dir)] == [0o700] * 3
    assert mode(existing) == 0o755  # a parent that was there keeps its mode
    assert json.loads(package_into(build_dir, dirs).stdout)["changed"] is False


def test_a_build_dir_with_another_mode_is_set_back_and_counts_as_a_change(tmp_path: Path) -> None:
    dirs = sources(tmp_path)
    build_dir = tmp_path / "lambda"
    package_into(build_dir, dirs)
    build_dir.chmod(0o755)

    again = package_into(build_dir, dirs)

    assert json.loads(again.stdout)["changed"] is True
    assert mode(build_dir) == 0o700
