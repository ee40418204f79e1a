"""Every message type, sent by each persona who may not send it: the right error code comes
back (with the message's ref), nothing in the database changes and the socket stays open."""

import pytest

from rooms.consumers import RoomConsumer
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    marker,
    read_to_marker,
    room_state,
    sockets_fixture,
    types,
    update_participant,
)

pytestmark = pytest.mark.django_db(transaction=True)


# Enough of an offer to pass the consumer's check; denials happen before the media engine.
SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
# The fields, other than `user_id`, that a message needs to get past the consumer's checks.
FIELDS = {"media.offer": {"sdp": SDP}, "recording.set": {"on": True}, "recording.opt_out": {"opt_out": True}}


class Case:
    """One denial: `persona` sends `type` (with `user_id` of the persona named `target`)."""

    def __init__(self, type_, persona, code, target=None, setup=None):
        self.type, self.persona, self.code, self.target = type_, persona, code, target
        self.setup = setup or {}

    @property
    def id(self):
        on = f"-on-{self.target}" if self.target else ""
        return f"{self.type}-by-{self.persona}{on}"

    def message(self, people) -> dict:
        fields = dict(FIELDS.get(self.type, {}))
        if self.target:
            fields["user_id"] = getattr(people, self.target).pk
        return fields


def guest_cases():
    """Guests may only ping: every other type asks them to log in first."""
    targets = {
        "hand.lower": "raised",
        "speaker.add": "raised",
        "speaker.invite": "listener",
        "speaker.remove": "speaker",
        "cohost.add": "speaker",
        "cohost.remove": "cohost",
        "mute": "speaker",
        "mute.allow": "speaker",
        "participant.remove": "listener",
    }
    return [
        Case(type_, "guest", "login_required", target=targets.get(type_))
        for type_ in RoomConsumer.HANDLERS
        if type_ != "ping"
    ]


CASES = [
    *guest_cases(),
    # Raising a hand is for the audience.
    Case("hand.raise", "host", "already_on_stage"),
    Case("hand.raise", "cohost", "already_on_stage"),
    Case("hand.raise", "speaker", "already_on_stage"),
    # Only moderators lower someone else's hand.
    Case("hand.lower", "listener", "forbidden", target="raised"),
    Case("hand.lower", "speaker", "forbidden", target="raised"),
    Case("hand.lower", "outsider", "forbidden", target="raised"),
    Case("hand.lower", "staff", "forbidden", target="raised"),
    # Bringing people up is for moderators, onto people they outrank.
    Case("speaker.add", "listener", "forbidden", target="raised"),
    Case("speaker.add", "speaker", "forbidden", target="raised"),
    Case("speaker.add", "raised", "forbidden", target="raised"),
    Case("speaker.add", "staff", "forbidden", target="raised"),
    Case("speaker.invite", "listener", "forbidden", target="raised"),
    Case("speaker.invite", "speaker", "forbidden", target="listener"),
    Case("speaker.invite", "outsider", "forbidden", target="listener"),
    # Invitations are answered only by someone invited.
    Case("invite.accept", "listener", "no_invitation"),
    Case("invite.accept", "raised", "no_invitation"),
    Case("invite.accept", "speaker", "no_invitation"),
    Case("invite.decline", "listener", "no_invitation"),
    Case("invite.decline", "cohost", "no_invitation"),
    # Stepping down: the host stays, listeners are not up.
    Case("speaker.step_down", "host", "host_stays"),
    Case("speaker.step_down", "listener", "not_on_stage"),
    Case("speaker.step_down", "raised", "not_on_stage"),
    # Moving people off the stage.
    Case("speaker.remove", "listener", "forbidden", target="speaker"),
    Case("speaker.remove", "speaker", "forbidden", target="cohost"),
    Case("speaker.remove", "cohost", "forbidden", target="host"),
    Case("speaker.remove", "staff", "forbidden", target="speaker"),
    # Only the host names and unnames co-hosts.
    Case("cohost.add", "cohost", "forbidden", target="speaker"),
    Case("cohost.add", "speaker", "forbidden", target="speaker"),
    Case("cohost.add", "listener", "forbidden", target="raised"),
    Case("cohost.add", "staff", "forbidden", target="speaker"),
    Case("cohost.remove", "cohost", "forbidden", target="cohost"),
    Case("cohost.remove", "speaker", "forbidden", target="cohost"),
    Case("cohost.remove", "listener", "forbidden", target="cohost"),
    # Microphones: your own if on stage; others' only if you outrank them.
    Case("mute", "listener", "not_on_stage"),
    Case("mute", "listener", "forbidden", target="speaker"),
    Case("mute", "raised", "forbidden", target="speaker"),
    Case("mute", "speaker", "forbidden", target="cohost"),
    Case("mute", "cohost", "forbidden", target="host"),
    Case("unmute", "listener", "not_on_stage"),
    Case("unmute", "speaker", "muted_by_host", setup={"speaker": {"muted": True, "muted_by_moderator": True}}),
    Case("mute.allow", "listener", "forbidden", target="speaker"),
    Case(
        "mute.allow",
        "speaker",
        "forbidden",
        target="speaker",
        setup={"speaker": {"muted": True, "muted_by_moderator": True}},
    ),
    Case("mute.allow", "cohost", "forbidden", target="host"),
    Case("mute.all", "listener", "forbidden"),
    Case("mute.all", "speaker", "forbidden"),
    Case("mute.all", "raised", "forbidden"),
    Case("mute.all", "staff", "forbidden"),
    # Removal: moderators remove people they outrank; staff anyone but the host.
    Case("participant.remove", "listener", "forbidden", target="raised"),
    Case("participant.remove", "speaker", "forbidden", target="listener"),
    Case("participant.remove", "cohost", "forbidden", target="host"),
    Case("participant.remove", "outsider", "forbidden", target="listener"),
    Case("participant.remove", "staff", "remove_host", target="host"),
    # Ending: the host or staff only.
    Case("space.end", "cohost", "forbidden"),
    Case("space.end", "speaker", "forbidden"),
    Case("space.end", "listener", "forbidden"),
    Case("space.end", "outsider", "forbidden"),
    # Only the host starts the recorder (staff end spaces, they do not record them).
    Case("recording.set", "cohost", "forbidden"),
    Case("recording.set", "speaker", "forbidden"),
    Case("recording.set", "listener", "forbidden"),
    Case("recording.set", "outsider", "forbidden"),
    Case("recording.set", "staff", "forbidden"),
    # Anyone signed in may leave their voice out of the replay: only guests are refused
    # (see guest_cases; more in test_consumer_recording).
    # Sending audio is for people on stage.
    Case("media.offer", "listener", "not_on_stage"),
    Case("media.offer", "raised", "not_on_stage"),
    Case("media.offer", "staff", "not_on_stage"),
]


