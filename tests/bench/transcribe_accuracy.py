"""Transcription benchmark: word error rate and real-time factor of the recogniser
(recordings/speech.py) on espeak-ng speech, its beam of 5 (ours, recordings.speech.BEAM_SIZE) beside
greedy decoding (the baseline: a beam of 1, the site's default until 2026-12-07) with the same model
in the same run.

    python -m tests.bench.transcribe_accuracy [--quick] [--core N] [--voices en-us,en-gb,...]

1. Speech: the 60 everyday sentences below (`--quick`: the first 10), each read by one espeak-ng
   voice (tests/speech.py), the voices taken in turn, then turned into the recogniser's input with
   recordings.speech.from_pcm48 (48 kHz int16 -> 16 kHz float32). All of it is made before timing.
2. Timed, in this process pinned to one core (`--core`, the first allowed by default) with
   settings.TRANSCRIBE's threads (1 by default): recordings.speech.transcribe of each sentence on
   its own, as the captioner and the replay jobs call it, once with beam_size=5 and once with 1
   (the order alternates from sentence to sentence so neither always runs on a warmer cache).
   One untimed call of each comes first. The model load is timed on its own.
3. WER = word-level edit distance / reference words after `normalise()` (both sides), summed over
   the sentences (not an average of per-sentence rates), overall and per voice. RTF = transcribe
   seconds / audio seconds. Each figure of ours is printed beside the baseline's with the ratio
   ours / baseline, and ours is checked against the targets: WER <= 10 %, RTF <= 0.3.
   Per-sentence transcripts go to tests/bench/results/transcribe_accuracy.json.

It prints the command that reproduces the run (every option, defaults included), the commit and
the date at the start and with the results.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from tests.bench.bench_setup import describe_run, run_lines

RESULTS = Path(__file__).resolve().parent / "results"
OURS, BASELINE = 5, 1  # beam sizes: recordings.speech.BEAM_SIZE (main() checks), greedy decoding
TARGET_WER, TARGET_RTF = 0.10, 0.3
QUICK_SENTENCES = 10
# The site's settings this reads (settings.TRANSCRIBE): printed in front of the command when set.
ENV_READ = ("TRANSCRIBE_MODEL_DIR", "TRANSCRIBE_DEVICE", "TRANSCRIBE_COMPUTE_TYPE", "TRANSCRIBE_THREADS")
DEFAULT_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp")  # all of tests.speech.VOICES

# What people say in a space. Numbers are spelled out as people say them (and as espeak reads
# them), never "and" inside a number ("nine hundred miles"), since Whisper writes digits and
# normalise() spells digits out without "and". No names: Whisper's spelling of a name is a
# guess the reference can't check.
SENTENCES = (
    "Thanks for joining us again, it is great to have you back.",
    "We have about twenty minutes left, so let's take a few questions.",
    "I started this podcast three years ago in my spare bedroom.",
    "Can everyone hear me okay, or should I move closer to the microphone?",
    "The first time I tried it, I burned the whole thing.",
    "Honestly, I think most people just want to feel heard.",
    "Let me read a comment that came in a minute ago.",
    "We got over five hundred messages after last week's episode.",
    "My grandmother used to walk four miles to school every morning.",
    "That is a really good point, and I had not thought of it.",
    "If you are just tuning in, welcome to the show.",
    "I wake up at six every day, even on weekends.",
    "The tickets sold out in less than ten minutes.",
    "I would rather spend money on trips than on things.",
    "Our next guest has been cooking for almost thirty years.",
    "Please raise your hand if you want to come up and speak.",
    "The coffee in that little shop is the best I have ever had.",
    "We will take a short break and be right back.",
    "Forty-five people signed up for the workshop on the first day.",
    "I keep a notebook by my bed for ideas at night.",
    "Nobody told me how hard the second year would be.",
    "The train was two hours late, so I missed the whole meeting.",
    "What is one piece of advice you would give your younger self?",
    "I think the secret is to start small and keep going.",
    "We planted seven trees in the garden this spring.",
    "My phone battery died right in the middle of the call.",
    "Let us hear from someone who has not spoken yet.",
    "It took me three tries to pass my driving test.",
    "The weather has been strange all week, hot one day and cold the next.",
    "I read about fifty books last year, mostly on the bus.",
    "You can find the full recording on our page tomorrow.",
    "The kids built a small robot out of old boxes.",
    "We need at least twelve volunteers for the cleanup on the weekend.",
    "Sometimes the best ideas come when you stop trying so hard.",
    "I switched off all my notifications and I feel much calmer.",
    "The rent in the city has gone up by twenty percent.",
    "Thank you so much for sharing that story with us.",
    "I bake bread every weekend and give half of it away.",
    "Our dog sleeps about fourteen hours a day, which seems like a lot.",
    "There were only eight of us in the class at the start.",
    "Can you say a little more about what happened next?",
    "The bus stop is right outside my front door.",
    "I have been learning to play the piano for six months.",
    "Let us keep the questions short so more people get a turn.",
    "The museum is free on the first day of every month.",
    "We drove nine hundred miles in two days and never got bored.",
    "I almost gave up, but a friend talked me out of it.",
    "The sound is a bit quiet, could you speak up please?",
    "My favorite meal is soup with fresh bread on a cold night.",
    "It costs about thirty dollars a month, which is not bad.",
    "We are going to end the room in five minutes.",
    "I learned more from my mistakes than from any class.",
    "The library near my house stays open until nine at night.",
    "Everyone in the audience started laughing at the same time.",
    "I have to admit that I was wrong about that one.",
    "Our team grew from three people to over forty in one year.",
    "Do you remember the first song you ever bought?",
    "The hardest part is getting out of bed on a rainy morning.",
    "We raised two thousand dollars for the animal shelter.",
    "I will post the link to the article after the show.",
)


# --- the normaliser ------------------------------------------------------------------------------
# Numbers are compared as WORDS: Whisper writes "20 past 7" for "twenty past seven", sometimes
# "twenty", so digits on either side are spelled out ("1,500" -> "one thousand five hundred",
# "7:30" -> "seven thirty", "10%" -> "ten percent", "$30" -> "thirty dollars", "3rd" -> "third").
# Words, not digits, because spelling a number out is unambiguous and parsing words into one is
# not ("twenty five" is 25 or 20 5).
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
# Spellings Whisper prefers that mean the same words ("let us" read aloud comes back "Let's").
# Apostrophes are gone by then.
SAME_WORD = {"ok": "okay", "alright": "all right", "per cent": "percent"}
# Contractions, expanded on both sides as Whisper's own English normaliser does (its evaluation
# code, which is not installed here: these are its rules, written out): "it's" == "it is". The
# possessive "'s" becomes " is" too, on both sides alike, as there.
CONTRACTIONS = (
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"),
    (r"\blet's\b", "let us"),
    (r"\bgonna\b", "going to"),
    (r"\bwanna\b", "want to"),
    (r"\bgotta\b", "got to"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'s\b", " is"),
    (r"'d\b", " would"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'m\b", " am"),
)
# British spellings Whisper may write for the en-gb voices (the references are American); the
# words of SENTENCES and their neighbours, not Whisper's whole list of about 1,700.
BRITISH = {
    "favourite": "favorite",
    "favourites": "favorites",
    "colour": "color",
    "neighbour": "neighbor",
    "neighbours": "neighbors",
    "centre": "center",
    "theatre": "theater",
    "programme": "program",
    "organise": "organize",
    "organised": "organized",
    "realise": "realize",
    "realised": "realized",
    "apologise": "apologize",
    "travelled": "traveled",
    "travelling": "traveling",
    "cancelled": "canceled",
    "practise": "practice",
    "honour": "honor",
    "humour": "humor",
    "labour": "labor",
    "behaviour": "behavior",
    "grey": "gray",
    "cheque": "check",
    "tyre": "tire",
    "metre": "meter",
    "metres": "meters",
    "kilometres": "kilometers",
}
# Hesitations Whisper's normaliser drops: nobody said them, and a reader would not miss them.
FILLERS = {"hmm", "mm", "mhm", "mmm", "uh", "um"}


def number_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    for size, name in SCALES:
        if n >= size:
            rest = n % size
            return f"{number_words(n // size)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError(n)


def ordinal_words(n: int) -> str:
    *head, last = number_words(n).split()
    last = ORDINALS.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return " ".join([*head, last])


def _spell_number(match: re.Match) -> str:
    currency, whole, fraction, minutes, suffix = match.group("cur", "int", "frac", "min", "suf")
    n = int(whole.replace(",", ""))
    suffix = (suffix or "").lower()
    if suffix in ("st", "nd", "rd", "th"):
        return f" {ordinal_words(n)} "
    words = number_words(n)
    if fraction:
        words += " point " + " ".join(ONES[int(d)] for d in fraction)
    if minutes == "00":  # "7:00" is said "seven" (or "seven o'clock", which Whisper writes out)
        pass
    elif minutes:  # "7:05" "seven oh five", "7:30" "seven thirty"
        words += (" oh " if minutes[0] == "0" else " ") + number_words(int(minutes))
    if suffix == "%":
        words += " percent"
    if currency:
        words += " dollar" if n == 1 and not fraction else " dollars"
    return f" {words} "


NUMBER = re.compile(
    r"(?P<cur>\$)?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+)|:(?P<min>\d\d))?(?P<suf>%|st\b|nd\b|rd\b|th\b)?",
    re.IGNORECASE,
)


def normalise(text: str) -> list[str]:
    """Lowercase words, no punctuation, numbers spelled out, contractions expanded, Whisper's
    spelling variants (and British spellings) mapped, hesitations dropped."""
    text = NUMBER.sub(_spell_number, text.lower().replace("\u2019", "'"))
    for pattern, words in CONTRACTIONS:
        text = re.sub(pattern, words, text)
    text = text.replace("'", "")  # what is left: quotes, "o'clock"
    text = re.sub(r"[^a-z0-9]+", " ", text)  # hyphens ("forty-five") and the rest become spaces
    text = f" {text} "
    for variant, word in SAME_WORD.items():
        text = text.replace(f" {variant} ", f" {word} ")
    return [BRITISH.get(word, word) for word in text.split() if word not in FILLERS]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions + deletions + insertions (Levenshtein distance over words)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


# --- the measurement -----------------------------------------------------------------------------
def speech_clips(sentences, voices) -> list[dict]:
    """Each sentence read by the next voice in turn, as the recogniser's 16 kHz float32."""
    from recordings.speech import SAMPLE_RATE, from_pcm48
    from tests.speech import say

    clips = []
    for i, text in enumerate(sentences):
        audio = from_pcm48(say(text, voices[i % len(voices)]))
        clips.append(
            {"text": text, "voice": voices[i % len(voices)], "audio": audio, "audio_s": len(audio) / SAMPLE_RATE}
        )
    return clips


