"""Asking for a transcript of an ended space: the host of its recording, or staff.

A space that had live captions on is transcribed when it ends (recordings/services.space_ended);
any other is transcribed when asked, while its tracks are still kept (the moderation copy).
"""

from django.db import transaction
from django.utils import timezone

from recordings import jobs
from recordings.models import ModerationCopy, Transcript
from recordings.services import access_recording
from rooms.errors import Conflict


@transaction.atomic
def do_request_transcript(user, recording_id) -> Transcript:
    """Make the transcript, or try a failed one again. Changes nothing when one is on its way
    or made already."""
    recording = access_recording(user, recording_id, lock=True)  # host or staff
    if recording.is_gone:
        raise Conflict("This recording was deleted.", code="gone")
    if not ModerationCopy.objects.filter(space_id=recording.space_id).exists():
        raise Conflict(
            "The tracks of this space are no longer kept, so it can no longer be transcribed.", code="tracks_gone"
        )
    transcript, created = Transcript.objects.select_for_update().get_or_create(
        space_id=recording.space_id, defaults={"requested_by": user}
    )
    if not created:
        if transcript.state == Transcript.State.READY:
            raise Conflict("This recording has a transcript already.", code="transcript_made")
        if transcript.state != Transcript.State.FAILED:
            raise Conflict("The transcript is being made.", code="transcript_running")
        # On the state seen: a worker moving it meanwhile wins.
        if not Transcript.objects.filter(pk=transcript.pk, state=Transcript.State.FAILED).update(
            state=Transcript.State.QUEUED,
            attempts=0,
            error="",
            progress=0,
            heartbeat_at=timezone.now(),
            requested_by=user,
        ):
            raise Conflict("The transcript is being made.", code="transcript_running")
        transcript.refresh_from_db()
    jobs.queue(jobs.TRANSCRIBE, transcript.pk)
    return transcript
