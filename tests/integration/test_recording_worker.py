"""Recordings through a real Celery worker (and, for rendering, a real `manage.py media_engine`
process): three tone speakers in a recorded space, one of whom opted out of the recording; the
space ends; the worker renders the original once the engine has closed the space's files.
Then retention: expired moderation copies go (files and rows), held ones stay, and a second
run of the beat job finds nothing to do."""

import os
import subprocess
import time
import uuid
from datetime import timedelta

import av
import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.core.files.storage import default_storage
from django.utils import timezone

from config.celery import app as celery_app
from moderation.models import Hold
from recordings.models import ModerationCopy, Recording, Render
from recordings.services import recording_prefix
from recordings.tasks import delete_expired_copies, delete_moderation_copy, expire_unpublished_recordings
from rooms.media import storage
from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import decode_file
from rooms.media.storage import space_prefix
from rooms.media.tracks import chunk_start_ms, closed_marker, track_prefix
from rooms.models import Participant, Space
from rooms.services.recording import do_set_recording_opt_out
from rooms.services.spaces import do_create_space
from rooms.tasks import cancel_no_show_spaces
from tests.audio import band_energy
from tests.factories import SpaceFactory, UserFactory
from tests.integration import test_media_engine_process as engine_process
from tests.integration.processes import poll, start_worker, stop
from tests.integration.test_media_engine_process import engine_alive, read_segments, segment_numbers, wait_until
from tests.media.speakers import ToneSpeaker
from tests.rooms.socket_helpers import sockets_fixture  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Engine processes on a media folder, database and channel-layer prefix shared with this test.
engines = engine_process.engines

HOST_HZ, SPEAKER_HZ, OPTED_OUT_HZ = 500.0, 700.0, 1100.0
TALK_SECONDS = 7
RENDER_TIMEOUT = 120


class Worker:
    """A Celery worker process on a queue of its own (a stale task from an earlier test, or
    another run's worker on the same Redis, never meets this one)."""

    def __init__(self, proc: subprocess.Popen, log_path):
        self.proc = proc
        self.log_path = log_path

    def output(self) -> str:
        return self.log_path.read_text()

    def alive(self) -> None:
        assert self.proc.poll() is None, f"the worker exited:\n{self.output()}"


@pytest.fixture
def worker(engines, tmp_path):
    """The worker shares the engine's environment: database, Redis and MEDIA_ROOT."""
    queue = f"rt-test-recordings-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    # Its own default queue: it takes tasks from there and sends its fan-outs there.
    proc = start_worker({**engines.env, "CELERY_QUEUE": queue}, log, level="info")
    try:
        yield Worker(proc, log_path)
    finally:
        celery_app.conf.task_default_queue = default_queue
        stop(proc)
        log.close()
        print(f"--- worker (exit {proc.returncode})\n{log_path.read_text()}")


# --- rendering -------------------------------------------------------------------------------
def finished_render(recording_id: int, worker: Worker) -> Render | None:
    """The original render once it is ready; fails the test with its error if it failed."""
    worker.alive()
    render = Render.objects.filter(recording_id=recording_id, kind=Render.Kind.ORIGINAL).first()
    if render is None:
        return None
    assert render.state != Render.State.FAILED, f"the render failed: {render.error}\n{worker.output()}"
    return render if render.state == Render.State.READY else None


def track_stretch(space_id: int, user_id: int) -> tuple[int, int]:
    """(first ms, last ms) of a speaker's track on the space's clock."""
    prefix = track_prefix(space_id, user_id)
    _, files = default_storage.listdir(prefix)
    chunks = sorted(f for f in files if f.endswith(".flac"))
    assert chunks, f"no track chunks for user {user_id}"
    last = decode_file(default_storage.open(prefix + chunks[-1]).read())
    return chunk_start_ms(chunks[0]), chunk_start_ms(chunks[-1]) + len(last) * 1000 // SAMPLE_RATE


def track_audio(space_id: int, user_id: int) -> np.ndarray:
    prefix = track_prefix(space_id, user_id)
    _, files = default_storage.listdir(prefix)
    return np.concatenate([decode_file(default_storage.open(prefix + f).read()) for f in sorted(files)])


def energies(samples: np.ndarray) -> dict[float, float]:
    return {hz: round(band_energy(samples, hz), 4) for hz in (HOST_HZ, SPEAKER_HZ, OPTED_OUT_HZ)}


