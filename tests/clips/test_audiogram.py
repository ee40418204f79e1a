"""The MP4 audiogram of a clip: what the file holds (720×720 H.264, the clip's AAC with exactly
the consenting voices), asking for it, its progress, its going with the files it was made from,
and who may ask, poll and fetch it."""

import io

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage

from clips import rendering, services
from clips.audiogram_card import Card, Painter
from clips.models import Clip
from clips.tasks import render_audiogram
from config.celery import app
from tests.audio import band_peak
from tests.clips.conftest import ROLES, TONES, client_for, clip_of, decoded, run_jobs, run_renders, tones_in
from tests.transcript_helpers import give_transcript

pytestmark = pytest.mark.django_db

VTT = """WEBVTT

00:00:04.000 --> 00:00:07.000
<v Host>Welcome back to the show.

00:00:12.000 --> 00:00:20.000
<v Sam>Consent is the whole point.

00:00:20.000 --> 00:00:25.000
Not in the clip.
"""


def run_audiograms(queued) -> list[str]:
    return run_jobs(queued, "clips.audiogram", render_audiogram)


def made(user, clip, queued) -> Clip:
    services.do_request_audiogram(user, clip.pk)
    assert run_audiograms(queued) == ["ready"]
    return clip_of(clip.pk)


def answer(user, clip, value, capture):
    with capture(execute=True):
        services.do_answer(user, clip.voices.get(speaker=user).pk, value)


def mp4_files(clip) -> list[str]:
    try:
        return [f for f in default_storage.listdir(f"clips/{clip.pk}")[1] if f.endswith(".mp4")]
    except FileNotFoundError:
        return []


def test_it_is_a_720_square_h264_aac_video_of_the_consenting_voices_only(
    replay, asking, queued, django_capture_on_commit_callbacks
):
    for user, value in ((replay.host, "yes"), (replay.speaker, "yes"), (replay.cohost, "no")):
        answer(user, asking, value, django_capture_on_commit_callbacks)
    services.do_share_without_declined(replay.listener, asking.pk)
    run_renders(queued)
    clip = made(replay.listener, asking, queued)
    assert clip.audiogram_state == "ready" and clip.audiogram_progress == 1.0
    assert clip.audiogram.startswith(f"clips/{clip.pk}/") and clip.audiogram.endswith(".mp4")
    with av.open(default_storage.path(clip.audiogram)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 720, 720)
        assert audio.codec_context.name == "aac"
        assert abs(container.duration / av.time_base - clip.duration_ms / 1000) <= 0.1
        assert sum(1 for _ in container.decode(video=0)) == pytest.approx(clip.duration_ms / 1000 * 15, abs=1)
    pcm = decoded(clip.audiogram)
    assert tones_in(pcm) == {"host", "speaker"}
    assert band_peak(pcm, TONES["cohost"]) < 0.01


def test_it_carries_the_transcripts_captions_on_the_clips_own_timeline(replay, shared, queued):
    give_transcript(replay.recording, VTT, {"Host": replay.host, "Sam": replay.speaker})
    card = rendering.card_of(clip_of(shared.pk))  # the clip is 5-15 s of the replay
    assert card.cues == [(0.0, 2.0, "Welcome back to the show."), (7.0, 10.0, "Consent is the whole point.")]
    assert card.names == sorted([replay.host.username, replay.speaker.username, replay.cohost.username])
    assert made(replay.outsider, shared, queued).audiogram


def test_a_second_ask_while_queued_or_ready_changes_nothing(replay, shared, queued):
    client = client_for(replay, "outsider")
    first = client.post(f"/clips/{shared.pk}/audiogram/", HTTP_ACCEPT="application/json")
    assert first.status_code == 202 and first.json()["audiogram"] == {"state": "queued", "progress": 0.0, "url": None}
    again = client_for(replay, "guest").post(f"/clips/{shared.pk}/audiogram/", HTTP_ACCEPT="application/json")
    assert again.status_code == 202
    assert [name for name, *_ in queued].count("clips.audiogram") == 1
    assert run_audiograms(queued) == ["ready"]
    status = client.get(f"/clips/{shared.pk}/audiogram/status/").json()["audiogram"]
    clip = clip_of(shared.pk)
    token = clip.audiogram.rsplit("/", 1)[-1].removesuffix(".mp4")
    assert status == {"state": "ready", "progress": 1.0, "url": f"/clips/{shared.pk}/{token}.mp4"}
    assert client.post(f"/clips/{shared.pk}/audiogram/", HTTP_ACCEPT="application/json").status_code == 200
    assert run_audiograms(queued) == [] and clip_of(shared.pk).audiogram == clip.audiogram
    page = client.get(f"/clips/{shared.pk}/").content.decode()
    assert f'href="/clips/{shared.pk}/{token}.mp4"' in page and "Download the video (MP4)" in page


def test_the_form_without_javascript_goes_back_to_the_clip_page(replay, shared, queued):
    page = client_for(replay, "guest").get(f"/clips/{shared.pk}/").content.decode()
    assert "Make a video (MP4)" in page and "js/clip-audiogram.js" in page
    response = client_for(replay, "guest").post(f"/clips/{shared.pk}/audiogram/")
    assert response.status_code == 302 and response.url == f"/clips/{shared.pk}/"
    assert clip_of(shared.pk).audiogram_state == "queued"
    assert "Making the video" in client_for(replay, "guest").get(f"/clips/{shared.pk}/").content.decode()


