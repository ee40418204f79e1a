"""Opening the room socket: who gets in, what the snapshot holds, and how joins are announced."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from rooms.consumers import CLOSE_ENDED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND
from rooms.models import Participant, Space
from tests.factories import SpaceFactory, UserFactory
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    PERSONAS,
    marker,
    open_people,
    participant,
    read_to_marker,
    sockets_fixture,
    space_row,
)

pytestmark = pytest.mark.django_db(transaction=True)

Role = Participant.Role
PARTICIPANT_KEYS = {
    "user_id",
    "username",
    "name",
    "role",
    "muted",
    "muted_by_moderator",
    "hand_raised_at",
    "invited",
    "present",
    "recording_opt_out",
}
EXPECTED_ROLE = {
    "host": Role.HOST,
    "cohost": Role.COHOST,
    "speaker": Role.SPEAKER,
    "listener": Role.LISTENER,
    "raised": Role.LISTENER,
    "outsider": Role.LISTENER,
    "staff": Role.LISTENER,
}


@pytest.mark.parametrize("persona", PERSONAS)
async def test_it_sends_each_persona_a_snapshot_of_the_room(people, sockets, persona):
    user = getattr(people, persona)
    socket = await sockets.open(people.space.pk, user, name=persona)
    snapshot = socket.snapshot

    assert set(snapshot) == {"type", "space", "you", "participants", "listener_count", "limits", "blocked_user_ids"}
    assert snapshot["blocked_user_ids"] == []
    assert snapshot["space"]["id"] == people.space.pk
    assert snapshot["space"]["title"] == "Founders talk"
    assert snapshot["space"]["state"] == "live"
    assert snapshot["space"]["host_id"] == people.host.pk
    assert snapshot["space"]["ended_at"] is None
    assert snapshot["limits"] == {
        "cohosts": 2,
        "speakers": 10,
        "retention_days": settings.RECORDINGS["RETENTION_DAYS"],
    }

    if persona == "guest":
        assert snapshot["you"] is None
    else:
        assert snapshot["you"]["user_id"] == user.pk
        assert snapshot["you"]["username"] == user.username
        assert snapshot["you"]["role"] == EXPECTED_ROLE[persona]
        assert snapshot["you"]["present"] is True
        assert set(snapshot["you"]) == PARTICIPANT_KEYS

    # The host's own row is not present until the host connects; outsiders and staff
    # become listeners by connecting; the removed user never shows.
    expected = [people.cohost, people.speaker, people.listener, people.raised]
    if persona == "host":
        expected.insert(0, people.host)
    if persona in ("outsider", "staff"):
        expected.append(user)
    assert [p["user_id"] for p in snapshot["participants"]] == [u.pk for u in expected]
    assert people.removed.pk not in [p["user_id"] for p in snapshot["participants"]]
    raised = next(p for p in snapshot["participants"] if p["user_id"] == people.raised.pk)
    assert raised["hand_raised_at"] is not None
    speaker = next(p for p in snapshot["participants"] if p["user_id"] == people.speaker.pk)
    assert speaker["muted"] is False and speaker["role"] == "speaker"

    # Listeners: lena and raj, plus whoever just came in as a listener or a guest.
    assert snapshot["listener_count"] == 2 + (persona in ("outsider", "staff", "guest"))


async def test_it_counts_guests_as_listeners_without_a_you(people, sockets):
    first = await sockets.open(people.space.pk, people.guest, name="guest-1")
    second = await sockets.open(people.space.pk, people.guest, name="guest-2")

    assert first.snapshot["you"] is None and second.snapshot["you"] is None
    assert first.snapshot["listener_count"] == 3
    assert second.snapshot["listener_count"] == 4
    assert (await space_row(people.space.pk)).guest_listeners == 2


async def test_it_counts_a_new_socket_as_a_connection(people, sockets):
    await sockets.open(people.space.pk, people.outsider)
    row = await participant(people.space.pk, people.outsider)
    assert (row.role, row.present, row.connections) == (Role.LISTENER, True, 1)

    await sockets.open(people.space.pk, people.outsider, name="otto-tab-2")
    row = await participant(people.space.pk, people.outsider)
    assert row.connections == 2


async def test_it_sends_a_scheduled_space_as_not_live(people, sockets):
    space = await database_sync_to_async(SpaceFactory)(state=Space.State.SCHEDULED, started_at=None)
    socket = await sockets.open(space.pk, people.listener)
    assert socket.snapshot["space"]["state"] == "scheduled"
    assert socket.snapshot["you"]["role"] == "listener"


async def test_it_refuses_a_removed_user_with_4403(people, sockets):
    communicator = await sockets.communicator(people.space.pk, people.removed)
    connected, _ = await communicator.connect(timeout=3)
    assert connected  # accepted first, so the client can read why it is turned away

    error = await communicator.receive_json_from(timeout=3)
    assert error["type"] == "error"
    assert error["code"] == "removed"
    closed = await communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    row = await participant(people.space.pk, people.removed)
    assert (row.removed, row.present, row.connections) == (True, False, 0)


async def test_it_closes_with_4404_for_an_unknown_space(people, sockets):
    communicator = await sockets.communicator(999_999, people.listener)
    connected, _ = await communicator.connect(timeout=3)
    assert connected

    error = await communicator.receive_json_from(timeout=3)
    assert (error["type"], error["code"]) == ("error", "not_found")
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


@pytest.mark.parametrize("state", [Space.State.ENDED, Space.State.CANCELLED])
async def test_it_closes_with_4410_for_a_space_that_is_over(people, sockets, state):
    await database_sync_to_async(Space.objects.filter(pk=people.space.pk).update)(state=state)
    communicator = await sockets.communicator(people.space.pk, people.listener)
    connected, _ = await communicator.connect(timeout=3)
    assert connected

    error = await communicator.receive_json_from(timeout=3)
    assert (error["type"], error["code"]) == ("error", "space_ended")
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": CLOSE_ENDED}
    assert (await participant(people.space.pk, people.listener)).connections == 1  # the fixture's one


@pytest.mark.parametrize("origin", [b"http://evil.example", b"https://127.0.0.1.evil.example", None])
async def test_it_rejects_a_foreign_or_missing_origin(people, sockets, origin):
    communicator = await sockets.communicator(people.space.pk, people.listener, origin=origin or b"")
    if origin is None:
        communicator.scope["headers"] = [h for h in communicator.scope["headers"] if h[0] != b"origin"]
    connected, _ = await communicator.connect(timeout=3)

    assert not connected
    assert (await participant(people.space.pk, people.listener)).connections == 1


async def test_it_lets_a_session_cookie_identify_the_user(people, sockets):
    """Without the cookie the same browser is a guest."""
    with_cookie = await sockets.open(people.space.pk, people.speaker)
    without = await sockets.open(people.space.pk, None, name="no-cookie")
    assert with_cookie.snapshot["you"]["user_id"] == people.speaker.pk
    assert without.snapshot["you"] is None


async def test_it_treats_an_inactive_account_as_a_guest(people, sockets):
    """Django's auth backend refuses inactive users, so a suspended account's session reads
    as anonymous: the socket opens as a guest (and every action asks to log in)."""
    suspended = await database_sync_to_async(UserFactory)(username="sus", is_active=False)
    socket = await sockets.open(people.space.pk, suspended)
    assert socket.snapshot["you"] is None

    await socket.send("hand.raise", ref="r")
    await socket.expect_error("login_required", ref="r")


async def test_it_delivers_a_hand_raise_to_every_socket(people, sockets):
    room = await open_people(sockets, people, "host", "cohost", "speaker", "raised", "outsider", "guest", "listener")

    await room["listener"].send("hand.raise", ref=7)

    for name, socket in room.items():
        data = await socket.expect_update(people.listener.pk)
        assert data["hand_raised_at"] is not None, name
        assert data["role"] == "listener"
    await room["listener"].expect_ack(7)


async def test_it_delivers_to_two_tabs_of_the_same_person(people, sockets):
    tab_one = await sockets.open(people.space.pk, people.host, name="tab-1")
    tab_two = await sockets.open(people.space.pk, people.host, name="tab-2")
    listener = await sockets.open(people.space.pk, people.listener)

    await listener.send("hand.raise")

    for socket in (tab_one, tab_two, listener):
        assert (await socket.expect_update(people.listener.pk))["hand_raised_at"]


async def test_it_announces_the_hosts_arrival_as_a_join(people, sockets):
    """The host's row exists from the start but is not present until the host connects."""
    cohost = await sockets.open(people.space.pk, people.cohost, name="cohost")
    await sockets.open(people.space.pk, people.host)

    batch = await cohost.wait_for(lambda m: m["type"] == "batch" and m["joined"])
    assert [(p["user_id"], p["role"]) for p in batch["joined"]] == [(people.host.pk, "host")]
    assert batch["listener_count"] == 2


