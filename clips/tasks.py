"""Celery tasks of the clips app."""

from celery import shared_task

from clips import rendering, services
from config.celery import fan_out


@shared_task(name="clips.render", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_clip(clip_id: int) -> str:
    return rendering.render_clip(clip_id)


@shared_task(name="clips.audiogram", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_audiogram(clip_id: int) -> str:
    """The MP4 of a shared clip, made from its own M4A, progress written as it goes."""
    return rendering.render_audiogram(clip_id)


@shared_task(name="clips.collect", bind=True, max_retries=60)
def collect_clip(self, clip_id: int) -> bool:
    """A live clip waits for the engine to store its last seconds, then asks its voices."""
    if not services.do_collect(clip_id):
        raise self.retry(countdown=1)
    return True


@shared_task(name="clips.expire_requests")
def expire_requests() -> int:
    """Beat: every clip request unanswered past its time counts as no."""
    return fan_out(expire_request, services.expired_requests())


@shared_task(name="clips.expire_request")
def expire_request(voice_id: int) -> bool:
    return services.do_expire_request(voice_id)
