"""Making a clip's files from the voices that said yes, and a speaker's preview.

A render reads the clip's version and its `yes` voices in one transaction, mixes only those
tracks, writes the files under fresh names (clips/<clip>/<random>.m4a|mp3) and points the clip
at them only if its version is still the one it rendered: an answer that changed the set of
voices meanwhile bumped the version, so the render's files are deleted instead of shown and
the newer render wins. Old files are deleted once nothing points at them.

The audiogram (MP4) is made from the clip's M4A on request, the same way: a claim on the
version of the files it is made from, a fresh name, and a finish that keeps it only if those
files are still the clip's (anything that replaces or removes them forgets the audiogram)."""

import logging
import os
import secrets
import shutil
import tempfile

import av
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from clips import audio, audiogram
from clips.audiogram_card import Card
from clips.models import Clip, Voice
from clips.services import delete_files, forget_audiogram, take_down
from recordings.audio.encoders import MP3Writer
from recordings.transcripts import replay_cues
from rooms.media import storage
from rooms.models import Notification

log = logging.getLogger(__name__)


def consenting(clip: Clip) -> list[int]:
    return sorted(clip.voices.filter(answer=Voice.Answer.YES).values_list("speaker_id", flat=True))


def render_clip(clip_id: int) -> str:
    clip = Clip.objects.filter(pk=clip_id).first()
    if clip is None or clip.is_gone or clip.rendered_version == clip.version:
        return "nothing to do"
    if clip.state not in (Clip.State.RENDERING, Clip.State.PUBLISHED):
        return "not ready to render"
    version, voices = clip.version, consenting(clip)
    if not voices:
        return "nobody consented"
    if not set(voices) & set(audio.track_users(clip.space_id)):
        # The space's audio is no longer kept (its moderation copy expired): the clip cannot be
        # made again, and its older files may hold a voice that withdrew. It goes.
        with transaction.atomic():
            locked = Clip.objects.select_for_update().get(pk=clip.pk)
            if locked.version == version and not locked.is_gone:
                take_down(locked, "The space's audio is no longer kept, so the clip could not be made again.")
        return "audio gone"
    samples = audio.mix(clip.space_id, voices, [tuple(r) for r in clip.ranges])
    workdir = tempfile.mkdtemp(prefix="roundtable-clip-")
    try:
        m4a_path, mp3_path, peaks = audio.encode(
            samples, workdir, aac_bit_rate=settings.CLIPS["AAC_BIT_RATE"], mp3_kbps=settings.CLIPS["MP3_KBPS"]
        )
        name = f"clips/{clip.pk}/{secrets.token_urlsafe(12)}"
        m4a = storage.put_file(name + ".m4a", m4a_path)
        mp3 = storage.put_file(name + ".mp3", mp3_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return finish(clip.pk, version, voices, m4a=m4a, mp3=mp3, peaks=peaks, duration_ms=len(samples) // audio.MS)


@transaction.atomic
def finish(clip_id: int, version: int, voices: list[int], **files) -> str:
    clip = Clip.objects.select_for_update().get(pk=clip_id)
    if clip.version != version or clip.is_gone or consenting(clip) != voices:
        transaction.on_commit(lambda: delete_files([files["m4a"], files["mp3"]]))
        return "outdated"
    old = [n for n in (clip.m4a, clip.mp3) if n] + forget_audiogram(clip)
    first = clip.published_at is None
    clip.m4a, clip.mp3, clip.peaks, clip.duration_ms = files["m4a"], files["mp3"], files["peaks"], files["duration_ms"]
    clip.heard, clip.rendered_version, clip.render_error = voices, version, ""
    clip.state = Clip.State.PUBLISHED
    if first:
        clip.published_at = timezone.now()
        Notification.objects.create(
            user_id=clip.creator_id,
            text=f"Your clip “{clip.title[:80]}” is ready to share.",
            url=clip.get_absolute_url(),
        )
    clip.save()
    if old:
        transaction.on_commit(lambda: delete_files(old))
    return "ready"


def preview_mp3(voice: Voice) -> bytes:
    """What a speaker hears before answering: their own voice in the range, and the voices
    that already said yes; never one that has not."""
    clip = voice.clip
    users = sorted(set(consenting(clip)) | {voice.speaker_id})
    samples = audio.mix(clip.space_id, users, [tuple(r) for r in clip.ranges])
    workdir = tempfile.mkdtemp(prefix="roundtable-preview-")
    try:
        path = f"{workdir}/preview.mp3"
        writer = MP3Writer(path, settings.CLIPS["MP3_KBPS"], 7)
        writer.write(samples / 32768)
        writer.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- the audiogram ------------------------------------------------------------------------------
class Outdated(Exception):
    """The files the audiogram is being made from are no longer the clip's."""


def clip_cues(clip: Clip) -> list[dict]:
    """The transcript's cues heard in the clip (times on the replay), of the voices in it only;
    none for a live clip."""
    if not clip.recording_id or clip.replay_ms is None:
        return []
    start, end = clip.replay_ms / 1000, (clip.replay_ms + clip.length_ms) / 1000
    heard = set(clip.heard)
    return [
        c for c in replay_cues(clip.recording.current) if c["end"] > start and c["start"] < end and c["user"] in heard
    ]


def card_of(clip: Clip) -> Card:
    names = get_user_model().objects.filter(pk__in=clip.heard).order_by("username").values_list("username", flat=True)
    start, length = (clip.replay_ms or 0) / 1000, clip.length_ms / 1000
    cues = [
        (max(c["start"] - start, 0.0), min(c["end"] - start, length), c["text"])
        for c in clip_cues(clip)
        if c["text"].strip()
    ]
    return Card(title=clip.title, names=list(names), cues=cues)


def render_audiogram(clip_id: int) -> str:
    Audiogram = Clip.Audiogram
    clip = Clip.objects.select_related("recording").filter(pk=clip_id).first()
    if clip is None or clip.audiogram_state not in (Audiogram.QUEUED, Audiogram.RUNNING) or not clip.m4a:
        return "nothing to do"
    version, source = clip.audiogram_version, clip.m4a
    ours = Clip.objects.filter(pk=clip.pk, audiogram_version=version, m4a=source)
    # A claim, not a lock: a worker lost mid-render leaves it running, and the redelivered
    # job claims it again.
    if not ours.filter(audiogram_state__in=(Audiogram.QUEUED, Audiogram.RUNNING)).update(
        audiogram_state=Audiogram.RUNNING, audiogram_progress=0.0
    ):
        return "outdated"
    running = ours.filter(audiogram_state=Audiogram.RUNNING)

    def progress(fraction: float) -> None:
        # Nobody wants the video of files that are gone: stop at the next second of it.
        if not running.update(audiogram_progress=round(fraction, 3)):
            raise Outdated

    card = card_of(clip)
    with default_storage.open(source, "rb") as f:
        m4a = f.read()
    workdir = tempfile.mkdtemp(prefix="roundtable-audiogram-")
    try:
        path = os.path.join(workdir, "audiogram.mp4")
        try:
            audiogram.make(m4a, path, card, progress)
        except Outdated:
            return "outdated"
        except (av.FFmpegError, ValueError):
            log.exception("audiogram of clip %s failed", clip.pk)
            running.update(audiogram_state=Audiogram.FAILED)
            return "failed"
        name = storage.put_file(f"clips/{clip.pk}/{secrets.token_urlsafe(12)}.mp4", path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return finish_audiogram(clip.pk, version, source, name)


@transaction.atomic
def finish_audiogram(clip_id: int, version: int, source: str, name: str) -> str:
    clip = Clip.objects.select_for_update().get(pk=clip_id)
    mine = clip.audiogram_state == Clip.Audiogram.RUNNING and clip.audiogram_version == version
    if not mine or clip.m4a != source:
        # Made from files the clip no longer has (or another worker finished first).
        transaction.on_commit(lambda: delete_files([name]))
        return "outdated"
    clip.audiogram, clip.audiogram_state, clip.audiogram_progress = name, Clip.Audiogram.READY, 1.0
    clip.save(update_fields=["audiogram", "audiogram_state", "audiogram_progress"])
    return "ready"
