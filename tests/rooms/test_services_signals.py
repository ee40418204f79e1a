"""What rooms announces to the apps above it (rooms/signals.py): once per change, from every
path that makes it, inside the transaction."""

import pytest
from django.utils import timezone

from recordings.models import ModerationCopy, Recording
from rooms.models import Space
from rooms.services.recording import do_set_recording
from rooms.services.spaces import do_cancel_space, do_close_space_by_job, do_create_space, do_end_space
from rooms.signals import recording_switched, space_ended, space_started
from tests.factories import ParticipantFactory, ScheduledSpaceFactory

State = Space.State


@pytest.fixture
def heard():
    """Every signal rooms sends, in order, as (name, space id, extra)."""
    calls = []

    def listen(name):
        def receiver(sender, space, **kwargs):
            calls.append((name, space.pk, kwargs.get("on")))

        return receiver

    receivers = {
        signal: listen(name)
        for signal, name in [(space_started, "started"), (space_ended, "ended"), (recording_switched, "recording")]
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    yield calls
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def test_it_announces_a_start_and_an_end_once(people, heard):
    space = do_create_space(people.outsider, title="Morning show")
    do_end_space(people.outsider, space.pk)

    assert heard == [("started", space.pk, None), ("ended", space.pk, None)]


@pytest.mark.parametrize("closer", ["host", "staff", "job"])
def test_it_ends_a_space_the_same_way_whoever_closes_it(people, heard, closer):
    space = people.space
    raised = ParticipantFactory(space=space, hand_raised_at=timezone.now())
    if closer == "job":
        assert do_close_space_by_job(space.pk, from_state=State.LIVE, to_state=State.ENDED, reason="empty")
    else:
        do_end_space(getattr(people, closer), space.pk)

    space.refresh_from_db()
    raised.refresh_from_db()
    assert space.state == State.ENDED and space.ended_at is not None and not space.recording
    assert raised.hand_raised_at is None
    assert heard == [("ended", space.pk, None)]
    assert ModerationCopy.objects.filter(space=space, expires_at__isnull=False).exists()  # recordings reacted


def test_a_second_close_announces_nothing(people, heard):
    do_end_space(people.host, people.space.pk)

    assert not do_close_space_by_job(people.space.pk, from_state=State.LIVE, to_state=State.ENDED, reason="empty")
    assert heard == [("ended", people.space.pk, None)]


def test_a_cancelled_space_is_not_announced_as_ended(db, heard):
    space = ScheduledSpaceFactory()

    do_cancel_space(space.host, space.pk)

    assert heard == []
    assert not ModerationCopy.objects.filter(space=space).exists()


def test_it_announces_each_switch_of_the_recorder(people, heard):
    do_set_recording(people.host, people.space.pk, True)
    do_set_recording(people.host, people.space.pk, True)  # already on: nothing to announce
    do_set_recording(people.host, people.space.pk, False)

    assert heard == [("recording", people.space.pk, True), ("recording", people.space.pk, False)]
    span = Recording.objects.get(space=people.space).spans
    assert len(span) == 1 and span[0][1] is not None  # recordings opened and closed the span