def test_a_withdrawal_deletes_the_video_and_the_next_one_has_a_new_name(
    replay, shared, queued, django_capture_on_commit_callbacks
):
    old = made(replay.listener, shared, queued).audiogram
    old_url = f"/clips/{shared.pk}/{old.rsplit('/', 1)[-1]}"
    assert client_for(replay, "guest").get(old_url).status_code == 200
    answer(replay.speaker, shared, "no", django_capture_on_commit_callbacks)
    clip = clip_of(shared.pk)
    assert (clip.audiogram, clip.audiogram_state) == ("", "")
    assert not default_storage.exists(old) and mp4_files(clip) == []
    assert client_for(replay, "guest").get(old_url).status_code == 404
    run_renders(queued)
    fresh = made(replay.listener, clip, queued)
    assert fresh.audiogram != old and client_for(replay, "guest").get(old_url).status_code == 404
    assert tones_in(decoded(fresh.audiogram)) == {"host", "cohost"}


def test_a_new_render_of_the_clip_and_a_take_down_take_the_video_away(
    replay, shared, queued, django_capture_on_commit_callbacks
):
    first = made(replay.listener, shared, queued).audiogram
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_render(clip_of(shared.pk))  # the files are made again (a new version)
        assert run_renders(queued) == ["ready"]
    assert not default_storage.exists(first) and clip_of(shared.pk).audiogram_state == ""
    second = made(replay.listener, shared, queued).audiogram
    with django_capture_on_commit_callbacks(execute=True):
        services.do_take_down(replay.staff, shared.pk, "Spam.")
    assert not default_storage.exists(second) and mp4_files(shared) == []


def test_a_video_of_files_that_changed_while_it_was_made_is_thrown_away(
    replay, shared, queued, monkeypatch, django_capture_on_commit_callbacks
):
    real = rendering.audiogram.make

    def withdraw_during(m4a, path, card, progress):
        def on_progress(fraction):
            if fraction > 0.5 and clip_of(shared.pk).m4a:
                answer(replay.speaker, shared, "no", django_capture_on_commit_callbacks)
            progress(fraction)

        return real(m4a, path, card, on_progress)

    monkeypatch.setattr(rendering.audiogram, "make", withdraw_during)
    services.do_request_audiogram(replay.listener, shared.pk)
    assert run_audiograms(queued) == ["outdated"]
    assert clip_of(shared.pk).audiogram == "" and mp4_files(shared) == []
    # And one that finishes after its files went is deleted rather than shown.
    run_renders(queued)
    monkeypatch.setattr(rendering.audiogram, "make", real)
    services.do_request_audiogram(replay.listener, shared.pk)
    clip = clip_of(shared.pk)
    default_storage.save(f"clips/{clip.pk}/late.mp4", io.BytesIO(b"x"))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = rendering.finish_audiogram(
            clip.pk, clip.audiogram_version, "clips/old.m4a", f"clips/{clip.pk}/late.mp4"
        )
    assert outcome == "outdated" and mp4_files(clip) == []


def test_a_failed_render_says_so_and_may_be_asked_again(replay, shared, queued, monkeypatch):
    real = rendering.audiogram.make

    def broken(*args, **kwargs):
        raise av.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr(rendering.audiogram, "make", broken)
    services.do_request_audiogram(replay.listener, shared.pk)
    assert run_audiograms(queued) == ["failed"]
    assert clip_of(shared.pk).audiogram_state == "failed" and mp4_files(shared) == []
    monkeypatch.setattr(rendering.audiogram, "make", real)
    assert made(replay.listener, shared, queued).audiogram_state == "ready"


def test_anyone_may_ask_poll_and_fetch_the_video_of_a_shared_clip(replay, shared, queued):
    for role in ROLES:
        client = client_for(replay, role)
        ask = client.post(f"/clips/{shared.pk}/audiogram/", HTTP_ACCEPT="application/json")
        assert ask.status_code == 202, role
        assert client.get(f"/clips/{shared.pk}/audiogram/status/").status_code == 200, role
    run_audiograms(queued)
    url = client_for(replay, "guest").get(f"/clips/{shared.pk}/audiogram/status/").json()["audiogram"]["url"]
    for role in ROLES:
        video = client_for(replay, role).get(url)
        assert video.status_code == 200 and video["Content-Type"] == "video/mp4", role
    assert client_for(replay, "guest").get(f"/clips/{shared.pk}/{'x' * 16}.mp4").status_code == 404


def test_nobody_gets_a_video_of_an_unshared_clip(replay, asking, queued):
    for role in ROLES:
        client = client_for(replay, role)
        ask = client.post(f"/clips/{asking.pk}/audiogram/", HTTP_ACCEPT="application/json")
        # Those who may not even see it are told it does not exist; the others why not.
        expected = 404 if role in ("guest", "outsider") else 409
        assert ask.status_code == expected, role
        assert ask.json()["error"]["code"] == ("not_published" if expected == 409 else "not_found"), role
        assert client.get(f"/clips/{asking.pk}/audiogram/status/").status_code == 404, role
    assert run_audiograms(queued) == [] and clip_of(asking.pk).audiogram_state == ""
    assert client_for(replay, "listener").post("/clips/999999/audiogram/").status_code == 404
    assert client_for(replay, "listener").get(f"/clips/{asking.pk}/audiogram/").status_code == 405


def test_the_card_draws_without_names_or_captions():
    painter = Painter(Card(title="", names=[]), np.zeros(0), 0.0)
    assert painter.frame(0.0).shape == (1080, 720)


def test_the_job_it_queues_is_a_registered_task():
    app.loader.import_default_modules()
    assert services.AUDIOGRAM in app.tasks
