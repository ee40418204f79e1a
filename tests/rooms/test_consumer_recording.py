"""Recording over the room socket: `recording.set` (the host starts and stops the recorder,
everyone hears of it as `space.recording`) and `recording.opt_out` (leave your voice out of
the replay), per persona, with bad input, and what the snapshot tells about recording."""

import pytest
from channels.db import database_sync_to_async

from recordings.models import Recording
from rooms.models import Space
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    marker,
    open_people,
    participant,
    read_to_marker,
    room_state,
    sockets_fixture,
    space_row,
    types,
    update_participant,
)

pytestmark = pytest.mark.django_db(transaction=True)

EVERYONE = ("host", "cohost", "speaker", "listener", "raised", "outsider", "staff", "guest")
NOT_THE_HOST = ("cohost", "speaker", "listener", "raised", "outsider", "staff")
SIGNED_IN = ("host", "cohost", "speaker", "listener", "raised", "outsider", "staff")
NOT_BOOLEANS = [None, "true", 1, 0, [], {}]


async def spans(space_id: int) -> list:
    found = await database_sync_to_async(Recording.objects.filter(space_id=space_id).first)()
    return found.spans if found else []


async def set_space(space_id: int, **fields) -> None:
    await database_sync_to_async(Space.objects.filter(pk=space_id).update)(**fields)


# --- recording.set ---------------------------------------------------------------------
async def test_it_starts_recording_and_everyone_is_told(people, sockets):
    room = await open_people(sockets, people, *EVERYONE)

    await room["host"].send("recording.set", on=True, ref="rec")

    await room["host"].expect_ack("rec")
    for name, socket in room.items():
        event = await socket.wait_type("space.recording")
        assert event == {"type": "space.recording", "recording": True}, name
    assert (await space_row(people.space.pk)).recording is True
    [(start, end)] = await spans(people.space.pk)
    assert end is None


async def test_it_stops_recording_and_everyone_is_told(people, sockets):
    room = await open_people(sockets, people, "host", "speaker", "listener", "guest")
    await room["host"].send("recording.set", on=True, ref=1)
    await room["host"].expect_ack(1)

    await room["host"].send("recording.set", on=False, ref=2)

    await room["host"].expect_ack(2)
    for name, socket in room.items():
        assert (await socket.wait_type("space.recording", recording=True))["recording"] is True, name
        assert (await socket.wait_type("space.recording", recording=False))["recording"] is False, name
    assert (await space_row(people.space.pk)).recording is False
    [(start, end)] = await spans(people.space.pk)
    assert end is not None and end >= start


@pytest.mark.parametrize("persona", NOT_THE_HOST)
async def test_it_lets_nobody_but_the_host_set_the_recorder(people, sockets, persona):
    room = await open_people(sockets, people, persona, "listener" if persona != "listener" else "speaker")
    watcher = room["listener" if persona != "listener" else "speaker"]
    before = await room_state(people.space.pk)

    await room[persona].send("recording.set", on=True, ref="deny")

    await room[persona].expect_error("forbidden", ref="deny")
    assert await room_state(people.space.pk) == before
    assert await spans(people.space.pk) == []
    await marker(people.space.pk)
    assert types(await read_to_marker(watcher)) == []
    await room[persona].ping()


async def test_it_asks_a_guest_to_log_in_before_anything_else(people, sockets):
    guest = await sockets.open(people.space.pk, people.guest)

    await guest.send("recording.set", ref=1)  # no `on` at all: the login comes first
    await guest.expect_error("login_required", ref=1)
    await guest.send("recording.opt_out", opt_out="yes", ref=2)
    await guest.expect_error("login_required", ref=2)
    await guest.ping()


async def test_it_refuses_to_record_a_space_that_has_not_started(people, sockets):
    await set_space(people.space.pk, state=Space.State.SCHEDULED, started_at=None)
    host = await sockets.open(people.space.pk, people.host)

    await host.send("recording.set", on=True, ref="early")

    await host.expect_error("not_live", ref="early")
    assert (await space_row(people.space.pk)).recording is False


# --- recording.opt_out -----------------------------------------------------------------
@pytest.mark.parametrize("persona", SIGNED_IN)
async def test_it_lets_anyone_signed_in_opt_out_and_everyone_sees_it(people, sockets, persona):
    names = dict.fromkeys((persona, "host", "listener", "guest"))
    room = await open_people(sockets, people, *names)
    user = getattr(people, persona)

    await room[persona].send("recording.opt_out", opt_out=True, ref="out")

    await room[persona].expect_ack("out")
    for name, socket in room.items():
        data = await socket.expect_update(user.pk)
        assert data["recording_opt_out"] is True, name
    assert (await participant(people.space.pk, user)).recording_opt_out is True


