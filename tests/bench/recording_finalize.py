"""Recording-finalize benchmark: mix and encode a one-hour, four-speaker space on one core.

    python -m tests.bench.recording_finalize [--duration 3600] [--repeat 1]

1. Makes sure Debian's ffmpeg is installed (tests/bench/bench_setup.py `ensure_ffmpeg`).
2. Generates (once, cached in var/bench/recording_finalize/) the tracks of a space: four
   speakers, each a distinct pure tone switched on and off like speech (turns, phrases,
   syllables, some overlap), written as the engine writes them: back-to-back 6 s FLAC chunks
   `spaces/1/tracks/<user>/<start ms>.flac` under MEDIA_ROOT.
3. Ours: `recordings.audio.mixdown.render` over the whole space, in a child process pinned to
   one core (os.sched_setaffinity): CPU time (getrusage) and wall time of the render.
4. Baseline, same run, same core (taskset): the ffmpeg command line, single-threaded, doing the
   same work: concat of each speaker's chunks, amix (summed), pass 1 integrated loudness
   (ebur128), pass 2 mix again + volume to -16 LUFS + limiter, writing M4A (aac, fast coder,
   64k) and MP3 (libmp3lame 64k, quality 7) in one run. CPU time of both passes.
5. Checks the outputs (M4A durations, our MP3's decoded length, our output's loudness) and
   prints a table; writes tests/bench/results/recording_finalize.json. See tests/bench/README.md.

It prints the command that reproduces the run (every option, defaults included), the commit and
the date at the start and with the table.
"""

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from tests.bench.bench_setup import describe_run, ensure_ffmpeg, run_lines

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
CACHE = ROOT / "var" / "bench" / "recording_finalize"
PY = sys.executable

SAMPLE_RATE = 48_000
CHUNK_SECONDS = 6  # MEDIA_TRACK_CHUNK_SECONDS, as the engine writes tracks
SPACE_ID = 1
# (user id, tone Hz, amplitude): distinct pure tones at speech-like levels.
SPEAKERS = [(11, 196.0, 6500), (12, 262.0, 4000), (13, 349.0, 8000), (14, 440.0, 3000)]
GENERATOR_VERSION = 1  # bump when the generated audio changes (invalidates the cache)
TARGET_REALTIME = 100.0
TARGET_RATIO = 1.3


def log(msg: str) -> None:
    print(f"[finalize-bench] {msg}", file=sys.stderr, flush=True)


# --- the space's tracks -------------------------------------------------------------------------
def conversation(duration_s: int, seed: int = 7) -> dict[int, list[tuple[float, float]]]:
    """When each speaker's voice is on: (start s, end s) phrases. Speakers take turns of 3-30 s
    made of 0.6-3.5 s phrases with 0.15-0.9 s pauses; sometimes the next speaker starts before
    the turn ends, sometimes someone answers briefly over it, sometimes nobody talks for a bit."""
    rng = np.random.default_rng(seed)
    users = [u for u, _, _ in SPEAKERS]
    on: dict[int, list[tuple[float, float]]] = {u: [] for u in users}

    def phrases(user: int, start: float, end: float) -> None:
        at = start
        while at < end:
            length = min(float(rng.uniform(0.6, 3.5)), end - at)
            if length > 0.1:
                on[user].append((at, at + length))
            at += length + float(rng.uniform(0.15, 0.9))

    t = float(rng.uniform(0.5, 2.0))
    current = users[0]
    while t < duration_s:
        turn = float(rng.uniform(3.0, 30.0))
        end = min(t + turn, duration_s)
        phrases(current, t, end)
        others = [u for u in users if u != current]
        if rng.random() < 0.3:  # a brief interjection over the turn
            who = others[int(rng.integers(len(others)))]
            at = float(rng.uniform(t, end))
            phrases(who, at, min(at + float(rng.uniform(0.5, 2.5)), duration_s))
        nxt = others[int(rng.integers(len(others)))]
        gap = float(rng.uniform(-1.5, 0.2)) if rng.random() < 0.25 else float(rng.uniform(0.2, 1.5))
        t, current = max(end + gap, t + 1.0), nxt
    return on


