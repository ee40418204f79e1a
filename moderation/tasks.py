"""Celery tasks of the moderation app."""

import logging

from celery import shared_task
from django.conf import settings

from moderation import review

log = logging.getLogger(__name__)


# A window is two minutes of the copy; Whisper tiny.en reads it in well under a minute per voice.
@shared_task(name="moderation.transcribe_window", time_limit=settings.LONGEST_TASK_SECONDS)
def transcribe_window(window_id: int) -> str:
    window_transcript = review.claim_window(window_id)
    if window_transcript is None:
        return "not claimed"
    try:
        review.run_window(window_transcript)
    except Exception:
        log.exception("transcribing the window %s failed", window_id)
        review.fail_window(
            window_transcript, "Transcribing failed. Try again; if it keeps failing, tell the site's developers."
        )
        return "failed"
    return "ready"
