"""Bad input through the API (issue 10), each attack reproduced and shown refused: every
bad query or path value is a 400 with a sentence (never a 500), ids are matched whole (a
trailing newline is refused), the archiver, the list call and delete agree on what a
recording id is, and GET /api/status tells viewers nothing internal."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.unit import lambda_support as support
from tests.unit.maintenance_stack import build_stack
from tools.local_edge import apigateway

api_recordings = support.handler_module("api_recordings")
api_session = support.handler_module("api_session")
api_status = support.handler_module("api_status")
archiver = support.handler_module("archiver")
lambda_common = support.handler_module("lambda_common")
store = support.handler_module("recordings_store")

ADMIN = support.claims("admin-1", ["admins"])
VIEWER = support.claims("viewer-1", ["viewers"])
LONGEST_ID = "s" * 128


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from support.aws_environment(monkeypatch)


def s3() -> Any:
    return boto3.client("s3", region_name=support.REGION)


def recording_keys(recording: str) -> list[str]:
    return [obj["Key"] for obj in store.list_objects(s3(), support.BUCKET, f"recordings/{recording}/")]


def upload_owncast_variant(variant: str, session: str, sequences: range = range(2)) -> None:
    """What Owncast leaves in hls/<variant>/: segments, then the playlist that times them."""
    names = [f"stream-{session}-{sequence}.ts" for sequence in sequences]
    for name in names:
        s3().put_object(Bucket=support.BUCKET, Key=f"hls/{variant}/{name}", Body=b"ts" * 100)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4"]
    for name in names:
        lines += ["#EXTINF:4.000000,", name]
    s3().put_object(Bucket=support.BUCKET, Key=f"hls/{variant}/stream.m3u8", Body="\n".join(lines).encode())


def archive(variant: str) -> dict[str, Any]:
    return archiver.handler(support.s3_event(support.BUCKET, f"hls/{variant}/stream.m3u8"))


def listed_ids(user: dict[str, Any] = VIEWER) -> list[str]:
    response = api_recordings.handler(support.api_event("GET /api/recordings", user))
    assert response["statusCode"] == 200
    return [item["id"] for item in support.body_of(response)["recordings"]]


def list_with(query: dict[str, str]) -> dict[str, Any]:
    return api_recordings.handler(support.api_event("GET /api/recordings", VIEWER, query=query))


def delete(recording: Any) -> dict[str, Any]:
    event = support.api_event("DELETE /api/recordings/{id}", ADMIN, path_parameters={"id": "x"})
    event["pathParameters"] = {"id": recording}
    return api_recordings.handler(event)


def assert_refused_with_a_sentence(response: dict[str, Any], *words: str) -> None:
    assert response["statusCode"] == 400, response
    message = support.body_of(response)["message"]
    assert isinstance(message, str) and " " in message
    for word in words:
        assert word in message


# --- limit ------------------------------------------------------------------------------------


# One moto per test, not per value: each case is named in the assertion's message.
BAD_LIMITS = [
    "²",  # str.isdigit() says yes, int() says no: was a 500
    "٣",  # an Arabic-Indic three: int() takes it
    "\uff15",  # a full-width five
    "9" * 5000,  # beyond int()'s digit limit: was a 500
    "1" + "0" * 30,
    "-1",
    "0",
    "101",
    "",
    " 5",
    "5\n",
    "+5",
    "1e2",
    "0x10",
    "5.0",
    "5,10",  # limit=5&limit=10, as API Gateway joins a repeated parameter
]


def test_every_bad_limit_is_a_400_with_a_sentence(aws: None) -> None:
    for limit in BAD_LIMITS:
        assert_refused_with_a_sentence(list_with({"limit": limit}), "limit")
    for limit in ("1", "007", "100"):
        assert list_with({"limit": limit})["statusCode"] == 200, limit


def test_a_repeated_parameter_as_api_gateway_passes_it_is_refused(aws: None) -> None:
    event = support.api_event("GET /api/recordings", VIEWER)
    for raw_query in ("limit=5&limit=10", "next=abc&next=def"):
        event["rawQueryString"] = raw_query
        # the local edge joins repeated values with commas, as API Gateway does
        event["queryStringParameters"] = apigateway._query_parameters(raw_query)
        assert_refused_with_a_sentence(api_recordings.handler(event), "once")


# --- next -----------------------------------------------------------------------------------


def token_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_recordings(count: int) -> None:
    for k in range(count):
        key = f"recordings/rec{k}/0/{store.archived_name(0, (k + 1) * 1_000_000)}"
        s3().put_object(Bucket=support.BUCKET, Key=key, Body=b"x")
    store.reconcile(s3(), support.BUCKET, close_after=300)


def first_token() -> str:
    body = support.body_of(list_with({"limit": "1"}))
    assert body["next"]
    return body["next"]


BAD_TOKENS = [
    "",
    "not a token",
    "é",
    "x" * 300,
    token_of(b'[true,"rec0"]'),  # a bool is an int to isinstance
    token_of(b'[1.5,"rec0"]'),
    token_of(b'[1,"rec0\\n"]'),  # an id with a trailing newline
    token_of(b'[1,"../rec0"]'),
    token_of(b'[1,"rec0",3]'),
    token_of(b'{"start":1,"id":"rec0"}'),
    token_of(b"[" * 150 + b"]" * 150),
    token_of(b'[1, "rec0"]'),  # not the exact text the API gives out
    token_of(b"\xff\xfe"),
    token_of(b"[" + b"9" * 150 + b',"rec0"]'),  # beyond any start the index holds
]


def test_every_bad_next_token_is_a_400_with_a_sentence(aws: None) -> None:
    make_recordings(2)
    for token in BAD_TOKENS:
        assert_refused_with_a_sentence(list_with({"next": token}), "next")


def test_only_the_exact_token_given_out_is_taken_back(aws: None) -> None:
    make_recordings(3)
    token = first_token()
    assert list_with({"limit": "1", "next": token})["statusCode"] == 200
    for variant in (token + "=", token + "\n", token + "AA", token.upper(), token + "," + token):
        assert_refused_with_a_sentence(list_with({"next": variant}), "next")


# --- ids in paths -------------------------------------------------------------------------


BAD_IDS = ["rec0\n", "rec0\r\n", " rec0", "", "s" * 129, "é", "rec0/..", "../etc", "rec0%0A", None, 7]


def test_delete_refuses_every_malformed_id_and_deletes_nothing(aws: None) -> None:
    make_recordings(1)
    before = recording_keys("rec0")
    for recording in BAD_IDS:
        assert_refused_with_a_sentence(delete(recording), "recording id")
    assert recording_keys("rec0") == before
    assert listed_ids() == ["rec0"]


def test_a_recording_with_the_longest_session_id_can_be_deleted(aws: None) -> None:
    created = support.create_distribution(boto3.client("cloudfront", region_name=support.REGION))
    support.tell_distribution(
        boto3.client("ssm", region_name=support.REGION), created.id, created.domain_name
    )
    upload_owncast_variant("0", LONGEST_ID)
    assert archive("0") == {"0": {LONGEST_ID: 2}}
    assert listed_ids() == [LONGEST_ID]
    assert delete(LONGEST_ID)["statusCode"] == 204
    assert listed_ids() == []
    assert recording_keys(LONGEST_ID) == []


def test_a_session_id_delete_would_refuse_is_never_archived(aws: None) -> None:
    too_long = LONGEST_ID + "s"
    upload_owncast_variant("0", too_long)
    assert archive("0") == {"0": {}}
    store.reconcile(s3(), support.BUCKET, close_after=300)
    assert listed_ids() == []
    assert recording_keys(too_long) == []
    assert_refused_with_a_sentence(delete(too_long), "recording id")


def test_a_sequence_number_beyond_the_archived_names_digits_is_not_archived(aws: None) -> None:
    upload_owncast_variant("0", "big", range(10**8, 10**8 + 1))
    assert archive("0") == {"0": {}}
    assert recording_keys("big") == []


def test_a_variant_with_a_trailing_newline_reaches_no_playlist(aws: None) -> None:
    upload_owncast_variant("0\n", "abc")
    upload_owncast_variant("0\n#EXT-X-STREAM-INF:BANDWIDTH=1", "abc")
    assert archiver.variants_in(support.s3_event(support.BUCKET, "hls/0\n/stream.m3u8"), support.BUCKET) == []
    assert archive("0\n") == {}
    store.reconcile(s3(), support.BUCKET, close_after=300)
    assert recording_keys("abc") == []
    assert listed_ids() == []


def test_a_segment_name_with_a_trailing_newline_is_not_archived(aws: None) -> None:
    upload_owncast_variant("0", "abc")
    s3().put_object(Bucket=support.BUCKET, Key="hls/0/stream-evil-1.ts\n", Body=b"ts")
    playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nstream-evil-1.ts\n"
    s3().put_object(Bucket=support.BUCKET, Key="hls/0/stream.m3u8", Body=playlist.encode())
    assert (
        archiver.variants_in(support.s3_event(support.BUCKET, "hls/0/stream-evil-1.ts\n"), support.BUCKET)
        == []
    )
    archive("0")
    assert recording_keys("evil") == []


def test_index_entries_are_matched_whole_in_reconcile(aws: None) -> None:
    key = f"recordings/rec0\n/0/{store.archived_name(0, 1_000_000)}"
    s3().put_object(Bucket=support.BUCKET, Key=key, Body=b"x")
    assert store.reconcile(s3(), support.BUCKET, close_after=300)["recordings"] == []


# --- status -----------------------------------------------------------------------------------


def test_status_tells_viewers_a_plain_state_and_admins_the_detail(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name=support.REGION)
    ids = build_stack(ec2, support.STACK)
    tags = [{"Key": "privatecast:stack", "Value": support.STACK}]
    extra_vpc = ec2.create_vpc(
        CidrBlock="10.99.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
    )["Vpc"]["VpcId"]

    viewer = api_status.handler(support.api_event("GET /api/status", VIEWER))
    assert viewer["statusCode"] == 200
    assert support.body_of(viewer)["maintenance"] == {"status": "unknown", "opened_at": None}
    for internal in (ids.vpc_id, extra_vpc, ids.proxy_instance_id, ids.owncast_instance_id, "vpc-"):
        assert internal not in viewer["body"]
    assert {server["state"] for server in support.body_of(viewer)["servers"].values()} == {"running"}

    admin = support.body_of(api_status.handler(support.api_event("GET /api/status", ADMIN)))
    assert admin["maintenance"]["status"] == "unknown"
    assert ids.vpc_id in admin["maintenance"]["detail"]
    assert extra_vpc in admin["maintenance"]["detail"]
    assert admin["servers"]["proxy"]["instance_id"] == ids.proxy_instance_id


# --- the session's host ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", [support.PUBLIC_HOST + "\n", "*", "*\n", "a b", support.PUBLIC_HOST + ":1/x", "h?st.example"]
)
def test_the_signed_host_is_matched_whole(host: str) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        api_session.grant_resource(host, "/hls/")


def test_the_token_text_fits_the_longest_id() -> None:
    token = store.encode_token({"start": -(10**12), "id": LONGEST_ID})
    assert store.TOKEN_TEXT.fullmatch(token)
    assert store.decode_token(token) == (-(10**12), LONGEST_ID)
    assert json.loads(base64.urlsafe_b64decode(token + "==")) == [-(10**12), LONGEST_ID]
