"""The holds admin: placed by staff with the add form, released through the service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import AuditEntry, Hold
from tests.admin_helpers import (
    REFUSED,
    assert_no_add_or_delete,
    assert_turned_away,
    changelist,
    log_in,
    run_action,
    save_change_form,
    superuser,
    told,
)
from tests.factories import SpaceFactory


@pytest.fixture
def hold(people):
    return Hold.objects.create(space=people.space, reason="Report #12", created_by=people.staff)


def test_it_places_a_hold_in_the_name_of_the_staff_member(people, client):
    sue = superuser()
    client.force_login(sue)
    response = client.post(changelist(Hold) + "add/", {"space": people.space.pk, "reason": "Report #13"})

    assert response.status_code == 302
    hold = Hold.objects.get(space=people.space)
    assert (hold.reason, hold.created_by, hold.released_at, hold.until) == ("Report #13", sue, None, None)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_name, entry.target_id) == ("place_hold", sue.username, people.space.pk)


def test_it_places_a_hold_until_a_date_and_refuses_one_in_the_past(people, client):
    client.force_login(superuser())
    url = changelist(Hold) + "add/"
    past = client.post(url, {"space": people.space.pk, "reason": "x", "until_0": "2020-01-01", "until_1": "10:00"})

    assert past.status_code == 200 and "A hold ends in the future" in past.content.decode()
    assert not Hold.objects.exists() and not AuditEntry.objects.exists()
    response = client.post(url, {"space": people.space.pk, "reason": "x", "until_0": "2099-01-01", "until_1": "10:00"})
    assert response.status_code == 302
    assert Hold.objects.get().until.year == 2099


@pytest.mark.parametrize("persona", REFUSED)
def test_it_lets_only_moderators_place_holds(people, client, persona):
    # "viewer": staff given add_hold by hand, but not in the Moderators group.
    log_in(client, people, persona, "add_hold")
    response = client.post(changelist(Hold) + "add/", {"space": people.space.pk, "reason": "Report #13"})

    assert_turned_away(response, persona)
    assert not Hold.objects.exists() and not AuditEntry.objects.exists()


def test_it_releases_the_selected_holds_through_the_service(people, hold, client):
    other = Hold.objects.create(space=SpaceFactory(), reason="Report #14")
    client.force_login(superuser())
    response = run_action(client, Hold, "release", [hold, other])

    assert response.status_code == 302
    assert Hold.objects.active().count() == 0
    assert told(response) == [("success", "Released 2 holds.")]


def test_it_reports_a_hold_already_released_and_releases_the_others(people, hold, client):
    released_at = timezone.now() - timedelta(days=1)
    old = Hold.objects.create(space=people.space, reason="Report #9", released_at=released_at)
    client.force_login(superuser())
    response = run_action(client, Hold, "release", [hold, old])

    assert sorted(told(response)) == [
        ("error", f"{old}: This hold was already released."),
        ("success", "Released 1 hold."),
    ]
    old.refresh_from_db()
    assert old.released_at == released_at
    assert Hold.objects.active().count() == 0


@pytest.mark.parametrize("persona", REFUSED)
def test_it_lets_only_permitted_staff_release_holds(people, hold, client, persona):
    log_in(client, people, persona, "view_hold")
    response = run_action(client, Hold, "release", [hold])

    assert_turned_away(response, persona)
    hold.refresh_from_db()
    assert hold.released_at is None


def test_it_keeps_a_placed_hold_as_it_is(people, hold, client):
    client.force_login(superuser())
    save_change_form(
        client,
        hold,
        reason="Report #12 (appeal)",
        space=SpaceFactory().pk,
        released_at_0="2026-01-01",
        released_at_1="10:00:00",
        created_by=people.outsider.pk,
    )

    hold.refresh_from_db()
    assert hold.reason == "Report #12"
    assert (hold.space_id, hold.released_at, hold.created_by_id) == (people.space.pk, None, people.staff.pk)


def test_it_does_not_delete_holds(hold, client):
    client.force_login(superuser())

    assert_no_add_or_delete(client, hold, add=True)
