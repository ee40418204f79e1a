"""Who may act on reports, and the audit row every staff action writes."""

from moderation.models import AuditEntry
from rooms.errors import NotAllowed
from rooms.models import Notification

MODERATE = "moderation.moderate"


def is_moderator(user) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.has_perm(MODERATE))


def check_moderator(user) -> None:
    """Staff in the Moderators group (or given moderation.moderate). Other staff may read
    reports and the audit log in the admin, and act on nothing."""
    if not is_moderator(user):
        raise NotAllowed("Only moderators can do that.", code="not_moderator")


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
    """Append one row to the audit log (it is never changed afterwards). Names are copied
    in, so the row still says who and what once the user or the space is gone."""
    return AuditEntry.objects.create(
        actor_id=actor.pk,
        actor_name=actor.get_username()[:150],
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        target_label=str(target_label)[:200],
        subject_user_id=subject_user_id,
        report_id=report_id,
        reason=reason,
    )


def tell(user_id: int | None, text: str, url: str = "") -> None:
    """An in-app notification (the bell), cut to the column's length."""
    if user_id is not None:
        Notification.objects.create(user_id=user_id, text=text[:200], url=url[:200])
