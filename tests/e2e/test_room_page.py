"""A listener asks to speak, the host brings them up, they unmute and react; a guest listens."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rooms.models import Participant, Space
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_it_brings_a_listener_on_stage_live(page_as):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Shipping Django at scale", host=host, record=True, recording=True)
    lena = UserFactory(username="lena")

    host_page = page_as(host)
    host_page.goto(f"/spaces/{space.pk}/")
    expect(host_page.locator("#stage .person")).to_have_count(1)

    listener_page = page_as(lena)
    listener_page.goto(f"/spaces/{space.pk}/")
    expect(listener_page.locator("#rec-banner")).to_be_visible()
    # A recorded space tells her so first (tests/e2e/test_recording_notice.py has the details).
    listener_page.click("#rec-join-listen")
    listener_page.click("#btn-hand")
    expect(listener_page.locator("#btn-hand")).to_have_text("✋ Lower hand")

    # The host sees the request arrive without a reload and brings her up.
    expect(host_page.locator("#queue li", has_text="lena")).to_be_visible()
    guest_page = page_as(None, phone=True)
    guest_page.goto(f"/spaces/{space.pk}/")
    guest_page.click("#rec-join-listen")
    expect(guest_page.locator("#audience .person", has_text="lena")).to_be_visible()
    shoot(host_page, "room-host-desktop")
    host_page.locator("#queue li", has_text="lena").get_by_role("button", name="Bring up").click()

    expect(listener_page.locator("#stage .person", has_text="lena")).to_be_visible()
    listener_page.click("#rec-stage-ok")  # told of the recording before her microphone opens
    expect(listener_page.locator("#btn-mute")).to_have_text("🎙 Unmute")
    listener_page.click("#btn-mute")
    expect(listener_page.locator("#btn-mute")).to_have_text("🔇 Mute")
    expect(guest_page.locator("#stage .person", has_text="lena")).to_be_visible()
    listener_page.click("#btn-react")
    listener_page.click("#react-menu button[data-emoji='👏']")
    expect(host_page.locator("#reaction-stream .float").first).to_be_attached()
    shoot(listener_page, "room-speaker-desktop")
    shoot(guest_page, "room-guest-phone")

    participant = Participant.objects.get(space=space, user=lena)
    assert participant.role == Participant.Role.SPEAKER
    assert participant.muted is False


def test_it_shows_the_home_page_sections_on_desktop_and_phone(page_as):
    host = UserFactory(username="maya")
    SpaceFactory(title="Live now: jazz records", host=host)
    SpaceFactory(
        title="Founders AMA",
        host=UserFactory(username="ines"),
        state=Space.State.SCHEDULED,
        started_at=None,
        scheduled_for=timezone.now() + timedelta(hours=5),
    )
    for phone, name in ((False, "home-desktop"), (True, "home-phone")):
        page = page_as(UserFactory(username="lena"), phone=phone)
        page.goto("/")
        expect(page.locator("#live-now .space-card", has_text="jazz records")).to_be_visible()
        expect(page.get_by_text("Founders AMA")).to_be_visible()
        shoot(page, name)
