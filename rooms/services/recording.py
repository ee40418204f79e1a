"""Recording a live space: the host starts and stops the recorder, a speaker may leave their
voice out of the published recording. The engine always captures everything (the moderation
copy); these only mark which spans of the space's clock the published recording covers."""

from django.db import transaction
from django.utils import timezone

from rooms.errors import Conflict
from rooms.events import send_space_event
from rooms.models import Participant, Space
from rooms.services.roles import access_participant
from rooms.services.spaces import access_hosted_space
from rooms.services.stage import announce, lock_live_space
from rooms.signals import recording_switched


@transaction.atomic
def do_set_recording(user, space_id, on: bool) -> Space:
    """The host starts or stops the recorder. Everyone in the space is told."""
    space = access_hosted_space(user, space_id, lock=True)
    if space.state != Space.State.LIVE:
        raise Conflict("Only a live space can be recorded.", code="not_live")
    if space.recording == on:
        return space
    space.recording = on
    space.record = space.record or on  # a space recorded at any point is shown as recorded
    space.save(update_fields=["recording", "record"])
    recording_switched.send(sender=Space, space=space, on=on, at=timezone.now())
    send_space_event(space.pk, {"type": "space.recording", "recording": on})
    return space


@transaction.atomic
def do_set_recording_opt_out(user, space_id, opt_out: bool) -> Participant:
    """Anyone signed in to a space may leave their voice out of its published recording
    (it matters once they speak). The moderation copy keeps it all the same."""
    space = lock_live_space(space_id)
    participant = access_participant(space, user)
    if participant.recording_opt_out != opt_out:
        participant.recording_opt_out = opt_out
        participant.save(update_fields=["recording_opt_out"])
        announce(participant)
    return participant
