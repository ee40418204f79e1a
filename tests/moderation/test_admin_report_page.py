"""A report's page: the report, the moment on the moderation copy (moderators only), who was
in the space then, what was said, what was reported and done before about the same person,
and the actions, which only moderators see and use, each through its moderation service."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import services
from moderation.models import AuditEntry, Report
from recordings.models import ModerationCopy, Transcript
from rooms.errors import Conflict
from rooms.media import storage
from rooms.models import StageChange, Suspension
from tests.admin_helpers import told
from tests.moderation.conftest import end_space, make_report
from tests.recordings.conftest import write_voice


def give_transcript(people, segments: list[dict]) -> None:
    """The space's own transcript, ready, with these segments."""
    for segment in segments:
        segment.setdefault("words", [])
    name = storage.put(f"spaces/{people.space.pk}/transcript.json", json.dumps(segments).encode())
    Transcript.objects.create(space=people.space, state=Transcript.State.READY, segments=name)


def page(report) -> str:
    return reverse("admin:moderation_report_change", args=[report.pk])


def act_url(report, action: str) -> str:
    return reverse("admin:moderation_report_act", args=[report.pk, action])


def test_it_shows_a_moderator_the_report_the_player_and_the_actions(people, moderator, report, copy, client):
    client.force_login(moderator)
    response = client.get(page(report))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Shouting at people." in html and "Reported by <strong>lena</strong>" in html
    assert "at <strong>1:00</strong> on the space's clock" in html
    assert reverse("admin:moderation_report_copy_audio", args=[report.pk]) in html
    assert f'<option value="{people.speaker.pk}">Only sam</option>' in html
    assert "From 0:30 to 2:30" in html
    slugs = [a["slug"] for a in response.context["actions"]]
    assert {"resolve", "dismiss"} <= set(slugs)
    assert 'data-action="resolve"' in html
    assert people.space.get_absolute_url() in html
    # Opening the page is not listening: only the audio URL writes the audit row.
    assert not AuditEntry.objects.exists()


def test_it_shows_other_staff_the_report_without_the_copy_or_the_actions(people, report, copy, client):
    client.force_login(people.staff)
    response = client.get(page(report))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Shouting at people." in html
    assert "copy-audio" not in html
    assert "Only moderators hear the moderation copy." in html
    assert "Only moderators can act on reports." in html
    assert "data-action=" not in html
    assert "Transcribe this window" not in html


def test_it_shows_other_staff_no_transcript(people, report, client):
    give_transcript(people, [{"user": people.speaker.pk, "start": 55_000, "end": 58_000, "text": "Secret."}])
    client.force_login(people.staff)
    response = client.get(page(report))

    assert "Secret." not in response.content.decode()
    assert "Only moderators read what was said" in response.content.decode()
    assert "transcript_lines" not in response.context


@pytest.mark.parametrize("persona", ["host", "speaker", "listener", "outsider"])
def test_it_sends_people_who_are_not_staff_to_the_admin_login(people, report, client, persona):
    client.force_login(getattr(people, persona))
    response = client.get(page(report))

    assert response.url.startswith(reverse("admin:login"))


def test_it_says_when_the_copy_was_deleted(people, moderator, report, copy, client):
    end_space(people.space)
    ModerationCopy.objects.filter(pk=copy.pk).delete()
    client.force_login(moderator)
    html = client.get(page(report)).content.decode()

    assert "The moderation copy of this space was deleted" in html
    assert "copy-audio" not in html


def test_it_offers_a_live_spaces_audio_before_its_copy_row_exists(people, moderator, report, client):
    # While the space is live the engine writes its tracks; the ModerationCopy row (with the
    # retention clock) only comes when it ends. A report made live is heard live.
    write_voice(people.space.pk, people.speaker.pk, 700.0, 0, 180)
    assert not ModerationCopy.objects.exists()
    client.force_login(moderator)
    html = client.get(page(report)).content.decode()

    assert "was deleted" not in html
    assert reverse("admin:moderation_report_copy_audio", args=[report.pk]) in html


def test_it_shows_a_user_report_without_a_space(people, moderator, client, monkeypatch):
    for name in ("do_end_space", "do_remove_speaker", "do_mute_speaker", "do_suspend_user"):
        monkeypatch.setattr(services, name, lambda *a: None, raising=False)
    report = make_report(people.listener, kind=Report.Kind.USER, reported_user=people.outsider)
    client.force_login(moderator)
    response = client.get(page(report))

    assert response.status_code == 200
    assert "The moment" not in response.content.decode()
    assert [a["slug"] for a in response.context["actions"]] == ["suspend-user", "resolve", "dismiss"]


