"""Live caption latency benchmark: how long after a speaker stops talking their caption reaches a
listener, while the engine mixes 10 speakers, and whether captioning makes the engine's 20 ms
mixing clock any less regular.

    python -m tests.bench.caption_latency [--quick]

It runs the site as it is deployed with live captions: scripts/web (uvicorn), a media engine
process and a `manage.py captioner` process (pinned to one core, `--captioner-core`), sharing a
SQLite file in a temporary folder and the Redis channel layer (`--redis-db`, keys under a prefix
of this run, deleted at the end). The engine is `manage.py media_engine` started through this
module (`--engine`, hidden) so that it can note the time of every tick of the mixing clock; the
engine's code is unchanged.

Live spaces of 10 speakers each, one after the other, `--rounds` times a space with captions off
(the baseline) then one with captions on, so that a change of load on the (shared) machine falls
on both. In each, nine speakers (aiortc, in this process) send a quiet tone (below the utterance
cutter's voice threshold: mixed, encoded and recorded like any voice, never cut into utterances),
and the talker says `--utterances` espeak-ng sentences (each round its own) with `--gap` seconds
between them. Measured:

1. caption latency: from the moment the frame holding an utterance's last voiced sample is handed
   to aiortc to the `caption` arriving on a listener's room socket (a caption belongs to the
   sentence it overlaps on the space's clock); p50/p95/max;
2. the mixing clock: each tick's lateness (when it ran minus when it was due, the engine's own
   definition), p50/p95/p99/max and ticks a whole frame late, over the talking, captions off
   vs on, with the ratio;
3. for reference, after the live runs: the recogniser's own time per utterance (recordings.speech
   on the same core as the captioner), plus the 600 ms pause that closes an utterance: the floor
   of (1).

Prints the command that reproduces the run at the start and with the results, and writes
tests/bench/results/caption_latency.json (caption_latency-quick.json with --quick). See
tests/bench/README.md.
"""

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from tests.bench.bench_setup import describe_run, run_lines, session_for, start_site

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
TARGET_P95_S = 3.0
# The clock "did not grow" when captions on keeps its p95 and p99 lateness within this factor of
# captions off (or within JITTER_SLACK_MS of it: sub-millisecond figures double on noise alone).
JITTER_FACTOR = 1.25
JITTER_SLACK_MS = 2.0
SPEAKERS = 10
TONE_AMPLITUDE = 100  # RMS about 70: under rooms.media.utterances.VOICED_RMS (180)
LEAD_SECONDS = 3.0  # quiet before the first sentence: every connection settles
DRAIN_SECONDS = 20.0  # after the last sentence, the longest wait for its caption
PERIOD = 0.02  # the mixing clock's tick
QUICK_UTTERANCES = 4


