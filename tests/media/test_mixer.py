"""The mixer on its own (pure numpy, no clock, no WebRTC): what each tick gives the program,
each speaker's mix-minus and each speaker's own track."""

import numpy as np

from rooms.media.audio import FRAME_SAMPLES
from rooms.media.mixer import MAX_QUEUED_FRAMES, Mixer, SpeakerFeed


def const(value: int, n: int = FRAME_SAMPLES) -> np.ndarray:
    return np.full(n, value, dtype=np.int16)


def ramp(start: int, n: int) -> np.ndarray:
    """Distinct samples, so that any reordering or loss shows."""
    return (np.arange(start, start + n) % 30000).astype(np.int16)


def silent(samples: np.ndarray) -> bool:
    return len(samples) == FRAME_SAMPLES and not samples.any()


def test_it_leaves_each_speakers_own_voice_out_of_their_mix_minus():
    mixer = Mixer()
    voices = {1: const(100), 2: const(20), 3: const(3)}
    for uid, frame in voices.items():
        mixer.add(uid, muted=False).push(frame)

    tick = mixer.tick()

    assert np.array_equal(tick.program, const(123))
    assert np.array_equal(tick.mix_minus[1], const(23))
    assert np.array_equal(tick.mix_minus[2], const(103))
    assert np.array_equal(tick.mix_minus[3], const(120))
    for uid, frame in voices.items():
        assert np.array_equal(tick.own[uid], frame)
    assert all(a.dtype == np.int16 for a in (tick.program, *tick.mix_minus.values()))


def test_it_sums_the_program_and_clips_it_at_int16():
    mixer = Mixer()
    mixer.add(1, muted=False).push(np.concatenate([const(30000, 480), const(-30000, 480)]))
    mixer.add(2, muted=False).push(np.concatenate([const(30000, 480), const(-30000, 480)]))
    mixer.add(3, muted=False).push(np.concatenate([const(1000, 480), const(-1000, 480)]))

    tick = mixer.tick()

    # Clipped, not wrapped around.
    assert np.array_equal(tick.program, np.concatenate([const(32767, 480), const(-32768, 480)]))
    assert np.array_equal(tick.mix_minus[3], np.concatenate([const(32767, 480), const(-32768, 480)]))
    # The mix-minus is taken from the unclipped sum: 30000 + 1000, not 32767 - 30000.
    assert np.array_equal(tick.mix_minus[1], np.concatenate([const(31000, 480), const(-31000, 480)]))


def test_it_gives_silence_for_a_muted_speaker_and_drops_what_they_sent():
    mixer = Mixer()
    loud = mixer.add(1, muted=True)
    mixer.add(2, muted=False).push(const(7))
    loud.push(const(5000))
    loud.push(const(5000))

    tick = mixer.tick()

    assert silent(tick.own[1])
    assert np.array_equal(tick.program, const(7))
    assert np.array_equal(tick.mix_minus[2], np.zeros(FRAME_SAMPLES, dtype=np.int16))
    assert np.array_equal(tick.mix_minus[1], const(7))
    # Muted ticks still consume the queue, so unmuting does not replay what was said muted.
    mixer.tick()
    mixer.add(1, muted=False)
    assert silent(mixer.tick().own[1]), "audio said while muted reached the mix after unmuting"


def test_it_gives_silence_for_a_speaker_who_sends_nothing():
    mixer = Mixer()
    tick = mixer.tick()
    assert silent(tick.program) and tick.own == {} and tick.mix_minus == {}

    quiet = mixer.add(1, muted=False)
    talker = mixer.add(2, muted=False)
    quiet.push(const(11))
    for _ in range(5):
        talker.push(const(2))
        tick = mixer.tick()  # never waits for the quiet one
        talker_frame = tick.own[2]
        assert np.array_equal(talker_frame, const(2))
    # The quiet one's single frame went out on the first tick; after that, silence.
    assert silent(tick.own[1])
    assert np.array_equal(tick.program, const(2))
    assert np.array_equal(tick.mix_minus[2], np.zeros(FRAME_SAMPLES, dtype=np.int16))


def test_it_recuts_odd_sized_pushes_into_20ms_frames():
    feed = SpeakerFeed(1, muted=False)
    audio = ramp(0, 3 * FRAME_SAMPLES + 123)
    sizes = [500, 500, 7, 1000, 880, len(audio) - 2887]
    assert sum(sizes) == len(audio)
    offset = 0
    for size in sizes:
        feed.push(audio[offset : offset + size])
        offset += size

    assert len(feed.frames) == 3
    for index in range(3):
        frame = feed.take()
        assert len(frame) == FRAME_SAMPLES
        assert np.array_equal(frame, audio[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES])
    assert np.array_equal(feed.pending, audio[3 * FRAME_SAMPLES :])
    assert silent(feed.take())  # an incomplete frame is held back, not padded out

    # A whole frame arriving after a partial one is still appended in order.
    feed.push(ramp(40000, FRAME_SAMPLES))
    assert np.array_equal(
        feed.take(), np.concatenate([audio[3 * FRAME_SAMPLES :], ramp(40000, FRAME_SAMPLES)])[:FRAME_SAMPLES]
    )
    assert len(feed.pending) == 123


def test_it_keeps_at_most_max_queued_frames_dropping_the_oldest():
    feed = SpeakerFeed(1, muted=False)
    frames = [const(i + 1) for i in range(MAX_QUEUED_FRAMES + 4)]
    for frame in frames:
        feed.push(frame)
    assert len(feed.frames) == MAX_QUEUED_FRAMES
    for frame in frames[-MAX_QUEUED_FRAMES:]:
        assert np.array_equal(feed.take(), frame)
    assert silent(feed.take())

    # The same bound when a burst arrives as one big push.
    burst = ramp(0, (MAX_QUEUED_FRAMES + 5) * FRAME_SAMPLES)
    feed.push(burst)
    assert len(feed.frames) == MAX_QUEUED_FRAMES
    kept = np.concatenate([feed.take() for _ in range(MAX_QUEUED_FRAMES)])
    assert np.array_equal(kept, burst[-MAX_QUEUED_FRAMES * FRAME_SAMPLES :])


def test_it_forgets_a_removed_speaker():
    mixer = Mixer()
    mixer.add(1, muted=False).push(const(9))
    mixer.add(2, muted=False).push(const(4))
    mixer.remove(1)
    mixer.remove(42)  # unknown: nothing happens
    tick = mixer.tick()
    assert set(tick.own) == {2} and set(tick.mix_minus) == {2}
    assert np.array_equal(tick.program, const(4))
