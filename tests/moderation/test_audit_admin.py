"""The audit log in the admin: staff read and filter it; nobody adds, changes or deletes a row."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import AuditEntry
from moderation.services import audit
from tests.admin_helpers import change_page, changelist, run_action, superuser


@pytest.fixture
def entries(people, moderator):
    first = audit(
        moderator,
        AuditEntry.Action.SUSPEND_USER,
        "user",
        people.speaker.pk,
        "sam",
        subject_user_id=people.speaker.pk,
        reason="Threats in Founders talk",
    )
    second = audit(people.staff, AuditEntry.Action.HEAR_COPY, "space", people.space.pk, "Founders talk")
    return first, second


def listed(response) -> list[int]:
    return [entry.pk for entry in response.context["cl"].result_list]


@pytest.mark.parametrize("who", ["moderator", "staff"])
def test_it_lists_the_log_for_staff(people, moderator, entries, client, who):
    client.force_login(moderator if who == "moderator" else people.staff)
    response = client.get(changelist(AuditEntry))

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(e.pk for e in entries)
    assert client.get(change_page(entries[0])).status_code == 200


@pytest.mark.parametrize("persona", ["host", "listener", "outsider"])
def test_it_sends_people_who_are_not_staff_to_the_admin_login(people, entries, client, persona):
    client.force_login(getattr(people, persona))

    assert client.get(changelist(AuditEntry)).url.startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    ("query", "which"),
    [
        ({"action": "suspend_user"}, [0]),
        ({"actor_name": "stella"}, [1]),
        ({"q": "Threats"}, [0]),
        ({"q": "Founders"}, [0, 1]),
    ],
)
def test_it_filters_and_searches(people, entries, client, query, which):
    client.force_login(people.staff)
    response = client.get(changelist(AuditEntry), query)

    assert sorted(listed(response)) == sorted(entries[i].pk for i in which)


def test_it_browses_by_date(people, entries, client):
    client.force_login(people.staff)
    today = timezone.now()
    yesterday = today - timedelta(days=1)

    assert (
        len(
            listed(
                client.get(
                    changelist(AuditEntry), {"at__year": today.year, "at__month": today.month, "at__day": today.day}
                )
            )
        )
        == 2
    )
    assert (
        listed(
            client.get(
                changelist(AuditEntry),
                {"at__year": yesterday.year, "at__month": yesterday.month, "at__day": yesterday.day},
            )
        )
        == []
    )


@pytest.mark.parametrize("who", ["superuser", "moderator"])
def test_it_lets_nobody_add_change_or_delete(people, moderator, entries, client, who):
    client.force_login(superuser() if who == "superuser" else moderator)
    entry = entries[0]

    assert client.get(changelist(AuditEntry) + "add/").status_code == 403
    client.post(change_page(entry), {"reason": "Nothing happened", "actor_name": "nobody"})
    assert client.post(change_page(entry) + "delete/", {"post": "yes"}).status_code == 403
    run_action(client, AuditEntry, "delete_selected", [entry])

    entry.refresh_from_db()
    assert (entry.reason, entry.actor_name) == ("Threats in Founders talk", "mona")
    assert AuditEntry.objects.count() == 2
