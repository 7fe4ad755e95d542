# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The viewer page in the bucket: which objects it is made of, with which headers, and
what an upload has to change.  Planning makes no AWS call, so it is unit-tested alone;
the viewer_page module reads the bucket and applies the plan.

The built page is ``index.html`` plus hashed assets ``assets/<name>-<hash>.<ext>``; the
aws_edge role adds ``config.json``.  Hashed assets never change under their name, so
browsers and CloudFront keep them a year; everything else (index.html, config.json, any
other file at the top) is revalidated on every load, so a new deployment is seen at once.

An object is up to date when its SHA-256 (S3's own full-object checksum, sent with the
upload and read back with ``ChecksumMode=ENABLED``), its Content-Type and its
Cache-Control are the wanted ones.  The ETag is not used: under SSE-KMS it is no MD5.

The plan's actions (module_utils/plan.py) upload and delete through the bucket client the
viewer_page module hands in (PageApplier).
"""

from __future__ import absolute_import, annotations, division, print_function

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ansible_collections.privatecast.streaming.plugins.module_utils.plan import Action, ApplyResult, Plan

CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_REVALIDATE = "no-cache"
ASSETS_DIR = "assets/"
# assets/<name>-<hash>.<ext>: esbuild's and Vite's [name]-[hash] (8 or more characters).
DELETE_BATCH = 1000
HASHED_ASSET = re.compile(r"^assets/(?:[^/]+/)*[^/]+-[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9]+)+$")
CONFIG_KEY = "config.json"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
}

# The password rules cognito_user_pool always sets (every character class required).
PASSWORD_CLASSES = {
    "requireLowercase": True,
    "requireUppercase": True,
    "requireNumbers": True,
    "requireSymbols": True,
}
LIVE_PLAYLIST = "/hls/0/stream.m3u8"
MFA_MODES = ("off", "optional", "required")


class PageError(ValueError):
    """The build cannot be served as it is; the message says why."""


@dataclass(frozen=True)
class PageObject:
    """One object of the page: its key below the prefix, bytes and headers."""

    key: str
    body: bytes = field(repr=False)
    content_type: str
    cache_control: str

    @property
    def checksum(self) -> str:
        """S3's ChecksumSHA256: the base64 of the SHA-256 of the body."""
        return base64.b64encode(hashlib.sha256(self.body).digest()).decode("ascii")

    def summary(self) -> dict[str, str]:
        return {
            "content_type": self.content_type,
            "cache_control": self.cache_control,
            "sha256": self.checksum,
        }


@dataclass(frozen=True)
class StoredObject:
    """What the bucket holds under a key (from HeadObject); None for a header it lacks."""

    content_type: str | None
    cache_control: str | None
    checksum: str | None

    def summary(self) -> dict[str, str | None]:
        return {
            "content_type": self.content_type,
            "cache_control": self.cache_control,
            "sha256": self.checksum,
        }


@dataclass
class PageApplier:
    """Where the actions write: the S3 client, the bucket and the key prefix."""

    client: Any
    bucket: str
    prefix: str
    result: ApplyResult = field(default_factory=ApplyResult)


@dataclass(frozen=True)
class Upload(Action):
    kind: ClassVar[str] = "upload"
    description: str
    obj: PageObject
    before: dict[str, Any] | None = None

    @property
    def after(self) -> dict[str, str]:
        return self.obj.summary()

    def apply(self, applier: PageApplier) -> None:
        obj = self.obj
        applier.client.put_object(
            Bucket=applier.bucket,
            Key=applier.prefix + obj.key,
            Body=obj.body,
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=obj.checksum,
        )


