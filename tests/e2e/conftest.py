"""The end-to-end tier: the local stack as a person meets it.

scripts/test's e2e tier brings the local stack up once with scripts/up (moto as AWS, the
podman servers, the local edge on https://127.0.0.1:8480), runs these tests against it
and stops it again. Every test reuses that one stack; each signs in as its own user where
it changes something. The browser is Debian's Chromium driven by Playwright, with no
browser download."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.local_stack import (
    ALLOWED_ORIGINS,
    CHROMIUM,
    CHROMIUM_ARGS,
    EDGE_URL,
    REPO_ROOT,
    LocalStack,
    insecure_tls,
)


@pytest.fixture(scope="session")
def local_stack() -> LocalStack:
    try:
        with urllib.request.urlopen(f"{EDGE_URL}/", timeout=5, context=insecure_tls()):  # noqa: S310
            pass
    except OSError as error:
        pytest.fail(f"the local stack's edge does not answer at {EDGE_URL} ({error}): run scripts/up first")
    return LocalStack()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class RequestLog:
    urls: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        return [
            url for url in self.urls if origin_of(url) not in ALLOWED_ORIGINS and not is_local_scheme(url)
        ]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_local_scheme(url: str) -> bool:
    """blob: and data: URLs never leave the browser."""
    return url.startswith(("blob:", "data:"))


NewContext = Callable[..., BrowserContext]


class LoggedContexts:
    """Browser contexts (one person each) whose every request is logged; when closed, none
    of them may have talked to a host other than the page's own and Cognito's."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[tuple[BrowserContext, RequestLog]] = []

    def make(self, **options: Any) -> BrowserContext:
        context = self.browser.new_context(ignore_https_errors=True, **options)
        log = RequestLog()
        context.on("request", lambda request: log.urls.append(request.url))
        self.contexts.append((context, log))
        return context

    def close(self) -> None:
        foreign = [url for _context, log in self.contexts for url in log.foreign()]
        for context, _log in self.contexts:
            context.close()
        assert not foreign, f"the page talked to hosts other than its own and Cognito's: {foreign}"


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    contexts = LoggedContexts(browser)
    yield contexts.make
    contexts.close()


@pytest.fixture(scope="module")
def new_context_module(browser: Browser) -> Iterator[NewContext]:
    """The same, for a journey whose steps share one person's browser."""
    contexts = LoggedContexts(browser)
    yield contexts.make
    contexts.close()


def csp_violations(page: Page) -> list[str]:
    """Content-Security-Policy violations the page reported (collected by init script)."""
    return page.evaluate("() => window.__cspViolations || []")


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@pytest.fixture
def camera(local_stack: LocalStack) -> Iterator[Callable[[], subprocess.Popen]]:
    """Starts the camera stand-in (scripts/camera) on demand; stops it after the test."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "scripts" / "camera")],
            env={**os.environ, "PRIVATECAST_LOCAL_STATE": str(local_stack.state)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop_camera(process)


def stop_camera(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 1.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(interval)
