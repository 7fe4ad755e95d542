"""Recordings kept in the video bucket: archiving Owncast's segments, VOD playlists and the
index the list call reads. Shared by the archiver, housekeeping and recordings Lambdas.

Layout (keys):
    hls/<variant>/stream-<session>-<n>.ts        written (and later deleted) by Owncast
    hls/<variant>/stream.m3u8                    Owncast's live playlist: #EXTINF durations
    recordings/<session>/<variant>/<n:08d>_<duration µs>.ts   archived copies
    recordings/<session>/<variant>/playlist.m3u8 EVENT playlist while open, VOD + ENDLIST closed
    recordings/<session>/master.m3u8             master playlist over the variants
    index/recordings.json                        one small document for all recordings

Every derived object (playlists, index) is a function of the archived segment objects
(and of the index's closed/deleted marks), written with S3 conditional writes (If-Match /
If-None-Match) in a read-compute-write loop, so duplicated, late, out-of-order and
concurrent events converge on the same bytes. A segment's duration travels in its
archived key, so no later step needs Owncast's (short-lived) playlist again.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from botocore.exceptions import ClientError

HLS_PREFIX = "hls/"
RECORDINGS_PREFIX = "recordings/"
INDEX_KEY = "index/recordings.json"
OWNCAST_PLAYLIST = "stream.m3u8"
VARIANT_PLAYLIST = "playlist.m3u8"
MASTER_PLAYLIST = "master.m3u8"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"

# The one definition of the names the archiver, the list call and delete accept. Use them
# with fullmatch only: "$" (and match) would let a trailing newline through. re.ASCII
# keeps \d to 0-9. A session id the archiver accepts is a recording id delete accepts, and
# a sequence it accepts fits the archived name's eight digits.
SESSION_ID = r"[A-Za-z0-9_-]{1,128}"
SEGMENT_NAME = re.compile(rf"stream-(?P<session>{SESSION_ID})-(?P<sequence>\d{{1,8}})\.ts", re.ASCII)
ARCHIVED_NAME = re.compile(r"(?P<sequence>\d{8})_(?P<duration_us>\d{1,18})\.ts", re.ASCII)
RECORDING_ID = re.compile(SESSION_ID)
VARIANT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A next token: base64url without padding of [start, id]; 256 characters hold any of them.
TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{1,256}")
BAD_NEXT_MESSAGE = "next must be the token an earlier page of this list gave"

CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
WRITE_ATTEMPTS = 10
INDEX_VERSION = 1
# User metadata of each variant playlist: what the index needs of its segments, so an event
# lists only the segments after the playlist's tail (see PlaylistState). S3 allows 2 KB
# of user metadata (names and values together); the tail is cut to stay well below.
PLAYLIST_STATE_KEY = "privatecast-archive"
PLAYLIST_STATE_VERSION = 1
STATE_TAIL_MAX = 40
STATE_BYTES_MAX = 1900


class ConvergeError(RuntimeError):
    """A derived object could not be written: others kept changing it."""


@dataclass(frozen=True)
class ArchivedSegment:
    sequence: int
    duration_us: int
    size: int
    modified: float
    name: str


class PlaylistEntry(Protocol):
    """What a variant playlist says of a segment (an ArchivedSegment, or a line read back)."""

    @property
    def sequence(self) -> int: ...

    @property
    def duration_us(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class ListedName:
    """A segment as a variant playlist lists it: its archived name, nothing of the object."""

    sequence: int
    duration_us: int
    name: str


# --- small S3 helpers -------------------------------------------------------------------


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def list_objects(
    s3: Any, bucket: str, prefix: str, start_after: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every object under prefix, in key order; only keys after start_after when given."""
    after = {"StartAfter": start_after} if start_after else {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **after):
        yield from page.get("Contents", [])