@dataclass(frozen=True)
class DeleteObjects(Action):
    kind: ClassVar[str] = "delete"
    description: str
    keys: tuple[str, ...]

    def apply(self, applier: PageApplier) -> None:
        for start in range(0, len(self.keys), DELETE_BATCH):
            batch = [{"Key": applier.prefix + key} for key in self.keys[start : start + DELETE_BATCH]]
            response = applier.client.delete_objects(
                Bucket=applier.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if response.get("Errors"):
                raise PageError(f"could not delete: {response['Errors']}")


class PagePlan(Plan):
    """The uploads, in order, then the deletions; the diff shows the keys it touches."""

    @property
    def uploads(self) -> tuple[PageObject, ...]:
        return tuple(action.obj for action in self.actions if isinstance(action, Upload))

    @property
    def deletions(self) -> tuple[str, ...]:
        return tuple(
            key for action in self.actions if isinstance(action, DeleteObjects) for key in action.keys
        )


def content_type_for(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    extension = os.path.splitext(name)[1].lower()
    if extension not in CONTENT_TYPES:
        known = ", ".join(sorted(CONTENT_TYPES))
        raise PageError(
            f"{key}: no Content-Type known for {extension or 'a name without extension'} (known: {known})"
        )
    return CONTENT_TYPES[extension]


def cache_control_for(key: str) -> str:
    if not key.startswith(ASSETS_DIR):
        return CACHE_REVALIDATE
    if not HASHED_ASSET.match(key):
        raise PageError(
            f"{key}: files under assets/ must be named <name>-<hash>.<ext>; they are cached for a year"
        )
    return CACHE_IMMUTABLE


def page_object(key: str, body: bytes) -> PageObject:
    return PageObject(
        key=key, body=body, content_type=content_type_for(key), cache_control=cache_control_for(key)
    )


def read_build(root: str) -> dict[str, bytes]:
    """The built page's files by key ('/'-separated, relative to `root`); names starting
    with a dot (.gitkeep, editor files) are not part of the page."""
    if not os.path.isdir(root):
        raise PageError(f"{root}: no such directory (the built viewer page)")
    files = {}
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as handle:
                files[key] = handle.read()
    if "index.html" not in files:
        raise PageError(f"{root}: no index.html (is the page built?)")
    return files


def config_document(
    *,
    region: str,
    user_pool_id: str,
    client_id: str,
    cognito_endpoint: str,
    mfa: str,
    password_minimum_length: int,
    admin_group: str,
) -> bytes:
    """config.json: what the page needs to log in and play, no secrets (there are none).
    Keys sorted and no whitespace, so the same settings give the same bytes."""
    if mfa not in MFA_MODES:
        raise PageError(f"mfa must be one of {', '.join(MFA_MODES)}, got {mfa!r}")
    document = {
        "region": region,
        "userPoolId": user_pool_id,
        "clientId": client_id,
        "cognitoEndpoint": cognito_endpoint,
        "mfa": mfa,
        "passwordPolicy": dict(PASSWORD_CLASSES, minimumLength=int(password_minimum_length)),
        "livePlaylist": LIVE_PLAYLIST,
        "adminGroup": admin_group,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def wanted_objects(build: dict[str, bytes], config: bytes | None) -> list[PageObject]:
    """Every object of the page, config.json included; the build must not bring its own."""
    if config is not None and CONFIG_KEY in build:
        raise PageError(f"the build holds a {CONFIG_KEY}; it is generated by the role")
    files = dict(build)
    if config is not None:
        files[CONFIG_KEY] = config
    return [page_object(key, files[key]) for key in sorted(files)]


def is_current(wanted: PageObject, stored: StoredObject | None) -> bool:
    return stored is not None and stored.summary() == wanted.summary()


def upload_order(obj: PageObject) -> tuple[int, str]:
    """Assets first, then config.json, index.html last: a page loaded during the upload
    never names an asset that is not there yet."""
    rank = {CONFIG_KEY: 1, "index.html": 2}.get(obj.key, 0)
    return rank, obj.key


def plan_upload(
    wanted: list[PageObject],
    stored: dict[str, StoredObject | None],
    existing_keys: list[str] | tuple[str, ...] = (),
    delete_stale: bool = False,
) -> Plan:
    """Upload what is missing or differs (body or headers); with `delete_stale`, delete
    the keys under the prefix that the page no longer has."""
    pending = [obj for obj in wanted if not is_current(obj, stored.get(obj.key))]
    actions: list[Action] = [
        Upload(f"upload {obj.key}", obj, _summary(stored.get(obj.key)))
        for obj in sorted(pending, key=upload_order)
    ]
    keep = {obj.key for obj in wanted}
    deletions = tuple(sorted(key for key in existing_keys if key not in keep)) if delete_stale else ()
    if deletions:
        actions.append(DeleteObjects(f"delete {', '.join(deletions)}", deletions))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for action in actions:
        if isinstance(action, Upload):
            if action.before is not None:
                before[action.obj.key] = action.before
            after[action.obj.key] = action.after
    for key in deletions:
        before[key] = "present"
    return PagePlan("viewer page", tuple(actions), before, after)


def _summary(stored: StoredObject | None) -> dict[str, Any] | None:
    return stored.summary() if stored is not None else None
