"""The stage-change log: every path that brings someone into a live space, changes their role or
takes them out writes a row, and roles_at reads who was where at a moment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rooms.models import Participant, StageChange
from rooms.services import presence, spaces, stage
from rooms.services.stagelog import note, roles_at
from tests.factories import ParticipantFactory, ScheduledSpaceFactory, UserFactory

Role = Participant.Role
Kind = StageChange.Kind


def log(space, user) -> list[str]:
    return list(StageChange.objects.filter(space=space, user=user).values_list("role", flat=True))


# --- roles_at ----------------------------------------------------------------------------------------


def test_roles_at_follows_a_sequence_of_changes(people):
    space, t0 = people.space, timezone.now() - timedelta(hours=1)
    StageChange.objects.filter(space=space).delete()

    def at(minutes):
        return t0 + timedelta(minutes=minutes)

    note(space.pk, people.host.pk, Kind.HOST, at(0))
    note(space.pk, people.listener.pk, Kind.LISTENER, at(1))
    note(space.pk, people.speaker.pk, Kind.LISTENER, at(2))
    note(space.pk, people.speaker.pk, Kind.SPEAKER, at(5))
    note(space.pk, people.listener.pk, Kind.LEFT, at(6))
    note(space.pk, people.cohost.pk, Kind.SPEAKER, at(7))
    note(space.pk, people.cohost.pk, Kind.COHOST, at(8))
    note(space.pk, people.speaker.pk, Kind.REMOVED, at(10))
    note(space.pk, people.listener.pk, Kind.LISTENER, at(11))

    def names(minutes):
        return [(user.username, role) for user, role in roles_at(space.pk, at(minutes))]

    assert names(-1) == []
    assert names(0) == [("hana", "host")]
    assert names(3) == [("hana", "host"), ("lena", "listener"), ("sam", "listener")]
    # At the very moment of a change, the change counts.
    assert names(5) == [("hana", "host"), ("sam", "speaker"), ("lena", "listener")]
    assert names(7.5) == [("hana", "host"), ("cora", "speaker"), ("sam", "speaker")]
    assert names(9) == [("hana", "host"), ("cora", "cohost"), ("sam", "speaker")]
    assert names(10.5) == [("hana", "host"), ("cora", "cohost")]
    assert names(12) == [("hana", "host"), ("cora", "cohost"), ("lena", "listener")]


def test_roles_at_keeps_spaces_apart(people):
    other = ScheduledSpaceFactory()
    note(other.pk, people.outsider.pk, Kind.SPEAKER)

    assert people.outsider not in [user for user, _ in roles_at(people.space.pk, timezone.now())]


# --- what writes the log ---------------------------------------------------------------------------------


def test_the_host_is_logged_when_a_space_starts_now(db):
    host = UserFactory(username="hal")

    space = spaces.do_create_space(host, title="Now")

    assert [(u, r) for u, r in roles_at(space.pk, timezone.now())] == [(host, Role.HOST)]


def test_the_host_and_whoever_waited_are_logged_when_a_scheduled_space_starts(db):
    space = ScheduledSpaceFactory()
    waiting = ParticipantFactory(space=space, user=UserFactory(username="wendy")).user
    ParticipantFactory(space=space, user=UserFactory(username="gone"), present=False, connections=0)
    assert not StageChange.objects.filter(space=space).exists()

    spaces.do_start_space(space.host, space.pk)

    assert roles_at(space.pk, timezone.now()) == [(space.host, Role.HOST), (waiting, Role.LISTENER)]


def test_arriving_in_a_live_space_is_logged_once(people):
    presence.do_connect(people.space.pk, people.outsider)
    presence.do_connect(people.space.pk, people.outsider)  # a second tab

    assert log(people.space, people.outsider) == [Kind.LISTENER]


def test_arriving_in_a_scheduled_space_is_not_logged_yet(db):
    space = ScheduledSpaceFactory()
    user = UserFactory(username="early")

    presence.do_connect(space.pk, user)

    assert log(space, user) == []


def test_each_role_change_is_logged(people):
    stage.do_bring_up(people.host, people.space.pk, people.raised.pk)
    stage.do_set_cohost(people.host, people.space.pk, people.raised.pk, True)
    stage.do_set_cohost(people.host, people.space.pk, people.raised.pk, False)
    stage.do_move_to_listener(people.host, people.space.pk, people.raised.pk)
    stage.do_step_down(people.speaker, people.space.pk)
    Participant.objects.filter(space=people.space, user=people.listener).update(invited_by=people.host)
    stage.do_answer_invite(people.listener, people.space.pk, True)

    assert log(people.space, people.raised) == [Kind.SPEAKER, Kind.COHOST, Kind.SPEAKER, Kind.LISTENER]
    assert log(people.space, people.speaker) == [Kind.LISTENER]
    assert log(people.space, people.listener) == [Kind.SPEAKER]


def test_changes_that_keep_the_role_are_not_logged(people):
    stage.do_raise_hand(people.listener, people.space.pk)
    stage.do_set_muted(people.speaker, people.space.pk, None, True)
    stage.do_mute_all(people.host, people.space.pk)

    assert not StageChange.objects.filter(space=people.space).exclude(user=people.host).exists()


@pytest.mark.parametrize("persona", ["host", "cohost", "staff"])
def test_a_removal_is_logged(people, persona):
    stage.do_remove(getattr(people, persona), people.space.pk, people.speaker.pk)

    assert log(people.space, people.speaker) == [Kind.REMOVED]
    assert people.speaker not in [user for user, _ in roles_at(people.space.pk, timezone.now())]


def test_leaving_after_the_grace_is_logged(people, settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "PRESENCE_GRACE_SECONDS": 0}
    presence.do_disconnect(people.space.pk, people.speaker)

    assert presence.do_expire_presence(people.space.pk, people.speaker.pk) is not None
    assert presence.do_expire_presence(people.space.pk, people.speaker.pk) is None  # once

    assert log(people.space, people.speaker) == [Kind.LEFT]


def test_nobody_is_in_a_space_after_it_ended(people):
    note(people.space.pk, people.host.pk, Kind.HOST, people.space.started_at)
    spaces.do_end_space(people.host, people.space.pk)
    people.space.refresh_from_db()

    assert roles_at(people.space.pk, people.space.ended_at) != []
    assert roles_at(people.space.pk, people.space.ended_at + timedelta(seconds=1)) == []