def list_folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The 'folder' names directly under prefix."""
    names = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            names.append(common["Prefix"][len(prefix) :].rstrip("/"))
    return names


@dataclass(frozen=True)
class StoredObject:
    """One object as read: body None (and no ETag) when the key does not exist."""

    body: bytes | None
    etag: str | None
    metadata: dict[str, str]


def read_stored(s3: Any, bucket: str, key: str) -> StoredObject:
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) in MISSING_CODES:
            return StoredObject(None, None, {})
        raise
    return StoredObject(response["Body"].read(), response["ETag"], dict(response.get("Metadata") or {}))


def read_object(s3: Any, bucket: str, key: str) -> tuple[bytes | None, str | None]:
    """(body, ETag), or (None, None) when the key does not exist."""
    stored = read_stored(s3, bucket, key)
    return stored.body, stored.etag


def converge(
    s3: Any,
    bucket: str,
    key: str,
    render: Callable[[bytes | None], bytes | None],
    *,
    content_type: str,
    cache_control: str = "no-cache",
) -> bool:
    """Write render(current) to key unless it is unchanged (or None), conditionally on the
    version read, retrying when another writer got there first. True when written."""

    def render_stored(current: StoredObject) -> tuple[bytes, dict[str, str]] | None:
        body = render(current.body)
        return None if body is None else (body, {})

    return converge_stored(
        s3, bucket, key, render_stored, content_type=content_type, cache_control=cache_control
    )


def converge_stored(
    s3: Any,
    bucket: str,
    key: str,
    render: Callable[[StoredObject], tuple[bytes, dict[str, str]] | None],
    *,
    content_type: str,
    cache_control: str = "no-cache",
) -> bool:
    """converge() for an object that also carries user metadata: render gets the object as
    read and gives (body, metadata); unchanged means both are the same."""
    for attempt in range(WRITE_ATTEMPTS):
        current = read_stored(s3, bucket, key)
        rendered = render(current)
        if rendered is None or (rendered[0] == current.body and rendered[1] == current.metadata):
            return False
        body, metadata = rendered
        condition = {"IfMatch": current.etag} if current.etag else {"IfNoneMatch": "*"}
        try:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                CacheControl=cache_control,
                Metadata=metadata,
                **condition,
            )
        except ClientError as error:
            # NoSuchKey: the version read was deleted meanwhile (If-Match on a gone key).
            if error_code(error) not in CONFLICT_CODES | MISSING_CODES:
                raise
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # noqa: S311 jitter, not crypto
            continue
        return True
    raise ConvergeError(f"gave up writing s3://{bucket}/{key}: it kept changing")


# --- names and playlists ------------------------------------------------------------------


def duration_to_us(text: str) -> int | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    return int((value * 1_000_000).to_integral_value())


def owncast_durations(playlist: str) -> dict[str, int]:
    """Segment file name -> duration (µs) from an HLS media playlist's #EXTINF lines."""
    durations: dict[str, int] = {}
    pending: int | None = None
    for raw_line in playlist.splitlines():
        line = raw_line.strip()
        if line.startswith("#EXTINF:"):
            pending = duration_to_us(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#"):
            if pending is not None:
                name = line.split("?", 1)[0].rsplit("/", 1)[-1]
                durations[name] = pending
            pending = None
    return durations


def archived_name(sequence: int, duration_us: int) -> str:
    return f"{sequence:08d}_{duration_us}.ts"


def session_prefix(session: str) -> str:
    return f"{RECORDINGS_PREFIX}{session}/"


def variant_prefix(session: str, variant: str) -> str:
    return f"{RECORDINGS_PREFIX}{session}/{variant}/"


def variant_sort_key(variant: str) -> tuple[int, str]:
    return (len(variant), variant)


def parse_archived(obj: dict[str, Any], prefix: str) -> ArchivedSegment | None:
    name = obj["Key"][len(prefix) :]
    match = ARCHIVED_NAME.fullmatch(name)
    if not match:
        return None
    return ArchivedSegment(
        sequence=int(match["sequence"]),
        duration_us=int(match["duration_us"]),
        size=int(obj["Size"]),
        modified=obj["LastModified"].timestamp(),
        name=name,
    )


def unique_by_sequence(segments: list[ArchivedSegment]) -> list[ArchivedSegment]:
    """One segment per sequence number (the first name wins), in sequence order."""
    chosen: dict[int, ArchivedSegment] = {}
    for segment in sorted(segments, key=lambda s: (s.sequence, s.name)):
        chosen.setdefault(segment.sequence, segment)
    return [chosen[sequence] for sequence in sorted(chosen)]


def list_archived(
    s3: Any, bucket: str, session: str, variant: str, start: int | None = None
) -> list[ArchivedSegment]:
    """The variant's archived segments, or only those numbered start or later: archived
    names begin with the zero-padded number, so key order is number order (StartAfter)."""
    prefix = variant_prefix(session, variant)
    after = None if start is None else f"{prefix}{start:08d}"
    found = [parse_archived(obj, prefix) for obj in list_objects(s3, bucket, prefix, after)]
    return unique_by_sequence([segment for segment in found if segment is not None])


def render_variant_playlist(segments: Sequence[PlaylistEntry], closed: bool) -> bytes:
    target = max(math.ceil(segment.duration_us / 1_000_000) for segment in segments)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if closed else 'EVENT'}",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    previous: int | None = None
    for segment in segments:
        if previous is not None and segment.sequence != previous + 1:
            lines.append("#EXT-X-DISCONTINUITY")  # segments lost for good: tell the player
        lines.append(f"#EXTINF:{segment.duration_us / 1_000_000:.6f},")
        lines.append(segment.name)
        previous = segment.sequence
    if closed:
        lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class Aggregate:
    """variant_stats of a run of segments from the first one on, kept exactly (start and
    updated unrounded), so the run extends by the segments after it without the earlier
    ones: the same arithmetic in the same order as over the whole list."""

    segments: int = 0
    duration_us: int = 0
    size: int = 0
    start: float = math.inf
    updated: float = -math.inf

    def extend(self, segments: Iterable[ArchivedSegment]) -> Aggregate:
        count, elapsed_us, size = self.segments, self.duration_us, self.size
        start, updated = self.start, self.updated
        for segment in segments:
            count += 1
            elapsed_us += segment.duration_us
            size += segment.size
            start = min(start, segment.modified - elapsed_us / 1_000_000)
            updated = max(updated, segment.modified)
        return Aggregate(count, elapsed_us, size, start, updated)

    def stats(self) -> dict[str, int]:
        return {
            "segments": self.segments,
            "duration_us": self.duration_us,
            "size": self.size,
            "start": math.floor(self.start),
            "updated": math.floor(self.updated),
        }


