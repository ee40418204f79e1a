"""Start, end, cancel and remind: POST-only actions, checked per persona."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.models import Reminder, Space
from tests.factories import ScheduledSpaceFactory

State = Space.State
NOT_HOST = ["cohost", "speaker", "listener", "raised", "removed", "outsider", "staff"]


def post_as(client, people, persona, url, data=None):
    user = getattr(people, persona)
    if user.is_authenticated:
        client.force_login(user)
    return client.post(url, data or {})


def state_of(space):
    space.refresh_from_db()
    return space.state


def assert_login_redirect(response, url):
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.fixture
def scheduled(people):
    """A space of the host's for later; their live space has ended, so they may start it."""
    Space.objects.filter(pk=people.space.pk).update(state=State.ENDED, ended_at=timezone.now())
    return ScheduledSpaceFactory(host=people.host, title="Next week", scheduled_for=timezone.now() + timedelta(days=2))


# --- start ----------------------------------------------------------------------------------


def test_it_lets_the_host_start(client, people, scheduled):
    response = post_as(client, people, "host", reverse("space_start", args=[scheduled.pk]))

    assert response.status_code == 302
    assert response.url == scheduled.get_absolute_url()
    assert state_of(scheduled) == State.LIVE


def test_it_says_the_host_is_live(client, people, scheduled):
    client.force_login(people.host)

    response = client.post(reverse("space_start", args=[scheduled.pk]), follow=True)

    assert "You are live." in response.content.decode()


@pytest.mark.parametrize("persona", NOT_HOST)
def test_it_refuses_starting_by_anyone_else(client, people, scheduled, persona):
    response = post_as(client, people, persona, reverse("space_start", args=[scheduled.pk]))

    assert response.status_code == 403
    assert "Only the host can do that." in response.content.decode()
    assert state_of(scheduled) == State.SCHEDULED


def test_it_sends_a_guest_to_log_in_to_start(client, people, scheduled):
    url = reverse("space_start", args=[scheduled.pk])

    response = post_as(client, people, "guest", url)

    assert_login_redirect(response, url)
    assert state_of(scheduled) == State.SCHEDULED


def test_it_refuses_starting_a_live_space(client, people):
    response = post_as(client, people, "host", reverse("space_start", args=[people.space.pk]))

    assert response.status_code == 409
    assert state_of(people.space) == State.LIVE


def test_it_refuses_starting_while_another_space_is_live(client, people):
    later = ScheduledSpaceFactory(host=people.host, scheduled_for=timezone.now() + timedelta(hours=1))

    response = post_as(client, people, "host", reverse("space_start", args=[later.pk]))

    assert response.status_code == 409
    assert "already hosting a live space" in response.content.decode()
    assert state_of(later) == State.SCHEDULED


# --- end ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["host", "staff"])
def test_it_lets_the_host_and_staff_end(client, people, persona):
    response = post_as(client, people, persona, reverse("space_end", args=[people.space.pk]))

    assert response.status_code == 302
    assert response.url == people.space.get_absolute_url()
    assert state_of(people.space) == State.ENDED


@pytest.mark.parametrize("persona", ["cohost", "speaker", "listener", "raised", "removed", "outsider"])
def test_it_refuses_ending_by_anyone_else(client, people, persona):
    response = post_as(client, people, persona, reverse("space_end", args=[people.space.pk]))

    assert response.status_code == 403
    assert state_of(people.space) == State.LIVE


def test_it_sends_a_guest_to_log_in_to_end(client, people):
    url = reverse("space_end", args=[people.space.pk])

    response = post_as(client, people, "guest", url)

    assert_login_redirect(response, url)
    assert state_of(people.space) == State.LIVE


def test_it_refuses_ending_a_space_that_is_not_live(client, people, scheduled):
    response = post_as(client, people, "host", reverse("space_end", args=[scheduled.pk]))

    assert response.status_code == 409
    assert state_of(scheduled) == State.SCHEDULED


def test_it_returns_404_for_ending_an_unknown_space(client, people):
    response = post_as(client, people, "host", reverse("space_end", args=[987654]))

    assert response.status_code == 404


# --- cancel ---------------------------------------------------------------------------------


def test_it_lets_the_host_cancel(client, people, scheduled):
    response = post_as(client, people, "host", reverse("space_cancel", args=[scheduled.pk]))

    assert response.status_code == 302
    assert response.url == scheduled.get_absolute_url()
    assert state_of(scheduled) == State.CANCELLED


@pytest.mark.parametrize("persona", NOT_HOST)
def test_it_refuses_cancelling_by_anyone_else(client, people, scheduled, persona):
    response = post_as(client, people, persona, reverse("space_cancel", args=[scheduled.pk]))

    assert response.status_code == 403
    assert state_of(scheduled) == State.SCHEDULED


def test_it_sends_a_guest_to_log_in_to_cancel(client, people, scheduled):
    url = reverse("space_cancel", args=[scheduled.pk])

    response = post_as(client, people, "guest", url)

    assert_login_redirect(response, url)
    assert state_of(scheduled) == State.SCHEDULED


def test_it_refuses_cancelling_a_live_space(client, people):
    response = post_as(client, people, "host", reverse("space_cancel", args=[people.space.pk]))

    assert response.status_code == 409
    assert state_of(people.space) == State.LIVE


# --- remind ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener", "outsider", "staff"])
def test_it_sets_a_reminder_for_anyone_logged_in(client, people, scheduled, persona):
    response = post_as(client, people, persona, reverse("space_remind", args=[scheduled.pk]))

    assert response.status_code == 302
    assert response.url == scheduled.get_absolute_url()
    assert Reminder.objects.filter(user=getattr(people, persona), space=scheduled).exists()


def test_it_clears_a_reminder(client, people, scheduled):
    Reminder.objects.create(user=people.listener, space=scheduled)

    response = post_as(client, people, "listener", reverse("space_remind", args=[scheduled.pk]), {"on": "0"})

    assert response.status_code == 302
    assert not Reminder.objects.filter(user=people.listener, space=scheduled).exists()


def test_it_sends_a_guest_to_log_in_for_a_reminder(client, people, scheduled):
    url = reverse("space_remind", args=[scheduled.pk])

    response = post_as(client, people, "guest", url)

    assert_login_redirect(response, url)
    assert not Reminder.objects.exists()


def test_it_refuses_a_reminder_for_a_live_space(client, people):
    response = post_as(client, people, "listener", reverse("space_remind", args=[people.space.pk]))

    assert response.status_code == 409
    assert not Reminder.objects.exists()


def test_it_goes_back_to_a_same_site_page_after_a_reminder(client, people, scheduled):
    url = reverse("space_remind", args=[scheduled.pk])

    response = post_as(client, people, "listener", url, {"next": "/search/?q=talk"})

    assert response.status_code == 302
    assert response.url == "/search/?q=talk"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_it_never_redirects_off_site_after_a_reminder(client, people, scheduled, target):
    url = reverse("space_remind", args=[scheduled.pk])

    response = post_as(client, people, "listener", url, {"next": target})

    assert response.status_code == 302
    assert response.url == scheduled.get_absolute_url()


# --- methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["space_start", "space_end", "space_cancel", "space_remind"])
def test_it_allows_only_post(client, people, scheduled, name):
    client.force_login(people.host)

    response = client.get(reverse(name, args=[scheduled.pk]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert state_of(scheduled) == State.SCHEDULED
    assert not Reminder.objects.exists()
