"""Reports and the retention of a space's moderation copy, with the real retention job
(recordings.tasks.delete_expired_copies and the work of each task it fans out): an open
report holds the copy past retention up to MODERATION_HOLD_MAX_DAYS; deciding the last open
report on the space releases it, and the job then deletes the copy if past retention. With
MODERATION_RETENTION_DAYS=0 a copy with a report filed during the space is kept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import Hold
from moderation.services import do_dismiss, do_report, do_resolve
from recordings.models import ModerationCopy
from recordings.services import do_delete_moderation_copy
from recordings.tasks import delete_expired_copies
from rooms.services.spaces import do_end_space


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def retention(settings, days):
    settings.RECORDINGS = {**settings.RECORDINGS, "RETENTION_DAYS": days}


def report_speaker(people, reporter):
    return do_report(reporter, "speaker", people.speaker.pk, "hate", "", space_id=people.space.pk)


def end(people):
    do_end_space(people.host, people.space.pk)


def past_retention(people):
    ModerationCopy.objects.filter(space=people.space).update(expires_at=timezone.now() - timedelta(seconds=1))


def run_retention_job() -> int:
    """The beat job, then the work of each task it queued: how many copies it deleted."""
    queued = delete_expired_copies()
    if not queued:
        return 0
    return sum(do_delete_moderation_copy(pk) for pk in ModerationCopy.objects.values_list("pk", flat=True))


def copy_kept(people) -> bool:
    return ModerationCopy.objects.filter(space=people.space).exists()


def test_an_open_report_holds_the_copy_past_retention(people, settings):
    retention(settings, 30)
    report_speaker(people, people.listener)
    end(people)
    past_retention(people)

    assert run_retention_job() == 0
    assert copy_kept(people)


def test_the_hold_ends_at_its_maximum_even_with_the_report_open(people, settings):
    retention(settings, 30)
    settings.MODERATION = {**settings.MODERATION, "HOLD_MAX_DAYS": 120}
    report = report_speaker(people, people.listener)
    end(people)
    past_retention(people)
    hold = Hold.objects.get(report=report)
    assert hold.until == report.created_at + timedelta(days=120)

    # 120 days on: the hold has run out though nobody decided the report.
    Hold.objects.filter(pk=hold.pk).update(until=timezone.now() - timedelta(seconds=1))

    assert run_retention_job() == 1
    assert not copy_kept(people)


def test_resolving_the_last_report_lets_the_job_delete_a_copy_past_retention(people, moderator, settings):
    retention(settings, 30)
    first = report_speaker(people, people.listener)
    space_report = do_report(people.outsider, "space", people.space.pk, "spam", "")
    end(people)
    past_retention(people)

    do_resolve(moderator, first.pk, "Warned them.")
    assert run_retention_job() == 0  # the report on the space is still open
    assert copy_kept(people)

    do_dismiss(moderator, space_report.pk, "Nothing against the rules.")
    assert run_retention_job() == 1
    assert not copy_kept(people)


def test_a_released_copy_still_within_retention_stays(people, moderator, settings):
    retention(settings, 30)
    report = report_speaker(people, people.listener)
    end(people)

    do_resolve(moderator, report.pk, "Warned them.")

    assert not Hold.objects.active().exists()
    assert run_retention_job() == 0
    assert copy_kept(people)


def test_a_staff_hold_outlasts_the_reports(people, moderator, settings):
    retention(settings, 30)
    report = report_speaker(people, people.listener)
    Hold.objects.create(space=people.space, reason="Police request", created_by=moderator)
    end(people)
    past_retention(people)

    do_resolve(moderator, report.pk, "Removed them.")

    assert run_retention_job() == 0
    assert copy_kept(people)


def test_with_retention_zero_a_copy_reported_during_the_space_is_kept(people, settings):
    retention(settings, 0)
    report = report_speaker(people, people.listener)
    assert report.during_space is True

    end(people)

    copy = ModerationCopy.objects.get(space=people.space)
    assert copy.expires_at <= timezone.now()  # past retention the moment it ended
    assert run_retention_job() == 0
    assert copy_kept(people)


def test_with_retention_zero_a_copy_without_a_report_is_deleted_at_the_end(people, settings):
    retention(settings, 0)

    end(people)

    assert run_retention_job() == 1
    assert not copy_kept(people)


def test_with_retention_zero_the_copy_goes_once_the_report_is_dismissed(people, moderator, settings):
    retention(settings, 0)
    report = report_speaker(people, people.listener)
    end(people)
    assert run_retention_job() == 0

    do_dismiss(moderator, report.pk, "Nothing against the rules.")

    assert run_retention_job() == 1
    assert not copy_kept(people)


def test_a_replay_report_holds_its_spaces_copy(people, past, settings):
    ModerationCopy.objects.create(space=past.space, expires_at=timezone.now() - timedelta(seconds=1))

    do_report(people.listener, "recording", past.pk, "hate", "", moment_ms=0)

    assert delete_expired_copies() == 0
    assert ModerationCopy.objects.filter(space=past.space).exists()


def test_a_user_report_holds_nothing(people, settings):
    retention(settings, 0)
    do_report(people.listener, "user", people.speaker.pk, "spam", "")

    end(people)

    assert run_retention_job() == 1
