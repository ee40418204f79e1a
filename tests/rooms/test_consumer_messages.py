"""Every client message type, done by someone allowed to: the delta each socket receives,
the personal events only their target receives, and the `ack` of a message with a `ref`."""

import pytest

from rooms.consumers import CLOSE_ENDED, CLOSE_FORBIDDEN, REACTIONS, RoomConsumer
from rooms.models import Participant, Space
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    marker,
    open_people,
    participant,
    read_to_marker,
    sockets_fixture,
    space_row,
    types,
    update_participant,
)

pytestmark = pytest.mark.django_db(transaction=True)

Role = Participant.Role

# The types this module shows succeeding; kept in step with the consumer's table below.
COVERED = {
    "ping",
    "hand.raise",
    "hand.lower",
    "speaker.add",
    "speaker.invite",
    "invite.accept",
    "invite.decline",
    "speaker.step_down",
    "speaker.remove",
    "cohost.add",
    "cohost.remove",
    "mute",
    "unmute",
    "mute.allow",
    "mute.all",
    "participant.remove",
    "space.end",
    "reaction",
}


# WebRTC signalling: its success needs a running media engine, so it is not shown here
# (its denials and bad input are, in test_consumer_permissions and test_consumer_bad_input).
MEDIA_TYPES = {"media.offer", "media.leave"}
# Recording has its own module, test_consumer_recording.
RECORDING_TYPES = {"recording.set", "recording.opt_out"}


def test_it_covers_every_message_type_of_the_consumer():
    assert set(RoomConsumer.HANDLERS) - MEDIA_TYPES - RECORDING_TYPES == COVERED


async def expect_everyone_sees(room: dict, user_id: int, **fields) -> None:
    """Every socket in `room` receives a `participant.updated` about `user_id` with `fields`."""
    for name, socket in room.items():
        data = await socket.expect_update(user_id)
        for key, value in fields.items():
            assert data[key] == value, f"{name} saw {key}={data[key]!r}, expected {value!r}"


# --- ping ------------------------------------------------------------------------
async def test_it_answers_ping_with_pong(people, sockets):
    socket = await sockets.open(people.space.pk, people.listener)
    await socket.send("ping")
    assert await socket.expect("pong") == {"type": "pong"}


async def test_it_acks_a_ping_with_its_ref_after_the_pong(people, sockets):
    socket = await sockets.open(people.space.pk, people.guest)
    await socket.send("ping", ref="p-1")
    assert await socket.expect("pong") == {"type": "pong"}
    assert await socket.expect("ack") == {"type": "ack", "ref": "p-1"}


@pytest.mark.parametrize("ref", [0, 17, "", "a string ref"])
async def test_it_echoes_any_string_or_integer_ref(people, sockets, ref):
    socket = await sockets.open(people.space.pk, people.listener)
    await socket.send("hand.raise", ref=ref)
    await socket.expect_ack(ref)


# --- hands -----------------------------------------------------------------------
async def test_it_raises_a_hand(people, sockets):
    room = await open_people(sockets, people, "host", "cohost", "speaker", "guest", "listener")

    await room["listener"].send("hand.raise", ref=1)

    await room["listener"].expect_ack(1)
    for socket in room.values():
        data = await socket.expect_update(people.listener.pk)
        assert data["hand_raised_at"] is not None
        assert (data["role"], data["invited"], data["present"]) == ("listener", False, True)
    assert (await participant(people.space.pk, people.listener)).hand_raised_at is not None


async def test_it_lowers_your_own_hand(people, sockets):
    room = await open_people(sockets, people, "host", "listener", "raised")

    await room["raised"].send("hand.lower", ref="down")

    await room["raised"].expect_ack("down")
    await expect_everyone_sees(room, people.raised.pk, hand_raised_at=None, role="listener")
    assert (await participant(people.space.pk, people.raised)).hand_raised_at is None


@pytest.mark.parametrize("moderator", ["host", "cohost"])
async def test_it_lets_a_moderator_lower_someone_elses_hand(people, sockets, moderator):
    room = await open_people(sockets, people, moderator, "listener", "raised")

    await room[moderator].send("hand.lower", user_id=people.raised.pk, ref=2)

    await room[moderator].expect_ack(2)
    await expect_everyone_sees(room, people.raised.pk, hand_raised_at=None)
    assert (await participant(people.space.pk, people.raised)).hand_raised_at is None


