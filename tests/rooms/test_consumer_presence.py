"""Presence over the socket: the grace after a drop, expiry through the hub, batched
reactions, and the end (or start) of a space reaching every socket."""

from collections import Counter

import pytest
from channels.db import database_sync_to_async

from rooms.consumers import CLOSE_ENDED
from rooms.models import Participant, Space
from rooms.services.presence import do_sweep_presence
from rooms.services.spaces import do_close_space_by_job, do_start_space
from tests.factories import SpaceFactory
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    marker,
    open_people,
    participant,
    read_to_marker,
    sockets_fixture,
    space_row,
    update_participant,
)

pytestmark = pytest.mark.django_db(transaction=True)

Role = Participant.Role


@pytest.fixture
def no_grace(settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "PRESENCE_GRACE_SECONDS": 0}


def left_batch(user):
    return lambda m: m["type"] == "batch" and user.pk in m["left"]


# --- grace -------------------------------------------------------------------------------
async def test_it_keeps_a_dropped_participant_present_during_grace(people, sockets):
    cohost = await sockets.open(people.space.pk, people.cohost, name="cohost")
    outsider = await sockets.open(people.space.pk, people.outsider)

    await outsider.disconnect()

    row = await participant(people.space.pk, people.outsider)
    assert (row.present, row.connections) == (True, 0)
    assert row.disconnected_at is not None
    # Someone arriving now still sees them in the room.
    late = await sockets.open(people.space.pk, people.guest)
    assert people.outsider.pk in [p["user_id"] for p in late.snapshot["participants"]]
    await marker(people.space.pk)
    assert not any(m["type"] == "batch" and m["left"] for m in await read_to_marker(cohost))


async def test_it_takes_back_a_speaker_who_reconnects_within_grace(people, sockets):
    await update_participant(people.space.pk, people.speaker, connections=0)  # no socket of theirs yet
    first = await sockets.open(people.space.pk, people.speaker, name="first")
    await first.disconnect()

    again = await sockets.open(people.space.pk, people.speaker, name="again")

    assert again.snapshot["you"]["role"] == "speaker"
    assert again.snapshot["you"]["muted"] is False
    row = await participant(people.space.pk, people.speaker)
    assert (row.role, row.present, row.connections, row.disconnected_at) == (Role.SPEAKER, True, 1, None)


async def test_it_marks_someone_gone_when_grace_runs_out(people, sockets, no_grace):
    cohost = await sockets.open(people.space.pk, people.cohost, name="cohost")
    outsider = await sockets.open(people.space.pk, people.outsider)

    await outsider.disconnect()

    batch = await cohost.wait_for(left_batch(people.outsider))
    assert batch["left"] == [people.outsider.pk]
    assert batch["joined"] == []  # a join and a leave in one interval cancel out in `joined`
    assert batch["listener_count"] == 2
    row = await participant(people.space.pk, people.outsider)
    assert (row.present, row.connections) == (False, 0)


async def test_it_returns_a_dropped_speaker_as_a_listener(people, sockets, no_grace):
    await update_participant(people.space.pk, people.speaker, connections=0)
    host = await sockets.open(people.space.pk, people.host)
    speaker = await sockets.open(people.space.pk, people.speaker)

    await speaker.disconnect()

    await host.wait_for(left_batch(people.speaker))
    row = await participant(people.space.pk, people.speaker)
    assert (row.present, row.role, row.muted, row.muted_by_moderator) == (False, Role.LISTENER, True, False)
    back = await sockets.open(people.space.pk, people.speaker, name="back")
    assert back.snapshot["you"]["role"] == "listener"
    joined = await host.wait_for(
        lambda m: m["type"] == "batch" and people.speaker.pk in [p["user_id"] for p in m["joined"]]
    )
    assert [(p["user_id"], p["role"]) for p in joined["joined"]] == [(people.speaker.pk, "listener")]


