"""rooms.services.stage.do_mute_by_staff: staff (moderation calls it for moderators) mute
anyone on stage in a live space without being in it; nobody else may, and the mute holds."""

import pytest

from rooms.errors import Conflict, NotAllowed, NotFound
from rooms.media.commands import Mute
from rooms.models import Participant, Space
from rooms.services import stage
from tests.rooms.service_helpers import OK, attempt, outcomes


def place(people, persona) -> Participant:
    return Participant.objects.get(space=people.space, user=getattr(people, persona))


@pytest.mark.parametrize("persona, expected", outcomes(staff=OK))
def test_it_lets_only_staff_use_the_staff_mute(people, persona, expected):
    attempt(
        people, lambda: stage.do_mute_by_staff(getattr(people, persona), people.space.pk, people.speaker.pk), expected
    )

    if expected is OK:
        speaker = place(people, "speaker")
        assert (speaker.muted, speaker.muted_by_moderator) == (True, True)


def test_it_mutes_the_host_too_and_tells_the_engine(people, monkeypatch, django_capture_on_commit_callbacks):
    Participant.objects.filter(space=people.space, user=people.host).update(muted=False, present=True)
    engine = []
    monkeypatch.setattr("rooms.media.commands.send_now", lambda space_id, command: engine.append((space_id, command)))

    with django_capture_on_commit_callbacks(execute=True):
        stage.do_mute_by_staff(people.staff, people.space.pk, people.host.pk)

    assert place(people, "host").muted_by_moderator is True
    assert engine == [(people.space.pk, Mute(people.host.pk, True))]


def test_it_refuses_muting_a_listener(people):
    with pytest.raises(Conflict):
        stage.do_mute_by_staff(people.staff, people.space.pk, people.listener.pk)


def test_it_refuses_a_space_that_is_not_live(people):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED)
    with pytest.raises(Conflict):
        stage.do_mute_by_staff(people.staff, people.space.pk, people.speaker.pk)


@pytest.mark.parametrize("target", [987654, "7", None])
def test_it_reports_someone_not_in_the_space(people, target):
    with pytest.raises(NotFound):
        stage.do_mute_by_staff(people.staff, people.space.pk, target)


def test_it_refuses_guests_before_looking(people):
    with pytest.raises(NotAllowed):
        stage.do_mute_by_staff(people.guest, 987654, people.speaker.pk)
