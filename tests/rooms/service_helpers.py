"""Permission tables for service tests: each action is tried by every persona, and a refused
one must change nothing."""

import pytest

from recordings.models import Recording
from rooms.errors import NotAllowed
from rooms.models import Participant, Space

OK = None
PERSONAS = ("host", "cohost", "speaker", "listener", "raised", "removed", "outsider", "staff", "guest")


def outcomes(**expected) -> list[tuple[str, object]]:
    """The permission table of one action: every persona, refused (NotAllowed) unless named.
    A listener with a raised hand is a listener unless named."""
    expected.setdefault("raised", expected.get("listener", NotAllowed))
    return [(persona, expected.get(persona, NotAllowed)) for persona in PERSONAS]


def rows(space):
    """Everything the services can change, to prove a refused action changed nothing."""
    return (
        list(Participant.objects.filter(space=space).order_by("pk").values()),
        list(Space.objects.filter(pk=space.pk).values()),
        list(Recording.objects.filter(space=space).values("spans")),
    )


def attempt(people, action, expected):
    """Run `action`; if `expected` is an error class, check it is raised and nothing changed."""
    if expected is OK:
        return action()
    before = rows(people.space)
    with pytest.raises(expected) as info:
        action()
    assert rows(people.space) == before
    return info.value
