"""moderation.services: releasing a hold (moderators only; audited)."""

import pytest
from django.utils import timezone

from moderation.models import AuditEntry, Hold
from moderation.services import do_release_hold
from recordings.models import ModerationCopy
from recordings.services import expired_copies
from rooms.errors import Conflict, NotAllowed, NotFound
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
