"""After a space: the moderation copy, rendering, the host's edits, publishing, retention.

Access rules (each has a test per role):
- the host manages their recording (edit, revert, publish, unpublish, delete, retry, download);
- staff may see, download, unpublish and delete any recording;
- everyone may play a published recording; nobody else sees an unpublished one.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from recordings import jobs, timeline
from recordings.keepers import exclude_kept
from recordings.models import ModerationCopy, Recording, Render, Transcript, empty_edits
from recordings.signals import recording_voice_left
from recordings.spans import close_span
from rooms.errors import Conflict, NotAllowed, NotFound
from rooms.media import storage
from rooms.models import Notification, Participant, Space


def recording_prefix(recording_id: int) -> str:
    return f"recordings/{recording_id}/"


# --- access --------------------------------------------------------------------------
def is_manager(user, recording: Recording) -> bool:
    return user.is_authenticated and user.pk == recording.space.host_id


def can_see(user, recording: Recording) -> bool:
    """The recording page, its audio and downloads: the host and staff."""
    return is_manager(user, recording) or (user.is_authenticated and user.is_staff)


def access_recording(user, recording_id, *, manage: bool = False, lock: bool = False) -> Recording:
    """The recording for its host (or staff, unless `manage`). Anyone else: NotFound, so an
    unpublished recording's existence is not given away."""
    query = Recording.objects.select_related("space", "space__host", "current", "original")
    if lock:
        query = query.select_for_update(of=("self",))
    recording = query.filter(pk=recording_id).first()
    if recording is None or not can_see(user, recording):
        raise NotFound("No such recording.")
    if manage and not is_manager(user, recording):
        raise NotAllowed("Only the host can change this recording.", code="not_host")
    return recording


def may_play(user, recording: Recording) -> bool:
    """A replay: published ones for everyone, unpublished ones for the host and staff."""
    return not recording.is_gone and (recording.is_published or can_see(user, recording))


def access_replay(user, recording_id) -> Recording:
    recording = Recording.objects.select_related("space", "space__host", "current").filter(pk=recording_id).first()
    if recording is None or not may_play(user, recording):
        raise NotFound("No such replay.")
    return recording


# --- the space ends --------------------------------------------------------------------
def space_ended(space: Space) -> None:
    """Called in the transaction that ends a live space: close the recorded span, start the
    moderation copy's retention clock, queue the original render."""
    days = settings.RECORDINGS["RETENTION_DAYS"]
    assert space.ended_at is not None  # sent only once the space has ended
    copy, _ = ModerationCopy.objects.update_or_create(
        space=space, defaults={"expires_at": space.ended_at + timedelta(days=days)}
    )
    if space.captions:
        # Captions were on: everyone there knew their words were being written down.
        transcript, created = Transcript.objects.get_or_create(space=space)
        if created:
            jobs.queue(jobs.TRANSCRIBE, transcript.pk)
    recording = close_span(space, space.ended_at)
    if recording is not None and recording.duration_ms > 0 and recording.original_id is None:
        render = Render.objects.create(recording=recording, kind=Render.Kind.ORIGINAL)
        queue_render(render)
    elif days == 0:
        # Nothing to render from it: it goes as soon as the engine has let go of the files.
        jobs.queue(jobs.DELETE_MODERATION_COPY, copy.pk, countdown=60)


# --- edits ---------------------------------------------------------------------------
def check_version(recording: Recording, version) -> None:
    if str(version) != str(recording.edits_version):
        raise Conflict(
            "This recording was edited somewhere else since you opened it. Reload to see the latest edit.",
            code="stale_edit",
        )


def check_tracks_kept(recording: Recording) -> None:
    if not ModerationCopy.objects.filter(space_id=recording.space_id).exists():
        raise Conflict(
            "The original tracks of this space are no longer kept, so it can no longer be edited.",
            code="tracks_gone",
        )


def queue_render(render: Render) -> None:
    jobs.queue(jobs.RENDER, render.pk)


@transaction.atomic
def do_save_edits(user, recording_id, edits: dict, version) -> Render:
    recording = access_recording(user, recording_id, manage=True, lock=True)
    check_version(recording, version)
    if recording.is_gone:
        raise Conflict("This recording was deleted.", code="gone")
    if recording.original is None or not recording.original.is_ready:
        raise Conflict("The recording is still being prepared.", code="not_ready")
    check_tracks_kept(recording)
    edits = timeline.check_edits(edits, recording.duration_ms)
    recording.edits = edits
    recording.edits_version += 1
    recording.save(update_fields=["edits", "edits_version"])
    render = Render.objects.create(
        recording=recording, kind=Render.Kind.EDITED, edits=edits, edits_version=recording.edits_version
    )
    queue_render(render)
    return render


