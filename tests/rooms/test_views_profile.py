"""Profiles: a host's spaces, and following them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.models import Follow, Space
from tests.factories import SpaceFactory

State = Space.State


def profile_url(user):
    return reverse("profile", args=[user.username])


def follow_url(user):
    return reverse("follow", args=[user.username])


@pytest.fixture
def hosted(people):
    host = people.host
    later = dict(started_at=None, scheduled_for=timezone.now() + timedelta(days=1))
    return {
        "live": people.space,
        "upcoming": SpaceFactory(host=host, title="Coming soon", state=State.SCHEDULED, **later),
        "past": SpaceFactory(host=host, title="Last week", state=State.ENDED, ended_at=timezone.now()),
        "cancelled": SpaceFactory(host=host, title="Called off", state=State.CANCELLED, **later),
    }


def test_it_shows_a_hosts_spaces(client, people, hosted):
    response = client.get(profile_url(people.host))

    assert response.status_code == 200
    assert response.context["person"] == people.host
    assert [s.pk for s in response.context["live"]] == [hosted["live"].pk]
    assert [s.pk for s in response.context["upcoming"]] == [hosted["upcoming"].pk]
    assert [s.pk for s in response.context["past"]] == [hosted["past"].pk]
    body = response.content.decode()
    assert "Founders talk" in body
    assert "Coming soon" in body
    assert "Last week" in body
    assert "Called off" not in body


def test_it_does_not_show_other_hosts_spaces(client, people, hosted):
    SpaceFactory(title="Someone else's")

    response = client.get(profile_url(people.host))

    assert "Someone else" not in response.content.decode()


def test_it_shows_an_empty_profile(client, people):
    response = client.get(profile_url(people.outsider))

    assert response.status_code == 200
    body = response.content.decode()
    assert "@otto" in body
    assert "Nothing scheduled." in body
    assert "No past spaces yet." in body


def test_it_returns_404_for_an_unknown_person(client, db):
    response = client.get(reverse("profile", args=["nobody"]))

    assert response.status_code == 404


def test_it_counts_followers(client, people):
    Follow.objects.create(follower=people.listener, host=people.host)
    Follow.objects.create(follower=people.speaker, host=people.host)

    response = client.get(profile_url(people.host))

    assert response.context["follower_count"] == 2
    assert "2 followers" in response.content.decode()


def test_it_follows_a_host(client, people):
    client.force_login(people.listener)

    response = client.post(follow_url(people.host))

    assert response.status_code == 302
    assert response.url == profile_url(people.host)
    assert Follow.objects.filter(follower=people.listener, host=people.host).exists()
    page = client.get(profile_url(people.host))
    assert page.context["following"] is True
    assert "Following ✓" in page.content.decode()


def test_it_unfollows_a_host(client, people):
    Follow.objects.create(follower=people.listener, host=people.host)
    client.force_login(people.listener)

    response = client.post(follow_url(people.host), {"on": "0"})

    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert client.get(profile_url(people.host)).context["following"] is False


def test_it_follows_only_once(client, people):
    client.force_login(people.listener)

    client.post(follow_url(people.host))
    client.post(follow_url(people.host))

    assert Follow.objects.count() == 1


def test_it_refuses_following_yourself(client, people):
    client.force_login(people.host)

    response = client.post(follow_url(people.host))

    assert response.status_code == 400
    assert "You cannot follow yourself." in response.content.decode()
    assert not Follow.objects.exists()


def test_it_hides_the_follow_button_on_your_own_profile(client, people):
    client.force_login(people.host)

    response = client.get(profile_url(people.host))

    assert follow_url(people.host) not in response.content.decode()


def test_it_sends_a_guest_to_log_in_to_follow(client, people):
    response = client.post(follow_url(people.host))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={follow_url(people.host)}"
    assert not Follow.objects.exists()


def test_it_returns_404_for_following_an_unknown_person(client, people):
    client.force_login(people.listener)

    response = client.post(reverse("follow", args=["nobody"]))

    assert response.status_code == 404
    assert not Follow.objects.exists()


def test_it_allows_only_post_to_follow(client, people):
    client.force_login(people.listener)

    response = client.get(follow_url(people.host))

    assert response.status_code == 405
    assert not Follow.objects.exists()