def envelope(phrases: list[tuple[float, float]], start: int, length: int) -> np.ndarray:
    """Amplitude 0..1 over [start, start+length) samples: phrases with 10 ms ramps and a
    ~4.5 Hz syllable modulation."""
    env = np.zeros(length, dtype=np.float32)
    ramp = SAMPLE_RATE // 100
    for a, b in phrases:
        lo, hi = round(a * SAMPLE_RATE), round(b * SAMPLE_RATE)
        if hi <= start or lo >= start + length:
            continue
        idx = np.arange(max(lo, start), min(hi, start + length))
        edge = np.minimum(np.minimum(idx - lo, hi - idx) / ramp, 1.0)
        env[idx - start] = edge
    t = (start + np.arange(length)) / SAMPLE_RATE
    return env * (0.6 + 0.4 * np.sin(2 * np.pi * 4.5 * t) ** 2).astype(np.float32)


def generate(duration_s: int) -> Path:
    """MEDIA_ROOT holding the space's tracks (cached)."""
    from rooms.media.encode import encode_flac
    from rooms.media.tracks import closed_marker, track_prefix

    media = CACHE / f"{duration_s}s-v{GENERATOR_VERSION}"
    done = media / "generated.json"
    if done.exists():
        return media
    if media.exists():
        shutil.rmtree(media)
    log(f"generating {duration_s} s of four-speaker tracks in {media} (cached for next runs)")
    started = time.monotonic()
    on = conversation(duration_s)
    chunk = SAMPLE_RATE * CHUNK_SECONDS
    total = duration_s * SAMPLE_RATE
    for user, freq, amplitude in SPEAKERS:
        folder = media / track_prefix(SPACE_ID, user)
        folder.mkdir(parents=True, exist_ok=True)
        for start in range(0, total, chunk):
            length = min(chunk, total - start)
            t = (start + np.arange(length)) / SAMPLE_RATE
            wave = np.sin(2 * np.pi * freq * t) * amplitude * envelope(on[user], start, length)
            pcm = np.round(wave).astype(np.int16)
            (folder / f"{start * 1000 // SAMPLE_RATE:010d}.flac").write_bytes(encode_flac(pcm))
    (media / closed_marker(SPACE_ID)).write_text("closed\n")
    talk = {u: round(sum(b - a for a, b in p), 1) for u, p in on.items()}
    done.write_text(json.dumps({"duration_s": duration_s, "speakers": SPEAKERS, "talk_s": talk}))
    log(f"generated in {time.monotonic() - started:.0f} s; seconds of voice per speaker: {talk}")
    return media


def chunk_files(media: Path) -> dict[int, list[Path]]:
    from rooms.media.tracks import track_prefix

    return {u: sorted((media / track_prefix(SPACE_ID, u)).glob("*.flac")) for u, _, _ in SPEAKERS}


