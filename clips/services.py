"""Clips: cutting one, asking every voice in it, answering, sharing, taking down.

The promise: a clip's files only ever hold the voices that said yes. The services keep it by
never naming any other voice to the renderer (clips/rendering.py mixes exactly the `yes`
voices of the version it was asked for), and by bumping the clip's version whenever that set
changes, so a render made for an older set is thrown away.

Access rules (each has a test per role):
- make a clip: a signed-in participant of a live space, or anyone signed in who may play a
  published replay, while the host allows clips (staff and the host alike); never a suspended
  account, and a voice whose speaker blocked the clipper is a no from the start (when every
  voice heard blocked them, there is no clip);
- answer a request: only the speaker it asks;
- publish without the voices that said no, or drop: the clip's creator;
- delete: the creator, or the space's host; take down: staff;
- see a shared clip: everyone; an unshared one: its creator, its speakers, the host, staff;
- ask for a shared clip's audiogram (MP4): whoever sees it (one render per version of its files).
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clips import audio
from clips.models import Clip, ConsentPreference, Voice
from recordings import jobs, timeline
from recordings.models import Recording
from recordings.services import access_replay, delete_files
from recordings.spans import space_ms
from rooms.accounts import blockers_of, check_not_suspended
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound, RoomError
from rooms.events import send_space_event
from rooms.media.tracks import closed_marker
from rooms.models import Notification, Participant, Space

RENDER = "clips.render"
COLLECT = "clips.collect"
AUDIOGRAM = "clips.audiogram"


class TooManyClips(RoomError):
    code = "rate_limited"
    http_status = 429


def config() -> dict:
    return settings.CLIPS


# --- access --------------------------------------------------------------------------
def is_staff(user) -> bool:
    return user.is_authenticated and user.is_staff


def can_see(user, clip: Clip) -> bool:
    if clip.published_at is not None and not clip.is_gone:
        return True  # shared (or being made again without a voice that withdrew)
    if not user.is_authenticated:
        return False
    return (
        user.is_staff or user.pk in (clip.creator_id, clip.space.host_id) or clip.voices.filter(speaker=user).exists()
    )


def access_clip(user, clip_id, *, lock: bool = False) -> Clip:
    query = Clip.objects.select_related("space", "space__host", "creator", "recording")
    if lock:
        query = query.select_for_update(of=("self",))
    clip = query.filter(pk=clip_id).first() if str(clip_id).isdigit() else None
    if clip is None or not can_see(user, clip):
        raise NotFound("No such clip.")
    return clip


def check_may_clip(user, space: Space) -> None:
    if not user.is_authenticated:
        raise NotAllowed("Log in to clip.", code="login_required")
    if not user.is_active:
        raise NotAllowed("This account is suspended.", code="suspended")
    check_not_suspended(user)
    if not space.allow_clips:
        raise NotAllowed("The host has turned clips off for this space.", code="clips_off")
    hour_ago = timezone.now() - timedelta(hours=1)
    if Clip.objects.filter(creator=user, created_at__gte=hour_ago).count() >= config()["PER_HOUR"]:
        raise TooManyClips(f"You can make {config()['PER_HOUR']} clips an hour. Try again later.")


def check_title(title: str, caption: str) -> tuple[str, str]:
    title, caption = (title or "").strip(), (caption or "").strip()
    if len(title) > Clip._meta.get_field("title").max_length:
        raise InvalidRequest("The title is too long (120 characters at most).", code="bad_title")
    if len(caption) > Clip._meta.get_field("caption").max_length:
        raise InvalidRequest("The caption is too long (280 characters at most).", code="bad_caption")
    return title, caption


# --- making a clip --------------------------------------------------------------------
def on_space_clock(kept: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """A range of the replay's timeline (the kept ranges laid end to end) on the space's clock."""
    out, offset = [], 0
    for a, b in kept:
        length = b - a
        lo, hi = max(start, offset), min(end, offset + length)
        if lo < hi:
            out.append((a + lo - offset, a + hi - offset))
        offset += length
    return out


def check_length(start: int, end: int, available: int) -> None:
    longest, shortest = config()["MAX_SECONDS"] * 1000, config()["MIN_SECONDS"] * 1000
    if not 0 <= start < end <= available:
        raise InvalidRequest(
            f"The range must lie inside the audio (0 to {timeline.fmt(available)}), its start before its end.",
            code="range_out_of_bounds",
        )
    if end - start > longest:
        raise InvalidRequest(f"A clip is {config()['MAX_SECONDS']} seconds at most.", code="range_too_long")
    if end - start < shortest:
        raise InvalidRequest("A clip needs at least a second of audio.", code="range_empty")


@transaction.atomic
def do_clip_replay(user, recording_id, start_ms, end_ms, title: str = "", caption: str = "") -> Clip:
    recording = access_replay(user, recording_id)
    if not recording.is_published:
        raise NotAllowed("Only a published replay can be clipped.", code="not_published")
    space = Space.objects.select_for_update().get(pk=recording.space_id)
    check_may_clip(user, space)
    title, caption = check_title(title, caption)
    current = recording.current
    try:
        start, end = int(start_ms), int(end_ms)
    except (TypeError, ValueError, OverflowError):
        raise InvalidRequest("The range's start and end must be times in the replay.", code="bad_range") from None
    check_length(start, end, current.duration_ms)
    if not audio.track_users(space.pk):
        raise Conflict(
            "This replay's raw audio is no longer kept, so new clips of it cannot be made.", code="audio_gone"
        )
    kept = timeline.kept_ranges(timeline.closed_spans(recording.spans), current.edits)
    ranges = on_space_clock(kept, start, end)
    clip = Clip.objects.create(
        space=space,
        recording=recording,
        creator=user,
        source=Clip.Source.REPLAY,
        ranges=[list(r) for r in ranges],
        replay_ms=start,
        title=title or f"{space.title[:100]} at {timeline.fmt(start, tenths=False)}",
        caption=caption,
        state=Clip.State.COLLECTING,
    )
    # An opted-out voice is out of the replay, so out of its clips: "never".
    opted_out = set(Participant.objects.filter(space=space, recording_opt_out=True).values_list("user_id", flat=True))
    speakers = audio.audible_speakers(space.pk, ranges)
    blockers = check_not_all_blocked(user, speakers)
    ask_voices(clip, speakers, never=opted_out | blockers)
    return clip


BLOCKED_BY_ALL = "Everyone heard in this range has blocked you."


def check_not_all_blocked(clipper, speakers: list[int]) -> set[int]:
    """The voices whose speaker blocked the clipper: a no from the start (never in the clip,
    never asked). When they are every voice heard, there is no clip to make."""
    blockers = blockers_of(clipper.pk, speakers)
    if speakers and blockers == set(speakers):
        raise NotAllowed(BLOCKED_BY_ALL, code="blocked")
    return blockers


@transaction.atomic
def do_clip_live(user, space_id, title: str = "", caption: str = "") -> Clip:
    """The last LIVE_SECONDS of a live space (what exists, at its very start). The tracks'
    newest seconds are still being written: the clip collects them, then asks (clips.collect)."""
    space = Space.objects.select_for_update().filter(pk=space_id).first() if str(space_id).isdigit() else None
    if space is None:
        raise NotFound("No such space.")
    if not space.is_live:
        raise Conflict("Only a live space can be clipped this way; clip its replay instead.", code="not_live")
    participant = Participant.objects.filter(space=space, user_id=getattr(user, "pk", None), removed=False).first()
    if user.is_authenticated and (participant is None or not participant.present):
        raise NotAllowed("Join the space to clip it.", code="not_in_space")
    check_may_clip(user, space)
    check_stage_not_all_blocked(user, space)
    title, caption = check_title(title, caption)
    now = space_ms(space)
    start = max(0, now - config()["LIVE_SECONDS"] * 1000)
    if now - start < config()["MIN_SECONDS"] * 1000:
        raise InvalidRequest("The space has only just started: there is nothing to clip yet.", code="range_empty")
    clip = Clip.objects.create(
        space=space,
        creator=user,
        source=Clip.Source.LIVE,
        ranges=[[start, now]],
        title=title or f"{space.title[:100]}, live",
        caption=caption,
        state=Clip.State.COLLECTING,
    )
    jobs.queue(COLLECT, clip.pk)
    return clip


def check_stage_not_all_blocked(user, space: Space) -> None:
    """Refused at once when everyone on stage now (the clipper aside) blocked the clipper; the
    voices actually heard are checked again once the audio is stored (do_collect)."""
    stage = Participant.objects.filter(space=space, present=True, removed=False, role__in=Participant.STAGE_ROLES)
    others = set(stage.exclude(user_id=user.pk).values_list("user_id", flat=True))
    if others and not stage.filter(user_id=user.pk).exists():
        check_not_all_blocked(user, sorted(others))


def tracks_cover(clip: Clip) -> bool:
    """Whether the engine has stored the clip's range of every track (or will store no more)."""
    space = clip.space
    if space.ended_at is not None and default_storage.exists(closed_marker(space.pk)):
        return True
    chunk = settings.MEDIA_ENGINE["TRACK_CHUNK_SECONDS"]
    if audio.tracks_reach(space.pk, clip.ranges[-1][1], chunk * 1000):
        return True
    # A voice that went quiet for good (left the stage) writes no further chunk: wait no longer
    # than two chunks for it.
    return (timezone.now() - clip.created_at).total_seconds() >= 2 * chunk + 2


