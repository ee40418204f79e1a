"""Recording services: the host starts and stops the recorder (recorded spans, the live
event), and anyone signed in to a live space may leave their voice out of the replay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import Recording
from rooms.errors import Conflict
from rooms.models import Participant, Space
from rooms.services import recording
from rooms.services.spaces import do_end_space
from tests.rooms.service_helpers import OK, attempt, outcomes


def spans(space) -> list:
    found = Recording.objects.filter(space=space).first()
    return found.spans if found else []


@pytest.fixture
def ten_seconds_in(people):
    """The space started ten seconds ago, so recorded spans have a place on its clock."""
    Space.objects.filter(pk=people.space.pk).update(started_at=timezone.now() - timedelta(seconds=10))
    people.space.refresh_from_db()
    return people


# --- who may -------------------------------------------------------------------------
@pytest.mark.parametrize("persona, expected", outcomes(host=OK))
def test_it_lets_only_the_host_start_recording(people, persona, expected):
    user = getattr(people, persona)

    error = attempt(people, lambda: recording.do_set_recording(user, people.space.pk, True), expected)

    people.space.refresh_from_db()
    if expected is OK:
        assert people.space.recording is True
    else:
        assert error.code == "forbidden"
        assert people.space.recording is False


@pytest.mark.parametrize("persona, expected", outcomes(host=OK))
def test_it_lets_only_the_host_stop_recording(people, persona, expected):
    recording.do_set_recording(people.host, people.space.pk, True)
    user = getattr(people, persona)

    attempt(people, lambda: recording.do_set_recording(user, people.space.pk, False), expected)

    people.space.refresh_from_db()
    assert people.space.recording is (expected is not OK)


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK, speaker=OK, listener=OK, raised=OK))
def test_it_lets_anyone_in_the_space_opt_out(people, persona, expected):
    user = getattr(people, persona)

    error = attempt(people, lambda: recording.do_set_recording_opt_out(user, people.space.pk, True), expected)

    if expected is OK:
        assert Participant.objects.get(space=people.space, user=user).recording_opt_out is True
    else:
        # The removed have a row but no place; outsiders and staff who never connected have none.
        assert error.code == ("login_required" if persona == "guest" else "not_in_space")


def test_it_lets_a_speaker_opt_back_in(people):
    recording.do_set_recording_opt_out(people.speaker, people.space.pk, True)

    participant = recording.do_set_recording_opt_out(people.speaker, people.space.pk, False)

    assert participant.recording_opt_out is False
    assert Participant.objects.get(pk=participant.pk).recording_opt_out is False


# --- recorded spans ----------------------------------------------------------------------
def test_it_opens_a_span_when_recording_starts(ten_seconds_in):
    people = ten_seconds_in

    recording.do_set_recording(people.host, people.space.pk, True)

    [(start, end)] = spans(people.space)
    assert 9_000 <= start <= 20_000
    assert end is None


def test_it_closes_the_span_when_recording_stops(ten_seconds_in):
    people = ten_seconds_in
    recording.do_set_recording(people.host, people.space.pk, True)

    recording.do_set_recording(people.host, people.space.pk, False)

    [(start, end)] = spans(people.space)
    assert end is not None and end >= start


def test_it_opens_a_new_span_when_recording_starts_again(ten_seconds_in):
    people = ten_seconds_in
    recording.do_set_recording(people.host, people.space.pk, True)
    recording.do_set_recording(people.host, people.space.pk, False)

    recording.do_set_recording(people.host, people.space.pk, True)

    first, second = spans(people.space)
    assert first[1] is not None
    assert second[0] >= first[1] and second[1] is None


def test_it_closes_the_open_span_when_the_space_ends(ten_seconds_in):
    people = ten_seconds_in
    recording.do_set_recording(people.host, people.space.pk, True)

    do_end_space(people.host, people.space.pk)

    [(start, end)] = spans(people.space)
    assert end is not None and end >= start
    people.space.refresh_from_db()
    assert people.space.recording is False


# --- idempotence -------------------------------------------------------------------------
def test_it_does_nothing_when_recording_is_started_twice(ten_seconds_in, sent, django_capture_on_commit_callbacks):
    people = ten_seconds_in
    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording(people.host, people.space.pk, True)
    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording(people.host, people.space.pk, True)

    assert len(spans(people.space)) == 1
    assert len(sent) == 1


def test_it_does_nothing_when_recording_is_stopped_while_stopped(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording(people.host, people.space.pk, False)

    assert spans(people.space) == []
    assert sent == []


def test_it_does_nothing_when_someone_opts_out_twice(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording_opt_out(people.speaker, people.space.pk, True)
    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording_opt_out(people.speaker, people.space.pk, True)

    assert len(sent) == 1
    assert Participant.objects.get(space=people.space, user=people.speaker).recording_opt_out is True


# --- spaces that are not live ------------------------------------------------------------
@pytest.mark.parametrize("state", [Space.State.ENDED, Space.State.CANCELLED, Space.State.SCHEDULED])
def test_it_refuses_to_record_a_space_that_is_not_live(people, state):
    Space.objects.filter(pk=people.space.pk).update(state=state)

    error = attempt(people, lambda: recording.do_set_recording(people.host, people.space.pk, True), Conflict)

    assert error.code == "not_live"
    assert spans(people.space) == []


def test_it_refuses_to_stop_recording_an_ended_space(people):
    recording.do_set_recording(people.host, people.space.pk, True)
    do_end_space(people.host, people.space.pk)

    error = attempt(people, lambda: recording.do_set_recording(people.host, people.space.pk, False), Conflict)

    assert error.code == "not_live"


def test_it_refuses_an_opt_out_in_an_ended_space(people):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED, ended_at=timezone.now())

    error = attempt(people, lambda: recording.do_set_recording_opt_out(people.speaker, people.space.pk, True), Conflict)

    assert error.code == "not_live"


# --- live events -------------------------------------------------------------------------
@pytest.mark.parametrize("on", [True, False])
def test_it_tells_the_space_after_commit_when_recording_changes(people, sent, django_capture_on_commit_callbacks, on):
    Space.objects.filter(pk=people.space.pk).update(recording=not on)

    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording(people.host, people.space.pk, on)
        assert sent == []  # nothing leaves before the commit

    assert sent == [(people.space.pk, {"type": "space.recording", "recording": on}, None)]


def test_it_tells_the_space_who_opted_out(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording.do_set_recording_opt_out(people.speaker, people.space.pk, True)

    [(space_id, event, to_user)] = sent
    assert (space_id, to_user, event["type"]) == (people.space.pk, None, "participant.updated")
    assert event["participant"]["user_id"] == people.speaker.pk
    assert event["participant"]["recording_opt_out"] is True
    assert event["participant"]["role"] == "speaker"


def test_a_space_recorded_at_any_point_is_shown_as_recorded(ten_seconds_in):
    space = ten_seconds_in.space
    Space.objects.filter(pk=space.pk).update(record=False, recording=False)
    recording.do_set_recording(space.host, space.pk, True)
    recording.do_set_recording(space.host, space.pk, False)
    space.refresh_from_db()
    assert space.record and not space.recording
