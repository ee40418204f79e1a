"""Giving a recording's current version a transcript, from WebVTT text a test can read."""

import json

import webvtt
from django.contrib.auth import get_user_model

from recordings import timeline, transcribing
from recordings.models import Render, Transcript
from rooms.media import storage


def give_transcript(recording, vtt: bytes | str, users: dict | None = None) -> Render:
    """Set the current version's cues from `vtt`; each `<v name>` is the user of that
    username, or `users[name]`; a cue without a voice has no user."""
    text = vtt.decode() if isinstance(vtt, bytes) else vtt
    users = dict(users or {})
    cues = []
    for caption in webvtt.from_string(text):
        name = caption.voice
        user = users.get(name) or (get_user_model().objects.get(username=name) if name else None)
        cues.append(
            {
                "start": round(caption.start_in_seconds * 1000),
                "end": round(caption.end_in_seconds * 1000),
                "user": user.pk if user else None,
                "voice": name,
                "text": caption.text,
            }
        )
    render = Render.objects.get(pk=recording.current_id)
    render.cues = cues
    render.transcript_text = "\n".join(c["text"] for c in cues)
    render.save(update_fields=["cues", "transcript_text"])
    return render


def give_space_transcript(recording, vtt: bytes | str, users: dict | None = None) -> Transcript:
    """A made Transcript for the recording's space, as if its tracks said `vtt` (each cue's
    words spoken at an even pace from its start), published to its ready versions the way
    the job does it. Cue times are on the original recording's timeline."""
    text = vtt.decode() if isinstance(vtt, bytes) else vtt
    users = dict(users or {})
    spans = timeline.closed_spans(recording.spans)
    segments = []
    for caption in webvtt.from_string(text):
        user = users.get(caption.voice) or get_user_model().objects.get(username=caption.voice)
        start = _space_clock(spans, round(caption.start_in_seconds * 1000))
        words = caption.text.split()
        step = min(
            WORD_MS, (round(caption.end_in_seconds * 1000) - round(caption.start_in_seconds * 1000)) // len(words)
        )
        timed = [[start + i * step, start + (i + 1) * step, word] for i, word in enumerate(words)]
        segments.append({"user": user.pk, "start": start, "end": timed[-1][1], "text": caption.text, "words": timed})
    name = storage.put(transcribing.segments_name(recording.space_id), json.dumps(segments).encode())
    transcript, _ = Transcript.objects.update_or_create(
        space_id=recording.space_id,
        defaults={
            "state": Transcript.State.READY,
            "progress": 1.0,
            "segments": name,
            "words": sum(len(s["words"]) for s in segments),
        },
    )
    transcribing.publish_cues(recording, transcript)
    return transcript


WORD_MS = 350


def _space_clock(spans: list, at: int) -> int:
    """Where `at` on the recording's timeline falls on the space's clock."""
    for start, end in spans:
        if at < end - start:
            return start + at
        at -= end - start
    return spans[-1][1] if spans else at
