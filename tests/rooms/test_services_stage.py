"""Stage services: who may do what (per persona), what each change does, and the live events."""

import pytest
from django.utils import timezone

from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.models import Participant, Space
from rooms.services import presence, stage
from tests.factories import ParticipantFactory, UserFactory
from tests.rooms.service_helpers import OK, attempt, outcomes, rows

Role = Participant.Role


def place(people, persona) -> Participant:
    return Participant.objects.get(space=people.space, user=getattr(people, persona))


@pytest.fixture
def cohost2(people):
    return ParticipantFactory(space=people.space, user=UserFactory(username="cole"), role=Role.COHOST).user


def with_speaker_limit(settings, n):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "MAX_SPEAKERS": n}


# --- permissions, one test per service and persona ----------------------------------------


# (raising a raised hand again is harmless)
@pytest.mark.parametrize("persona, expected", outcomes(host=Conflict, cohost=Conflict, speaker=Conflict, listener=OK))
def test_it_checks_who_may_raise_a_hand(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_raise_hand(user, people.space.pk), expected)

    if expected is OK:
        assert place(people, persona).hand_raised_at is not None


# (the raised-hand persona lowering it is lowering their own)
@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK, raised=OK))
def test_it_checks_who_may_lower_someone_elses_hand(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_lower_hand(user, people.space.pk, people.raised.pk), expected)

    if expected is OK:
        assert place(people, "raised").hand_raised_at is None


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK))
def test_it_checks_who_may_bring_up_a_raised_hand(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_bring_up(user, people.space.pk, people.raised.pk), expected)

    if expected is OK:
        raised = place(people, "raised")
        assert raised.role == Role.SPEAKER
        assert raised.hand_raised_at is None
        assert raised.muted is True


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK))
def test_it_checks_who_may_invite_to_speak(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_invite_to_speak(user, people.space.pk, people.listener.pk), expected)

    if expected is OK:
        listener = place(people, "listener")
        assert listener.invited_by_id == user.pk
        assert listener.role == Role.LISTENER


@pytest.mark.parametrize(
    "persona, expected", outcomes(host=Conflict, cohost=Conflict, speaker=Conflict, listener=OK, raised=Conflict)
)
def test_it_checks_who_may_answer_an_invitation(people, persona, expected):
    # Only the listener holds an invitation.
    Participant.objects.filter(space=people.space, user=people.listener).update(invited_by=people.host)
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_answer_invite(user, people.space.pk, True), expected)

    if expected is OK:
        listener = place(people, "listener")
        assert listener.role == Role.SPEAKER
        assert listener.invited_by is None


@pytest.mark.parametrize("persona, expected", outcomes(cohost=OK, speaker=OK, listener=Conflict))
def test_it_checks_who_may_step_down(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_step_down(user, people.space.pk), expected)

    if expected is OK:
        me = place(people, persona)
        assert me.role == Role.LISTENER
        assert me.muted is True


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK))
def test_it_checks_who_may_move_a_speaker_to_the_audience(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_move_to_listener(user, people.space.pk, people.speaker.pk), expected)

    if expected is OK:
        speaker = place(people, "speaker")
        assert speaker.role == Role.LISTENER
        assert speaker.muted is True


@pytest.mark.parametrize("persona, expected", outcomes(host=OK))
def test_it_checks_who_may_name_a_cohost(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_set_cohost(user, people.space.pk, people.speaker.pk, True), expected)

    if expected is OK:
        assert place(people, "speaker").role == Role.COHOST


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("host", OK),
        ("cohost", OK),
        ("speaker", OK),  # muting yourself
        ("listener", NotAllowed),
        ("guest", NotAllowed),
        ("outsider", NotAllowed),
        ("staff", NotAllowed),
        ("removed", NotAllowed),
    ],
)
def test_it_checks_who_may_mute_a_speaker(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_set_muted(user, people.space.pk, people.speaker.pk, True), expected)

    if expected is OK:
        speaker = place(people, "speaker")
        assert speaker.muted is True
        assert speaker.muted_by_moderator is (persona != "speaker")


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK, speaker=OK, listener=Conflict))
def test_it_checks_who_may_unmute_themselves(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_set_muted(user, people.space.pk, None, False), expected)

    if expected is OK:
        assert place(people, persona).muted is False


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK))
def test_it_checks_who_may_allow_unmuting(people, persona, expected):
    Participant.objects.filter(space=people.space, user=people.speaker).update(muted=True, muted_by_moderator=True)
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_allow_unmute(user, people.space.pk, people.speaker.pk), expected)

    if expected is OK:
        speaker = place(people, "speaker")
        assert speaker.muted_by_moderator is False
        assert speaker.muted is True  # allowed to unmute, not unmuted


