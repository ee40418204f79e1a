"""A moderator next to the personas: staff in the Moderators group (the migration's group,
so the test also proves the group holds moderation.moderate)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from clips.models import Clip
from recordings.models import Recording
from rooms.models import Space
from tests.factories import SpaceFactory, UserFactory


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mona", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def people(people, moderator):
    """The personas of tests/conftest.py, plus the moderator."""
    people.moderator = moderator
    return people


@pytest.fixture
def past(people):
    """An ended space of the host's with a published replay: two recorded spans on the
    space's clock (0-60 s and 90-120 s), so the replay's 70 s is the space's 100 s."""
    ended = timezone.now() - timedelta(hours=1)
    space = SpaceFactory(
        host=people.host,
        title="Last week",
        state=Space.State.ENDED,
        started_at=ended - timedelta(hours=1),
        ended_at=ended,
    )
    return Recording.objects.create(space=space, spans=[[0, 60_000], [90_000, 120_000]], published_at=ended)


@pytest.fixture
def clip(past):
    """A shared clip of the replay (space clock 95-105 s), made by someone else."""
    return Clip.objects.create(
        space=past.space,
        recording=past,
        creator=UserFactory(username="cleo"),
        source=Clip.Source.REPLAY,
        ranges=[[95_000, 105_000]],
        replay_ms=65_000,
        title="The good bit",
        state=Clip.State.PUBLISHED,
        published_at=timezone.now(),
    )
