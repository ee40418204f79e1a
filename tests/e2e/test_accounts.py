"""Someone guesses a password until the site stops them, then asks for a reset link."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def test_it_stops_a_guesser_and_offers_a_reset(page_as):
    UserFactory(username="maya", email="maya@example.com")
    page = page_as()
    page.goto("/accounts/login/")
    for attempt in range(6):
        page.fill("input[name=username]", "maya")
        page.fill("input[name=password]", f"guess number {attempt}")
        page.click("button:has-text('Log in')")
        page.wait_for_load_state()
    expect(page.locator(".form-error")).to_have_text("Too many failed sign-in attempts. Try again in 15 minutes.")
    shoot(page, "login-throttled-desktop")

    page.click("text=Forgot your password?")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    shoot(page, "password-reset-desktop")
    page.fill("input[name=email]", "maya@example.com")
    page.click("button:has-text('Send the link')")
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    shoot(page, "password-reset-sent-desktop")
