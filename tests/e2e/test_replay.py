"""A host opens a finished recording, edits it on the waveform, watches the render finish
without reloading, publishes it; a guest on a phone plays the replay with its transcript."""

import re

import pytest
from playwright.sync_api import expect

from recordings.models import Recording, Render
from recordings.tasks import render_recording
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory
from tests.recordings.conftest import end_recorded_space, write_voice
from tests.transcript_helpers import give_space_transcript

pytestmark = pytest.mark.e2e

TRANSCRIPT = b"""WEBVTT

00:02.200 --> 00:04.000
<v maya>Welcome to the coffee, everyone.

00:04.000 --> 00:09.000
<v sam>Thanks for having me.

00:16.000 --> 00:20.000
<v maya>Let's talk about release week.
"""


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def site_env(media):
    return {"MEDIA_ROOT": media}


@pytest.fixture
def recording(media, transactional_db):
    host, speaker = UserFactory(username="maya"), UserFactory(username="sam")
    space = SpaceFactory(title="Maintainers' coffee", host=host, description="Release week, triage, burnout.")
    write_voice(space.pk, host.pk, 500, 0, 14)
    write_voice(space.pk, speaker.pk, 700, 9, 30)
    rec = end_recorded_space(space, [(0, 30)], 30)
    assert render_recording(rec.renders.get().pk) == "ready"
    rec.refresh_from_db()
    give_space_transcript(rec, TRANSCRIPT)
    return rec


def test_the_host_edits_publishes_and_a_guest_plays_the_replay(recording, page_as):
    # (recording first: ending the space sends room events, which must happen before the
    # browser runs its event loop in this thread)
    host = recording.space.host
    page = page_as(host)
    page.goto(f"/recordings/{recording.pk}/")
    expect(page.get_by_role("heading", name="Original · 0:30")).to_be_visible()
    shoot(page, "recording-desktop")

    # Drag across the editor's waveform (about 10-15 s) and cut it out.
    wave = page.locator("#edit [data-wave]")
    box = wave.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    expect(page.locator("[data-selection]")).to_contain_text(re.compile(r"Selected 0:(09|10)\.\d–0:1[45]\.\d"))
    page.click("[data-cut]")
    cut = page.input_value("textarea[name=cuts]")
    assert re.fullmatch(r"0:(09|10)\.\d-0:1[45]\.\d", cut), cut
    page.fill("input[name=trim_start]", "0:02")
    shoot(page, "recording-editor-desktop")
    page.click("button:has-text('Save and render')")
    expect(page.get_by_text("Rendering your edit")).to_be_visible()
    expect(page.get_by_text("Waiting for a worker")).to_be_visible()

    # A worker picks it up; the page notices on its own (no reload by the host).
    edited = recording.renders.get(kind=Render.Kind.EDITED)
    assert render_recording(edited.pk) == "ready"
    expect(page.get_by_role("heading", name=re.compile(r"Edited version · 0:2[234]"))).to_be_visible(timeout=10_000)
    edited.refresh_from_db()
    assert edited.duration_ms == 28_000 - (edited.edits["cuts"][0][1] - edited.edits["cuts"][0][0])
    page.click("button:has-text('Publish replay')")
    expect(page.get_by_text("Published: anyone can play the replay now.")).to_be_visible()
    shoot(page, "recording-published-desktop")

    guest = page_as(None, phone=True)
    guest.goto("/")
    expect(guest.get_by_role("heading", name="Recent replays")).to_be_visible()
    shoot(guest, "home-replays-phone")
    guest.get_by_role("link", name="Replay: Maintainers' coffee").click()
    expect(guest.get_by_role("heading", name="Maintainers' coffee")).to_be_visible()
    expect(guest.locator(".speaker-list")).to_contain_text("maya")
    expect(guest.locator(".speaker-list")).to_contain_text("sam")
    # Five seconds of listening counts one play: the page tells the server, which has counted it
    # when it answers. The five seconds may be heard before the seek below, so the watch starts here.
    played = f"/replays/{recording.pk}/played/"
    with guest.expect_response(lambda r: r.url.endswith(played) and r.request.method == "POST", timeout=60_000) as told:
        guest.click("[data-play]")
        guest.wait_for_function("() => document.querySelector('[data-audio]').currentTime > 1.5", timeout=15_000)
        expect(guest.locator(".cue.is-current")).to_have_count(1)
        shoot(guest, "replay-phone")
        # A transcript line seeks the player there: said at 0:16, so 0:09 or so of the edited
        # version (its first two seconds trimmed and about five cut).
        guest.click("text=Let's talk about release week.")
        guest.wait_for_function("() => document.querySelector('[data-audio]').currentTime >= 8", timeout=5_000)
        guest.wait_for_function("() => document.querySelector('[data-audio]').currentTime > 15", timeout=15_000)
    assert told.value.ok
    assert Recording.objects.get(pk=recording.pk).play_count == 1

    desktop = page_as(UserFactory(username="lena"))
    desktop.goto(f"/replays/{recording.pk}/")
    expect(desktop.get_by_role("button", name="Copy link")).to_be_visible()
    # Search inside the transcript keeps the lines that hold the words, marked.
    desktop.fill("[data-cue-search]", "release")
    expect(desktop.locator(".cue-row:visible")).to_have_count(1)
    expect(desktop.locator(".cue mark")).to_have_text("release")
    expect(desktop.get_by_role("status")).to_have_text("1 line found")
    desktop.fill("[data-cue-search]", "")
    expect(desktop.locator(".cue-row:visible")).to_have_count(3)
    # Captions over the player come from the WebVTT track, with the speaker's name.
    desktop.click("[data-captions-toggle]")
    desktop.click("[data-play]")
    expect(desktop.locator("[data-caption-line]")).to_contain_text("maya", timeout=10_000)
    expect(desktop.locator("[data-caption-line]")).to_contain_text("Welcome to the coffee")
    shoot(desktop, "replay-desktop")
    # A link to a moment (what search results give) starts the player there.
    desktop.goto(f"/replays/{recording.pk}/?t=12")
    desktop.wait_for_function("() => document.querySelector('[data-audio]').currentTime >= 11.9", timeout=10_000)


def test_the_host_watches_progress_live_and_can_retry_a_failed_render(recording, page_as):
    edited = Render.objects.create(recording=recording, kind=Render.Kind.EDITED, state="running", progress=0.4)
    page = page_as(recording.space.host, phone=True)
    page.goto(f"/recordings/{recording.pk}/")
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "40")
    Render.objects.filter(pk=edited.pk).update(progress=0.7)
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "70", timeout=5_000)
    expect(page.get_by_text("70 % done")).to_be_visible()
    shoot(page, "recording-progress-phone")

    Render.objects.filter(pk=edited.pk).update(
        state="failed", error="Rendering failed. Try again; if it keeps failing, tell the site's staff."
    )
    expect(page.get_by_role("heading", name="The edit could not be rendered")).to_be_visible(timeout=5_000)
    expect(page.get_by_role("alert")).to_contain_text("Rendering failed")
    shoot(page, "recording-failed-phone")
    page.click("button:has-text('Try again')")
    expect(page.get_by_text("Trying again.")).to_be_visible()
    assert Render.objects.get(pk=edited.pk).state == "queued"
