"""The program writer (AAC in MPEG-TS segments + live.m3u8) and the track writer (FLAC chunks)
fed tone PCM directly, with a real writer thread and no WebRTC."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.files.storage import default_storage

from rooms.media.audio import FRAME_SAMPLES, SAMPLE_RATE
from rooms.media.encode import decode_file
from rooms.media.program import LIVE_WINDOW, ProgramWriter, playlist_name, program_prefix
from rooms.media.tracks import TrackWriter, chunk_start_ms, track_prefix
from tests.audio import TONES, has_tone, tone

SPACE = 7
USER = 42
ORIGIN = datetime(2024, 5, 1, 18, 0, 0, tzinfo=UTC)


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-writer")
    yield pool
    pool.shutdown(wait=True)


def drain(executor) -> None:
    """Waits for everything submitted so far (one worker: jobs run in order)."""
    executor.submit(lambda: None).result(timeout=60)


def feed(writer, pcm: np.ndarray) -> None:
    """As the clock does: one 20 ms frame per tick."""
    for offset in range(0, len(pcm), FRAME_SAMPLES):
        writer.add(pcm[offset : offset + FRAME_SAMPLES])


def playlist() -> str:
    return default_storage.open(playlist_name(SPACE)).read().decode()


def listed(text: str) -> list[str]:
    return re.findall(r"^(seg_\d{6}\.ts)$", text, re.M)


def segment(name: str) -> bytes:
    return default_storage.open(program_prefix(SPACE) + name).read()


def entries(text: str) -> list[tuple[str, float, str]]:
    """(program date-time, duration, file) of each segment in the playlist."""
    found = re.findall(r"^#EXT-X-PROGRAM-DATE-TIME:(\S+)\n#EXTINF:([\d.]+),\n(seg_\d{6}\.ts)$", text, re.M)
    return [(when, float(duration), name) for when, duration, name in found]


def wall(seconds: float) -> str:
    return (ORIGIN + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


# --- the program ---------------------------------------------------------------------------
def test_it_numbers_segments_by_clock_position_and_closes_the_playlist_on_finish(executor):
    writer = ProgramWriter(SPACE, ORIGIN, 0, executor, segment_seconds=1)
    feed(writer, tone(TONES["host"], 3.5))
    drain(executor)

    live = playlist()
    assert "#EXT-X-MEDIA-SEQUENCE:0\n" in live
    assert entries(live) == [
        (wall(0), 1.0, "seg_000000.ts"),
        (wall(1), 1.0, "seg_000001.ts"),
        (wall(2), 1.0, "seg_000002.ts"),
    ]
    assert "#EXT-X-TARGETDURATION:2\n" in live
    assert "#EXT-X-ENDLIST" not in live, "a live playlist must not be closed"
    assert not default_storage.exists(program_prefix(SPACE) + "seg_000003.ts")

    writer.finish().result(timeout=60)

    ended = playlist()
    assert ended.startswith("#EXTM3U\n")
    assert "#EXT-X-MEDIA-SEQUENCE:0\n" in ended
    assert entries(ended)[-1] == (wall(3), 0.5, "seg_000003.ts")
    assert len(entries(ended)) == 4 == len(listed(ended))
    assert ended.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-DISCONTINUITY" not in ended


def test_it_continues_the_numbering_when_started_mid_clock(executor):
    # Another engine took the space over 5.5 s into it; this one stops at 8 s exactly.
    first = int(5.5 * SAMPLE_RATE)
    writer = ProgramWriter(SPACE, ORIGIN, first, executor, segment_seconds=1)
    feed(writer, tone(TONES["speaker"], 2.5))
    writer.finish().result(timeout=60)

    text = playlist()
    assert "#EXT-X-MEDIA-SEQUENCE:5\n" in text
    # The first segment is the rest of segment 5, stamped at its true place on the clock.
    assert entries(text) == [
        (wall(5.5), 0.5, "seg_000005.ts"),
        (wall(6), 1.0, "seg_000006.ts"),
        (wall(7), 1.0, "seg_000007.ts"),
    ]
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    for name in ("seg_000000.ts", "seg_000004.ts", "seg_000008.ts"):
        assert not default_storage.exists(program_prefix(SPACE) + name), name
    # Ending on a segment boundary leaves no empty segment; each segment stands on its own.
    for name in listed(text):
        assert has_tone(decode_file(segment(name)), TONES["speaker"]), name


@pytest.mark.parametrize("seconds", [3.5, 3.0, 2.26])
def test_it_keeps_the_program_as_long_as_its_input(executor, seconds):
    pcm = tone(TONES["host"], seconds) + tone(TONES["speaker"], seconds, amplitude=4000)
    pcm = pcm[: len(pcm) // FRAME_SAMPLES * FRAME_SAMPLES]
    writer = ProgramWriter(SPACE, ORIGIN, 0, executor, segment_seconds=1)
    feed(writer, pcm)
    writer.finish().result(timeout=60)

    names = listed(playlist())
    assert names == [f"seg_{n:06d}.ts" for n in range(len(names))]
    program = decode_file(b"".join(segment(name) for name in names))
    assert abs(len(program) - len(pcm)) / SAMPLE_RATE < 0.1
    assert abs(sum(d for _, d, _ in entries(playlist())) - len(pcm) / SAMPLE_RATE) < 0.001
    assert has_tone(program, TONES["host"]) and has_tone(program, TONES["speaker"])
    assert not has_tone(program, TONES["muted"])


def test_it_slides_the_live_window_over_the_newest_segments(executor):
    writer = ProgramWriter(SPACE, ORIGIN, 0, executor, segment_seconds=1)
    feed(writer, tone(TONES["cohost"], LIVE_WINDOW + 2))
    drain(executor)

    text = playlist()
    assert "#EXT-X-MEDIA-SEQUENCE:2\n" in text
    assert listed(text) == [f"seg_{n:06d}.ts" for n in range(2, LIVE_WINDOW + 2)]
    # Older segments stay on disk for the replay; only the playlist forgets them.
    assert default_storage.exists(program_prefix(SPACE) + "seg_000000.ts")
    writer.finish().result(timeout=60)


# --- the tracks ----------------------------------------------------------------------------
def read_chunks() -> list[tuple[int, np.ndarray]]:
    prefix = track_prefix(SPACE, USER)
    _, files = default_storage.listdir(prefix)
    names = sorted(f for f in files if f.endswith(".flac"))
    assert all(re.fullmatch(r"\d{10}\.flac", n) for n in names), names
    return [(chunk_start_ms(n), decode_file(default_storage.open(prefix + n).read())) for n in names]


def add_frames(writer: TrackWriter, pcm: np.ndarray, at_sample: int) -> None:
    for offset in range(0, len(pcm), FRAME_SAMPLES):
        writer.add(pcm[offset : offset + FRAME_SAMPLES], at_sample + offset)


def test_it_writes_back_to_back_flac_chunks_named_by_start_ms_losslessly(executor):
    writer = TrackWriter(SPACE, USER, executor, chunk_seconds=1)
    start = 7 * FRAME_SAMPLES  # 140 ms into the space
    pcm = tone(TONES["host"], 2.5) // 3 + tone(TONES["speaker"], 2.5) // 3
    add_frames(writer, pcm, start)
    writer.flush().result(timeout=60)
    drain(executor)

    chunks = read_chunks()
    assert [ms for ms, _ in chunks] == [140, 1140, 2140]
    assert [len(audio) for _, audio in chunks] == [SAMPLE_RATE, SAMPLE_RATE, SAMPLE_RATE // 2]
    for (ms, audio), (next_ms, _) in zip(chunks, chunks[1:], strict=False):
        assert next_ms == ms + len(audio) * 1000 // SAMPLE_RATE
    decoded = np.concatenate([audio for _, audio in chunks])
    assert decoded.dtype == np.int16
    assert np.array_equal(decoded, pcm), "FLAC chunks must decode to exactly the samples given"
    assert writer.flush() is None  # nothing buffered: nothing more to write


def test_it_starts_a_new_chunk_after_a_gap(executor):
    writer = TrackWriter(SPACE, USER, executor, chunk_seconds=2)
    first = tone(TONES["host"], 0.6)
    second = tone(TONES["speaker"], 0.4)
    add_frames(writer, first, 0)
    # Off stage for a while, then back 3 s into the space.
    add_frames(writer, second, 3 * SAMPLE_RATE)
    writer.flush()
    drain(executor)

    chunks = read_chunks()
    assert [ms for ms, _ in chunks] == [0, 3000]
    assert np.array_equal(chunks[0][1], first)
    assert np.array_equal(chunks[1][1], second)