def log(msg: str) -> None:
    print(f"[caption-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values, q) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


# --- the engine, timed (the --engine child) ------------------------------------------------------
def engine_main(name: str, clock_dir: str) -> None:
    """`manage.py media_engine --name NAME`, with each session's tick times (time.monotonic(), the
    clock asyncio's loop.time() reads) written to CLOCK_DIR/space-<id>.json when it closes."""
    import django

    django.setup()
    from django.core.management import call_command

    from rooms.media.session import SpaceSession

    tick, close = SpaceSession._tick, SpaceSession.close

    def timed_tick(self) -> None:
        self.__dict__.setdefault("bench_ticks", []).append(time.monotonic())
        tick(self)

    async def timed_close(self) -> None:
        await close(self)
        path = Path(clock_dir) / f"space-{self.space_id}.json"
        path.with_suffix(".tmp").write_text(json.dumps(self.__dict__.get("bench_ticks", [])))
        path.with_suffix(".tmp").replace(path)

    SpaceSession._tick = timed_tick
    SpaceSession.close = timed_close
    call_command("media_engine", name=name)


def lateness(ticks: list[float], start: float, end: float) -> list[float]:
    """Each tick's lateness in ms against the clock's schedule (first tick + n periods), as the
    engine computes it, for the ticks due in [start, end]."""
    times = np.asarray(ticks)
    if not len(times):
        return []
    due = times[0] + PERIOD * np.arange(len(times))
    return [float(v) for v in ((times - due)[(due >= start) & (due <= end)] * 1000)]


def clock_summary(late: list[float]) -> dict:
    return {
        "ticks": len(late),
        "p50_ms": pct(late, 50),
        "p95_ms": pct(late, 95),
        "p99_ms": pct(late, 99),
        "max_ms": max(late) if late else None,
        "late_ticks": sum(v >= PERIOD * 1000 for v in late),
    }


# --- what the microphones send -------------------------------------------------------------------
def quiet_tone_packets(freq: float) -> list[bytes]:
    """One second of a quiet tone as Opus packets, encoded once, so that a tone speaker costs this
    process no encoding (as media_engine's load speakers, at TONE_AMPLITUDE)."""
    import av

    from rooms.media.audio import FRAME_SAMPLES, SAMPLE_RATE, TIME_BASE

    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate, codec.format, codec.layout = 96_000, "s16", "stereo"
    codec.options = {"application": "voip"}
    codec.sample_rate, codec.time_base = SAMPLE_RATE, TIME_BASE
    packets = []
    for n in range(2 * SAMPLE_RATE // FRAME_SAMPLES):
        t = (np.arange(FRAME_SAMPLES) + n * FRAME_SAMPLES) / SAMPLE_RATE
        samples = (np.sin(2 * np.pi * freq * t) * TONE_AMPLITUDE).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(samples, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, n * FRAME_SAMPLES, TIME_BASE
        packets.extend(bytes(p) for p in codec.encode(frame))
    return packets[-SAMPLE_RATE // FRAME_SAMPLES :]  # the second second: loops without a click


def talk(sentences, voice: str, gap: float) -> tuple[np.ndarray, list[dict]]:
    """The talker's microphone: LEAD_SECONDS of quiet, then each sentence followed by `gap` s of
    quiet. Each utterance's first and last voiced sample (20 ms frames over the cutter's voice
    threshold), so that its end is where the voice stops, not where espeak's file does."""
    from rooms.media.audio import SAMPLE_RATE
    from rooms.media.utterances import FRAME, VOICED_RMS, frame_rms
    from tests.speech import say, silence

    parts, marks, at = [silence(LEAD_SECONDS)], [], int(LEAD_SECONDS * SAMPLE_RATE)
    for text in sentences:
        said = say(text, voice)
        frames = said[: len(said) // FRAME * FRAME].reshape(-1, FRAME)
        voiced = np.flatnonzero(frame_rms(frames) > VOICED_RMS)
        marks.append(
            {
                "text": text,
                "start": at + int(voiced[0]) * FRAME,
                "end": at + (int(voiced[-1]) + 1) * FRAME,
                "audio": said,
            }
        )
        parts += [said, silence(gap)]
        at += len(said) + int(gap * SAMPLE_RATE)
    return np.concatenate(parts), marks


def talk_track(timeline: np.ndarray, marks: list[dict]):
    from rooms.media.audio import FRAME_SAMPLES, to_frame
    from tests.audio import PacedTrack

    class TalkTrack(PacedTrack):
        """Plays `timeline` in real time; notes (time.monotonic()) when the frame holding each
        utterance's first and last voiced sample is handed to aiortc."""

        def __init__(self):
            super().__init__()
            self.started_at: dict[int, float] = {}
            self.ended_at: dict[int, float] = {}

        async def recv(self):
            await self._pace()
            chunk = timeline[self.sent : self.sent + FRAME_SAMPLES]
            chunk = np.pad(chunk, (0, FRAME_SAMPLES - len(chunk)))
            frame = to_frame(chunk, self.sent)
            now, upto = time.monotonic(), self.sent + FRAME_SAMPLES
            for i, mark in enumerate(marks):
                if i not in self.started_at and mark["start"] < upto:
                    self.started_at[i] = now
                if i not in self.ended_at and mark["end"] <= upto:
                    self.ended_at[i] = now
            self.sent += FRAME_SAMPLES
            return frame

        @property
        def done(self) -> bool:
            return self.sent >= len(timeline)

    return TalkTrack()


# --- matching captions to what was said ----------------------------------------------------------
def match_captions(
    marks: list[dict], started_at: dict, ended_at: dict, captions: list[dict], origin: float
) -> list[dict]:
    """Each caption goes to the utterance it overlaps most on the space's clock (its `start_ms` and
    `end_ms`; the talker's times are time.monotonic(), `origin` is the clock's zero on that
    scale), so a caption of misheard words still finds its sentence. An utterance's latency is
    from its end to the last of its captions (the cutter may split a sentence at a pause). Rows
    in utterance order; `latency_s` None when no caption came."""
    spans = {i: ((started_at[i] - origin) * 1000, (ended_at[i] - origin) * 1000) for i in ended_at if i in started_at}
    got: dict[int, list[dict]] = {}
    for caption in captions:
        overlaps = {
            i: min(end, caption["end_ms"]) - max(start, caption["start_ms"]) for i, (start, end) in spans.items()
        }
        best = max(overlaps, key=overlaps.get, default=None)
        if best is not None and overlaps[best] > 0:
            got.setdefault(best, []).append(caption)
    rows = []
    for i, mark in enumerate(marks):
        parts = got.get(i, [])
        last = max((c["at"] for c in parts), default=None)
        latency = last - ended_at[i] if last is not None and i in ended_at else None
        rows.append(
            {"text": mark["text"], "captions": [c["text"] for c in parts], "latency_s": latency, "pieces": len(parts)}
        )
    return rows


def latency_summary(rows: list[dict]) -> dict:
    values = [r["latency_s"] for r in rows if r["latency_s"] is not None]
    return {
        "utterances": len(rows),
        "captioned": len(values),
        "missing": len(rows) - len(values),
        "p50_s": pct(values, 50),
        "p95_s": pct(values, 95),
        "max_s": max(values) if values else None,
    }


# --- the site's accounts -------------------------------------------------------------------------
def create_spaces(rounds: int) -> list[dict]:
    """Migrates the (fresh SQLite) database; per round two live spaces (captions off, then on),
    each with a host and nine speakers, all unmuted, and a listener; a logged-in session for each."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from rooms.models import Participant, Space

    call_command("migrate", verbosity=0, interactive=False)
    for noisy in ("aioice", "aiortc"):  # one INFO line per ICE check otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    User = get_user_model()
    spaces = []
    for s, captions in enumerate([False, True] * rounds):
        now = timezone.now()
        users = [User.objects.create_user(username=f"cap_s{s}_u{i}", password=None) for i in range(SPEAKERS + 1)]
        space = Space.objects.create(
            title=f"Caption benchmark {s}",
            host=users[0],
            state=Space.State.LIVE,
            started_at=now,
            last_presence_at=now,
            captions=captions,
        )
        for i, user in enumerate(users[:SPEAKERS]):
            role = Participant.Role.HOST if i == 0 else Participant.Role.SPEAKER
            Participant.objects.create(space=space, user=user, role=role, muted=False)
        spaces.append(
            {
                "space_id": space.pk,
                "started_at": space.started_at.timestamp(),
                "captions": captions,
                "speakers": [session_for(u) for u in users[:SPEAKERS]],
                "listener": session_for(users[SPEAKERS]),
            }
        )
    return spaces


# --- one live space ------------------------------------------------------------------------------
async def run_space(ctx, space: dict, timeline: np.ndarray, marks: list[dict]) -> dict:
    """10 speakers join (the last is the talker), the talker says every sentence, the host ends
    the space; the captions the listener got, the engine's tick times, CPU over the talking."""
    from tests.bench.media_engine import CpuWindow, OpusToneTrack, Peer, RoomSocket, join_site

    class Listening(RoomSocket):
        KEEP = (*RoomSocket.KEEP, "caption", "captions_behind")

    class QuietTone(OpusToneTrack):
        def __init__(self, freq: float):
            super(OpusToneTrack, self).__init__()
            self.packets = quiet_tone_packets(freq)

    sid, port = space["space_id"], ctx["port"]
    captions: list[dict] = []
    behind: list[dict] = []
    listener = await Listening.open(port, sid, space["listener"])

    async def listen():
        while True:
            message = await listener.inbox.get()
            if message["type"] == "caption":
                captions.append({**message, "at": time.monotonic()})
            elif message["type"] == "captions_behind":
                behind.append(message)

    listening = asyncio.ensure_future(listen())
    sockets, peers = [], []
    talker = talk_track(timeline, marks)
    # The space's clock counts from its started_at (wall clock); the talker notes monotonic times.
    origin = space["started_at"] - (time.time() - time.monotonic())
    try:
        for i, session in enumerate(space["speakers"]):
            track = talker if i == SPEAKERS - 1 else QuietTone(300.0 + 100 * i)
            socket = await RoomSocket.open(port, sid, session)
            sockets.append(socket)
            peers.append(peer := Peer(track))
            await join_site(socket, peer)
        for peer in peers:
            await peer.connected()
            await peer.until(lambda p=peer: p.frames >= 5, 20, "audio back")
        log(f"space {sid} (captions {'on' if space['captions'] else 'off'}): {SPEAKERS} speakers in")
        window = CpuWindow(ctx["pids"])
        deadline = time.monotonic() + len(timeline) / 48_000 + 30
        while not talker.done:
            talking = peers[-1].pc.connectionState
            if talking != "connected" or time.monotonic() > deadline:
                raise RuntimeError(
                    f"space {sid}: the talker stopped at {talker.sent / 48_000:.1f} of "
                    f"{len(timeline) / 48_000:.1f} s (connection {talking})"
                )
            await asyncio.sleep(0.2)
        cpu = window.stop()
        if space["captions"]:
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline:
                rows = match_captions(marks, talker.started_at, talker.ended_at, captions, origin)
                if all(r["latency_s"] is not None for r in rows):
                    await asyncio.sleep(1)  # the rest of a sentence the cutter split, if any
                    break
                await asyncio.sleep(0.2)
        await sockets[0].send("space.end")
        await sockets[0].wait_type("space.ended", 15)
    finally:
        listening.cancel()
        for peer in peers:
            await peer.close()
        for socket in [*sockets, listener]:
            await socket.close()
    clock_file = ctx["clock_dir"] / f"space-{sid}.json"
    deadline = time.monotonic() + 20
    while not clock_file.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    ticks = json.loads(clock_file.read_text()) if clock_file.exists() else []
    # The clock over the talking: first sentence's start to the last one's end.
    start, end = talker.started_at.get(0), talker.ended_at.get(len(marks) - 1)
    rows = match_captions(marks, talker.started_at, talker.ended_at, captions, origin)
    return {
        "space_id": sid,
        "captions_on": space["captions"],
        "lateness_ms": lateness(ticks, start, end) if start and end else [],
        "cpu": cpu,
        "rows": rows,
        "latency": latency_summary(rows) if space["captions"] else None,
        "captions_behind": behind,
        "stray_captions": len(captions) - sum(r["pieces"] for r in rows),
    }


# --- the recogniser on its own (reference) -------------------------------------------------------
def recogniser_times(marks: list[dict], core: int) -> dict:
    """recordings.speech on each sentence's audio, timed in a child pinned to the captioner's core
    (after the live runs, so it competes with nothing of ours)."""
    import subprocess

    payload = json.dumps([{"audio": m["audio"].tobytes().hex()} for m in marks])
    out = subprocess.run(
        ["taskset", "-c", str(core), PY, "-m", "tests.bench.caption_latency", "--recognise"],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=True,
    )
    times = json.loads(out.stdout.strip().splitlines()[-1])
    return {"p50_s": pct(times, 50), "p95_s": pct(times, 95), "max_s": max(times), "times_s": times}


def recognise_main() -> None:
    """--recognise: stdin a JSON list of 48 kHz int16 audio (hex); stdout the seconds each took."""
    import django

    django.setup()
    from recordings import speech
    from recordings.captioner import recognise

    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    clips = [np.frombuffer(bytes.fromhex(c["audio"]), dtype=np.int16) for c in json.load(sys.stdin)]
    speech.model()
    recognise(clips[0])  # first-call set-up is not counted
    times = []
    for clip in clips:
        started = time.perf_counter()
        recognise(clip)
        times.append(time.perf_counter() - started)
    print(json.dumps(times), flush=True)


# --- the run -------------------------------------------------------------------------------------
def wait_for_line(path: Path, text: str, proc, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(
                f"{path.name}: exited with {proc.returncode}:\n{path.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.2)
    raise RuntimeError(f"{path.name}: no {text!r} within {timeout}s")


def clean_redis(url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def ratio(a, b) -> float | None:
    return a / b if a is not None and b else None


def verdicts(off: dict, on: dict) -> dict:
    lat = on.get("latency") or {}
    p95 = lat.get("p95_s")
    grew = []
    for q in ("p95_ms", "p99_ms"):
        a, b = off["clock"].get(q), on["clock"].get(q)
        if a is None or b is None or b > max(a * JITTER_FACTOR, a + JITTER_SLACK_MS):
            grew.append(q)
    return {
        "latency_met": p95 is not None and p95 <= TARGET_P95_S and not lat.get("missing"),
        "jitter_held": not grew,
        "jitter_grew_at": grew,
    }


def fmt(value, spec: str = ".0f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def report(payload: dict) -> str:
    off, on = payload["off"], payload["on"]
    lat, rec, v = on["latency"], payload["recogniser"], payload["verdict"]
    co, cf = on["clock"], off["clock"]
    lines = [
        f"live captions: {payload['rounds']} round(s) of a space with captions off then one with captions on; "
        f"in each the talker says {payload['utterances']} espeak-ng sentences ({payload['voice']}), "
        f"{payload['gap']} s apart, while the engine mixes {SPEAKERS} speakers (9 quiet tones + the talker); "
        f"captioner pinned to cpu {payload['captioner_core']}, nice {payload['captioner_nice']}; engine "
        + (f"pinned to cpu {payload['engine_core']}" if payload["engine_core"] is not None else "not pinned"),
        "",
        f"caption latency (end of utterance -> caption on a listener's socket): p50 {fmt(lat['p50_s'], '.2f')} s, "
        f"p95 {fmt(lat['p95_s'], '.2f')} s, max {fmt(lat['max_s'], '.2f')} s; "
        f"{lat['captioned']}/{lat['utterances']} captioned, {len(on['captions_behind'])} captions_behind, "
        f"{on['stray_captions']} captions matched to no sentence",
        f"floor for reference: the 0.6 s pause that closes an utterance + the recogniser alone "
        f"p50 {fmt(rec.get('p50_s'), '.2f')} s / p95 {fmt(rec.get('p95_s'), '.2f')} s per utterance",
        "",
        f"{'mixing clock lateness, ms':28} {'captions off':>13} {'captions on':>12} {'on / off':>9}",
    ]
    for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"), ("max", "max_ms")):
        x = ratio(co.get(key), cf.get(key))
        lines.append(f"{label:28} {fmt(cf.get(key), '.2f'):>13} {fmt(co.get(key), '.2f'):>12} {fmt(x, '.2f'):>8}x")
    lines.append(
        f"{'ticks a frame late / ticks':28} {cf.get('late_ticks', '-'):>6}/{cf.get('ticks', '-'):<6} "
        f"{co.get('late_ticks', '-'):>5}/{co.get('ticks', '-'):<6}"
    )
    lines.append("")
    lines.append("CPU over the talking, % of one core: engine / captioner / site / this process (speakers) / other")
    for name, r in (("captions off", off), ("captions on", on)):
        c = r["cpu"]
        lines.append(
            f"  {name:13} {c['engine']:5.1f} / {c['captioner']:5.1f} / {c['site']:5.1f} / {c['bench']:5.1f} / "
            f"{c['other']:5.1f}"
        )
    lines.append("")
    lines.append(
        "each space in turn: clock lateness p95 / p99 ms, ticks late, caption latency p50 / p95 s, other CPU %"
    )
    for r in payload["spaces"]:
        c, lat_r = clock_summary(r["lateness_ms"]), r["latency"] or {}
        share = c["late_ticks"] / c["ticks"] if c["ticks"] else 0
        lines.append(
            f"  space {r['space_id']} captions {'on ' if r['captions_on'] else 'off'}  {fmt(c['p95_ms'], '6.1f')} / "
            f"{fmt(c['p99_ms'], '6.1f')}  {share:6.1%}  {fmt(lat_r.get('p50_s'), '5.2f', '    -')} / "
            f"{fmt(lat_r.get('p95_s'), '5.2f', '    -')}  {r['cpu']['other']:6.1f}"
        )
    lines += [
        f"load average before / after: {payload['loadavg_before']} / {payload['loadavg_after']}",
        "",
        f"target: caption p95 <= {TARGET_P95_S:.0f} s, every sentence captioned: "
        f"{'met' if v['latency_met'] else 'MISSED'}; mixing clock p95/p99 with captions on within "
        f"{JITTER_FACTOR}x (or +{JITTER_SLACK_MS:.0f} ms) of off: "
        f"{'held' if v['jitter_held'] else 'GREW (' + ', '.join(v['jitter_grew_at']) + ')'}",
    ]
    slow = sorted((r for r in on["rows"] if r["latency_s"] is not None), key=lambda r: -r["latency_s"])[:3]
    if slow:
        lines.append("slowest:")
        lines += [f"  {r['latency_s']:.2f} s {r['text']!r} -> {r['captions']}" for r in slow]
    missing = [r["text"] for r in on["rows"] if r["latency_s"] is None]
    if missing:
        lines.append(f"never captioned: {missing}")
    return "\n".join(lines)


def _terminate(signum, frame):
    raise KeyboardInterrupt()


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: one round, {QUICK_UTTERANCES} sentences per space"
    )
    parser.add_argument("--utterances", type=int, help="sentences the talker says in each space (default 10; quick 4)")
    parser.add_argument("--rounds", type=int, help="rounds of two spaces, captions off then on (default 2; quick 1)")
    parser.add_argument("--gap", type=float, default=1.5, help="seconds of quiet after each sentence")
    parser.add_argument("--voice", default="en-us", help="the talker's espeak-ng voice")
    parser.add_argument(
        "--captioner-core", type=int, default=min(os.sched_getaffinity(0)), help="CPU the captioner is pinned to"
    )
    parser.add_argument(
        "--captioner-nice",
        type=int,
        default=0,
        help="what-if: run the captioner at this nice value (0, as deployed: the Procfile sets none)",
    )
    parser.add_argument(
        "--engine-core",
        type=int,
        help="what-if: pin the engine to this CPU (default: not pinned, as deployed)",
    )
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database of the channel layer")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, media, logs)")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--clock-dir", help=argparse.SUPPRESS)
    parser.add_argument("--recognise", action="store_true", help=argparse.SUPPRESS)
    return parser


def resolve_defaults(args) -> None:
    """Fills in the options left unset: the full run's values, or --quick's."""
    args.utterances = args.utterances or (QUICK_UTTERANCES if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 2)


async def run_spaces(ctx, spaces, talks) -> list[dict]:
    """Captions off then on, round after round: a change of load on the machine falls on both."""
    results = []
    for i, space in enumerate(spaces):
        timeline, marks = talks[i // 2]
        log(f"round {i // 2 + 1}, captions {'on' if space['captions'] else 'off'} ...")
        results.append(await asyncio.wait_for(run_space(ctx, space, timeline, marks), len(timeline) / 48_000 + 180))
    return results


def combine(spaces: list[dict]) -> dict:
    """The rounds of one kind (captions off, or on) as one: the clock over all their ticks, the
    latency over all their sentences, the CPU averaged."""
    rows = [row for space in spaces for row in space["rows"]]
    cpu = {k: sum(s["cpu"][k] for s in spaces) / len(spaces) for k in spaces[0]["cpu"]}
    return {
        "clock": clock_summary([v for space in spaces for v in space["lateness_ms"]]),
        "cpu": cpu,
        "rows": rows,
        "latency": latency_summary(rows) if spaces[0]["captions_on"] else None,
        "captions_behind": [b for space in spaces for b in space["captions_behind"]],
        "stray_captions": sum(space["stray_captions"] for space in spaces),
    }


def main() -> int:
    parser = arguments()
    args = parser.parse_args()
    if args.engine:
        engine_main(args.engine, args.clock_dir)
        return 0
    if args.recognise:
        recognise_main()
        return 0
    resolve_defaults(args)
    from tests.bench.transcribe_accuracy import SENTENCES

    if args.rounds < 1 or not 1 <= args.utterances * args.rounds <= len(SENTENCES):
        parser.error(f"--utterances x --rounds must be 1 to {len(SENTENCES)}")
    run = describe_run("caption_latency", parser, args)
    print(run_lines(run), flush=True)

    from tests.bench.room_fanout import Processes

    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="caption_latency-", dir=RESULTS))
    clock_dir = workdir / "clock"
    clock_dir.mkdir()
    prefix = f"captionbench{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    env = dict(os.environ)
    for name in ("DATABASE_URL", "CHANNEL_LAYER_URL", "CELERY_BROKER_URL", "CACHE_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(name, None)
    env.pop("DJANGO_DEBUG", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ROUNDTABLE_VAR_DIR": str(workdir / "var"),
            "SQLITE_PATH": str(workdir / "bench.sqlite3"),
            "MEDIA_ROOT": str(workdir / "media"),
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": prefix,
            "CACHE_PREFIX": prefix,
            "CELERY_QUEUE": prefix,
            "MEDIA_ENGINE_MODE": "external",
            "MEDIA_ICE_ADDRESSES": "127.0.0.1",  # every WebRTC connection stays on loopback
            "MEDIA_ICE_SERVERS": "[]",
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.clear()
    os.environ.update(env)

    procs = Processes()
    previous = signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    payload: dict = {
        **run,
        "voice": args.voice,
        "gap": args.gap,
        "rounds": args.rounds,
        "utterances": args.utterances,
        "captioner_core": args.captioner_core,
        "captioner_nice": args.captioner_nice,
        "engine_core": args.engine_core,
    }
    return_code = 0
    try:
        log(f"setting up the database and the speech in {workdir}")
        spaces = create_spaces(args.rounds)
        n = args.utterances
        talks = [talk(SENTENCES[r * n : (r + 1) * n], args.voice, args.gap) for r in range(args.rounds)]

        from rooms.media.ice import limit_host_addresses

        limit_host_addresses()
        payload["loadavg_before"] = loadavg()
        engine_log, captioner_log = workdir / "engine.log", workdir / "captioner.log"
        pin = ["taskset", "-c", str(args.engine_core)] if args.engine_core is not None else []
        engine = procs.start(
            [*pin, PY, "-m", "tests.bench.caption_latency", "--engine", "bench-engine", "--clock-dir", str(clock_dir)],
            env,
            engine_log,
        )
        nice = ["nice", "-n", str(args.captioner_nice)] if args.captioner_nice else []
        captioner = procs.start(
            [*nice, "taskset", "-c", str(args.captioner_core), PY, "manage.py", "captioner"], env, captioner_log
        )
        wait_for_line(engine_log, "running", engine, 60)
        wait_for_line(captioner_log, "captioner running", captioner, 120)
        site, port = start_site(procs, "site", env, workdir / "site.log")
        log(f"site on port {port}, engine pid {engine.pid}, captioner pid {captioner.pid}")
        pids = {"engine": engine.pid, "captioner": captioner.pid, "site": site.pid, "bench": os.getpid()}
        ctx = {"port": port, "clock_dir": clock_dir, "pids": pids}
        payload["spaces"] = asyncio.run(run_spaces(ctx, spaces, talks))
        payload["off"] = combine([r for r in payload["spaces"] if not r["captions_on"]])
        payload["on"] = combine([r for r in payload["spaces"] if r["captions_on"]])
        payload["loadavg_after"] = loadavg()
        procs.stop_all()
        log("the recogniser alone ...")
        payload["recogniser"] = recogniser_times([m for _, marks in talks for m in marks], args.captioner_core)
        payload["verdict"] = verdicts(payload["off"], payload["on"])
    except KeyboardInterrupt:
        log("interrupted")
        return_code = 130
    except Exception:  # noqa: BLE001 - report what ran, then fail
        traceback.print_exc()
        return_code = 1
    finally:
        procs.stop_all()
        signal.signal(signal.SIGTERM, previous)
        try:
            log(f"deleted {clean_redis(redis_url, prefix)} Redis keys")
        except Exception as error:  # noqa: BLE001 - cleanup must not hide the results
            log(f"could not clean Redis: {error}")

    try:
        if not return_code:
            print()
            print(report(payload))
            print(run_lines(run), flush=True)
        payload["wall_s"] = time.monotonic() - started
        out = RESULTS / ("caption_latency-quick.json" if args.quick else "caption_latency.json")
        out.write_text(json.dumps(payload, indent=1, default=str))
        log(f"results in {out}; wall time {payload['wall_s']:.0f}s")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return return_code


if __name__ == "__main__":
    sys.exit(main())
