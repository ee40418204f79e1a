"""Suspensions: who may suspend and lift, what a suspension does to live spaces, and that it
is enforced at sign-in, on every session, on the room socket, on stage and at the microphone."""

from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rooms import accounts
from rooms.consumers import CLOSE_FORBIDDEN
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.media.commands import Drop
from rooms.models import Notification, Participant, Space, StageChange, Suspension
from rooms.services import presence, stage
from rooms.services.accounts import do_lift_suspension, do_suspend
from tests.factories import ParticipantFactory, SpaceFactory, UserFactory
from tests.rooms.service_helpers import OK, PERSONAS, attempt, rows
from tests.rooms.socket_helpers import marker, open_people, participant, read_to_marker, sockets_fixture  # noqa: F401

Role = Participant.Role
PASSWORD = "correct horse battery"
REASON = "Spam in three spaces"


def make_moderator(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="moderate", content_type__app_label="moderation"))
    # has_perm caches the permissions it read: a fresh object sees the new one.
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def moderator(db):
    return make_moderator(UserFactory(username="mona"))


def suspend(moderator, user, days=3, reason=REASON):
    until = None if days is None else timezone.now() + timedelta(days=days)
    return do_suspend(moderator, user.pk, until=until, reason=reason)


def later(days=3):
    return timezone.now() + timedelta(days=days)


def everything(people):
    return rows(people.space), list(Suspension.objects.values()), list(Notification.objects.values())


# --- who may suspend ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_no_one_but_a_moderator_suspend(people, persona):
    """Staff without moderation.moderate read reports but act on nothing."""
    actor = getattr(people, persona)
    before = everything(people)

    with pytest.raises(NotAllowed) as info:
        do_suspend(actor, people.listener.pk, until=later(), reason=REASON)

    assert info.value.code == "not_moderator"
    assert everything(people) == before


def test_it_lets_a_moderator_suspend(people, moderator):
    suspension = do_suspend(moderator, people.listener.pk, until=later(), reason=REASON)

    assert suspension.user == people.listener
    assert suspension.created_by == moderator
    assert accounts.is_suspended(people.listener)
    assert accounts.suspension_of(people.listener) == suspension


@pytest.mark.parametrize(
    "target, until, reason, error, code",
    [
        ("moderator", "later", REASON, NotAllowed, "self"),
        ("staff", "later", REASON, NotAllowed, "staff"),
        ("listener", "past", REASON, InvalidRequest, "in_past"),
        ("listener", "later", "   ", InvalidRequest, "no_reason"),
        ("listener", "later", "x" * 501, InvalidRequest, "bad_reason"),
        ("nobody", "later", REASON, NotFound, "not_found"),
    ],
)
def test_it_refuses_a_bad_suspension_and_changes_nothing(people, moderator, target, until, reason, error, code):
    user_id = {"moderator": moderator.pk, "nobody": 999_999}.get(target) or getattr(people, target).pk
    when = later() if until == "later" else timezone.now() - timedelta(minutes=1)
    before = everything(people)

    with pytest.raises(error) as info:
        do_suspend(moderator, user_id, until=when, reason=reason)

    assert info.value.code == code
    assert info.value.message
    assert everything(people) == before


def test_it_suspends_for_good(people, moderator):
    suspension = suspend(moderator, people.listener, days=None)

    assert suspension.until is None
    assert accounts.suspension_message(suspension) == f"Your account is suspended for good: {REASON}"


def test_it_words_the_end_of_a_suspension_in_utc(people, moderator):
    suspension = Suspension(user=people.listener, until=datetime(2027, 1, 12, 14, 0, tzinfo=UTC), reason="spam")

    assert accounts.suspension_message(suspension) == "Your account is suspended until 12 Jan 2027 14:00 UTC: spam"


def test_it_counts_only_a_suspension_in_force(people, moderator):
    Suspension.objects.create(user=people.listener, until=timezone.now() - timedelta(seconds=1), reason="over")
    Suspension.objects.create(user=people.listener, until=later(), reason="lifted", lifted_at=timezone.now())

    assert not accounts.is_suspended(people.listener)
    assert accounts.suspension_of(people.listener) is None
    accounts.check_not_suspended(people.listener)  # no error


