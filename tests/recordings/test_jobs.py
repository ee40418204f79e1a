"""The services queue recordings' jobs by name (recordings/jobs.py): each name is a task the
worker has, and the message carries the arguments the task takes."""

import pytest

from config.celery import app
from recordings import jobs


@pytest.mark.parametrize("name", [jobs.RENDER, jobs.TRANSCRIBE, jobs.DELETE_MODERATION_COPY])
def test_it_names_registered_tasks(name):
    app.loader.import_default_modules()

    assert name in app.tasks


def test_it_sends_after_commit_with_the_arguments(db, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, countdown: sent.append((name, args, countdown)))

    with django_capture_on_commit_callbacks(execute=True):
        jobs.queue(jobs.DELETE_MODERATION_COPY, 7, countdown=60)
        assert sent == []  # nothing leaves before the commit

    assert sent == [(jobs.DELETE_MODERATION_COPY, (7,), 60)]