@pytest.mark.parametrize("persona, expected", outcomes(host=OK, cohost=OK))
def test_it_checks_who_may_mute_everyone(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_mute_all(user, people.space.pk), expected)

    if expected is OK:
        speaker = place(people, "speaker")
        assert speaker.muted is True
        assert speaker.muted_by_moderator is True


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("host", OK),
        ("cohost", OK),
        ("speaker", NotAllowed),
        ("listener", NotAllowed),  # removing yourself
        ("guest", NotAllowed),
        ("outsider", NotAllowed),
        ("staff", OK),
        ("removed", NotAllowed),
    ],
)
def test_it_checks_who_may_remove_a_listener(people, persona, expected):
    user = getattr(people, persona)

    attempt(people, lambda: stage.do_remove(user, people.space.pk, people.listener.pk), expected)

    if expected is OK:
        assert place(people, "listener").removed is True


# --- hands -------------------------------------------------------------------------------


def test_it_keeps_the_first_hand_raise(people):
    first = stage.do_raise_hand(people.listener, people.space.pk).hand_raised_at

    again = stage.do_raise_hand(people.listener, people.space.pk)

    assert again.hand_raised_at == first
    assert place(people, "listener").hand_raised_at == first


def test_it_lowers_your_own_hand(people):
    stage.do_lower_hand(people.raised, people.space.pk)

    assert place(people, "raised").hand_raised_at is None


def test_it_lowers_your_own_hand_when_you_name_yourself(people):
    stage.do_lower_hand(people.raised, people.space.pk, people.raised.pk)

    assert place(people, "raised").hand_raised_at is None


def test_it_refuses_stage_actions_when_the_space_is_not_live(people):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED)

    with pytest.raises(Conflict) as info:
        stage.do_raise_hand(people.listener, people.space.pk)

    assert info.value.code == "not_live"
    assert place(people, "listener").hand_raised_at is None


def test_it_reports_an_unknown_space(people):
    with pytest.raises(NotFound):
        stage.do_raise_hand(people.listener, 987654)
    with pytest.raises(NotFound):
        stage.do_remove(people.staff, 987654, people.listener.pk)


# --- the stage -------------------------------------------------------------------------


def test_it_refuses_bringing_up_someone_who_did_not_ask(people):
    with pytest.raises(Conflict) as info:
        stage.do_bring_up(people.host, people.space.pk, people.listener.pk)

    assert info.value.code == "hand_not_raised"
    assert place(people, "listener").role == Role.LISTENER


def test_it_refuses_bringing_up_someone_already_on_stage(people):
    with pytest.raises(Conflict) as info:
        stage.do_bring_up(people.host, people.space.pk, people.speaker.pk)

    assert info.value.code == "already_on_stage"


def test_it_refuses_bringing_up_when_the_stage_is_full(people, settings):
    with_speaker_limit(settings, 1)
    raised = place(people, "raised")

    with pytest.raises(Conflict) as info:
        stage.do_bring_up(people.host, people.space.pk, people.raised.pk)

    assert info.value.code == "stage_full"
    before = {f: getattr(raised, f) for f in ("role", "hand_raised_at", "muted", "invited_by_id")}
    raised.refresh_from_db()
    assert {f: getattr(raised, f) for f in before} == before


def test_it_refuses_inviting_when_the_stage_is_full(people, settings):
    with_speaker_limit(settings, 1)

    with pytest.raises(Conflict) as info:
        stage.do_invite_to_speak(people.host, people.space.pk, people.listener.pk)

    assert info.value.code == "stage_full"
    assert place(people, "listener").invited_by is None


def test_it_refuses_accepting_an_invitation_when_the_stage_filled_up(people, settings):
    Participant.objects.filter(space=people.space, user=people.listener).update(invited_by=people.host)
    with_speaker_limit(settings, 1)

    with pytest.raises(Conflict) as info:
        stage.do_answer_invite(people.listener, people.space.pk, True)

    assert info.value.code == "stage_full"
    listener = place(people, "listener")
    assert listener.role == Role.LISTENER
    assert listener.invited_by_id == people.host.pk


