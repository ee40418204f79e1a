"""The room page, as each persona sees it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.models import Participant, Reminder, Space
from tests.factories import ScheduledSpaceFactory

State = Space.State
PERSONAS = ["host", "cohost", "speaker", "listener", "raised", "removed", "outsider", "staff", "guest"]


def get_room(client, people, persona, space=None):
    user = getattr(people, persona)
    if user.is_authenticated:
        client.force_login(user)
    return client.get(reverse("space", args=[(space or people.space).pk]))


@pytest.fixture
def scheduled(people):
    return ScheduledSpaceFactory(host=people.host, title="Next week", scheduled_for=timezone.now() + timedelta(days=2))


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_the_live_room_to_everyone(client, people, persona):
    response = get_room(client, people, persona)

    assert response.status_code == 200
    assert response.context["space"].pk == people.space.pk
    body = response.content.decode()
    assert "Founders talk" in body
    assert "Hosted by" in body
    assert response.context["removed"] is (persona == "removed")
    assert response.context["is_host"] is (persona == "host")


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener", "raised"])
def test_it_gives_members_their_place(client, people, persona):
    response = get_room(client, people, persona)

    me = response.context["me"]
    assert me.user_id == getattr(people, persona).pk
    assert 'id="stage"' in response.content.decode()
    assert "js/room.js" in response.content.decode()


@pytest.mark.parametrize("persona", ["outsider", "staff", "guest"])
def test_it_does_not_join_people_by_showing_the_page(client, people, persona):
    response = get_room(client, people, persona)

    assert response.context["me"] is None
    assert 'id="stage"' in response.content.decode()
    if persona != "guest":
        assert not Participant.objects.filter(space=people.space, user=getattr(people, persona)).exists()


def test_it_tells_a_removed_person_they_were_removed(client, people):
    response = get_room(client, people, "removed")

    body = response.content.decode()
    assert "You were removed from this space" in body
    assert 'id="stage"' not in body
    assert "js/room.js" not in body


def test_it_lets_a_guest_listen_and_asks_them_to_log_in_to_talk(client, people):
    response = get_room(client, people, "guest")

    body = response.content.decode()
    assert "Log in to react or ask to speak" in body
    assert "js/room.js" in body
    assert 'id="btn-hand"' not in body


def test_it_shows_the_end_button_only_to_the_host(client, people):
    host_page = get_room(client, people, "host").content.decode()
    cohost_page = get_room(client, people, "cohost").content.decode()

    end_url = reverse("space_end", args=[people.space.pk])
    assert end_url in host_page
    assert end_url not in cohost_page


def test_it_shows_the_host_start_and_cancel_for_a_scheduled_space(client, people, scheduled):
    response = get_room(client, people, "host", scheduled)

    body = response.content.decode()
    assert reverse("space_start", args=[scheduled.pk]) in body
    assert reverse("space_cancel", args=[scheduled.pk]) in body
    assert "Start now" in body


def test_it_offers_a_reminder_for_a_scheduled_space(client, people, scheduled):
    response = get_room(client, people, "listener", scheduled)

    body = response.content.decode()
    assert response.context["reminded"] is False
    assert "Remind me" in body
    assert reverse("space_start", args=[scheduled.pk]) not in body


def test_it_shows_a_reminder_already_set(client, people, scheduled):
    Reminder.objects.create(user=people.listener, space=scheduled)

    response = get_room(client, people, "listener", scheduled)

    assert response.context["reminded"] is True
    assert "Reminder set" in response.content.decode()


def test_it_asks_a_guest_to_log_in_for_a_reminder(client, people, scheduled):
    response = get_room(client, people, "guest", scheduled)

    assert response.status_code == 200
    assert "Log in to get a reminder" in response.content.decode()


@pytest.mark.parametrize("state", [State.ENDED, State.CANCELLED])
def test_it_shows_a_closed_space_without_the_room(client, people, state):
    Space.objects.filter(pk=people.space.pk).update(state=state, ended_at=timezone.now())

    response = get_room(client, people, "listener")

    assert response.status_code == 200
    body = response.content.decode()
    assert f"This space has {state.label.lower()}" in body
    assert 'id="stage"' not in body


def test_it_returns_404_for_an_unknown_space(client, db):
    response = client.get(reverse("space", args=[987654]))

    assert response.status_code == 404
    assert "No such space." in response.content.decode()
