"""Finding replays by what was said in them: the words of published transcripts only (the
current version's cues, voices that left the recording already absent).

On PostgreSQL: full-text search (English stemming, `websearch` syntax: quotes, OR, -word),
ranked, over a GIN index (migration 0005), with ts_headline's snippet. On SQLite: a plain
contains match, newest first. Either way each hit links to the moment of its first matching line.
"""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.utils.html import escape

from recordings.models import Recording

# Markers ts_headline puts around matches: control characters no transcript holds, so the
# snippet can be escaped as text and the marks added after.
START, STOP = "\x02", "\x03"


def find_replays(query: str, limit: int = 50) -> list[dict]:
    query = query.replace("\x00", "").strip()[:200]
    if not query:
        return []
    published = Recording.objects.published().select_related("space", "space__host", "current")
    if connection.vendor == "postgresql":
        words = SearchQuery(query, search_type="websearch", config="english")
        said = SearchVector("current__transcript_text", config="english")
        found = (
            published.annotate(
                search=said,
                rank=SearchRank(said, words),
                snippet=SearchHeadline(
                    "current__transcript_text",
                    words,
                    config="english",
                    start_sel=START,
                    stop_sel=STOP,
                    max_words=24,
                    min_words=10,
                ),
            )
            .filter(search=words)
            .order_by("-rank", "-published_at")[:limit]
        )
        return [_hit(r, r.snippet) for r in found]
    terms = [t for t in re.split(r"\s+", query.strip('"')) if t]
    found = published
    for term in terms:
        found = found.filter(current__transcript_text__icontains=term)
    return [
        _hit(r, _contains_snippet(r.current.transcript_text, terms)) for r in found.order_by("-published_at")[:limit]
    ]


def _contains_snippet(text: str, terms: list[str]) -> str:
    line = next((ln for ln in text.split("\n") if any(t.lower() in ln.lower() for t in terms)), "")
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    return pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", line)


def _hit(recording: Recording, snippet: str) -> dict:
    marked = re.findall(f"{START}(.*?){STOP}", snippet)
    return {
        "recording": recording,
        "snippet": escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>"),
        "at": _moment(recording.current.cues, [m.lower() for m in marked]),
    }


def _moment(cues: list[dict], marked: list[str]) -> int:
    """Seconds into the replay of the first line holding a matched word (0: none found)."""
    for cue in cues:
        text = cue["text"].lower()
        if any(word in text for word in marked):
            return int(cue["start"] // 1000)
    return 0