# --- the stage ---------------------------------------------------------------------
@pytest.mark.parametrize("moderator", ["host", "cohost"])
async def test_it_brings_a_raised_hand_onto_the_stage(people, sockets, moderator):
    room = await open_people(sockets, people, moderator, "speaker", "guest", "raised")

    await room[moderator].send("speaker.add", user_id=people.raised.pk, ref="up")

    await room[moderator].expect_ack("up")
    await expect_everyone_sees(room, people.raised.pk, role="speaker", hand_raised_at=None, muted=True)
    row = await participant(people.space.pk, people.raised)
    assert (row.role, row.hand_raised_at, row.muted) == (Role.SPEAKER, None, True)


async def test_it_invites_a_listener_and_only_they_get_the_invitation(people, sockets):
    room = await open_people(sockets, people, "host", "cohost", "raised", "guest", "listener")

    await room["cohost"].send("speaker.invite", user_id=people.listener.pk, ref="inv")

    await room["cohost"].expect_ack("inv")
    await expect_everyone_sees(room, people.listener.pk, invited=True, role="listener")
    await marker(people.space.pk)
    for name, socket in room.items():
        seen = types(await read_to_marker(socket))
        if name == "listener":
            assert "invited" in seen
            invitation = next(m for m in socket.seen if m["type"] == "invited")
            assert invitation == {"type": "invited", "by": people.cohost.pk, "by_name": "cora"}
        else:
            assert "invited" not in seen, name
    row = await participant(people.space.pk, people.listener)
    assert row.invited_by_id == people.cohost.pk


async def test_it_brings_an_invited_listener_up_when_they_accept(people, sockets):
    room = await open_people(sockets, people, "host", "guest", "listener")
    await room["host"].send("speaker.invite", user_id=people.listener.pk, ref="inv")
    await room["host"].expect_ack("inv")
    await room["listener"].wait_type("invited")

    await room["listener"].send("invite.accept", ref="yes")

    await room["listener"].expect_ack("yes")
    for socket in room.values():
        await socket.expect_update(people.listener.pk)  # the invitation
    await expect_everyone_sees(room, people.listener.pk, role="speaker", invited=False, muted=True)
    row = await participant(people.space.pk, people.listener)
    assert (row.role, row.invited_by_id) == (Role.SPEAKER, None)


async def test_it_withdraws_an_invitation_when_it_is_declined(people, sockets):
    await update_participant(people.space.pk, people.listener, invited_by=people.host)
    room = await open_people(sockets, people, "host", "guest", "listener")
    listed = {p["user_id"]: p for p in room["host"].snapshot["participants"]}
    assert listed[people.listener.pk]["invited"] is True

    await room["listener"].send("invite.decline", ref="no")

    await room["listener"].expect_ack("no")
    await expect_everyone_sees(room, people.listener.pk, role="listener", invited=False)
    row = await participant(people.space.pk, people.listener)
    assert (row.role, row.invited_by_id) == (Role.LISTENER, None)


@pytest.mark.parametrize("persona", ["speaker", "cohost"])
async def test_it_lets_someone_step_down_from_the_stage(people, sockets, persona):
    room = await open_people(sockets, people, "host", "guest", persona)

    await room[persona].send("speaker.step_down", ref="bye")

    await room[persona].expect_ack("bye")
    await expect_everyone_sees(room, getattr(people, persona).pk, role="listener", muted=True, muted_by_moderator=False)
    assert (await participant(people.space.pk, getattr(people, persona))).role == Role.LISTENER


@pytest.mark.parametrize(("moderator", "target"), [("host", "speaker"), ("host", "cohost"), ("cohost", "speaker")])
async def test_it_moves_someone_off_the_stage(people, sockets, moderator, target):
    room = await open_people(sockets, people, moderator, target, "listener")
    target_user = getattr(people, target)

    await room[moderator].send("speaker.remove", user_id=target_user.pk, ref="off")

    await room[moderator].expect_ack("off")
    await expect_everyone_sees(room, target_user.pk, role="listener", muted=True)
    row = await participant(people.space.pk, target_user)
    assert (row.role, row.muted, row.removed, row.present) == (Role.LISTENER, True, False, True)


# --- co-hosts ------------------------------------------------------------------------
async def test_it_makes_a_speaker_a_cohost(people, sockets):
    room = await open_people(sockets, people, "host", "speaker", "listener")

    await room["host"].send("cohost.add", user_id=people.speaker.pk, ref="co")

    await room["host"].expect_ack("co")
    # Already on stage: only the role changes, the open microphone stays open.
    await expect_everyone_sees(room, people.speaker.pk, role="cohost", muted=False)
    assert (await participant(people.space.pk, people.speaker)).role == Role.COHOST


