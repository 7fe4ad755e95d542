# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owncast admin API: the client and the pure comparison behind owncast_config.

Names and shapes follow Owncast 0.2.x (webserver/handlers/admin/serverConfig.go and
config.go): GET /api/admin/serverconfig reads everything, POST /api/admin/config/<name>
with {"value": ...} writes one setting, both with HTTP Basic auth as user ``admin``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

ADMIN_USER = "admin"
# What a fresh Owncast install accepts until someone changes it.
DEFAULT_ADMIN_PASSWORD = "abc123"  # noqa: S105 (Owncast's published default, refused)
MASK = "********"

# One variant that copies the camera's H.264/AAC: no transcoding on a small instance.
# Bitrate and frame rate mean nothing for a passthrough variant (Owncast reports its
# frame rate as 0), so they are not part of it.
PASSTHROUGH_VARIANT: dict[str, Any] = {"name": "Source", "videoPassthrough": True, "audioPassthrough": True}

# Owncast 0.2.5's latency levels (models/latencyLevels.go): level -> (seconds per HLS
# segment, segments in the live playlist). Owncast passes them to ffmpeg as -hls_time and
# -hls_list_size when a stream starts; a store without a level reads as 2.
LATENCY_LEVELS: dict[int, tuple[int, int]] = {0: (1, 25), 1: (2, 15), 2: (3, 10), 3: (4, 8), 4: (5, 5)}
DEFAULT_LATENCY_LEVEL = 2


class OwncastError(Exception):
    """The admin API refused a request or could not be reached."""


class OwncastClient:
    """HTTP Basic client for Owncast's admin API."""

    def __init__(self, base_url: str, password: str, timeout: int = 10, validate_certs: bool = True):
        self.base_url = base_url.rstrip("/")
        self.password = password
        self.timeout = timeout
        self.validate_certs = validate_certs

    def _request(self, method: str, path: str, password: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body)
        response = open_url(
            self.base_url + path,
            method=method,
            data=data,
            headers={"Content-Type": "application/json"},
            url_username=ADMIN_USER,
            url_password=password,
            force_basic_auth=True,
            timeout=self.timeout,
            validate_certs=self.validate_certs,
        )
        payload = response.read()
        return json.loads(payload) if payload else None

    def accepts_password(self, password: str) -> bool:
        """True when the admin API lets ``password`` in, False on 401."""
        try:
            self._request("GET", "/api/admin/serverconfig", password)
        except HTTPError as error:
            if error.code == 401:
                return False
            raise OwncastError(f"GET /api/admin/serverconfig: HTTP {error.code}") from error
        except URLError as error:
            raise OwncastError(f"cannot reach Owncast at {self.base_url}: {error.reason}") from error
        return True

    def server_config(self) -> dict[str, Any]:
        try:
            return self._request("GET", "/api/admin/serverconfig", self.password)
        except (HTTPError, URLError) as error:
            raise OwncastError(f"GET /api/admin/serverconfig failed: {error}") from error

    def set_config(self, name: str, value: Any) -> None:
        path = f"/api/admin/config/{name}"
        try:
            answer = self._request("POST", path, self.password, {"value": value})
        except HTTPError as error:
            raise OwncastError(f"POST {path}: HTTP {error.code}: {_error_message(error)}") from error
        except URLError as error:
            raise OwncastError(f"POST {path}: {error.reason}") from error
        if isinstance(answer, dict) and answer.get("success") is False:
            raise OwncastError(f"POST {path}: {answer.get('message', 'refused')}")


def _error_message(error: HTTPError) -> str:
    try:
        return json.loads(error.read()).get("message", "")
    except (ValueError, AttributeError):
        return ""


@dataclass(frozen=True)
class Setting:
    """One config endpoint: how to read its current value and what is wanted."""

    name: str
    desired: Any
    read: Callable[[dict[str, Any]], Any]
    secret_fields: tuple[str, ...] = ()
    secret: bool = False

    def current(self, server_config: dict[str, Any]) -> Any:
        return self.read(server_config)

    def masked(self, value: Any) -> Any:
        if self.secret:
            return MASK if value else value
        return mask_fields(value, self.secret_fields)


def mask_fields(value: Any, fields: tuple[str, ...]) -> Any:
    """A copy of ``value`` with every listed key (in dicts, also inside lists) masked."""
    if not fields:
        return value
    if isinstance(value, list):
        return [mask_fields(item, fields) for item in value]
    if isinstance(value, dict):
        return {k: (MASK if k in fields and v else mask_fields(v, fields)) for k, v in value.items()}
    return value


S3_FIELDS = ("enabled", "endpoint", "accessKey", "secret", "bucket", "region", "acl", "pathPrefix")