async def test_it_keeps_someone_present_while_another_tab_is_open(people, sockets, no_grace):
    cohost = await sockets.open(people.space.pk, people.cohost, name="cohost")
    tab_one = await sockets.open(people.space.pk, people.outsider, name="tab-1")
    await sockets.open(people.space.pk, people.outsider, name="tab-2")
    fence = await sockets.open(people.space.pk, people.staff, name="staff")

    await tab_one.disconnect()
    await fence.disconnect()

    # Expiry timers fire in order: once staff is reported gone, otto's check has run too.
    seen = await cohost.until(left_batch(people.staff))
    assert all(people.outsider.pk not in m["left"] for m in seen if m["type"] == "batch")
    row = await participant(people.space.pk, people.outsider)
    assert (row.present, row.connections) == (True, 1)


async def test_it_counts_a_guest_leaving(people, sockets):
    cohost = await sockets.open(people.space.pk, people.cohost, name="cohost")
    guest = await sockets.open(people.space.pk, people.guest)
    assert guest.snapshot["listener_count"] == 3

    await guest.disconnect()

    assert (await space_row(people.space.pk)).guest_listeners == 0
    batch = await cohost.wait_for(lambda m: m["type"] == "batch")
    if batch["listener_count"] == 3:  # the arrival had its own batch
        batch = await cohost.wait_for(lambda m: m["type"] == "batch")
    assert batch["listener_count"] == 2
    assert batch["joined"] == [] and batch["left"] == []


async def test_it_announces_the_sweep_of_a_lost_timer(people, sockets, settings):
    """The beat sweep covers timers lost with a restarted process: it sends `participant.left`."""
    cohost = await sockets.open(people.space.pk, people.cohost, name="cohost")
    outsider = await sockets.open(people.space.pk, people.outsider)
    await outsider.disconnect()  # its timer is set for the 30-second grace
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "PRESENCE_GRACE_SECONDS": 0}

    assert await database_sync_to_async(do_sweep_presence)() == 1

    left = await cohost.wait_type("participant.left")
    assert left == {"type": "participant.left", "user_id": people.outsider.pk, "reason": "left"}
    assert (await participant(people.space.pk, people.outsider)).present is False


# --- reactions ------------------------------------------------------------------------------
async def test_it_batches_reactions_from_many_sockets(people, sockets):
    senders = ("cohost", "speaker", "listener", "raised", "outsider", "staff")
    room = await open_people(sockets, people, "host", *senders)
    emojis = ("👏", "🔥", "😂")

    for name in senders:
        for n, emoji in enumerate(emojis):
            await room[name].send("reaction", emoji=emoji, ref=f"{name}-{n}")
    for name in senders:
        for n in range(len(emojis)):
            await room[name].expect_ack(f"{name}-{n}")

    sent = len(senders) * len(emojis)
    batches, total = [], Counter()
    while sum(total.values()) < sent:
        batch = await room["host"].wait_for(lambda m: m["type"] == "batch" and m["reactions"])
        batches.append(batch)
        total.update(batch["reactions"])
    assert total == {emoji: len(senders) for emoji in emojis}
    assert len(batches) < sent
    recent = [r for batch in batches for r in batch["recent_reactions"]]
    assert all(len(batch["recent_reactions"]) <= 20 for batch in batches)
    assert {r["user_id"] for r in recent} <= {getattr(people, name).pk for name in senders}
    assert all(set(r) == {"emoji", "user_id", "name"} for r in recent)
    # Every socket sees the same count, the sender included.
    seen_by_listener = Counter()
    while sum(seen_by_listener.values()) < sent:
        batch = await room["listener"].wait_for(lambda m: m["type"] == "batch" and m["reactions"])
        seen_by_listener.update(batch["reactions"])
    assert seen_by_listener == total


