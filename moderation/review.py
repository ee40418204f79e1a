"""What a report's page shows staff, read from the space's records: the window of the space's
clock around the reported moment, who was in the space then and in which role, what was said
(from the space's transcript, or transcribed from the moderation copy for that window on a
moderator's request), and what was reported and done about the same person before.

Everything here reads; the one change (asking for a window's transcript) is a do_* that
checks the moderator like the other moderation services."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from config.celery import app
from moderation.models import AuditEntry, Report, WindowTranscript
from moderation.services import check_moderator
from recordings import transcribing, transcripts
from recordings.audio.mixdown import track_users
from recordings.models import ModerationCopy, Transcript
from rooms.errors import Conflict, NotFound
from rooms.models import Space, StageChange
from rooms.services.stagelog import roles_at

# The player starts this long before the moment and runs this long after it; the transcript
# covers TRANSCRIPT_MS either side.
BEFORE_MS = 30_000
AFTER_MS = 90_000
TRANSCRIPT_MS = 60_000
TRANSCRIBE_WINDOW = "moderation.transcribe_window"
# Two minutes of a few voices take well under this; a window queued longer has been lost.
WINDOW_STALE_MINUTES = 15


def space_length_ms(space: Space) -> int:
    """How far the space's clock reached: to its end, or to now while it is live."""
    if space.started_at is None:
        return 0
    end = space.ended_at or timezone.now()
    return max(0, int((end - space.started_at).total_seconds() * 1000))


def moment_of(report: Report) -> int:
    # A report without a moment (a user, a recording reported from outside the player) is
    # looked at from the start of the space.
    return report.moment_ms or 0


def window(report: Report, before_ms: int, after_ms: int) -> tuple[int, int]:
    """[start, end) around the report's moment, clipped to the space's clock."""
    moment = moment_of(report)
    length = space_length_ms(report.space)
    start = min(max(0, moment - before_ms), length)
    return start, min(length, moment + after_ms)


def player_window(report: Report) -> tuple[int, int]:
    return window(report, BEFORE_MS, AFTER_MS)


def transcript_window(report: Report) -> tuple[int, int]:
    return window(report, TRANSCRIPT_MS, TRANSCRIPT_MS)


def copy_kept(space: Space | None) -> bool:
    """The space's moderation copy is there: the space is live (the engine is writing its
    tracks; the ModerationCopy row only comes when it ends, with the retention clock), or it
    ended and the retention job has not claimed the copy."""
    if space is None or space.started_at is None:
        return False
    if space.state == Space.State.LIVE:
        return True
    return ModerationCopy.objects.filter(space=space, claimed_at__isnull=True).exists()


