#!/usr/bin/env python
"""Builds one Lambda function's zip from its handler's imports. The zip is byte-identical
for the same inputs (entries sorted by name, fixed timestamps, permissions and
compression); it is rewritten only when its content changes. Prints
{"path", "sha256", "changed", "modules", "libraries"} as JSON.

    package_lambda.py OUTPUT.zip HANDLER --lambda-dir DIR --shared-dir DIR
        [--requirements FILE --wheel-cache DIR --architecture arm64|x86_64
         --python-version 3.12]
    package_lambda.py --function OUTPUT.zip HANDLER [--function ...] --lambda-dir DIR ...
        [--build-dir DIR]

With --function (repeated), builds every function's zip in one run (the role does: one
Python start-up instead of one per function) and prints {"changed": any of them,
"functions": [the summary of each, in order]}.

With --build-dir, the zips' directory is made private first: created with each missing
parent at mode 0700, and set to 0700 if it has another mode (the role needs no task of its
own for it); doing either counts as a change.

What lands in the zip, at its root, follows the handler's `import` statements (read with
ast, in every function and try block, followed module by module):

- a module of the lambda dir (`<lambda dir>/<name>.py`);
- one of SHARED_MODULES, taken from the shared dir (the collection's plugins/module_utils);
- a library pinned in the requirements file (its whole pinned set, installed from wheels
  for the function's architecture and Python version, each wheel's sha256 checked);
- nothing for the standard library and what the Lambda runtime provides (RUNTIME_MODULES).

Any other import is refused: a zip that misses a module fails here, not in AWS.
Wheels are downloaded once with pip (it needs the package index that one time) into the
wheel cache, outside the clone, and checked against the pinned digests on every build.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
BUILD_DIR_MODE = 0o700
# zlib's default: level 9 takes four times as long on the cryptography wheel for 0.6% less.
COMPRESS_LEVEL = 6
UNIX = 3

# The plugins/module_utils files the handlers may import as top-level modules: the ONE
# list. Each imports nothing from Ansible (docs/conventions.md).
SHARED_MODULES = ("cookie_signer", "maintenance", "plan", "stack_resources")
# A shared module imports its siblings by their collection path when Ansible loads it and by
# their top-level name in a zip (both are written): the collection path means the sibling.
COLLECTION_MODULE_UTILS = "ansible_collections.privatecast.streaming.plugins.module_utils."
# What the Lambda Python runtime provides besides the standard library.
RUNTIME_MODULES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "awslambdaric"}
)
# Lambda architecture -> the manylinux platform of its wheels (glibc 2.17 and later: the
# python3.12 runtime, Amazon Linux 2023, has glibc 2.34).
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
WHEEL_ARCH = {"arm64": "aarch64", "x86_64": "x86_64"}
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


class PackagingError(Exception):
    """The zip cannot be built as asked (a module that resolves nowhere, a wheel digest)."""


@dataclass(frozen=True)
class Requirement:
    name: str
    version: str
    hashes: frozenset[str]

    @property
    def import_name(self) -> str:
        return self.name.lower().replace("-", "_")

    @property
    def wheel_prefix(self) -> str:
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}-"


@dataclass
class Resolution:
    """A handler's modules (name -> file) and the pinned libraries it imports."""

    modules: dict[str, Path] = field(default_factory=dict)
    libraries: set[str] = field(default_factory=set)


def parse_requirements(path: Path) -> list[Requirement]:
    """`name==version --hash=sha256:...` lines (backslash continuations joined)."""
    text = path.read_text().replace("\\\n", " ")
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _REQUIREMENT.match(line)
        hashes = frozenset(_HASH.findall(line))
        if match is None or not hashes:
            raise PackagingError(f"{path}: every line must be 'name==version --hash=sha256:...': {line}")
        found.append(Requirement(match.group(1), match.group(2), hashes))
    return found


