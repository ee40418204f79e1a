"""The original render and edited renders, run in-process (the integration tier runs them on a
real Celery worker): exact lengths, loudness, whose voices are in them, failures."""

from datetime import timedelta

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage

from recordings.audio.loudness import LoudnessMeter
from recordings.models import Render
from recordings.services import do_revert, do_save_edits
from recordings.tasks import render_recording
from rooms.errors import Conflict
from rooms.media.encode import decode_file
from rooms.services.recording import do_set_recording_opt_out
from tests.audio import band_energy, has_tone
from tests.recordings.conftest import end_recorded_space, write_voice

SR = 48_000


def read(name) -> bytes:
    with default_storage.open(name, "rb") as f:
        return f.read()


def container_seconds(name) -> float:
    with av.open(default_storage.path(name)) as container:
        return container.duration / 1_000_000


def loudness(pcm) -> float:
    meter = LoudnessMeter()
    meter.add(pcm.astype(np.float64) / 32768)
    return meter.integrated()


@pytest.fixture
def voices(people):
    """Host 500 Hz for 0-20 s, speaker 700 Hz for 10-30 s, co-host 1100 Hz for 0-30 s (opted out)."""
    space = people.space
    write_voice(space.pk, people.host.pk, 500, 0, 20)
    write_voice(space.pk, people.speaker.pk, 700, 10, 30)
    write_voice(space.pk, people.cohost.pk, 1100, 0, 30)
    do_set_recording_opt_out(people.cohost, space.pk, True)
    return people


def finalize(recording):
    render = recording.renders.get(kind=Render.Kind.ORIGINAL)
    assert render_recording(render.pk) == "ready"
    recording.refresh_from_db()
    render.refresh_from_db()
    return render


def test_the_original_is_the_recorded_spans_at_podcast_loudness_without_the_opted_out_voice(voices):
    # Recorded 2-14 s and 18-26 s of the space: 20 s.
    recording = end_recorded_space(voices.space, [(2, 14), (18, 26)], 30)
    render = finalize(recording)

    assert render.state == "ready" and render.progress == 1.0
    assert recording.current == render == recording.original
    assert render.duration_ms == 20_000
    assert abs(container_seconds(render.m4a) - 20.0) <= 0.1
    mp3 = decode_file(read(render.mp3))
    assert len(mp3) == 20 * SR  # the Info tag trims LAME's delay and padding exactly
    m4a = decode_file(read(render.m4a))
    assert abs(len(m4a) / SR - 20.0) <= 0.1
    assert len(render.peaks) == 200 and max(render.peaks) > 0.3

    for pcm in (m4a, mp3):
        assert abs(loudness(pcm) - -16) < 1.0
        assert not has_tone(pcm, 1100)  # opted out
        first, second = pcm[: 7 * SR], pcm[13 * SR :]  # space 2-9 s: host only; 19-26 s: speaker only
        assert has_tone(first, 500) and band_energy(first, 700) < 0.01
        assert has_tone(second, 700) and band_energy(second, 500) < 0.01
    assert set(recording.speakers.all()) == {voices.host, voices.speaker}


def test_the_host_is_told_whose_voice_was_left_out(client, voices):
    recording = end_recorded_space(voices.space, [(0, 30)], 30)
    finalize(recording)
    client.force_login(voices.host)
    page = client.get(f"/recordings/{recording.pk}/").content.decode()
    assert "Left out at their request" in page and "cora" in page and "voice is not in this recording" in page


def test_an_edit_renders_the_kept_ranges_and_revert_brings_the_original_back(voices):
    recording = end_recorded_space(voices.space, [(0, 30)], 30)
    original = finalize(recording)

    edited = do_save_edits(
        voices.host, recording.pk, {"trim_start_ms": 5000, "trim_end_ms": 25_000, "cuts": [[12_000, 18_000]]}, 0
    )
    assert render_recording(edited.pk) == "ready"
    edited.refresh_from_db()
    recording.refresh_from_db()
    assert recording.current == edited and recording.original == original
    assert edited.duration_ms == 14_000
    assert len(decode_file(read(edited.mp3))) == 14 * SR
    assert abs(container_seconds(edited.m4a) - 14.0) <= 0.1

    do_revert(voices.host, recording.pk, recording.edits_version)
    recording.refresh_from_db()
    assert recording.current == original and recording.edits["cuts"] == []
    assert len(decode_file(read(recording.current.mp3))) == 30 * SR


def test_an_edit_against_an_old_version_is_refused_and_changes_nothing(voices):
    recording = end_recorded_space(voices.space, [(0, 30)], 30)
    finalize(recording)
    do_save_edits(voices.host, recording.pk, {"trim_start_ms": 1000}, 0)
    with pytest.raises(Conflict) as error:
        do_save_edits(voices.host, recording.pk, {"trim_start_ms": 2000}, 0)
    assert error.value.code == "stale_edit"
    recording.refresh_from_db()
    assert recording.edits["trim_start_ms"] == 1000 and recording.edits_version == 1
    assert recording.renders.count() == 2