def variant_stats(segments: list[ArchivedSegment]) -> dict[str, int]:
    """What the index keeps per variant. start: earliest moment consistent with every
    copy's time (a copy exists only after its segment was recorded)."""
    return Aggregate().extend(segments).stats()


# --- the playlist's state: list only what came after its tail ------------------------------


@dataclass(frozen=True)
class PlaylistState:
    """What a variant playlist's metadata keeps beside the names its body lists: the
    Aggregate of its first `before.segments` segments and, for every later one (the tail,
    at most STATE_TAIL_MAX), size and copy time as the listing gave them. With it, an event
    lists only the segments numbered from the live window's first (or the playlist's last
    plus one) on: everything before that is known, a copy made again meanwhile (a new copy
    time) only happens inside the window, and the listing replaces the tail from there."""

    head: tuple[ListedName, ...]
    before: Aggregate
    tail: tuple[ArchivedSegment, ...]

    @property
    def boundary(self) -> int:
        """The first number the tail holds (or would hold): head and before end below it."""
        if self.tail:
            return self.tail[0].sequence
        return self.head[-1].sequence + 1 if self.head else 0

    @property
    def next_sequence(self) -> int:
        """One past the playlist's last segment."""
        return self.tail[-1].sequence + 1 if self.tail else self.boundary


def listed_names(body: bytes) -> list[ListedName] | None:
    """The segments a variant playlist lists, in order; None if a line is not an archived name."""
    names = []
    for line in body.decode("utf-8", "replace").splitlines():
        if not line or line.startswith("#"):
            continue
        match = ARCHIVED_NAME.fullmatch(line)
        if not match:
            return None
        names.append(ListedName(int(match["sequence"]), int(match["duration_us"]), line))
    return names


def encode_state(before: Aggregate, tail: Sequence[ArchivedSegment]) -> str:
    start = None if before.start == math.inf else before.start
    updated = None if before.updated == -math.inf else before.updated
    document = {
        "v": PLAYLIST_STATE_VERSION,
        "n": before.segments,
        "d": before.duration_us,
        "s": before.size,
        "t": start,
        "u": updated,
        "tail": [[segment.sequence, segment.size, segment.modified] for segment in tail],
    }
    return json.dumps(document, separators=(",", ":"))


