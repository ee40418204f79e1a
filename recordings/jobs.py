"""Queueing recordings' Celery jobs from the services, by task name, after commit.

The tasks (recordings/tasks.py) load rows and call the services; if the services imported
the tasks back, the two would form an import circle. A test checks that every name here is
a registered task."""

from django.db import transaction

from config.celery import app

RENDER = "recordings.render"
TRANSCRIBE = "recordings.transcribe"
DELETE_MODERATION_COPY = "recordings.delete_moderation_copy"


def queue(name: str, *args, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: app.send_task(name, args=args, countdown=countdown))