def clock(ms: int) -> str:
    """A time on the space's clock as staff read it: 1:02:03 or 12:34."""
    hours, rest = divmod(int(ms) // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def lines_of(segments: list[dict], start_ms: int, end_ms: int) -> list[dict]:
    """The segments overlapping [start_ms, end_ms), with the speaker's name, in time order."""
    picked = sorted(
        (s for s in segments if s["end"] > start_ms and s["start"] < end_ms), key=lambda s: (s["start"], s["user"])
    )
    names = transcripts.names_of({s["user"] for s in picked})
    return [
        {
            "at": clock(s["start"]),
            "start_ms": s["start"],
            "user": s["user"],
            "name": names.get(s["user"], "Speaker"),
            "text": s["text"],
        }
        for s in picked
    ]


def space_transcript_lines(report: Report) -> list[dict] | None:
    """The lines around the moment from the space's own transcript (None: it has none ready)."""
    transcript = Transcript.objects.filter(space_id=report.space_id, state=Transcript.State.READY).first()
    if transcript is None:
        return None
    return lines_of(transcripts.load_segments(transcript.segments), *transcript_window(report))


def stage_at_moment(report: Report) -> list[dict]:
    """Who was in the space at the moment, hosts first: [{"user": User, "role": label}]."""
    space = report.space
    if space is None or space.started_at is None:
        return []
    at = space.started_at + timedelta(milliseconds=moment_of(report))
    labels = dict(StageChange.Kind.choices)
    return [{"user": user, "role": labels[role]} for user, role in roles_at(space.pk, at)]


def other_reports(report: Report):
    """Other reports about the same person, newest first."""
    if report.reported_user_id is None:
        return Report.objects.none()
    return (
        Report.objects.filter(reported_user_id=report.reported_user_id)
        .exclude(pk=report.pk)
        .select_related("reporter", "space")
        .order_by("-created_at")
    )


def actions_about(report: Report):
    """What staff did about the same person before, newest first (listening to a copy is
    logged about them too, but is no action against them)."""
    if report.reported_user_id is None:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(subject_user_id=report.reported_user_id).exclude(
        action=AuditEntry.Action.HEAR_COPY
    )


def speakers_in_copy(space: Space) -> list:
    """The users with a track in the moderation copy, for choosing one voice to hear."""
    ids = track_users(space.pk)
    return list(type(space.host).objects.filter(pk__in=ids).order_by("username"))


# Transcribing the window around a report's moment, on request.


def queue(name: str, *args) -> None:
    transaction.on_commit(lambda: app.send_task(name, args=args))


def _may_ask_again(window_transcript: WindowTranscript) -> bool:
    """A failed window, or one queued or running for longer than any window takes (its
    worker died or its message was lost), may be asked for again."""
    if window_transcript.state == WindowTranscript.State.FAILED:
        return True
    stale = window_transcript.created_at < timezone.now() - timedelta(minutes=WINDOW_STALE_MINUTES)
    return window_transcript.state != WindowTranscript.State.READY and stale


@transaction.atomic
def do_request_window_transcript(actor, report_id) -> WindowTranscript:
    """Queue the transcription of the minutes around the report's moment from the copy's
    tracks. Refused without a copy, while one is queued or running, and once one is ready;
    a failed or stuck one may be asked for again."""
    check_moderator(actor)
    report = Report.objects.select_for_update(of=("self",)).select_related("space").filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.")
    if not copy_kept(report.space):
        raise Conflict("There is no moderation copy to transcribe.", code="no_copy")
    start, end = transcript_window(report)
    if end <= start:
        raise Conflict("The space's clock has nothing around this moment.", code="empty_window")
    existing = WindowTranscript.objects.filter(report=report).first()
    if existing is not None and not _may_ask_again(existing):
        raise Conflict(f"This window is already {existing.get_state_display().lower()}.", code="already_asked")
    fields = {"start_ms": start, "end_ms": end, "requested_by": actor, "created_at": timezone.now()}
    if existing is None:
        window_transcript = WindowTranscript.objects.create(report=report, **fields)
    else:
        window_transcript = existing
        for name, value in {**fields, "state": WindowTranscript.State.QUEUED, "error": "", "segments": []}.items():
            setattr(window_transcript, name, value)
        window_transcript.save()
    queue(TRANSCRIBE_WINDOW, window_transcript.pk)
    return window_transcript


def claim_window(window_id: int) -> WindowTranscript | None:
    """queued -> running, by one run only (a re-delivered task finds nothing to claim)."""
    claimed = WindowTranscript.objects.filter(pk=window_id, state=WindowTranscript.State.QUEUED).update(
        state=WindowTranscript.State.RUNNING
    )
    if not claimed:
        return None
    return WindowTranscript.objects.select_related("report").get(pk=window_id)


def run_window(window_transcript: WindowTranscript) -> WindowTranscript:
    """Each voice's track over the window on its own, through recordings' recogniser."""
    space_id = window_transcript.report.space_id
    span = (window_transcript.start_ms, window_transcript.end_ms)
    segments = []
    for user_id in track_users(space_id):
        said, _ = transcribing.voice_segments(space_id, user_id, lambda chunk=False: None, window=span)
        segments += [{"user": s["user"], "start": s["start"], "end": s["end"], "text": s["text"]} for s in said]
    segments.sort(key=lambda s: (s["start"], s["user"]))
    WindowTranscript.objects.filter(pk=window_transcript.pk, state=WindowTranscript.State.RUNNING).update(
        state=WindowTranscript.State.READY, segments=segments, error="", finished_at=timezone.now()
    )
    window_transcript.refresh_from_db()
    return window_transcript


def fail_window(window_transcript: WindowTranscript, message: str) -> None:
    WindowTranscript.objects.filter(pk=window_transcript.pk).update(
        state=WindowTranscript.State.FAILED, error=message[:300], finished_at=timezone.now()
    )


def window_lines(window_transcript: WindowTranscript) -> list[dict]:
    return lines_of(window_transcript.segments, window_transcript.start_ms, window_transcript.end_ms)