def test_it_brings_up_once_a_speaker_left(people, settings):
    with_speaker_limit(settings, 1)
    stage.do_step_down(people.speaker, people.space.pk)

    stage.do_bring_up(people.host, people.space.pk, people.raised.pk)

    assert place(people, "raised").role == Role.SPEAKER


def test_it_does_not_count_cohosts_as_speakers(people, settings):
    with_speaker_limit(settings, 2)

    stage.do_bring_up(people.cohost, people.space.pk, people.raised.pk)

    assert Participant.objects.filter(space=people.space, role=Role.SPEAKER).count() == 2


def test_it_refuses_inviting_someone_not_in_the_room(people):
    Participant.objects.filter(space=people.space, user=people.listener).update(present=False, connections=0)

    with pytest.raises(Conflict) as info:
        stage.do_invite_to_speak(people.host, people.space.pk, people.listener.pk)

    assert info.value.code == "not_present"


def test_it_declines_an_invitation(people):
    Participant.objects.filter(space=people.space, user=people.listener).update(invited_by=people.host)

    stage.do_answer_invite(people.listener, people.space.pk, False)

    listener = place(people, "listener")
    assert listener.role == Role.LISTENER
    assert listener.invited_by is None


def test_it_refuses_answering_without_an_invitation(people):
    with pytest.raises(Conflict) as info:
        stage.do_answer_invite(people.listener, people.space.pk, True)

    assert info.value.code == "no_invitation"
    assert place(people, "listener").role == Role.LISTENER


def test_it_keeps_the_host_on_stage(people):
    with pytest.raises(NotAllowed) as info:
        stage.do_step_down(people.host, people.space.pk)

    assert info.value.code == "host_stays"
    assert place(people, "host").role == Role.HOST


def test_it_clears_a_moderator_mute_when_stepping_down(people):
    Participant.objects.filter(space=people.space, user=people.speaker).update(muted_by_moderator=True)

    stage.do_step_down(people.speaker, people.space.pk)

    speaker = place(people, "speaker")
    assert speaker.role == Role.LISTENER
    assert speaker.muted_by_moderator is False


def test_it_refuses_moving_a_listener_to_the_audience(people):
    with pytest.raises(Conflict) as info:
        stage.do_move_to_listener(people.host, people.space.pk, people.listener.pk)

    assert info.value.code == "not_on_stage"


# --- co-hosts ----------------------------------------------------------------------------


def test_it_names_a_listener_cohost(people):
    stage.do_set_cohost(people.host, people.space.pk, people.raised.pk, True)

    raised = place(people, "raised")
    assert raised.role == Role.COHOST
    assert raised.hand_raised_at is None
    assert raised.muted is True


def test_it_unnames_a_cohost_back_to_speaker(people):
    stage.do_set_cohost(people.host, people.space.pk, people.cohost.pk, False)

    assert place(people, "cohost").role == Role.SPEAKER


def test_it_refuses_unnaming_a_cohost_onto_a_full_stage(people, settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "MAX_SPEAKERS": 1}

    with pytest.raises(Conflict) as info:
        stage.do_set_cohost(people.host, people.space.pk, people.cohost.pk, False)

    assert info.value.code == "stage_full"
    assert place(people, "cohost").role == Role.COHOST


def test_it_clears_a_moderator_mute_when_removing_someone(people):
    stage.do_set_muted(people.host, people.space.pk, people.speaker.pk, True)

    stage.do_remove(people.host, people.space.pk, people.speaker.pk)

    speaker = place(people, "speaker")
    assert speaker.removed is True
    assert speaker.muted_by_moderator is False


def test_it_names_an_existing_cohost_again_without_change(people, settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "MAX_COHOSTS": 1}

    stage.do_set_cohost(people.host, people.space.pk, people.cohost.pk, True)

    assert place(people, "cohost").role == Role.COHOST


def test_it_refuses_more_cohosts_than_the_limit(people, settings):
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "MAX_COHOSTS": 1}

    with pytest.raises(Conflict) as info:
        stage.do_set_cohost(people.host, people.space.pk, people.speaker.pk, True)

    assert info.value.code == "cohosts_full"
    assert place(people, "speaker").role == Role.SPEAKER


def test_it_refuses_unnaming_someone_who_is_not_a_cohost(people):
    with pytest.raises(Conflict) as info:
        stage.do_set_cohost(people.host, people.space.pk, people.speaker.pk, False)

    assert info.value.code == "not_cohost"


