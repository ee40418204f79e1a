"""Running one Transcript: claim it, read every speaker's track on its own, store the segments,
then give each ready version of the recording its published cues.

Each voice's track goes through the same utterance cutter the engine uses live
(rooms/media/utterances.py): only the voiced stretches reach the recogniser, so silence costs
nothing and Whisper never invents words for it. Who said what is whose track it was on.

Claims work like renders' (recordings/rendering.py): a conditional update from queued to
running, a heartbeat with every utterance, and a stale claim taken over by the next run.
"""

import json
import logging
import time
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from recordings import speech, transcripts
from recordings.audio.mixdown import TrackReader, track_users
from recordings.models import Recording, Render, Transcript
from rooms.media import storage
from rooms.media.audio import SAMPLE_RATE
from rooms.media.utterances import UtteranceCutter
from rooms.models import Participant

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 2.0
MS = SAMPLE_RATE // 1000


class ClaimLost(Exception):
    """This run went silent too long and another took the transcript over."""


def segments_name(space_id: int) -> str:
    # In the space's folder: the transcript is part of the moderation copy and goes with it.
    return f"{storage.space_prefix(space_id)}transcript.json"


def stale_before():
    return timezone.now() - timedelta(seconds=settings.RECORDINGS["RENDER_STALE_SECONDS"])


def claim(transcript_id: int) -> Transcript | None:
    """queued (or running but silent too long: its worker died) -> running, by one run only."""
    now = timezone.now()
    claimable = Q(state=Transcript.State.QUEUED) | Q(state=Transcript.State.RUNNING, heartbeat_at__lt=stale_before())
    claimed = Transcript.objects.filter(
        claimable, pk=transcript_id, attempts__lt=settings.TRANSCRIBE["ATTEMPTS"]
    ).update(state=Transcript.State.RUNNING, claimed_at=now, heartbeat_at=now, attempts=F("attempts") + 1, progress=0)
    if not claimed:
        return None
    return Transcript.objects.select_related("space").get(pk=transcript_id)


def held(transcript: Transcript):
    return Transcript.objects.filter(pk=transcript.pk, state=Transcript.State.RUNNING, claimed_at=transcript.claimed_at)


def fail_exhausted(transcript_id: int) -> bool:
    """A transcript whose runs all died (killed, out of memory) fails, so Try again shows."""
    return bool(
        Transcript.objects.filter(
            pk=transcript_id,
            state__in=Transcript.ACTIVE,
            heartbeat_at__lt=stale_before(),
            attempts__gte=settings.TRANSCRIBE["ATTEMPTS"],
        ).update(state=Transcript.State.FAILED, error="Transcribing stopped before it could finish. Try again.")
    )


def voice_segments(
    space_id: int, user_id: int, beat, window: tuple[int, int] | None = None
) -> tuple[list[dict], float]:
    """One speaker's words on the space's clock, and the seconds of voiced audio read.
    `window` (ms on the space's clock): only that stretch is read (staff reviewing a report
    transcribe the minutes around its moment, not the whole space)."""
    reader = TrackReader(space_id, user_id)
    cutter = UtteranceCutter()
    out: list[dict] = []
    voiced = 0.0

    def read(utterances) -> None:
        nonlocal voiced
        for utterance in utterances:
            voiced += len(utterance.samples) / SAMPLE_RATE
            out.extend(_on_clock(utterance, user_id))
            beat()

    chunks = reader.each_chunk() if window is None else _stretch(reader, *window)
    for start, pcm in chunks:
        read(cutter.add(pcm, start))
        beat(chunk=True)
    read(cutter.flush())
    return out, voiced


def _stretch(reader: TrackReader, start_ms: int, end_ms: int):
    """The voice over [start_ms, end_ms) as one block (silence where it was off stage, which
    the utterance cutter skips): a few minutes at most."""
    block = np.zeros((end_ms - start_ms) * MS, dtype=np.float32)
    reader.add_into(block, start_ms * MS)
    yield start_ms * MS, np.clip(block, -32768, 32767).astype(np.int16)


def _on_clock(utterance, user_id: int) -> list[dict]:
    base = utterance.start_ms
    return [
        {
            "user": user_id,
            "start": base + round(segment.start * 1000),
            "end": base + round(segment.end * 1000),
            "text": segment.text,
            "words": [[base + round(w.start * 1000), base + round(w.end * 1000), w.text] for w in segment.words],
        }
        for segment in speech.transcribe(speech.from_pcm48(utterance.samples))
    ]


def run(transcript: Transcript) -> Transcript:
    space_id = transcript.space_id
    users = track_users(space_id)
    total = sum(len(TrackReader(space_id, u).chunks) for u in users) or 1
    done = [0]
    last = [time.monotonic()]

    def beat(chunk: bool = False) -> None:
        done[0] += chunk
        if time.monotonic() - last[0] >= HEARTBEAT_EVERY_SECONDS or chunk:
            last[0] = time.monotonic()
            if not held(transcript).update(progress=round(min(done[0] / total, 0.99), 3), heartbeat_at=timezone.now()):
                raise ClaimLost()

    began = time.monotonic()
    segments: list[dict] = []
    voiced = 0.0
    for user_id in users:
        said, seconds = voice_segments(space_id, user_id, beat)
        segments += said
        voiced += seconds
    segments.sort(key=lambda s: (s["start"], s["user"]))
    name = storage.put(segments_name(space_id), json.dumps(segments).encode())
    finished = held(transcript).update(
        state=Transcript.State.READY,
        progress=1.0,
        error="",
        segments=name,
        words=sum(len(s["words"]) for s in segments),
        voiced_seconds=round(voiced, 2),
        took_seconds=round(time.monotonic() - began, 2),
        finished_at=timezone.now(),
    )
    if not finished:
        raise ClaimLost()
    transcript.refresh_from_db()
    recording = Recording.objects.filter(space_id=space_id).first()
    if recording is not None:
        publish_cues(recording, transcript)
    return transcript


def fail(transcript: Transcript, message: str, *, final: bool) -> None:
    held(transcript).update(
        state=Transcript.State.FAILED if final else Transcript.State.QUEUED,
        error=message[:300],
        heartbeat_at=timezone.now(),
    )


def publish_cues(recording: Recording, transcript: Transcript | None = None, renders=None) -> int:
    """Give ready versions of the recording their cues from the space's transcript, without the
    voices that left the recording. Returns how many versions got cues."""
    transcript = transcript or Transcript.objects.filter(space_id=recording.space_id).first()
    if transcript is None or transcript.state != Transcript.State.READY:
        return 0
    segments = transcripts.load_segments(transcript.segments)
    left = set(
        Participant.objects.filter(space_id=recording.space_id, recording_opt_out=True).values_list(
            "user_id", flat=True
        )
    )
    voices = {s["user"] for s in segments} - left
    names = transcripts.names_of(voices)
    count = 0
    for render in renders if renders is not None else recording.renders.filter(state=Render.State.READY):
        cues = transcripts.version_cues(segments, recording.spans, render.edits, voices, names)
        Render.objects.filter(pk=render.pk, state=Render.State.READY).update(
            cues=cues, transcript_text=transcripts.plain_text(cues)
        )
        count += 1
    return count