async def test_it_brings_a_listener_up_as_cohost_muted(people, sockets):
    room = await open_people(sockets, people, "host", "raised")

    await room["host"].send("cohost.add", user_id=people.raised.pk, ref="co")

    await room["host"].expect_ack("co")
    await expect_everyone_sees(room, people.raised.pk, role="cohost", muted=True, hand_raised_at=None)


async def test_it_turns_a_cohost_back_into_a_speaker(people, sockets):
    room = await open_people(sockets, people, "host", "cohost", "listener")

    await room["host"].send("cohost.remove", user_id=people.cohost.pk, ref="unco")

    await room["host"].expect_ack("unco")
    await expect_everyone_sees(room, people.cohost.pk, role="speaker")
    assert (await participant(people.space.pk, people.cohost)).role == Role.SPEAKER


# --- microphones -----------------------------------------------------------------------
async def test_it_lets_a_speaker_mute_themselves(people, sockets):
    room = await open_people(sockets, people, "host", "listener", "speaker")

    await room["speaker"].send("mute", ref="m")

    await room["speaker"].expect_ack("m")
    await expect_everyone_sees(room, people.speaker.pk, muted=True, muted_by_moderator=False)


@pytest.mark.parametrize(("moderator", "target"), [("host", "speaker"), ("host", "cohost"), ("cohost", "speaker")])
async def test_it_lets_a_moderator_mute_someone_and_that_mute_holds(people, sockets, moderator, target):
    room = await open_people(sockets, people, moderator, "listener", target)
    target_user = getattr(people, target)

    await room[moderator].send("mute", user_id=target_user.pk, ref="m")

    await room[moderator].expect_ack("m")
    await expect_everyone_sees(room, target_user.pk, muted=True, muted_by_moderator=True)
    await room[target].send("unmute", ref="try")
    await room[target].expect_error("muted_by_host", ref="try")


async def test_it_lets_a_speaker_unmute_themselves(people, sockets):
    room = await open_people(sockets, people, "host", "listener", "cohost")

    await room["cohost"].send("unmute", ref="u")

    await room["cohost"].expect_ack("u")
    await expect_everyone_sees(room, people.cohost.pk, muted=False)
    assert (await participant(people.space.pk, people.cohost)).muted is False


async def test_it_lets_a_moderator_allow_a_muted_speaker_to_unmute(people, sockets):
    await update_participant(people.space.pk, people.speaker, muted=True, muted_by_moderator=True)
    room = await open_people(sockets, people, "cohost", "listener", "speaker")

    await room["cohost"].send("mute.allow", user_id=people.speaker.pk, ref="ok")

    await room["cohost"].expect_ack("ok")
    # Allowed, not unmuted: only the speaker opens their own microphone.
    await expect_everyone_sees(room, people.speaker.pk, muted=True, muted_by_moderator=False)
    await room["speaker"].send("unmute", ref="u")
    await room["speaker"].expect_ack("u")
    await expect_everyone_sees(room, people.speaker.pk, muted=False)


async def test_it_mutes_everyone_on_stage_below_the_host(people, sockets):
    await update_participant(people.space.pk, people.cohost, muted=False)
    await update_participant(people.space.pk, people.host, muted=False)
    room = await open_people(sockets, people, "host", "cohost", "speaker", "listener")

    await room["host"].send("mute.all", ref="all")

    await room["host"].expect_ack("all")
    await expect_everyone_sees(room, people.cohost.pk, muted=True, muted_by_moderator=True)
    await expect_everyone_sees(room, people.speaker.pk, muted=True, muted_by_moderator=True)
    host = await participant(people.space.pk, people.host)
    assert (host.muted, host.muted_by_moderator) == (False, False)


async def test_it_lets_a_cohost_mute_all_speakers_but_not_other_moderators(people, sockets):
    await update_participant(people.space.pk, people.host, muted=False)
    room = await open_people(sockets, people, "host", "cohost", "speaker")

    await room["cohost"].send("mute.all", ref="all")

    await room["cohost"].expect_ack("all")
    await expect_everyone_sees(room, people.speaker.pk, muted=True, muted_by_moderator=True)
    await marker(people.space.pk)
    for socket in room.values():
        updates = [m for m in await read_to_marker(socket) if m["type"] == "participant.updated"]
        assert {m["participant"]["user_id"] for m in updates} <= {people.speaker.pk}
    host = await participant(people.space.pk, people.host)
    assert host.muted is False


