"""Reports: what a signed-in user files about a space, a speaker in a live space, a
recording, a clip or a user, and how staff decide them.

- A report names only what its reporter can see; anything else is NotFound (404), so a
  report never tells whether a hidden thing exists.
- The moment is on the space's clock: taken by the server when the space is live (the
  client's clock is not trusted), the player's position for a replay, a clip's start.
- One open report per reporter and target: filing again adds to it (`times`, the text).
- A report about something in a space holds that space's moderation copy (a Hold ending
  MODERATION_HOLD_MAX_DAYS later); deciding the last open report on the space releases the
  holds reports placed there, and the retention job then treats the copy as usual.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clips.services import access_clip, on_space_clock
from moderation.audit import tell
from moderation.models import Hold, Report
from recordings import timeline
from recordings.models import Recording
from recordings.services import access_replay
from recordings.spans import space_ms
from rooms.errors import Conflict, InvalidRequest, NotAllowed, NotFound, RoomError
from rooms.models import Participant, Space

Kind, Status = Report.Kind, Report.Status
TEXT_LIMIT = Report._meta.get_field("text").max_length or 2000


class TooManyReports(RoomError):
    code = "rate_limited"
    http_status = 429


def config() -> dict:
    return settings.MODERATION


@dataclass
class Target:
    """What a report is about, as the Report's fields, plus words for the reporter."""

    label: str
    space: Space | None = None
    reported_user_id: int | None = None
    fields: dict = field(default_factory=dict)
    moment_ms: int | None = None
    url: str = ""


