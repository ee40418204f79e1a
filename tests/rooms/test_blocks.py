"""Blocks: blocking and unblocking (service, profile buttons, JSON), and what a host's block keeps
someone out of: the room (socket and page), raising a hand, the stage; and the blocker's
snapshot listing whom they blocked, so the room page hides their reactions."""

import pytest
from django.urls import reverse

from rooms.consumers import CLOSE_FORBIDDEN
from rooms.errors import InvalidRequest, NotAllowed, NotFound
from rooms.models import Block, Follow, Participant
from rooms.services import presence, stage
from rooms.services.accounts import do_block, do_unblock
from tests.factories import SpaceFactory
from tests.rooms.service_helpers import OK, PERSONAS, attempt, rows
from tests.rooms.socket_helpers import sockets_fixture  # noqa: F401

Role = Participant.Role
JSON = {"HTTP_ACCEPT": "application/json"}


def block_url(user):
    return reverse("block", args=[user.username])


def unblock_url(user):
    return reverse("unblock", args=[user.username])


def host_blocks(people, persona):
    user = getattr(people, persona)
    Block.objects.create(blocker=people.host, blocked=user)
    return user


# --- the service -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_anyone_signed_in_block_someone(people, persona):
    user = getattr(people, persona)
    target = people.outsider if persona != "outsider" else people.listener

    if persona == "guest":
        with pytest.raises(NotAllowed):
            do_block(user, target.pk)
        assert not Block.objects.exists()
        return
    block = do_block(user, target.pk)

    assert (block.blocker, block.blocked) == (user, target)


def test_blocking_twice_keeps_one_block(people):
    do_block(people.host, people.listener.pk)
    do_block(people.host, people.listener.pk)

    assert Block.objects.filter(blocker=people.host, blocked=people.listener).count() == 1


@pytest.mark.parametrize(
    "target, error, code", [("self", InvalidRequest, "self_block"), ("nobody", NotFound, "not_found")]
)
def test_it_refuses_a_bad_block_and_changes_nothing(people, target, error, code):
    user_id = {"self": people.listener.pk, "nobody": 999_999}[target]

    with pytest.raises(error) as info:
        do_block(people.listener, user_id)

    assert info.value.code == code
    assert not Block.objects.exists()


def test_the_blocked_person_stops_following_the_blocker(people):
    Follow.objects.create(follower=people.listener, host=people.host)
    Follow.objects.create(follower=people.host, host=people.listener)

    do_block(people.host, people.listener.pk)

    assert not Follow.objects.filter(follower=people.listener, host=people.host).exists()
    assert Follow.objects.filter(follower=people.host, host=people.listener).exists()


