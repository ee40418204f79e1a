"""Who is on stage and who may talk: hands, invitations, co-hosts, mute and removal.

Every function takes the acting user, checks their role in a transaction with the rows
locked, changes the participant rows and sends the delta after commit.
"""

from django.db import transaction
from django.utils import timezone

from rooms.accounts import check_not_suspended, is_blocked, is_suspended
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.events import send_space_event
from rooms.media.commands import Drop, send_command, stage_command
from rooms.models import Participant, Space
from rooms.services import stagelog
from rooms.services.roles import access_participant, access_target, check_live, check_moderates, limit
from rooms.services.snapshot import participant_data

Role = Participant.Role


def lock_space(space_id) -> Space:
    space = Space.objects.select_for_update().filter(pk=space_id).first()
    if space is None:
        raise NotFound("No such space.")
    return space


def lock_live_space(space_id) -> Space:
    space = lock_space(space_id)
    check_live(space)
    return space


def _moderate(user, space_id, target_id) -> tuple[Space, Participant, Participant]:
    """Lock the live space and check that `user` may act on `target_id` (host and co-hosts
    act on people they outrank)."""
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    target = access_target(space, target_id)
    check_moderates(me, target)
    return space, me, target


def announce(p: Participant) -> None:
    send_space_event(p.space_id, {"type": "participant.updated", "participant": participant_data(p)})


# A change to any of these may change what the engine mixes of that person.
ENGINE_FIELDS = {"role", "muted", "present", "removed"}


def tell_engine(p: Participant) -> None:
    send_command(p.space_id, stage_command(p))


def _save(p: Participant, *fields: str) -> Participant:
    p.save(update_fields=list(fields))
    if "role" in fields:
        stagelog.note_participant(p)
    announce(p)
    if ENGINE_FIELDS.intersection(fields):
        tell_engine(p)
    return p


def _check_stage_room(space: Space, role: str) -> None:
    if role == Role.SPEAKER:
        taken = space.participants.filter(role=Role.SPEAKER, removed=False).count()
        if taken >= limit("MAX_SPEAKERS"):
            raise Conflict(f"The stage is full ({taken} speakers).", code="stage_full")
    elif role == Role.COHOST:
        taken = space.participants.filter(role=Role.COHOST, removed=False).count()
        if taken >= limit("MAX_COHOSTS"):
            raise Conflict(f"A space can have {taken} co-hosts at most.", code="cohosts_full")


def check_may_speak(space: Space, p: Participant, *, yourself: bool) -> None:
    """Whoever goes on stage, or asks to: not a suspended account, nor someone the host blocked."""
    if yourself:
        check_not_suspended(p.user)
    elif is_suspended(p.user):
        raise NotAllowed("This account is suspended.", code="suspended")
    if is_blocked(space.host_id, p.user_id):
        who = "You are" if yourself else "They are"
        raise NotAllowed(f"{who} blocked by the host of this space.", code="blocked")


def _to_stage(p: Participant, role: str) -> Participant:
    p.role = role
    p.hand_raised_at = None
    p.invited_by = None
    # Nobody's microphone opens by being brought up: they unmute themselves.
    p.muted = True
    return _save(p, "role", "hand_raised_at", "invited_by", "muted")


def _to_listener(p: Participant) -> Participant:
    p.role = Role.LISTENER
    p.muted = True
    p.muted_by_moderator = False
    p.invited_by = None
    return _save(p, "role", "muted", "muted_by_moderator", "invited_by")


@transaction.atomic
def do_raise_hand(user, space_id) -> Participant:
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    if me.on_stage:
        raise Conflict("You are already on stage.", code="already_on_stage")
    if me.hand_raised_at:
        return me
    check_may_speak(space, me, yourself=True)
    me.hand_raised_at = timezone.now()
    return _save(me, "hand_raised_at")


@transaction.atomic
def do_lower_hand(user, space_id, target_id=None) -> Participant:
    """Lower your own hand, or (host, co-host) someone else's."""
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    target = me
    if target_id is not None and target_id != user.pk:
        target = access_target(space, target_id)
        check_moderates(me, target)
    target.hand_raised_at = None
    return _save(target, "hand_raised_at")