# --- ours (child process) -----------------------------------------------------------------------
def child(cfg: dict) -> None:
    os.sched_setaffinity(0, {cfg["core"]})
    os.environ["MEDIA_ROOT"] = cfg["media"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from recordings.audio.mixdown import TrackReader, render, track_users

    rec = settings.RECORDINGS
    calls = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    profiler = cProfile.Profile() if cfg["profile"] else None
    if profiler:
        profiler.enable()
    readers = [TrackReader(SPACE_ID, u) for u in track_users(SPACE_ID)]
    rendered = render(
        readers,
        [(0, cfg["duration_s"] * 1000)],
        cfg["workdir"],
        target_lufs=rec["LOUDNESS_LUFS"],
        aac_bit_rate=rec["AAC_BIT_RATE"],
        mp3_kbps=rec["MP3_KBPS"],
        mp3_quality=rec["MP3_QUALITY"],
        progress=calls.append,
    )
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        Path(cfg["profile"]).write_text(out.getvalue())
    print(
        json.dumps(
            {
                "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                "user_s": after.ru_utime - before.ru_utime,
                "wall_s": wall,
                "max_rss_mb": after.ru_maxrss / 1024,
                "samples": rendered.samples,
                "loudness_lufs": rendered.loudness_lufs,
                "voices": rendered.voices,
                "peaks": len(rendered.peaks),
                "progress_calls": len(calls),
                "progress_last": calls[-1] if calls else None,
                "m4a": rendered.m4a_path,
                "mp3": rendered.mp3_path,
            }
        ),
        flush=True,
    )


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def machine_jiffies() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return sum(values), values[3] + values[4]  # total, idle + iowait


class Window:
    """Wall time, the children's CPU (getrusage deltas) and how busy the rest of the machine was."""

    def __enter__(self):
        self.cpu, self.machine, self.wall = children_cpu(), machine_jiffies(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = children_cpu() - self.cpu
        total, idle = machine_jiffies()
        d_total, d_idle = total - self.machine[0], idle - self.machine[1]
        busy = (os.cpu_count() or 1) * (d_total - d_idle) / d_total if d_total else 0.0
        self.other = max(0.0, busy - self.cpu / self.wall) * 100  # % of one core
        return False


def run_ours(media: Path, workdir: Path, args) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = {
        "core": args.core,
        "media": str(media),
        "duration_s": args.duration,
        "workdir": str(workdir),
        "profile": str(RESULTS / "recording_finalize-profile.txt") if args.profile else "",
    }
    return run_child("recording_finalize", cfg)


def run_child(module: str, cfg: dict) -> dict:
    """`python -m tests.bench.<module> --child <cfg>` (no database or Redis of the caller's):
    the JSON line it prints last, plus the whole child's CPU and wall time."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    with Window() as w:
        proc = subprocess.run(
            [PY, "-m", f"tests.bench.{module}", "--child", json.dumps(cfg)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    if proc.returncode:
        raise RuntimeError(f"{module} child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_cpu_s"] = w.cpu  # the whole child: interpreter, Django and numpy imports too
    out["process_wall_s"] = w.wall
    out["other_pct"] = w.other
    return out


# --- the ffmpeg baseline ------------------------------------------------------------------------
def pinned(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


def ffmpeg_inputs(media: Path, workdir: Path) -> list[str]:
    args = []
    for user, files in chunk_files(media).items():
        listing = workdir / f"concat-{user}.txt"
        listing.write_text("ffconcat version 1.0\n" + "".join(f"file '{f}'\n" for f in files))
        args += ["-f", "concat", "-safe", "0", "-i", str(listing)]
    return args


def run_ffmpeg(ffmpeg: str, media: Path, workdir: Path, args) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    base = [*pinned(args.core), ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-y"]
    threads = ["-threads", "1", "-filter_threads", "1", "-filter_complex_threads", "1"]
    inputs = ffmpeg_inputs(media, workdir)
    mix = f"{''.join(f'[{i}:a]' for i in range(len(SPEAKERS)))}amix=inputs={len(SPEAKERS)}:normalize=0"
    preexec = None if pinned(args.core) else (lambda: os.sched_setaffinity(0, {args.core}))

    with Window() as w1:
        p1 = subprocess.run(
            [*base, *threads, *inputs, "-filter_complex", f"{mix},ebur128=framelog=verbose", "-f", "null", "-"],
            capture_output=True,
            text=True,
            preexec_fn=preexec,
        )
    if p1.returncode:
        raise RuntimeError(f"ffmpeg pass 1 failed:\n{p1.stderr[-4000:]}")
    found = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", p1.stderr)
    measured = float(found[-1]) if found else -math.inf
    gain_db = min(args.target_lufs - measured, 24.0) if math.isfinite(measured) else 0.0

    m4a, mp3 = workdir / "audio.m4a", workdir / "audio.mp3"
    graph = f"{mix},volume={gain_db:.2f}dB,alimiter=limit=0.891:level=0:latency=1,asplit=2[m4a][mp3]"
    with Window() as w2:
        p2 = subprocess.run(
            [
                *base,
                *threads,
                *inputs,
                "-filter_complex",
                graph,
                "-map",
                "[m4a]",
                "-c:a",
                "aac",
                "-aac_coder",
                "fast",
                "-b:a",
                "64k",
                "-movflags",
                "+faststart",
                str(m4a),
                "-map",
                "[mp3]",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "64k",
                "-compression_level",
                "7",
                str(mp3),
            ],
            capture_output=True,
            text=True,
            preexec_fn=preexec,
        )
    if p2.returncode:
        raise RuntimeError(f"ffmpeg pass 2 failed:\n{p2.stderr[-4000:]}")
    return {
        "pass1_cpu_s": w1.cpu,
        "pass1_wall_s": w1.wall,
        "pass2_cpu_s": w2.cpu,
        "pass2_wall_s": w2.wall,
        "cpu_s": w1.cpu + w2.cpu,
        "wall_s": w1.wall + w2.wall,
        "other_pct": (w1.other * w1.wall + w2.other * w2.wall) / (w1.wall + w2.wall),
        "loudness_lufs": measured,
        "gain_db": gain_db,
        "m4a": str(m4a),
        "mp3": str(mp3),
    }


# --- output checks ------------------------------------------------------------------------------
def check_file(path: str, measure: bool) -> dict:
    """Container duration, decoded samples and (optionally) integrated loudness of a file."""
    import av

    from recordings.audio.loudness import LoudnessMeter

    meter = LoudnessMeter() if measure else None
    samples = 0
    with av.open(path) as container:
        duration = container.duration / 1e6 if container.duration is not None else None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                data = out.to_ndarray().reshape(-1)
                samples += len(data)
                if meter:
                    meter.add(data.astype(np.float64))
    out = {"container_s": duration, "decoded_samples": samples}
    if meter:
        out["loudness_lufs"] = meter.integrated()
    return out


# --- report -------------------------------------------------------------------------------------
def fmt(value, spec: str = ".2f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def report(payload: dict) -> str:
    d = payload["duration_s"]
    ours, ff = payload["ours"], payload.get("ffmpeg")
    lines = [
        f"recording finalize: {d} s, {len(SPEAKERS)} speakers, one core (cpu {payload['core']}), "
        f"best of {payload['repeat']}",
        "",
        f"{'':28} {'CPU s':>8} {'wall s':>8} {'x realtime (CPU)':>17} {'x realtime (wall)':>18} {'other %':>8}",
    ]

    def row(name, r):
        lines.append(
            f"{name:28} {r['cpu_s']:8.2f} {r['wall_s']:8.2f} {d / r['cpu_s']:17.1f} {d / r['wall_s']:18.1f} "
            f"{r['other_pct']:8.0f}"
        )

    row("ours (render)", ours)
    if ff:
        row("ffmpeg CLI (2 passes)", ff)
        lines.append(
            f"{'  pass 1 / pass 2':28} {ff['pass1_cpu_s']:4.2f}/{ff['pass2_cpu_s']:.2f}"
            f"  (loudness {ff['loudness_lufs']:.1f} LUFS, gain {ff['gain_db']:+.2f} dB)"
        )
        lines.append(f"{'ratio ours / ffmpeg (CPU)':28} {ours['cpu_s'] / ff['cpu_s']:8.2f}x")
    lines.append(
        f"ours: measured {ours['loudness_lufs']:.2f} LUFS before gain, voices {ours['voices']}, "
        f"{ours['progress_calls']} progress calls (last {ours['progress_last']}), max RSS {ours['max_rss_mb']:.0f} MB, "
        f"whole child process {ours['process_cpu_s']:.2f} s CPU"
    )
    c = payload["checks"]
    lines.append(
        f"checks: ours M4A {fmt(c['ours_m4a']['container_s'], '.3f')} s, {c['ours_m4a']['loudness_lufs']:.2f} LUFS; "
        f"ours MP3 {c['ours_mp3']['decoded_samples']} samples (expected {d * SAMPLE_RATE}); "
        + (
            f"ffmpeg M4A {fmt(c['ffmpeg_m4a']['container_s'], '.3f')} s, {c['ffmpeg_m4a']['loudness_lufs']:.2f} LUFS"
            if "ffmpeg_m4a" in c
            else ""
        )
    )
    v = payload["verdict"]
    lines.append(
        f"target >= {TARGET_REALTIME:.0f}x realtime on one core: {'met' if v['realtime_met'] else 'MISSED'}"
        + (f"; within {TARGET_RATIO}x of ffmpeg: {'met' if v['ratio_met'] else 'MISSED'}" if ff else "")
        + f"; outputs: {'ok' if v['outputs_ok'] else 'WRONG'}"
    )
    lines.append(f"load average before / after: {payload['loadavg_before']} / {payload['loadavg_after']}")
    return "\n".join(lines)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=3600, help="seconds of the space (default 3600)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, best CPU time kept")
    parser.add_argument("--core", type=int, default=max(os.sched_getaffinity(0)), help="CPU to pin both to")
    parser.add_argument("--target-lufs", type=float, default=-16.0)
    parser.add_argument("--skip-ffmpeg", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile ours into results/")
    parser.add_argument("--keep", action="store_true", help="keep the rendered files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    parser = arguments()
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    if args.duration % CHUNK_SECONDS:
        parser.error(f"--duration must be a multiple of {CHUNK_SECONDS}")
    run = describe_run("recording_finalize", parser, args)
    print(run_lines(run), flush=True)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    ffmpeg = None if args.skip_ffmpeg else ensure_ffmpeg()
    media = generate(args.duration)
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = RESULTS / f"recording_finalize-{os.getpid()}"
    payload: dict = {
        **run,
        "when": datetime.now().isoformat(timespec="seconds"),
        "duration_s": args.duration,
        "core": args.core,
        "repeat": args.repeat,
        "loadavg_before": loadavg(),
    }
    try:
        ours_runs, ff_runs = [], []
        for i in range(args.repeat):
            log(f"run {i + 1}/{args.repeat}: ours (render) on cpu {args.core}")
            ours_runs.append(run_ours(media, workdir / "ours", args))
            log(f"  {ours_runs[-1]['cpu_s']:.2f} s CPU, {ours_runs[-1]['wall_s']:.2f} s wall")
            if ffmpeg:
                log(f"run {i + 1}/{args.repeat}: ffmpeg CLI on cpu {args.core}")
                ff_runs.append(run_ffmpeg(ffmpeg, media, workdir / "ffmpeg", args))
                log(f"  {ff_runs[-1]['cpu_s']:.2f} s CPU, {ff_runs[-1]['wall_s']:.2f} s wall")
        ours = min(ours_runs, key=lambda r: r["cpu_s"])
        payload["ours"] = ours
        payload["ours_runs"] = [r["cpu_s"] for r in ours_runs]
        ff = min(ff_runs, key=lambda r: r["cpu_s"]) if ff_runs else None
        if ff:
            payload["ffmpeg"] = ff
            payload["ffmpeg_runs"] = [r["cpu_s"] for r in ff_runs]
        log("checking outputs (decoding)")
        checks = {"ours_m4a": check_file(ours["m4a"], True), "ours_mp3": check_file(ours["mp3"], False)}
        if ff:
            checks["ffmpeg_m4a"] = check_file(ff["m4a"], True)
        payload["checks"] = checks
        expected = args.duration * SAMPLE_RATE
        outputs_ok = (
            abs(checks["ours_m4a"]["container_s"] - args.duration) <= 0.1
            and checks["ours_mp3"]["decoded_samples"] == expected
            and abs(checks["ours_m4a"]["loudness_lufs"] - args.target_lufs) <= 1.0
            and ours["samples"] == expected
        )
        payload["verdict"] = {
            "realtime_x": args.duration / ours["cpu_s"],
            "realtime_met": args.duration / ours["cpu_s"] >= TARGET_REALTIME,
            "ratio": ours["cpu_s"] / ff["cpu_s"] if ff else None,
            "ratio_met": (ours["cpu_s"] / ff["cpu_s"] <= TARGET_RATIO) if ff else None,
            "outputs_ok": outputs_ok,
        }
        payload["loadavg_after"] = loadavg()
        print(report(payload))
        print(run_lines(run), flush=True)
        out = RESULTS / (
            "recording_finalize.json" if args.duration == 3600 else f"recording_finalize-{args.duration}s.json"
        )
        out.write_text(json.dumps(payload, indent=1, default=str))
        log(f"wrote {out}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