def test_an_older_edit_finishing_late_does_not_replace_the_latest(voices):
    recording = end_recorded_space(voices.space, [(0, 30)], 30)
    finalize(recording)
    first = do_save_edits(voices.host, recording.pk, {"trim_start_ms": 1000}, 0)
    second = do_save_edits(voices.host, recording.pk, {"trim_start_ms": 2000}, 1)
    render_recording(second.pk)
    render_recording(first.pk)
    recording.refresh_from_db()
    assert recording.current == second


def test_a_render_claimed_by_one_worker_is_not_run_by_another(voices):
    from celery.exceptions import Retry
    from django.utils import timezone

    recording = end_recorded_space(voices.space, [(0, 10)], 10)
    render = recording.renders.get()
    Render.objects.filter(pk=render.pk).update(state="running", attempts=1, heartbeat_at=timezone.now())
    with pytest.raises(Retry):  # it looks again later, in case that worker dies
        render_recording(render.pk)
    render.refresh_from_db()
    assert render.state == "running" and render.attempts == 1
    Render.objects.filter(pk=render.pk).update(state="ready")
    assert render_recording(render.pk) == "not claimed"


@pytest.mark.parametrize(
    ("situation", "message"),
    [
        ("nobody spoke", "Nobody spoke while this space was being recorded"),
        ("all opted out", "Every speaker chose to leave their voice out"),
        ("copy deleted", "no longer kept"),
    ],
)
def test_a_render_that_cannot_succeed_fails_with_a_clear_error_and_can_be_retried(people, situation, message):
    from recordings.models import ModerationCopy
    from recordings.services import do_retry_render

    if situation == "all opted out":
        write_voice(people.space.pk, people.speaker.pk, 700, 0, 10)
        do_set_recording_opt_out(people.speaker, people.space.pk, True)
    recording = end_recorded_space(people.space, [(0, 10)], 10)
    people.space.ended_at -= timedelta(minutes=2)  # no engine wrote a closing marker
    people.space.save(update_fields=["ended_at"])
    if situation == "copy deleted":
        ModerationCopy.objects.filter(space=people.space).delete()
    render = recording.renders.get()
    assert render_recording(render.pk) == "failed"
    render.refresh_from_db()
    assert render.state == "failed" and render.attempts == 1
    assert message in render.error
    assert recording.current is None

    if situation == "nobody spoke":  # the audio turns up after all: the host tries again
        write_voice(people.space.pk, people.host.pk, 500, 0, 10)
        do_retry_render(people.host, recording.pk)
        assert render_recording(render.pk) == "ready"


def test_an_unexpected_error_is_retried_then_shown(voices, monkeypatch, settings):
    from recordings import rendering

    recording = end_recorded_space(voices.space, [(0, 10)], 10)
    render = recording.renders.get()
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(rendering, "render", broken)
    assert render_recording.apply(args=(render.pk,)).get() == "failed"  # eager: retries run in line
    assert len(calls) == settings.RECORDINGS["RENDER_ATTEMPTS"]
    render.refresh_from_db()
    assert render.state == "failed" and render.error.startswith("Rendering failed")
    assert not render.m4a and recording.current is None


def test_a_render_waits_for_the_engine_to_store_the_last_audio(voices, media_root):
    from recordings.rendering import engine_done

    recording = end_recorded_space(voices.space, [(0, 10)], 10)
    render = recording.renders.get()
    (media_root / f"spaces/{voices.space.pk}/closed").unlink()
    assert not engine_done(render.pk)
    voices.space.ended_at -= timedelta(minutes=2)
    voices.space.save(update_fields=["ended_at"])
    assert engine_done(render.pk)  # the engine never closed it: do not wait for ever


def test_an_edit_of_a_published_replay_waits_for_the_host_to_publish_it(voices):
    from django.utils import timezone

    from recordings.models import Recording
    from recordings.services import do_discard_edit, do_use_render, pending_edit

    recording = end_recorded_space(voices.space, [(0, 30)], 30)
    original = finalize(recording)
    Recording.objects.filter(pk=recording.pk).update(published_at=timezone.now())
    edit = do_save_edits(voices.host, recording.pk, {"trim_start_ms": 10_000}, 0)
    render_recording(edit.pk)
    recording.refresh_from_db()
    assert recording.current == original  # the public replay is unchanged
    assert pending_edit(recording) == edit

    with pytest.raises(Conflict):
        do_use_render(voices.host, recording.pk, original.pk)  # not the pending edit
    do_use_render(voices.host, recording.pk, edit.pk)
    recording.refresh_from_db()
    assert recording.current == edit and pending_edit(recording) is None

    second = do_save_edits(voices.host, recording.pk, {"trim_start_ms": 12_000}, recording.edits_version)
    render_recording(second.pk)
    recording.refresh_from_db()
    assert pending_edit(recording) == second
    do_discard_edit(voices.host, recording.pk, recording.edits_version)
    recording.refresh_from_db()
    assert recording.current == edit and recording.edits["trim_start_ms"] == 10_000
    assert pending_edit(recording) is None
