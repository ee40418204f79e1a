"""Time on a recording.

Three clocks meet here:
- the space's clock (ms since the space started), on which tracks are named;
- the recording's timeline: the recorded spans laid end to end (0 .. duration);
- the edit list, on the recording's timeline: trim the start and end, cut ranges out.

`kept_ranges` turns an edit list into ranges of the space's clock, which is all a render needs.
"""

import re

from django.conf import settings

from rooms.errors import InvalidRequest

Range = tuple[int, int]


def closed_spans(spans: list, end_ms: int | None = None) -> list[Range]:
    """The recorded spans, an open one closed at `end_ms` (or dropped without it)."""
    out = []
    for start, end in spans:
        end = end if end is not None else end_ms
        if end is not None and end > start:
            out.append((int(start), int(end)))
    return out


def duration(spans: list[Range]) -> int:
    return sum(end - start for start, end in spans)


def check_edits(edits: dict, total_ms: int) -> dict:
    """Validate an edit list against a recording of `total_ms`; returns it normalized
    (cuts sorted). Raises InvalidRequest with a message a host can act on."""
    try:
        start = int(edits.get("trim_start_ms") or 0)
        end = edits.get("trim_end_ms")
        end = total_ms if end is None else int(end)
        cuts = [(int(a), int(b)) for a, b in edits.get("cuts") or []]
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise InvalidRequest("The edit list is not readable.", code="bad_edits") from None
    if not 0 <= start < end <= total_ms:
        raise InvalidRequest(
            f"Trim must keep a range inside the recording (0 to {fmt(total_ms)}), start before end.",
            code="trim_out_of_bounds",
        )
    if len(cuts) > settings.RECORDINGS["MAX_CUTS"]:
        raise InvalidRequest(f"At most {settings.RECORDINGS['MAX_CUTS']} cuts.", code="too_many_cuts")
    cuts.sort()
    for a, b in cuts:
        if a >= b:
            raise InvalidRequest(
                f"The cut {fmt(a)}–{fmt(b)} is empty: its end must come after its start.", code="empty_cut"
            )
        if a < start or b > end:
            raise InvalidRequest(
                f"The cut {fmt(a)}–{fmt(b)} is outside the kept range {fmt(start)}–{fmt(end)}.",
                code="cut_out_of_bounds",
            )
    for (a1, b1), (a2, b2) in zip(cuts, cuts[1:], strict=False):
        if a2 < b1:
            raise InvalidRequest(
                f"The cuts {fmt(a1)}–{fmt(b1)} and {fmt(a2)}–{fmt(b2)} overlap.", code="overlapping_cuts"
            )
    if duration(kept_on_timeline(start, end, cuts)) < 1000:
        raise InvalidRequest("The edit would leave less than a second of audio.", code="nothing_left")
    return {"trim_start_ms": start, "trim_end_ms": None if end == total_ms else end, "cuts": [list(c) for c in cuts]}


def kept_on_timeline(start: int, end: int, cuts: list[Range]) -> list[Range]:
    kept, at = [], start
    for a, b in sorted(cuts):
        if a > at:
            kept.append((at, a))
        at = max(at, b)
    if end > at:
        kept.append((at, end))
    return kept


def kept_ranges(spans: list[Range], edits: dict) -> list[Range]:
    """The ranges of the space's clock an edit list keeps, in order."""
    total = duration(spans)
    end = edits.get("trim_end_ms")
    kept = kept_on_timeline(
        int(edits.get("trim_start_ms") or 0), total if end is None else int(end), edits.get("cuts") or []
    )
    out, offset = [], 0
    for span_start, span_end in spans:
        length = span_end - span_start
        for a, b in kept:
            lo, hi = max(a, offset), min(b, offset + length)
            if lo < hi:
                out.append((span_start + lo - offset, span_start + hi - offset))
        offset += length
    return out


def fmt(ms: int, tenths: bool = True) -> str:
    """12345 -> '0:12.3'; 3723000 -> '1:02:03.0'; without tenths: '0:12', '1:02:03'."""
    seconds, tenth = divmod(int(ms) // 100, 10)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{clock}.{tenth}" if tenths else clock


# No recording is anywhere near this long; a bound keeps every number a host can type finite
# (a 400-digit "second" would otherwise overflow the float and then round()).
MAX_TIME_MS = 100 * 3600 * 1000
# One part of a time: ASCII digits only (str.isdigit also takes "²" and other scripts' digits).
TIME_PART = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,6})?")


def parse_time(text: str) -> int:
    """'1:02:03.5', '2:03', '75', '75.25' -> ms. Raises ValueError, also for a time past
    MAX_TIME_MS."""
    text = (text or "").strip()
    if not text:
        raise ValueError("empty")
    parts = text.split(":")
    if len(parts) > 3 or not all(TIME_PART.fullmatch(p) for p in parts):
        raise ValueError(text)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    if seconds * 1000 > MAX_TIME_MS:
        raise ValueError(text)
    return round(seconds * 1000)