def test_it_refuses_the_host_naming_themselves(people):
    with pytest.raises(InvalidRequest):
        stage.do_set_cohost(people.host, people.space.pk, people.host.pk, True)

    assert place(people, "host").role == Role.HOST


@pytest.mark.parametrize(
    "action",
    [
        lambda p, t: stage.do_move_to_listener(p.cohost, p.space.pk, t.pk),
        lambda p, t: stage.do_set_muted(p.cohost, p.space.pk, t.pk, True),
        lambda p, t: stage.do_allow_unmute(p.cohost, p.space.pk, t.pk),
        lambda p, t: stage.do_remove(p.cohost, p.space.pk, t.pk),
    ],
    ids=["move_to_listener", "mute", "allow_unmute", "remove"],
)
@pytest.mark.parametrize("target", ["host", "cohost2"])
def test_it_refuses_a_cohost_acting_on_a_cohost_or_the_host(people, cohost2, action, target):
    user = people.host if target == "host" else cohost2
    before = rows(people.space)

    with pytest.raises(NotAllowed):
        action(people, user)

    assert rows(people.space) == before


def test_it_refuses_a_cohost_muting_the_host(people):
    Participant.objects.filter(space=people.space, user=people.host).update(muted=False)

    with pytest.raises(NotAllowed):
        stage.do_set_muted(people.cohost, people.space.pk, people.host.pk, True)

    host = place(people, "host")
    assert host.muted is False
    assert host.muted_by_moderator is False


def test_it_lets_the_host_act_on_a_cohost(people):
    stage.do_set_muted(people.host, people.space.pk, people.cohost.pk, True)
    stage.do_move_to_listener(people.host, people.space.pk, people.cohost.pk)

    cohost = place(people, "cohost")
    assert cohost.role == Role.LISTENER
    assert cohost.muted is True


# --- microphones ---------------------------------------------------------------------


def test_it_keeps_a_moderator_muted_speaker_muted_until_allowed(people):
    stage.do_set_muted(people.host, people.space.pk, people.speaker.pk, True)

    with pytest.raises(NotAllowed) as info:
        stage.do_set_muted(people.speaker, people.space.pk, None, False)
    assert info.value.code == "muted_by_host"
    assert place(people, "speaker").muted is True

    stage.do_allow_unmute(people.host, people.space.pk, people.speaker.pk)
    assert place(people, "speaker").muted is True

    stage.do_set_muted(people.speaker, people.space.pk, None, False)
    assert place(people, "speaker").muted is False


def test_it_lets_a_speaker_mute_themselves_by_id(people):
    stage.do_set_muted(people.speaker, people.space.pk, people.speaker.pk, True)

    speaker = place(people, "speaker")
    assert speaker.muted is True
    assert speaker.muted_by_moderator is False


@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener", "staff"])
def test_it_lets_nobody_unmute_someone_else(people, persona):
    Participant.objects.filter(space=people.space, user=people.speaker).update(muted=True)
    target = people.cohost if persona == "speaker" else people.speaker
    before = rows(people.space)

    with pytest.raises(NotAllowed) as info:
        stage.do_set_muted(getattr(people, persona), people.space.pk, target.pk, False)

    if persona != "staff":
        assert info.value.code == "unmute_others"
    assert rows(people.space) == before


def test_it_mutes_everyone_below_the_host(people, cohost2):
    Participant.objects.filter(space=people.space).update(muted=False)

    count = stage.do_mute_all(people.host, people.space.pk)

    assert count == 3  # two co-hosts and the speaker
    muted = dict(Participant.objects.filter(space=people.space).values_list("user__username", "muted_by_moderator"))
    assert muted == {"hana": False, "cora": True, "cole": True, "sam": True, "lena": False, "raj": False, "rex": False}
    assert place(people, "host").muted is False


def test_it_mutes_only_speakers_for_a_cohost(people, cohost2):
    Participant.objects.filter(space=people.space).update(muted=False)

    count = stage.do_mute_all(people.cohost, people.space.pk)

    assert count == 1
    assert place(people, "speaker").muted is True
    assert place(people, "host").muted is False
    assert place(people, "cohost").muted is False
    assert Participant.objects.get(space=people.space, user=cohost2).muted is False


# --- removal -------------------------------------------------------------------------------


