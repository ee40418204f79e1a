"""Deciding reports: a moderator resolves (action taken) or dismisses (no rule broken) a
report, and with it every open report on the same target. Each reporter is told the
outcome; holds reports placed on a space are released once no report on it is open."""

from django.db import transaction
from django.utils import timezone

from moderation.audit import audit, check_moderator, tell
from moderation.models import AuditEntry, Hold, Report
from moderation.reports import as_id_or_none
from rooms.errors import Conflict, InvalidRequest, NotFound

Kind, Status = Report.Kind, Report.Status
OUTCOME_LIMIT = Report._meta.get_field("outcome").max_length or 500


def access_report(report_id, *, lock: bool = False) -> Report:
    query = Report.objects.select_related("space", "reported_user", "recording", "clip", "reporter")
    if lock:
        query = query.select_for_update(of=("self",))
    pk = as_id_or_none(report_id)
    report = query.filter(pk=pk).first() if pk is not None else None
    if report is None:
        raise NotFound("No such report.")
    return report


def same_target(report: Report):
    """The open reports (from anyone) about what `report` is about."""
    fields = {
        Kind.SPACE: ("space_id",),
        Kind.SPEAKER: ("space_id", "reported_user_id"),
        Kind.RECORDING: ("recording_id",),
        Kind.CLIP: ("clip_id",),
        Kind.USER: ("reported_user_id",),
    }[Kind(report.kind)]
    return Report.objects.select_for_update(of=("self",)).filter(
        kind=report.kind, status=Status.OPEN, **{name: getattr(report, name) for name in fields}
    )


def release_report_holds(space_ids) -> int:
    """Holds placed by reports on spaces with no open report left (staff's own holds stay)."""
    released = 0
    for space_id in set(space_ids) - {None}:
        if not Report.objects.filter(space_id=space_id, status=Status.OPEN).exists():
            released += Hold.objects.filter(space_id=space_id, report__isnull=False, released_at__isnull=True).update(
                released_at=timezone.now()
            )
    return released


DECISIONS = {
    Status.RESOLVED: (AuditEntry.Action.RESOLVE_REPORT, "A moderator acted on your report about {}: {}"),
    Status.DISMISSED: (
        AuditEntry.Action.DISMISS_REPORT,
        "A moderator reviewed your report about {} and took no action: {}",
    ),
}


def target_label(report: Report) -> str:
    if report.kind == Kind.SPEAKER and report.reported_user and report.space:
        return f"{report.reported_user.get_username()} in “{report.space.title}”"
    if report.clip:
        return f"the clip “{report.clip.title}”"
    if report.recording and report.space:
        return f"the replay of “{report.space.title}”"
    if report.space:
        return f"the space “{report.space.title}”"
    return report.reported_user.get_username() if report.reported_user else "something since deleted"


def decide(actor, report_id, outcome: str, status: str) -> Report:
    check_moderator(actor)
    outcome = (outcome or "").replace("\x00", "").strip()
    if not outcome:
        raise InvalidRequest("Say what was decided: the reporter is told.", code="outcome_required")
    if len(outcome) > OUTCOME_LIMIT:
        raise InvalidRequest(f"Say it in {OUTCOME_LIMIT} characters at most.", code="outcome_too_long")
    report = access_report(report_id, lock=True)
    if not report.is_open:
        raise Conflict(f"This report was already {report.get_status_display().lower()}.", code="decided")
    action, message = DECISIONS[Status(status)]
    label = target_label(report)
    now = timezone.now()
    decided = list(same_target(report).select_related("space"))
    for each in decided:
        each.status, each.outcome, each.decided_by, each.decided_at = status, outcome, actor, now
        each.updated_at = now
    Report.objects.bulk_update(decided, ["status", "outcome", "decided_by", "decided_at", "updated_at"])
    for reporter_id in {each.reporter_id for each in decided}:
        tell(reporter_id, message.format(label, outcome))
    release_report_holds([each.space_id for each in decided])
    audit(
        actor,
        action,
        "report",
        report.pk,
        f"{report} about {label}",
        subject_user_id=report.reported_user_id,
        report_id=report.pk,
        reason=outcome,
    )
    report.refresh_from_db()
    return report


@transaction.atomic
def do_resolve(actor, report_id, outcome: str) -> Report:
    """Action was taken: every open report on the same target is resolved with `outcome`,
    each reporter told it."""
    return decide(actor, report_id, outcome, Status.RESOLVED)


@transaction.atomic
def do_dismiss(actor, report_id, outcome: str) -> Report:
    """No rule was broken: every open report on the same target is dismissed, each reporter told why."""
    return decide(actor, report_id, outcome, Status.DISMISSED)