@transaction.atomic
def do_collect(clip_id: int) -> bool:
    """A live clip once its audio is stored: find its voices and ask them. False: not yet."""
    clip = Clip.objects.select_for_update().select_related("space").filter(pk=clip_id).first()
    if clip is None or clip.state != Clip.State.COLLECTING:
        return True
    if not tracks_cover(clip):
        return False
    speakers = audio.audible_speakers(clip.space_id, [tuple(r) for r in clip.ranges])
    try:
        blockers = check_not_all_blocked(clip.creator, speakers)
    except NotAllowed as refused:
        remove(clip, Clip.State.DROPPED, refused.message)
        Notification.objects.create(
            user_id=clip.creator_id, text=f"Your clip “{clip.title[:80]}” was not made: {refused.message}", url=""
        )
        return True
    ask_voices(clip, speakers, never=blockers)
    return True


def preference(user_id: int) -> str:
    choice = ConsentPreference.objects.filter(user_id=user_id).values_list("choice", flat=True).first()
    return choice or ConsentPreference.Choice.ASK


def ask_voices(clip: Clip, speakers: list[int], never: set[int] = frozenset()) -> None:
    """One Voice per audible speaker: the clipper's own is a yes, a standing preference answers
    for the rest, everyone else is asked (live prompt, inbox, notification)."""
    if not speakers:
        clip.state = Clip.State.DECIDE
        clip.render_error = "Nobody is heard in this range."
        clip.save(update_fields=["state", "render_error"])
        return
    now = timezone.now()
    expires = now + timedelta(hours=config()["CONSENT_HOURS"])
    Answer = Voice.Answer
    for speaker in speakers:
        if speaker == clip.creator_id:
            answer, by_preference = Answer.YES, False
        elif speaker in never:
            answer, by_preference = Answer.NO, True
        else:
            choice = preference(speaker)
            answer = {"always": Answer.YES, "never": Answer.NO}.get(choice, Answer.PENDING)
            by_preference = answer != Answer.PENDING
        voice = Voice.objects.create(
            clip=clip,
            speaker_id=speaker,
            answer=answer,
            by_preference=by_preference,
            asked_at=now,
            expires_at=expires,
            answered_at=None if answer == Answer.PENDING else now,
        )
        if answer == Answer.PENDING:
            tell_speaker(voice)
    clip.state = Clip.State.ASKING
    clip.save(update_fields=["state"])
    settle(clip)


