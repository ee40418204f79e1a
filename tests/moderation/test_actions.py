"""What moderators do about a report: each action changes what it says through the site's
own service, tells the room and the engine, writes one audit row and tells the person why;
anyone else (staff without the Moderators group too) is refused and nothing changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clips.models import Clip
from moderation import services
from moderation.models import AuditEntry, Report
from recordings.models import Recording
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.media.commands import Drop, End, Mute
from rooms.models import Notification, Participant, Space, Suspension

REFUSED = ["host", "cohost", "speaker", "listener", "outsider", "staff", "guest"]
WHY = "Threats against a listener."


@pytest.fixture
def engine(monkeypatch):
    """Commands the space's engine is sent, after commit."""
    calls = []
    monkeypatch.setattr("rooms.media.commands.send_now", lambda space_id, command: calls.append((space_id, command)))
    return calls


@pytest.fixture
def speaker_report(people):
    report = services.do_report(
        people.listener, "speaker", people.speaker.pk, "harassment", "", space_id=people.space.pk
    )
    Notification.objects.all().delete()
    return report


@pytest.fixture
def user_report(people):
    return services.do_report(people.listener, "user", people.speaker.pk, "spam", "")


@pytest.fixture
def recording_report(people, past):
    return services.do_report(people.listener, "recording", past.pk, "hate", "", moment_ms=1000)


@pytest.fixture
def clip_report(people, clip):
    return services.do_report(people.listener, "clip", clip.pk, "sexual", "")


def place(people, persona) -> Participant:
    return Participant.objects.get(space=people.space, user=getattr(people, persona))


def only_entry() -> AuditEntry:
    (entry,) = AuditEntry.objects.all()
    return entry


def told(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("text", flat=True))