def test_it_shows_who_was_in_the_space_at_the_moment(people, moderator, report, client):
    start = people.space.started_at
    at = lambda s: start + timedelta(seconds=s)  # noqa: E731
    for user, role, second in [
        (people.host, "host", 0),
        (people.speaker, "listener", 5),
        (people.speaker, "speaker", 30),
        (people.listener, "listener", 10),
        (people.cohost, "listener", 20),
        (people.cohost, "left", 50),
        (people.raised, "listener", 90),  # came after the moment
    ]:
        StageChange.objects.create(space=people.space, user=user, role=role, at=at(second))
    client.force_login(moderator)
    response = client.get(page(report))

    assert [(p["user"].username, p["role"]) for p in response.context["stage"]] == [
        ("hana", "Host"),
        ("sam", "Speaker"),
        ("lena", "Listener"),
    ]


def test_it_shows_the_spaces_transcript_around_the_moment(people, moderator, report, client):
    # A minute either side of the moment (100 s): 40 s to 160 s.
    report.moment_ms = 100_000
    report.save(update_fields=["moment_ms"])
    segments = [
        {"user": people.host.pk, "start": 10_000, "end": 12_000, "text": "Too early to show.", "words": []},
        {"user": people.speaker.pk, "start": 55_000, "end": 58_000, "text": "You are all idiots.", "words": []},
        {"user": people.host.pk, "start": 100_000, "end": 103_000, "text": "Please calm down.", "words": []},
        {"user": people.speaker.pk, "start": 150_000, "end": 165_000, "text": "Fine.", "words": []},
        {"user": people.host.pk, "start": 170_000, "end": 171_000, "text": "Too late to show.", "words": []},
    ]
    give_transcript(people, segments)
    client.force_login(moderator)
    response = client.get(page(report))

    assert [(line["at"], line["name"], line["text"]) for line in response.context["transcript_lines"]] == [
        ("0:55", "sam", "You are all idiots."),
        ("1:40", "hana", "Please calm down."),
        ("2:30", "sam", "Fine."),
    ]
    assert "Transcribe this window" not in response.content.decode()


def test_it_offers_to_transcribe_the_window_when_there_is_no_transcript(moderator, report, copy, client):
    client.force_login(moderator)
    html = client.get(page(report)).content.decode()

    assert "This space has no transcript." in html
    assert "Transcribe this window" in html


def test_it_shows_earlier_reports_and_actions_about_the_same_user(people, moderator, report, client):
    earlier = make_report(
        people.host, kind=Report.Kind.USER, reported_user=people.speaker, created_at=timezone.now() - timedelta(days=3)
    )
    make_report(people.host, kind=Report.Kind.USER, reported_user=people.listener)
    services.audit(
        moderator, AuditEntry.Action.MUTE_SPEAKER, "space", 7, "Old space", subject_user_id=people.speaker.pk
    )
    services.audit(moderator, AuditEntry.Action.MUTE_SPEAKER, "space", 7, "Old space", subject_user_id=people.host.pk)
    # Listening to a copy is logged about them, but is no action against them.
    services.audit(moderator, AuditEntry.Action.HEAR_COPY, "space", 7, "Old space", subject_user_id=people.speaker.pk)
    client.force_login(people.staff)
    response = client.get(page(report))

    assert [r.pk for r in response.context["other_reports"]] == [earlier.pk]
    assert [e.subject_user_id for e in response.context["earlier_actions"]] == [people.speaker.pk]


def test_it_resolves_from_the_page_with_an_outcome(people, moderator, report, client):
    client.force_login(moderator)
    response = client.post(act_url(report, "resolve"), {"outcome": "We warned them."})

    assert response.status_code == 302 and response.url == page(report)
    assert told(response) == [("success", "Resolve (action taken): done.")]
    report.refresh_from_db()
    assert (report.status, report.outcome, report.decided_by) == (Report.Status.RESOLVED, "We warned them.", moderator)
    assert AuditEntry.objects.get().reason == "We warned them."


def test_it_shows_the_services_refusal(people, moderator, report, client):
    client.force_login(moderator)
    client.post(act_url(report, "dismiss"), {"outcome": "Nothing against the rules."})
    response = client.post(act_url(report, "resolve"), {"outcome": "Changed my mind."})

    assert told(response)[-1] == ("error", "Resolve (action taken): This report was already dismissed (no action).")
    report.refresh_from_db()
    assert report.status == Report.Status.DISMISSED


