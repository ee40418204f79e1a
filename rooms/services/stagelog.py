"""The log of who was in a live space and in which role, over time (StageChange rows).

Written by every path that brings someone in, changes their role or takes them out; read by
moderation to see who was on stage at a reported moment (the Participant row only holds
the role now)."""

from datetime import datetime

from django.utils import timezone

from rooms.models import Participant, Space, StageChange

Kind = StageChange.Kind
GONE = (Kind.LEFT, Kind.REMOVED)
ORDER: dict[str, int] = {Kind.HOST: 0, Kind.COHOST: 1, Kind.SPEAKER: 2, Kind.LISTENER: 3}


def note(space_id: int, user_id: int, role: str, at: datetime | None = None) -> StageChange:
    """One change: `role` is a participant role, or left / removed."""
    return StageChange.objects.create(space_id=space_id, user_id=user_id, role=role, at=at or timezone.now())


def note_participant(p: Participant) -> StageChange:
    return note(p.space_id, p.user_id, Kind.REMOVED if p.removed else p.role)


def roles_at(space_id: int, at: datetime) -> list[tuple]:
    """Who was in the space at `at` and in which role: each person's last change at or before
    that moment, leaving out those who had left or been removed. Host first, then co-hosts,
    speakers and listeners, each by username. Nobody is in a space after it ended."""
    ended_at = Space.objects.filter(pk=space_id).values_list("ended_at", flat=True).first()
    if ended_at is not None and at > ended_at:
        return []
    last: dict[int, StageChange] = {}
    changes = StageChange.objects.filter(space_id=space_id, at__lte=at).select_related("user").order_by("at", "pk")
    for change in changes:
        last[change.user_id] = change
    present = [(c.user, c.role) for c in last.values() if c.role not in GONE]
    return sorted(present, key=lambda pair: (ORDER[pair[1]], pair[0].username))
