"""Archiver Lambda: on S3 ObjectCreated under hls/, archive the variant's segments into
recordings/ and refresh their playlists and the index; invoked with
{"action": "reconcile"} (or any event without Records) it rebuilds everything."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

import lambda_common as common
import recordings_store as store


def variants_in(event: dict[str, Any], bucket: str) -> list[str]:
    """The hls/<variant>/ folders the event's records touch (segments or playlists)."""
    variants = set()
    for record in event.get("Records", []):
        s3_part = record.get("s3") or {}
        if (s3_part.get("bucket") or {}).get("name", bucket) != bucket:
            continue
        key = unquote_plus((s3_part.get("object") or {}).get("key", ""))
        parts = key.split("/")
        if len(parts) == 3 and parts[0] + "/" == store.HLS_PREFIX and store.VARIANT_NAME.fullmatch(parts[1]):
            if parts[2] == store.OWNCAST_PLAYLIST or store.SEGMENT_NAME.fullmatch(parts[2]):
                variants.add(parts[1])
    return sorted(variants, key=store.variant_sort_key)


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    if "Records" not in event:
        return reconcile(event, _context)
    s3 = common.client("s3")
    bucket = common.bucket_name()
    return {variant: store.archive_variant(s3, bucket, variant) for variant in variants_in(event, bucket)}


def reconcile(_event: dict[str, Any] | None = None, _context: Any = None) -> dict[str, Any]:
    close_after = common.env_seconds("PRIVATECAST_RECORDING_CLOSE_AFTER_SECONDS", 300)
    return store.reconcile(common.client("s3"), common.bucket_name(), close_after)
