"""Reading a speaker's track: a read far into the space gives exactly the samples a read from
the start gives, and decodes only the chunks that could reach it."""

import numpy as np
from django.core.files.storage import default_storage

from recordings.audio.mixdown import LONGEST_CHUNK, TrackReader
from rooms.media import storage
from rooms.media.encode import encode_flac
from rooms.media.tracks import track_prefix

SR = 48_000
SPACE, USER = 1, 7
# (start s, length s): the longest chunk the settings allow, back-to-back 6 s chunks, a gap
# (off stage), a short chunk (left the stage early), and more 6 s chunks.
LAYOUT = [(0, 60), *((60 + 6 * i, 6) for i in range(10)), (130, 3), *((140 + 6 * i, 6) for i in range(10))]
LENGTH_S = 200


class CountingStorage:
    """The default storage, remembering which files were opened."""

    def __init__(self):
        self.opened: list[str] = []

    def listdir(self, path):
        return default_storage.listdir(path)

    def open(self, name, mode="rb"):
        self.opened.append(name)
        return default_storage.open(name, mode)


def write_track() -> np.ndarray:
    """Writes LAYOUT's chunks (noise, so any misplaced sample shows) and returns the whole track
    as it should read: silence where no chunk is."""
    rng = np.random.default_rng(3)
    whole = np.zeros(LENGTH_S * SR, dtype=np.float32)
    for start_s, length_s in LAYOUT:
        pcm = rng.integers(-3000, 3000, length_s * SR, dtype=np.int16)
        storage.put(f"{track_prefix(SPACE, USER)}{start_s * 1000:010d}.flac", encode_flac(pcm))
        whole[start_s * SR : (start_s + length_s) * SR] = pcm
    return whole


def read(reader: TrackReader, start_s: float, end_s: float) -> np.ndarray:
    out = np.zeros(round((end_s - start_s) * SR), dtype=np.float32)
    reader.add_into(out, round(start_s * SR))
    return out


def test_it_reads_any_range_as_a_read_from_the_start_would():
    whole = write_track()
    # Inside the longest chunk, across its end, exactly at a chunk's end, across the gap, in
    # the short chunk, across the last chunk's end, and past the track.
    for start_s, end_s in [(59, 61), (60, 75.5), (119.98, 131), (130.5, 133), (195, 200), (201, 205)]:
        expected = whole[round(start_s * SR) : round(end_s * SR)]
        got = read(TrackReader(SPACE, USER), start_s, end_s)
        assert np.array_equal(got[: len(expected)], expected), (start_s, end_s)
        assert not got[len(expected) :].any()


def test_it_reads_several_ranges_forward_with_one_reader():
    whole = write_track()
    reader = TrackReader(SPACE, USER)
    for start_s, end_s in [(10, 20), (100, 110), (170, 180)]:
        assert np.array_equal(read(reader, start_s, end_s), whole[start_s * SR : end_s * SR])


def test_it_decodes_only_the_chunks_that_can_reach_the_range():
    write_track()
    counting = CountingStorage()
    reader = TrackReader(SPACE, USER, storage=counting)
    read(reader, 170, 180)
    starts = sorted(int(name.rsplit("/", 1)[1].split(".")[0]) // 1000 for name in counting.opened)
    # A chunk starting a longest chunk or more before the range cannot reach it.
    assert starts == [s for s, _ in LAYOUT if 170 - LONGEST_CHUNK // SR < s < 180]
    assert 0 not in starts and 60 not in starts
