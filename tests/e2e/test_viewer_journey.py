"""A viewer's and an admin's whole journey through the page, on a phone-sized screen,
in the order a person lives it; each step builds on the one before (one stack, one
browser). Screenshots of every main view are saved under tests/output/e2e/.

1. First sign-in with the temporary password, a new password, TOTP enrolment (the code
   is computed from the secret the page shows).
2. The camera comes on: the live player plays by itself, and the picture is the camera's
   (its frame clock is read back from the player's pixels).
3. The camera stops: the recording appears once it is closed, and it plays.
4. An admin signs in and deletes it.
5. Sign-out: the refresh token is revoked, and the cookies saved before sign-out stop
   fetching video once they expire.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer
from botocore.exceptions import ClientError
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import CSP_LISTENER, NewContext, csp_violations, stop_camera, wait_until
from tests.support.local_stack import ARTIFACTS, EDGE_URL, PHONE, LocalStack, edge_request
from tests.support.viewer_page import sign_in, skip_totp_offer
from tools import frame_clock

ADMIN = "admin@example.com"
VIEWER_EMAIL = "viewer@example.com"
VIEWER_GROUP = "viewers"


@dataclass
class Journey:
    email: str
    password: str
    context: BrowserContext | None = None
    page: Page | None = None
    camera: subprocess.Popen | None = None
    recording_id: str = ""
    saved: dict[str, Any] = field(default_factory=dict)


class AuthenticatorApp(pyotp.TOTP):
    """The user's authenticator app. moto gap: moto's Cognito gives every user the 60-bit
    secret "asdfasdfasdf" (AWS's are 256 bits), below pyotp's 112-bit floor for new
    secrets, so the floor is lowered here; the codes are standard RFC 6238 either way."""

    min_secret_length_bits = 0


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)


def strong_password() -> str:
    """Meets the pool's rules: 14+ characters, every character class."""
    return f"Pc-{secrets.token_urlsafe(12)}-9a"


@pytest.fixture(scope="module")
def journey(local_stack: LocalStack, new_context_module: NewContext) -> Iterator[Journey]:
    email = f"e2e-{secrets.token_hex(4)}@example.com"
    temporary = strong_password()
    local_stack.create_user(email, VIEWER_GROUP, temporary)
    context = new_context_module(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script(CSP_LISTENER)
    state = Journey(email=email, password=temporary, context=context, page=context.new_page())
    yield state
    if state.camera is not None:
        stop_camera(state.camera)


def test_first_sign_in_new_password_and_totp_enrolment(journey: Journey, local_stack: LocalStack) -> None:
    page = journey.page
    page.goto(EDGE_URL)
    screenshot(page, "1-sign-in")
    sign_in(page, journey.email, journey.password)

    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    screenshot(page, "2-new-password")
    journey.password = strong_password()
    page.get_by_label("New password", exact=True).fill(journey.password)
    page.get_by_label("Repeat the new password", exact=True).fill(journey.password)
    page.get_by_role("button", name="Set password").click()

    setup_heading = page.get_by_role("heading", name="Set up two-step verification")
    offer = page.get_by_role("button", name="Set up two-step verification")
    expect(setup_heading.or_(offer)).to_be_visible()
    if not setup_heading.is_visible():
        offer.click()
    expect(setup_heading).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    expect(
        page.get_by_role("img", name=f"QR code to add {journey.email} to an authenticator app")
    ).to_be_visible()
    screenshot(page, "3-totp-setup")
    page.get_by_role("textbox", name="Code from your authenticator app").fill(AuthenticatorApp(secret).now())
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", name="Live")).to_be_visible()

    user = local_stack.client("cognito-idp").admin_get_user(
        UserPoolId=local_stack.pool_id, Username=journey.email
    )
    assert user["UserStatus"] == "CONFIRMED"
    assert "SOFTWARE_TOKEN_MFA" in user.get("UserMFASettingList", [])
    journey.saved["totp_secret"] = secret


def test_sign_in_again_asks_for_the_totp_code(journey: Journey) -> None:
    page = journey.page
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, journey.email, journey.password)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_role("textbox", name="Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_role("textbox", name="Code from your authenticator app").fill(
        AuthenticatorApp(journey.saved["totp_secret"]).now()
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Live")).to_be_visible()


def video_time(page: Page, test_id: str) -> float:
    return page.get_by_test_id(test_id).evaluate("video => video.currentTime")


def frame_delay_ms(page: Page, selector: str) -> int | None:
    """Now minus the capture time the camera drew into the frame being shown."""
    sample = page.evaluate(
        frame_clock.CANVAS_CAPTURE_JS,
        [selector, frame_clock.STRIP_CELL_ROWS / frame_clock.CELLS, frame_clock.CAPTURE_WIDTH],
    )
    if not sample:
        return None
    captured = frame_clock.decode(sample["width"], sample["height"], bytes(sample["rgba"]))
    return None if captured is None else sample["now"] - captured


def test_live_plays_by_itself_when_the_camera_comes_on(journey: Journey, camera) -> None:
    page = journey.page
    expect(page.get_by_test_id("offline-card")).to_be_visible()
    screenshot(page, "4-offline")
    journey.camera = camera()
    video = page.get_by_test_id("live-video")
    expect(video).to_be_visible(timeout=90_000)
    first = wait_until(lambda: video_time(page, "live-video") or None, 60, 0.5, "the live video to start")
    time.sleep(3)
    assert video_time(page, "live-video") > first + 1.5, "the live video's currentTime does not advance"
    delays = [
        d
        for d in (frame_delay_ms(page, "[data-testid=live-video]") for _attempt in range(5))
        if d is not None
    ]
    assert delays, "no frame of the camera's picture could be read from the player"
    assert all(0 < delay < 60_000 for delay in delays), (
        f"frames are not this camera's of the last minute: {delays}"
    )
    screenshot(page, "5-live")
    assert csp_violations(page) == []


def newest_recording(local_stack: LocalStack, token: str) -> dict[str, Any] | None:
    answer = edge_request("/api/recordings?limit=1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.body
    recordings = answer.json()["recordings"]
    return recordings[0] if recordings else None


def access_token(page: Page) -> str:
    tokens = page.evaluate(
        "() => Object.fromEntries(Object.entries(localStorage).filter(([k]) => k.endsWith('.accessToken')))"
    )
    assert len(tokens) == 1, f"expected one signed-in user's access token, found {list(tokens)}"
    return next(iter(tokens.values()))


def test_recording_appears_once_closed_and_plays(journey: Journey, local_stack: LocalStack) -> None:
    page = journey.page
    stop_camera(journey.camera)
    token = access_token(page)
    recording = wait_until(
        lambda: (found := newest_recording(local_stack, token)) and not found["live"] and found,
        150,
        3,
        "the camera's recording to be closed",
    )
    journey.recording_id = recording["id"]
    assert recording["duration"] > 5

    page.get_by_role("link", name="Recordings").click()
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible()
    item = page.locator(f"li[data-id='{recording['id']}']")
    expect(item).to_be_visible(timeout=30_000)
    expect(item).not_to_contain_text("Recording now")
    screenshot(page, "6-recordings")
    item.get_by_role("button", name="Play recording from").click()
    wait_until(lambda: video_time(page, "recording-video") > 2, 60, 0.5, "the recording to play")
    screenshot(page, "7-recording-playing")
    assert csp_violations(page) == []


def test_admin_deletes_the_recording(
    journey: Journey, local_stack: LocalStack, new_context: NewContext
) -> None:
    context = new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(EDGE_URL)
    sign_in(page, ADMIN, local_stack.demo_password(ADMIN))
    skip_totp_offer(page)
    expect(page.get_by_role("button", name="Start servers")).to_be_visible()
    page.get_by_role("link", name="Recordings").click()
    item = page.locator(f"li[data-id='{journey.recording_id}']")
    item.get_by_role("button", name="Delete recording from").click()
    dialog = page.get_by_role("dialog", name="Delete this recording?")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "desktop-delete-dialog.png"))
    dialog.get_by_role("button", name="Delete").click()
    expect(item).to_have_count(0)
    token = access_token(page)
    listed = edge_request("/api/recordings?limit=100", headers={"Authorization": f"Bearer {token}"}).json()
    assert journey.recording_id not in [recording["id"] for recording in listed["recordings"]]
    # CloudFront is told to forget the recording's cached copies (issue 10).
    cloudfront = local_stack.client("cloudfront")
    distribution_id = local_stack.distribution["Id"]
    items = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    paths = [
        cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]
        for item in items
    ]
    assert any(f"/recordings/{journey.recording_id}/*" in batch for batch in paths), paths