@transaction.atomic
def do_bring_up(user, space_id, target_id) -> Participant:
    """Host or co-host brings a listener who asked to speak onto the stage."""
    space, me, target = _moderate(user, space_id, target_id)
    if target.role != Role.LISTENER:
        raise Conflict("They are already on stage.", code="already_on_stage")
    if not target.hand_raised_at:
        raise Conflict("They have not asked to speak: invite them instead.", code="hand_not_raised")
    check_may_speak(space, target, yourself=False)
    _check_stage_room(space, Role.SPEAKER)
    return _to_stage(target, Role.SPEAKER)


@transaction.atomic
def do_invite_to_speak(user, space_id, target_id) -> Participant:
    space, me, target = _moderate(user, space_id, target_id)
    if target.role != Role.LISTENER:
        raise Conflict("They are already on stage.", code="already_on_stage")
    if not target.present:
        raise Conflict("They are not in the space right now.", code="not_present")
    check_may_speak(space, target, yourself=False)
    _check_stage_room(space, Role.SPEAKER)
    target.invited_by = user
    _save(target, "invited_by")
    send_space_event(space.pk, {"type": "invited", "by": me.user_id, "by_name": user.username}, to_user=target.user_id)
    return target


@transaction.atomic
def do_answer_invite(user, space_id, accept: bool) -> Participant:
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    if me.invited_by_id is None or me.role != Role.LISTENER:
        raise Conflict("You have no invitation to speak.", code="no_invitation")
    if not accept:
        me.invited_by = None
        return _save(me, "invited_by")
    check_may_speak(space, me, yourself=True)
    _check_stage_room(space, Role.SPEAKER)
    return _to_stage(me, Role.SPEAKER)


@transaction.atomic
def do_step_down(user, space_id) -> Participant:
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    if me.role == Role.HOST:
        raise NotAllowed("The host stays on stage: end the space instead.", code="host_stays")
    if me.role == Role.LISTENER:
        raise Conflict("You are not on stage.", code="not_on_stage")
    return _to_listener(me)


@transaction.atomic
def do_move_to_listener(user, space_id, target_id) -> Participant:
    space, me, target = _moderate(user, space_id, target_id)
    if not target.on_stage:
        raise Conflict("They are not on stage.", code="not_on_stage")
    return _to_listener(target)


@transaction.atomic
def do_set_cohost(user, space_id, target_id, on: bool) -> Participant:
    """Only the host names or unnames co-hosts."""
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    if me.role != Role.HOST:
        raise NotAllowed("Only the host names co-hosts.")
    target = access_target(space, target_id)
    if target.pk == me.pk:
        raise InvalidRequest("The host cannot be a co-host.", code="self")
    if on:
        if target.role == Role.COHOST:
            return target
        check_may_speak(space, target, yourself=False)
        _check_stage_room(space, Role.COHOST)
        return _to_stage(target, Role.COHOST) if not target.on_stage else _save_role(target, Role.COHOST)
    if target.role != Role.COHOST:
        raise Conflict("They are not a co-host.", code="not_cohost")
    # They stay on stage as a speaker, which needs a free speaker's place like anyone else.
    _check_stage_room(space, Role.SPEAKER)
    return _save_role(target, Role.SPEAKER)


def _save_role(p: Participant, role: str) -> Participant:
    p.role = role
    return _save(p, "role")