def normalise_s3(s3: dict[str, Any] | None) -> dict[str, Any]:
    """Owncast omits empty S3 fields; compare on every field with empty defaults."""
    s3 = s3 or {}
    normalised: dict[str, Any] = {field: s3.get(field) or "" for field in S3_FIELDS}
    normalised["enabled"] = bool(s3.get("enabled"))
    normalised["forcePathStyle"] = bool(s3.get("forcePathStyle"))
    return normalised


def normalise_stream_keys(keys: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return [{"key": k.get("key") or "", "comment": k.get("comment") or ""} for k in keys or []]


def variants_match(current: list[dict[str, Any]], desired: list[dict[str, Any]]) -> bool:
    """Same number of variants and each current one agrees on every field asked for."""
    if len(current) != len(desired):
        return False
    return all(
        all(have.get(k) == v for k, v in want.items()) for have, want in zip(current, desired, strict=True)
    )


def build_settings(params: dict[str, Any]) -> list[Setting]:
    """The settings owncast_config manages, from the module's parameters.

    A parameter left as None is not managed. The admin password is handled apart:
    Owncast keeps only its hash, so it is checked by logging in.
    """
    settings: list[Setting] = []
    if params.get("stream_keys") is not None:
        settings.append(
            Setting(
                "streamkeys",
                normalise_stream_keys(params["stream_keys"]),
                lambda c: normalise_stream_keys(c.get("streamKeys")),
                secret_fields=("key",),
            )
        )
    if params.get("s3") is not None:
        settings.append(
            Setting(
                "s3", desired_s3(params["s3"]), lambda c: normalise_s3(c.get("s3")), ("accessKey", "secret")
            )
        )
    if params.get("video_variants") is not None:
        settings.append(
            Setting(
                "video/streamoutputvariants",
                params["video_variants"],
                lambda c: (c.get("videoSettings") or {}).get("videoQualityVariants") or [],
            )
        )
    if params.get("video_serving_endpoint") is not None:
        settings.append(
            Setting(
                "videoservingendpoint",
                params["video_serving_endpoint"],
                lambda c: c.get("videoServingEndpoint", ""),
            )
        )
    if params.get("latency_level") is not None:
        settings.append(
            Setting(
                "video/streamlatencylevel",
                int(params["latency_level"]),
                lambda c: (c.get("videoSettings") or {}).get("latencyLevel", DEFAULT_LATENCY_LEVEL),
            )
        )
    toggles: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
        ("directory_enabled", "directoryenabled", lambda c: bool((c.get("yp") or {}).get("enabled"))),
        ("chat_disabled", "chat/disable", lambda c: bool(c.get("chatDisabled"))),
        (
            "federation_enabled",
            "federation/enable",
            lambda c: bool((c.get("federation") or {}).get("enabled")),
        ),
        ("hide_viewer_count", "hideviewercount", lambda c: bool(c.get("hideViewerCount"))),
        ("disable_search_indexing", "disablesearchindexing", lambda c: bool(c.get("disableSearchIndexing"))),
    ]
    for param, name, read in toggles:
        if params.get(param) is not None:
            settings.append(Setting(name, bool(params[param]), read))
    return settings


def desired_s3(s3: dict[str, Any]) -> dict[str, Any]:
    if not s3.get("enabled", True):
        return normalise_s3({"enabled": False})
    return normalise_s3(
        {
            "enabled": True,
            "endpoint": s3["endpoint"],
            "accessKey": s3["access_key"],
            "secret": s3["secret_key"],
            "bucket": s3["bucket"],
            "region": s3["region"],
            "acl": s3.get("acl") or "bucket-owner-full-control",
            "pathPrefix": s3.get("path_prefix") or "",
            "forcePathStyle": bool(s3.get("force_path_style")),
        }
    )


def setting_matches(setting: Setting, current: Any) -> bool:
    if setting.name == "video/streamoutputvariants":
        return variants_match(current, setting.desired)
    return current == setting.desired


def pending_changes(settings: list[Setting], server_config: dict[str, Any]) -> list[tuple[Setting, Any]]:
    """(setting, current value) for every setting that differs from what is wanted."""
    changes = []
    for setting in settings:
        current = setting.current(server_config)
        if not setting_matches(setting, current):
            changes.append((setting, current))
    return changes


def masked_diff(changes: list[tuple[Setting, Any]], password_changes: bool) -> dict[str, dict[str, Any]]:
    """Ansible's before/after diff for the changes, secrets masked."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for setting, current in changes:
        before[setting.name] = setting.masked(current)
        after[setting.name] = setting.masked(setting.desired)
    if password_changes:
        before["adminpass"] = "(default or previous password)"
        after["adminpass"] = MASK
    return {"before": before, "after": after}
