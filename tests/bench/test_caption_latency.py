"""Smoke test of the live caption latency benchmark's own arithmetic: the mixing clock's lateness,
which caption belongs to which sentence, and the verdicts. A run needs Redis and three server
processes (python -m tests.bench.caption_latency --quick); nothing here times anything."""

import pytest

from tests.bench import caption_latency as bench
from tests.speech import needs_espeak


def test_it_measures_each_ticks_lateness_against_the_clocks_schedule_within_the_window():
    # Ticks due every 20 ms from 100.0; the fourth ran 30 ms late, the fifth caught up with it.
    ticks = [100.0, 100.02, 100.04, 100.09, 100.09, 100.10]

    late = bench.lateness(ticks, start=100.01, end=100.09)

    assert late == pytest.approx([0, 0, 30, 10])  # due at .02, .04, .06, .08
    clock = bench.clock_summary(late)
    assert (clock["ticks"], clock["max_ms"]) == (4, pytest.approx(30))
    assert clock["late_ticks"] == 1  # 30 ms is a whole frame late; 10 ms is not


MARKS = [
    {"text": "We have about twenty minutes left."},
    {"text": "The coffee in that shop is the best."},
    {"text": "Please raise your hand."},
]


def test_it_matches_each_caption_to_the_sentence_it_overlaps_on_the_clock_and_times_the_last_piece():
    # The space's clock started at 5.0 (monotonic); captions carry 200 ms of padding either side.
    started = {0: 10.0, 1: 20.0, 2: 30.0}
    ended = {0: 12.0, 1: 23.0, 2: 32.0}
    captions = [
        {"text": "We have about 20 minutes left.", "start_ms": 4800, "end_ms": 7200, "at": 13.5},
        # The cutter split the sentence at a pause; the second piece is misheard.
        {"text": "The coffee in that shop", "start_ms": 14800, "end_ms": 16500, "at": 22.0},
        {"text": "his the vest", "start_ms": 16700, "end_ms": 18200, "at": 24.5},
        {"text": "Thank you.", "start_ms": 19000, "end_ms": 20000, "at": 25.0},  # in no sentence's time
    ]

    rows = bench.match_captions(MARKS, started, ended, captions, origin=5.0)

    assert [r["latency_s"] for r in rows] == [pytest.approx(1.5), pytest.approx(1.5), None]
    assert rows[1]["pieces"] == 2
    summary = bench.latency_summary(rows)
    assert (summary["captioned"], summary["missing"]) == (2, 1)


def test_the_clock_held_unless_captions_on_push_its_p95_or_p99_past_the_margin():
    off = {"clock": {"p95_ms": 4.0, "p99_ms": 10.0}}
    latency = {"p95_s": 2.0, "missing": 0}

    held = bench.verdicts(off, {"clock": {"p95_ms": 5.5, "p99_ms": 12.4}, "latency": latency})
    grew = bench.verdicts(off, {"clock": {"p95_ms": 5.5, "p99_ms": 13.0}, "latency": latency})

    assert held["jitter_held"] and held["latency_met"]
    assert not grew["jitter_held"] and grew["jitter_grew_at"] == ["p99_ms"]
    assert not bench.verdicts(off, {"clock": off["clock"], "latency": {"p95_s": 2.0, "missing": 1}})["latency_met"]


@needs_espeak
def test_the_talkers_sentences_are_marked_where_the_voice_starts_and_stops(settings):
    timeline, marks = bench.talk(["Please raise your hand."], "en-us", gap=1.0)

    mark = marks[0]
    assert bench.LEAD_SECONDS * 48_000 <= mark["start"] < mark["end"] <= len(timeline) - 48_000
    assert abs(timeline[mark["start"] : mark["end"]]).max() > 1000