def container_seconds(path: str) -> float:
    with av.open(path) as container:
        return container.duration / av.time_base


async def join(sockets, space_id: int, user, freq: float) -> ToneSpeaker:
    socket = await sockets.open(space_id, user, name=user.username)
    speaker = ToneSpeaker(socket, freq)
    await speaker.join(timeout=20)
    return speaker


def recorded_space_on_stage():
    """A live space recorded from its start; the host and two speakers on stage, unmuted;
    the 1100 Hz speaker leaves their voice out of the recording."""
    host = UserFactory(username="hana")
    amy = UserFactory(username="amy")
    olly = UserFactory(username="olly")
    space = do_create_space(host, title="Tones on the record", record=True)
    Participant.objects.filter(space=space, user=host).update(muted=False)
    for user in (amy, olly):
        Participant.objects.create(space=space, user=user, role=Participant.Role.SPEAKER, muted=False)
    assert do_set_recording_opt_out(olly, space.pk, True).recording_opt_out
    return space, host, amy, olly


async def test_the_worker_renders_a_recorded_space_without_the_opted_out_voice(engines, worker, sockets):
    engines.start("rec-engine")
    await engine_alive(engines, "rec-engine")
    space, host, amy, olly = await database_sync_to_async(recorded_space_on_stage)()

    speakers = []
    try:
        for user, freq in ((host, HOST_HZ), (amy, SPEAKER_HZ), (olly, OPTED_OUT_HZ)):
            speakers.append(await join(sockets, space.pk, user, freq))
        # Everyone talks for a while, counted in the engine's own program segments.
        before = len(await database_sync_to_async(segment_numbers)(space.pk))
        await wait_until(lambda: len(segment_numbers(space.pk)) >= before + TALK_SECONDS, what="the program segments")
        await speakers[0].socket.send("space.end")
        await speakers[0].socket.wait_type("space.ended", timeout=10)
    finally:
        for speaker in speakers:
            await speaker.close()

    ended = time.monotonic()
    recording = await database_sync_to_async(Recording.objects.get)(space=space)
    render = await database_sync_to_async(poll)(
        lambda: finished_render(recording.pk, worker), RENDER_TIMEOUT, "the original render"
    )
    print(f"render ready {time.monotonic() - ended:.1f} s after the space ended")
    await database_sync_to_async(check_render)(space, recording, render, host, amy, olly)


