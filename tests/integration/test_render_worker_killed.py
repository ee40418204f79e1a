"""A render through a real prefork worker that is killed under it: first its pool process
(SIGKILL, as the OOM killer does), then the whole worker. Tasks are acknowledged late, so the
first kill hands the task out again and the new pool process takes the render over once its
claim is stale; after the second the stale-claim sweeper queues it again on the restarted
worker. The render ends ready, as long as the recording, and the moderation copy, whose
retention ended during all this, is deleted as soon as the render has let go of it."""

import os
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from config.celery import app as celery_app
from recordings.models import ModerationCopy, Recording, Render
from recordings.services import expired_copies
from recordings.tasks import delete_expired_copies, recover_stale_renders
from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import decode_file
from rooms.media.storage import space_prefix
from tests.factories import SpaceFactory
from tests.integration.processes import children, kill_tree, poll, start_worker, stop, worker_env
from tests.recordings.conftest import end_recorded_space, write_voice

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Long enough that the render takes several seconds (about half a second per minute of audio).
RECORDED_SECONDS = 6 * 60
# Silence after which a claim is stale, for the worker and for this process alike.
STALE_SECONDS = 10  # the least RECORDING_RENDER_STALE_SECONDS accepts
DEADLINE = 120


class Workers:
    """Prefork workers (one pool process each) on a queue of their own, started one after the
    other on one log; the test's own sends go to that queue too."""

    def __init__(self, env: dict, log_path):
        self.env, self.log_path = env, log_path
        self.log = open(log_path, "a")  # noqa: SIM115 (closed in close())
        self.proc = None

    def start(self):
        self.proc = start_worker(self.env, self.log, level="info", pool="prefork")

    def pool_process(self) -> int:
        """The worker's one pool process, once it has forked it."""
        return poll(lambda: self.alive() and children(self.proc.pid), 30, "the pool process")[0]

    def alive(self) -> bool:
        assert self.proc.poll() is None, f"the worker exited:\n{self.output()}"
        return True

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def close(self):
        if self.proc is not None:
            stop(self.proc)
        self.log.close()


@pytest.fixture
def workers(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.RECORDINGS = {**settings.RECORDINGS, "RENDER_STALE_SECONDS": STALE_SECONDS}
    # Unacknowledged tasks of earlier runs on this Redis db must not wake up here.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    queue = f"rt-test-renders-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    env = worker_env(
        MEDIA_ROOT=settings.MEDIA_ROOT,
        CELERY_QUEUE=queue,
        RECORDING_RENDER_STALE_SECONDS=str(STALE_SECONDS),
    )
    running = Workers(env, tmp_path / "worker.log")
    try:
        yield running
    finally:
        celery_app.conf.task_default_queue = default_queue
        running.close()
        print(f"--- workers\n{running.log_path.read_text()}")


def rendering(render_id: int, attempt: int, workers: Workers) -> Render | None:
    """The render, once the given attempt is running and has written progress."""
    workers.alive()
    render = Render.objects.get(pk=render_id)
    assert render.state != Render.State.FAILED, f"the render failed: {render.error}\n{workers.output()}"
    assert render.state != Render.State.READY, "the render finished before it could be killed"
    return render if render.state == Render.State.RUNNING and render.attempts == attempt and render.progress else None


def test_redis_hands_out_a_task_again_only_after_the_longest_task_could_have_run():
    assert celery_app.conf.broker_url.startswith("redis://")
    assert celery_app.conf.broker_transport_options["visibility_timeout"] > settings.LONGEST_TASK_SECONDS


def test_a_render_killed_twice_finishes_and_its_moderation_copy_still_expires(workers):
    space = SpaceFactory(title="A long space")
    write_voice(space.pk, space.host_id, 500, 0, RECORDED_SECONDS)
    workers.start()
    child = workers.pool_process()
    started = time.monotonic()
    recording = end_recorded_space(space, [(0, RECORDED_SECONDS)], RECORDED_SECONDS)  # queues the render
    render = recording.renders.get()

    # 1. The pool process dies mid-render (out of memory): the worker forks another, and the
    # task, handed out again, takes the render over once its claim has gone stale.
    poll(lambda: rendering(render.pk, 1, workers), DEADLINE, "the first attempt to be rendering")
    os.kill(child, 9)
    killed = time.monotonic()
    # Retention ends while the render is still to finish: the copy waits for the live render.
    ModerationCopy.objects.filter(space=space).update(expires_at=timezone.now())
    assert not expired_copies().exists()
    poll(lambda: rendering(render.pk, 2, workers), DEADLINE, "the render to be taken over")
    print(f"pool process killed; attempt 2 rendering after {time.monotonic() - killed:.1f} s")
    assert children(workers.proc.pid) != [child]

    # 2. The whole worker dies (the host lost): nothing hands the task out again soon, the
    # render goes silent, and the sweeper queues it again for the restarted worker.
    kill_tree(workers.proc)
    killed = time.monotonic()
    poll(lambda: Render.objects.stale().filter(pk=render.pk).exists(), DEADLINE, "the claim to go stale")
    assert expired_copies().filter(space=space).exists()  # a stale render holds nothing up
    workers.start()
    recover_stale_renders.delay()

    def ready():
        workers.alive()
        latest = Render.objects.get(pk=render.pk)
        assert latest.state != Render.State.FAILED, f"the render failed: {latest.error}\n{workers.output()}"
        return latest if latest.state == Render.State.READY else None

    render = poll(ready, DEADLINE, "the render to finish")
    print(
        f"worker killed; ready {time.monotonic() - killed:.1f} s later, "
        f"{time.monotonic() - started:.1f} s after the space ended"
    )
    assert render.attempts == 3 and render.error == ""
    recording = Recording.objects.get(pk=recording.pk)
    assert recording.original == recording.current == render
    assert render.duration_ms == RECORDED_SECONDS * 1000
    assert abs(len(decode_file(default_storage.open(render.mp3).read())) / SAMPLE_RATE - RECORDED_SECONDS) <= 0.1

    # 3. The copy's retention ended: it goes as soon as the render is done with it, and the
    # retention job, run again, finds nothing left to do.
    poll(lambda: not ModerationCopy.objects.filter(space=space).exists(), DEADLINE, "the copy to be deleted")
    assert not default_storage.exists(space_prefix(space.pk) + "closed")
    delete_expired_copies.delay()

    def retention_runs():
        workers.alive()
        lines = workers.output().splitlines()
        return [line for line in lines if "recordings.delete_expired_copies[" in line and "succeeded" in line]

    assert [line.rsplit(": ", 1)[1] for line in poll(retention_runs, DEADLINE, "the retention job")] == ["0"]
    assert Render.objects.get(pk=render.pk).state == Render.State.READY
    log = workers.output()
    assert "WorkerLostError" in log, log  # the first kill was seen by the worker, not papered over
