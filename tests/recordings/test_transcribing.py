"""The transcript job on real speech (espeak-ng) and the real model, run in-process: each
speaker's track read on its own, the words on the space's clock, each version's cues with
its edits applied and without the voices that left, retries and empty tracks."""

import pytest
import webvtt
from celery.exceptions import Retry
from django.core.files.storage import default_storage

from recordings import speech, transcripts
from recordings.models import Render, Transcript
from recordings.services import do_leave_recording, do_save_edits
from recordings.tasks import render_recording, transcribe_space
from recordings.transcript_services import do_request_transcript
from rooms.errors import Conflict, NotFound
from rooms.media import storage
from rooms.media.encode import encode_flac
from rooms.media.tracks import closed_marker, track_prefix
from tests.recordings.conftest import end_recorded_space
from tests.speech import needs_espeak, speech_track

pytestmark = [needs_espeak, pytest.mark.django_db]

SR = 48_000
HOST_SAYS = [(1.0, "Welcome back to the show. Today we talk about gardening."), (12.0, "Let us begin with the soil.")]
SPEAKER_SAYS = [(6.0, "Thanks for having me. I grow vegetables every summer.")]


def write_track(space_id: int, user_id: int, samples, chunk_s: int = 6) -> None:
    """`samples` from 0 s of the space's clock, in the engine's FLAC chunks."""
    step = chunk_s * SR
    for at in range(0, len(samples), step):
        storage.put(
            f"{track_prefix(space_id, user_id)}{at * 1000 // SR:010d}.flac", encode_flac(samples[at : at + step])
        )
    storage.put(closed_marker(space_id), b"closed\n")


@pytest.fixture
def spoken(people):
    space = people.space
    space.captions = True
    space.save(update_fields=["captions"])
    write_track(space.pk, people.host.pk, speech_track(HOST_SAYS, 18, voice="en-us"))
    write_track(space.pk, people.speaker.pk, speech_track(SPEAKER_SAYS, 18, voice="en-gb"))
    recording = end_recorded_space(space, [(0, 18)], 18)
    assert render_recording(recording.renders.get().pk) == "ready"
    recording.refresh_from_db()
    return people, recording


def transcribed(recording) -> Transcript:
    transcript = Transcript.objects.get(space_id=recording.space_id)
    assert transcribe_space(transcript.pk) == "ready"
    transcript.refresh_from_db()
    return transcript


def test_it_transcribes_each_speakers_track_on_the_spaces_clock(spoken):
    people, recording = spoken
    transcript = transcribed(recording)
    segments = transcripts.load_segments(transcript.segments)
    said = {
        user: " ".join(s["text"] for s in segments if s["user"] == user).lower()
        for user in {s["user"] for s in segments}
    }
    assert set(said) == {people.host.pk, people.speaker.pk}
    assert "gardening" in said[people.host.pk] and "soil" in said[people.host.pk]
    assert "vegetables" in said[people.speaker.pk] and "gardening" not in said[people.speaker.pk]
    # Each word falls where it was said (within half a second or so), not at the utterance's start.
    words = {w[2].strip(".,").lower(): w for s in segments for w in s["words"]}
    assert 600 <= words["welcome"][0] <= 1_700
    assert 5_300 <= words["thanks"][0] <= 6_900
    assert 11_300 <= words["soil"][0] <= 15_500
    assert transcript.words == sum(len(s["words"]) for s in segments) > 15
    # Only voiced audio is read: well under the 36 s of track there is.
    assert 8 < transcript.voiced_seconds < 20


def test_the_recording_gets_cues_with_names_within_reading_limits(spoken):
    people, recording = spoken
    transcribed(recording)
    current = Render.objects.get(pk=recording.current_id)
    assert current.cues and "vegetables" in current.transcript_text.lower()
    assert [c["start"] for c in current.cues] == sorted(c["start"] for c in current.cues)
    for cue in current.cues:
        lines = cue["text"].split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert 0 < cue["end"] - cue["start"] <= 7_000
    assert {c["voice"] for c in current.cues} == {"hana", "sam"}
    # The WebVTT the player and downloads get parses back, voice by voice.
    parsed = webvtt.from_string(transcripts.to_vtt(current.cues))
    assert [c.voice for c in parsed] == [c["voice"] for c in current.cues]
    assert "vegetables" in " ".join(c.text for c in parsed if c.voice == "sam").lower()