def measure(sentences, voices=DEFAULT_VOICES, beam_sizes=(OURS, BASELINE)) -> dict:
    """Transcribes every clip with each beam size: per-sentence transcripts, errors and times,
    and the model's load time (0 if this process had it loaded already)."""
    from recordings import speech

    clips = speech_clips(sentences, voices)
    started = time.perf_counter()
    speech.model()
    load_s = time.perf_counter() - started
    for beam in beam_sizes:  # first-call set-up (buffers, the decoder's caches) is not counted
        speech.transcribe(clips[0]["audio"], "en", beam_size=beam)
    rows = []
    for i, clip in enumerate(clips):
        reference = normalise(clip["text"])
        row = {"text": clip["text"], "voice": clip["voice"], "audio_s": clip["audio_s"], "words": len(reference)}
        for beam in beam_sizes if i % 2 == 0 else beam_sizes[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            segments = speech.transcribe(clip["audio"], "en", beam_size=beam)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            heard = " ".join(s.text for s in segments)
            row[f"beam{beam}"] = {
                "heard": heard,
                "errors": word_errors(reference, normalise(heard)),
                "wall_s": wall,
                "cpu_s": cpu,
            }
        rows.append(row)
    return {"load_s": load_s, "rows": rows}


def totals(rows: list[dict], beam: int) -> dict:
    words = sum(r["words"] for r in rows)
    audio = sum(r["audio_s"] for r in rows)
    runs = [r[f"beam{beam}"] for r in rows]
    wall, cpu = sum(r["wall_s"] for r in runs), sum(r["cpu_s"] for r in runs)
    return {
        "wer": sum(r["errors"] for r in runs) / words,
        "rtf": wall / audio,
        "transcribe_s": wall,
        "cpu_s": cpu,
        "audio_s": audio,
        "words": words,
    }


def summarise(result: dict, voices) -> dict:
    rows = result["rows"]
    summary = {str(beam): totals(rows, beam) for beam in (OURS, BASELINE)}
    summary["per_voice"] = {
        voice: {str(beam): totals([r for r in rows if r["voice"] == voice], beam)["wer"] for beam in (OURS, BASELINE)}
        for voice in voices
    }
    ours = summary[str(OURS)]
    summary["verdict"] = {"wer_met": ours["wer"] <= TARGET_WER, "rtf_met": ours["rtf"] <= TARGET_RTF}
    return summary


def ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}x" if baseline else ("1.00x" if not ours else "n/a (baseline 0)")