async def test_it_announces_a_join_in_a_batch_with_the_listener_count(people, sockets):
    host = await sockets.open(people.space.pk, people.cohost, name="cohost")
    await sockets.open(people.space.pk, people.outsider)

    batch = await host.wait_for(lambda m: m["type"] == "batch" and m["joined"])
    assert [p["user_id"] for p in batch["joined"]] == [people.outsider.pk]
    assert batch["joined"][0]["role"] == "listener"
    assert batch["joined"][0]["username"] == "otto"
    assert batch["left"] == []
    assert batch["reactions"] == {}
    assert batch["recent_reactions"] == []
    assert batch["listener_count"] == 3


async def test_it_reports_a_guest_arrival_only_in_the_listener_count(people, sockets):
    host = await sockets.open(people.space.pk, people.cohost, name="cohost")
    await sockets.open(people.space.pk, people.guest)

    batch = await host.wait_for(lambda m: m["type"] == "batch" and m["listener_count"] == 3)
    assert batch["joined"] == [] and batch["left"] == []


async def test_it_does_not_announce_someone_already_present(people, sockets):
    """lena is already present (another tab): opening a socket is not a join."""
    host = await sockets.open(people.space.pk, people.cohost, name="cohost")
    await sockets.open(people.space.pk, people.listener)
    await sockets.open(people.space.pk, people.outsider)

    batch = await host.wait_for(lambda m: m["type"] == "batch" and m["joined"])
    assert [p["user_id"] for p in batch["joined"]] == [people.outsider.pk]


