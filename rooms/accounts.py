"""What rooms enforces about an account: suspensions (refused at sign-in, on the room socket,
on stage and when clipping) and blocks between two people.

Staff suspend through moderation; the rules live here because rooms is the lowest app that
has to apply them, and the apps above import them from here."""

from datetime import UTC

from rooms.errors import NotAllowed
from rooms.models import Block, Suspension


def suspension_of(user) -> Suspension | None:
    """The suspension in force for `user` (the one lasting longest), or None."""
    if user is None or not getattr(user, "pk", None):
        return None
    in_force = Suspension.objects.in_force().filter(user_id=user.pk)
    # A suspension for good (until NULL) outlasts any dated one.
    forever = in_force.filter(until__isnull=True).first()
    return forever or in_force.order_by("-until").first()


def is_suspended(user) -> bool:
    if user is None or not getattr(user, "pk", None):
        return False
    return Suspension.objects.in_force().filter(user_id=user.pk).exists()


def suspension_message(s: Suspension) -> str:
    if s.until is None:
        text = "Your account is suspended for good"
    else:
        until = s.until.astimezone(UTC)
        text = f"Your account is suspended until {until.day} {until:%b %Y %H:%M} UTC"
    return f"{text}: {s.reason}" if s.reason else f"{text}."


def check_not_suspended(user) -> None:
    suspension = suspension_of(user)
    if suspension is not None:
        raise NotAllowed(suspension_message(suspension), code="suspended")


def is_blocked(blocker_id, blocked_id) -> bool:
    """Whether `blocker_id` has blocked `blocked_id`."""
    if not blocker_id or not blocked_id:
        return False
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def blocked_ids(blocker_id) -> list[int]:
    """The people `blocker_id` has blocked (the room hides their reactions from them)."""
    if not blocker_id:
        return []
    return list(Block.objects.filter(blocker_id=blocker_id).order_by("blocked_id").values_list("blocked_id", flat=True))


def blockers_of(blocked_id, among) -> set[int]:
    """Which of the users `among` have blocked `blocked_id`."""
    if not blocked_id:
        return set()
    return set(
        Block.objects.filter(blocked_id=blocked_id, blocker_id__in=list(among)).values_list("blocker_id", flat=True)
    )
