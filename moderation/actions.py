"""What moderators do about a report, each through the service the site itself uses (so the
room, the engine and the files follow as they would for the host), each writing one audit
row and telling the person it is about why. The report stays open: resolving it is its
own step (moderation/decisions.py), which tells the reporter."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clips import services as clip_services
from moderation.audit import audit, check_moderator, tell
from moderation.decisions import access_report
from moderation.models import AuditEntry, Hold, Report
from recordings.models import Recording
from recordings.services import do_delete_recording
from rooms.errors import Conflict, InvalidRequest, NotFound
from rooms.models import Participant, Space
from rooms.services import spaces, stage
from rooms.services.accounts import do_suspend

Action = AuditEntry.Action
REASON_LIMIT = 500


def check_reason(reason: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise InvalidRequest("Say why: the person it is about is told.", code="reason_required")
    if len(reason) > REASON_LIMIT:
        raise InvalidRequest(f"Say why in {REASON_LIMIT} characters at most.", code="reason_too_long")
    return reason


def start(actor, report_id, reason: str) -> tuple[Report, str]:
    check_moderator(actor)
    reason = check_reason(reason)
    return access_report(report_id), reason


def live_space_of(report: Report) -> Space:
    space = Space.objects.filter(pk=report.space_id).first() if report.space_id else None
    if space is None:
        raise Conflict("This report is not about a space.", code="no_space")
    if not space.is_live:
        raise Conflict(f"The space “{space.title}” is not live any more.", code="not_live")
    return space


def speaker_of(report: Report) -> tuple[Space, Participant]:
    """The reported person, on stage in the report's live space."""
    space = live_space_of(report)
    if report.reported_user_id is None:
        raise Conflict("This report names nobody.", code="no_person")
    place = Participant.objects.filter(space=space, user_id=report.reported_user_id, removed=False).first()
    if place is None or not place.present:
        raise Conflict("They are not in the space any more.", code="not_in_space")
    return space, place


@transaction.atomic
def do_end_space(actor, report_id, reason: str) -> Space:
    """End the report's live space now: everyone in it hears `space.ended` (reason "staff")."""
    report, reason = start(actor, report_id, reason)
    space = spaces.do_end_space(actor, live_space_of(report).pk)
    audit(
        actor,
        Action.END_SPACE,
        "space",
        space.pk,
        space.title,
        subject_user_id=space.host_id,
        report_id=report.pk,
        reason=reason,
    )
    tell(space.host_id, f"A moderator ended your space “{space.title}”: {reason}", space.get_absolute_url())
    return space


@transaction.atomic
def do_remove_speaker(actor, report_id, reason: str) -> Participant:
    """Take the reported person out of the live space for good (not its host: end the space)."""
    report, reason = start(actor, report_id, reason)
    space, place = speaker_of(report)
    if place.role == Participant.Role.HOST:
        raise Conflict("They host the space: end the space instead.", code="remove_host")
    removed = stage.do_remove(actor, space.pk, place.user_id)
    name = place.user.get_username()
    audit(
        actor,
        Action.REMOVE_SPEAKER,
        "user",
        place.user_id,
        f"{name} from “{space.title}”",
        subject_user_id=place.user_id,
        report_id=report.pk,
        reason=reason,
    )
    tell(place.user_id, f"A moderator removed you from “{space.title}”: {reason}")
    return removed


@transaction.atomic
def do_mute_speaker(actor, report_id, reason: str) -> Participant:
    """Mute the reported speaker; they cannot unmute until a host of higher rank allows it."""
    report, reason = start(actor, report_id, reason)
    space, place = speaker_of(report)
    if not place.on_stage:
        raise Conflict("They are not on stage.", code="not_on_stage")
    muted = stage.do_mute_by_staff(actor, space.pk, place.user_id)
    name = place.user.get_username()
    audit(
        actor,
        Action.MUTE_SPEAKER,
        "user",
        place.user_id,
        f"{name} in “{space.title}”",
        subject_user_id=place.user_id,
        report_id=report.pk,
        reason=reason,
    )
    tell(place.user_id, f"A moderator muted you in “{space.title}”: {reason}", space.get_absolute_url())
    return muted


