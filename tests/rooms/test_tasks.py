"""Celery tasks, called directly: start notifications and the beat jobs."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from rooms import tasks
from rooms.models import Follow, Notification, Participant, Reminder, Space
from tests.factories import ScheduledSpaceFactory, SpaceFactory, UserFactory

State = Space.State


@pytest.fixture
def started(db):
    """A space that just went live, with one reminder holder and two followers (one also reminded)."""
    host = UserFactory(username="hana")
    space = SpaceFactory(host=host, title="Launch day", scheduled_for=timezone.now())
    reminded = UserFactory(username="rita")
    both = UserFactory(username="bo")
    follower = UserFactory(username="fred")
    Reminder.objects.create(user=reminded, space=space)
    Reminder.objects.create(user=both, space=space)
    Follow.objects.create(follower=both, host=host)
    Follow.objects.create(follower=follower, host=host)
    return space


def old(**kwargs):
    return timezone.now() - timedelta(**kwargs)


# --- notify_space_started ---------------------------------------------------------------


def test_it_notifies_reminder_holders_in_app_and_by_email(started):
    tasks.notify_space_started(started.pk)

    for username in ("rita", "bo"):
        notes = Notification.objects.filter(user__username=username)
        assert notes.count() == 1
        assert notes[0].text == "hana is live: Launch day"
        assert notes[0].url == f"/spaces/{started.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == ["bo@example.com", "rita@example.com"]
    assert all(m.subject == "Starting now: Launch day" for m in mail.outbox)
    assert f"/spaces/{started.pk}/" in mail.outbox[0].body
    assert not Reminder.objects.filter(space=started, notified_at__isnull=True).exists()


def test_it_notifies_followers_in_app_only(started):
    count = tasks.notify_space_started(started.pk)

    assert count == 3  # two reminders and one follower without a reminder
    assert Notification.objects.filter(user__username="fred").count() == 1
    assert "fred@example.com" not in [m.to[0] for m in mail.outbox]
    started.refresh_from_db()
    assert started.start_notified_at is not None


def test_it_notifies_nobody_twice(started):
    tasks.notify_space_started(started.pk)
    mail.outbox.clear()

    assert tasks.notify_space_started(started.pk) == 0

    assert mail.outbox == []
    assert Notification.objects.count() == 3


def test_it_skips_email_for_someone_without_an_address(started):
    get_user_model().objects.filter(username="rita").update(email="")

    tasks.notify_space_started(started.pk)

    assert [m.to[0] for m in mail.outbox] == ["bo@example.com"]
    assert Notification.objects.filter(user__username="rita").count() == 1


def test_it_notifies_nobody_for_a_space_that_is_not_live(started):
    Space.objects.filter(pk=started.pk).update(state=State.CANCELLED)

    assert tasks.notify_space_started(started.pk) == 0

    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_it_ignores_an_unknown_space(db):
    assert tasks.notify_space_started(987654) == 0


# --- cancel_no_show_spaces --------------------------------------------------------------------


@pytest.fixture
def no_shows(db):
    late = ScheduledSpaceFactory(scheduled_for=old(minutes=31))
    in_grace = ScheduledSpaceFactory(scheduled_for=old(minutes=29))
    future = ScheduledSpaceFactory(scheduled_for=timezone.now() + timedelta(hours=1))
    return late, in_grace, future


def test_it_cancels_spaces_whose_host_never_came(no_shows, monkeypatch):
    late, in_grace, future = no_shows
    monkeypatch.setattr(tasks.cancel_no_show_space, "delay", tasks.cancel_no_show_space)

    assert tasks.cancel_no_show_spaces() == 1

    states = dict(Space.objects.values_list("pk", "state"))
    assert states == {late.pk: State.CANCELLED, in_grace.pk: State.SCHEDULED, future.pk: State.SCHEDULED}
    late.refresh_from_db()
    assert late.ended_at is not None


def test_it_fans_out_one_task_per_no_show(no_shows, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.cancel_no_show_space, "delay", queued.append)

    tasks.cancel_no_show_spaces()

    assert queued == [no_shows[0].pk]
    assert Space.objects.filter(state=State.CANCELLED).count() == 0  # only queued


def test_it_cancels_a_no_show_once(no_shows):
    late = no_shows[0]

    assert tasks.cancel_no_show_space(late.pk) is True
    assert tasks.cancel_no_show_space(late.pk) is False


def test_it_does_not_cancel_a_space_that_started_meanwhile(no_shows):
    late = no_shows[0]
    Space.objects.filter(pk=late.pk).update(state=State.LIVE)

    assert tasks.cancel_no_show_space(late.pk) is False

    late.refresh_from_db()
    assert late.state == State.LIVE


def test_it_does_not_cancel_a_space_still_in_grace(no_shows):
    in_grace = no_shows[1]

    assert tasks.cancel_no_show_space(in_grace.pk) is False

    in_grace.refresh_from_db()
    assert in_grace.state == State.SCHEDULED


# --- end_empty_spaces ---------------------------------------------------------------------


@pytest.fixture
def quiet(db):
    """A live space nobody has been connected to for an hour."""
    return SpaceFactory(last_presence_at=old(hours=1))


def test_it_ends_an_empty_space(quiet):
    assert tasks.end_empty_space(quiet.pk) is True

    quiet.refresh_from_db()
    assert quiet.state == State.ENDED
    assert quiet.ended_at is not None
    assert tasks.end_empty_space(quiet.pk) is False


def test_it_does_not_end_a_space_someone_is_connected_to(quiet):
    Participant.objects.filter(space=quiet, user=quiet.host).update(connections=1, present=True)

    assert tasks.end_empty_space(quiet.pk) is False

    quiet.refresh_from_db()
    assert quiet.state == State.LIVE


def test_it_does_not_end_a_space_with_guests(quiet):
    Space.objects.filter(pk=quiet.pk).update(guest_listeners=1)

    assert tasks.end_empty_space(quiet.pk) is False

    quiet.refresh_from_db()
    assert quiet.state == State.LIVE


def test_it_does_not_end_a_space_left_only_just_now(db):
    space = SpaceFactory(last_presence_at=old(minutes=5))

    assert tasks.end_empty_space(space.pk) is False

    space.refresh_from_db()
    assert space.state == State.LIVE


def test_it_fans_out_one_task_per_empty_space(quiet, monkeypatch):
    busy = SpaceFactory(last_presence_at=old(hours=1))
    Participant.objects.filter(space=busy).update(connections=2, present=True)
    SpaceFactory(state=State.ENDED, last_presence_at=old(hours=1))
    queued = []
    monkeypatch.setattr(tasks.end_empty_space, "delay", queued.append)

    assert tasks.end_empty_spaces() == 1

    assert queued == [quiet.pk]


# --- sweep_presence -------------------------------------------------------------------------


def test_it_sweeps_presence(people):
    Participant.objects.filter(space=people.space, user=people.speaker).update(
        connections=0, disconnected_at=old(minutes=5)
    )

    assert tasks.sweep_presence() == 1
    assert tasks.sweep_presence() == 0

    speaker = Participant.objects.get(space=people.space, user=people.speaker)
    assert speaker.present is False
    assert speaker.role == Participant.Role.LISTENER