def saved_session(page: Page, context: BrowserContext) -> dict[str, Any]:
    refresh = page.evaluate(
        "() => Object.entries(localStorage).filter(([k]) => k.endsWith('.refreshToken')).map(([, v]) => v)"
    )
    assert len(refresh) == 1
    cookies = {c["name"]: c["value"] for c in context.cookies(EDGE_URL + "/hls/") if c["path"] == "/hls/"}
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    return {"refresh_token": refresh[0], "hls_cookies": cookies}


def policy_expiry(policy_cookie: str) -> int:
    policy = json.loads(cookie_signer.cloudfront_b64decode(policy_cookie))
    return int(policy["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"])


def test_sign_out_revokes_the_refresh_token_and_old_cookies_expire(
    journey: Journey, local_stack: LocalStack
) -> None:
    page = journey.page
    saved = saved_session(page, journey.context)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    leftovers = page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('CognitoIdentity'))")
    assert leftovers == []

    with pytest.raises(ClientError) as refused:
        local_stack.client("cognito-idp").initiate_auth(
            ClientId=local_stack.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": saved["refresh_token"]},
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"

    objects = local_stack.client("s3").list_objects_v2(Bucket=local_stack.bucket, Prefix="hls/")
    segment = "/" + next(o["Key"] for o in objects["Contents"] if o["Key"].endswith(".ts"))
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in saved["hls_cookies"].items())}
    expires = policy_expiry(saved["hls_cookies"]["CloudFront-Policy"])
    time.sleep(max(0.0, expires - time.time() + 1))
    assert edge_request(segment, headers=cookie).status == 403


