"""Running one Render: claim it, mix and encode, store the files, then point at them.

The files go to fresh names under recordings/<recording>/<render>/, and the Render only turns
`ready` (and the recording only points at it) after every file is stored, so a half-written
file is never offered. A render whose worker died stops writing progress; once it has been
silent for RENDER_STALE_SECONDS, recover_stale() queues it again (or fails it after
RENDER_ATTEMPTS), and a run that was taken over that way finds its claim lost and stops.
"""

import logging
import os
import shutil
import time
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from recordings import timeline
from recordings.audio.mixdown import TrackReader, new_workdir, render, track_users
from recordings.models import ModerationCopy, Recording, Render
from recordings.services import recording_prefix
from rooms.media import storage
from rooms.media.tracks import closed_marker
from rooms.models import Notification, Participant

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5


class RenderFailed(Exception):
    """A render that cannot succeed however often it is tried (told to the host as is)."""


ENGINE_GRACE_SECONDS = 60


def engine_done(render_id: int) -> bool:
    """Whether the engine has stored the last of the space's audio (it writes a marker after
    it), or has had long enough: a space nobody spoke in never had an engine session."""
    render_obj = Render.objects.select_related("recording__space").filter(pk=render_id).first()
    return render_obj is None or audio_stored(render_obj.recording.space)


def audio_stored(space) -> bool:
    """Whether every track of the ended space is in storage (see engine_done)."""
    if space.ended_at is None:
        return False
    if timezone.now() - space.ended_at > timedelta(seconds=ENGINE_GRACE_SECONDS):
        return True
    return default_storage.exists(closed_marker(space.pk))


def claim(render_id: int) -> Render | None:
    """queued -> running, by one worker only; its claimed_at is the claim's token."""
    now = timezone.now()
    claimed = Render.objects.filter(state=Render.State.QUEUED, pk=render_id).update(
        state=Render.State.RUNNING, claimed_at=now, heartbeat_at=now, attempts=F("attempts") + 1, progress=0
    )
    if not claimed:
        return None
    return Render.objects.select_related("recording", "recording__space").get(pk=render_id)


def held(render_obj: Render):
    """The render's row while this run still holds its claim (nobody took over a stale one)."""
    return Render.objects.filter(pk=render_obj.pk, state=Render.State.RUNNING, claimed_at=render_obj.claimed_at)


class ClaimLost(Exception):
    """This run was silent too long and the render was queued again (or retried, or failed):
    the newer run owns it now."""


STOPPED = (
    "Rendering stopped {attempts} times before it could finish. Try again; if it keeps stopping, tell the site's staff."
)


def recover_stale(render_id: int) -> str:
    """A render silent too long: a running one lost its worker (killed, out of memory), a
    queued one its message. Queued again while it has attempts left, failed after, so the
    host can try again. "requeued" means a render task is due; "" that it was not stale."""
    now = timezone.now()
    stale = Render.objects.stale(now).filter(pk=render_id)
    attempts = settings.RECORDINGS["RENDER_ATTEMPTS"]
    if stale.filter(state=Render.State.QUEUED).update(heartbeat_at=now):
        return "requeued"
    running = stale.filter(state=Render.State.RUNNING)
    if running.filter(attempts__lt=attempts).update(
        state=Render.State.QUEUED, heartbeat_at=now, progress=0, error="The worker rendering this stopped."
    ):
        log.warning("render %s lost its worker; queued again", render_id)
        return "requeued"
    if running.update(state=Render.State.FAILED, error=STOPPED.format(attempts=attempts)):
        log.warning("render %s lost its worker %s times; failed", render_id, attempts)
        return "failed"
    return ""


def seconds_until_stale(render_id: int) -> float | None:
    """How long until a running render would be stale (None: it is not running)."""
    heartbeat = Render.objects.filter(pk=render_id, state=Render.State.RUNNING).values_list("heartbeat_at", flat=True)
    if not heartbeat:
        return None
    silent = (timezone.now() - heartbeat[0]).total_seconds()
    return max(1.0, settings.RECORDINGS["RENDER_STALE_SECONDS"] - silent + 1)


