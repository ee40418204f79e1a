"""Moderation actions staff take. Same vocabulary as the other apps: do_* checks the actor
and the state it changes, and refuses with a RoomError the admin reports."""

from django.db import transaction
from django.utils import timezone

from moderation.models import AuditEntry, Hold, Report
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound


def check_staff(user) -> None:
    if not (user.is_authenticated and user.is_staff):
        raise NotAllowed("Only staff can do that.")


@transaction.atomic
def do_release_hold(user, hold_id) -> Hold:
    """Release a hold: the space's moderation copy follows its retention again, so the
    retention job deletes it once it is past its expiry."""
    check_staff(user)
    hold = Hold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("No such hold.")
    if hold.released_at is not None:
        raise Conflict("This hold was already released.", code="released")
    hold.released_at = timezone.now()
    hold.save(update_fields=["released_at"])
    return hold


def check_moderator(user) -> None:
    """Staff in the Moderators group (or with its permission) act on reports; other staff read."""
    if not (user.is_authenticated and user.is_staff and user.has_perm("moderation.moderate")):
        raise NotAllowed("Only moderators can do that.")


def audit(
    actor,
    action: str,
    target_kind: str,
    target_id: int | None,
    target_label: str,
    *,
    subject_user_id: int | None = None,
    report_id: int | None = None,
    reason: str = "",
) -> AuditEntry:
    """One row of the append-only log; names are copied in so they outlive the rows."""
    return AuditEntry.objects.create(
        actor_id=actor.pk,
        actor_name=actor.get_username(),
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        target_label=str(target_label)[:200],
        subject_user_id=subject_user_id,
        report_id=report_id,
        reason=reason,
    )


OUTCOME_CHARS = 500  # Report.outcome's max_length


def _same_target(report: Report):
    """The open reports (from anyone) about what `report` is about."""
    fields = {
        Report.Kind.SPACE: ("space_id",),
        Report.Kind.SPEAKER: ("space_id", "reported_user_id"),
        Report.Kind.RECORDING: ("recording_id",),
        Report.Kind.CLIP: ("clip_id",),
        Report.Kind.USER: ("reported_user_id",),
    }[Report.Kind(report.kind)]
    return Report.objects.select_for_update().filter(
        kind=report.kind, status=Report.Status.OPEN, **{name: getattr(report, name) for name in fields}
    )


def _decide(actor, report_id, status: str, outcome: str, action: str) -> Report:
    """Decide the report and with it every open report on the same target."""
    check_moderator(actor)
    outcome = (outcome or "").strip()
    if not outcome:
        raise InvalidRequest("Say what was decided: the reporter is told.", code="outcome_required")
    if len(outcome) > OUTCOME_CHARS:
        raise InvalidRequest(f"Say it in {OUTCOME_CHARS} characters at most.", code="outcome_too_long")
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.")
    if not report.is_open:
        raise Conflict(f"This report was already {report.get_status_display().lower()}.", code="decided")
    now = timezone.now()
    _same_target(report).update(status=status, outcome=outcome, decided_by=actor, decided_at=now, updated_at=now)
    audit(
        actor,
        action,
        "report",
        report.pk,
        str(report),
        subject_user_id=report.reported_user_id,
        report_id=report.pk,
        reason=outcome,
    )
    report.refresh_from_db()
    return report


@transaction.atomic
def do_resolve(actor, report_id, outcome: str) -> Report:
    """Action was taken: the report is closed with what was done."""
    return _decide(actor, report_id, Report.Status.RESOLVED, outcome, AuditEntry.Action.RESOLVE_REPORT)


@transaction.atomic
def do_dismiss(actor, report_id, outcome: str) -> Report:
    """No rule was broken: the report is closed with why."""
    return _decide(actor, report_id, Report.Status.DISMISSED, outcome, AuditEntry.Action.DISMISS_REPORT)