def test_it_removes_a_speaker_for_good(people):
    stage.do_remove(people.host, people.space.pk, people.speaker.pk)

    speaker = place(people, "speaker")
    assert speaker.removed is True
    assert speaker.present is False
    assert speaker.role == Role.LISTENER
    assert speaker.muted is True

    with pytest.raises(NotAllowed) as info:
        presence.do_connect(people.space.pk, people.speaker)
    assert info.value.code == "removed"
    assert place(people, "speaker").connections == speaker.connections


def test_it_cannot_act_on_a_removed_person(people):
    with pytest.raises(NotFound):
        stage.do_remove(people.host, people.space.pk, people.removed.pk)
    with pytest.raises(NotFound):
        stage.do_invite_to_speak(people.host, people.space.pk, people.removed.pk)


def test_it_lets_staff_remove_a_cohost_but_not_the_host(people):
    stage.do_remove(people.staff, people.space.pk, people.cohost.pk)
    assert place(people, "cohost").removed is True

    with pytest.raises(NotAllowed) as info:
        stage.do_remove(people.staff, people.space.pk, people.host.pk)
    assert info.value.code == "remove_host"
    assert place(people, "host").removed is False


def test_it_refuses_the_host_removing_themselves(people):
    with pytest.raises(NotAllowed):
        stage.do_remove(people.host, people.space.pk, people.host.pk)

    assert place(people, "host").removed is False


@pytest.mark.parametrize("bad_id", [987654, "12", True, None])
def test_it_reports_an_unknown_target(people, bad_id):
    with pytest.raises(NotFound):
        stage.do_bring_up(people.host, people.space.pk, bad_id)


# --- live events -----------------------------------------------------------------------------


def test_it_announces_a_raised_hand_after_commit(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage.do_raise_hand(people.listener, people.space.pk)
        assert sent == []  # nothing leaves before the commit

    assert len(sent) == 1
    space_id, event, to_user = sent[0]
    assert space_id == people.space.pk
    assert event["type"] == "participant.updated"
    assert event["participant"]["user_id"] == people.listener.pk
    assert event["participant"]["hand_raised_at"] is not None
    assert to_user is None


def test_it_announces_a_speaker_brought_up(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage.do_bring_up(people.host, people.space.pk, people.raised.pk)

    assert [(e["type"], e["participant"]["role"]) for _, e, _ in sent] == [("participant.updated", "speaker")]


def test_it_sends_an_invitation_to_the_invited_person(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage.do_invite_to_speak(people.host, people.space.pk, people.listener.pk)

    assert [(e["type"], to) for _, e, to in sent] == [("participant.updated", None), ("invited", people.listener.pk)]
    assert sent[0][1]["participant"]["invited"] is True
    assert sent[1][1]["by"] == people.host.pk


def test_it_tells_the_room_and_the_removed_person(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage.do_remove(people.host, people.space.pk, people.listener.pk)

    assert [(e["type"], to) for _, e, to in sent] == [("participant.left", None), ("removed", people.listener.pk)]
    assert sent[0][1] == {"type": "participant.left", "user_id": people.listener.pk, "reason": "removed"}
    assert sent[1][1] == {"type": "removed", "space_id": people.space.pk}


def test_it_announces_each_participant_muted_by_mute_all(people, cohost2, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage.do_mute_all(people.host, people.space.pk)

    assert {e["type"] for _, e, _ in sent} == {"participant.updated"}
    assert sorted(e["participant"]["user_id"] for _, e, _ in sent) == sorted(
        [people.cohost.pk, cohost2.pk, people.speaker.pk]
    )
    assert all(e["participant"]["muted_by_moderator"] for _, e, _ in sent)


def test_it_sends_nothing_when_refused(people, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(NotAllowed):
            stage.do_remove(people.speaker, people.space.pk, people.listener.pk)
        with pytest.raises(Conflict):
            stage.do_bring_up(people.host, people.space.pk, people.listener.pk)

    assert sent == []


def test_it_leaves_the_database_unchanged_when_refused(people, settings):
    with_speaker_limit(settings, 1)
    Participant.objects.filter(space=people.space, user=people.listener).update(
        invited_by=people.host, hand_raised_at=timezone.now()
    )
    listener = place(people, "listener")

    with pytest.raises(Conflict):
        stage.do_answer_invite(people.listener, people.space.pk, True)

    fields = ["role", "muted", "muted_by_moderator", "hand_raised_at", "invited_by_id", "removed", "present"]
    before = {f: getattr(listener, f) for f in fields}
    listener.refresh_from_db()
    assert {f: getattr(listener, f) for f in fields} == before
