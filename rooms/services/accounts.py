"""Suspending people and blocking them: the changes. What is refused because of them is
decided in rooms/accounts.py.

These write no audit rows: moderation wraps do_suspend and do_lift_suspension in its own
audited actions (moderation/services.py)."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rooms.accounts import suspension_message
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.events import send_space_event
from rooms.models import Block, Follow, Notification, Participant, Space, StageChange, Suspension
from rooms.services import stagelog
from rooms.services.spaces import do_close_space_by_job
from rooms.services.stage import announce, tell_engine

User = get_user_model()
Role = Participant.Role
REASON_LENGTH: int = Suspension._meta.get_field("reason").max_length or 500


def check_moderator(actor) -> None:
    if not (actor.is_authenticated and actor.is_staff and actor.has_perm("moderation.moderate")):
        raise NotAllowed("Only moderators can suspend people.", code="not_moderator")


def access_person(user_id):
    person = User.objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
    if person is None:
        raise NotFound("No such person.")
    return person


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Say why: the person is told.", code="no_reason")
    if len(reason) > REASON_LENGTH:
        raise InvalidRequest(f"The reason is too long ({REASON_LENGTH} characters at most).", code="bad_reason")
    return reason


@transaction.atomic
def do_suspend(actor, user_id, *, until: datetime | None, reason: str) -> Suspension:
    """Suspend someone until `until` (None: for good). Their sessions read as signed out from
    their next request on (rooms/auth_backend.py); here they leave every live space they are
    in: off the stage and out of the mix, their room sockets closed."""
    check_moderator(actor)
    person = access_person(user_id)
    if person.pk == actor.pk:
        raise NotAllowed("You cannot suspend yourself.", code="self")
    if person.is_staff:
        raise NotAllowed("Staff accounts cannot be suspended: take away their staff status first.", code="staff")
    if until is not None and until <= timezone.now():
        raise InvalidRequest("Pick an end in the future, or suspend for good.", code="in_past")
    reason = check_reason(reason)
    suspension = Suspension.objects.create(user=person, until=until, reason=reason, created_by=actor)
    message = suspension_message(suspension)
    # Rows with nothing to undo (a listener who left earlier) are left alone.
    involved = Q(present=True) | Q(role__in=Participant.STAGE_ROLES)
    involved |= Q(hand_raised_at__isnull=False) | Q(invited_by__isnull=False)
    rows = Participant.objects.select_for_update().filter(
        involved, user=person, removed=False, space__state=Space.State.LIVE
    )
    for participant in rows.select_related("user"):
        if participant.role == Role.HOST:
            # Nobody could end the space or act as its host: it ends.
            do_close_space_by_job(
                participant.space_id, from_state=Space.State.LIVE, to_state=Space.State.ENDED, reason="staff"
            )
            continue
        _take_out(participant, message, suspension)
    Notification.objects.create(user=person, text=message[:200])
    return suspension


def _take_out(p: Participant, message: str, suspension: Suspension) -> None:
    was_present = p.present
    p.role = Role.LISTENER
    p.present = False
    p.muted = True
    p.muted_by_moderator = False
    p.hand_raised_at = None
    p.invited_by = None
    p.save(update_fields=["role", "present", "muted", "muted_by_moderator", "hand_raised_at", "invited_by"])
    tell_engine(p)
    if was_present:
        stagelog.note(p.space_id, p.user_id, StageChange.Kind.LEFT)
        send_space_event(p.space_id, {"type": "participant.left", "user_id": p.user_id, "reason": "suspended"})
    else:
        announce(p)
    event = {
        "type": "suspended",
        "message": message,
        "until": suspension.until.isoformat() if suspension.until else None,
    }
    send_space_event(p.space_id, event, to_user=p.user_id)


@transaction.atomic
def do_lift_suspension(actor, suspension_id) -> Suspension:
    check_moderator(actor)
    suspension = (
        Suspension.objects.select_for_update().filter(pk=suspension_id).first()
        if str(suspension_id).isdigit()
        else None
    )
    if suspension is None:
        raise NotFound("No such suspension.")
    if suspension.lifted_at is not None:
        raise Conflict("This suspension was already lifted.", code="already_lifted")
    suspension.lifted_at = timezone.now()
    suspension.lifted_by = actor
    suspension.save(update_fields=["lifted_at", "lifted_by"])
    Notification.objects.create(user_id=suspension.user_id, text="Your suspension was lifted: welcome back.")
    return suspension


@transaction.atomic
def do_block(user, blocked_user_id) -> Block:
    """`user` blocks someone: kept out of the spaces `user` hosts, off their stage, out of
    clips of their voice, and their reactions hidden from `user`. They stop following `user`,
    and a hand they have up in a live space `user` hosts comes down."""
    if not user.is_authenticated:
        raise NotAllowed("Log in to block people.", code="login_required")
    person = access_person(blocked_user_id)
    if person.pk == user.pk:
        raise InvalidRequest("You cannot block yourself.", code="self_block")
    block, _ = Block.objects.get_or_create(blocker=user, blocked=person)
    Follow.objects.filter(follower=person, host=user).delete()
    waiting = Participant.objects.select_for_update().filter(
        user=person, space__host=user, space__state=Space.State.LIVE, role=Role.LISTENER
    )
    for participant in waiting.exclude(hand_raised_at__isnull=True, invited_by__isnull=True).select_related("user"):
        participant.hand_raised_at = None
        participant.invited_by = None
        participant.save(update_fields=["hand_raised_at", "invited_by"])
        announce(participant)
    return block


@transaction.atomic
def do_unblock(user, blocked_user_id) -> bool:
    """Whether there was a block to lift."""
    if not user.is_authenticated:
        raise NotAllowed("Log in to unblock people.", code="login_required")
    person = access_person(blocked_user_id)
    deleted, _ = Block.objects.filter(blocker=user, blocked=person).delete()
    return bool(deleted)
