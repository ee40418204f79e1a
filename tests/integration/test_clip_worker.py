"""Clips through a real Celery worker on Redis and PostgreSQL: the answers queue the render by
name, the worker mixes the consenting voices; a withdrawal is out of the files at once and the
worker re-makes the clip under a new name; the beat job expires an unanswered request."""

import os
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from clips import services
from clips.models import Clip, Voice
from config.celery import app as celery_app
from recordings.models import Render
from recordings.services import do_publish
from recordings.tasks import render_recording
from tests.clips.conftest import TONES, decoded, tones_in
from tests.integration.processes import poll, start_worker, stop, worker_env
from tests.recordings.conftest import end_recorded_space, write_voice

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    queue = f"rt-test-clips-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    log_path = tmp_path / "worker.log"
    log = open(log_path, "a")  # noqa: SIM115 (closed below)
    proc = start_worker(worker_env(MEDIA_ROOT=settings.MEDIA_ROOT, CELERY_QUEUE=queue), log, level="info")
    try:
        yield proc
    finally:
        celery_app.conf.task_default_queue = default_queue
        stop(proc)
        log.close()
        print(f"--- worker\n{log_path.read_text()}")


@pytest.fixture
def replay(people, worker):
    space = people.space
    write_voice(space.pk, people.host.pk, TONES["host"], 0, 20)
    write_voice(space.pk, people.speaker.pk, TONES["speaker"], 10, 30)
    write_voice(space.pk, people.cohost.pk, TONES["cohost"], 0, 30)
    recording = end_recorded_space(space, [(0, 30)], 30)
    assert render_recording(recording.renders.get(kind=Render.Kind.ORIGINAL).pk) == "ready"
    return do_publish(people.host, recording.pk)


def published_with(clip_id: int, version_above: int = 0):
    clip = Clip.objects.get(pk=clip_id)
    return clip if clip.state == Clip.State.PUBLISHED and clip.m4a and clip.rendered_version > version_above else None


def test_the_worker_renders_the_consenting_voices_and_remakes_the_clip_when_one_withdraws(replay, people, worker):
    clip = services.do_clip_replay(people.listener, replay.pk, 5000, 15000, "", "")
    for user in (people.host, people.speaker, people.cohost):
        services.do_answer(user, clip.voices.get(speaker=user).pk, "yes")
    first = poll(lambda: published_with(clip.pk), 60, "the worker to render the clip")
    assert tones_in(decoded(first.m4a)) == {"host", "speaker", "cohost"}

    withdrawn_at = time.monotonic()
    services.do_answer(people.cohost, clip.voices.get(speaker=people.cohost).pk, "no")
    assert Clip.objects.get(pk=clip.pk).m4a == ""  # nobody hears the old mix from here on
    second = poll(lambda: published_with(clip.pk, first.rendered_version), 60, "the clip re-made")
    print(f"re-made without the withdrawn voice {time.monotonic() - withdrawn_at:.2f} s after the answer")
    assert second.m4a != first.m4a and tones_in(decoded(second.m4a)) == {"host", "speaker"}


def test_the_beat_job_on_the_worker_expires_an_unanswered_request(replay, people, worker):
    clip = services.do_clip_replay(people.listener, replay.pk, 5000, 15000, "", "")
    services.do_answer(people.host, clip.voices.get(speaker=people.host).pk, "yes")
    services.do_answer(people.speaker, clip.voices.get(speaker=people.speaker).pk, "yes")
    Voice.objects.filter(clip=clip, speaker=people.cohost).update(expires_at=timezone.now() - timedelta(seconds=1))
    celery_app.send_task("clips.expire_requests")
    poll(lambda: Clip.objects.get(pk=clip.pk).state == Clip.State.DECIDE, 60, "the request to expire")
    assert clip.voices.get(speaker=people.cohost).answer == Voice.Answer.EXPIRED
