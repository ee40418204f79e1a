"""moderation.services.do_report and the decisions (resolve, dismiss): who may report what,
the moment, merged repeats, the rate limit, the hold, who is told."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from moderation.models import AuditEntry, Hold, Report
from moderation.services import TooManyReports, do_dismiss, do_report, do_resolve
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from rooms.models import Notification, Space
from tests.factories import UserFactory

Kind, Status = Report.Kind, Report.Status


def report_speaker(people, reporter, **kw):
    return do_report(
        reporter, "speaker", people.speaker.pk, "harassment", "Shouting at people", space_id=people.space.pk, **kw
    )


def nothing_filed():
    return not Report.objects.exists() and not Hold.objects.exists() and not Notification.objects.exists()


# --- who may report a speaker ------------------------------------------------------------------
@pytest.mark.parametrize(
    "persona, expected",
    [
        ("host", None),
        ("cohost", None),
        ("listener", None),
        ("removed", None),  # the space page stays open to them
        ("outsider", None),
        ("staff", None),
        ("moderator", None),
        ("speaker", InvalidRequest),  # themselves
        ("guest", NotAllowed),
    ],
)
def test_it_checks_who_may_report_a_speaker(people, persona, expected):
    user = getattr(people, persona)
    if expected is None:
        report = report_speaker(people, user)
        assert (report.kind, report.space, report.reported_user, report.reporter) == (
            "speaker",
            people.space,
            people.speaker,
            user,
        )
        return
    with pytest.raises(expected):
        report_speaker(people, user)
    assert nothing_filed()


def test_it_takes_a_live_moment_from_the_server_not_the_client(people):
    Space.objects.filter(pk=people.space.pk).update(started_at=timezone.now() - timedelta(minutes=5))

    report = report_speaker(people, people.listener, moment_ms=1)

    assert 300_000 <= report.moment_ms < 360_000
    assert report.during_space is True


def test_it_places_a_hold_on_the_space_until_the_maximum(people, settings):
    settings.MODERATION = {**settings.MODERATION, "HOLD_MAX_DAYS": 7}

    report = report_speaker(people, people.listener)

    hold = Hold.objects.get()
    assert (hold.space, hold.report, hold.reason, hold.released_at) == (
        people.space,
        report,
        f"Report #{report.pk}",
        None,
    )
    assert hold.until == report.created_at + timedelta(days=7)


def test_it_tells_the_reporter_it_got_the_report(people):
    report_speaker(people, people.listener)

    (note,) = Notification.objects.filter(user=people.listener)
    assert note.text.startswith("We got your report about sam in “Founders talk”")
    assert not Notification.objects.exclude(user=people.listener).exists()  # the speaker is not told


def test_it_reports_only_someone_on_stage(people):
    with pytest.raises(NotFound):
        do_report(people.outsider, "speaker", people.listener.pk, "spam", "", space_id=people.space.pk)
    assert nothing_filed()


def test_it_reports_a_speaker_only_in_a_live_space(people):
    Space.objects.filter(pk=people.space.pk).update(state=Space.State.ENDED, ended_at=timezone.now())

    with pytest.raises(NotFound):
        report_speaker(people, people.listener)
    assert nothing_filed()


def test_it_needs_the_speakers_space(people):
    with pytest.raises(InvalidRequest) as info:
        do_report(people.listener, "speaker", people.speaker.pk, "spam", "")
    assert info.value.code == "space_required"
    assert nothing_filed()


# --- the other kinds ---------------------------------------------------------------------
def test_it_reports_a_live_space_with_its_moment(people):
    report = do_report(people.listener, "space", people.space.pk, "hate", "The title", moment_ms=5)

    assert (report.space, report.reported_user, report.during_space) == (people.space, people.host, True)
    assert report.moment_ms is not None and report.moment_ms < 60_000
    assert Hold.objects.filter(space=people.space, report=report).exists()


def test_it_reports_an_ended_space_without_a_moment(people, past):
    report = do_report(people.listener, "space", past.space.pk, "spam", "")

    assert (report.moment_ms, report.during_space) == (None, False)


def test_it_refuses_the_host_reporting_their_own_space(people):
    with pytest.raises(InvalidRequest):
        do_report(people.host, "space", people.space.pk, "spam", "")
    assert nothing_filed()


def test_it_puts_a_replay_position_on_the_spaces_clock(people, past):
    # 70 s into the replay: 60 s of the first span, then 10 s into the one that starts at 90 s.
    report = do_report(people.listener, "recording", past.pk, "hate", "", moment_ms=70_000)

    assert (report.kind, report.recording, report.space, report.reported_user) == (
        "recording",
        past,
        past.space,
        people.host,
    )
    assert (report.moment_ms, report.during_space) == (100_000, False)
    assert Hold.objects.filter(space=past.space, report=report).exists()


def test_it_puts_a_position_past_the_end_at_the_end(people, past):
    report = do_report(people.listener, "recording", past.pk, "hate", "", moment_ms=999_000)
    assert report.moment_ms == 120_000


def test_it_refuses_a_bad_replay_position(people, past):
    with pytest.raises(InvalidRequest):
        do_report(people.listener, "recording", past.pk, "hate", "", moment_ms="soon")
    assert nothing_filed()


def test_it_hides_an_unpublished_recording_from_reporters(people, past):
    past.published_at = None
    past.save()

    with pytest.raises(NotFound):
        do_report(people.listener, "recording", past.pk, "hate", "")
    assert nothing_filed()


def test_it_reports_a_clip_at_its_start(people, clip):
    report = do_report(people.listener, "clip", clip.pk, "sexual", "")

    assert (report.clip, report.space, report.reported_user, report.moment_ms) == (
        clip,
        clip.space,
        clip.creator,
        95_000,
    )


def test_it_hides_an_unshared_clip_from_reporters(people, clip):
    clip.state, clip.published_at = "asking", None
    clip.save()

    with pytest.raises(NotFound):
        do_report(people.outsider, "clip", clip.pk, "spam", "")
    assert nothing_filed()


def test_it_refuses_reporting_your_own_clip(people, clip):
    with pytest.raises(InvalidRequest):
        do_report(clip.creator, "clip", clip.pk, "spam", "")


def test_it_reports_a_user_without_a_hold(people):
    report = do_report(people.listener, "user", people.outsider.pk, "impersonation", "Pretends to be me")

    assert (report.reported_user, report.space, report.moment_ms) == (people.outsider, None, None)
    assert not Hold.objects.exists()


@pytest.mark.parametrize("target", ["self", "inactive", "unknown", "word"])
def test_it_refuses_a_user_who_cannot_be_reported(people, target):
    ids = {
        "self": people.listener.pk,
        "inactive": UserFactory(username="gone", is_active=False).pk,
        "unknown": 987654,
        "word": "otto",
    }
    with pytest.raises(InvalidRequest if target == "self" else NotFound):
        do_report(people.listener, "user", ids[target], "spam", "")
    assert not Report.objects.exists()


@pytest.mark.parametrize("kind", ["space", "speaker", "recording", "clip", "user"])
def test_it_reports_nothing_that_does_not_exist(people, kind):
    with pytest.raises(NotFound):
        do_report(people.listener, kind, 987654, "spam", "", space_id=people.space.pk)
    assert nothing_filed()


@pytest.mark.parametrize(
    "kind, category, text, code",
    [
        ("post", "spam", "", "bad_kind"),
        ("user", "rude", "", "bad_category"),
        ("user", "", "", "bad_category"),
        ("user", "spam", "x" * 2001, "text_too_long"),
    ],
)
def test_it_refuses_bad_input(people, kind, category, text, code):
    with pytest.raises(InvalidRequest) as info:
        do_report(people.listener, kind, people.outsider.pk, category, text)
    assert info.value.code == code
    assert nothing_filed()


# --- repeats and the rate limit ----------------------------------------------------------------
def test_it_merges_a_repeat_into_the_open_report(people):
    first = report_speaker(people, people.listener)
    again = do_report(people.listener, "speaker", people.speaker.pk, "hate", "Again now", space_id=people.space.pk)

    assert again.pk == first.pk
    assert (again.times, again.text, again.category) == (2, "Shouting at people\n\nAgain now", "harassment")
    assert again.updated_at > first.updated_at
    assert Hold.objects.count() == 1
    assert Notification.objects.filter(user=people.listener).count() == 1


def test_it_keeps_a_merged_text_within_bounds(people):
    do_report(people.listener, "user", people.outsider.pk, "spam", "a" * 1500)
    report = do_report(people.listener, "user", people.outsider.pk, "spam", "b" * 1500)

    assert len(report.text) == 2000


def test_it_files_anew_once_the_report_was_decided(people, moderator):
    first = report_speaker(people, people.listener)
    do_dismiss(moderator, first.pk, "Nothing against the rules.")

    second = report_speaker(people, people.listener)

    assert second.pk != first.pk
    assert second.times == 1


def test_it_keeps_reports_from_others_apart(people):
    one = report_speaker(people, people.listener)
    two = report_speaker(people, people.outsider)

    assert one.pk != two.pk


def test_it_limits_reports_per_hour(people, settings):
    settings.MODERATION = {**settings.MODERATION, "REPORTS_PER_HOUR": 2}
    do_report(people.listener, "user", people.outsider.pk, "spam", "")
    do_report(people.listener, "user", people.staff.pk, "spam", "")

    with pytest.raises(TooManyReports) as info:
        do_report(people.listener, "user", people.host.pk, "spam", "")

    assert (info.value.http_status, info.value.code) == (429, "rate_limited")
    assert Report.objects.count() == 2
    # An hour later they may report again.
    Report.objects.update(updated_at=timezone.now() - timedelta(hours=1, seconds=1))
    do_report(people.listener, "user", people.host.pk, "spam", "")


# --- deciding --------------------------------------------------------------------------------
@pytest.fixture
def filed(people):
    """Two reporters on the speaker, one on the space: all hold the space's copy."""
    return SimpleNamespace(
        one=report_speaker(people, people.listener),
        two=report_speaker(people, people.outsider),
        space=do_report(people.cohost, "space", people.space.pk, "spam", ""),
    )


