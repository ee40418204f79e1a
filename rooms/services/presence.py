"""Who is in the room right now.

A logged-in person has one Participant row per space with a count of open sockets;
guests are a counter on the space. When someone's last socket closes they keep their
place for PRESENCE_GRACE_SECONDS, so a reconnecting phone does not drop off the stage.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rooms.accounts import check_not_suspended, is_blocked
from rooms.errors import Conflict, NotAllowed, NotFound
from rooms.events import send_space_event
from rooms.media.commands import Drop, send_command
from rooms.models import Participant, Space, StageChange
from rooms.services import stagelog
from rooms.services.roles import limit

Role = Participant.Role


def access_room(space_id) -> Space:
    space = Space.objects.filter(pk=space_id).first()
    if space is None:
        raise NotFound("No such space.")
    if not space.is_open:
        raise Conflict("This space has ended.", code="space_ended")
    return space


@transaction.atomic
def do_connect(space_id, user) -> tuple[Space, Participant | None, bool]:
    """Count a new socket. Returns the space, the person's row (None for guests) and
    whether they just arrived (rather than opened another tab or came back in grace)."""
    space = access_room(space_id)
    now = timezone.now()
    Space.objects.filter(pk=space.pk).update(last_presence_at=now)
    if not user.is_authenticated:
        Space.objects.filter(pk=space.pk).update(guest_listeners=F("guest_listeners") + 1)
        # The snapshot counts listeners from this object: include the guest who just came.
        space.refresh_from_db(fields=["guest_listeners"])
        return space, None, True
    if not user.is_active:
        raise NotAllowed("This account is suspended.", code="suspended")
    # The auth backend already reads a suspended account's session as signed out; this
    # holds for a user object handed in directly.
    check_not_suspended(user)
    if is_blocked(space.host_id, user.pk):
        raise NotAllowed("The host of this space has blocked you.", code="blocked")
    participant, _ = Participant.objects.select_for_update().get_or_create(space=space, user=user)
    if participant.removed:
        raise NotAllowed("You were removed from this space.", code="removed")
    arrived = not participant.present
    participant.connections = F("connections") + 1
    participant.present = True
    participant.disconnected_at = None
    if arrived:
        participant.joined_at = now
    participant.save(update_fields=["connections", "present", "disconnected_at", "joined_at"])
    participant.refresh_from_db()
    if arrived and space.is_live:
        stagelog.note_participant(participant)
    return space, participant, arrived


@transaction.atomic
def do_disconnect(space_id, user) -> None:
    now = timezone.now()
    Space.objects.filter(pk=space_id).update(last_presence_at=now)
    if not user.is_authenticated:
        Space.objects.filter(pk=space_id, guest_listeners__gt=0).update(guest_listeners=F("guest_listeners") - 1)
        return
    Participant.objects.filter(space_id=space_id, user=user, connections__gt=0).update(connections=F("connections") - 1)
    Participant.objects.filter(space_id=space_id, user=user, connections=0, present=True).update(disconnected_at=now)


def do_expire_presence(space_id, user_id) -> Participant | None:
    """Mark someone gone if their grace ran out with no socket open. Idempotent: the
    conditional update means only one caller (consumer timer or beat sweep) wins."""
    cutoff = timezone.now() - timedelta(seconds=limit("PRESENCE_GRACE_SECONDS"))
    with transaction.atomic():
        gone = Participant.objects.filter(
            space_id=space_id, user_id=user_id, present=True, connections=0, disconnected_at__lte=cutoff
        ).update(present=False, hand_raised_at=None, invited_by=None)
        if not gone:
            return None
        # Out of the mix now: the room hears of it in the next batch, the engine must not wait.
        send_command(space_id, Drop(user_id, "left"))
        participant = Participant.objects.select_related("user").get(space_id=space_id, user_id=user_id)
        stagelog.note(space_id, user_id, StageChange.Kind.LEFT)
        if participant.role == Role.SPEAKER:
            # Speakers who leave come back as listeners; host and co-hosts keep their role.
            participant.role = Role.LISTENER
            participant.muted = True
            participant.muted_by_moderator = False
            participant.save(update_fields=["role", "muted", "muted_by_moderator"])
    return participant


def do_sweep_presence() -> int:
    """Beat job's safety net for timers lost with a restarted process."""
    cutoff = timezone.now() - timedelta(seconds=limit("PRESENCE_GRACE_SECONDS"))
    due = Participant.objects.filter(present=True, connections=0, disconnected_at__lte=cutoff)
    count = 0
    for space_id, user_id in due.values_list("space_id", "user_id"):
        if do_expire_presence(space_id, user_id):
            send_space_event(space_id, {"type": "participant.left", "user_id": user_id, "reason": "left"})
            count += 1
    return count