async def test_it_keeps_deltas_of_one_space_away_from_another(people, sockets):
    other_space = await database_sync_to_async(SpaceFactory)(title="Elsewhere")
    elsewhere = await sockets.open(other_space.pk, people.listener, name="elsewhere")
    here = await sockets.open(people.space.pk, people.raised)

    await here.send("hand.lower", ref=1)
    await here.expect_ack(1)
    await marker(other_space.pk)
    seen = await read_to_marker(elsewhere)
    assert [m for m in seen if m["type"] != "batch"] == []


async def test_it_sends_the_snapshot_before_any_delta(people, sockets, monkeypatch):
    """A change committed while the snapshot is being sent reaches the socket after the
    snapshot, so a client applying deltas on top of the snapshot ends up current."""
    from rooms import consumers
    from rooms.services.stage import do_lower_hand

    real_snapshot = consumers.room_snapshot

    def snapshot_then_change(space, viewer):
        data = real_snapshot(space, viewer)
        do_lower_hand(people.raised, space.pk)  # commits; the hub delivers its delta at once
        return data

    monkeypatch.setattr(consumers, "room_snapshot", snapshot_then_change)
    socket = await sockets.open(people.space.pk, people.listener, snapshot=False)

    first = await socket.next()
    assert first["type"] == "snapshot"
    raised = next(p for p in first["participants"] if p["user_id"] == people.raised.pk)
    assert raised["hand_raised_at"] is not None  # read before the change
    assert (await socket.expect_update(people.raised.pk))["hand_raised_at"] is None