def test_check_not_suspended_raises_with_the_message(people, moderator):
    suspend(moderator, people.listener)

    with pytest.raises(NotAllowed) as info:
        accounts.check_not_suspended(people.listener)

    assert info.value.code == "suspended"
    assert info.value.message.startswith("Your account is suspended until ")


# --- what a suspension does to live spaces ------------------------------------------------------


@pytest.mark.parametrize("persona", ["cohost", "speaker", "listener", "raised"])
def test_it_takes_a_suspended_person_out_of_every_live_space(
    people, moderator, sent, persona, django_capture_on_commit_callbacks
):
    user = getattr(people, persona)
    other = SpaceFactory(title="Another room")
    ParticipantFactory(space=other, user=user, role=Role.SPEAKER)

    with django_capture_on_commit_callbacks(execute=True):
        suspend(moderator, user)

    for space in (people.space, other):
        row = Participant.objects.get(space=space, user=user)
        assert (row.role, row.present, row.muted, row.hand_raised_at, row.removed) == (
            Role.LISTENER,
            False,
            True,
            None,
            False,
        )
        events = [(event, to) for space_id, event, to in sent if space_id == space.pk]
        assert ({"type": "participant.left", "user_id": user.pk, "reason": "suspended"}, None) in events
        personal = [event for event, to in events if to == user.pk]
        assert [event["type"] for event in personal] == ["suspended"]
        assert personal[0]["message"].startswith("Your account is suspended until ")
        assert personal[0]["until"] is not None
        assert StageChange.objects.filter(space=space, user=user).last().role == StageChange.Kind.LEFT
    notice = Notification.objects.get(user=user)
    assert REASON in notice.text


def test_it_tells_the_engine_to_drop_a_suspended_speakers_voice(
    people, moderator, monkeypatch, django_capture_on_commit_callbacks
):
    commands = []
    monkeypatch.setattr("rooms.media.commands.send_now", lambda space_id, command: commands.append((space_id, command)))

    with django_capture_on_commit_callbacks(execute=True):
        suspend(moderator, people.speaker)

    assert (people.space.pk, Drop(people.speaker.pk, "left")) in commands


def test_it_ends_the_live_space_of_a_suspended_host(people, moderator, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        suspend(moderator, people.host)

    people.space.refresh_from_db()
    assert people.space.state == Space.State.ENDED
    ended = [event for _, event, _ in sent if event["type"] == "space.ended"]
    assert ended and ended[0]["reason"] == "staff"


def test_it_leaves_ended_spaces_alone(people, moderator):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED)
    before = list(Participant.objects.filter(space=people.space).values())

    suspend(moderator, people.speaker)

    assert list(Participant.objects.filter(space=people.space).values()) == before


# --- lifting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_no_one_but_a_moderator_lift_a_suspension(people, moderator, persona):
    suspension = suspend(moderator, people.listener)

    with pytest.raises(NotAllowed):
        do_lift_suspension(getattr(people, persona), suspension.pk)

    assert accounts.is_suspended(people.listener)


def test_it_lifts_a_suspension(people, moderator):
    suspension = suspend(moderator, people.listener)

    lifted = do_lift_suspension(moderator, suspension.pk)

    assert lifted.lifted_by == moderator
    assert lifted.lifted_at is not None
    assert not accounts.is_suspended(people.listener)
    assert Notification.objects.filter(user=people.listener, text__contains="lifted").exists()


def test_it_refuses_to_lift_twice_or_what_does_not_exist(people, moderator):
    suspension = suspend(moderator, people.listener)
    do_lift_suspension(moderator, suspension.pk)

    with pytest.raises(Conflict):
        do_lift_suspension(moderator, suspension.pk)
    with pytest.raises(NotFound):
        do_lift_suspension(moderator, 999_999)
    with pytest.raises(NotFound):
        do_lift_suspension(moderator, "1; drop")