def report(payload: dict) -> str:
    s, ours, base = payload["summary"], payload["summary"][str(OURS)], payload["summary"][str(BASELINE)]
    lines = [
        f"transcription: {len(payload['result']['rows'])} sentences, {ours['words']} words, {ours['audio_s']:.1f} s "
        f"of espeak-ng speech, voices in turn: {', '.join(payload['voices'])}",
        f"model {payload['model_dir']} ({payload['compute_type']}, {payload['threads']} thread(s)), "
        f"pinned to cpu {payload['core']}; model load {payload['result']['load_s']:.2f} s",
        "",
        f"{'':24} {f'ours (beam {OURS})':>15} {f'baseline (beam {BASELINE})':>19} {'ours / baseline':>16}",
        f"{'WER overall':24} {ours['wer']:14.1%} {base['wer']:19.1%} {ratio(ours['wer'], base['wer']):>16}",
    ]
    for voice, wers in s["per_voice"].items():
        o, b = wers[str(OURS)], wers[str(BASELINE)]
        lines.append(f"{'WER ' + voice:24} {o:14.1%} {b:19.1%} {ratio(o, b):>16}")
    lines += [
        f"{'RTF (one core)':24} {ours['rtf']:15.3f} {base['rtf']:19.3f} {ratio(ours['rtf'], base['rtf']):>16}",
        # CPU seconds below the wall seconds mean another process had the core for the rest:
        # the wall RTF is the one checked, the CPU one is what an idle core would give.
        f"{'RTF from CPU s':24} {ours['cpu_s'] / ours['audio_s']:15.3f} {base['cpu_s'] / base['audio_s']:19.3f} "
        f"{ratio(ours['cpu_s'], base['cpu_s']):>16}",
        f"{'transcribe s (CPU s)':24} {ours['transcribe_s']:8.1f} ({ours['cpu_s']:5.1f}) "
        f"{base['transcribe_s']:12.1f} ({base['cpu_s']:5.1f})",
        "",
        f"targets (ours): WER <= {TARGET_WER:.0%}: {'met' if s['verdict']['wer_met'] else 'MISSED'} "
        f"({ours['wer']:.1%}); RTF <= {TARGET_RTF}: {'met' if s['verdict']['rtf_met'] else 'MISSED'} "
        f"({ours['rtf']:.3f})",
        f"load average before / after: {payload['loadavg_before']} / {payload['loadavg_after']}",
    ]
    wrong = sorted(payload["result"]["rows"], key=lambda r: -r[f"beam{OURS}"]["errors"])
    wrong = [r for r in wrong if r[f"beam{OURS}"]["errors"]][:5]
    if wrong:
        lines.append("most errors (ours):")
        lines += [
            f"  {r[f'beam{OURS}']['errors']:2d}/{r['words']:2d} [{r['voice']}] {r['text']!r} -> {r[f'beam{OURS}']['heard']!r}"
            for r in wrong
        ]
    return "\n".join(lines)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"the first {QUICK_SENTENCES} sentences only (smoke run)")
    parser.add_argument("--core", type=int, default=min(os.sched_getaffinity(0)), help="CPU to pin to")
    parser.add_argument(
        "--voices",
        type=lambda v: tuple(v.split(",")),
        default=DEFAULT_VOICES,
        help="espeak-ng voices, taken in turn (at least 4 for a full run)",
    )
    return parser