def run(render_obj: Render) -> Render:
    """Mix, encode and store; raises on failure (the task decides about retrying)."""
    recording = render_obj.recording
    space = recording.space
    ranges = timeline.kept_ranges(timeline.closed_spans(recording.spans), render_obj.edits)
    if not ranges:
        raise RenderFailed("Nothing was recorded in this space.")
    opted_out = set(Participant.objects.filter(space=space, recording_opt_out=True).values_list("user_id", flat=True))
    users = track_users(space.pk)
    if not users and not ModerationCopy.objects.filter(space=space).exists():
        raise RenderFailed("The space's audio is no longer kept, so this recording cannot be made.")
    if not users:
        raise RenderFailed("Nobody spoke while this space was being recorded, so there is nothing to play.")
    readers = [TrackReader(space.pk, user_id) for user_id in users if user_id not in opted_out]
    if not readers:
        raise RenderFailed("Every speaker chose to leave their voice out of the recording.")
    config = settings.RECORDINGS
    last = [0.0]

    def progress(fraction: float) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = time.monotonic()
            # Also the heartbeat: a render that stops writing this is taken as abandoned.
            if not held(render_obj).update(progress=round(fraction, 3), heartbeat_at=timezone.now()):
                raise ClaimLost()

    workdir = new_workdir()
    try:
        audio = render(
            readers,
            ranges,
            workdir,
            target_lufs=config["LOUDNESS_LUFS"],
            aac_bit_rate=config["AAC_BIT_RATE"],
            mp3_kbps=config["MP3_KBPS"],
            mp3_quality=config["MP3_QUALITY"],
            progress=progress,
        )
        base = f"{recording_prefix(recording.pk)}{render_obj.pk}/{slugify(space.title)[:60] or 'space'}"
        m4a = storage.put_file(base + ".m4a", audio.m4a_path)
        mp3 = storage.put_file(base + ".mp3", audio.mp3_path)
        sizes = {"m4a_bytes": os.path.getsize(audio.m4a_path), "mp3_bytes": os.path.getsize(audio.mp3_path)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return finish(render_obj, m4a=m4a, mp3=mp3, audio=audio, **sizes)


@transaction.atomic
def finish(render_obj: Render, *, m4a: str, mp3: str, audio, m4a_bytes: int = 0, mp3_bytes: int = 0) -> Render:
    recording = Recording.objects.select_for_update().select_related("space").get(pk=render_obj.recording_id)
    # Both runs of a render write the same files at the same names; only the claim's holder
    # turns it ready and points the recording at it.
    finished = held(render_obj).update(
        state=Render.State.READY,
        progress=1.0,
        error="",
        m4a=m4a,
        mp3=mp3,
        m4a_bytes=m4a_bytes,
        mp3_bytes=mp3_bytes,
        duration_ms=audio.duration_ms,
        peaks=audio.peaks,
        loudness_lufs=audio.loudness_lufs,
        finished_at=timezone.now(),
    )
    if not finished:
        raise ClaimLost()
    others = recording.renders.exclude(pk=render_obj.pk)
    if render_obj.kind == Render.Kind.ORIGINAL:
        recording.original_id = render_obj.pk
        # An edit being remade to take the replay's place is waited for, not stood in for.
        if recording.current_id is None and not others.filter(replaces_current=True, state__in=Render.ACTIVE).exists():
            recording.current_id = render_obj.pk
        recording.speakers.set(audio.voices)
        if not others.filter(kind=Render.Kind.ORIGINAL).exists():
            Notification.objects.create(
                user_id=recording.space.host_id,
                text=f"Your recording of “{recording.space.title[:80]}” is ready: listen, edit and publish it.",
                url=reverse("recording", args=[recording.pk]),
            )
    if render_obj.replaces_current:
        recording.current_id = render_obj.pk
    elif render_obj.kind == Render.Kind.EDITED and render_obj.edits_version == recording.edits_version:
        # Only the latest edit becomes current; an older one finishing late is kept aside.
        # A published replay keeps playing until the host publishes the edit (do_use_render).
        if not recording.is_published:
            recording.current_id = render_obj.pk
    recording.save(update_fields=["original", "current"])
    render_obj.refresh_from_db()
    return render_obj


def fail(render_obj: Render, message: str, *, final: bool) -> None:
    held(render_obj).update(
        state=Render.State.FAILED if final else Render.State.QUEUED, error=message[:300], heartbeat_at=timezone.now()
    )
