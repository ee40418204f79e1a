"""Personas for every permission test: host, co-host, speaker, listener, guest, outsider,
staff and a removed user, all around one live space."""

import os
from types import SimpleNamespace

import pytest
from channels.layers import channel_layers
from django.contrib.auth.models import AnonymousUser

from rooms.models import Participant
from tests.factories import ParticipantFactory, SpaceFactory, UserFactory

Role = Participant.Role


@pytest.fixture(autouse=True)
def _fresh_channel_layers(settings):
    """Each test gets new layer instances (and, on Redis, its own key prefix)."""
    if "CONFIG" in settings.CHANNEL_LAYERS["default"]:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"rt-test-{os.getpid()}-{os.urandom(3).hex()}"
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture
def space(db):
    return SpaceFactory(title="Founders talk", host=UserFactory(username="hana"))


@pytest.fixture
def people(space):
    """Everyone who can meet a space, by role."""

    def member(username, role, **extra):
        return ParticipantFactory(space=space, user=UserFactory(username=username), role=role, **extra).user

    return SimpleNamespace(
        space=space,
        host=space.host,
        cohost=member("cora", Role.COHOST),
        speaker=member("sam", Role.SPEAKER, muted=False),
        listener=member("lena", Role.LISTENER),
        raised=member("raj", Role.LISTENER, hand_raised_at=space.created_at),
        removed=member("rex", Role.LISTENER, removed=True, present=False, connections=0),
        outsider=UserFactory(username="otto"),
        staff=UserFactory(username="stella", is_staff=True),
        guest=AnonymousUser(),
    )
