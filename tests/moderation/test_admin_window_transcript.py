"""Transcribing the minutes around a report's moment from the moderation copy when the space
has no transcript: asked for by a moderator on the report's page, done by the
moderation.transcribe_window task with recordings' per-voice transcription, shown when ready."""

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import WindowTranscript
from moderation.tasks import transcribe_window
from recordings import speech
from recordings.models import ModerationCopy
from rooms.media import storage
from rooms.media.encode import encode_flac
from rooms.media.tracks import track_prefix
from tests.admin_helpers import told
from tests.moderation.conftest import end_space
from tests.recordings.conftest import write_voice
from tests.speech import needs_espeak, speech_track


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("moderation.review.queue", lambda name, *args: calls.append((name, *args)))
    return calls


@pytest.fixture
def recogniser(monkeypatch):
    """Says which tone it heard: each voice's track must reach it alone."""

    def transcribe(audio, language=None, **kw):
        peak = np.fft.rfftfreq(len(audio), 1 / speech.SAMPLE_RATE)[np.abs(np.fft.rfft(audio)).argmax()]
        seconds = len(audio) / speech.SAMPLE_RATE
        text = f"{round(peak, -2):.0f} hertz"
        return [speech.Segment(0.0, seconds, text, (speech.Word(0.0, seconds, text),))]

    monkeypatch.setattr(speech, "transcribe", transcribe)


@pytest.fixture
def copy_in_window(people, report):
    """The host speaks inside the window (0 s to 120 s around the moment at 60 s), the
    speaker only after it."""
    ModerationCopy.objects.create(space=people.space)
    write_voice(people.space.pk, people.host.pk, 500.0, 20, 30)
    write_voice(people.space.pk, people.speaker.pk, 700.0, 130, 150)


def write_track(space_id: int, user_id: int, samples, from_s: int) -> None:
    """`samples` from `from_s` of the space's clock, as one FLAC chunk."""
    storage.put(f"{track_prefix(space_id, user_id)}{from_s * 1000:010d}.flac", encode_flac(samples))


def url(report) -> str:
    return reverse("admin:moderation_report_transcribe_window", args=[report.pk])


def page(report) -> str:
    return reverse("admin:moderation_report_change", args=[report.pk])


def test_it_queues_the_window_around_the_moment(people, moderator, report, copy_in_window, client, queued):
    client.force_login(moderator)
    response = client.post(url(report))

    assert response.status_code == 302
    window = WindowTranscript.objects.get(report=report)
    assert (window.state, window.start_ms, window.end_ms, window.requested_by) == ("queued", 0, 120_000, moderator)
    assert queued == [("moderation.transcribe_window", window.pk)]
    assert 'data-window-state="queued"' in client.get(page(report)).content.decode()


def test_it_transcribes_each_voice_in_the_window_only(
    people, moderator, report, copy_in_window, client, queued, recogniser
):
    client.force_login(moderator)
    client.post(url(report))
    window = WindowTranscript.objects.get(report=report)

    assert transcribe_window(window.pk) == "ready"

    window.refresh_from_db()
    assert window.state == "ready"
    assert {(s["user"], s["text"]) for s in window.segments} == {(people.host.pk, "500 hertz")}
    assert all(19_000 <= s["start"] < s["end"] <= 31_000 for s in window.segments)
    lines = client.get(page(report)).context["transcript_lines"]
    assert lines and all((line["name"], line["text"]) == ("hana", "500 hertz") for line in lines)


def test_it_runs_a_window_once(moderator, report, copy_in_window, client, queued, recogniser):
    client.force_login(moderator)
    client.post(url(report))
    window = WindowTranscript.objects.get(report=report)
    transcribe_window(window.pk)

    assert transcribe_window(window.pk) == "not claimed"


