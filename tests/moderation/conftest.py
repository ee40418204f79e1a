"""A moderator next to the personas: staff in the Moderators group (the migration's group,
so the test also proves the group holds moderation.moderate)."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory


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