def main() -> None:
    parser = arguments()
    args = parser.parse_args()
    if not args.quick and len(args.voices) < 4:
        parser.error("a full run reads the sentences with at least 4 voices")
    run = describe_run("transcribe_accuracy", parser, args, ENV_READ)
    print(run_lines(run), flush=True)
    # Pinned before anything starts a thread: Linux applies this to the calling thread, and the
    # threads CTranslate2 (and OpenBLAS) start later inherit it, so the whole run is on one core.
    os.sched_setaffinity(0, {args.core})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import logging

    import django

    django.setup()
    from django.conf import settings

    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one "Processing audio" line per call
    from recordings.speech import BEAM_SIZE

    assert BEAM_SIZE == OURS, f"recordings.speech decodes with a beam of {BEAM_SIZE}: set OURS to it"
    sentences = SENTENCES[:QUICK_SENTENCES] if args.quick else SENTENCES
    payload: dict = {
        **run,
        "voices": list(args.voices),
        "core": args.core,
        "model_dir": settings.TRANSCRIBE["MODEL_DIR"],
        "compute_type": settings.TRANSCRIBE["COMPUTE_TYPE"],
        "threads": settings.TRANSCRIBE["THREADS"],
        "loadavg_before": loadavg(),
    }
    print(f"[transcribe-bench] {len(sentences)} sentences, beams {OURS} and {BASELINE}", file=sys.stderr, flush=True)
    payload["result"] = measure(sentences, args.voices)
    payload["loadavg_after"] = loadavg()
    payload["summary"] = summarise(payload["result"], args.voices)
    print(report(payload))
    print(run_lines(run), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("transcribe_accuracy-quick.json" if args.quick else "transcribe_accuracy.json")
    out.write_text(json.dumps(payload, indent=1, default=str))
    print(f"[transcribe-bench] wrote {out}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
