"""A moderator opens a report in the admin, hears the moment (every voice, then one voice
alone) and sees who was there; staff outside the Moderators group read the same page
without the player or the actions. Screenshots in var/screenshots/."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from moderation.models import AuditEntry, Report
from recordings.models import ModerationCopy
from rooms.models import StageChange
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory
from tests.recordings.conftest import write_voice

pytestmark = pytest.mark.e2e


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def site_env(media):
    return {"MEDIA_ROOT": media}


def moderators_group() -> Group:
    # The migration made it; a transactional test's flush may have emptied the table since.
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(content_type__app_label="moderation", codename="moderate"))
    return group


@pytest.fixture
def report(media, transactional_db):
    host, speaker, listener = (UserFactory(username=n) for n in ("maya", "sam", "lena"))
    space = SpaceFactory(title="Gardening hour", host=host, started_at=timezone.now() - timedelta(minutes=4))
    ModerationCopy.objects.create(space=space)
    write_voice(space.pk, host.pk, 500, 0, 200)
    write_voice(space.pk, speaker.pk, 700, 40, 200)
    for user, role, second in [(host, "host", 0), (listener, "listener", 10), (speaker, "speaker", 40)]:
        StageChange.objects.create(space=space, user=user, role=role, at=space.started_at + timedelta(seconds=second))
    return Report.objects.create(
        reporter=listener,
        kind=Report.Kind.SPEAKER,
        category=Report.Category.HARASSMENT,
        text="He told another speaker to get lost, with worse words.",
        space=space,
        reported_user=speaker,
        moment_ms=75_000,
        during_space=True,
    )


def test_a_moderator_hears_the_moment_and_other_staff_only_read(report, page_as):
    moderator = UserFactory(username="mona", is_staff=True)
    moderator.groups.add(moderators_group())
    page = page_as(moderator)
    page.goto(f"/admin/moderation/report/{report.pk}/change/")

    expect(page.get_by_text("In the space at 1:15")).to_be_visible()
    expect(page.locator("[data-stage] li")).to_have_count(3)
    player = page.locator("[data-copy-audio]")
    player.evaluate("audio => { audio.preload = 'auto'; audio.load(); }")
    page.wait_for_function("() => document.querySelector('[data-copy-audio]').duration > 0")
    # From 0:45 to 2:45 of the space's clock.
    assert round(player.evaluate("audio => audio.duration")) == 120
    shoot(page, "report-review-moderator")

    page.select_option("[data-copy-voice]", str(report.reported_user_id))
    page.wait_for_function("() => document.querySelector('[data-copy-audio]').src.includes('speaker=')")
    page.wait_for_function("() => document.querySelector('[data-copy-audio]').duration > 0")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.HEAR_COPY, report_id=report.pk).count() >= 2

    page.goto("/admin/moderation/report/?status__exact=open")
    expect(page.get_by_role("link", name="sam in “Gardening hour”")).to_be_visible()
    shoot(page, "report-queue-moderator")

    staff = UserFactory(username="stella", is_staff=True)
    other = page_as(staff)
    other.goto(f"/admin/moderation/report/{report.pk}/change/")
    expect(other.get_by_text("Only moderators can act on reports.")).to_be_visible()
    expect(other.locator("[data-copy-audio]")).to_have_count(0)
    shoot(other, "report-review-staff")
