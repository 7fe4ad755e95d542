# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host-side audit checks, probed from the controller through the proxy's HTTPS frontend
(docs/audit.md): Owncast's admin password is not its default, only admin paths answer, and
only to the admin CIDRs. GET requests only; the certificate is not verified (the admin host
may have a self-signed one), so the only credential ever sent is Owncast's public default."""

from __future__ import annotations

import base64
import http.client
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ansible_collections.privatecast.streaming.plugins.module_utils.stack_audit import (
    FAIL,
    NOT_CHECKED,
    Row,
    row,
)

DEFAULT_ADMIN_USER = "admin"
ADMIN_CONFIG_PATH = "/api/admin/serverconfig"
ADMIN_PAGE_PATH = "/admin/"
# Refusals of HAProxy's frontend (roles/haproxy/templates/haproxy.cfg.j2): 403 denied,
# 404 neither admin nor public, 400 odd spelling of an admin path, 405 method.
REFUSED = (400, 403, 404, 405)
HOST_CHECKS = ("owncast_admin_password", "proxy_paths", "proxy_admin_sources")
PUBLIC_PATHS = (
    "/",
    "/index.html",
    "/hls/stream.m3u8",
    "/hls/0/stream.m3u8",
    "/api/status",
    "/api/config",
    "/api/video/variants",
    "/ws",
    "/embed/video",
    "/federation/user/streamer",
)


@dataclass(frozen=True)
class Answer:
    """A probe's outcome: the HTTP status, or why there was none."""

    status: int | None
    error: str | None = None

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else f"no answer ({self.error})"


def probe(
    base_url: str, path: str, *, source: str | None = None, password: str | None = None, timeout: float = 5.0
) -> Answer:
    """GET base_url+path, optionally from a given source address and with Owncast's admin
    user and a password, and return the status."""
    parts = urlsplit(base_url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = parts.port or (443 if parts.scheme == "https" else 80)
    source_address = (source, 0) if source else None
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", port, timeout=timeout, context=context, source_address=source_address
        )
    else:
        connection = http.client.HTTPConnection(
            parts.hostname or "", port, timeout=timeout, source_address=source_address
        )
    headers = {}
    if password is not None:
        token = base64.b64encode(f"{DEFAULT_ADMIN_USER}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        connection.request("GET", path, headers=headers)
        return Answer(connection.getresponse().status)
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def check_admin_password(base_url: str, default_password: str, timeout: float) -> Row:
    """owncast_admin_password: Owncast refuses its default admin password (401). Anything but
    a 401 or a 200 means it could not be checked, which fails too."""
    answer = probe(base_url, ADMIN_CONFIG_PATH, password=default_password, timeout=timeout)
    resource = f"{base_url}{ADMIN_CONFIG_PATH}"
    if answer.status == 401:
        return row("owncast_admin_password", True, resource, "the default password is refused (HTTP 401)")
    if answer.status == 200:
        return row("owncast_admin_password", False, resource, "Owncast accepts the default admin password")
    return row(
        "owncast_admin_password", False, resource, f"not checked, counted as failed: {answer.describe()}"
    )


def check_paths(base_url: str, public_paths: Sequence[str], timeout: float) -> list[Row]:
    """proxy_paths: the admin page answers from the controller (Owncast: 200 or 401), and
    every public path of Owncast is refused by the proxy."""
    admin = probe(base_url, ADMIN_PAGE_PATH, timeout=timeout)
    admin_ok = admin.status is not None and (200 <= admin.status < 400 or admin.status == 401)
    reason = f"{admin.describe()}: " + (
        "the admin answers" if admin_ok else "the admin does not answer from this controller"
    )
    rows = [row("proxy_paths", admin_ok, f"{base_url}{ADMIN_PAGE_PATH}", reason)]
    answered = []
    for path in public_paths:
        answer = probe(base_url, path, timeout=timeout)
        if answer.status is None or answer.status not in REFUSED:
            answered.append((path, answer))
    rows += [
        row("proxy_paths", False, f"{base_url}{path}", f"{answer.describe()}, expected a refusal {REFUSED}")
        for path, answer in answered
    ]
    if not answered:
        rows.append(
            row(
                "proxy_paths",
                True,
                f"{base_url} ({len(public_paths)} public paths)",
                f"all refused: {', '.join(public_paths)}",
            )
        )
    return rows


def check_sources(
    base_url: str, sources: Sequence[str], admin_cidrs: Sequence[str], timeout: float
) -> list[Row]:
    """proxy_admin_sources: from each given address outside the admin CIDRs the admin page is
    refused (403)."""
    admins = [ipaddress.ip_network(cidr, strict=False) for cidr in admin_cidrs]
    rows = []
    for source in sources:
        address = ipaddress.ip_address(source)
        resource = f"{base_url}{ADMIN_PAGE_PATH} from {source}"
        if any(address in network for network in admins):
            rows.append(
                Row(
                    "proxy_admin_sources",
                    FAIL,
                    resource,
                    "this source is inside the admin CIDRs: it proves nothing",
                )
            )
            continue
        answer = probe(base_url, ADMIN_PAGE_PATH, source=source, timeout=timeout)
        ok = answer.status == 403
        rows.append(
            row(
                "proxy_admin_sources", ok, resource, f"{answer.describe()}" + ("" if ok else ", expected 403")
            )
        )
    return rows


def not_checked(reason: str) -> list[Row]:
    """The host-side rows when they are switched off: reported, never passed."""
    return [Row(check, NOT_CHECKED, "proxy", reason) for check in HOST_CHECKS]


def unreachable(base_url: str, reason: str) -> list[Row]:
    """The host-side rows when the proxy cannot be asked: failed, never passed."""
    return [Row(check, FAIL, base_url, f"not checked, counted as failed: {reason}") for check in HOST_CHECKS]


def check_through_proxy(
    base_url: str, default_password: str, sources: Sequence[str], admin_cidrs: Sequence[str], timeout: float
) -> list[Row]:
    """Every host-side row. A proxy that does not answer at all fails each check once,
    without probing path by path."""
    first = probe(base_url, ADMIN_PAGE_PATH, timeout=timeout)
    if first.status is None:
        return unreachable(base_url, first.describe())
    rows = [check_admin_password(base_url, default_password, timeout)]
    rows += check_paths(base_url, PUBLIC_PATHS, timeout)
    if sources:
        return rows + check_sources(base_url, sources, admin_cidrs, timeout)
    reason = (
        "no source outside the admin CIDRs to probe from (proxy_probe_sources); "
        "https_admin_only covers the network"
    )
    return [*rows, Row("proxy_admin_sources", NOT_CHECKED, base_url, reason)]