def check_render(space: Space, recording: Recording, render: Render, host, amy, olly) -> None:
    recording.refresh_from_db()
    assert recording.original_id == recording.current_id == render.pk
    assert default_storage.exists(closed_marker(space.pk)), "the worker rendered before the engine closed"
    expected = recording.duration_ms / 1000
    assert recording.duration_ms > (TALK_SECONDS - 2) * 1000
    assert render.duration_ms == recording.duration_ms

    # Both files, each as long as the recording.
    assert render.m4a.endswith(".m4a") and render.mp3.endswith(".mp3")
    assert render.m4a.startswith(recording_prefix(recording.pk))
    m4a_seconds = container_seconds(default_storage.path(render.m4a))
    mix = decode_file(default_storage.open(render.m4a).read())
    mp3_pcm = decode_file(default_storage.open(render.mp3).read())
    print(
        f"recording {expected:.3f} s; m4a container {m4a_seconds:.3f} s, decoded {len(mix) / SAMPLE_RATE:.3f} s; "
        f"mp3 decoded {len(mp3_pcm) / SAMPLE_RATE:.3f} s"
    )
    assert abs(m4a_seconds - expected) <= 0.1
    assert abs(len(mix) / SAMPLE_RATE - expected) <= 0.1
    assert abs(len(mp3_pcm) / SAMPLE_RATE - expected) <= 0.1

    # The waveform: ten peaks a second, something loud in it.
    assert render.peaks and abs(len(render.peaks) - expected * 10) <= 2
    assert all(0 <= p <= 1 for p in render.peaks) and max(render.peaks) > 0.1

    # The stretch in which all three were talking (the recording starts with the space, so
    # its timeline is the space's clock), minus half a second at each end.
    stretches = [track_stretch(space.pk, user.pk) for user in (host, amy, olly)]
    start = max(a for a, _ in stretches) + 500
    end = min(b for _, b in stretches) - 500
    assert end - start >= 4000, stretches

    published = energies(mix[start * SAMPLE_RATE // 1000 : end * SAMPLE_RATE // 1000])
    print(f"everyone talking {start}..{end} ms; published mix band energies {published}")
    assert published[HOST_HZ] > 0.2 and published[SPEAKER_HZ] > 0.2, published
    assert published[OPTED_OUT_HZ] < 0.01, f"the opted-out voice is in the published mix: {published}"
    assert energies(mix)[OPTED_OUT_HZ] < 0.01

    # The moderation copy keeps the opted-out voice: in their own track and in the program.
    own = energies(track_audio(space.pk, olly.pk))
    segments = [n for n in segment_numbers(space.pk) if start <= n * 1000 and (n + 1) * 1000 <= end]
    program = energies(read_segments(space.pk, segments))
    print(f"opted-out speaker's own track {own}; program segments {segments[0]}..{segments[-1]}: {program}")
    assert own[OPTED_OUT_HZ] > 0.5, own
    assert min(program.values()) > 0.15, program
    assert ModerationCopy.objects.filter(space=space, expires_at__gt=timezone.now()).exists()

    assert set(recording.speakers.values_list("pk", flat=True)) == {host.pk, amy.pk}


async def test_a_render_waits_for_the_engine_that_ends_the_space_not_one_that_left_before(engines, worker, sockets):
    """An engine stopped mid-space (a deploy) closes its session and writes the space's
    `closed` marker; the space carries on in another engine. That marker must not survive,
    or the render would start before the last engine has stored the end of the tracks."""
    engines.start("old-engine")
    await engine_alive(engines, "old-engine")
    space, host, amy, olly = await database_sync_to_async(recorded_space_on_stage)()
    speakers = []
    try:
        speakers.append(await join(sockets, space.pk, host, HOST_HZ))
        await wait_until(lambda: len(segment_numbers(space.pk)) >= 2, what="segments from the old engine")
        engines.procs["old-engine"].terminate()  # a graceful stop: it closes its sessions
        engines.procs["old-engine"].wait(timeout=20)
        assert default_storage.exists(closed_marker(space.pk))
        engines.start("new-engine")
        await engine_alive(engines, "new-engine")
        # The page offers again; the space is now the new engine's.
        speakers.append(again := ToneSpeaker(speakers[0].socket, HOST_HZ))
        await again.join(timeout=20)
        last = max(segment_numbers(space.pk))
        await wait_until(lambda: max(segment_numbers(space.pk)) >= last + 2, what="segments from the new engine")
        assert not default_storage.exists(closed_marker(space.pk)), "a stale closed marker outlived its engine"
        await speakers[0].socket.send("space.end")
        await speakers[0].socket.wait_type("space.ended", timeout=10)
    finally:
        for speaker in speakers:
            await speaker.close()

    recording = await database_sync_to_async(Recording.objects.get)(space=space)
    render = await database_sync_to_async(poll)(
        lambda: finished_render(recording.pk, worker), RENDER_TIMEOUT, "the original render"
    )
    assert default_storage.exists(closed_marker(space.pk))
    assert render.duration_ms == recording.duration_ms
    assert await database_sync_to_async(lambda: list(recording.speakers.values_list("pk", flat=True)))() == [host.pk]


# --- retention -------------------------------------------------------------------------------
def settle(worker: Worker) -> None:
    """Wait until the worker has run every task queued so far, and what those queued in turn.

    The worker is one process taking one task at a time from a FIFO queue, so once a marker
    task sent now has run (a no-show space it cancels), so has everything before it; a second
    marker covers the tasks that the first round fanned out."""
    for _ in range(2):
        marker = SpaceFactory(
            state=Space.State.SCHEDULED, started_at=None, scheduled_for=timezone.now() - timedelta(hours=3)
        )
        cancel_no_show_spaces.delay()

        def cancelled(marker=marker):
            worker.alive()
            return Space.objects.filter(pk=marker.pk, state=Space.State.CANCELLED).exists()

        poll(cancelled, 60, "the worker to run the marker task")


def ended_space_with_copy(title: str, *, published: bool) -> tuple[Space, Recording]:
    """An ended space with its moderation copy on disk and a rendered recording, as the
    engine and the render task leave them; its retention ended an hour ago."""
    space = SpaceFactory(title=title, state=Space.State.ENDED, ended_at=timezone.now() - timedelta(days=31))
    speaker = space.host
    for name in ("program/seg_000000.ts", "program/live.m3u8", f"tracks/{speaker.pk}/0000000000.flac", "closed"):
        storage.put(space_prefix(space.pk) + name, b"audio")
    ModerationCopy.objects.create(space=space, expires_at=timezone.now() - timedelta(hours=1))
    recording = Recording.objects.create(space=space, spans=[[0, 5000]])
    render = Render.objects.create(recording=recording, kind=Render.Kind.ORIGINAL, state=Render.State.READY)
    base = f"{recording_prefix(recording.pk)}{render.pk}/space"
    render.m4a = storage.put(base + ".m4a", b"m4a")
    render.mp3 = storage.put(base + ".mp3", b"mp3")
    render.duration_ms = 5000
    render.save()
    recording.original = recording.current = render
    recording.published_at = timezone.now() if published else None
    recording.save()
    Hold.objects.create(space=space, reason="reported")
    return space, recording


def files(prefix: str) -> list[str]:
    return sorted(storage.walk(prefix))


def test_the_worker_deletes_expired_moderation_copies_unless_held(engines, worker):
    unpublished, draft = ended_space_with_copy("Never published", published=False)
    public, replay = ended_space_with_copy("Published", published=True)
    reported, held = ended_space_with_copy("Still under review", published=False)
    pairs = ((unpublished, draft), (public, replay), (reported, held))
    before = {p: files(p) for s, r in pairs for p in (space_prefix(s.pk), recording_prefix(r.pk))}
    assert all(before.values()) and len(before) == 6

    # Held: the beat job keeps all of it, and so does a per-copy task already on its way.
    delete_expired_copies.delay()
    for copy in ModerationCopy.objects.all():
        delete_moderation_copy.delay(copy.pk)
    settle(worker)
    assert ModerationCopy.objects.count() == 3
    assert {prefix: files(prefix) for prefix in before} == before
    assert not Recording.objects.filter(expired_at__isnull=False).exists()

    # Released on two of them: their copies go, files and rows.
    released = list(ModerationCopy.objects.filter(space__in=[unpublished, public]).values_list("pk", flat=True))
    Hold.objects.filter(space__in=[unpublished, public]).update(released_at=timezone.now())
    delete_expired_copies.delay()
    settle(worker)

    for space in (unpublished, public):
        assert files(space_prefix(space.pk)) == []
        assert not os.path.exists(default_storage.path(space_prefix(space.pk)))
        assert not ModerationCopy.objects.filter(space=space).exists()
    # The recordings made from them are the hosts': the copy's deletion leaves them alone.
    assert not Recording.objects.filter(expired_at__isnull=False).exists()
    assert files(recording_prefix(draft.pk)) == before[recording_prefix(draft.pk)]

    # Their own job: never published and the space ended 31 days ago -> deleted; published: kept.
    expire_unpublished_recordings.delay()
    settle(worker)
    draft.refresh_from_db()
    assert draft.expired_at is not None and draft.is_gone
    assert files(recording_prefix(draft.pk)) == []
    held.refresh_from_db()
    assert held.expired_at is not None  # the hold keeps the moderation copy, not the host's draft
    # Published: the replay stays, files and all.
    replay.refresh_from_db()
    assert replay.expired_at is None and replay.is_published
    assert files(recording_prefix(replay.pk)) == before[recording_prefix(replay.pk)]
    assert Recording.objects.published().filter(pk=replay.pk).exists()
    # Still held: its moderation copy is untouched.
    assert ModerationCopy.objects.filter(space=reported).exists()
    assert files(space_prefix(reported.pk)) == before[space_prefix(reported.pk)]

    # A second run finds nothing, deletes nothing and raises nothing.
    expired_at = draft.expired_at
    delete_expired_copies.delay()
    expire_unpublished_recordings.delay()
    for copy_id in [*released, ModerationCopy.objects.get(space=reported).pk]:
        delete_moderation_copy.delay(copy_id)
    settle(worker)
    assert ModerationCopy.objects.filter(space=reported).count() == 1
    assert files(space_prefix(reported.pk)) == before[space_prefix(reported.pk)]
    assert files(recording_prefix(replay.pk)) == before[recording_prefix(replay.pk)]
    draft.refresh_from_db()
    assert draft.expired_at == expired_at
    log = worker.output()
    assert "Traceback" not in log and "ERROR" not in log, log
    beat_runs = [
        line for line in log.splitlines() if "recordings.delete_expired_copies[" in line and "succeeded" in line
    ]
    # Held: nothing; released: two copies fanned out; again: nothing.
    assert [line.rsplit(": ", 1)[1] for line in beat_runs] == ["0", "2", "0"], beat_runs
