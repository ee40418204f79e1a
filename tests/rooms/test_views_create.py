"""Creating a space from the form: start now or schedule, and every way the form can be wrong."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.models import Participant, Space
from tests.factories import SpaceFactory, UserFactory

State = Space.State
URL = reverse("space_new")


def form_time(delta):
    """A time as the page sends it: UTC, to the minute."""
    return (timezone.now() + delta).strftime("%Y-%m-%d %H:%M")


def form_data(**changes):
    data = {"title": "Django after dark", "description": "Ask me anything", "topics": "django, python", "when": "now"}
    data.update(changes)
    return data


@pytest.fixture
def alice(client, db):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


def test_it_sends_a_guest_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


def test_it_shows_the_form(client, alice):
    response = client.get(URL)

    assert response.status_code == 200
    assert "Start a space" in response.content.decode()
    assert 'name="title"' in response.content.decode()


def test_it_starts_a_space_now(client, alice):
    response = client.post(URL, form_data(record="on"))

    space = Space.objects.get()
    assert response.status_code == 302
    assert response.url == space.get_absolute_url()
    assert space.host == alice
    assert space.state == State.LIVE
    assert space.title == "Django after dark"
    assert space.record is True
    assert space.allow_clips is False  # an unticked box
    assert sorted(space.topics.values_list("name", flat=True)) == ["django", "python"]
    assert Participant.objects.filter(space=space, user=alice, role=Participant.Role.HOST).exists()


def test_it_schedules_a_space(client, alice):
    response = client.post(URL, form_data(when="later", scheduled_for=form_time(timedelta(days=2))))

    space = Space.objects.get()
    assert response.status_code == 302
    assert space.state == State.SCHEDULED
    assert abs(space.scheduled_for - (timezone.now() + timedelta(days=2))) < timedelta(minutes=2)


def test_it_ignores_a_time_when_starting_now(client, alice):
    client.post(URL, form_data(when="now", scheduled_for=form_time(timedelta(days=2))))

    space = Space.objects.get()
    assert space.state == State.LIVE
    assert space.scheduled_for is None


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"title": ""}, "This field is required."),
        ({"title": "   "}, "This field is required."),
        ({"title": "x" * 121}, "Ensure this value has at most 120 characters"),
        ({"when": "later", "scheduled_for": ""}, "Pick a date and time."),
        ({"when": "later", "scheduled_for": "not a date"}, "Enter a valid date/time."),
        ({"when": "soon"}, "Select a valid choice."),
        ({"topics": "a b c d e f"}, "Pick at most 5 topics."),
    ],
    ids=["empty_title", "blank_title", "long_title", "no_time", "bad_time", "bad_when", "too_many_topics"],
)
def test_it_refuses_a_bad_form(client, alice, changes, error):
    response = client.post(URL, form_data(**changes))

    assert response.status_code == 400
    assert error in str(response.context["form"].errors)
    assert not Space.objects.exists()


def test_it_refuses_a_time_in_the_past(client, alice):
    response = client.post(URL, form_data(when="later", scheduled_for=form_time(-timedelta(hours=1))))

    assert response.status_code == 400
    assert "Pick a time in the future" in response.content.decode()
    assert not Space.objects.exists()


def test_it_refuses_a_time_too_far_ahead(client, alice):
    response = client.post(URL, form_data(when="later", scheduled_for=form_time(timedelta(days=15))))

    assert response.status_code == 400
    assert "at most 14 days ahead" in response.content.decode()
    assert not Space.objects.exists()


def test_it_refuses_a_second_live_space(client, alice):
    live = SpaceFactory(host=alice)

    response = client.post(URL, form_data())

    assert response.status_code == 400
    assert "already hosting a live space" in response.content.decode()
    assert list(Space.objects.values_list("pk", flat=True)) == [live.pk]


def test_it_keeps_what_was_typed_after_an_error(client, alice):
    response = client.post(URL, form_data(when="later", scheduled_for=""))

    assert response.status_code == 400
    assert 'value="Django after dark"' in response.content.decode()


@pytest.mark.parametrize(
    "title", ["Django\u200b after dark", "\u202eDjango after dark", "Django \u2066after\u2069 dark"]
)
def test_it_refuses_a_title_with_characters_that_cannot_be_seen(client, alice, title):
    response = client.post(URL, form_data(title=title))

    assert response.status_code == 400
    assert "cannot be seen" in " ".join(response.context["form"].errors["title"])
    assert not Space.objects.exists()


def test_it_stores_the_title_in_nfkc(client, alice):
    client.post(URL, form_data(title="Ｄｊａｎｇｏ after dark ﬁnally"))

    assert Space.objects.get().title == "Django after dark finally"