def as_id_or_none(value) -> int | None:
    """An id from a form or a URL: ASCII digits, or None (a huge number is no row either)."""
    text = str(value if value is not None else "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


def as_id(value) -> int:
    number = as_id_or_none(value)
    if number is None:
        raise NotFound("There is nothing to report there.")
    return number


def live_moment(space: Space) -> int | None:
    return space_ms(space) if space.is_live and space.started_at else None


# --- what can be reported --------------------------------------------------------------
def space_target(reporter, space_id, _moment) -> Target:
    space = Space.objects.select_related("host").filter(pk=as_id(space_id)).first()
    if space is None:
        raise NotFound("No such space.")
    if space.host_id == reporter.pk:
        raise InvalidRequest("You cannot report your own space.", code="own_target")
    return Target(
        label=f"the space “{space.title}”",
        space=space,
        reported_user_id=space.host_id,
        fields={"space": space},
        moment_ms=live_moment(space),
        url=space.get_absolute_url(),
    )


def speaker_target(reporter, user_id, _moment, space_id) -> Target:
    """Someone on stage in a live space (the space page is open to everyone)."""
    if space_id in (None, ""):
        raise InvalidRequest("Say which space the speaker is in.", code="space_required")
    space = Space.objects.filter(pk=as_id(space_id), state=Space.State.LIVE).first()
    speaker = None
    if space is not None:
        speaker = (
            Participant.objects.select_related("user")
            .filter(space=space, user_id=as_id(user_id), removed=False, role__in=Participant.STAGE_ROLES)
            .first()
        )
    if speaker is None:
        raise NotFound("No such speaker in a live space.")
    if speaker.user_id == reporter.pk:
        raise InvalidRequest("You cannot report yourself.", code="own_target")
    assert space is not None
    return Target(
        label=f"{speaker.user.get_username()} in “{space.title}”",
        space=space,
        reported_user_id=speaker.user_id,
        fields={"space": space, "reported_user_id": speaker.user_id},
        moment_ms=live_moment(space),
        url=space.get_absolute_url(),
    )


def replay_moment(recording: Recording, position) -> int | None:
    """The player's position (ms on the replay as published, edits applied) on the space's
    clock, through the same mapping clips use; None when no position was given."""
    if position in (None, ""):
        return None
    at = as_id_or_none(position)
    if at is None:
        raise InvalidRequest("The moment must be a position in the replay, in ms.", code="bad_moment")
    edits = recording.current.edits if recording.current else recording.edits
    kept = timeline.kept_ranges(timeline.closed_spans(recording.spans), edits)
    if not kept:
        return None
    # Past the end (a stale player): the end of what was kept.
    ranges = on_space_clock(kept, at, at + 1) or [(kept[-1][1], kept[-1][1])]
    return ranges[0][0]


def recording_target(reporter, recording_id, position) -> Target:
    recording = access_replay(reporter, as_id(recording_id))
    space = recording.space
    if space.host_id == reporter.pk:
        raise InvalidRequest("You cannot report your own recording.", code="own_target")
    return Target(
        label=f"the replay of “{space.title}”",
        space=space,
        reported_user_id=space.host_id,
        fields={"recording": recording},
        moment_ms=replay_moment(recording, position),
        url=recording.get_absolute_url(),
    )


def clip_target(reporter, clip_id, _moment) -> Target:
    clip = access_clip(reporter, as_id(clip_id))
    if clip.is_gone:
        raise Conflict("This clip is already gone.", code="clip_gone")
    if clip.creator_id == reporter.pk:
        raise InvalidRequest("You cannot report your own clip.", code="own_target")
    return Target(
        label=f"the clip “{clip.title}”",
        space=clip.space,
        reported_user_id=clip.creator_id,
        fields={"clip": clip},
        moment_ms=clip.ranges[0][0] if clip.ranges else None,
        url=clip.get_absolute_url(),
    )


def user_target(reporter, user_id, _moment) -> Target:
    person = get_user_model().objects.filter(pk=as_id(user_id), is_active=True).first()
    if person is None:
        raise NotFound("No such user.")
    if person.pk == reporter.pk:
        raise InvalidRequest("You cannot report yourself.", code="own_target")
    return Target(
        label=person.get_username(),
        reported_user_id=person.pk,
        fields={"reported_user_id": person.pk},
        url=reverse("profile", args=[person.get_username()]),
    )


def access_target(reporter, kind: str, target_id, moment_ms=None, space_id=None) -> Target:
    """What `reporter` would report (for the report form), checked as filing checks it."""
    if not reporter.is_authenticated:
        raise NotAllowed("Log in to report.", code="login_required")
    if kind not in Kind.values:
        raise InvalidRequest(f"Say what you report: one of {', '.join(Kind.values)}.", code="bad_kind")
    return find_target(reporter, kind, target_id, moment_ms, space_id)


def find_target(reporter, kind: str, target_id, moment_ms, space_id) -> Target:
    if kind == Kind.SPEAKER:
        return speaker_target(reporter, target_id, moment_ms, space_id)
    finders = {
        Kind.SPACE: space_target,
        Kind.RECORDING: recording_target,
        Kind.CLIP: clip_target,
        Kind.USER: user_target,
    }
    return finders[Kind(kind)](reporter, target_id, moment_ms)


# --- filing ----------------------------------------------------------------------------
def check_report_input(kind, category, text) -> str:
    if kind not in Kind.values:
        raise InvalidRequest(f"Say what you report: one of {', '.join(Kind.values)}.", code="bad_kind")
    if category not in Report.Category.values:
        raise InvalidRequest("Choose what is wrong from the list.", code="bad_category")
    # NUL is no character anyone types (and PostgreSQL refuses it in text).
    text = (text or "").replace("\x00", "").strip()
    if len(text) > TEXT_LIMIT:
        raise InvalidRequest(f"Say it in {TEXT_LIMIT} characters at most.", code="text_too_long")
    return text


def check_rate(reporter) -> None:
    """Reports filed or added to in the last hour, each target counted once."""
    limit = config()["REPORTS_PER_HOUR"]
    hour_ago = timezone.now() - timedelta(hours=1)
    if Report.objects.filter(reporter=reporter, updated_at__gte=hour_ago).count() >= limit:
        raise TooManyReports(f"You can send {limit} reports an hour. Try again later.")


def place_hold(report: Report, space: Space) -> Hold:
    until = report.created_at + timedelta(days=config()["HOLD_MAX_DAYS"])
    return Hold.objects.create(space=space, report=report, until=until, reason=f"Report #{report.pk}")


@transaction.atomic
def do_report(reporter, kind: str, target_id, category: str, text: str, moment_ms=None, *, space_id=None) -> Report:
    """File a report (or add to the reporter's open one on the same target)."""
    if not reporter.is_authenticated:
        raise NotAllowed("Log in to report.", code="login_required")
    text = check_report_input(kind, category, text)
    target = find_target(reporter, kind, target_id, moment_ms, space_id)
    # One report at a time per reporter: a repeat sent twice at once merges, the limit holds.
    get_user_model().objects.select_for_update().filter(pk=reporter.pk).first()
    check_rate(reporter)
    now = timezone.now()
    same = Report.objects.select_for_update().filter(reporter=reporter, kind=kind, status=Status.OPEN, **target.fields)
    report = same.first()
    if report is not None:
        report.times += 1
        if text:
            joined = f"{report.text}\n\n{text}" if report.text else text
            report.text = joined[:TEXT_LIMIT]
        report.updated_at = now
        report.save(update_fields=["times", "text", "updated_at"])
        return report
    space = target.space
    report = Report.objects.create(
        reporter=reporter,
        kind=kind,
        category=category,
        text=text,
        space=space,
        reported_user_id=target.reported_user_id,
        recording=target.fields.get("recording"),
        clip=target.fields.get("clip"),
        moment_ms=target.moment_ms,
        during_space=bool(space and space.is_live),
        created_at=now,
        updated_at=now,
    )
    if space is not None:
        place_hold(report, space)
    tell(
        reporter.pk,
        f"We got your report about {target.label}. A moderator will look at it; we will tell you what they decide.",
        target.url,
    )
    return report
