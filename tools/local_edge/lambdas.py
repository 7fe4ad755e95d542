"""Runs the deployed Lambda functions like warm Lambda containers, one worker process per
function (tools/local_edge/worker.py), each with its deployed zip, handler, environment
and timeout as moto holds them (GetFunctionConfiguration).

The zip is the one the aws_api role built and deployed (<lambda dir>/<function suffix>.zip,
inventory/local's aws_api_build_dir); it runs only when its SHA-256 (base64) equals moto's
CodeSha256, so the edge never runs code other than what is deployed. A worker is replaced
when the deployed code or configuration changes, and after a timeout (Lambda replaces a
container whose invocation timed out).

Differences from Lambda, all of them noted: Python is the venv's 3.11 (the functions'
runtime is python3.12); a function has one worker, so its invocations run one at a time
(Lambda would start more containers); the interpreter's site-packages are importable
(Lambda's runtime has boto3 and little else); a library the zip carries built for another
machine (the session function's cryptography wheels are aarch64, CPython 3.12) is left
out of the extracted code, so the worker imports the venv's copy instead, which must be
the same version (requirements-dev.txt pins it) or the function is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from packaging.tags import sys_tags

LOG = logging.getLogger("local_edge.lambdas")
WORKER_SCRIPT = Path(__file__).resolve().with_name("worker.py")


class FunctionError(Exception):
    """The invocation failed: the handler raised, timed out, or the code cannot run."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class Deployed:
    """What a worker is started from; a change of any field means a new worker."""

    name: str
    arn: str
    handler: str
    code_sha256: str
    timeout: int
    memory_mb: int
    environment: tuple[tuple[str, str], ...]


def deployed_from(config: dict[str, Any]) -> Deployed:
    variables = (config.get("Environment") or {}).get("Variables") or {}
    return Deployed(
        name=config["FunctionName"],
        arn=config["FunctionArn"],
        handler=config["Handler"],
        code_sha256=config["CodeSha256"],
        timeout=int(config.get("Timeout") or 3),
        memory_mb=int(config.get("MemorySize") or 128),
        environment=tuple(sorted(variables.items())),
    )


def zip_sha256(path: Path) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