# --- sign-in and sessions ------------------------------------------------------------------------


def signed_in(client) -> bool:
    return client.get(reverse("notifications")).status_code == 200


def test_it_signs_a_suspended_person_out_of_a_session_opened_before(people, moderator):
    client = Client()
    client.force_login(people.listener)
    assert signed_in(client)

    suspend(moderator, people.listener)

    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def told(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_it_tells_a_person_signed_out_by_a_suspension_why_on_their_next_page(people, moderator):
    client = Client()
    client.force_login(people.speaker)
    suspend(moderator, people.speaker, days=None)

    response = client.get(people.space.get_absolute_url())  # the room page they reload

    assert response.status_code == 200
    assert told(response) == [f"Your account is suspended for good: {REASON} You were signed out."]
    assert not response.context["user"].is_authenticated
    assert "_auth_user_id" not in client.session  # that session is over for good
    assert told(client.get(people.space.get_absolute_url())) == []  # said once


def test_it_says_nothing_to_a_session_refused_for_another_reason(people):
    client = Client()
    client.force_login(people.listener)
    type(people.listener).objects.filter(pk=people.listener.pk).update(is_active=False)

    response = client.get(people.space.get_absolute_url())

    assert told(response) == []
    assert "_auth_user_id" in client.session


def test_it_refuses_sign_in_with_the_reason(people, moderator):
    suspend(moderator, people.listener, days=None)
    client = Client()

    response = client.post(reverse("login"), {"username": "lena", "password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [f"Your account is suspended for good: {REASON}"]
    assert "_auth_user_id" not in client.session


def test_it_does_not_tell_a_wrong_password_about_the_suspension(people, moderator):
    suspend(moderator, people.listener)
    client = Client()

    response = client.post(reverse("login"), {"username": "lena", "password": "wrong"})

    assert response.status_code == 200
    assert "suspended" not in str(response.context["form"].non_field_errors())
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("how", ["lifted", "expired"])
def test_it_lets_them_in_again_once_the_suspension_is_over(people, moderator, how):
    suspension = suspend(moderator, people.listener)
    client = Client()
    client.force_login(people.listener)
    assert not signed_in(client)

    if how == "lifted":
        do_lift_suspension(moderator, suspension.pk)
    else:
        Suspension.objects.filter(pk=suspension.pk).update(until=timezone.now() - timedelta(seconds=1))

    fresh = Client()
    response = fresh.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(fresh)


# --- the room and the stage ------------------------------------------------------------------------


def test_the_room_refuses_a_suspended_user_handed_in_directly(people, moderator):
    suspend(moderator, people.outsider)
    before = rows(people.space)

    with pytest.raises(NotAllowed) as info:
        presence.do_connect(people.space.pk, people.outsider)

    assert info.value.code == "suspended"
    assert rows(people.space) == before


def suspended_now(people, persona):
    """Suspend `persona` without the clean-up of do_suspend, as if it happened mid-action."""
    user = getattr(people, persona)
    Suspension.objects.create(user=user, until=None, reason=REASON)
    return user


def test_a_suspended_listener_cannot_raise_a_hand(people):
    user = suspended_now(people, "listener")

    error = attempt(people, lambda: stage.do_raise_hand(user, people.space.pk), NotAllowed)

    assert error.code == "suspended"
    assert REASON in error.message


@pytest.mark.parametrize("persona, expected", [("host", NotAllowed), ("cohost", NotAllowed)])
def test_nobody_brings_up_a_suspended_listener(people, persona, expected):
    suspended_now(people, "raised")

    error = attempt(
        people, lambda: stage.do_bring_up(getattr(people, persona), people.space.pk, people.raised.pk), expected
    )

    assert error.code == "suspended"


@pytest.mark.parametrize("persona", ["host", "cohost"])
def test_nobody_invites_a_suspended_listener(people, persona):
    suspended_now(people, "listener")

    error = attempt(
        people,
        lambda: stage.do_invite_to_speak(getattr(people, persona), people.space.pk, people.listener.pk),
        NotAllowed,
    )

    assert error.code == "suspended"


def test_the_host_cannot_make_a_suspended_person_cohost(people):
    suspended_now(people, "speaker")

    error = attempt(
        people, lambda: stage.do_set_cohost(people.host, people.space.pk, people.speaker.pk, True), NotAllowed
    )

    assert error.code == "suspended"


def test_a_suspended_listener_cannot_accept_an_invitation(people):
    Participant.objects.filter(space=people.space, user=people.listener).update(invited_by=people.host)
    user = suspended_now(people, "listener")

    error = attempt(people, lambda: stage.do_answer_invite(user, people.space.pk, True), NotAllowed)

    assert error.code == "suspended"


@pytest.mark.parametrize("persona, expected", [("speaker", OK), ("cohost", OK), ("host", OK)])
def test_people_on_stage_get_a_microphone_until_suspended(people, persona, expected):
    user = getattr(people, persona)
    assert stage.access_microphone(user, people.space.pk).user_id == user.pk

    suspended_now(people, persona)

    with pytest.raises(NotAllowed) as info:
        stage.access_microphone(user, people.space.pk)
    assert info.value.code == "suspended"


# --- over the socket ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_it_closes_the_sockets_of_a_suspended_speaker_and_tells_the_room(people, sockets):
    moderator = await database_sync_to_async(lambda: make_moderator(UserFactory(username="mona")))()
    room = await open_people(sockets, people, "host", "speaker", "listener")
    second_tab = await sockets.open(people.space.pk, people.speaker, name="speaker-tab")

    await database_sync_to_async(suspend)(moderator, people.speaker)

    for socket in (room["speaker"], second_tab):
        event = await socket.wait_type("suspended")
        assert event["message"].startswith("Your account is suspended until ")
        assert await socket.wait_closed() == CLOSE_FORBIDDEN
    for name in ("host", "listener"):
        left = await room[name].wait_type("participant.left")
        assert left == {"type": "participant.left", "user_id": people.speaker.pk, "reason": "suspended"}
    await marker(people.space.pk)
    for name in ("host", "listener"):
        assert not any(m["type"] == "suspended" for m in await read_to_marker(room[name])), name

    row = await participant(people.space.pk, people.speaker)
    assert (row.role, row.present) == (Role.LISTENER, False)

    # Their session reads as signed out: coming back, they are a guest who may only listen.
    again = await sockets.open(people.space.pk, people.speaker, name="speaker-again")
    assert again.snapshot["you"] is None
    await again.send("hand.raise", ref="h")
    await again.expect_error("login_required", ref="h")


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_a_microphone_to_someone_suspended_while_connected(people, sockets):
    speaker = await sockets.open(people.space.pk, people.speaker, name="speaker")
    await database_sync_to_async(Suspension.objects.create)(user=people.speaker, until=None, reason=REASON)

    await speaker.send("media.offer", sdp="v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", ref="m")

    error = await speaker.expect_error("suspended", ref="m")
    assert REASON in error["message"]


def test_it_leaves_alone_a_listener_who_had_left(people, moderator, sent, django_capture_on_commit_callbacks):
    Participant.objects.filter(space=people.space, user=people.listener).update(present=False, connections=0)

    with django_capture_on_commit_callbacks(execute=True):
        suspend(moderator, people.listener)

    assert sent == []


def test_it_takes_the_role_of_a_cohost_who_is_away(people, moderator):
    Participant.objects.filter(space=people.space, user=people.cohost).update(present=False, connections=0)

    suspend(moderator, people.cohost)

    assert Participant.objects.get(space=people.space, user=people.cohost).role == Role.LISTENER


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker"])
def test_someone_suspended_cannot_unmute_but_may_mute(people, persona):
    user = suspended_now(people, persona)
    Participant.objects.filter(space=people.space, user=user).update(muted=False)

    assert stage.do_set_muted(user, people.space.pk, None, True).muted is True
    error = attempt(people, lambda: stage.do_set_muted(user, people.space.pk, None, False), NotAllowed)

    assert error.code == "suspended"
