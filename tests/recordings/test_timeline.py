import pytest

from recordings.timeline import MAX_TIME_MS, check_edits, closed_spans, fmt, kept_ranges, parse_time
from rooms.errors import InvalidRequest

TOTAL = 60_000


def edits(start=0, end=None, cuts=()):
    return {"trim_start_ms": start, "trim_end_ms": end, "cuts": [list(c) for c in cuts]}


def test_a_valid_edit_list_comes_back_normalized():
    result = check_edits(edits(1000, 50_000, [(30_000, 31_000), (10_000, 12_000)]), TOTAL)
    assert result == edits(1000, 50_000, [(10_000, 12_000), (30_000, 31_000)])
    assert check_edits(edits(0, TOTAL), TOTAL)["trim_end_ms"] is None


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (edits(-1), "trim_out_of_bounds"),
        (edits(0, TOTAL + 1), "trim_out_of_bounds"),
        (edits(5000, 5000), "trim_out_of_bounds"),
        (edits(9000, 2000), "trim_out_of_bounds"),
        (edits(cuts=[(3000, 3000)]), "empty_cut"),
        (edits(cuts=[(5000, 4000)]), "empty_cut"),
        (edits(10_000, cuts=[(5000, 12_000)]), "cut_out_of_bounds"),
        (edits(cuts=[(59_000, 61_000)]), "cut_out_of_bounds"),
        (edits(cuts=[(1000, 5000), (4000, 8000)]), "overlapping_cuts"),
        (edits(cuts=[(0, 59_500)]), "nothing_left"),
        (edits(cuts=[(i * 1000, i * 1000 + 10) for i in range(51)]), "too_many_cuts"),
        ({"trim_start_ms": "soon"}, "bad_edits"),
        ({"cuts": [[1]]}, "bad_edits"),
        ({"cuts": 5}, "bad_edits"),
    ],
)
def test_a_bad_edit_list_is_refused_with_a_reason(bad, code):
    with pytest.raises(InvalidRequest) as error:
        check_edits(bad, TOTAL)
    assert error.value.code == code
    assert error.value.message


def test_kept_ranges_map_the_recordings_timeline_onto_the_spaces_clock():
    # Recorded 10-20 s and 50-70 s of the space: a 30 s recording.
    spans = [(10_000, 20_000), (50_000, 70_000)]
    assert kept_ranges(spans, edits()) == spans
    # Trim 2 s off the start, stop at 25 s, cut 8-12 s (which straddles the pause).
    assert kept_ranges(spans, edits(2000, 25_000, [(8000, 12_000)])) == [(12_000, 18_000), (52_000, 65_000)]


def test_an_open_span_is_closed_at_the_end_or_left_out():
    assert closed_spans([[0, 5000], [8000, None]], 12_000) == [(0, 5000), (8000, 12_000)]
    assert closed_spans([[0, 5000], [8000, None]]) == [(0, 5000)]


def test_times_read_and_print_the_way_people_write_them():
    assert parse_time("1:02:03.5") == 3_723_500
    assert parse_time("2:03") == 123_000
    assert parse_time("75.25") == 75_250
    for bad in ("", "a:b", "1:2:3:4", "-5", "1..2"):
        with pytest.raises(ValueError):
            parse_time(bad)
    assert fmt(12_345) == "0:12.3"
    assert fmt(3_723_000) == "1:02:03.0"


@pytest.mark.parametrize(
    "bad",
    ["9" * 400, f"{'9' * 400}:00", "1." + "9" * 400, "360000001", "100:00:01", "²", "٣:00", "1e9", "inf", "nan"],
)
def test_a_time_too_big_or_not_in_plain_digits_is_refused(bad):
    with pytest.raises(ValueError):
        parse_time(bad)


def test_the_longest_time_is_still_read():
    assert parse_time("100:00:00") == MAX_TIME_MS


@pytest.mark.parametrize("huge", [float("inf"), float("nan"), "9" * 5000])
def test_an_edit_list_with_an_unreadable_number_is_refused(huge):
    with pytest.raises(InvalidRequest) as error:
        check_edits({"trim_start_ms": 0, "cuts": [[huge, 2000]]}, TOTAL)
    assert error.value.code == "bad_edits"