# --- end a live space ------------------------------------------------------------------------------
def test_it_ends_the_live_space(people, speaker_report, sent, engine, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.do_end_space(people.moderator, speaker_report.pk, WHY)

    people.space.refresh_from_db()
    assert people.space.state == Space.State.ENDED
    ended = [e for _, e, to in sent if e["type"] == "space.ended"]
    assert [e["reason"] for e in ended] == ["staff"]  # everyone in the room is told
    assert (people.space.pk, End()) in engine
    entry = only_entry()
    assert (entry.action, entry.target_kind, entry.target_id, entry.subject_user_id, entry.report_id, entry.reason) == (
        "end_space",
        "space",
        people.space.pk,
        people.host.pk,
        speaker_report.pk,
        WHY,
    )
    assert (entry.actor_id, entry.actor_name) == (people.moderator.pk, "mona")
    assert told(people.host) == [f"A moderator ended your space “Founders talk”: {WHY}"]


def test_it_refuses_ending_a_space_that_is_not_live(people, recording_report):
    with pytest.raises(Conflict) as info:
        services.do_end_space(people.moderator, recording_report.pk, WHY)

    assert info.value.code == "not_live"
    assert not AuditEntry.objects.exists()


def test_it_refuses_ending_a_space_for_a_report_about_a_user(people, user_report):
    with pytest.raises(Conflict) as info:
        services.do_end_space(people.moderator, user_report.pk, WHY)

    assert info.value.code == "no_space"
    assert people.space.state == Space.State.LIVE


# --- remove or mute a speaker -------------------------------------------------------------------
def test_it_removes_the_speaker(people, speaker_report, sent, engine, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.do_remove_speaker(people.moderator, speaker_report.pk, WHY)

    speaker = place(people, "speaker")
    assert (speaker.removed, speaker.present, speaker.role) == (True, False, "listener")
    assert ("removed", people.speaker.pk) in [(e["type"], to) for _, e, to in sent]
    assert (people.space.pk, Drop(people.speaker.pk, "removed")) in engine
    entry = only_entry()
    assert (entry.action, entry.target_kind, entry.target_id, entry.subject_user_id, entry.report_id) == (
        "remove_speaker",
        "user",
        people.speaker.pk,
        people.speaker.pk,
        speaker_report.pk,
    )
    assert told(people.speaker) == [f"A moderator removed you from “Founders talk”: {WHY}"]


def test_it_mutes_the_speaker_and_the_engine_enforces_it(
    people, speaker_report, sent, engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.do_mute_speaker(people.moderator, speaker_report.pk, WHY)

    speaker = place(people, "speaker")
    assert (speaker.muted, speaker.muted_by_moderator) == (True, True)
    updated = [e["participant"] for _, e, _ in sent if e["type"] == "participant.updated"]
    assert [(p["user_id"], p["muted"]) for p in updated] == [(people.speaker.pk, True)]
    assert engine == [(people.space.pk, Mute(people.speaker.pk, True))]
    entry = only_entry()
    assert (entry.action, entry.target_id, entry.subject_user_id, entry.report_id) == (
        "mute_speaker",
        people.speaker.pk,
        people.speaker.pk,
        speaker_report.pk,
    )
    assert told(people.speaker) == [f"A moderator muted you in “Founders talk”: {WHY}"]


def test_it_keeps_a_moderators_mute_on(people, speaker_report):
    from rooms.services import stage

    services.do_mute_speaker(people.moderator, speaker_report.pk, WHY)

    with pytest.raises(NotAllowed):
        stage.do_set_muted(people.speaker, people.space.pk, None, False)


def test_it_refuses_removing_the_host(people):
    Participant.objects.filter(space=people.space, user=people.host).update(present=True)
    report = services.do_report(people.listener, "speaker", people.host.pk, "hate", "", space_id=people.space.pk)

    with pytest.raises(Conflict) as info:
        services.do_remove_speaker(people.moderator, report.pk, WHY)

    assert info.value.code == "remove_host"
    assert place(people, "host").removed is False


def test_it_refuses_muting_for_a_report_with_no_live_space(people, user_report, recording_report):
    for report in (user_report, recording_report):
        with pytest.raises(Conflict):
            services.do_mute_speaker(people.moderator, report.pk, WHY)
    assert not AuditEntry.objects.exists()


def test_it_refuses_muting_someone_who_left_the_stage(people, speaker_report):
    Participant.objects.filter(space=people.space, user=people.speaker).update(role="listener")

    with pytest.raises(Conflict) as info:
        services.do_mute_speaker(people.moderator, speaker_report.pk, WHY)

    assert info.value.code == "not_on_stage"


def test_it_refuses_removing_someone_no_longer_there(people, speaker_report):
    Participant.objects.filter(space=people.space, user=people.speaker).update(present=False)

    with pytest.raises(Conflict) as info:
        services.do_remove_speaker(people.moderator, speaker_report.pk, WHY)

    assert info.value.code == "not_in_space"


# --- suspend ------------------------------------------------------------------------------------
def test_it_suspends_the_reported_user_until_a_date(people, user_report):
    until = timezone.now() + timedelta(days=7)

    services.do_suspend_user(people.moderator, user_report.pk, WHY, until)

    suspension = Suspension.objects.in_force().get(user=people.speaker)
    assert (suspension.until, suspension.reason, suspension.created_by) == (until, WHY, people.moderator)
    entry = only_entry()
    assert (entry.action, entry.target_kind, entry.target_id, entry.subject_user_id, entry.report_id) == (
        "suspend_user",
        "user",
        people.speaker.pk,
        people.speaker.pk,
        user_report.pk,
    )
    assert entry.reason.startswith(WHY)
    (note,) = told(people.speaker)  # by rooms' do_suspend: until when and why
    assert WHY in note


def test_it_suspends_for_good(people, speaker_report):
    services.do_suspend_user(people.moderator, speaker_report.pk, WHY, None)

    assert Suspension.objects.in_force().get(user=people.speaker).until is None
    (note,) = told(people.speaker)
    assert "for good" in note and WHY in note


def test_it_refuses_a_suspension_ending_in_the_past(people, user_report):
    with pytest.raises(InvalidRequest):
        services.do_suspend_user(people.moderator, user_report.pk, WHY, timezone.now() - timedelta(hours=1))

    assert not Suspension.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_suspending_staff(people):
    report = services.do_report(people.listener, "user", people.staff.pk, "spam", "")

    with pytest.raises(NotAllowed):
        services.do_suspend_user(people.moderator, report.pk, WHY, None)

    assert not Suspension.objects.exists()
    assert not AuditEntry.objects.exists()


# --- take down ----------------------------------------------------------------------------------
def test_it_takes_down_the_recording(people, past, recording_report):
    services.do_take_down_recording(people.moderator, recording_report.pk, WHY)

    past.refresh_from_db()
    assert past.deleted_at is not None and past.published_at is None
    entry = only_entry()
    assert (entry.action, entry.target_kind, entry.target_id, entry.subject_user_id) == (
        "take_down_recording",
        "recording",
        past.pk,
        people.host.pk,
    )
    assert f"A moderator took down the recording of “Last week”: {WHY}" in told(people.host)


def test_it_takes_down_the_recording_of_a_reported_space(people, past):
    report = services.do_report(people.listener, "space", past.space.pk, "hate", "")

    services.do_take_down_recording(people.moderator, report.pk, WHY)

    assert Recording.objects.get(pk=past.pk).deleted_at is not None


def test_it_refuses_taking_down_a_recording_twice(people, recording_report):
    services.do_take_down_recording(people.moderator, recording_report.pk, WHY)

    with pytest.raises(Conflict) as info:
        services.do_take_down_recording(people.moderator, recording_report.pk, WHY)

    assert info.value.code == "recording_gone"
    assert AuditEntry.objects.count() == 1


def test_it_refuses_taking_down_a_recording_there_is_not(people, speaker_report):
    with pytest.raises(Conflict) as info:
        services.do_take_down_recording(people.moderator, speaker_report.pk, WHY)

    assert info.value.code == "no_recording"


def test_it_takes_down_the_clip(people, clip, clip_report):
    services.do_take_down_clip(people.moderator, clip_report.pk, WHY)

    clip.refresh_from_db()
    assert (clip.state, clip.takedown_reason) == (Clip.State.TAKEN_DOWN, WHY)
    entry = only_entry()
    assert (entry.action, entry.target_kind, entry.target_id, entry.subject_user_id) == (
        "take_down_clip",
        "clip",
        clip.pk,
        clip.creator_id,
    )
    assert told(clip.creator) == [f"A moderator took down your clip “The good bit”: {WHY}"]


def test_it_refuses_taking_down_a_clip_for_a_report_about_something_else(people, speaker_report):
    with pytest.raises(Conflict) as info:
        services.do_take_down_clip(people.moderator, speaker_report.pk, WHY)

    assert info.value.code == "no_clip"


# --- who may act, and bad input --------------------------------------------------------------------
ACTIONS = {
    "end_space": (services.do_end_space, "speaker_report"),
    "remove_speaker": (services.do_remove_speaker, "speaker_report"),
    "mute_speaker": (services.do_mute_speaker, "speaker_report"),
    "suspend_user": (lambda actor, rid, why: services.do_suspend_user(actor, rid, why, None), "user_report"),
    "take_down_recording": (services.do_take_down_recording, "recording_report"),
    "take_down_clip": (services.do_take_down_clip, "clip_report"),
}


def state(people):
    return (
        list(Participant.objects.order_by("pk").values()),
        list(Space.objects.order_by("pk").values("state")),
        list(Recording.objects.values("deleted_at", "published_at")),
        list(Clip.objects.values("state")),
        list(Suspension.objects.values()),
        list(Report.objects.order_by("pk").values("status")),
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", REFUSED)
def test_it_lets_only_moderators_act(request, people, clip, action, persona):
    service, fixture = ACTIONS[action]
    report = request.getfixturevalue(fixture)
    before = state(people)

    with pytest.raises(NotAllowed):
        service(getattr(people, persona), report.pk, WHY)

    assert state(people) == before
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_it_reports_an_unknown_report(people, action):
    with pytest.raises(NotFound):
        ACTIONS[action][0](people.moderator, 987654, WHY)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("reason", ["", "  ", "x" * 501])
def test_it_needs_a_reason_to_tell(request, people, clip, action, reason):
    service, fixture = ACTIONS[action]
    report = request.getfixturevalue(fixture)
    before = state(people)

    with pytest.raises(InvalidRequest):
        service(people.moderator, report.pk, reason)

    assert state(people) == before
    assert not AuditEntry.objects.exists()