def tell_speaker(voice: Voice) -> None:
    clip = voice.clip
    url = reverse("clip_requests")
    who = clip.creator.username
    Notification.objects.create(
        user_id=voice.speaker_id, text=f"{who} clipped your voice in “{clip.space.title[:80]}”: allow it?", url=url
    )
    if clip.space.is_live:
        send_space_event(clip.space_id, request_event(voice), to_user=voice.speaker_id)


def request_event(voice: Voice) -> dict:
    clip = voice.clip
    return {
        "type": "clip.request",
        "request": {
            "id": voice.pk,
            "clip": clip.pk,
            "title": clip.title,
            "by": clip.creator.username,
            "seconds": round(clip.length_ms / 1000, 1),
            "preview": reverse("clip_request_preview", args=[voice.pk]),
            "answer": reverse("clip_request_answer", args=[voice.pk]),
            "expires_at": voice.expires_at.isoformat(),
        },
    }


# --- answers ----------------------------------------------------------------------------
def settle(clip: Clip) -> None:
    """After any answer: render when every voice said yes (or the creator chose to go without
    the others), or let the creator decide once nobody is left to answer."""
    voices = list(clip.voices.all())
    if clip.is_gone:
        return
    yes = [v for v in voices if v.is_in]
    pending = [v for v in voices if v.answer == Voice.Answer.PENDING]
    if clip.published_at is not None or clip.without_declined:
        # Already shared (or to be shared without the others): follow the answers.
        if not yes:
            take_down(clip, "Every voice in it withdrew.")
        else:
            queue_render(clip)
        return
    if pending:
        return
    if len(yes) == len(voices):
        queue_render(clip)
    else:
        clip.state = Clip.State.DECIDE
        clip.save(update_fields=["state"])
        Notification.objects.create(
            user_id=clip.creator_id,
            text=f"Not every voice in your clip “{clip.title[:80]}” agreed: share it without them, or drop it.",
            url=clip.get_absolute_url(),
        )


