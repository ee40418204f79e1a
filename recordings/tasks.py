"""Celery tasks of the recordings app."""

import logging

from celery import shared_task
from django.conf import settings

from config.celery import fan_out
from recordings import rendering, transcribing
from recordings.models import Render, Transcript
from recordings.services import do_delete_moderation_copy, do_expire_unpublished, expired_copies, expired_unpublished

log = logging.getLogger(__name__)


# A render takes about 30 s of one core per hour of audio; a long space gets room to spare.
@shared_task(
    name="recordings.render",
    bind=True,
    max_retries=None,
    time_limit=settings.LONGEST_TASK_SECONDS,
    soft_time_limit=settings.LONGEST_TASK_SECONDS - 60,
)
def render_recording(self, render_id: int) -> str:
    if not rendering.engine_done(render_id):
        raise self.retry(countdown=2)
    # Handed out again after its worker died (acks late): the dead run's claim goes once stale.
    rendering.recover_stale(render_id)
    render = rendering.claim(render_id)
    if render is None:
        wait = rendering.seconds_until_stale(render_id)
        if wait is None:
            return "not claimed"
        # Running: elsewhere (look again later), or in a worker just killed (take it over then).
        raise self.retry(countdown=wait)
    attempts = settings.RECORDINGS["RENDER_ATTEMPTS"]
    try:
        rendering.run(render)
    except rendering.ClaimLost:
        log.warning("render %s attempt %s was taken over after going silent", render_id, render.attempts)
        return "claim lost"
    except rendering.RenderFailed as error:
        rendering.fail(render, str(error), final=True)
        return "failed"
    except Exception as error:
        log.exception("render %s failed (attempt %s of %s)", render_id, render.attempts, attempts)
        final = render.attempts >= attempts
        message = "Rendering failed. Try again; if it keeps failing, tell the site's staff."
        rendering.fail(render, message if final else f"Attempt {render.attempts} failed: {error}", final=final)
        if final:
            return "failed"
        raise self.retry(countdown=10 * render.attempts, exc=error) from error
    after_render(render)
    return "ready"


@shared_task(name="recordings.recover_stale_renders")
def recover_stale_renders() -> int:
    """Beat: one task per render silent too long (its worker died or its message was lost)."""
    return fan_out(recover_stale_render, Render.objects.stale())


@shared_task(name="recordings.recover_stale_render")
def recover_stale_render(render_id: int) -> str:
    outcome = rendering.recover_stale(render_id)
    if outcome == "requeued":
        render_recording.delay(render_id)
    return outcome


def after_render(render) -> None:
    """The new version gets its cues when the space has a transcript. A moderation copy that
    expired while it was being read (retention 0) goes now."""
    transcribing.publish_cues(render.recording, renders=[render])
    copy_id = expired_copies().filter(space_id=render.recording.space_id).values_list("pk", flat=True).first()
    if copy_id is not None:
        delete_moderation_copy.delay(copy_id)


# Whisper tiny.en reads about 4 to 10 times real time on one core; voiced audio only.
@shared_task(
    name="recordings.transcribe",
    bind=True,
    max_retries=None,
    time_limit=settings.LONGEST_TASK_SECONDS,
    soft_time_limit=settings.LONGEST_TASK_SECONDS - 60,
)
def transcribe_space(self, transcript_id: int) -> str:
    transcript = Transcript.objects.select_related("space").filter(pk=transcript_id).first()
    if transcript is None:
        return "gone"
    if not rendering.audio_stored(transcript.space):
        raise self.retry(countdown=2)
    claimed = transcribing.claim(transcript_id)
    if claimed is None:
        if transcribing.fail_exhausted(transcript_id):
            return "failed"
        # Running elsewhere, or in a worker just killed: look again once that claim is stale.
        running = Transcript.objects.filter(pk=transcript_id, state=Transcript.State.RUNNING).exists()
        if running:
            raise self.retry(countdown=settings.RECORDINGS["RENDER_STALE_SECONDS"] + 1)
        return "not claimed"
    attempts = settings.TRANSCRIBE["ATTEMPTS"]
    try:
        transcribing.run(claimed)
    except transcribing.ClaimLost:
        log.warning("transcript %s attempt %s was taken over after going silent", transcript_id, claimed.attempts)
        return "claim lost"
    except Exception as error:
        log.exception("transcript %s failed (attempt %s of %s)", transcript_id, claimed.attempts, attempts)
        final = claimed.attempts >= attempts
        message = "Transcribing failed. Try again; if it keeps failing, tell the site's staff."
        transcribing.fail(claimed, message if final else f"Attempt {claimed.attempts} failed: {error}", final=final)
        if final:
            return "failed"
        raise self.retry(countdown=10 * claimed.attempts, exc=error) from error
    return "ready"


@shared_task(name="recordings.delete_expired_copies")
def delete_expired_copies() -> int:
    """Beat: fan out one task per moderation copy whose retention has ended."""
    return fan_out(delete_moderation_copy, expired_copies())


@shared_task(name="recordings.delete_moderation_copy", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def delete_moderation_copy(copy_id: int) -> bool:
    return do_delete_moderation_copy(copy_id)


@shared_task(name="recordings.expire_unpublished_recordings")
def expire_unpublished_recordings() -> int:
    """Beat: fan out one task per recording left unpublished past its keeping period."""
    return fan_out(expire_unpublished_recording, expired_unpublished())


@shared_task(
    name="recordings.expire_unpublished_recording", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def expire_unpublished_recording(recording_id: int) -> bool:
    return do_expire_unpublished(recording_id)
