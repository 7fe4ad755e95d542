"""Recordings API Lambda: GET /api/recordings (newest first, paginated, from the index;
never lists segments) and DELETE /api/recordings/{id} (admins).

A delete removes the recording's objects and the session's segments under hls/, then asks
CloudFront to forget its cached copies (archived segments are cached for a year, live ones
for up to a day): one invalidation of /recordings/<id>/* and /hls/<variant>/stream-<id>-*
on the stack's distribution (lambda_common.distribution). The objects go first, so no
request after the invalidation can fill the cache again; deleting a deleted recording
again repeats both steps, so a failed invalidation is retried by deleting again."""

from __future__ import annotations

import re
import uuid
from typing import Any

import lambda_common as common
import recordings_store as store

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
LIMIT_TEXT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit also takes "²" and "٣"


def page_size(event: dict[str, Any]) -> int:
    text = common.query_parameter(event, "limit")
    if text is None:
        return DEFAULT_PAGE_SIZE
    if not LIMIT_TEXT.fullmatch(text) or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise common.HttpError(400, f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}, in digits 0-9")
    return int(text)


def list_recordings(event: dict[str, Any]) -> dict[str, Any]:
    common.require_viewer(event)
    limit = page_size(event)
    token = common.query_parameter(event, "next")
    index = store.read_index(common.client("s3"), common.bucket_name())
    try:
        page, token = store.page_of(store.newest_first(index), limit, token)
    except ValueError as error:
        raise common.HttpError(400, str(error)) from error
    return common.json_response(200, {"recordings": page, "next": token})


def invalidation_paths(deleted: store.DeletedRecording) -> list[str]:
    """The URL paths of a recording and of its session's live segments ('*' only at the end,
    as CloudFront requires). A wildcard path counts as one path in CloudFront's pricing."""
    session = deleted.session
    live = [f"/{store.HLS_PREFIX}{variant}/stream-{session}-*" for variant in deleted.variants]
    return [f"/{store.RECORDINGS_PREFIX}{session}/*", *live]


def invalidate(distribution_id: str, deleted: store.DeletedRecording, request_id: str) -> str:
    """Create the invalidation; its id. The caller reference names the API request, so a
    retry of the same request makes no second invalidation."""
    paths = invalidation_paths(deleted)
    answer = common.client("cloudfront").create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"privatecast-delete-{deleted.session}-{request_id}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def delete_recording(event: dict[str, Any]) -> dict[str, Any]:
    common.require_admin(event)
    recording_id = (event.get("pathParameters") or {}).get("id")
    if not isinstance(recording_id, str) or not store.RECORDING_ID.fullmatch(recording_id):
        raise common.HttpError(400, "a recording id is 1 to 128 letters, digits, '-' or '_'")
    distribution = common.distribution()  # 503 before anything is deleted
    deleted = store.delete_recording(common.client("s3"), common.bucket_name(), recording_id)
    if deleted is None:
        raise common.HttpError(404, "no such recording")
    request_id = str((event.get("requestContext") or {}).get("requestId") or uuid.uuid4())
    invalidate(distribution.id, deleted, request_id)
    return common.empty_response(204)


ROUTES = {
    "GET /api/recordings": list_recordings,
    "DELETE /api/recordings/{id}": delete_recording,
}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    return common.dispatch(event, ROUTES)