async def test_it_lets_a_speaker_opt_back_in(people, sockets):
    room = await open_people(sockets, people, "speaker", "host")
    await room["speaker"].send("recording.opt_out", opt_out=True, ref=1)
    await room["speaker"].expect_ack(1)

    await room["speaker"].send("recording.opt_out", opt_out=False, ref=2)

    await room["speaker"].expect_ack(2)
    assert (await room["host"].expect_update(people.speaker.pk))["recording_opt_out"] is True
    assert (await room["host"].expect_update(people.speaker.pk))["recording_opt_out"] is False
    assert (await participant(people.space.pk, people.speaker)).recording_opt_out is False


@pytest.mark.parametrize(
    ("persona", "kind", "field", "event"),
    [
        ("host", "recording.set", "on", "space.recording"),
        ("speaker", "recording.opt_out", "opt_out", "participant.updated"),
    ],
)
async def test_it_says_nothing_when_the_same_thing_is_asked_twice(people, sockets, persona, kind, field, event):
    room = await open_people(sockets, people, persona, "listener")
    for ref in (1, 2):
        await room[persona].send(kind, ref=ref, **{field: True})
        await room[persona].expect_ack(ref)

    await marker(people.space.pk)
    assert types(await read_to_marker(room["listener"])) == [event]
    if kind == "recording.set":
        assert len(await spans(people.space.pk)) == 1


async def test_it_refuses_an_opt_out_from_someone_removed_meanwhile(people, sockets):
    """The removed cannot connect; a removal racing an open socket leaves no place to opt out of."""
    speaker = await sockets.open(people.space.pk, people.speaker)
    await update_participant(people.space.pk, people.speaker, removed=True)
    before = await room_state(people.space.pk)

    await speaker.send("recording.opt_out", opt_out=True, ref="late")

    await speaker.expect_error("not_in_space", ref="late")
    assert await room_state(people.space.pk) == before


async def test_it_refuses_an_opt_out_in_a_space_that_has_not_started(people, sockets):
    await set_space(people.space.pk, state=Space.State.SCHEDULED, started_at=None)
    speaker = await sockets.open(people.space.pk, people.speaker)

    await speaker.send("recording.opt_out", opt_out=True, ref="early")

    await speaker.expect_error("not_live", ref="early")
    assert (await participant(people.space.pk, people.speaker)).recording_opt_out is False


# --- bad input, for both messages ----------------------------------------------------
MESSAGES = [("recording.set", "on", "host"), ("recording.opt_out", "opt_out", "speaker")]


@pytest.mark.parametrize(("kind", "field", "persona"), MESSAGES)
@pytest.mark.parametrize("value", [*NOT_BOOLEANS, "missing"], ids=repr)
async def test_it_refuses_a_recording_message_without_a_boolean(people, sockets, kind, field, persona, value):
    socket = await sockets.open(people.space.pk, getattr(people, persona))
    before = await room_state(people.space.pk)
    recording_before = (await space_row(people.space.pk)).recording

    await socket.send(kind, ref="bad", **({} if value == "missing" else {field: value}))

    error = await socket.expect_error("bad_field", ref="bad")
    assert f"`{field}`" in error["message"]
    assert await room_state(people.space.pk) == before
    assert (await space_row(people.space.pk)).recording == recording_before
    await socket.ping()


# --- the snapshot ----------------------------------------------------------------------
@pytest.mark.parametrize("persona", EVERYONE)
async def test_it_tells_whoever_joins_that_the_space_is_being_recorded(people, sockets, persona):
    await set_space(people.space.pk, record=True, recording=True)

    socket = await sockets.open(people.space.pk, getattr(people, persona), name=persona)

    assert socket.snapshot["space"]["recording"] is True
    assert socket.snapshot["space"]["record"] is True


@pytest.mark.parametrize("days", [0, 7])
async def test_it_gives_the_retention_days_in_the_snapshot(people, sockets, settings, days):
    settings.RECORDINGS = {**settings.RECORDINGS, "RETENTION_DAYS": days}

    socket = await sockets.open(people.space.pk, people.speaker)

    assert socket.snapshot["limits"]["retention_days"] == days


async def test_it_shows_opt_outs_in_the_snapshot(people, sockets):
    await update_participant(people.space.pk, people.speaker, recording_opt_out=True)

    host = await sockets.open(people.space.pk, people.host)

    by_id = {p["user_id"]: p for p in host.snapshot["participants"]}
    assert by_id[people.speaker.pk]["recording_opt_out"] is True
    assert by_id[people.cohost.pk]["recording_opt_out"] is False
