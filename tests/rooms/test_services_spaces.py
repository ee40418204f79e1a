"""A space's life: create, schedule, start, end, cancel; reminders and follows."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.models import Follow, Participant, Reminder, Space
from rooms.services import spaces
from tests.factories import ScheduledSpaceFactory, SpaceFactory, UserFactory

State = Space.State
Role = Participant.Role
PERSONAS = ["host", "cohost", "speaker", "listener", "raised", "removed", "outsider", "staff", "guest"]


def scheduled_space(host, **extra):
    return ScheduledSpaceFactory(host=host, **extra)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


# --- create ------------------------------------------------------------------------


def test_it_creates_a_live_space_when_starting_now(alice):
    space = spaces.do_create_space(alice, title="Morning coffee", topics=["coffee", "mornings"], record=True)

    space.refresh_from_db()
    assert space.state == State.LIVE
    assert space.started_at is not None
    assert space.scheduled_for is None
    assert space.recording is True
    assert sorted(space.topics.values_list("name", flat=True)) == ["coffee", "mornings"]
    host = Participant.objects.get(space=space, user=alice)
    assert host.role == Role.HOST


def test_it_queues_the_live_notification_after_commit(alice, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("rooms.tasks.notify_space_started.delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        space = spaces.do_create_space(alice, title="Now")

    assert queued == [space.pk]


def test_it_schedules_a_space_for_later(alice):
    when = timezone.now() + timedelta(days=3)

    space = spaces.do_create_space(alice, title="Later", scheduled_for=when, record=True)

    space.refresh_from_db()
    assert space.state == State.SCHEDULED
    assert space.scheduled_for == when
    assert space.started_at is None
    assert space.recording is False
    assert space.record is True
    assert Participant.objects.filter(space=space, user=alice, role=Role.HOST).exists()


def test_it_refuses_a_time_in_the_past(alice):
    with pytest.raises(InvalidRequest) as info:
        spaces.do_create_space(alice, title="Past", scheduled_for=timezone.now() - timedelta(minutes=1))

    assert info.value.code == "in_past"
    assert not Space.objects.exists()


def test_it_refuses_a_time_more_than_14_days_ahead(alice):
    with pytest.raises(InvalidRequest) as info:
        spaces.do_create_space(alice, title="Far", scheduled_for=timezone.now() + timedelta(days=14, minutes=5))

    assert info.value.code == "too_far"
    assert not Space.objects.exists()


def test_it_accepts_a_time_just_inside_14_days(alice):
    space = spaces.do_create_space(alice, title="Near", scheduled_for=timezone.now() + timedelta(days=13, hours=23))

    assert space.state == State.SCHEDULED


def test_it_honours_the_schedule_max_days_setting(alice, settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "SCHEDULE_MAX_DAYS": 1}

    with pytest.raises(InvalidRequest):
        spaces.do_create_space(alice, title="Two days", scheduled_for=timezone.now() + timedelta(days=2))


def test_it_normalises_topics():
    assert spaces.check_topics("#Django, music  django MUSIC") == ["django", "music"]


def test_it_refuses_more_than_five_topics():
    with pytest.raises(InvalidRequest) as info:
        spaces.check_topics("a b c d e f")

    assert info.value.code == "too_many_topics"


def test_it_accepts_five_topics():
    assert spaces.check_topics("a b c d e") == ["a", "b", "c", "d", "e"]


def test_it_refuses_more_than_five_topics_when_creating(alice):
    with pytest.raises(InvalidRequest) as info:
        spaces.do_create_space(alice, title="Too many", topics=["a", "b", "c", "d", "e", "f"])

    assert info.value.code == "too_many_topics"
    assert not Space.objects.exists()


def test_it_allows_one_live_space_per_host(alice):
    first = spaces.do_create_space(alice, title="First")

    with pytest.raises(Conflict) as info:
        spaces.do_create_space(alice, title="Second")

    assert info.value.code == "already_live"
    assert list(Space.objects.values_list("pk", flat=True)) == [first.pk]


def test_it_lets_a_live_host_schedule_another_space(alice):
    spaces.do_create_space(alice, title="Live")

    later = spaces.do_create_space(alice, title="Later", scheduled_for=timezone.now() + timedelta(hours=1))

    assert later.state == State.SCHEDULED


def test_it_refuses_a_guest_creating_a_space(db):
    with pytest.raises(NotAllowed) as info:
        spaces.do_create_space(AnonymousUser(), title="Anon")

    assert info.value.code == "login_required"
    assert not Space.objects.exists()


# --- start ---------------------------------------------------------------------------


def test_it_lets_the_host_start_a_scheduled_space(alice):
    space = scheduled_space(alice, record=True)

    started = spaces.do_start_space(alice, space.pk)

    space.refresh_from_db()
    assert started.pk == space.pk
    assert space.state == State.LIVE
    assert space.started_at is not None
    assert space.recording is True


def test_it_sends_space_started_after_commit(alice, monkeypatch, django_capture_on_commit_callbacks):
    space = scheduled_space(alice)
    sent, queued = [], []
    monkeypatch.setattr("rooms.events.send_now", lambda sid, event, to_user=None: sent.append((sid, event)))
    monkeypatch.setattr("rooms.tasks.notify_space_started.delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        spaces.do_start_space(alice, space.pk)

    assert [(sid, e["type"]) for sid, e in sent] == [(space.pk, "space.started")]
    assert sent[0][1]["space"]["state"] == "live"
    assert queued == [space.pk]


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "host"])
def test_it_lets_only_the_host_start(people, persona):
    Space.objects.filter(pk=people.space.pk).update(state=State.ENDED)
    space = scheduled_space(people.host)

    with pytest.raises(NotAllowed):
        spaces.do_start_space(getattr(people, persona), space.pk)

    space.refresh_from_db()
    assert space.state == State.SCHEDULED


def test_it_refuses_starting_a_space_that_is_not_scheduled(people):
    with pytest.raises(Conflict) as info:
        spaces.do_start_space(people.host, people.space.pk)

    assert info.value.code == "not_scheduled"


@pytest.mark.parametrize("state", [State.ENDED, State.CANCELLED])
def test_it_refuses_starting_a_closed_space(alice, state):
    space = SpaceFactory(host=alice, state=state)

    with pytest.raises(Conflict):
        spaces.do_start_space(alice, space.pk)

    space.refresh_from_db()
    assert space.state == state


def test_it_refuses_starting_while_another_space_is_live(people):
    space = scheduled_space(people.host)

    with pytest.raises(Conflict) as info:
        spaces.do_start_space(people.host, space.pk)

    assert info.value.code == "already_live"
    space.refresh_from_db()
    assert space.state == State.SCHEDULED


def test_it_reports_an_unknown_space(alice):
    with pytest.raises(NotFound):
        spaces.do_start_space(alice, 987654)


# --- end -------------------------------------------------------------------------------


def test_it_lets_the_host_end_a_live_space(people):
    people.space.participants.filter(user=people.raised).update(invited_by=people.host)

    spaces.do_end_space(people.host, people.space.pk)

    people.space.refresh_from_db()
    assert people.space.state == State.ENDED
    assert people.space.ended_at is not None
    assert people.space.recording is False
    raised = people.space.participants.get(user=people.raised)
    assert raised.hand_raised_at is None
    assert raised.invited_by is None


def test_it_lets_staff_end_any_space(people, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("rooms.events.send_now", lambda sid, event, to_user=None: sent.append(event))

    with django_capture_on_commit_callbacks(execute=True):
        spaces.do_end_space(people.staff, people.space.pk)

    people.space.refresh_from_db()
    assert people.space.state == State.ENDED
    assert [(e["type"], e["reason"]) for e in sent] == [("space.ended", "staff")]


@pytest.mark.parametrize("persona", ["cohost", "speaker", "listener", "raised", "removed", "outsider", "guest"])
def test_it_refuses_ending_by_anyone_else(people, persona):
    with pytest.raises(NotAllowed):
        spaces.do_end_space(getattr(people, persona), people.space.pk)

    people.space.refresh_from_db()
    assert people.space.state == State.LIVE
    assert people.space.ended_at is None


def test_it_refuses_ending_a_space_that_is_not_live(alice):
    space = scheduled_space(alice)

    with pytest.raises(Conflict) as info:
        spaces.do_end_space(alice, space.pk)

    assert info.value.code == "not_live"


def test_it_refuses_ending_twice(people):
    spaces.do_end_space(people.host, people.space.pk)

    with pytest.raises(Conflict):
        spaces.do_end_space(people.host, people.space.pk)


def test_it_reports_an_unknown_space_to_staff(people):
    with pytest.raises(NotFound):
        spaces.do_end_space(people.staff, 987654)


# --- cancel ----------------------------------------------------------------------------


def test_it_lets_the_host_cancel_a_scheduled_space(alice, monkeypatch, django_capture_on_commit_callbacks):
    space = scheduled_space(alice)
    sent = []
    monkeypatch.setattr("rooms.events.send_now", lambda sid, event, to_user=None: sent.append(event))

    with django_capture_on_commit_callbacks(execute=True):
        spaces.do_cancel_space(alice, space.pk)

    space.refresh_from_db()
    assert space.state == State.CANCELLED
    assert space.ended_at is not None
    assert [(e["type"], e["reason"]) for e in sent] == [("space.ended", "cancelled")]


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "host"])
def test_it_refuses_cancelling_by_anyone_else(people, persona):
    space = scheduled_space(people.host)

    with pytest.raises(NotAllowed):
        spaces.do_cancel_space(getattr(people, persona), space.pk)

    space.refresh_from_db()
    assert space.state == State.SCHEDULED


def test_it_refuses_cancelling_a_live_space(people):
    with pytest.raises(Conflict) as info:
        spaces.do_cancel_space(people.host, people.space.pk)

    assert info.value.code == "not_scheduled"
    people.space.refresh_from_db()
    assert people.space.state == State.LIVE


# --- jobs --------------------------------------------------------------------------------


def test_it_closes_a_space_by_job_only_once(people, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("rooms.events.send_now", lambda sid, event, to_user=None: sent.append(event))
    args = {"from_state": State.LIVE, "to_state": State.ENDED, "reason": "empty"}

    with django_capture_on_commit_callbacks(execute=True):
        first = spaces.do_close_space_by_job(people.space.pk, **args)
        second = spaces.do_close_space_by_job(people.space.pk, **args)

    assert first is True
    assert second is False
    people.space.refresh_from_db()
    assert people.space.state == State.ENDED
    assert [(e["type"], e["reason"]) for e in sent] == [("space.ended", "empty")]


def test_it_does_not_close_a_space_in_another_state_by_job(people):
    closed = spaces.do_close_space_by_job(
        people.space.pk, from_state=State.SCHEDULED, to_state=State.CANCELLED, reason="no_show"
    )

    assert closed is False
    people.space.refresh_from_db()
    assert people.space.state == State.LIVE


# --- reminders -------------------------------------------------------------------------


def test_it_sets_and_clears_a_reminder(people):
    space = scheduled_space(people.host)

    assert spaces.do_set_reminder(people.listener, space.pk, True) is True
    spaces.do_set_reminder(people.listener, space.pk, True)  # twice is fine
    assert Reminder.objects.filter(user=people.listener, space=space).count() == 1

    assert spaces.do_set_reminder(people.listener, space.pk, False) is False
    assert not Reminder.objects.filter(user=people.listener, space=space).exists()


def test_it_refuses_a_reminder_for_a_guest(people):
    space = scheduled_space(people.host)

    with pytest.raises(NotAllowed) as info:
        spaces.do_set_reminder(people.guest, space.pk, True)

    assert info.value.code == "login_required"
    assert not Reminder.objects.exists()


@pytest.mark.parametrize("state", [State.LIVE, State.ENDED, State.CANCELLED])
def test_it_sets_reminders_only_for_scheduled_spaces(alice, state):
    space = SpaceFactory(state=state)

    with pytest.raises(Conflict) as info:
        spaces.do_set_reminder(alice, space.pk, True)

    assert info.value.code == "not_scheduled"
    assert not Reminder.objects.exists()


def test_it_refuses_a_reminder_for_an_unknown_space(alice):
    with pytest.raises(NotFound):
        spaces.do_set_reminder(alice, 987654, True)


# --- follows ---------------------------------------------------------------------------


def test_it_follows_and_unfollows(people):
    assert spaces.do_follow(people.listener, people.host, True) is True
    spaces.do_follow(people.listener, people.host, True)
    assert Follow.objects.filter(follower=people.listener, host=people.host).count() == 1

    spaces.do_follow(people.listener, people.host, False)
    assert not Follow.objects.exists()


def test_it_refuses_following_yourself(people):
    with pytest.raises(InvalidRequest) as info:
        spaces.do_follow(people.host, people.host, True)

    assert info.value.code == "self_follow"
    assert not Follow.objects.exists()


def test_it_refuses_following_for_a_guest(people):
    with pytest.raises(NotAllowed):
        spaces.do_follow(people.guest, people.host, True)

    assert not Follow.objects.exists()
