"""The notifications page: your own notifications, and marking them read."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.models import Notification
from tests.factories import UserFactory

URL = reverse("notifications")


@pytest.fixture
def alice(client, db):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


def test_it_sends_a_guest_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


def test_it_lists_your_notifications_newest_first(client, alice):
    now = timezone.now()
    older = Notification.objects.create(
        user=alice, text="hana is live: Older", url="/spaces/1/", created_at=now - timedelta(hours=1)
    )
    newer = Notification.objects.create(user=alice, text="bo is live: Newer", url="/spaces/2/", created_at=now)

    response = client.get(URL)

    assert response.status_code == 200
    assert list(response.context["items"]) == [newer, older]
    body = response.content.decode()
    assert body.index("bo is live: Newer") < body.index("hana is live: Older")
    assert 'href="/spaces/2/"' in body


def test_it_shows_nobody_elses_notifications(client, alice):
    Notification.objects.create(user=UserFactory(username="bob"), text="for bob only")

    response = client.get(URL)

    assert list(response.context["items"]) == []
    assert "for bob only" not in response.content.decode()
    assert "Nothing yet." in response.content.decode()


def test_it_shows_at_most_50(client, alice):
    Notification.objects.bulk_create([Notification(user=alice, text=f"note {n}") for n in range(55)])

    response = client.get(URL)

    assert len(response.context["items"]) == 50


def test_it_marks_unread_notifications(client, alice):
    Notification.objects.create(user=alice, text="unread one")

    response = client.get(URL)

    assert response.context["unread_notifications"] == 1
    assert "list-item unread" in response.content.decode()
    assert "Mark all read" in response.content.decode()


def test_it_marks_all_read(client, alice):
    Notification.objects.create(user=alice, text="one")
    Notification.objects.create(user=alice, text="two")
    earlier = timezone.now() - timedelta(days=1)
    already = Notification.objects.create(user=alice, text="old", read_at=earlier)
    bobs = Notification.objects.create(user=UserFactory(username="bob"), text="bob's")

    response = client.post(URL)

    assert response.status_code == 302
    assert response.url == URL
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    already.refresh_from_db()
    assert already.read_at == earlier
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert client.get(URL).context["unread_notifications"] == 0


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_it_allows_only_get_and_post(client, alice, method):
    Notification.objects.create(user=alice, text="one")

    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
