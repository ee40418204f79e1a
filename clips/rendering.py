"""Making a clip's files from the voices that said yes, and a speaker's preview.

A render reads the clip's version and its `yes` voices in one transaction, mixes only those
tracks, writes the files under fresh names (clips/<clip>/<random>.m4a|mp3) and points the clip
at them only if its version is still the one it rendered: an answer that changed the set of
voices meanwhile bumped the version, so the render's files are deleted instead of shown and
the newer render wins. Old files are deleted once nothing points at them."""

import secrets
import shutil
import tempfile

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clips import audio
from clips.models import Clip, Voice
from clips.services import delete_files, take_down
from recordings.audio.encoders import MP3Writer
from rooms.media import storage
from rooms.models import Notification


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
    old = [n for n in (clip.m4a, clip.mp3) if n]
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