class Worker:
    """One process running one function version; one invocation at a time."""

    def __init__(self, deployed: Deployed, code_dir: Path, env: dict[str, str], log_path: Path) -> None:
        self.deployed = deployed
        self._lock = threading.Lock()
        self._next_id = 0
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: IO[bytes] = open(log_path, "ab")  # kept open for the worker's life
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-I", str(WORKER_SCRIPT), str(code_dir), deployed.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=code_dir,
        )
        LOG.info(
            "worker for %s started (pid %s, code %s)", deployed.name, self.process.pid, deployed.code_sha256
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: Any, request_id: str) -> Any:
        with self._lock:
            self._next_id += 1
            deadline = time.time() + self.deployed.timeout
            request = {
                "id": self._next_id,
                "event": event,
                "context": {
                    "function_name": self.deployed.name,
                    "invoked_function_arn": self.deployed.arn,
                    "memory_limit_in_mb": self.deployed.memory_mb,
                    "aws_request_id": request_id,
                    "deadline_ms": int(deadline * 1000),
                },
            }
            return self._exchange(request, deadline)

    def _exchange(self, request: dict[str, Any], deadline: float) -> Any:
        if self.process.stdin is None or self.process.stdout is None:
            raise FunctionError("Runtime.ExitError", "the function's process has no pipes")
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except OSError as error:
            raise FunctionError(
                "Runtime.ExitError", "the function's process has ended (see its log)"
            ) from error
        timer = threading.Timer(max(0.0, deadline - time.time()), self.process.kill)
        timer.start()
        try:
            line = self.process.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            if time.time() >= deadline:
                raise FunctionError(
                    "Sandbox.Timedout", f"Task timed out after {self.deployed.timeout} seconds"
                )
            raise FunctionError("Runtime.ExitError", "the function's process ended (see its log)")
        answer = json.loads(line)
        if "error" in answer:
            error = answer["error"]
            raise FunctionError(error.get("errorType", "Error"), error.get("errorMessage", ""))
        return answer.get("result")

    def stop(self) -> None:
        if self.process.stdin:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class FunctionPool:
    """The workers of one stack's functions, keyed by function name."""

    def __init__(
        self, lambda_client: Any, stack: str, lambda_dir: Path, state_dir: Path, base_env: dict[str, str]
    ):
        self._lambda = lambda_client
        self._stack = stack
        self._lambda_dir = lambda_dir
        self._state_dir = state_dir
        self._base_env = base_env
        self._workers: dict[str, Worker] = {}
        self._lock = threading.Lock()

    def zip_path(self, function_name: str) -> Path:
        suffix = function_name.removeprefix(f"{self._stack}-")
        return self._lambda_dir / f"{suffix}.zip"

    def invoke(self, function: str, event: Any) -> Any:
        """Run the function (name or ARN) with the event; its result, or FunctionError."""
        config = self._lambda.get_function_configuration(FunctionName=function)
        deployed = deployed_from(config)
        worker = self._worker_for(deployed)
        request_id = str(uuid.uuid4())
        self._record_invocation(deployed.name, request_id)
        try:
            return worker.invoke(event, request_id)
        except FunctionError as error:
            LOG.warning("%s request %s failed: %s", deployed.name, request_id, error)
            if not worker.alive():
                self._forget(worker)
            raise

    def _record_invocation(self, function_name: str, request_id: str) -> None:
        """One line per invocation in <state>/edge/invocations.log, as Lambda's START line
        in CloudWatch: how tests tell that no function ran for a refused request."""
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._lock, open(self._state_dir / "invocations.log", "a") as log:
            log.write(f"{stamp} {function_name} {request_id}\n")

    def _worker_for(self, deployed: Deployed) -> Worker:
        with self._lock:
            worker = self._workers.get(deployed.name)
            if worker is not None and worker.deployed == deployed and worker.alive():
                return worker
            if worker is not None:
                LOG.info(
                    "replacing the worker of %s (code or configuration changed, or it ended)", deployed.name
                )
                worker.stop()
            worker = Worker(
                deployed, self._code_dir(deployed), self._env_for(deployed), self._log_path(deployed)
            )
            self._workers[deployed.name] = worker
            return worker

    def _forget(self, worker: Worker) -> None:
        with self._lock:
            if self._workers.get(worker.deployed.name) is worker:
                del self._workers[worker.deployed.name]
        worker.stop()

    def _code_dir(self, deployed: Deployed) -> Path:
        archive = self.zip_path(deployed.name)
        if not archive.is_file():
            raise FunctionError(
                "Edge.CodeMissing", f"{archive} is missing: the edge runs only the zip the aws_api role built"
            )
        actual = zip_sha256(archive)
        if actual != deployed.code_sha256:
            message = (
                f"REFUSED: {archive} (sha256 {actual}) is not the code deployed as {deployed.name} "
                f"(CodeSha256 {deployed.code_sha256}); run the playbook again so both agree"
            )
            LOG.error(message)
            raise FunctionError("Edge.CodeMismatch", message)
        digest = base64.b64decode(deployed.code_sha256).hex()[:16]
        target = self._state_dir / "functions" / deployed.name / digest
        if not target.is_dir():
            staging = target.with_name(digest + ".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            with zipfile.ZipFile(archive) as content:
                content.extractall(staging)
            for name, version in use_local_libraries(staging):
                LOG.info(
                    "%s: the zip's %s %s is built for another machine; the venv's %s %s runs instead",
                    deployed.name, name, version, name, version,
                )  # fmt: skip
            staging.rename(target)
        return target

    def _env_for(self, deployed: Deployed) -> dict[str, str]:
        env = {**self._base_env, **dict(deployed.environment)}
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": deployed.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(deployed.memory_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(deployed.timeout),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{deployed.name}",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12 (local edge, Python "
                f"{sys.version_info.major}.{sys.version_info.minor})",
                "LAMBDA_TASK_ROOT": str(self._code_dir(deployed)),
            }
        )
        return env

    def _log_path(self, deployed: Deployed) -> Path:
        return self._state_dir / "logs" / f"{deployed.name}.log"

    def stop_all(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop()


def _wheel_tags(dist_info: Path) -> set[str]:
    lines = (dist_info / "WHEEL").read_text().splitlines()
    return {line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")}


def use_local_libraries(code_dir: Path) -> list[tuple[str, str]]:
    """Leave out of the extracted code each library (a wheel's *.dist-info) this interpreter
    cannot load, so the venv's copy is imported: allowed only when the venv has the same
    version. Returns (name, version) of each library left out."""
    supported = {str(tag) for tag in sys_tags()}
    replaced = []
    for dist_info in sorted(code_dir.glob("*.dist-info")):
        if _wheel_tags(dist_info) & supported:
            continue
        name, version = _name_and_version(dist_info)
        try:
            local = metadata.version(name)
        except metadata.PackageNotFoundError:
            local = None
        if local != version:
            raise FunctionError(
                "Edge.LibraryMismatch",
                f"the zip carries {name} {version} for another machine and the venv has "
                f"{local or 'none'}: install {name}=={version} (requirements-dev.txt)",
            )
        _remove_distribution(code_dir, dist_info)
        replaced.append((name, version))
    return replaced


def _name_and_version(dist_info: Path) -> tuple[str, str]:
    headers = HeaderParser().parsestr((dist_info / "METADATA").read_text())
    return str(headers["Name"]), str(headers["Version"])


def _remove_distribution(code_dir: Path, dist_info: Path) -> None:
    """Every top-level entry the wheel installed (its RECORD), the dist-info included."""
    record = (dist_info / "RECORD").read_text().splitlines()
    tops = {line.split(",", 1)[0].split("/", 1)[0] for line in record if line.strip()}
    for top in sorted(tops | {dist_info.name}):
        path = code_dir / top
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def lambda_base_env(region: str, credentials: dict[str, str]) -> dict[str, str]:
    """What every function's process gets besides its own variables: the region (Lambda
    sets AWS_REGION) and the local stack's credentials (Lambda passes the role's)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC"}
    env.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region, **credentials})
    return env
