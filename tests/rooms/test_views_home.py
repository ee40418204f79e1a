"""The home page and its Live now section."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording, Render
from rooms.models import Follow, Notification, Reminder, Space
from tests.factories import ScheduledSpaceFactory, SpaceFactory, UserFactory

State = Space.State


def upcoming_space(**extra):
    return ScheduledSpaceFactory(**{"scheduled_for": timezone.now() + timedelta(hours=3), **extra})


@pytest.fixture
def spaces(people):
    return {
        "live": people.space,
        "upcoming": upcoming_space(title="Tomorrow's chat"),
        "ended": SpaceFactory(title="Yesterday's chat", state=State.ENDED, ended_at=timezone.now()),
        "cancelled": upcoming_space(title="Never happened", state=State.CANCELLED),
    }


def publish_replay(space):
    recording = Recording.objects.create(space=space, spans=[[0, 60_000]], published_at=timezone.now())
    recording.current = Render.objects.create(recording=recording, kind="original", state="ready", duration_ms=60_000)
    recording.save()
    return recording


def test_it_shows_live_upcoming_and_recent_replays_to_a_guest(client, spaces):
    replay = publish_replay(spaces["ended"])
    unpublished = SpaceFactory(title="Kept private", state=State.ENDED, ended_at=timezone.now())
    Recording.objects.create(space=unpublished, spans=[[0, 1000]])
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert [s.pk for s in response.context["live"]] == [spaces["live"].pk]
    assert [s.pk for s in response.context["upcoming"]] == [spaces["upcoming"].pk]
    body = response.content.decode()
    assert "Founders talk" in body
    assert "Tomorrow&#x27;s chat" in body
    assert "Yesterday&#x27;s chat" in body
    assert "Never happened" not in body
    assert "Kept private" not in body
    assert "Recent replays" in body and reverse("replay", args=[replay.pk]) in body
    assert "Join Roundtable" in body


def test_it_counts_who_is_on_stage_and_listening(client, spaces):
    Space.objects.filter(pk=spaces["live"].pk).update(guest_listeners=3)

    response = client.get(reverse("home"))

    live = response.context["live"][0]
    assert live.speaker_count == 2  # co-host and speaker are present; the host is not connected
    assert live.member_count == 2  # two listeners present; the removed one is gone
    assert "<strong>5</strong> listening" in response.content.decode()


def test_it_lists_followed_hosts_first(client, people):
    followed = SpaceFactory(title="Followed host", started_at=timezone.now() - timedelta(hours=1))
    Follow.objects.create(follower=people.listener, host=followed.host)
    client.force_login(people.listener)

    response = client.get(reverse("home"))

    assert [s.pk for s in response.context["live"]] == [followed.pk, people.space.pk]
    assert "Following" in response.content.decode()


def test_it_lists_the_newest_live_space_first_otherwise(client, people):
    older = SpaceFactory(title="Older", started_at=timezone.now() - timedelta(hours=1))
    client.force_login(people.listener)

    response = client.get(reverse("home"))

    assert [s.pk for s in response.context["live"]] == [people.space.pk, older.pk]


def test_it_marks_the_reminders_you_set(client, spaces, people):
    Reminder.objects.create(user=people.listener, space=spaces["upcoming"])
    client.force_login(people.listener)

    response = client.get(reverse("home"))

    assert response.context["reminded"] == {spaces["upcoming"].pk}
    assert "Reminder set" in response.content.decode()


def test_it_shows_the_unread_notification_count(client, people):
    Notification.objects.create(user=people.listener, text="one")
    Notification.objects.create(user=people.listener, text="two")
    Notification.objects.create(user=people.listener, text="read", read_at=timezone.now())
    client.force_login(people.listener)

    response = client.get(reverse("home"))

    assert response.context["unread_notifications"] == 2
    assert '<span class="badge">2</span>' in response.content.decode()


def test_it_says_when_nobody_is_live(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Nobody is live right now" in response.content.decode()


def test_it_serves_the_live_now_section_alone(client, spaces):
    response = client.get(reverse("live_now"))

    assert response.status_code == 200
    assert [s.pk for s in response.context["live"]] == [spaces["live"].pk]
    body = response.content.decode()
    assert "Founders talk" in body
    assert "Tomorrow" not in body
    assert "<html" not in body


def test_it_shows_a_new_host_in_live_now(client, db):
    host = UserFactory(username="newbie")
    SpaceFactory(title="Fresh space", host=host)

    response = client.get(reverse("live_now"))

    assert "Fresh space" in response.content.decode()
