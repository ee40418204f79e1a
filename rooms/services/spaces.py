"""A space's life: create or schedule, start, end, cancel; reminders and follows."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.events import send_space_event
from rooms.media.commands import End, send_command
from rooms.models import Follow, Participant, Reminder, Space, Topic
from rooms.services import stagelog
from rooms.services.roles import limit
from rooms.services.snapshot import space_data
from rooms.signals import space_ended, space_started

State = Space.State


def access_space(space_id) -> Space:
    space = Space.objects.filter(pk=space_id).select_related("host").first()
    if space is None:
        raise NotFound("No such space.")
    return space


def access_hosted_space(user, space_id, *, lock: bool = False) -> Space:
    """The space, if `user` is its host. Staff may end any space (moderation)."""
    qs = Space.objects.select_for_update() if lock else Space.objects
    space = qs.filter(pk=space_id).first()
    if space is None:
        raise NotFound("No such space.")
    if not user.is_authenticated or space.host_id != user.pk:
        raise NotAllowed("Only the host can do that.")
    return space


def check_schedule_time(when: datetime | None, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if when is None:
        return
    if when <= now:
        raise InvalidRequest("Pick a time in the future, or start the space now.", code="in_past")
    days = limit("SCHEDULE_MAX_DAYS")
    if when > now + timedelta(days=days):
        raise InvalidRequest(f"Spaces can be scheduled at most {days} days ahead.", code="too_far")


def check_topics(raw: str) -> list[str]:
    names = []
    for part in raw.replace("#", " ").replace(",", " ").split():
        name = part.strip().lower()[:40]
        if name and name not in names:
            names.append(name)
    if len(names) > 5:
        raise InvalidRequest("Pick at most 5 topics.", code="too_many_topics")
    return names


def check_no_other_live_space(host) -> None:
    if Space.objects.filter(host=host, state=State.LIVE).exists():
        raise Conflict("You are already hosting a live space: end it first.", code="already_live")


@transaction.atomic
def do_create_space(
    host,
    *,
    title: str,
    description: str = "",
    topics: Sequence[str] = (),
    record: bool = False,
    allow_clips: bool = True,
    captions: bool = False,
    scheduled_for: datetime | None = None,
) -> Space:
    if not host.is_authenticated:
        raise NotAllowed("Log in to host a space.", code="login_required")
    check_schedule_time(scheduled_for)
    topics = check_topics(" ".join(topics))
    start_now = scheduled_for is None
    if start_now:
        check_no_other_live_space(host)
    now = timezone.now()
    space = Space.objects.create(
        host=host,
        title=title,
        description=description,
        record=record,
        allow_clips=allow_clips,
        captions=captions,
        scheduled_for=scheduled_for,
        state=State.LIVE if start_now else State.SCHEDULED,
        started_at=now if start_now else None,
        recording=record and start_now,
        last_presence_at=now,
    )
    if topics:
        space.topics.set([Topic.objects.get_or_create(name=name)[0] for name in topics])
    Participant.objects.create(space=space, user=host, role=Participant.Role.HOST)
    if start_now:
        _after_start(space)
    return space


def _after_start(space: Space) -> None:
    # The stage log opens with the host and whoever was already waiting in the room.
    here = space.participants.filter(removed=False).filter(Q(present=True) | Q(role=Participant.Role.HOST))
    for participant in here:
        stagelog.note(space.pk, participant.user_id, participant.role, at=space.started_at)
    # Followers and reminder holders are told by a job that reacts to this (rooms/receivers.py).
    space_started.send(sender=Space, space=space)


@transaction.atomic
def do_start_space(user, space_id) -> Space:
    space = access_hosted_space(user, space_id, lock=True)
    if space.state != State.SCHEDULED:
        raise Conflict("Only a scheduled space can be started.", code="not_scheduled")
    check_no_other_live_space(space.host)
    space.state = State.LIVE
    space.started_at = space.last_presence_at = timezone.now()
    space.recording = space.record
    space.save(update_fields=["state", "started_at", "last_presence_at", "recording"])
    send_space_event(space.pk, {"type": "space.started", "space": space_data(space)})
    _after_start(space)
    return space


def _close(space_id, *, from_state: str, to_state: str, reason: str) -> Space | None:
    """The one way a space closes (host, staff or a beat job): a conditional update, so two
    closers racing never both close it. None when the space was no longer in `from_state`."""
    claimed = Space.objects.filter(pk=space_id, state=from_state).update(
        state=to_state, ended_at=timezone.now(), recording=False
    )
    if not claimed:
        return None
    space = Space.objects.get(pk=space_id)
    if to_state == State.ENDED:
        space_ended.send(sender=Space, space=space)
    space.participants.filter(present=True).update(hand_raised_at=None, invited_by=None)
    send_space_event(space.pk, {"type": "space.ended", "reason": reason, "space": space_data(space)})
    send_command(space.pk, End())
    return space


@transaction.atomic
def do_end_space(user, space_id, *, reason: str = "host") -> Space:
    """The host ends a live space; staff may end any space."""
    if user.is_authenticated and user.is_staff:
        space = Space.objects.select_for_update().filter(pk=space_id).first()
        if space is None:
            raise NotFound("No such space.")
        reason = "host" if space.host_id == user.pk else "staff"
    else:
        space = access_hosted_space(user, space_id, lock=True)
    if space.state != State.LIVE:
        raise Conflict("The space is not live.", code="not_live")
    closed = _close(space.pk, from_state=State.LIVE, to_state=State.ENDED, reason=reason)
    assert closed is not None  # the row is locked and was live
    return closed


@transaction.atomic
def do_cancel_space(user, space_id) -> Space:
    space = access_hosted_space(user, space_id, lock=True)
    if space.state != State.SCHEDULED:
        raise Conflict("Only a scheduled space can be cancelled.", code="not_scheduled")
    closed = _close(space.pk, from_state=State.SCHEDULED, to_state=State.CANCELLED, reason="cancelled")
    assert closed is not None  # the row is locked and was scheduled
    return closed


def do_close_space_by_job(space_id, *, from_state: str, to_state: str, reason: str) -> bool:
    """Beat jobs (no-show, empty space) close a space the same way the host does."""
    with transaction.atomic():
        return _close(space_id, from_state=from_state, to_state=to_state, reason=reason) is not None


def do_set_reminder(user, space_id, on: bool) -> bool:
    if not user.is_authenticated:
        raise NotAllowed("Log in to get a reminder.", code="login_required")
    space = access_space(space_id)
    if space.state != State.SCHEDULED:
        raise Conflict("Reminders are for spaces that have not started yet.", code="not_scheduled")
    if on:
        Reminder.objects.get_or_create(user=user, space=space)
    else:
        Reminder.objects.filter(user=user, space=space).delete()
    return on


def do_follow(user, host, on: bool) -> bool:
    if not user.is_authenticated:
        raise NotAllowed("Log in to follow people.", code="login_required")
    if user.pk == host.pk:
        raise InvalidRequest("You cannot follow yourself.", code="self_follow")
    if on:
        Follow.objects.get_or_create(follower=user, host=host)
    else:
        Follow.objects.filter(follower=user, host=host).delete()
    return on
