"""moderation.services: placing a hold by hand and releasing one (moderators only; audited)."""

import pytest
from django.utils import timezone

from moderation.models import AuditEntry, Hold
from moderation.services import do_place_hold, do_release_hold
from recordings.models import ModerationCopy
from recordings.services import expired_copies
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from tests.rooms.service_helpers import PERSONAS


@pytest.fixture
def hold(people):
    return Hold.objects.create(space=people.space, reason="Report #12", created_by=people.staff)


def test_it_releases_a_hold_so_the_copy_follows_its_retention(people, hold):
    copy = ModerationCopy.objects.create(space=people.space, expires_at=timezone.now())
    assert not expired_copies().filter(pk=copy.pk).exists()

    do_release_hold(people.moderator, hold.pk)

    hold.refresh_from_db()
    assert hold.released_at is not None
    assert expired_copies().filter(pk=copy.pk).exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.target_id) == ("release_hold", people.moderator.pk, people.space.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_moderators_release_a_hold(people, hold, persona):
    with pytest.raises(NotAllowed):
        do_release_hold(getattr(people, persona), hold.pk)

    hold.refresh_from_db()
    assert hold.released_at is None
    assert not AuditEntry.objects.exists()


def test_it_refuses_to_release_a_hold_twice(people, hold):
    released = do_release_hold(people.moderator, hold.pk).released_at

    with pytest.raises(Conflict) as info:
        do_release_hold(people.moderator, hold.pk)

    assert info.value.code == "released"
    hold.refresh_from_db()
    assert hold.released_at == released


def test_it_reports_an_unknown_hold(people):
    with pytest.raises(NotFound):
        do_release_hold(people.moderator, 987654)


def test_it_places_a_hold_by_hand_and_audits_it(people):
    until = timezone.now() + timezone.timedelta(days=3)
    hold = do_place_hold(people.moderator, people.space.pk, "  Looking into a complaint by e-mail ", until)

    assert (hold.space, hold.reason, hold.until, hold.created_by) == (
        people.space,
        "Looking into a complaint by e-mail",
        until,
        people.moderator,
    )
    assert Hold.objects.active().filter(pk=hold.pk).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PLACE_HOLD)
    assert (entry.actor_id, entry.target_id, entry.subject_user_id) == (
        people.moderator.pk,
        people.space.pk,
        people.space.host_id,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_moderators_place_a_hold(people, persona):
    with pytest.raises(NotAllowed):
        do_place_hold(getattr(people, persona), people.space.pk, "Looking into it")

    assert not Hold.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("space_id", "reason", "days", "error"),
    [(987654, "why", None, NotFound), (None, "  ", None, InvalidRequest), (None, "why", -1, InvalidRequest)],
)
def test_it_refuses_a_bad_hold(people, space_id, reason, days, error):
    until = timezone.now() + timezone.timedelta(days=days) if days else None
    with pytest.raises(error):
        do_place_hold(people.moderator, space_id or people.space.pk, reason, until)

    assert not Hold.objects.exists() and not AuditEntry.objects.exists()