@transaction.atomic
def do_set_muted(user, space_id, target_id, muted: bool) -> Participant:
    """Mute or unmute yourself; hosts and co-hosts mute others (and that mute holds)."""
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    if target_id is None or target_id == user.pk:
        if not me.on_stage:
            raise Conflict("Only people on stage have a microphone.", code="not_on_stage")
        if not muted and me.muted_by_moderator:
            raise NotAllowed("The host muted you: you can unmute once they allow it.", code="muted_by_host")
        if not muted:
            check_not_suspended(user)
        me.muted = muted
        return _save(me, "muted")
    if not muted:
        # Privacy: nobody opens someone else's microphone.
        raise NotAllowed("Only speakers unmute themselves.", code="unmute_others")
    target = access_target(space, target_id)
    check_moderates(me, target)
    if not target.on_stage:
        raise Conflict("They are not on stage.", code="not_on_stage")
    target.muted = True
    target.muted_by_moderator = True
    return _save(target, "muted", "muted_by_moderator")


@transaction.atomic
def do_mute_by_staff(user, space_id, target_id) -> Participant:
    """Staff mute anyone on stage in a live space, the host too, without being in it
    (moderation acts from the admin); the hosts cannot lift it below the host's rank, and
    the engine stops mixing the voice at once."""
    if not (user.is_authenticated and user.is_staff):
        raise NotAllowed("Only staff can do that.")
    space = lock_live_space(space_id)
    target = access_target(space, target_id)
    if not target.on_stage:
        raise Conflict("They are not on stage.", code="not_on_stage")
    target.muted = True
    target.muted_by_moderator = True
    return _save(target, "muted", "muted_by_moderator")


@transaction.atomic
def do_allow_unmute(user, space_id, target_id) -> Participant:
    space, me, target = _moderate(user, space_id, target_id)
    target.muted_by_moderator = False
    return _save(target, "muted_by_moderator")


@transaction.atomic
def do_mute_all(user, space_id) -> int:
    """Mute everyone on stage whom the actor outranks."""
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    if not me.is_moderator:
        raise NotAllowed("Only the host and co-hosts can do that.")
    roles = [Role.SPEAKER] if me.role == Role.COHOST else [Role.SPEAKER, Role.COHOST]
    targets = list(space.participants.select_related("user").filter(role__in=roles, removed=False).exclude(pk=me.pk))
    for target in targets:
        target.muted = True
        target.muted_by_moderator = True
    Participant.objects.bulk_update(targets, ["muted", "muted_by_moderator"])
    for target in targets:
        announce(target)
        tell_engine(target)
    return len(targets)


@transaction.atomic
def do_remove(user, space_id, target_id) -> Participant:
    """Remove someone from the space for good: they cannot rejoin it.

    Host and co-hosts remove people they outrank; staff may remove anyone but the host.
    """
    space = lock_space(space_id)
    target = access_target(space, target_id)
    if user.is_authenticated and user.is_staff and space.host_id != user.pk:
        if target.role == Role.HOST:
            raise NotAllowed("End the space to remove its host.", code="remove_host")
    else:
        check_live(space)
        check_moderates(access_participant(space, user), target)
    target.removed = True
    target.present = False
    target.role = Role.LISTENER
    target.muted = True
    target.muted_by_moderator = False
    target.hand_raised_at = None
    target.invited_by = None
    target.save(
        update_fields=["removed", "present", "role", "muted", "muted_by_moderator", "hand_raised_at", "invited_by"]
    )
    stagelog.note_participant(target)
    send_space_event(space.pk, {"type": "participant.left", "user_id": target.user_id, "reason": "removed"})
    send_space_event(space.pk, {"type": "removed", "space_id": space.pk}, to_user=target.user_id)
    tell_engine(target)
    return target


def access_microphone(user, space_id) -> Participant:
    """Only people on stage in a live space may send audio to the engine."""
    with transaction.atomic():
        space = lock_live_space(space_id)
        me = access_participant(space, user)
        check_not_suspended(user)
    if not me.on_stage:
        raise NotAllowed("Only people on stage can send audio.", code="not_on_stage")
    return me


@transaction.atomic
def do_stop_audio(user, space_id) -> Participant:
    """The page closed its audio connection: the engine drops it. Checked like every other
    message, so it neither starts an engine nor assigns one for a space that is not live."""
    space = lock_live_space(space_id)
    me = access_participant(space, user)
    send_command(space.pk, Drop(me.user_id, "stopped"))
    return me