@transaction.atomic
def do_revert(user, recording_id, version) -> Recording:
    recording = access_recording(user, recording_id, manage=True, lock=True)
    check_version(recording, version)
    if recording.original is None or not recording.original.is_ready:
        raise Conflict("The recording is still being prepared.", code="not_ready")
    recording.edits = empty_edits()
    recording.edits_version += 1
    recording.current = recording.original
    recording.save(update_fields=["edits", "edits_version", "current"])
    return recording


def pending_edit(recording: Recording, latest: Render | None = None) -> Render | None:
    """The latest edit, rendered, waiting for the host to publish it over the published replay.
    `latest`: the recording's newest render, when the caller has it already."""
    latest = latest or recording.renders.first()
    if (
        latest is not None
        and latest.kind == Render.Kind.EDITED
        and latest.is_ready
        and latest.pk != recording.current_id
        and latest.edits_version == recording.edits_version
    ):
        return latest
    return None


@transaction.atomic
def do_use_render(user, recording_id, render_id) -> Recording:
    """The host publishes their rendered edit in place of the version the replay plays."""
    recording = access_recording(user, recording_id, manage=True, lock=True)
    render = pending_edit(recording)
    if render is None or str(render.pk) != str(render_id):
        raise Conflict(
            "That version is not the latest edit any more. Reload to see where things are.", code="stale_edit"
        )
    recording.current = render
    recording.save(update_fields=["current"])
    return recording


@transaction.atomic
def do_discard_edit(user, recording_id, version) -> Recording:
    """Drop the latest edit: the edit list goes back to the version the replay plays."""
    recording = access_recording(user, recording_id, manage=True, lock=True)
    check_version(recording, version)
    current = recording.current
    recording.edits = current.edits if current is not None and current.kind == Render.Kind.EDITED else empty_edits()
    recording.edits_version += 1
    recording.save(update_fields=["edits", "edits_version"])
    return recording


@transaction.atomic
def do_retry_render(user, recording_id) -> Render:
    recording = access_recording(user, recording_id, manage=True, lock=True)
    render = recording.renders.first()
    # A failed render, or one whose worker died (silent too long) before the sweeper saw it.
    if render is None or not (render.state == Render.State.FAILED or render.is_stale):
        raise Conflict("Nothing failed that could be tried again.", code="nothing_to_retry")
    # On the state and attempt seen, so a worker or the sweeper moving it meanwhile wins.
    if not Render.objects.filter(pk=render.pk, state=render.state, attempts=render.attempts).update(
        state=Render.State.QUEUED, attempts=0, error="", progress=0, heartbeat_at=timezone.now()
    ):
        raise Conflict("It has just started again. Reload to see where it is.", code="nothing_to_retry")
    render.refresh_from_db()
    queue_render(render)
    return render


def delete_files(names: list[str]) -> None:
    """Files nothing points at any more (a withdrawn mix); one already gone is fine."""
    for name in names:
        try:
            default_storage.delete(name)
        except FileNotFoundError:
            pass


# --- a voice leaves the recording after the end ---------------------------------------------
@transaction.atomic
def do_leave_recording(user, recording_id) -> Recording:
    """A speaker heard in an ended space's recording takes their voice out of it, before or
    after publication. Every rendered version holding it is withdrawn at once (files deleted
    after commit: the replay, downloads and feed enclosure stop serving them), the original
    and the version the replay plays are made again without them under new names, the host is
    told why, and the apps above hear of it (recording_voice_left)."""
    query = Recording.objects.select_for_update(of=("self",)).select_related("space", "current")
    recording = query.filter(pk=recording_id).first() if str(recording_id).isdigit() else None
    if recording is None or recording.is_gone or not user.is_authenticated:
        raise NotFound("No such recording.")
    participant = Participant.objects.select_for_update().filter(space=recording.space, user=user).first()
    if participant is not None and participant.recording_opt_out:
        return recording  # already out
    if participant is None or not recording.speakers.filter(pk=user.pk).exists():
        raise NotAllowed("Only a speaker heard in this recording can take their voice out.", code="not_a_speaker")
    participant.recording_opt_out = True
    participant.save(update_fields=["recording_opt_out"])
    current = recording.current
    ready = list(recording.renders.filter(state=Render.State.READY))
    old_files = [name for r in ready for name in (r.m4a, r.mp3) if name]
    # The published transcript goes with the audio: the remade versions get cues without them.
    recording.renders.filter(pk__in=[r.pk for r in ready]).update(
        state=Render.State.FAILED,
        error="Withdrawn: a speaker took their voice out.",
        m4a="",
        mp3="",
        cues=[],
        transcript_text="",
    )
    recording.renders.filter(state__in=Render.ACTIVE).update(state=Render.State.FAILED, error="Superseded.")
    original = Render.objects.create(
        recording=recording,
        kind=Render.Kind.ORIGINAL,
        replaces_current=current is None or current.kind == Render.Kind.ORIGINAL,
    )
    renders = [original]
    if current is not None and current.kind == Render.Kind.EDITED:
        renders.append(
            Render.objects.create(
                recording=recording,
                kind=Render.Kind.EDITED,
                edits=current.edits,
                edits_version=current.edits_version,
                replaces_current=True,
            )
        )
    recording.original = recording.current = None
    recording.save(update_fields=["original", "current"])
    recording.speakers.remove(user)
    Notification.objects.create(
        user_id=recording.space.host_id,
        text=f"{user.username} took their voice out of your recording of “{recording.space.title[:60]}”: "
        "it is being made again without them.",
        url=reverse("recording", args=[recording.pk]),
    )
    recording_voice_left.send(sender=Recording, recording=recording, user=user)
    transaction.on_commit(lambda: delete_files(old_files))
    for render in renders:
        queue_render(render)
    return recording