def decode_state(current: StoredObject) -> PlaylistState | None:
    """The state a playlist carries, checked against its body; None when it has none (a
    playlist from before the state existed, or none at all) or they disagree."""
    raw = current.metadata.get(PLAYLIST_STATE_KEY)
    names = listed_names(current.body) if current.body is not None and raw else None
    if names is None:
        return None
    try:
        document = json.loads(raw)
        before = Aggregate(
            int(document["n"]),
            int(document["d"]),
            int(document["s"]),
            math.inf if document["t"] is None else float(document["t"]),
            -math.inf if document["u"] is None else float(document["u"]),
        )
        tail_data = [
            (int(sequence), int(size), float(modified)) for sequence, size, modified in document["tail"]
        ]
    except (ValueError, TypeError, KeyError):
        return None
    head, rest = names[: before.segments], names[before.segments :]
    consistent = (
        document.get("v") == PLAYLIST_STATE_VERSION
        and len(head) == before.segments
        and sum(name.duration_us for name in head) == before.duration_us
        and [name.sequence for name in rest] == [entry[0] for entry in tail_data]
    )
    if not consistent:
        return None
    tail = tuple(
        ArchivedSegment(name.sequence, name.duration_us, size, modified, name.name)
        for name, (_sequence, size, modified) in zip(rest, tail_data, strict=True)
    )
    return PlaylistState(tuple(head), before, tail)


def fit_state(
    before: Aggregate, segments: Sequence[ArchivedSegment]
) -> tuple[Aggregate, list[ArchivedSegment]]:
    """Fold the oldest segments into the aggregate until the tail fits the metadata."""
    excess = max(0, len(segments) - STATE_TAIL_MAX)
    before, tail = before.extend(segments[:excess]), list(segments[excess:])
    while tail and len(PLAYLIST_STATE_KEY) + len(encode_state(before, tail)) > STATE_BYTES_MAX:
        before, tail = before.extend(tail[:1]), tail[1:]
    return before, tail


def known_segments(
    s3: Any, bucket: str, session: str, variant: str, *, current: StoredObject, window_start: int | None
) -> tuple[list[PlaylistEntry], Aggregate, list[ArchivedSegment]]:
    """The variant's archived segments as (head, its Aggregate, the rest with their data).
    With window_start (the first number of Owncast's live window) and a playlist whose
    state holds everything before the listing's start, only the segments numbered from
    min(window_start, the playlist's last + 1) on are listed: a constant number of LIST
    requests whatever the recording's length. Otherwise every segment is listed."""
    state = decode_state(current) if window_start is not None else None
    if state is not None and window_start is not None:
        start = min(window_start, state.next_sequence)
        if start >= state.boundary:
            kept = [segment for segment in state.tail if segment.sequence < start]
            listed = list_archived(s3, bucket, session, variant, start)
            return list(state.head), state.before, kept + listed
    return [], Aggregate(), list_archived(s3, bucket, session, variant)


def render_master(variants: dict[str, dict[str, int]]) -> bytes | None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for variant in sorted(variants, key=variant_sort_key):
        stats = variants[variant]
        seconds = max(stats["duration_us"] / 1_000_000, 0.001)
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={max(1, round(stats['size'] * 8 / seconds))}")
        lines.append(f"{variant}/{VARIANT_PLAYLIST}")
    return ("\n".join(lines) + "\n").encode() if variants else None


# --- the index ------------------------------------------------------------------------


def empty_index() -> dict[str, Any]:
    return {"version": INDEX_VERSION, "recordings": {}, "deleted": []}


def parse_index(body: bytes | None) -> dict[str, Any]:
    if body is None:
        return empty_index()
    index = json.loads(body)
    index.setdefault("recordings", {})
    index.setdefault("deleted", [])
    return index


def dump_index(index: dict[str, Any]) -> bytes:
    return json.dumps(index, sort_keys=True, separators=(",", ":")).encode()


def read_index(s3: Any, bucket: str) -> dict[str, Any]:
    return parse_index(read_object(s3, bucket, INDEX_KEY)[0])


def update_index(s3: Any, bucket: str, change: Callable[[dict[str, Any]], None]) -> bool:
    def render(current: bytes | None) -> bytes:
        index = parse_index(current)
        change(index)
        return dump_index(index)

    return converge(s3, bucket, INDEX_KEY, render, content_type="application/json")


