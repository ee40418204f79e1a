"""What the room socket tells people: one participant, and the whole room on connect."""

from django.conf import settings
from django.db.models import Q

from rooms.accounts import blocked_ids
from rooms.models import Participant, Space
from rooms.services.roles import limit

Role = Participant.Role
STAGE_ORDER: dict[str, int] = {Role.HOST: 0, Role.COHOST: 1, Role.SPEAKER: 2, Role.LISTENER: 3}


def display_name(user) -> str:
    return user.get_full_name() or user.username


def participant_data(p: Participant) -> dict:
    return {
        "user_id": p.user_id,
        "username": p.user.username,
        "name": display_name(p.user),
        "role": p.role,
        "muted": p.muted,
        "muted_by_moderator": p.muted_by_moderator,
        "hand_raised_at": p.hand_raised_at.isoformat() if p.hand_raised_at else None,
        "invited": p.invited_by_id is not None,
        "present": p.present,
        "recording_opt_out": p.recording_opt_out,
    }


def space_data(space: Space) -> dict:
    return {
        "id": space.pk,
        "title": space.title,
        "state": space.state,
        "host_id": space.host_id,
        "record": space.record,
        "recording": space.recording,
        "allow_clips": space.allow_clips,
        "captions": space.captions,
        "started_at": space.started_at.isoformat() if space.started_at else None,
        "ended_at": space.ended_at.isoformat() if space.ended_at else None,
    }


def listener_count(space: Space) -> int:
    members = Participant.objects.filter(space=space, present=True, role=Role.LISTENER).count()
    return members + space.guest_listeners


def room_snapshot(space: Space, viewer: Participant | None) -> dict:
    """Everyone on stage, everyone with a hand up or an invitation, and the first listeners.

    Listeners past the cap are only counted: a snapshot for a space of ten thousand
    must stay small, and nobody reads ten thousand names.
    """
    base = Participant.objects.filter(space=space, removed=False).select_related("user")
    wanted = Q(present=True, role__in=Participant.STAGE_ROLES) | Q(present=True, hand_raised_at__isnull=False)
    wanted |= Q(present=True, invited_by__isnull=False)
    featured = list(base.filter(wanted))
    featured_ids = [p.pk for p in featured]
    listeners = list(
        base.filter(present=True, role=Role.LISTENER)
        .exclude(pk__in=featured_ids)
        .order_by("joined_at")[: limit("LISTENERS_IN_SNAPSHOT")]
    )
    people = sorted(featured + listeners, key=lambda p: (STAGE_ORDER[p.role], p.joined_at))
    return {
        "type": "snapshot",
        "space": space_data(space),
        "you": participant_data(viewer) if viewer else None,
        "participants": [participant_data(p) for p in people],
        "listener_count": listener_count(space),
        "limits": {
            "cohosts": limit("MAX_COHOSTS"),
            "speakers": limit("MAX_SPEAKERS"),
            # What the page tells someone opting out: how long the moderation copy keeps them.
            "retention_days": settings.RECORDINGS["RETENTION_DAYS"],
        },
        # The viewer does not see reactions from the people they blocked.
        "blocked_user_ids": blocked_ids(viewer.user_id) if viewer else [],
    }