def test_it_has_a_denial_for_every_message_type_but_ping():
    assert {case.type for case in CASES} == set(RoomConsumer.HANDLERS) - {"ping"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_it_denies_the_message_and_changes_nothing(people, sockets, case):
    for persona, fields in case.setup.items():
        await update_participant(people.space.pk, getattr(people, persona), **fields)
    socket = await sockets.open(people.space.pk, getattr(people, case.persona), name=case.persona)
    before = await room_state(people.space.pk)

    await socket.send(case.type, **case.message(people), ref="deny")

    error = await socket.expect_error(case.code, ref="deny")
    assert set(error) == {"type", "code", "message", "ref"}
    assert await room_state(people.space.pk) == before
    await socket.ping()
    assert socket.close_code is None


async def test_it_tells_nobody_else_about_a_denied_message(people, sockets):
    listener = await sockets.open(people.space.pk, people.listener)
    host = await sockets.open(people.space.pk, people.host)

    await listener.send("mute.all", ref="x")
    await listener.expect_error("forbidden", ref="x")

    await marker(people.space.pk)
    assert types(await read_to_marker(host)) == []


async def test_it_leaves_the_ref_out_of_the_error_of_a_message_without_one(people, sockets):
    socket = await sockets.open(people.space.pk, people.guest)
    await socket.send("hand.raise")
    await socket.expect_error("login_required")


async def test_it_denies_a_moderator_acting_on_someone_not_in_the_space(people, sockets):
    host = await sockets.open(people.space.pk, people.host)
    before = await room_state(people.space.pk)

    await host.send("speaker.invite", user_id=people.outsider.pk, ref=1)  # never connected: no row
    await host.expect_error("not_found", ref=1)
    await host.send("mute", user_id=people.removed.pk, ref=2)  # removed rows do not count
    await host.expect_error("not_found", ref=2)

    assert await room_state(people.space.pk) == before
    await host.ping()