def test_a_raised_hand_in_the_blockers_live_space_comes_down(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_block(people.host, people.raised.pk)

    assert Participant.objects.get(space=people.space, user=people.raised).hand_raised_at is None
    updates = [e for _, e, _ in sent if e["type"] == "participant.updated"]
    assert updates[0]["participant"]["user_id"] == people.raised.pk


def test_a_cohosts_block_does_not_touch_the_hosts_space(people):
    do_block(people.cohost, people.raised.pk)

    assert Participant.objects.get(space=people.space, user=people.raised).hand_raised_at is not None


def test_it_unblocks(people):
    do_block(people.host, people.listener.pk)

    assert do_unblock(people.host, people.listener.pk) is True
    assert do_unblock(people.host, people.listener.pk) is False
    assert not Block.objects.exists()


# --- the buttons -----------------------------------------------------------------------------------


def test_it_blocks_from_the_profile(client, people):
    client.force_login(people.host)

    response = client.post(block_url(people.listener), follow=True)

    assert response.redirect_chain[-1][0] == reverse("profile", args=["lena"])
    assert Block.objects.filter(blocker=people.host, blocked=people.listener).exists()
    body = response.content.decode()
    assert "You blocked lena" in body
    assert unblock_url(people.listener) in body


def test_it_unblocks_from_the_profile(client, people):
    Block.objects.create(blocker=people.host, blocked=people.listener)
    client.force_login(people.host)

    response = client.post(unblock_url(people.listener))

    assert response.status_code == 302
    assert not Block.objects.exists()


def test_it_answers_json_when_asked(client, people):
    client.force_login(people.host)

    blocked = client.post(block_url(people.listener), **JSON)
    unblocked = client.post(unblock_url(people.listener), **JSON)

    assert (blocked.status_code, blocked.json()) == (200, {"blocked": True})
    assert (unblocked.status_code, unblocked.json()) == (200, {"blocked": False})


def test_blocking_yourself_is_a_400(client, people):
    client.force_login(people.listener)

    page = client.post(block_url(people.listener))
    data = client.post(block_url(people.listener), **JSON)

    assert page.status_code == 400
    assert (data.status_code, data.json()["error"]["code"]) == (400, "self_block")
    assert not Block.objects.exists()


def test_it_needs_a_post_a_person_and_a_login(client, people):
    assert client.post(block_url(people.listener)).status_code == 302  # to the login page
    client.force_login(people.host)
    assert client.get(block_url(people.listener)).status_code == 405
    assert client.post(reverse("block", args=["nobody"])).status_code == 404
    assert not Block.objects.exists()


@pytest.mark.parametrize("persona", ["host", "listener", "outsider", "staff"])
def test_the_profile_offers_block_on_someone_elses_profile_only(client, people, persona):
    client.force_login(getattr(people, persona))

    own = client.get(reverse("profile", args=[getattr(people, persona).username])).content.decode()
    other = client.get(reverse("profile", args=["sam"])).content.decode()

    assert "/block/" not in own
    assert block_url(people.speaker) in other


def test_a_guest_sees_no_block_button(client, people):
    assert "/block/" not in client.get(reverse("profile", args=["sam"])).content.decode()


# --- kept out of the room ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cohost", "speaker", "listener", "outsider", "staff"])
def test_the_room_refuses_someone_the_host_blocked(people, persona):
    user = host_blocks(people, persona)
    before = rows(people.space)

    with pytest.raises(NotAllowed) as info:
        presence.do_connect(people.space.pk, user)

    assert info.value.code == "blocked"
    assert rows(people.space) == before


def test_a_block_by_someone_else_does_not_keep_anyone_out(people):
    Block.objects.create(blocker=people.speaker, blocked=people.outsider)

    _, me, arrived = presence.do_connect(people.space.pk, people.outsider)

    assert arrived and me.role == Role.LISTENER


def test_the_space_page_tells_a_blocked_person_instead_of_opening_the_room(client, people):
    host_blocks(people, "outsider")
    client.force_login(people.outsider)

    body = client.get(people.space.get_absolute_url()).content.decode()

    assert "The host of this space has blocked you" in body
    assert "js/room.js" not in body


def test_the_space_page_opens_the_room_for_others(client, people):
    host_blocks(people, "outsider")
    client.force_login(people.listener)

    body = client.get(people.space.get_absolute_url()).content.decode()

    assert "blocked you" not in body
    assert "js/room.js" in body


def test_an_ended_space_shows_its_page_to_a_blocked_person(client, people):
    ended = SpaceFactory(host=people.host, state="ended")
    host_blocks(people, "outsider")
    client.force_login(people.outsider)

    response = client.get(ended.get_absolute_url())

    assert response.status_code == 200
    assert "blocked you" not in response.content.decode()


# --- kept off the stage ---------------------------------------------------------------------------------


def test_someone_the_host_blocked_cannot_raise_a_hand(people):
    user = host_blocks(people, "listener")

    error = attempt(people, lambda: stage.do_raise_hand(user, people.space.pk), NotAllowed)

    assert error.code == "blocked"


@pytest.mark.parametrize("persona", ["host", "cohost"])
def test_nobody_brings_up_or_invites_someone_the_host_blocked(people, persona):
    actor = getattr(people, persona)
    host_blocks(people, "raised")

    brought = attempt(people, lambda: stage.do_bring_up(actor, people.space.pk, people.raised.pk), NotAllowed)
    invited = attempt(people, lambda: stage.do_invite_to_speak(actor, people.space.pk, people.raised.pk), NotAllowed)

    assert (brought.code, invited.code) == ("blocked", "blocked")


def test_the_host_cannot_name_someone_they_blocked_cohost(people):
    host_blocks(people, "listener")

    error = attempt(
        people, lambda: stage.do_set_cohost(people.host, people.space.pk, people.listener.pk, True), NotAllowed
    )

    assert error.code == "blocked"


def test_an_invitation_cannot_be_accepted_after_the_host_blocked_them(people):
    Participant.objects.filter(space=people.space, user=people.listener).update(invited_by=people.cohost)
    user = host_blocks(people, "listener")

    error = attempt(people, lambda: stage.do_answer_invite(user, people.space.pk, True), NotAllowed)

    assert error.code == "blocked"


@pytest.mark.parametrize("persona, expected", [("host", OK), ("cohost", OK)])
def test_a_cohosts_block_does_not_keep_anyone_off_the_hosts_stage(people, persona, expected):
    Block.objects.create(blocker=people.cohost, blocked=people.raised)

    attempt(people, lambda: stage.do_bring_up(getattr(people, persona), people.space.pk, people.raised.pk), expected)

    assert Participant.objects.get(space=people.space, user=people.raised).role == Role.SPEAKER


# --- over the socket -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_someone_the_host_blocked_with_4403(people, sockets):
    from channels.db import database_sync_to_async

    await database_sync_to_async(Block.objects.create)(blocker=people.host, blocked=people.outsider)
    communicator = await sockets.communicator(people.space.pk, people.outsider)
    connected, _ = await communicator.connect(timeout=3)
    assert connected

    error = await communicator.receive_json_from(timeout=3)
    assert (error["type"], error["code"]) == ("error", "blocked")
    assert (await communicator.receive_output(timeout=3)) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    exists = await database_sync_to_async(Participant.objects.filter(space=people.space, user=people.outsider).exists)()
    assert not exists


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["host", "listener", "guest"])
async def test_the_snapshot_lists_whom_the_viewer_blocked(people, sockets, persona):
    from channels.db import database_sync_to_async

    user = getattr(people, persona)
    if persona != "guest":
        await database_sync_to_async(Block.objects.create)(blocker=user, blocked=people.raised)
        await database_sync_to_async(Block.objects.create)(blocker=user, blocked=people.outsider)
    await database_sync_to_async(Block.objects.create)(blocker=people.speaker, blocked=people.cohost)

    socket = await sockets.open(people.space.pk, user, name=persona)

    expected = [] if persona == "guest" else sorted([people.raised.pk, people.outsider.pk])
    assert socket.snapshot["blocked_user_ids"] == expected


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_a_hand_raised_after_the_host_blocked_them(people, sockets):
    from channels.db import database_sync_to_async

    listener = await sockets.open(people.space.pk, people.listener, name="listener")
    await database_sync_to_async(Block.objects.create)(blocker=people.host, blocked=people.listener)

    await listener.send("hand.raise", ref="h")

    await listener.expect_error("blocked", ref="h")
    row = await database_sync_to_async(Participant.objects.get)(space=people.space, user=people.listener)
    assert row.hand_raised_at is None
