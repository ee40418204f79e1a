"""Presence: sockets counted per person, guests counted per space, and the grace after leaving."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rooms.errors import Conflict, NotAllowed, NotFound
from rooms.models import Participant, Space
from rooms.services import presence

Role = Participant.Role


def place(people, persona) -> Participant:
    return Participant.objects.get(space=people.space, user=getattr(people, persona))


def gone_since(people, persona, seconds_ago):
    """As if `persona` closed their last socket `seconds_ago`."""
    Participant.objects.filter(space=people.space, user=getattr(people, persona)).update(
        connections=0, present=True, disconnected_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.fixture
def no_grace(settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "PRESENCE_GRACE_SECONDS": 0}


# --- connect --------------------------------------------------------------------------


def test_it_counts_a_guest(people):
    space, me, arrived = presence.do_connect(people.space.pk, people.guest)

    assert me is None
    assert arrived is True
    assert space.pk == people.space.pk
    people.space.refresh_from_db()
    assert people.space.guest_listeners == 1

    presence.do_connect(people.space.pk, people.guest)
    people.space.refresh_from_db()
    assert people.space.guest_listeners == 2


def test_it_creates_a_listener_for_a_newcomer(people):
    _, me, arrived = presence.do_connect(people.space.pk, people.outsider)

    assert arrived is True
    assert me.user_id == people.outsider.pk
    assert me.role == Role.LISTENER
    assert me.muted is True
    assert me.present is True
    assert me.connections == 1
    assert Participant.objects.filter(space=people.space, user=people.outsider).count() == 1


def test_it_counts_a_second_tab_once(people):
    presence.do_connect(people.space.pk, people.outsider)

    _, me, arrived = presence.do_connect(people.space.pk, people.outsider)

    assert arrived is False
    assert me.connections == 2
    assert Participant.objects.filter(space=people.space, user=people.outsider).count() == 1


def test_it_keeps_the_role_of_someone_coming_back_in_grace(people):
    gone_since(people, "speaker", 5)

    _, me, arrived = presence.do_connect(people.space.pk, people.speaker)

    assert arrived is False
    assert me.role == Role.SPEAKER
    assert me.connections == 1
    assert me.disconnected_at is None


def test_it_welcomes_back_someone_whose_grace_ran_out(people):
    Participant.objects.filter(space=people.space, user=people.listener).update(present=False, connections=0)

    _, me, arrived = presence.do_connect(people.space.pk, people.listener)

    assert arrived is True
    assert me.present is True


def test_it_notes_the_time_someone_was_last_there(people):
    old = timezone.now() - timedelta(hours=1)
    Space.objects.filter(pk=people.space.pk).update(last_presence_at=old)

    presence.do_connect(people.space.pk, people.guest)

    people.space.refresh_from_db()
    assert people.space.last_presence_at > old


def test_it_refuses_a_suspended_account(people):
    people.outsider.is_active = False
    people.outsider.save()

    with pytest.raises(NotAllowed) as info:
        presence.do_connect(people.space.pk, people.outsider)

    assert info.value.code == "suspended"
    assert not Participant.objects.filter(space=people.space, user=people.outsider).exists()


def test_it_refuses_a_removed_person(people):
    with pytest.raises(NotAllowed) as info:
        presence.do_connect(people.space.pk, people.removed)

    assert info.value.code == "removed"
    removed = place(people, "removed")
    assert removed.present is False
    assert removed.connections == 0


@pytest.mark.parametrize("state", [Space.State.ENDED, Space.State.CANCELLED])
def test_it_refuses_connecting_to_a_closed_space(people, state):
    Space.objects.filter(pk=people.space.pk).update(state=state)

    with pytest.raises(Conflict) as info:
        presence.do_connect(people.space.pk, people.outsider)

    assert info.value.code == "space_ended"
    assert not Participant.objects.filter(space=people.space, user=people.outsider).exists()


def test_it_lets_people_wait_in_a_scheduled_space(people):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.SCHEDULED)

    _, me, arrived = presence.do_connect(people.space.pk, people.outsider)

    assert arrived is True
    assert me.present is True


def test_it_reports_an_unknown_space(db, people):
    with pytest.raises(NotFound):
        presence.do_connect(987654, people.outsider)


# --- disconnect ------------------------------------------------------------------------


def test_it_uncounts_a_guest(people):
    Space.objects.filter(pk=people.space.pk).update(guest_listeners=2)

    presence.do_disconnect(people.space.pk, people.guest)

    people.space.refresh_from_db()
    assert people.space.guest_listeners == 1


def test_it_never_counts_guests_below_zero(people):
    presence.do_disconnect(people.space.pk, people.guest)

    people.space.refresh_from_db()
    assert people.space.guest_listeners == 0


def test_it_starts_the_grace_when_the_last_tab_closes(people):
    presence.do_connect(people.space.pk, people.listener)  # a second tab

    presence.do_disconnect(people.space.pk, people.listener)
    listener = place(people, "listener")
    assert listener.connections == 1
    assert listener.disconnected_at is None

    presence.do_disconnect(people.space.pk, people.listener)
    listener = place(people, "listener")
    assert listener.connections == 0
    assert listener.present is True  # still in grace
    assert listener.disconnected_at is not None


def test_it_never_counts_connections_below_zero(people):
    presence.do_disconnect(people.space.pk, people.removed)

    assert place(people, "removed").connections == 0


# --- expiry ------------------------------------------------------------------------------


def test_it_keeps_someone_present_during_the_grace(people):
    gone_since(people, "listener", 10)  # grace is 30 seconds

    assert presence.do_expire_presence(people.space.pk, people.listener.pk) is None

    assert place(people, "listener").present is True


def test_it_marks_someone_gone_after_the_grace(people):
    gone_since(people, "listener", 31)

    expired = presence.do_expire_presence(people.space.pk, people.listener.pk)

    assert expired.user_id == people.listener.pk
    assert place(people, "listener").present is False


def test_it_uses_the_grace_setting(people, no_grace):
    gone_since(people, "listener", 1)

    assert presence.do_expire_presence(people.space.pk, people.listener.pk) is not None
    assert place(people, "listener").present is False


def test_it_does_not_expire_someone_still_connected(people, no_grace):
    Participant.objects.filter(space=people.space, user=people.listener).update(
        connections=1, disconnected_at=timezone.now() - timedelta(minutes=5)
    )

    assert presence.do_expire_presence(people.space.pk, people.listener.pk) is None
    assert place(people, "listener").present is True


def test_it_sends_a_speaker_back_to_the_audience_on_expiry(people, no_grace):
    Participant.objects.filter(space=people.space, user=people.speaker).update(muted_by_moderator=True)
    gone_since(people, "speaker", 1)

    presence.do_expire_presence(people.space.pk, people.speaker.pk)

    speaker = place(people, "speaker")
    assert speaker.present is False
    assert speaker.role == Role.LISTENER
    assert speaker.muted is True
    assert speaker.muted_by_moderator is False


@pytest.mark.parametrize("persona, role", [("cohost", Role.COHOST), ("host", Role.HOST)])
def test_it_keeps_the_role_of_hosts_and_cohosts_on_expiry(people, no_grace, persona, role):
    gone_since(people, persona, 1)

    presence.do_expire_presence(people.space.pk, getattr(people, persona).pk)

    me = place(people, persona)
    assert me.present is False
    assert me.role == role


def test_it_lowers_the_hand_and_drops_the_invitation_on_expiry(people, no_grace):
    Participant.objects.filter(space=people.space, user=people.raised).update(invited_by=people.host)
    gone_since(people, "raised", 1)

    presence.do_expire_presence(people.space.pk, people.raised.pk)

    raised = place(people, "raised")
    assert raised.hand_raised_at is None
    assert raised.invited_by is None


def test_it_expires_only_once(people, no_grace):
    gone_since(people, "listener", 1)

    assert presence.do_expire_presence(people.space.pk, people.listener.pk) is not None
    assert presence.do_expire_presence(people.space.pk, people.listener.pk) is None


# --- sweep --------------------------------------------------------------------------------


def test_it_sweeps_everyone_past_the_grace_once(people, no_grace, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("rooms.events.send_now", lambda sid, event, to_user=None: sent.append(event))
    gone_since(people, "listener", 1)
    gone_since(people, "speaker", 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert presence.do_sweep_presence() == 2
        assert presence.do_sweep_presence() == 0

    assert not Participant.objects.filter(space=people.space, present=True, connections=0).exists()
    assert place(people, "speaker").role == Role.LISTENER
    assert sorted((e["type"], e["user_id"], e["reason"]) for e in sent) == sorted(
        [("participant.left", people.listener.pk, "left"), ("participant.left", people.speaker.pk, "left")]
    )


def test_it_sweeps_nobody_in_grace(people):
    gone_since(people, "listener", 10)

    assert presence.do_sweep_presence() == 0
    assert place(people, "listener").present is True
