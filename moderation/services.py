"""Moderation actions staff take. Same vocabulary as the other apps: do_* checks the actor
and the state it changes, and refuses with a RoomError the admin reports."""

from django.db import transaction
from django.utils import timezone

from moderation.models import Hold
from rooms.errors import Conflict, NotAllowed, NotFound


def check_staff(user) -> None:
    if not (user.is_authenticated and user.is_staff):
        raise NotAllowed("Only staff can do that.")


@transaction.atomic
def do_release_hold(user, hold_id) -> Hold:
    """Release a hold: the space's moderation copy follows its retention again, so the
    retention job deletes it once it is past its expiry."""
    check_staff(user)
    hold = Hold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("No such hold.")
    if hold.released_at is not None:
        raise Conflict("This hold was already released.", code="released")
    hold.released_at = timezone.now()
    hold.save(update_fields=["released_at"])
    return hold
