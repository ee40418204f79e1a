"""The report queue: every staff member reads it, moderators resolve and dismiss in bulk
through the services; filters, search and the count of open reports on the same target."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import AuditEntry, Report
from tests.admin_helpers import assert_no_add_or_delete, changelist, run_action, told
from tests.factories import SpaceFactory, UserFactory
from tests.moderation.conftest import make_report


def listed(response) -> list[int]:
    return [report.pk for report in response.context["cl"].result_list]


@pytest.fixture
def queue(people, report):
    """Three open reports on the speaker (the fixture's and two more), one on the space, one
    old and dismissed on another user."""
    on_speaker = [report] + [
        make_report(UserFactory(username=f"fan{n}"), space=people.space, reported_user=people.speaker) for n in range(2)
    ]
    on_space = make_report(people.outsider, kind=Report.Kind.SPACE, space=people.space, category=Report.Category.SPAM)
    old = make_report(
        people.cohost,
        kind=Report.Kind.USER,
        reported_user=people.raised,
        category=Report.Category.IMPERSONATION,
        text="Pretends to be the mayor.",
        status=Report.Status.DISMISSED,
        created_at=timezone.now() - timedelta(days=10),
    )
    return on_speaker, on_space, old


@pytest.mark.parametrize("who", ["moderator", "staff"])
def test_it_lists_reports_for_staff(people, moderator, queue, client, who):
    client.force_login(moderator if who == "moderator" else people.staff)
    response = client.get(changelist(Report))

    assert response.status_code == 200
    assert len(listed(response)) == 5
    assert "sam in “Founders talk”" in response.content.decode()


@pytest.mark.parametrize("persona", ["host", "speaker", "listener", "outsider"])
def test_it_sends_people_who_are_not_staff_to_the_admin_login(people, queue, client, persona):
    client.force_login(getattr(people, persona))
    response = client.get(changelist(Report))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_sends_a_guest_to_the_admin_login(queue, client):
    response = client.get(changelist(Report))

    assert response.url.startswith(reverse("admin:login"))


def test_it_counts_the_open_reports_on_the_same_target(people, moderator, queue, client):
    on_speaker, on_space, old = queue
    client.force_login(moderator)
    response = client.get(changelist(Report))

    counts = {report.pk: report.on_target for report in response.context["cl"].result_list}
    assert counts == {**{r.pk: 3 for r in on_speaker}, on_space.pk: 1, old.pk: 0}


def test_it_sorts_by_the_open_reports_on_the_target(people, moderator, queue, client):
    on_speaker, on_space, old = queue
    client.force_login(moderator)
    column = client.get(changelist(Report)).context["cl"].list_display.index("on_target")
    response = client.get(changelist(Report), {"o": f"-{column}"})

    assert set(listed(response)[:3]) == {r.pk for r in on_speaker}
    assert listed(response)[3:] == [on_space.pk, old.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "dismissed"}, ["old"]),
        ({"category": "spam"}, ["space"]),
        ({"kind": "user"}, ["old"]),
        ({"age": "day"}, ["speaker", "speaker", "speaker", "space"]),
        ({"age": "week"}, ["speaker", "speaker", "speaker", "space"]),
        ({"age": "older"}, ["old"]),
        ({"q": "mayor"}, ["old"]),
        ({"q": "fan1"}, ["speaker"]),
        ({"q": "raj"}, ["old"]),
        ({"q": "Founders"}, ["speaker", "speaker", "speaker", "space"]),
    ],
)
def test_it_filters_and_searches(people, moderator, queue, client, query, expected):
    on_speaker, on_space, old = queue
    names = {**{r.pk: "speaker" for r in on_speaker}, on_space.pk: "space", old.pk: "old"}
    client.force_login(people.staff)
    response = client.get(changelist(Report), query)

    assert sorted(names[pk] for pk in listed(response)) == sorted(expected)


def test_it_resolves_the_selected_reports_through_the_service(people, moderator, queue, client):
    on_speaker, on_space, old = queue
    client.force_login(moderator)
    response = run_action(client, Report, "resolve", [on_speaker[0], on_space])

    assert told(response) == [("success", "Resolved 2 reports.")]
    # Deciding a report decides every open report on the same target.
    for report in [*on_speaker, on_space]:
        report.refresh_from_db()
        assert (report.status, report.decided_by, report.outcome) == (
            Report.Status.RESOLVED,
            moderator,
            "We looked into your report and took action.",
        )
        assert report.decided_at is not None
    audit = AuditEntry.objects.filter(action=AuditEntry.Action.RESOLVE_REPORT)
    assert sorted(audit.values_list("report_id", flat=True)) == sorted([on_speaker[0].pk, on_space.pk])
    assert set(audit.values_list("actor_name", flat=True)) == {"mona"}


def test_it_counts_reports_on_one_target_decided_together(people, moderator, queue, client):
    on_speaker, _, _ = queue
    client.force_login(moderator)
    response = run_action(client, Report, "dismiss", on_speaker)

    assert told(response) == [("success", "Dismissed 3 reports.")]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DISMISS_REPORT).count() == 1
    assert not Report.objects.filter(pk__in=[r.pk for r in on_speaker], status=Report.Status.OPEN).exists()


def test_it_dismisses_and_reports_those_already_decided(people, moderator, queue, client):
    on_speaker, on_space, old = queue
    client.force_login(moderator)
    response = run_action(client, Report, "dismiss", [on_space, old])

    assert sorted(told(response)) == [
        ("error", f"{old}: This report was already dismissed (no action)."),
        ("success", "Dismissed 1 report."),
    ]
    on_space.refresh_from_db()
    assert on_space.status == Report.Status.DISMISSED
    assert AuditEntry.objects.get().action == AuditEntry.Action.DISMISS_REPORT


@pytest.mark.parametrize("action", ["resolve", "dismiss"])
def test_it_does_not_let_other_staff_decide(people, queue, client, action):
    on_speaker, _, _ = queue
    client.force_login(people.staff)
    # No action is offered to them at all.
    assert client.get(changelist(Report)).context["action_form"] is None

    run_action(client, Report, action, on_speaker)

    assert Report.objects.filter(status=Report.Status.OPEN).count() == 4
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["moderator", "staff"])
def test_it_keeps_reports_from_being_added_edited_or_deleted(people, moderator, report, client, who):
    client.force_login(moderator if who == "moderator" else people.staff)
    page = reverse("admin:moderation_report_change", args=[report.pk])

    assert_no_add_or_delete(client, report)
    client.post(page, {"status": "dismissed", "text": "changed", "outcome": "x"})
    report.refresh_from_db()
    assert (report.status, report.text, report.outcome) == (Report.Status.OPEN, "Shouting at people.", "")


def test_it_counts_a_report_on_another_space_apart(people, moderator, report, client):
    other = make_report(people.outsider, space=SpaceFactory(), reported_user=people.speaker)
    client.force_login(moderator)
    response = client.get(changelist(Report))

    assert {r.pk: r.on_target for r in response.context["cl"].result_list} == {report.pk: 1, other.pk: 1}
