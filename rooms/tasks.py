"""Celery tasks of the rooms app: thin wrappers that load by id and call a service."""

from celery import shared_task

from config.celery import fan_out
from rooms.models import Space
from rooms.services.notifications import do_notify_space_started, due_no_show_spaces, empty_live_spaces
from rooms.services.presence import do_sweep_presence
from rooms.services.spaces import do_close_space_by_job

State = Space.State


@shared_task(name="rooms.notify_space_started", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_space_started(space_id: int) -> int:
    return do_notify_space_started(space_id)


@shared_task(name="rooms.cancel_no_show_spaces")
def cancel_no_show_spaces() -> int:
    """Fan out one small task per scheduled space whose host never came."""
    return fan_out(cancel_no_show_space, due_no_show_spaces())


@shared_task(name="rooms.cancel_no_show_space", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def cancel_no_show_space(space_id: int) -> bool:
    if not due_no_show_spaces().filter(pk=space_id).exists():
        return False
    return do_close_space_by_job(space_id, from_state=State.SCHEDULED, to_state=State.CANCELLED, reason="no_show")


@shared_task(name="rooms.end_empty_spaces")
def end_empty_spaces() -> int:
    return fan_out(end_empty_space, empty_live_spaces())


@shared_task(name="rooms.end_empty_space", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def end_empty_space(space_id: int) -> bool:
    # Check again: someone may have come back since the beat job looked.
    if not empty_live_spaces().filter(pk=space_id).exists():
        return False
    return do_close_space_by_job(space_id, from_state=State.LIVE, to_state=State.ENDED, reason="empty")


@shared_task(name="rooms.sweep_presence")
def sweep_presence() -> int:
    return do_sweep_presence()
