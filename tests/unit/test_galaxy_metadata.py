"""galaxy.yml's links point somewhere real or are left out: a placeholder host (the
reserved names of RFC 2606 and RFC 6761) would send people nowhere."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import REPO_ROOT

LINK_KEYS = ("repository", "documentation", "homepage", "issues")
RESERVED_SUFFIXES = (
    ".invalid",
    ".example",
    ".test",
    ".localhost",
    "example.com",
    "example.org",
    "example.net",
)


def placeholder_links(metadata: dict[str, object]) -> list[str]:
    """The galaxy.yml links whose host is missing or a reserved placeholder name."""
    found = []
    for key in LINK_KEYS:
        value = metadata.get(key)
        if value is None:
            continue
        host = (urlsplit(str(value)).hostname or "").rstrip(".")
        if not host or host == "localhost" or host.endswith(RESERVED_SUFFIXES) or host.startswith("example."):
            found.append(f"{key}: {value}")
    return found


def test_galaxy_yml_has_no_placeholder_links() -> None:
    metadata = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert placeholder_links(metadata) == []


@pytest.mark.parametrize(
    "link",
    [
        "https://example.invalid/privatecast/streaming",
        "https://docs.example.com/x",
        "https://example.org/",
        "https://localhost/issues",
        "not a link",
    ],
)
def test_a_placeholder_link_is_found(link: str) -> None:
    assert placeholder_links({"repository": link}) == [f"repository: {link}"]


def test_a_real_host_passes() -> None:
    assert placeholder_links({"issues": "https://github.com/ansible-collections/amazon.aws/issues"}) == []
