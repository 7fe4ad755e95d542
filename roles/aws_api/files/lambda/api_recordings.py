"""Recordings API Lambda: GET /api/recordings (newest first, paginated, from the index;
never lists segments) and DELETE /api/recordings/{id} (admins)."""

from __future__ import annotations

from typing import Any

import lambda_common as common
import recordings_store as store

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def page_size(params: dict[str, str]) -> int:
    text = params.get("limit") or str(DEFAULT_PAGE_SIZE)
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise common.HttpError(400, f"limit must be a number from 1 to {MAX_PAGE_SIZE}")
    return int(text)


def list_recordings(event: dict[str, Any]) -> dict[str, Any]:
    common.require_viewer(event)
    params = event.get("queryStringParameters") or {}
    limit = page_size(params)
    index = store.read_index(common.client("s3"), common.bucket_name())
    try:
        page, token = store.page_of(store.newest_first(index), limit, params.get("next"))
    except ValueError as error:
        raise common.HttpError(400, str(error)) from error
    return common.json_response(200, {"recordings": page, "next": token})


def delete_recording(event: dict[str, Any]) -> dict[str, Any]:
    common.require_admin(event)
    recording_id = (event.get("pathParameters") or {}).get("id", "")
    if not store.RECORDING_ID.match(recording_id):
        raise common.HttpError(400, "not a recording id")
    if not store.delete_recording(common.client("s3"), common.bucket_name(), recording_id):
        raise common.HttpError(404, "no such recording")
    return common.empty_response(204)


ROUTES = {
    "GET /api/recordings": list_recordings,
    "DELETE /api/recordings/{id}": delete_recording,
}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