def test_it_fails_clearly_and_may_be_asked_again(moderator, report, copy_in_window, client, queued, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model missing")

    monkeypatch.setattr(speech, "transcribe", broken)
    client.force_login(moderator)
    client.post(url(report))
    window = WindowTranscript.objects.get(report=report)

    assert transcribe_window(window.pk) == "failed"
    html = client.get(page(report)).content.decode()
    assert "Transcribing failed. Try again" in html and "Transcribe this window" in html

    client.post(url(report))
    window.refresh_from_db()
    assert (window.state, window.error) == ("queued", "")
    assert len(queued) == 2


def test_it_refuses_asking_twice(moderator, report, copy_in_window, client, queued):
    client.force_login(moderator)
    client.post(url(report))
    response = client.post(url(report))

    assert told(response)[-1] == ("error", "This window is already queued.")
    assert len(queued) == 1


def test_it_queues_a_live_spaces_window_before_its_copy_row_exists(people, moderator, report, client, queued):
    write_voice(people.space.pk, people.host.pk, 500.0, 20, 30)  # the engine's track, still live
    client.force_login(moderator)
    client.post(url(report))

    assert WindowTranscript.objects.get(report=report).state == "queued"
    assert len(queued) == 1


def test_it_refuses_without_a_copy(people, moderator, report, client, queued):
    end_space(people.space)  # ended, and its copy is gone (while live, the tracks are its copy)
    client.force_login(moderator)
    response = client.post(url(report))

    assert told(response) == [("error", "There is no moderation copy to transcribe.")]
    assert not WindowTranscript.objects.exists()
    assert queued == []


@pytest.mark.parametrize("persona", ["staff", "listener", "guest"])
def test_it_lets_only_moderators_ask(people, report, copy_in_window, client, queued, persona):
    if persona != "guest":
        client.force_login(getattr(people, persona))
    response = client.post(url(report))

    if persona == "staff":
        assert response.status_code == 403
    else:
        assert response.url.startswith(reverse("admin:login"))
    assert not WindowTranscript.objects.exists()
    assert queued == []


def test_it_only_accepts_posts(moderator, report, copy_in_window, client, queued):
    client.force_login(moderator)

    assert client.get(url(report)).status_code == 405
    assert not WindowTranscript.objects.exists()


def test_it_lets_a_stuck_window_be_asked_for_again(moderator, report, copy_in_window, client, queued):
    client.force_login(moderator)
    client.post(url(report))
    WindowTranscript.objects.update(state="running", created_at=timezone.now() - timedelta(minutes=16))
    response = client.post(url(report))

    assert told(response)[-1][0] == "info"
    assert WindowTranscript.objects.get().state == "queued"
    assert len(queued) == 2


def test_the_job_it_queues_is_a_registered_task():
    from config.celery import app
    from moderation import review

    app.loader.import_default_modules()
    assert review.TRANSCRIBE_WINDOW in app.tasks


@needs_espeak
def test_it_reads_real_speech_in_the_window_with_the_recogniser(people, moderator, report, client, queued):
    """Whisper itself on espeak speech: the speaker's words inside the window are read, the
    host's words said before it are not."""
    ModerationCopy.objects.create(space=people.space)
    host_track = speech_track([(2.0, "Good morning and welcome to the garden club.")], 8)
    speaker_track = speech_track([(1.0, "Tomatoes need plenty of sunshine every day.")], 8)
    write_track(people.space.pk, people.host.pk, host_track, 0)
    # The moment is 130 s: a minute either side is 70 s to 190 s; the host spoke at 2 s.
    write_track(people.space.pk, people.speaker.pk, speaker_track, 70)
    report.moment_ms = 130_000
    report.save(update_fields=["moment_ms"])
    client.force_login(moderator)
    client.post(url(report))
    window = WindowTranscript.objects.get(report=report)
    assert (window.start_ms, window.end_ms) == (70_000, 190_000)

    assert transcribe_window(window.pk) == "ready"

    window.refresh_from_db()
    said = " ".join(s["text"] for s in window.segments).lower()
    assert "sunshine" in said and "garden" not in said
    assert {s["user"] for s in window.segments} == {people.speaker.pk}
    assert all(70_000 <= s["start"] < 80_000 for s in window.segments)
