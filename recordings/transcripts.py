"""Published transcripts: from what every voice said on the space's clock (the Transcript's
segments) to one version's cues on its own timeline, and out as WebVTT or plain text.

A version's cues are the segments of the voices still in the recording, cut to the ranges its
edit list keeps (recordings/timeline.kept_ranges), shifted onto the version's timeline and
laid out for reading: at most two lines of 42 characters and 7 seconds a cue, each cue one
voice (`<v Name>`), broken between words by the words' own times.
"""

import io
import json

import webvtt
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage

from recordings import timeline
from rooms.names import shown_name

LINE_CHARS = 42
LINES = 2
CUE_MS = 7000
# A pause this long between two words of one voice starts a new cue.
PAUSE_MS = 1500


def load_segments(name: str) -> list[dict]:
    if not name:
        return []
    try:
        with default_storage.open(name, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return []


def _on_timeline(ranges: list[tuple[int, int]], at: int) -> int | None:
    """Where `at` on the space's clock falls on a version's timeline (None: cut out)."""
    offset = 0
    for start, end in ranges:
        if start <= at < end:
            return offset + at - start
        offset += end - start
    return None


def _kept_words(segments: list[dict], ranges: list[tuple[int, int]], users: set[int]):
    """(user, start, end, word) on the version's timeline, for the words whose middle was kept,
    in time order."""
    out = []
    for segment in segments:
        if segment["user"] not in users:
            continue
        for start, end, word in segment["words"]:
            middle = _on_timeline(ranges, (start + end) // 2)
            if middle is None:
                continue
            begin = _on_timeline(ranges, start)
            finish = _on_timeline(ranges, max(start, end - 1))
            # A word cut in two by an edit keeps the kept part of its time.
            begin = middle - (((start + end) // 2) - start) if begin is None else begin
            finish = middle + (end - (start + end) // 2) if finish is None else finish + 1
            out.append((segment["user"], max(0, begin), max(begin + 1, finish), word))
    out.sort(key=lambda w: (w[1], w[0]))
    return out


def wrap(words: list[str]) -> list[str] | None:
    """The words in lines of at most LINE_CHARS, or None when they need more than LINES."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= LINE_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines if len(lines) <= LINES else None


def _cues_of_voice(words: list[tuple[int, int, int, str]]) -> list[dict]:
    cues: list[dict] = []
    current: list[tuple[int, int, int, str]] = []

    def close():
        if current:
            lines = wrap([w[3] for w in current]) or [" ".join(w[3] for w in current)]
            cues.append(
                {"start": current[0][1], "end": current[-1][2], "user": current[0][0], "text": "\n".join(lines)}
            )
            current.clear()

    for word in words:
        if current:
            too_long = word[2] - current[0][1] > CUE_MS
            paused = word[1] - current[-1][2] > PAUSE_MS
            full = wrap([w[3] for w in current] + [word[3]]) is None
            # A sentence's end is a good place to break once the cue holds a line's worth.
            sentence = current[-1][3][-1:] in ".?!" and len(" ".join(w[3] for w in current)) >= LINE_CHARS
            if too_long or paused or full or sentence:
                close()
        current.append(word)
    close()
    return cues


def version_cues(segments: list[dict], spans: list, edits: dict, users: set[int], names: dict[int, str]) -> list[dict]:
    """The cues of one version: `users` are the voices in it, `names` what to call them."""
    ranges = timeline.kept_ranges(timeline.closed_spans(spans), edits)
    words = _kept_words(segments, ranges, users)
    cues = []
    for user in sorted({w[0] for w in words}):
        cues += _cues_of_voice([w for w in words if w[0] == user])
    for cue in cues:
        cue["voice"] = names.get(cue["user"], "Speaker")
        # A single word longer than a cue may last is still shown, for no more than CUE_MS.
        cue["end"] = min(cue["end"], cue["start"] + CUE_MS)
    cues.sort(key=lambda c: (c["start"], c["user"]))
    return cues


def plain_text(cues: list[dict]) -> str:
    return "\n".join(f"{c['voice']}: {c['text'].replace(chr(10), ' ')}" for c in cues)


def _timestamp(ms: int) -> str:
    hours, rest = divmod(int(ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _voice_tag(name: str) -> str:
    # A name is text inside the tag: '>' ends it, '&' and '<' start markup.
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[dict]) -> str:
    """WebVTT, written with webvtt-py: one cue a line of speech, `<v Name>` on each."""
    vtt = webvtt.WebVTT()
    for cue in cues:
        text = cue["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        vtt.captions.append(
            webvtt.Caption(_timestamp(cue["start"]), _timestamp(cue["end"]), f"<v {_voice_tag(cue['voice'])}>{text}")
        )
    out = io.StringIO()
    vtt.write(out)
    return out.getvalue()


def replay_cues(render) -> list[dict]:
    """A version's cues for pages and players, in seconds."""
    if render is None:
        return []
    return [
        {"start": c["start"] / 1000, "end": c["end"] / 1000, "text": c["text"], "voice": c["voice"], "user": c["user"]}
        for c in render.cues
    ]


def names_of(user_ids) -> dict[int, str]:
    return {user.pk: shown_name(user) for user in get_user_model().objects.filter(pk__in=list(user_ids))}
