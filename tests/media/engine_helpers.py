"""Helpers for the tests that drive the embedded engine with tone speakers: where the clock
is, which program segments lie wholly in a span of it, and what each holds."""

import asyncio
import re

import numpy as np
import pytest
from django.core.files.storage import default_storage

from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import decode_file
from rooms.media.engine import embedded_engine, stop_embedded_engine
from rooms.media.program import playlist_name, program_prefix
from tests.media.speakers import ToneSpeaker
from tests.waiting import wait_until  # noqa: F401  (the engine tests' wait)

SEGMENT = SAMPLE_RATE  # MEDIA_SEGMENT_SECONDS is 1 in tests/media/conftest.py
# AAC's encoder delay moves the last few ms of each segment's audio into the next file.
MARGIN = SAMPLE_RATE // 10
SDP_LIMIT = 16 * 1024


@pytest.fixture(autouse=True)
async def stopped_engine_after(transactional_db):
    """The engine of this test's loop is stopped (peers closed, files written) before the
    database is flushed; a later test's loop starts its own."""
    yield
    await stop_embedded_engine()
    await cancel_leftover_tasks()


async def cancel_leftover_tasks(timeout: float = 10.0) -> None:
    """Cancel what the test left running on its loop, again and again until it is done: the
    runner closing the loop cancels each task once and then waits for good, so a task that
    swallowed one cancellation (a library turning it into its own error inside a retry loop,
    or an await in a `finally`) would hang the whole run."""
    me = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        left = [task for task in asyncio.all_tasks() if task is not me and not task.done()]
        if not left:
            return
        for task in left:
            task.cancel()
        await asyncio.wait(left, timeout=0.5)


def current_engine():
    engine = embedded_engine()
    assert engine is not None, "no embedded engine in this loop"
    return engine


async def join(sockets, people, name: str, freq: float) -> ToneSpeaker:
    socket = await sockets.open(people.space.pk, getattr(people, name), name=name)
    speaker = ToneSpeaker(socket, freq)
    await speaker.join()
    return speaker


async def audio_flowing(session, *users) -> None:
    """Until the mixer has had sound from every one of `users` (their speaking level)."""
    await wait_until(lambda: all(session.peaks.get(u.pk, 0.0) > 0 for u in users), what="audio from every speaker")


async def clock_past(session, sample: int) -> None:
    await wait_until(lambda: session.sample >= sample, timeout=30, what=f"the clock to reach {sample}")


def full_segments_within(start: int, end: int) -> range:
    """Numbers of the segments whose audio lies entirely in [start, end) on the clock."""
    first = -(-(start + MARGIN) // SEGMENT)
    return range(first, end // SEGMENT)


async def until_full_segments_after(session, start: int, count: int = 1) -> int:
    """Lets the clock run until `count` whole segments lie after `start`; returns where it is."""
    first = -(-(start + MARGIN) // SEGMENT)
    await clock_past(session, (first + count) * SEGMENT)
    return session.sample


def segment_audio(space_id: int, seq: int) -> np.ndarray:
    return decode_file(default_storage.open(f"{program_prefix(space_id)}seg_{seq:06d}.ts").read())


def segment_numbers(space_id: int) -> list[int]:
    if not default_storage.exists(program_prefix(space_id)):
        return []
    _, files = default_storage.listdir(program_prefix(space_id))
    return sorted(int(f[4:10]) for f in files if re.fullmatch(r"seg_\d{6}\.ts", f))


async def end_space(host: ToneSpeaker, session) -> int:
    """Ends the space; returns where the clock was (segments before it are whole)."""
    space_id = session.space_id
    ended_at = session.sample
    await host.socket.send("space.end")
    await host.socket.wait_type("space.ended", timeout=5)

    def closed():
        name = playlist_name(space_id)
        return default_storage.exists(name) and b"#EXT-X-ENDLIST" in default_storage.open(name).read()

    await wait_until(closed, what="the closed playlist")
    return ended_at


async def close_all(speakers) -> None:
    for speaker in speakers:
        await speaker.close()


def heard_since(speaker: ToneSpeaker, start_frame: int, frames: int | None = None) -> np.ndarray:
    chunk = speaker.heard[start_frame : None if frames is None else start_frame + frames]
    return np.concatenate(chunk) if chunk else np.zeros(0, dtype=np.int16)