def imported_names(source: Path) -> set[str]:
    """Top-level module names of every import in the file, wherever it stands."""
    tree = ast.parse(source.read_bytes(), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".", 1)[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise PackagingError(f"{source}: relative imports cannot be resolved in a Lambda zip")
            if node.module and node.module.startswith(COLLECTION_MODULE_UTILS):
                names.add(node.module[len(COLLECTION_MODULE_UTILS) :].split(".", 1)[0])
            elif node.module and node.module != "__future__":
                names.add(node.module.split(".", 1)[0])
    return names


def resolve(handler: str, lambda_dir: Path, shared_dir: Path, libraries: set[str]) -> Resolution:
    """Follow the handler's imports through the lambda dir and the shared modules."""
    result = Resolution()
    pending = [(handler, "the handler")]
    while pending:
        name, importer = pending.pop()
        if name in result.modules:
            continue
        path = _module_file(name, importer, lambda_dir, shared_dir, libraries)
        if path is None:
            if name in libraries:
                result.libraries.add(name)
            continue
        result.modules[name] = path
        pending.extend((imported, path.name) for imported in sorted(imported_names(path)))
    return result


def _module_file(
    name: str, importer: str, lambda_dir: Path, shared_dir: Path, libraries: set[str]
) -> Path | None:
    local = lambda_dir / f"{name}.py"
    if local.is_file():
        return local
    if name in SHARED_MODULES:
        shared = shared_dir / f"{name}.py"
        if not shared.is_file():
            raise PackagingError(f"shared module {name} is missing: {shared}")
        return shared
    if name in sys.stdlib_module_names or name in RUNTIME_MODULES or name in libraries:
        return None
    raise PackagingError(
        f"{importer} imports {name!r}: not in {lambda_dir}, not a shared module "
        f"({', '.join(SHARED_MODULES)}), not in the standard library or the Lambda runtime, "
        "and not pinned in the requirements file"
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wheel_fits(filename: str, architecture: str) -> bool:
    platform_tag = filename[: -len(".whl")].rsplit("-", 1)[-1]
    return platform_tag == "any" or platform_tag.endswith("_" + WHEEL_ARCH[architecture])


def cached_wheels(requirements: list[Requirement], folder: Path, architecture: str) -> list[Path] | None:
    """One wheel per requirement whose digest is pinned, or None when one is missing."""
    found = []
    for requirement in requirements:
        candidates = sorted(folder.glob(requirement.wheel_prefix + "*.whl")) if folder.is_dir() else []
        matching = [
            path
            for path in candidates
            if _wheel_fits(path.name, architecture) and sha256_of(path) in requirement.hashes
        ]
        if not matching:
            return None
        found.append(matching[0])
    return found


def download_wheels(requirements_file: Path, folder: Path, architecture: str, python_version: str) -> None:
    """pip download of the pinned set for the platform, hashes required."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
        "--only-binary=:all:", "--no-deps", "--require-hashes",
        "--platform", PLATFORMS[architecture], "--python-version", python_version,
        "--implementation", "cp", "--dest", str(folder), "-r", str(requirements_file),
    ]  # fmt: skip
    completed = subprocess.run(command, stdout=sys.stderr, check=False)  # noqa: S603 fixed argv
    if completed.returncode != 0:
        raise PackagingError(
            f"pip could not download the pinned wheels of {requirements_file} for {architecture} "
            f"(Python {python_version}); packaging needs the package index once, then {folder} has them"
        )


def pinned_wheels(requirements_file: Path, cache: Path, architecture: str, python_version: str) -> list[Path]:
    requirements = parse_requirements(requirements_file)
    folder = cache / f"{PLATFORMS[architecture]}-cp{python_version.replace('.', '')}"
    wheels = cached_wheels(requirements, folder, architecture)
    if wheels is None:
        download_wheels(requirements_file, folder, architecture, python_version)
        wheels = cached_wheels(requirements, folder, architecture)
    if wheels is None:
        raise PackagingError(
            f"{folder} holds no wheel with a pinned sha256 for every line of {requirements_file}"
        )
    return wheels


def wheel_entries(wheel: Path) -> dict[str, bytes]:
    """The files a wheel installs into site-packages (the zip root)."""
    entries = {}
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            top = info.filename.split("/", 1)[0]
            if top.endswith(".data"):
                raise PackagingError(f"{wheel.name} installs outside site-packages ({top}); not supported")
            entries[info.filename] = archive.read(info)
    return entries


def build_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
            info.external_attr = (0o100000 | FILE_MODE) << 16
            info.create_system = UNIX
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def zip_entries(options: argparse.Namespace) -> tuple[dict[str, bytes], Resolution]:
    requirements = parse_requirements(options.requirements) if options.requirements else []
    libraries = {requirement.import_name for requirement in requirements}
    module = options.handler.rsplit(".", 1)[0]
    resolution = resolve(module, options.lambda_dir, options.shared_dir, libraries)
    entries = {f"{name}.py": path.read_bytes() for name, path in resolution.modules.items()}
    if resolution.libraries:
        wheels = pinned_wheels(
            options.requirements, options.wheel_cache, options.architecture, options.python_version
        )
        for wheel in wheels:
            for name, content in wheel_entries(wheel).items():
                if name in entries:
                    raise PackagingError(f"{wheel.name} and another source both install {name}")
                entries[name] = content
    return entries, resolution


def write_if_changed(output: Path, content: bytes) -> bool:
    if output.exists() and output.read_bytes() == content:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=output.parent, delete=False) as temporary:
        temporary.write(content)
    os.chmod(temporary.name, FILE_MODE)
    os.replace(temporary.name, output)
    return True


def ensure_private_dir(folder: Path) -> bool:
    """Makes `folder` a directory of mode BUILD_DIR_MODE, each missing parent too (what
    ansible.builtin.file with state=directory and that mode does). True when it created or
    re-moded one."""
    changed = False
    for missing in reversed([path for path in (folder, *folder.parents) if not path.exists()]):
        missing.mkdir(exist_ok=True)
        missing.chmod(BUILD_DIR_MODE)
        changed = True
    if stat.S_IMODE(folder.stat().st_mode) != BUILD_DIR_MODE:
        folder.chmod(BUILD_DIR_MODE)
        changed = True
    return changed


def default_wheel_cache() -> Path:
    base = os.environ.get("PRIVATECAST_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "privatecast") / "lambda-wheels"


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("output", type=Path, nargs="?")
    parser.add_argument(
        "handler", nargs="?", help="the function's handler, module.function (api_status.handler)"
    )
    parser.add_argument(
        "--function",
        nargs=2,
        action="append",
        default=[],
        metavar=("OUTPUT", "HANDLER"),
        help="one more zip to build (repeatable), instead of OUTPUT HANDLER",
    )
    parser.add_argument(
        "--build-dir", type=Path, help="the zips' directory: created (parents too) and kept at mode 0700"
    )
    parser.add_argument("--lambda-dir", type=Path, required=True)
    parser.add_argument("--shared-dir", type=Path, required=True)
    parser.add_argument("--requirements", type=Path)
    parser.add_argument("--wheel-cache", type=Path, default=default_wheel_cache())
    parser.add_argument("--architecture", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument("--python-version", default="3.12")
    return parser.parse_args(argv)


def package(options: argparse.Namespace) -> dict[str, object]:
    entries, resolution = zip_entries(options)
    content = build_zip(entries)
    changed = write_if_changed(options.output, content)
    return {
        "path": str(options.output),
        "sha256": hashlib.sha256(content).hexdigest(),
        "changed": changed,
        "modules": sorted(resolution.modules),
        "libraries": sorted(resolution.libraries),
    }


def main(argv: list[str]) -> int:
    options = parse_arguments(argv)
    if bool(options.function) == bool(options.output and options.handler):
        print("package_lambda: give OUTPUT HANDLER, or --function OUTPUT HANDLER (repeated)", file=sys.stderr)
        return 2
    try:
        made_private = ensure_private_dir(options.build_dir) if options.build_dir else False
        if not options.function:
            summary = package(options)
            print(json.dumps({**summary, "changed": summary["changed"] or made_private}))
            return 0
        summaries = [
            package(argparse.Namespace(**{**vars(options), "output": Path(output), "handler": handler}))
            for output, handler in options.function
        ]
    except PackagingError as error:
        print(f"package_lambda: {error}", file=sys.stderr)
        return 1
    changed = made_private or any(s["changed"] for s in summaries)
    print(json.dumps({"changed": changed, "functions": summaries}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