def queue_render(clip: Clip) -> None:
    """The set of consenting voices changed (or is complete): a new version to render."""
    Clip.objects.filter(pk=clip.pk).update(version=F("version") + 1)
    if not clip.m4a:
        Clip.objects.filter(pk=clip.pk).update(state=Clip.State.RENDERING)
    clip.refresh_from_db()
    jobs.queue(RENDER, clip.pk)


def access_voice(user, voice_id, *, lock: bool = False) -> Voice:
    query = Voice.objects.select_for_update(of=("self",)) if lock else Voice.objects.all()
    voice = (
        query.select_related("clip", "clip__space", "clip__creator").filter(pk=voice_id).first()
        if str(voice_id).isdigit()
        else None
    )
    if voice is None or not user.is_authenticated or voice.speaker_id != user.pk:
        raise NotFound("No such clip request.")
    return voice


@transaction.atomic
def do_answer(user, voice_id, answer: str) -> Voice:
    """The speaker's yes or no; they may change it later (a withdrawn yes takes their voice
    out of the shared clip: re-rendered without them, or taken down if nobody is left)."""
    if answer not in (Voice.Answer.YES, Voice.Answer.NO):
        raise InvalidRequest("Answer yes or no.", code="bad_answer")
    voice = access_voice(user, voice_id, lock=True)
    clip = Clip.objects.select_for_update().get(pk=voice.clip_id)
    if clip.is_gone:
        raise Conflict("This clip is no longer there.", code="clip_gone")
    if voice.answer == answer:
        return voice
    withdrawn = voice.answer == Voice.Answer.YES
    voice.answer, voice.by_preference, voice.answered_at = answer, False, timezone.now()
    voice.save(update_fields=["answer", "by_preference", "answered_at"])
    if withdrawn and clip.m4a:
        unshare(clip)
    settle(clip)
    return voice


