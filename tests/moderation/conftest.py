"""Moderation personas and records: a moderator (staff in the Moderators group) beside the
people of tests/conftest.py, a report on the live space's speaker at a moment, and the
space's moderation copy written as pure tones per voice."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from moderation.models import Report
from recordings.models import ModerationCopy
from tests.factories import UserFactory
from tests.recordings.conftest import write_voice

# Where on the space's clock the reported thing was said.
MOMENT_MS = 60_000


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def moderator(db):
    """Staff in the "Moderators" group the migration made: acts on reports, hears copies."""
    user = UserFactory(username="mona", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


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


@pytest.fixture
def copy(report, people):
    """The space's moderation copy: the host says 500 Hz, the speaker 700 Hz, both through
    the whole window around the moment."""
    ModerationCopy.objects.create(space=people.space)
    write_voice(people.space.pk, people.host.pk, 500.0, 0, 180)
    write_voice(people.space.pk, people.speaker.pk, 700.0, 0, 180)
    return ModerationCopy.objects.get(space=people.space)
