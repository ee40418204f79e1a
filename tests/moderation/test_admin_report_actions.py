"""The report page's buttons run the real moderation services: each changes the state it
names and writes its audit row (the services' own tests cover their events and the engine)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clips.models import Clip
from moderation.models import AuditEntry, Report
from rooms.models import Participant, Space, Suspension
from tests.admin_helpers import told
from tests.moderation.conftest import make_report


def act(client, report, action: str, **data):
    return client.post(reverse("admin:moderation_report_act", args=[report.pk, action]), data)


@pytest.fixture
def moderating(client, moderator):
    client.force_login(moderator)
    return client


def test_it_ends_the_space(people, report, moderating):
    response = act(moderating, report, "end-space", reason="Hate speech on stage")

    assert told(response) == [("success", "End the space: done.")]
    people.space.refresh_from_db()
    assert people.space.state == Space.State.ENDED
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.report_id, entry.reason) == ("end_space", report.pk, "Hate speech on stage")


def test_it_removes_the_speaker(people, report, moderating):
    response = act(moderating, report, "remove-speaker", reason="Threats")

    assert told(response) == [("success", "Remove from the space: done.")]
    assert Participant.objects.get(space=people.space, user=people.speaker).removed
    assert AuditEntry.objects.get().action == "remove_speaker"


def test_it_mutes_the_speaker(people, report, moderating):
    response = act(moderating, report, "mute-speaker", reason="Shouting")

    assert told(response) == [("success", "Mute the speaker: done.")]
    place = Participant.objects.get(space=people.space, user=people.speaker)
    assert place.muted and place.muted_by_moderator
    assert AuditEntry.objects.get().action == "mute_speaker"


def test_it_suspends_the_user_until_a_date(people, report, moderating):
    until = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = act(moderating, report, "suspend-user", reason="Spam", until=until.strftime("%Y-%m-%dT%H:%M"))

    assert told(response) == [("success", "Suspend the user: done.")]
    suspension = Suspension.objects.get(user=people.speaker)
    assert (suspension.until, suspension.reason) == (until, "Spam")
    assert AuditEntry.objects.get().action == "suspend_user"


def test_it_suspends_for_good_without_an_end(people, report, moderating):
    act(moderating, report, "suspend-user", reason="Spam", until="")

    assert Suspension.objects.get(user=people.speaker).until is None


def test_it_shows_why_a_staff_account_cannot_be_suspended(people, report, moderating):
    type(people.speaker).objects.filter(pk=people.speaker.pk).update(is_staff=True)
    response = act(moderating, report, "suspend-user", reason="Spam")

    level, text = told(response)[0]
    assert level == "error" and text.startswith("Suspend the user: ")
    assert not Suspension.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_shows_why_a_speaker_who_left_cannot_be_muted(people, report, moderating):
    Participant.objects.filter(space=people.space, user=people.speaker).update(present=False)
    response = act(moderating, report, "mute-speaker", reason="Shouting")

    assert told(response)[0][0] == "error"
    assert not AuditEntry.objects.exists()


def test_it_requires_a_reason(people, report, moderating):
    response = act(moderating, report, "end-space", reason="")

    assert told(response) == [("error", "End the space: reason: This field is required.")]
    people.space.refresh_from_db()
    assert people.space.state == Space.State.LIVE


def test_it_takes_down_a_recording(people, past, moderating):
    report = make_report(people.listener, kind=Report.Kind.RECORDING, space=past.space, recording=past)
    page = moderating.get(reverse("admin:moderation_report_change", args=[report.pk]))
    assert "take-down-recording" in [a["slug"] for a in page.context["actions"]]

    response = act(moderating, report, "take-down-recording", reason="Hate speech")

    assert told(response)[-1] == ("success", "Take down the recording: done.")
    past.refresh_from_db()
    assert past.is_gone
    assert AuditEntry.objects.get().action == "take_down_recording"


def test_it_takes_down_a_clip(people, clip, moderating):
    report = make_report(people.listener, kind=Report.Kind.CLIP, space=clip.space, clip=clip)
    response = act(moderating, report, "take-down-clip", reason="Harassment")

    assert told(response) == [("success", "Take down the clip: done.")]
    clip.refresh_from_db()
    assert clip.state == Clip.State.TAKEN_DOWN
    assert AuditEntry.objects.get().action == "take_down_clip"


def test_it_offers_to_take_down_the_recording_of_a_reported_space(people, past, moderating):
    report = make_report(people.listener, kind=Report.Kind.SPACE, space=past.space)
    page = moderating.get(reverse("admin:moderation_report_change", args=[report.pk]))

    assert "take-down-recording" in [a["slug"] for a in page.context["actions"]]