def voice_left_recording(recording: Recording, user) -> int:
    """The speaker took their voice out of the recording: for its replay's clips that is a no,
    as if they had withdrawn (files without them, or the clip taken down). Returns how many."""
    changed = 0
    voices = (
        Voice.objects.select_for_update()
        .filter(clip__recording=recording, speaker=user)
        .exclude(answer=Voice.Answer.NO)
    )
    for voice in voices.select_related("clip"):
        clip = Clip.objects.select_for_update().get(pk=voice.clip_id)
        if clip.is_gone:
            continue
        withdrawn = voice.answer == Voice.Answer.YES
        voice.answer, voice.by_preference, voice.answered_at = Voice.Answer.NO, True, timezone.now()
        voice.save(update_fields=["answer", "by_preference", "answered_at"])
        if withdrawn and clip.m4a:
            unshare(clip)
        settle(clip)
        changed += 1
    return changed


def expired_requests(now=None):
    return Voice.objects.filter(answer=Voice.Answer.PENDING, expires_at__lte=now or timezone.now())


@transaction.atomic
def do_expire_request(voice_id: int) -> bool:
    """An unanswered request past its time counts as no."""
    updated = expired_requests().filter(pk=voice_id).update(answer=Voice.Answer.EXPIRED, answered_at=timezone.now())
    if updated:
        clip = Clip.objects.select_for_update().get(voices__pk=voice_id)
        settle(clip)
    return bool(updated)


# --- the creator, the host, staff ----------------------------------------------------------
def access_own_clip(user, clip_id) -> Clip:
    clip = access_clip(user, clip_id, lock=True)
    if clip.creator_id != user.pk:
        raise NotAllowed("Only the person who made this clip can do that.", code="not_creator")
    return clip


@transaction.atomic
def do_share_without_declined(user, clip_id) -> Clip:
    clip = access_own_clip(user, clip_id)
    if clip.state != Clip.State.DECIDE:
        raise Conflict("This clip is not waiting for your decision.", code="not_deciding")
    if not clip.voices.filter(answer=Voice.Answer.YES).exists():
        raise Conflict("Nobody in this clip said yes: there is nothing left to share.", code="nobody_left")
    clip.without_declined = True
    clip.save(update_fields=["without_declined"])
    queue_render(clip)
    return clip


@transaction.atomic
def do_drop(user, clip_id) -> Clip:
    clip = access_own_clip(user, clip_id)
    if clip.is_gone:
        raise Conflict("This clip is already gone.", code="clip_gone")
    return remove(clip, Clip.State.DROPPED, "Dropped by its creator.")


@transaction.atomic
def do_delete(user, clip_id) -> Clip:
    """The creator's or the space's host's delete."""
    clip = access_clip(user, clip_id, lock=True)
    if user.pk not in (clip.creator_id, clip.space.host_id):
        raise NotAllowed("Only the clip's creator or the space's host can delete it.", code="not_allowed")
    if clip.is_gone:
        raise Conflict("This clip is already gone.", code="clip_gone")
    reason = "Deleted by its creator." if user.pk == clip.creator_id else "Deleted by the space's host."
    return remove(clip, Clip.State.DROPPED, reason)


@transaction.atomic
def do_take_down(user, clip_id, reason: str = "") -> Clip:
    if not is_staff(user):
        raise NotFound("No such clip.")
    clip = access_clip(user, clip_id, lock=True)
    if clip.is_gone:
        raise Conflict("This clip is already gone.", code="clip_gone")
    return remove(clip, Clip.State.TAKEN_DOWN, (reason or "Taken down by the site's staff.")[:200])


def unshare(clip: Clip) -> None:
    """A voice in the shared files withdrew: nobody hears those files again (deleted after
    commit); the clip is made again without it under new names, or taken down."""
    old = [name for name in (clip.m4a, clip.mp3) if name] + forget_audiogram(clip)
    clip.m4a = clip.mp3 = ""
    clip.heard = []
    clip.state = Clip.State.RENDERING
    clip.save(update_fields=["m4a", "mp3", "heard", "state", *AUDIOGRAM_FIELDS])
    transaction.on_commit(lambda: delete_files(old))


