"""Giving a recording's current version a transcript, from WebVTT text a test can read."""

import webvtt
from django.contrib.auth import get_user_model

from recordings.models import Render


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
