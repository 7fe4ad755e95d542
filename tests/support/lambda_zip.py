"""The Lambda zips as the aws_api role ships them, and a fresh interpreter to run them in.

- `functions()`: the role's functions (name, handler, environment variable names) from
  roles/aws_api/vars/main.yml, the one place they are listed.
- `package()`: roles/aws_api/files/package_lambda.py, called as the role calls it;
  `code_folder()`: every module the zips hold, in one folder, for the in-process tests.
- `lambda_python()`: a CPython of the runtime's version (3.12) when the machine has one,
  else this interpreter; the wheels are chosen for the one used.
- `runtime_site()`: a folder with only what the Lambda runtime adds to the standard
  library (boto3, botocore and their dependencies), linked from this venv.
- `run_handler()`: `python -I -S` with sys.path = the unpacked zip, that folder and the
  standard library; imports the handler (timed), calls it once, reports every module
  loaded from outside the standard library with its file.
"""

from __future__ import annotations

import atexit
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLE_DIR = REPO_ROOT / "roles" / "aws_api"
PACKAGER = ROLE_DIR / "files" / "package_lambda.py"
LAMBDA_DIR = ROLE_DIR / "files" / "lambda"
SHARED_DIR = REPO_ROOT / "plugins" / "module_utils"
REQUIREMENTS = ROLE_DIR / "files" / "lambda-requirements.txt"
RUNTIME_PYTHON = "3.12"
# What the python3.12 runtime provides beside the standard library (boto3 and what it
# imports), linked from this venv's site-packages.
RUNTIME_ENTRIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

CHILD = r"""
import importlib, json, sys, time
request = json.loads(sys.stdin.read())
sys.path[0:0] = [request["code_dir"], request["runtime_dir"]]
module_name, function_name = request["handler"].rsplit(".", 1)
started = time.perf_counter()
module = importlib.import_module(module_name)
for name in request["also_import"]:
    importlib.import_module(name)
import_seconds = time.perf_counter() - started
value = getattr(module, function_name)
if request["event"] is not None:
    result = value(request["event"], None)
else:
    result = value if isinstance(value, (str, int, float, bool)) else None
loaded = {
    name: getattr(value, "__file__", None)
    for name, value in list(sys.modules.items())
    if "." not in name and name not in sys.stdlib_module_names
}
with open(request["report"], "w") as report:
    json.dump({"import_seconds": import_seconds, "result": result, "loaded": loaded}, report, default=str)
"""


@dataclass(frozen=True)
class Function:
    name: str
    handler: str
    environment: tuple[str, ...]


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: str  # "3.12"


def functions() -> list[Function]:
    """The role's functions, in its order."""
    variables = yaml.safe_load((ROLE_DIR / "vars" / "main.yml").read_text())
    return [
        Function(item["name"], item["handler"], tuple(sorted(item.get("environment") or {})))
        for item in variables["aws_api_functions"]
    ]


def package(output: Path, handler: str, *, architecture: str, python_version: str) -> dict[str, Any]:
    """Build one zip with the role's packager and its arguments; its JSON summary."""
    completed = subprocess.run(
        [
            sys.executable, str(PACKAGER), str(output), handler,
            f"--lambda-dir={LAMBDA_DIR}", f"--shared-dir={SHARED_DIR}", f"--requirements={REQUIREMENTS}",
            f"--architecture={architecture}", f"--python-version={python_version}",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"package_lambda.py failed: {completed.stderr}")
    return json.loads(completed.stdout)


def load_packager() -> ModuleType:
    """roles/aws_api/files/package_lambda.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("privatecast_package_lambda", PACKAGER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def code_folder() -> Path:
    """A temporary folder with every module the functions' zips hold (the union of what
    their handlers import, resolved by the packager), removed when the process ends."""
    packager = load_packager()
    libraries = {requirement.import_name for requirement in packager.parse_requirements(REQUIREMENTS)}
    folder = Path(tempfile.mkdtemp(prefix="privatecast-lambda-code-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for function in functions():
        module = function.handler.rsplit(".", 1)[0]
        for name, path in packager.resolve(module, LAMBDA_DIR, SHARED_DIR, libraries).modules.items():
            shutil.copyfile(path, folder / f"{name}.py")
    return folder


def _version_of(executable: str) -> str | None:
    try:
        completed = subprocess.run(
            [executable, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
    except OSError:
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def lambda_python() -> Interpreter:
    """$PRIVATECAST_LAMBDA_PYTHON, a python3.12 on PATH, under pyenv or /usr/local, else this
    interpreter."""
    candidates = [
        os.environ.get("PRIVATECAST_LAMBDA_PYTHON", ""),
        shutil.which(f"python{RUNTIME_PYTHON}") or "",
    ]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{RUNTIME_PYTHON}.*/bin/python3")))
    candidates += [f"/usr/local/bin/python{RUNTIME_PYTHON}", f"/usr/bin/python{RUNTIME_PYTHON}"]
    for candidate in filter(None, candidates):
        if _version_of(candidate) == RUNTIME_PYTHON:
            return Interpreter(candidate, RUNTIME_PYTHON)
    return Interpreter(sys.executable, f"{sys.version_info.major}.{sys.version_info.minor}")


def runtime_site(folder: Path, compiled_by: Interpreter | None = None) -> Path:
    """A folder holding only boto3 and its dependencies: links into this venv, or, with
    compiled_by, copies byte-compiled by that interpreter (the runtime's own boto3 comes
    compiled; for timing imports)."""
    site = Path(boto3.__file__).resolve().parent.parent
    folder.mkdir(parents=True, exist_ok=True)
    for entry in RUNTIME_ENTRIES:
        source = site / entry
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing from the venv")
        target = folder / entry
        if target.exists():
            continue
        if compiled_by is None:
            target.symlink_to(source)
        elif source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, target)
    if compiled_by is not None:
        subprocess.run([compiled_by.executable, "-I", "-m", "compileall", "-q", str(folder)], check=True)
    return folder


def unpack(archive: Path, folder: Path) -> Path:
    with zipfile.ZipFile(archive) as content:
        content.extractall(folder)
    return folder


def run_handler(
    interpreter: Interpreter,
    code_dir: Path,
    handler: str,
    *,
    runtime_dir: Path,
    event: Any,
    env: dict[str, str],
    report: Path,
    also_import: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Import the handler's module in a fresh isolated interpreter and call the handler once
    with event; with event None, only import it (result: the named attribute when it is a
    plain value). also_import: modules imported (and timed) right after the handler's.
    {"import_seconds", "result", "loaded"}."""
    request = {
        "code_dir": str(code_dir),
        "runtime_dir": str(runtime_dir),
        "handler": handler,
        "event": event,
        "report": str(report),
        "also_import": list(also_import),
    }
    completed = subprocess.run(
        [interpreter.executable, "-I", "-S", "-B", "-c", CHILD],
        input=json.dumps(request), capture_output=True, text=True, env=env, cwd=code_dir, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"{handler} failed in a fresh interpreter:\n{completed.stderr}")
    return json.loads(report.read_text())
