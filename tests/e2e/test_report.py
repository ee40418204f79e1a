"""A listener reports a speaker from the room (the tile's menu opens the form in a new tab);
a replay at the player's position; the form as it looks on desktop and on a phone."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from moderation.models import Report
from recordings.tasks import render_recording
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory
from tests.recordings.conftest import end_recorded_space, write_voice

pytestmark = pytest.mark.e2e


def test_a_listener_reports_a_speaker_from_the_room(page_as):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Shipping Django at scale", host=host)
    lena = UserFactory(username="lena")

    host_page = page_as(host)
    host_page.goto(f"/spaces/{space.pk}/")
    expect(host_page.locator("#stage .person")).to_have_count(1)

    room = page_as(lena)
    room.goto(f"/spaces/{space.pk}/")
    expect(room.locator(".room-report")).to_have_text("⚑ Report space")
    room.locator("#stage .person", has_text="hana").click()
    expect(room.locator("#person-menu")).to_be_visible()
    shoot(room, "report-room-menu-desktop")
    room.locator("h1").click()  # closes the menu
    room.locator("#stage .person", has_text="hana").click()
    with room.context.expect_page() as opened:
        room.locator("#person-menu button", has_text="Report").click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.locator("h1")).to_have_text("Report hana in “Shipping Django at scale”")
    shoot(form, "report-form-desktop")

    form.get_by_label("Harassment or bullying").check()
    form.fill("#report-text", "Insulting a listener at the start.")
    form.get_by_role("button", name="Send report").click()

    expect(form.locator(".flash")).to_contain_text("Thanks: we got your report about hana")
    assert form.url.endswith(f"/spaces/{space.pk}/")
    report = Report.objects.get()
    assert (report.kind, report.reporter, report.reported_user, report.space_id) == ("speaker", lena, host, space.pk)
    assert report.during_space and report.moment_ms is not None
    assert room.url.endswith(f"/spaces/{space.pk}/")  # the room stayed open in its own tab


def test_the_report_form_on_a_phone(page_as):
    otto = UserFactory(username="otto")
    sam = UserFactory(username="sam")

    phone = page_as(otto, phone=True)
    phone.goto(f"/report/?kind=user&id={sam.pk}")
    expect(phone.locator("h1")).to_have_text("Report sam")
    phone.get_by_role("button", name="Send report").click()  # no category chosen
    expect(phone.locator(".form-error")).to_have_text("Choose what is wrong from the list.")
    shoot(phone, "report-form-phone")
    assert not Report.objects.exists()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def site_env(media):
    return {"MEDIA_ROOT": media}


@pytest.fixture
def replay(media, transactional_db):
    """A published replay of 8 s (before the browser starts: its render runs async code)."""
    host = UserFactory(username="maya")
    space = SpaceFactory(title="Maintainers' coffee", host=host)
    write_voice(space.pk, host.pk, 500, 0, 8)
    recording = end_recorded_space(space, [(0, 8)], 8)
    assert render_recording(recording.renders.get().pk) == "ready"
    recording.published_at = timezone.now()
    recording.save(update_fields=["published_at"])
    return recording


def test_a_replay_report_names_the_players_position(replay, page_as):
    recording = replay
    page = page_as(UserFactory(username="lena"))
    page.goto(f"/replays/{recording.pk}/")
    page.wait_for_function("document.querySelector('audio[data-audio]').readyState >= 1")
    page.evaluate("document.querySelector('audio[data-audio]').currentTime = 5.2")
    page.get_by_role("link", name="⚑ Report").click()

    expect(page.locator("p.muted", has_text="where you were in the replay")).to_contain_text("(0:05)")
    page.get_by_label("Hate speech").check()
    page.get_by_role("button", name="Send report").click()

    expect(page.locator(".flash")).to_contain_text("Thanks: we got your report")
    assert page.url.endswith(f"/replays/{recording.pk}/")
    report = Report.objects.get()
    assert (report.kind, report.recording_id, report.moment_ms) == ("recording", recording.pk, 5200)