# --- removal and the end -------------------------------------------------------------------
async def test_it_removes_someone_and_only_they_are_told_and_closed(people, sockets):
    room = await open_people(sockets, people, "host", "speaker", "guest", "listener")

    await room["host"].send("participant.remove", user_id=people.listener.pk, ref="out")

    await room["host"].expect_ack("out")
    for name, socket in room.items():
        left = await socket.wait_type("participant.left")
        assert left == {"type": "participant.left", "user_id": people.listener.pk, "reason": "removed"}, name
    removed = await room["listener"].wait_type("removed")
    assert removed == {"type": "removed", "space_id": people.space.pk}
    assert await room["listener"].wait_closed() == CLOSE_FORBIDDEN

    await marker(people.space.pk)
    for name in ("host", "speaker", "guest"):
        assert "removed" not in types(await read_to_marker(room[name])), name
        assert not any(m["type"] == "removed" for m in room[name].seen), name
    row = await participant(people.space.pk, people.listener)
    assert (row.removed, row.present, row.role) == (True, False, Role.LISTENER)

    # They cannot come back.
    again = await sockets.communicator(people.space.pk, people.listener)
    assert (await again.connect(timeout=3))[0]
    assert (await again.receive_json_from(timeout=3))["code"] == "removed"
    assert (await again.receive_output(timeout=3))["code"] == CLOSE_FORBIDDEN


async def test_it_closes_every_tab_of_a_removed_person(people, sockets):
    host = await sockets.open(people.space.pk, people.host)
    tab_one = await sockets.open(people.space.pk, people.raised, name="raj-1")
    tab_two = await sockets.open(people.space.pk, people.raised, name="raj-2")

    await host.send("participant.remove", user_id=people.raised.pk)

    for tab in (tab_one, tab_two):
        await tab.wait_type("removed")
        assert await tab.wait_closed() == CLOSE_FORBIDDEN


async def test_it_lets_staff_remove_a_cohost(people, sockets):
    room = await open_people(sockets, people, "staff", "cohost", "listener")

    await room["staff"].send("participant.remove", user_id=people.cohost.pk, ref="mod")

    await room["staff"].expect_ack("mod")
    for socket in room.values():
        assert (await socket.wait_type("participant.left"))["user_id"] == people.cohost.pk
    await room["cohost"].wait_type("removed")
    assert await room["cohost"].wait_closed() == CLOSE_FORBIDDEN


async def test_it_ends_the_space_for_everyone(people, sockets):
    room = await open_people(sockets, people, "host", "cohost", "speaker", "listener", "guest")

    await room["host"].send("space.end", ref="end")

    for name, socket in room.items():
        ended = await socket.wait_type("space.ended")
        assert ended["reason"] == "host", name
        assert ended["space"]["id"] == people.space.pk
        assert ended["space"]["state"] == "ended"
        assert ended["space"]["ended_at"] is not None
        assert await socket.wait_closed() == CLOSE_ENDED, name
    assert (await space_row(people.space.pk)).state == Space.State.ENDED
    # The socket closes as the event arrives, which can beat the ack: the ack is not promised.
    assert [m for m in room["host"].seen if m["type"] == "error"] == []


async def test_it_lets_staff_end_any_space(people, sockets):
    room = await open_people(sockets, people, "staff", "listener")

    await room["staff"].send("space.end")

    for socket in room.values():
        assert (await socket.wait_type("space.ended"))["reason"] == "staff"
        assert await socket.wait_closed() == CLOSE_ENDED


# --- reactions ------------------------------------------------------------------------------
async def test_it_sends_a_reaction_in_the_next_batch(people, sockets):
    room = await open_people(sockets, people, "host", "guest", "listener")

    await room["listener"].send("reaction", emoji="🔥", ref="r")

    await room["listener"].expect_ack("r")
    for socket in room.values():
        batch = await socket.wait_for(lambda m: m["type"] == "batch" and m["reactions"])
        assert batch["reactions"] == {"🔥": 1}
        assert batch["recent_reactions"] == [{"emoji": "🔥", "user_id": people.listener.pk, "name": "lena"}]
        assert batch["listener_count"] == 3


@pytest.mark.parametrize("emoji", REACTIONS)
async def test_it_accepts_every_listed_reaction(people, sockets, emoji):
    socket = await sockets.open(people.space.pk, people.speaker)
    await socket.send("reaction", emoji=emoji, ref="r")
    await socket.expect_ack("r")
    batch = await socket.wait_for(lambda m: m["type"] == "batch" and m["reactions"])
    assert batch["reactions"] == {emoji: 1}