def merge_variant(index: dict[str, Any], session: str, variant: str, stats: dict[str, int]) -> None:
    """Set a variant's stats unless the index already knows more segments: the set of a
    variant's segments only grows, so more segments means a newer listing."""
    if session in index["deleted"]:
        return
    entry = index["recordings"].setdefault(session, {"closed": False, "variants": {}})
    known = entry["variants"].get(variant)
    if known is None or stats["segments"] >= known["segments"]:
        entry["variants"][variant] = stats


def summary(session: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The list call's view of one index entry."""
    variants = entry["variants"]
    return {
        "id": session,
        "start": min(stats["start"] for stats in variants.values()),
        "duration": round(max(stats["duration_us"] for stats in variants.values()) / 1_000_000, 3),
        "size": sum(stats["size"] for stats in variants.values()),
        "variants": sorted(variants, key=variant_sort_key),
        "live": not entry["closed"],
        "updated": max(stats["updated"] for stats in variants.values()),
        "playlist": f"/{RECORDINGS_PREFIX}{session}/{MASTER_PLAYLIST}",
    }


def newest_first(index: dict[str, Any]) -> list[dict[str, Any]]:
    items = [summary(session, entry) for session, entry in index["recordings"].items() if entry["variants"]]
    return sorted(items, key=lambda item: (item["start"], item["id"]), reverse=True)


def encode_token(item: dict[str, Any]) -> str:
    raw = json.dumps([item["start"], item["id"]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, str]:
    """Raises ValueError for anything encode_token did not make: only the exact text it
    gives (canonical base64url of [start, id]) is taken back."""
    if not isinstance(token, str) or not TOKEN_TEXT.fullmatch(token):
        raise ValueError(BAD_NEXT_MESSAGE)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        start, session = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, RecursionError) as error:
        raise ValueError(BAD_NEXT_MESSAGE) from error
    valid = (
        isinstance(start, int)
        and not isinstance(start, bool)
        and -(2**63) <= start < 2**63
        and isinstance(session, str)
        and RECORDING_ID.fullmatch(session)
        and encode_token({"start": start, "id": session}) == token
    )
    if not valid:
        raise ValueError(BAD_NEXT_MESSAGE)
    return start, session


def page_of(
    items: list[dict[str, Any]], limit: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Keyset pagination over (start, id) descending: a page never repeats or skips an item
    because a newer recording appeared meanwhile."""
    if token is not None:
        after = decode_token(token)
        items = [item for item in items if (item["start"], item["id"]) < after]
    page = items[:limit]
    more = len(items) > limit
    return page, (encode_token(page[-1]) if more and page else None)


# --- archiving ----------------------------------------------------------------------------


def owncast_window(s3: Any, bucket: str, variant: str) -> dict[str, dict[str, tuple[int, int, str]]]:
    """Segments of hls/<variant>/ whose duration Owncast's playlist gives:
    session -> {name: (sequence, duration µs, key)}."""
    prefix = f"{HLS_PREFIX}{variant}/"
    body = read_object(s3, bucket, prefix + OWNCAST_PLAYLIST)[0]
    durations = owncast_durations(body.decode("utf-8", "replace")) if body else {}
    sessions: dict[str, dict[str, tuple[int, int, str]]] = {}
    for obj in list_objects(s3, bucket, prefix):
        name = obj["Key"][len(prefix) :]
        match = SEGMENT_NAME.fullmatch(name)
        if match and name in durations:
            sessions.setdefault(match["session"], {})[name] = (
                int(match["sequence"]),
                durations[name],
                obj["Key"],
            )
    return sessions


def copy_segment(s3: Any, bucket: str, source_key: str, target_key: str) -> bool:
    try:
        s3.copy_object(
            Bucket=bucket,
            Key=target_key,
            CopySource={"Bucket": bucket, "Key": source_key},
            MetadataDirective="REPLACE",
            ContentType="video/mp2t",
            CacheControl="max-age=31536000, immutable",
        )
    except ClientError as error:
        if error_code(error) in MISSING_CODES:
            return False  # Owncast deleted it meanwhile; a later event may still find it
        raise
    return True


def archive_variant(s3: Any, bucket: str, variant: str) -> dict[str, int]:
    """Copy every segment of hls/<variant>/ with a known duration that is not archived yet,
    then refresh the touched recordings. Returns session -> segments copied. Lists only
    the archived segments from the live window's first on (constant in the recording's
    length), and the refresh only from there or the playlist's tail on."""
    copied: dict[str, int] = {}
    index = read_index(s3, bucket)
    for session, window in owncast_window(s3, bucket, variant).items():
        if session in index["deleted"]:
            continue
        window_start = min(entry[0] for entry in window.values())
        archived = {segment.sequence for segment in list_archived(s3, bucket, session, variant, window_start)}
        count = 0
        for sequence, duration_us, source_key in sorted(window.values()):
            if sequence not in archived:
                target = variant_prefix(session, variant) + archived_name(sequence, duration_us)
                count += copy_segment(s3, bucket, source_key, target)
        refresh_recording(s3, bucket, session, variant, window_start)
        copied[session] = count
    return copied


def refresh_recording(
    s3: Any, bucket: str, session: str, variant: str, window_start: int | None = None
) -> dict[str, int] | None:
    """Rebuild one variant's playlist from its archived segments, then its index entry and
    the session's master playlist. Returns the variant's stats (None: nothing archived).
    With window_start (from an event) it lists only the segments after the playlist's
    state (known_segments) and leaves the index and master alone when neither the playlist
    nor the variant's stats changed; without (close, reconcile) it lists all of them."""
    outcome: list[tuple[dict[str, int], dict[str, int] | None]] = []

    def render_playlist(current: StoredObject) -> tuple[bytes, dict[str, str]] | None:
        outcome.clear()
        index = read_index(s3, bucket)
        if session in index["deleted"]:
            return None
        entry = index["recordings"].get(session, {})
        head, before, segments = known_segments(
            s3, bucket, session, variant, current=current, window_start=window_start
        )
        if not head and not segments:
            return None
        state_before, tail = fit_state(before, segments)
        outcome.append((before.extend(segments).stats(), entry.get("variants", {}).get(variant)))
        body = render_variant_playlist([*head, *segments], bool(entry.get("closed")))
        return body, {PLAYLIST_STATE_KEY: encode_state(state_before, tail)}

    playlist_key = variant_prefix(session, variant) + VARIANT_PLAYLIST
    written = converge_stored(s3, bucket, playlist_key, render_playlist, content_type=PLAYLIST_TYPE)
    if not outcome:
        return None
    stats, indexed = outcome[0]
    if window_start is not None and not written and indexed == stats:
        return stats
    update_index(s3, bucket, lambda index: merge_variant(index, session, variant, stats))
    write_master(s3, bucket, session)
    return stats


def write_master(s3: Any, bucket: str, session: str) -> None:
    def render(_current: bytes | None) -> bytes | None:
        entry = read_index(s3, bucket)["recordings"].get(session)
        return render_master(entry["variants"]) if entry else None

    converge(s3, bucket, session_prefix(session) + MASTER_PLAYLIST, render, content_type=PLAYLIST_TYPE)


def close_recording(s3: Any, bucket: str, session: str) -> None:
    """Mark closed first, then rewrite the playlists: a concurrent archiver either sees the
    mark or loses its conditional write and retries with it."""

    def mark(index: dict[str, Any]) -> None:
        if session in index["recordings"]:
            index["recordings"][session]["closed"] = True

    update_index(s3, bucket, mark)
    entry = read_index(s3, bucket)["recordings"].get(session, {})
    for variant in entry.get("variants", {}):
        refresh_recording(s3, bucket, session, variant)


def close_idle_recordings(s3: Any, bucket: str, close_after: int, now: float | None = None) -> list[str]:
    """Close every open recording whose newest segment is older than close_after seconds."""
    now = time.time() if now is None else now
    closed = []
    for session, entry in sorted(read_index(s3, bucket)["recordings"].items()):
        if entry["closed"] or not entry["variants"]:
            continue
        newest = max(stats["updated"] for stats in entry["variants"].values())
        if now - newest >= close_after:
            close_recording(s3, bucket, session)
            closed.append(session)
    return closed


@dataclass(frozen=True)
class DeletedRecording:
    """What a delete touched: the variants whose URLs CloudFront may still have cached."""

    session: str
    variants: tuple[str, ...]


def session_hls_keys(s3: Any, bucket: str, session: str, variants: list[str]) -> dict[str, list[str]]:
    """Owncast's segments of one session still under hls/<variant>/: variant -> keys. Only
    segments: the live playlist (stream.m3u8) belongs to whatever Owncast streams now. The
    prefix stream-<session>- also lists a session named <session>-<more>; SEGMENT_NAME
    decides."""
    found: dict[str, list[str]] = {}
    for variant in variants:
        folder = f"{HLS_PREFIX}{variant}/"
        for obj in list_objects(s3, bucket, f"{folder}stream-{session}-"):
            match = SEGMENT_NAME.fullmatch(obj["Key"][len(folder) :])
            if match and match["session"] == session:
                found.setdefault(variant, []).append(obj["Key"])
    return found


def delete_objects(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


def delete_recording(s3: Any, bucket: str, session: str) -> DeletedRecording | None:
    """Tombstone the recording in the index (so late events do not bring it back), then
    delete its objects under recordings/ and the session's segments Owncast left under
    hls/. None when there was nothing to delete; a recording deleted before is deleted
    again (whatever is left, and the same answer), so a failed step can be retried."""
    index = read_index(s3, bucket)
    entry = index["recordings"].get(session)
    keys = [obj["Key"] for obj in list_objects(s3, bucket, session_prefix(session))]
    live_variants = list_folders(s3, bucket, HLS_PREFIX)
    hls_keys = session_hls_keys(s3, bucket, session, live_variants)
    if entry is None and session not in index["deleted"] and not keys and not hls_keys:
        return None

    def tombstone(index: dict[str, Any]) -> None:
        index["recordings"].pop(session, None)
        if session not in index["deleted"]:
            index["deleted"].append(session)
            index["deleted"].sort()

    update_index(s3, bucket, tombstone)
    delete_objects(s3, bucket, keys + [key for variant_keys in hls_keys.values() for key in variant_keys])
    # Every variant a URL of this recording may name: the index's, the archived folders'
    # and hls/'s (a retried delete finds neither index entry nor archived objects).
    folders = [key[len(session_prefix(session)) :].split("/") for key in keys]
    archived = {parts[0] for parts in folders if len(parts) > 1}
    variants = set((entry or {}).get("variants", {})) | archived | set(live_variants)
    variants = {variant for variant in variants if VARIANT_NAME.fullmatch(variant)}
    return DeletedRecording(session=session, variants=tuple(sorted(variants, key=variant_sort_key)))


def reconcile(s3: Any, bucket: str, close_after: int, now: float | None = None) -> dict[str, Any]:
    """Rebuild everything from the bucket: archive what hls/ still holds, then recompute
    every playlist and the whole index from the archived segments. Recordings the index
    did not know are closed when idle past close_after."""
    now = time.time() if now is None else now
    variants = [name for name in list_folders(s3, bucket, HLS_PREFIX) if VARIANT_NAME.fullmatch(name)]
    copied = {variant: archive_variant(s3, bucket, variant) for variant in variants}
    found: dict[str, dict[str, list[ArchivedSegment]]] = {}
    for obj in list_objects(s3, bucket, RECORDINGS_PREFIX):
        parts = obj["Key"][len(RECORDINGS_PREFIX) :].split("/")
        if len(parts) != 3 or not RECORDING_ID.fullmatch(parts[0]) or not VARIANT_NAME.fullmatch(parts[1]):
            continue
        segment = parse_archived(obj, variant_prefix(parts[0], parts[1]))
        if segment is not None:
            found.setdefault(parts[0], {}).setdefault(parts[1], []).append(segment)

    def rebuild(index: dict[str, Any]) -> None:
        old = index["recordings"]
        fresh: dict[str, Any] = {}
        for session, variants in found.items():
            if session in index["deleted"]:
                continue
            stats = {variant: variant_stats(unique_by_sequence(segs)) for variant, segs in variants.items()}
            newest = max(value["updated"] for value in stats.values())
            closed = old[session]["closed"] if session in old else now - newest >= close_after
            fresh[session] = {"closed": closed, "variants": stats}
        index["recordings"] = fresh
        index["version"] = INDEX_VERSION

    update_index(s3, bucket, rebuild)
    for session, variants in sorted(found.items()):
        for variant in sorted(variants):
            refresh_recording(s3, bucket, session, variant)
    return {"copied": copied, "recordings": sorted(found)}
