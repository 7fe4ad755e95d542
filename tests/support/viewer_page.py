"""Steps on the viewer page that the end-to-end tests and the live-delay benchmark share,
by the page's accessible names (web/README.md)."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill and send the sign-in form; what follows depends on the user."""
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def skip_totp_offer(page: Page) -> None:
    """A user without two-step verification is offered it after sign-in (the pool's MFA
    is optional); "Not now" goes on to the live view."""
    not_now = page.get_by_role("button", name="Not now")
    expect(page.get_by_role("heading", name="Live").or_(not_now)).to_be_visible(timeout=30_000)
    if not_now.is_visible():
        not_now.click()
    expect(page.get_by_role("heading", name="Live")).to_be_visible()