def take_down(clip: Clip, reason: str) -> Clip:
    return remove(clip, Clip.State.TAKEN_DOWN, reason)


def remove(clip: Clip, state: str, reason: str) -> Clip:
    """Gone for everyone: files deleted after commit, requests no longer answerable."""
    old = [name for name in (clip.m4a, clip.mp3) if name] + forget_audiogram(clip)
    clip.state, clip.takedown_reason = state, reason
    clip.m4a = clip.mp3 = ""
    clip.peaks, clip.heard = [], []
    clip.save(update_fields=["state", "takedown_reason", "m4a", "mp3", "peaks", "heard", *AUDIOGRAM_FIELDS])
    Clip.objects.filter(pk=clip.pk).update(version=F("version") + 1)
    if old:
        transaction.on_commit(lambda: delete_files(old))
    return clip


# --- the audiogram ---------------------------------------------------------------------------
AUDIOGRAM_FIELDS = ("audiogram", "audiogram_state", "audiogram_progress", "audiogram_version")


def forget_audiogram(clip: Clip) -> list[str]:
    """The files it was made from are going: so is the audiogram (and a render under way will
    find its claim gone and throw its file away). Returns the file to delete after commit."""
    old = [clip.audiogram] if clip.audiogram else []
    clip.audiogram, clip.audiogram_state, clip.audiogram_progress = "", Clip.Audiogram.NONE, 0.0
    clip.audiogram_version = 0
    return old


@transaction.atomic
def do_request_audiogram(user, clip_id) -> Clip:
    """Queue the MP4 of a shared clip's current files. Asking again while one is queued, being
    made or ready for those files changes nothing (one render per version)."""
    clip = access_clip(user, clip_id, lock=True)
    if clip.state != Clip.State.PUBLISHED or not clip.m4a:
        raise Conflict("Only a shared clip can be made into a video.", code="not_published")
    Audiogram = Clip.Audiogram
    if clip.audiogram_state in (Audiogram.QUEUED, Audiogram.RUNNING, Audiogram.READY):
        # Always for the current files: whatever replaces them forgets the audiogram.
        return clip
    clip.audiogram_state, clip.audiogram_progress = Audiogram.QUEUED, 0.0
    clip.audiogram_version = clip.rendered_version
    clip.save(update_fields=["audiogram_state", "audiogram_progress", "audiogram_version"])
    jobs.queue(AUDIOGRAM, clip.pk)
    return clip


@transaction.atomic
def do_set_clips_allowed(user, space_id, allowed: bool) -> Space:
    """The host's "Let listeners clip it" switch, before or during the space."""
    space = Space.objects.select_for_update().filter(pk=space_id).first() if str(space_id).isdigit() else None
    if space is None:
        raise NotFound("No such space.")
    if not user.is_authenticated or user.pk != space.host_id:
        raise NotAllowed("Only the host can turn clips on or off.", code="not_host")
    if space.allow_clips != allowed:
        space.allow_clips = allowed
        space.save(update_fields=["allow_clips"])
        if space.is_live:
            send_space_event(space.pk, {"type": "clips.allowed", "allowed": allowed})
    return space


def do_set_preference(user, choice: str) -> ConsentPreference:
    if not user.is_authenticated:
        raise NotAllowed("Log in to do that.", code="login_required")
    if choice not in ConsentPreference.Choice.values:
        raise InvalidRequest("Choose always, ask or never.", code="bad_choice")
    pref, _ = ConsentPreference.objects.update_or_create(user=user, defaults={"choice": choice})
    return pref


def do_count_play(clip: Clip) -> None:
    Clip.objects.filter(pk=clip.pk).update(play_count=F("play_count") + 1)


def replay_clips(recording: Recording):
    return Clip.objects.shared().filter(recording=recording).select_related("creator")
