"""A listener clips a moment of a replay in Chromium; the speaker heard in it finds the
request, listens to their own voice and allows it; the share page plays the clip, with its
cards for other sites, on a phone too."""

import pytest
from playwright.sync_api import expect

from clips.models import Clip, ConsentPreference
from clips.tasks import render_clip
from recordings.models import Recording
from recordings.services import do_publish
from recordings.tasks import render_recording
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory
from tests.recordings.conftest import end_recorded_space, write_voice
from tests.transcript_helpers import give_transcript

pytestmark = pytest.mark.e2e

TRANSCRIPT = b"""WEBVTT

00:00.000 --> 00:04.000
<v maya>Welcome to the coffee, everyone.

00:04.000 --> 00:09.000
<v sam>Thanks for having me.

00:09.000 --> 00:20.000
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
def replay(media, transactional_db):
    host, speaker = UserFactory(username="maya"), UserFactory(username="sam")
    ConsentPreference.objects.create(user=host, choice="always")
    space = SpaceFactory(title="Maintainers' coffee", host=host)
    write_voice(space.pk, host.pk, 500, 0, 14)
    write_voice(space.pk, speaker.pk, 700, 9, 30)
    recording = end_recorded_space(space, [(0, 30)], 30)
    assert render_recording(recording.renders.get().pk) == "ready"
    recording.refresh_from_db()
    give_transcript(recording, TRANSCRIPT)
    do_publish(host, recording.pk)
    return Recording.objects.get(pk=recording.pk)


def test_clip_ask_allow_and_share(replay, page_as):
    lena = UserFactory(username="lena")
    page = page_as(lena)
    page.goto(f"/replays/{replay.pk}/")
    form = page.locator("[data-clip-form]")
    expect(form).to_be_visible()
    # A transcript line's clip button picks its range; a drag across the waveform another.
    page.locator("[data-clip-cue]").nth(1).click()
    expect(form.locator("[data-clip-start]")).to_have_value("4.0")
    expect(form.locator("[data-clip-end]")).to_have_value("9.0")
    wave = page.locator("[data-wave]")
    box = wave.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 2 / 3, y, steps=8)
    page.mouse.up()
    start = float(form.locator("[data-clip-start]").input_value())
    end = float(form.locator("[data-clip-end]").input_value())
    assert 9 <= start <= 11 and 19 <= end <= 21, (start, end)
    form.locator("[data-clip-start]").fill("0:10")
    form.locator("[data-clip-end]").fill("0:20")
    form.locator("input[name=title]").fill("Release week, in one line")
    shoot(page, "replay-clip-form-desktop")
    form.get_by_role("button", name="Make clip").click()
    expect(page.get_by_text("Waiting for the speakers: it is shared once")).to_be_visible()
    clip = Clip.objects.get()
    assert dict(clip.voices.values_list("speaker__username", "answer")) == {"maya": "yes", "sam": "pending"}
    shoot(page, "clip-waiting-desktop")

    sam = page_as(UserFactory(username="sam"), phone=True)
    sam.goto("/clips/requests/")
    request = sam.locator("[data-clip-request]")
    expect(request).to_contain_text("lena clipped 0:10")
    # The preview plays: the speaker's own voice and the host's, who allows clips always.
    sam.wait_for_function(
        "() => { const a = document.querySelector('[data-clip-request] audio'); a.load(); return true; }"
    )
    sam.wait_for_function("() => document.querySelector('[data-clip-request] audio').duration > 9.5", timeout=15_000)
    shoot(sam, "clip-requests-phone")
    request.get_by_role("button", name="Allow my voice").click()
    expect(sam.get_by_text("Thanks: your voice is in.")).to_be_visible()
    assert Clip.objects.get().state == Clip.State.RENDERING

    assert render_clip(clip.pk) == "ready"  # the worker's part
    page.reload()
    expect(page.get_by_role("heading", name="Release week, in one line")).to_be_visible()
    expect(page.locator("meta[property='og:audio']")).to_have_count(1)
    expect(page.locator("link[type='application/json+oembed']")).to_have_count(1)
    page.click("[data-play]")
    page.wait_for_function("() => document.querySelector('[data-audio]').currentTime > 1", timeout=15_000)
    shoot(page, "clip-shared-desktop")

    guest = page_as(None, phone=True)
    guest.goto(f"/clips/{clip.pk}/")
    expect(guest.get_by_role("button", name="Copy link")).to_be_visible()
    expect(guest.get_by_role("link", name="Play in the replay")).to_have_attribute(
        "href", f"/replays/{replay.pk}/#t=10"
    )
    shoot(guest, "clip-shared-phone")
    guest.goto(f"/replays/{replay.pk}/")
    expect(guest.locator(".replay-clips")).to_contain_text("Release week, in one line")
