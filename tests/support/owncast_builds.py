"""The real Owncast builds scripts/build-owncast caches, one per Go architecture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

OWNCAST_VERSION = "0.2.5"
# Held by everything that starts an Owncast: its internal port 127.0.0.1:8927 is fixed.
OWNCAST_LOCK = Path("/tmp/privatecast-owncast.lock")


def owncast_build(goarch: str) -> Path:
    """The cached binary for goarch (arm64, amd64); the test fails when it is missing."""
    cache = Path(os.environ.get("PRIVATECAST_CACHE", "/var/cache/privatecast"))
    binary = cache / "owncast" / OWNCAST_VERSION / goarch / "owncast"
    if not binary.is_file() or not (binary.parent / "BUILD-INFO").is_file():
        pytest.fail(
            f"no {goarch} Owncast build at {binary}: run scripts/bootstrap"
            f" (scripts/build-owncast --arch {goarch})"
        )
    return binary
