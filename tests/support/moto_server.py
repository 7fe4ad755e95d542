"""A moto server on a free loopback port, started and stopped by the tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MotoServer:
    url: str
    process: subprocess.Popen

    @classmethod
    def start(cls, env: dict[str, str], port: int | None = None, timeout: float = 30.0) -> MotoServer:
        port = port or free_loopback_port()
        env = {**env, "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"}
        # moto with the gaps filled that the collection's calls meet (see moto_gaps.py).
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.moto_gaps", "-H", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT,
            env={**env, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = cls(url=f"http://127.0.0.1:{port}", process=process)
        server.wait_ready(timeout)
        return server

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"moto server at {self.url} did not answer in {timeout}s")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def client(self, service: str, region: str = "us-east-1"):
        return boto3.client(service, region_name=region, endpoint_url=self.url)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