async def test_it_refuses_reactions_until_the_space_starts(people, sockets):
    space = await database_sync_to_async(SpaceFactory)(state=Space.State.SCHEDULED, started_at=None)
    host = await sockets.open(space.pk, space.host, name="host")
    listener = await sockets.open(space.pk, people.listener)

    await listener.send("reaction", emoji="👏", ref="early")
    await listener.expect_error("not_live", ref="early")
    await listener.send("hand.raise", ref="hand")
    await listener.expect_error("not_live", ref="hand")

    await database_sync_to_async(do_start_space)(space.host, space.pk)

    for socket in (host, listener):
        started = await socket.wait_type("space.started")
        assert started["space"]["state"] == "live" and started["space"]["started_at"]
    await listener.send("reaction", emoji="👏", ref="now")
    await listener.expect_ack("now")


# --- the end ---------------------------------------------------------------------------------
async def test_it_closes_every_socket_with_4410_after_space_ended(people, sockets):
    room = await open_people(sockets, people, "host", "cohost", "speaker", "listener", "raised", "guest")
    extra_guest = await sockets.open(people.space.pk, people.guest, name="guest-2")
    room["guest-2"] = extra_guest

    await room["host"].send("space.end", ref="end")

    for name, socket in room.items():
        assert await socket.wait_closed() == CLOSE_ENDED, name
        last = [m for m in socket.seen if m["type"] != "batch"][-1]
        if name == "host" and last["type"] == "ack":
            last = [m for m in socket.seen if m["type"] not in ("batch", "ack")][-1]
        assert last["type"] == "space.ended", name
        assert last["reason"] == "host"
    space = await space_row(people.space.pk)
    assert space.state == Space.State.ENDED
    assert space.ended_at is not None
    # Hands and invitations are cleared with the end.
    assert (await participant(people.space.pk, people.raised)).hand_raised_at is None

    late = await sockets.communicator(people.space.pk, people.listener)
    assert (await late.connect(timeout=3))[0]
    assert (await late.receive_json_from(timeout=3))["code"] == "space_ended"
    assert (await late.receive_output(timeout=3))["code"] == CLOSE_ENDED


async def test_it_closes_the_sockets_when_a_job_ends_an_empty_space(people, sockets):
    room = await open_people(sockets, people, "listener", "guest")

    closed = await database_sync_to_async(do_close_space_by_job)(
        people.space.pk, from_state=Space.State.LIVE, to_state=Space.State.ENDED, reason="empty"
    )

    assert closed is True
    for socket in room.values():
        ended = await socket.wait_type("space.ended")
        assert ended["reason"] == "empty"
        assert await socket.wait_closed() == CLOSE_ENDED


# --- the fan-out across a reload -------------------------------------------------------------
async def test_it_keeps_the_space_subscribed_when_the_last_socket_leaves_as_another_joins(people, sockets):
    """A page reload: the old socket's unsubscribe is still in flight (slow on Redis) while
    the new socket subscribes. The new socket must still receive the space's events."""
    import asyncio

    from rooms.hub import get_hub

    old = await sockets.open(people.space.pk, people.guest, name="old")
    hub = get_hub()
    real_discard = hub.layer.group_discard
    entered, unblock = asyncio.Event(), asyncio.Event()

    async def slow_discard(group, channel):
        entered.set()
        await unblock.wait()
        await real_discard(group, channel)

    hub.layer.group_discard = slow_discard
    leaving = asyncio.ensure_future(old.disconnect())
    await asyncio.wait_for(entered.wait(), 3)  # the old socket is out of the hub; its unsubscribe hangs
    joining = asyncio.ensure_future(sockets.open(people.space.pk, people.listener, name="new"))
    deadline = asyncio.get_running_loop().time() + 3
    while not hub.sockets.get(people.space.pk) and not joining.done():  # the new socket reaches the hub
        assert asyncio.get_running_loop().time() < deadline, "the new socket never reached the hub"
        await asyncio.sleep(0)
    unblock.set()
    await asyncio.wait_for(leaving, 3)
    new = await asyncio.wait_for(joining, 3)

    await new.send("hand.raise", ref="up")
    await new.expect_ack("up")
    assert (await new.expect_update(people.listener.pk))["hand_raised_at"] is not None