def test_it_resolves_every_open_report_on_the_target(people, filed):
    Notification.objects.all().delete()

    report = do_resolve(people.moderator, filed.one.pk, "We removed them from the space.")

    assert report.status == Status.RESOLVED
    for each in (filed.one, filed.two):
        each.refresh_from_db()
        assert (each.status, each.outcome, each.decided_by) == (
            Status.RESOLVED,
            "We removed them from the space.",
            people.moderator,
        )
    filed.space.refresh_from_db()
    assert filed.space.status == Status.OPEN
    told = sorted(Notification.objects.values_list("user__username", "text"))
    assert told == [
        ("lena", "A moderator acted on your report about sam in “Founders talk”: We removed them from the space."),
        ("otto", "A moderator acted on your report about sam in “Founders talk”: We removed them from the space."),
    ]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.report_id, entry.subject_user_id, entry.reason) == (
        "resolve_report",
        people.moderator.pk,
        filed.one.pk,
        people.speaker.pk,
        "We removed them from the space.",
    )


def test_it_keeps_the_holds_while_a_report_on_the_space_is_open(people, filed):
    do_resolve(people.moderator, filed.one.pk, "Removed.")

    assert Hold.objects.active().filter(space=people.space).count() == 3

    do_dismiss(people.moderator, filed.space.pk, "The space is fine.")

    assert not Hold.objects.active().exists()
    assert Hold.objects.filter(released_at__isnull=False).count() == 3