def test_an_edited_version_loses_the_cut_words_and_shifts_the_rest(spoken):
    people, recording = spoken
    transcribed(recording)
    # Cut 5-11 s (sam's sentence) and trim the first second.
    edit = do_save_edits(
        people.host, recording.pk, {"trim_start_ms": 500, "trim_end_ms": None, "cuts": [[5_000, 11_000]]}, 0
    )
    assert render_recording(edit.pk) == "ready"
    edit.refresh_from_db()
    assert edit.cues and {c["voice"] for c in edit.cues} == {"hana"}
    assert "vegetables" not in edit.transcript_text.lower()
    soil = next(c for c in edit.cues if "soil" in c["text"].lower())
    original = Render.objects.get(pk=recording.original_id)
    before = next(c for c in original.cues if "soil" in c["text"].lower())
    assert abs((before["start"] - soil["start"]) - 6_500) < 50


def test_a_voice_that_left_is_absent_from_the_published_transcript_but_kept_for_moderation(spoken):
    people, recording = spoken
    transcript = transcribed(recording)
    do_leave_recording(people.speaker, recording.pk)
    for render in recording.renders.filter(state__in=Render.ACTIVE):
        assert render_recording(render.pk) == "ready"
    recording.refresh_from_db()
    current = Render.objects.get(pk=recording.current_id)
    assert current.cues and all(c["user"] != people.speaker.pk for c in current.cues)
    assert "vegetables" not in current.transcript_text.lower()
    assert not Render.objects.filter(state=Render.State.FAILED).exclude(cues=[]).exists()
    # The moderation copy's transcript still has everyone.
    assert any(s["user"] == people.speaker.pk for s in transcripts.load_segments(transcript.segments))


def test_silent_tracks_give_an_empty_transcript_not_an_error(people):
    space = people.space
    space.captions = True
    space.save(update_fields=["captions"])
    write_track(space.pk, people.host.pk, speech_track([], 8))
    recording = end_recorded_space(space, [(0, 8)], 8)
    assert render_recording(recording.renders.get().pk) == "ready"
    transcript = transcribed(recording)
    assert transcript.words == 0 and transcripts.load_segments(transcript.segments) == []
    assert Render.objects.get(pk=recording.renders.get().pk).cues == []


def test_a_failing_run_is_retried_then_fails_and_the_host_can_try_again(spoken, monkeypatch):
    people, recording = spoken
    transcript = Transcript.objects.get(space_id=recording.space_id)

    def broken(audio, language=None):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(speech, "transcribe", broken)
    for attempt in (1, 2):
        # Called directly (not by a worker), Celery's retry raises the error itself.
        with pytest.raises((Retry, RuntimeError)):
            transcribe_space(transcript.pk)
        transcript.refresh_from_db()
        assert transcript.state == "queued" and transcript.error == f"Attempt {attempt} failed: model file unreadable"
    assert transcribe_space(transcript.pk) == "failed"
    transcript.refresh_from_db()
    assert transcript.state == "failed" and "Try again" in transcript.error
    # The recording stays usable.
    assert Render.objects.get(pk=recording.current_id).is_ready
    monkeypatch.undo()
    again = do_request_transcript(people.host, recording.pk)
    assert again.state == "queued" and again.attempts == 0
    assert transcribe_space(transcript.pk) == "ready"


def test_a_second_run_of_a_made_transcript_does_nothing(spoken):
    people, recording = spoken
    transcript = transcribed(recording)
    assert transcribe_space(transcript.pk) == "not claimed"
    with pytest.raises(Conflict):
        do_request_transcript(people.host, recording.pk)


@pytest.mark.parametrize("persona", ["host", "staff", "cohost", "speaker", "listener", "outsider"])
def test_who_may_ask_for_a_transcript(spoken, persona):
    people, recording = spoken
    Transcript.objects.all().delete()
    user = getattr(people, persona)
    if persona in ("host", "staff"):
        assert do_request_transcript(user, recording.pk).state == "queued"
    else:
        with pytest.raises(NotFound):
            do_request_transcript(user, recording.pk)
        assert not Transcript.objects.exists()


def test_the_segments_go_with_the_moderation_copy(spoken):
    from recordings.models import ModerationCopy
    from recordings.services import do_delete_moderation_copy

    people, recording = spoken
    transcript = transcribed(recording)
    copy = ModerationCopy.objects.get(space_id=recording.space_id)
    ModerationCopy.objects.filter(pk=copy.pk).update(expires_at=copy.created_at)
    assert do_delete_moderation_copy(copy.pk)
    assert not default_storage.exists(transcript.segments)
    assert not Transcript.objects.exists()
    # The published transcript belongs to the recording, like its audio.
    assert Render.objects.get(pk=recording.current_id).cues
