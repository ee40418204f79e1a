"""Who may act on whom: the rank rules shared by every stage action."""

from django.conf import settings

from rooms.errors import NotAllowed, NotFound
from rooms.models import Participant, Space

Role = Participant.Role
RANK: dict[str, int] = {Role.HOST: 3, Role.COHOST: 2, Role.SPEAKER: 1, Role.LISTENER: 1}


def limit(name: str) -> int:
    return settings.ROUNDTABLE[name]


def access_participant(space: Space, user) -> Participant:
    """The actor's own place in the space; anonymous visitors and strangers have none."""
    if not user.is_authenticated:
        raise NotAllowed("Log in to do that.", code="login_required")
    participant = Participant.objects.select_for_update().filter(space=space, user=user).first()
    if participant is None or participant.removed:
        raise NotAllowed("You are not in this space.", code="not_in_space")
    return participant


def access_target(space: Space, user_id) -> Participant:
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise NotFound("No such person in this space.")
    target = Participant.objects.select_for_update().filter(space=space, user_id=user_id, removed=False).first()
    if target is None:
        raise NotFound("No such person in this space.")
    return target


def check_moderates(actor: Participant, target: Participant) -> None:
    """Host and co-hosts act on people of lower rank: a co-host cannot act on a co-host or the host."""
    if not actor.is_moderator:
        raise NotAllowed("Only the host and co-hosts can do that.")
    if actor.pk == target.pk:
        raise NotAllowed("You cannot do that to yourself.")
    if RANK[target.role] >= RANK[actor.role]:
        raise NotAllowed(
            f"A {actor.get_role_display().lower()} cannot do that to the {target.get_role_display().lower()}."
        )


def check_live(space: Space) -> None:
    from rooms.errors import Conflict

    if space.state != Space.State.LIVE:
        raise Conflict("The space is not live.", code="not_live")