def test_it_refuses_an_empty_outcome_and_changes_nothing(moderator, report, client):
    client.force_login(moderator)
    response = client.post(act_url(report, "dismiss"), {"outcome": ""})

    assert told(response) == [("error", "Dismiss (no action): outcome: This field is required.")]
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


@pytest.mark.parametrize(
    ("action", "service", "data", "args"),
    [
        ("end-space", "do_end_space", {"reason": "Hate speech"}, ("Hate speech",)),
        ("remove-speaker", "do_remove_speaker", {"reason": "Threats"}, ("Threats",)),
        ("mute-speaker", "do_mute_speaker", {"reason": "Shouting"}, ("Shouting",)),
        ("suspend-user", "do_suspend_user", {"reason": "Spam", "until": ""}, ("Spam", None)),
    ],
)
def test_it_calls_the_live_actions_service(people, moderator, report, client, monkeypatch, action, service, data, args):
    calls = []
    monkeypatch.setattr(services, service, lambda *a: calls.append(a), raising=False)
    client.force_login(moderator)
    assert action in [a["slug"] for a in client.get(page(report)).context["actions"]]
    response = client.post(act_url(report, action), data)

    assert told(response)[0][0] == "success"
    assert calls == [(moderator, report.pk, *args)]


def test_it_passes_the_end_of_a_suspension(people, moderator, report, client, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "do_suspend_user", lambda *a: calls.append(a), raising=False)
    client.force_login(moderator)
    until = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    client.post(act_url(report, "suspend-user"), {"reason": "Spam", "until": until.strftime("%Y-%m-%dT%H:%M")})

    assert calls == [(moderator, report.pk, "Spam", until)]


def test_it_refuses_a_suspension_ending_in_the_past(people, moderator, report, client, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "do_suspend_user", lambda *a: calls.append(a), raising=False)
    client.force_login(moderator)
    response = client.post(act_url(report, "suspend-user"), {"reason": "Spam", "until": "2020-01-01T10:00"})

    assert told(response)[0][0] == "error"
    assert calls == []


def test_it_shows_a_live_actions_refusal(people, moderator, report, client, monkeypatch):
    def refuse(*args):
        raise Conflict("The space is not live.", code="not_live")

    monkeypatch.setattr(services, "do_end_space", refuse, raising=False)
    client.force_login(moderator)
    response = client.post(act_url(report, "end-space"), {"reason": "Hate"})

    assert told(response) == [("error", "End the space: The space is not live.")]


def test_it_offers_no_live_actions_once_the_space_ended(people, moderator, report, client, monkeypatch):
    for name in ("do_end_space", "do_remove_speaker", "do_mute_speaker"):
        monkeypatch.setattr(services, name, lambda *a: None, raising=False)
    people.space.state = "ended"
    people.space.ended_at = timezone.now()
    people.space.save(update_fields=["state", "ended_at"])
    client.force_login(moderator)
    slugs = [a["slug"] for a in client.get(page(report)).context["actions"]]

    assert not {"end-space", "remove-speaker", "mute-speaker"} & set(slugs)


@pytest.mark.parametrize("until, offered", [(None, False), (timedelta(days=3), True)])
def test_it_offers_no_second_suspension_for_good(people, moderator, report, client, until, offered):
    ends = None if until is None else timezone.now() + until
    Suspension.objects.create(user=people.speaker, until=ends, reason="Spam", created_by=moderator)
    client.force_login(moderator)
    slugs = [a["slug"] for a in client.get(page(report)).context["actions"]]

    # A dated one may be made longer (or for good) by another.
    assert ("suspend-user" in slugs) is offered


@pytest.mark.parametrize("persona", ["staff", "viewer"])
def test_it_refuses_actions_by_staff_who_are_not_moderators(people, report, client, persona):
    user = people.staff
    if persona == "viewer":
        from tests.admin_helpers import staff_with

        staff_with(user, "view_report", "change_report")
    client.force_login(user)
    response = client.post(act_url(report, "resolve"), {"outcome": "Done."})

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_it_sends_a_listener_acting_to_the_admin_login(people, report, client):
    client.force_login(people.listener)
    response = client.post(act_url(report, "resolve"), {"outcome": "Done."})

    assert response.url.startswith(reverse("admin:login"))
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_it_answers_unknown_actions_and_gets_plainly(moderator, report, client):
    client.force_login(moderator)

    assert client.post(act_url(report, "explode"), {"reason": "x"}).status_code == 404
    assert client.get(act_url(report, "resolve")).status_code == 405
    assert client.post(reverse("admin:moderation_report_act", args=[98765, "resolve"]), {}).status_code == 404