@transaction.atomic
def do_suspend_user(actor, report_id, reason: str, until: datetime | None):
    """Suspend the reported person until `until` (None: for good), through rooms' service:
    it closes their sockets, takes them off every stage, signs them out and tells them why."""
    report, reason = start(actor, report_id, reason)
    if report.reported_user_id is None:
        raise Conflict("This report names nobody to suspend.", code="no_person")
    if until is not None and until <= timezone.now():
        raise InvalidRequest("A suspension ends in the future (or leave the end empty: for good).", code="bad_until")
    suspension = do_suspend(actor, report.reported_user_id, until=until, reason=reason)
    person = report.reported_user
    name = person.get_username() if person else str(report.reported_user_id)
    ends = f"until {until:%d %b %Y %H:%M} UTC" if until else "for good"
    audit(
        actor,
        Action.SUSPEND_USER,
        "user",
        report.reported_user_id,
        name,
        subject_user_id=report.reported_user_id,
        report_id=report.pk,
        reason=f"{reason} ({ends})",
    )
    # rooms' do_suspend tells them itself (when and why), as a sign-in refused does.
    return suspension


def recording_of(report: Report) -> Recording:
    """The reported recording, or the recording of the reported space."""
    recording = report.recording
    if recording is None and report.space_id is not None:
        recording = Recording.objects.filter(space_id=report.space_id).first()
    if recording is None:
        raise Conflict("There is no recording to take down for this report.", code="no_recording")
    if recording.is_gone:
        raise Conflict("This recording is already gone.", code="recording_gone")
    return recording


@transaction.atomic
def do_take_down_recording(actor, report_id, reason: str) -> Recording:
    """Delete the recording (its files go; the moderation copy follows its own retention)."""
    report, reason = start(actor, report_id, reason)
    recording = do_delete_recording(actor, recording_of(report).pk)
    space = recording.space
    audit(
        actor,
        Action.TAKE_DOWN_RECORDING,
        "recording",
        recording.pk,
        f"the replay of “{space.title}”",
        subject_user_id=space.host_id,
        report_id=report.pk,
        reason=reason,
    )
    tell(space.host_id, f"A moderator took down the recording of “{space.title}”: {reason}")
    return recording


@transaction.atomic
def do_take_down_clip(actor, report_id, reason: str):
    report, reason = start(actor, report_id, reason)
    if report.clip_id is None:
        raise Conflict("This report is not about a clip.", code="no_clip")
    clip = clip_services.do_take_down(actor, report.clip_id, reason)
    audit(
        actor,
        Action.TAKE_DOWN_CLIP,
        "clip",
        clip.pk,
        f"the clip “{clip.title}”",
        subject_user_id=clip.creator_id,
        report_id=report.pk,
        reason=reason,
    )
    tell(clip.creator_id, f"A moderator took down your clip “{clip.title}”: {reason}")
    return clip


@transaction.atomic
def do_place_hold(user, space_id, reason: str, until: datetime | None = None) -> Hold:
    """Keep a space's moderation copy past its retention by hand (until released, or until
    `until`), for a case staff look into without a report. Audited like every staff step."""
    check_moderator(user)
    reason = check_reason(reason)[:200]
    space = Space.objects.filter(pk=space_id).first()
    if space is None:
        raise NotFound("No such space.")
    if until is not None and until <= timezone.now():
        raise InvalidRequest("A hold ends in the future (or leave the end empty: until released).", code="bad_until")
    hold = Hold.objects.create(space=space, reason=reason, until=until, created_by=user)
    audit(user, Action.PLACE_HOLD, "space", space.pk, f"{space.title}: {reason}", subject_user_id=space.host_id)
    return hold


@transaction.atomic
def do_release_hold(user, hold_id) -> Hold:
    """Release a hold: the space's moderation copy follows its retention again, so the
    retention job deletes it once it is past its expiry."""
    check_moderator(user)
    hold = Hold.objects.select_for_update(of=("self",)).select_related("space").filter(pk=hold_id).first()
    if hold is None:
        raise NotFound("No such hold.")
    if hold.released_at is not None:
        raise Conflict("This hold was already released.", code="released")
    hold.released_at = timezone.now()
    hold.save(update_fields=["released_at"])
    audit(
        user,
        Action.RELEASE_HOLD,
        "space",
        hold.space_id,
        f"{hold.space.title}: {hold.reason}",
        subject_user_id=hold.space.host_id,
        report_id=hold.report_id,
    )
    return hold