def server_states(page: Page) -> str:
    return page.get_by_role("list", name="Server states").inner_text()


def test_admin_stops_and_starts_the_servers(local_stack: LocalStack, new_context: NewContext) -> None:
    """Start and stop through the page, with its progress shown until the state settles
    (the servers are moto's instances; the containers are not touched)."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(EDGE_URL)
    sign_in(page, ADMIN, local_stack.demo_password(ADMIN))
    skip_totp_offer(page)
    start, stop = (
        page.get_by_role("button", name="Start servers"),
        page.get_by_role("button", name="Stop servers"),
    )
    expect(stop).to_be_enabled()
    expect(start).to_be_disabled()
    # The status function read the stack's network through maintenance.describe_window.
    expect(page.get_by_text("No maintenance window is open.")).to_be_visible()
    stop.click()
    dialog = page.get_by_role("dialog", name="Stop the servers?")
    dialog.get_by_role("button", name="Stop servers").click()
    expect(page.get_by_text("The servers are stopped.").first).to_be_visible(timeout=60_000)
    assert server_states(page).count("stopped") == 2
    screenshot(page, "8-admin-servers-stopped")
    start.click()
    expect(page.get_by_text("The servers are running.").first).to_be_visible(timeout=60_000)
    assert server_states(page).count("running") == 2
    instances = local_stack.client("ec2").describe_instances(
        Filters=[{"Name": "tag:privatecast:stack", "Values": ["local"]}]
    )
    states = {i["State"]["Name"] for r in instances["Reservations"] for i in r["Instances"]}
    assert states == {"running"}


def test_sign_in_with_the_keyboard_only(local_stack: LocalStack, new_context: NewContext) -> None:
    page = new_context(viewport=PHONE).new_page()
    page.goto(EDGE_URL)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    email = page.get_by_label("E-mail address")
    for _press in range(10):  # Tab until the first field has the focus, as a keyboard user would
        if email.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(email).to_be_focused()
    page.keyboard.type(VIEWER_EMAIL)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(local_stack.demo_password(VIEWER_EMAIL))
    page.keyboard.press("Enter")
    not_now = page.get_by_role("button", name="Not now")
    expect(page.get_by_role("heading", name="Live").or_(not_now)).to_be_visible()
    if not_now.is_visible():
        not_now.focus()
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Live")).to_be_visible()
