"""A moderator next to the personas: staff in the Moderators group (the migration's group,
so the test also proves the group holds moderation.moderate). For the admin's review tests:
a report on the live space's speaker at a moment, and the space's moderation copy written
as pure tones per voice."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from clips.models import Clip
from moderation.models import Report
from recordings.models import ModerationCopy, Recording
from rooms.models import Space
from tests.factories import SpaceFactory, UserFactory
from tests.recordings.conftest import write_voice


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


# Where on the space's clock the reported thing was said.
MOMENT_MS = 60_000


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def make_report(reporter, **fields) -> Report:
    defaults = {"kind": Report.Kind.SPEAKER, "category": Report.Category.HARASSMENT, "text": "Shouting at people."}
    return Report.objects.create(reporter=reporter, **(defaults | fields))


@pytest.fixture
def report(people):
    """The listener reports the speaker of the live space, 60 s into it."""
    space = people.space
    space.started_at = timezone.now() - timedelta(minutes=5)
    space.save(update_fields=["started_at"])
    return make_report(
        people.listener,
        space=space,
        reported_user=people.speaker,
        moment_ms=MOMENT_MS,
        during_space=True,
    )


def end_space(space) -> None:
    """The space is over (its moderation copy now goes by its own row)."""
    space.state = Space.State.ENDED
    space.ended_at = timezone.now()
    space.save(update_fields=["state", "ended_at"])


@pytest.fixture
def copy(report, people):
    """The space's moderation copy: the host says 500 Hz, the speaker 700 Hz, both through
    the whole window around the moment."""
    ModerationCopy.objects.create(space=people.space)
    write_voice(people.space.pk, people.host.pk, 500.0, 0, 180)
    write_voice(people.space.pk, people.speaker.pk, 700.0, 0, 180)
    return ModerationCopy.objects.get(space=people.space)