# --- publish, unpublish, delete ------------------------------------------------------
@transaction.atomic
def do_publish(user, recording_id) -> Recording:
    recording = access_recording(user, recording_id, manage=True, lock=True)
    if recording.is_gone:
        raise Conflict("This recording was deleted.", code="gone")
    if recording.current is None or not recording.current.is_ready:
        raise Conflict("The recording is not ready yet.", code="not_ready")
    if recording.published_at is None:
        recording.published_at = timezone.now()
        recording.save(update_fields=["published_at"])
    return recording


@transaction.atomic
def do_unpublish(user, recording_id) -> Recording:
    recording = access_recording(user, recording_id, lock=True)  # host or staff
    recording.published_at = None
    recording.save(update_fields=["published_at"])
    return recording


@transaction.atomic
def do_delete_recording(user, recording_id) -> Recording:
    """The host (or staff) deletes the recording: its files go; the moderation copy of the
    space follows its own retention."""
    recording = access_recording(user, recording_id, lock=True)
    if recording.deleted_at is None:
        recording.deleted_at = timezone.now()
        recording.published_at = None
        recording.save(update_fields=["deleted_at", "published_at"])
        recording.renders.update(cues=[], transcript_text="")
        prefix = recording_prefix(recording.pk)
        transaction.on_commit(lambda: storage.delete_tree(prefix))
    return recording


def do_count_play(recording: Recording) -> None:
    Recording.objects.filter(pk=recording.pk).update(play_count=F("play_count") + 1)


# --- retention -----------------------------------------------------------------------
def expired_copies(now=None):
    """Moderation copies past their retention that no higher app keeps (moderation: an active
    hold) and no live render is reading. A render silent too long (its worker died) holds
    nothing up: it is queued again or fails."""
    now = now or timezone.now()
    rendering = Render.objects.live(now).filter(recording__space_id=OuterRef("space_id"))
    stale = now - timedelta(minutes=settings.RECORDINGS["STALE_CLAIM_MINUTES"])
    return exclude_kept(
        ModerationCopy.objects.filter(expires_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .exclude(Exists(rendering))
    )


def do_delete_moderation_copy(copy_id: int) -> bool:
    """Delete one expired moderation copy: its files, then its row. Claimed with a conditional
    update, so two workers never both do it; a second run finds nothing to claim. Recordings
    made from it are the host's and follow their own rule (expired_unpublished)."""
    now = timezone.now()
    if not expired_copies(now).filter(pk=copy_id).update(claimed_at=now):
        return False
    copy = ModerationCopy.objects.get(pk=copy_id)
    storage.delete_tree(storage.space_prefix(copy.space_id))
    # The transcript of everyone said is part of the copy (its file was in the tree above).
    Transcript.objects.filter(space_id=copy.space_id).delete()
    copy.delete()
    return True


def expired_unpublished(now=None):
    """Recordings never published, whose space ended longer ago than UNPUBLISHED_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RECORDINGS["UNPUBLISHED_DAYS"])
    rendering = Render.objects.live(now).filter(recording=OuterRef("pk"))
    return Recording.objects.filter(
        published_at__isnull=True,
        deleted_at__isnull=True,
        expired_at__isnull=True,
        space__ended_at__lte=cutoff,
    ).exclude(Exists(rendering))


def do_expire_unpublished(recording_id: int) -> bool:
    """Delete the files of a recording its host never published; the page then says so.
    The conditional update is the claim: a second run changes nothing."""
    now = timezone.now()
    if not expired_unpublished(now).filter(pk=recording_id).update(expired_at=now):
        return False
    storage.delete_tree(recording_prefix(recording_id))
    return True