def test_it_leaves_a_hold_staff_placed_by_hand(people, filed):
    by_hand = Hold.objects.create(space=people.space, reason="Police request", created_by=people.moderator)

    do_resolve(people.moderator, filed.one.pk, "Removed.")
    do_resolve(people.moderator, filed.space.pk, "Warned the host.")

    assert list(Hold.objects.active()) == [by_hand]


def test_it_dismisses_with_the_reason_told(people, filed):
    Notification.objects.all().delete()

    do_dismiss(people.moderator, filed.space.pk, "Nothing against the rules.")

    filed.space.refresh_from_db()
    assert filed.space.status == Status.DISMISSED
    (note,) = Notification.objects.all()
    assert (note.user, note.text) == (
        people.cohost,
        "A moderator reviewed your report about the space “Founders talk” and took no action: Nothing against the rules.",
    )
    assert AuditEntry.objects.get().action == "dismiss_report"


@pytest.mark.parametrize("decide", [do_resolve, do_dismiss])
def test_it_refuses_deciding_twice(people, filed, decide):
    do_resolve(people.moderator, filed.one.pk, "Removed.")

    with pytest.raises(Conflict) as info:
        decide(people.moderator, filed.two.pk, "Again")

    assert info.value.code == "decided"
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize("decide", [do_resolve, do_dismiss])
@pytest.mark.parametrize("persona", ["host", "cohost", "speaker", "listener", "outsider", "staff", "guest"])
def test_it_lets_only_moderators_decide(people, filed, decide, persona):
    with pytest.raises(NotAllowed):
        decide(getattr(people, persona), filed.one.pk, "Done")

    assert Report.objects.filter(status=Status.OPEN).count() == 3
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("outcome", ["", "   ", "x" * 501])
def test_it_needs_an_outcome_to_tell(people, filed, outcome):
    with pytest.raises(InvalidRequest):
        do_resolve(people.moderator, filed.one.pk, outcome)
    assert Report.objects.filter(status=Status.OPEN).count() == 3


@pytest.mark.parametrize("report_id", [987654, "x", None])
def test_it_reports_an_unknown_report(people, report_id):
    with pytest.raises(NotFound):
        do_resolve(people.moderator, report_id, "Done")
