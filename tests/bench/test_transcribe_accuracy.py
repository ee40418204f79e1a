"""Smoke test of the transcription benchmark: its normaliser, and its measurement on three of its
sentences (the recogniser reads them recognisably right). No timing is asserted: the machine
running the tests is shared."""

import pytest

from tests.bench import transcribe_accuracy as bench
from tests.speech import needs_espeak


@pytest.mark.parametrize(
    ("reference", "heard"),
    [
        ("We have about twenty minutes left.", "We have about 20 minutes left"),
        ("Forty-five people signed up on the first day.", "45 people signed up on the 1st day."),
        ("It costs thirty dollars, up twenty percent.", "It costs $30, up 20%."),
        ("We drove nine hundred miles in two thousand seconds.", "We drove 900 miles in 2,000 seconds."),
        ("Can everyone hear me okay?", "can everyone hear me OK"),
        ("Let us keep it short.", "Let's keep it short."),
        ("It is not bad, I would say.", "It's not bad, I'd say."),
        ("We do not know what we are doing.", "We don't know what we're doing."),
        ("My favorite color is gray.", "My favourite colour is grey."),
        ("I think it is fine.", "Um, I think, uh, it's fine."),
        ("It took me three tries.", "It took me three tries\u2026"),
    ],
)
def test_numbers_case_and_punctuation_do_not_count_as_errors(reference, heard):
    assert bench.normalise(reference) == bench.normalise(heard)


def test_word_errors_count_substitutions_deletions_and_insertions():
    assert bench.word_errors("a b c d".split(), "a x c d e".split()) == 2
    assert bench.word_errors("a b".split(), []) == 2


@needs_espeak
def test_the_quick_measurement_reads_three_sentences_recognisably():
    result = bench.measure(bench.SENTENCES[:3], beam_sizes=(bench.OURS,))

    rows = result["rows"]
    assert [r["voice"] for r in rows] == list(bench.DEFAULT_VOICES[:3])
    wer = bench.totals(rows, bench.OURS)["wer"]
    assert wer < 0.5, [r[f"beam{bench.OURS}"]["heard"] for r in rows]
