"""Clip-audiogram benchmark: the 720×720 H.264/AAC MP4 of a 30 s clip, ours beside ffmpeg's.

    python -m tests.bench.clip_audiogram [--seconds 30] [--repeat 3]

1. Makes sure Debian's ffmpeg is installed (tests/bench/bench_setup.py `ensure_ffmpeg`).
2. Writes the clip's M4A as the clip renderer does (recordings' M4AWriter, AAC at the clips'
   bit rate): three speakers, each a distinct tone switched on and off like speech.
3. Ours: `clips.audiogram.make` (the card: title, three names, four captions, the waveform
   filling with playback; the M4A's AAC copied in) in a child process pinned to one core:
   CPU time (getrusage) and wall time of make(), and of the whole child.
4. Baseline, same run, same core (taskset): the ffmpeg command line doing the same job from the
   same M4A: a 720×720 animated waveform (showwaves, the same frame rate), libx264 with the same
   preset, tune and CRF, faststart, and the audio copied as ours copies it. A second ffmpeg row
   re-encodes the audio (AAC at the same bit rate) for reference; the target's ratio is against
   the first, the same job.
5. Checks every output (720×720 h264 + aac, duration within 0.1 s of the clip) and prints a
   table; writes tests/bench/results/clip_audiogram.json.

It prints the command that reproduces the run (every option, defaults included), the commit and
the date at the start and with the table.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from tests.bench.bench_setup import describe_run, ensure_ffmpeg, run_lines
from tests.bench.recording_finalize import Window, conversation, envelope, loadavg, pinned, run_child

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE_RATE = 48_000
TONES = [196.0, 262.0, 349.0]
TARGET_RATIO = 1.2


def log(msg: str) -> None:
    print(f"[audiogram-bench] {msg}", file=sys.stderr, flush=True)


def write_clip(path: Path, seconds: int) -> None:
    from recordings.audio.encoders import M4AWriter

    on = conversation(seconds, seed=12)
    length = seconds * SAMPLE_RATE
    t = np.arange(length) / SAMPLE_RATE
    mix = sum(
        np.sin(2 * np.pi * freq * t) * 0.25 * envelope(on[user], 0, length)
        for (user, freq) in zip(sorted(on), TONES, strict=False)
    )
    writer = M4AWriter(str(path), settings_bit_rate())
    writer.write(np.asarray(mix, dtype=np.float32))
    writer.close()


def settings_bit_rate() -> int:
    from django.conf import settings

    return settings.CLIPS["AAC_BIT_RATE"]


# --- ours, in a pinned child --------------------------------------------------------------------
def child(cfg: dict) -> None:
    os.sched_setaffinity(0, {cfg["core"]})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from clips.audiogram import make
    from clips.audiogram_card import Card

    seconds = cfg["seconds"]
    card = Card(
        title="What we learned shipping audio clips that ask every voice first",
        names=["hana", "sam", "cora"],
        cues=[(i * seconds / 4, (i + 1) * seconds / 4, f"Caption {i + 1}: a line of what was said.") for i in range(4)],
    )
    m4a = Path(cfg["m4a"]).read_bytes()
    calls: list[float] = []
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    make(m4a, cfg["out"], card, calls.append)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"cpu_s": cpu, "wall_s": wall, "progress_calls": len(calls), "out": cfg["out"]}), flush=True)


def run_ours(m4a: Path, workdir: Path, args) -> dict:
    out = workdir / "ours.mp4"
    cfg = {"core": args.core, "seconds": args.seconds, "m4a": str(m4a), "out": str(out)}
    return run_child("clip_audiogram", cfg)


# --- the ffmpeg baseline ------------------------------------------------------------------------
def run_ffmpeg(ffmpeg: str, m4a: Path, out: Path, args, audio: list[str]) -> dict:
    from clips import audiogram

    command = [
        *pinned(args.core),
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-y",
        "-filter_threads",
        "1",
        "-i",
        str(m4a),
        "-filter_complex",
        f"[0:a]showwaves=s=720x720:mode=cline:rate={audiogram.FPS}:colors=0xa58bff,format=yuv420p[v]",
        "-map",
        "[v]",
        "-map",
        "0:a",
        "-c:v",
        "libx264",
        "-preset",
        audiogram.PRESET,
        "-tune",
        audiogram.TUNE,
        "-crf",
        audiogram.CRF,
        *audio,
        "-movflags",
        "+faststart",
        str(out),
    ]
    preexec = None if pinned(args.core) else (lambda: os.sched_setaffinity(0, {args.core}))
    with Window() as w:
        proc = subprocess.run(command, capture_output=True, text=True, preexec_fn=preexec)
    if proc.returncode:
        raise RuntimeError(f"ffmpeg failed:\n{proc.stderr[-4000:]}")
    return {"cpu_s": w.cpu, "wall_s": w.wall, "other_pct": w.other, "out": str(out)}


# --- checks and report --------------------------------------------------------------------------
def check(path: str, seconds: int) -> dict:
    import av

    with av.open(path) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        duration = container.duration / av.time_base
        shape = (video.codec_context.name, video.width, video.height, audio.codec_context.name)
    ok = shape == ("h264", 720, 720, "aac") and abs(duration - seconds) <= 0.1
    return {"codecs": shape, "duration_s": duration, "bytes": os.path.getsize(path), "ok": ok}


def report(payload: dict) -> str:
    ours, rows = payload["ours"], payload["ffmpeg"]
    lines = [
        f"clip audiogram: {payload['seconds']} s clip -> 720x720 H.264/AAC MP4, one core (cpu {payload['core']}), "
        f"best of {payload['repeat']}",
        "",
        f"{'':34} {'CPU s':>7} {'wall s':>7} {'KB':>6} {'other %':>8}",
    ]

    def row(name, r, size):
        lines.append(f"{name:34} {r['cpu_s']:7.2f} {r['wall_s']:7.2f} {size / 1024:6.0f} {r['other_pct']:8.0f}")

    c = payload["checks"]
    row("ours (clips.audiogram.make)", ours, c["ours"]["bytes"])
    lines.append(f"{'  whole child process':34} {ours['process_cpu_s']:7.2f} {ours['process_wall_s']:7.2f}")
    for key, name in (("copy", "ffmpeg CLI (audio copied)"), ("aac", "ffmpeg CLI (AAC re-encoded)")):
        if key in rows:
            row(name, rows[key], c[f"ffmpeg_{key}"]["bytes"])
    v = payload["verdict"]
    if v["ratio_cpu"] is not None:
        lines.append(
            f"ratio ours / ffmpeg (same job): CPU {v['ratio_cpu']:.2f}x, wall {v['ratio_wall']:.2f}x; "
            f"target <= {TARGET_RATIO}x: {'met' if v['ratio_met'] else 'MISSED'}"
        )
    lines.append(
        "checks: "
        + ", ".join(f"{k} {r['codecs'][1]}x{r['codecs'][2]} {r['duration_s']:.3f} s" for k, r in c.items())
        + f"; outputs: {'ok' if v['outputs_ok'] else 'WRONG'}"
    )
    lines.append(f"load average before / after: {payload['loadavg_before']} / {payload['loadavg_after']}")
    return "\n".join(lines)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the clip (default 30)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best CPU time kept")
    parser.add_argument("--core", type=int, default=max(os.sched_getaffinity(0)), help="CPU to pin both to")
    parser.add_argument("--skip-ffmpeg", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the videos")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    parser = arguments()
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    run = describe_run("clip_audiogram", parser, args)
    print(run_lines(run), flush=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    ffmpeg = None if args.skip_ffmpeg else ensure_ffmpeg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = RESULTS / f"clip_audiogram-{os.getpid()}"
    workdir.mkdir(parents=True)
    payload: dict = {
        **run,
        "when": datetime.now().isoformat(timespec="seconds"),
        "seconds": args.seconds,
        "core": args.core,
        "repeat": args.repeat,
        "loadavg_before": loadavg(),
    }
    try:
        m4a = workdir / "clip.m4a"
        write_clip(m4a, args.seconds)
        audio = {"copy": ["-c:a", "copy"], "aac": ["-c:a", "aac", "-b:a", str(settings_bit_rate())]}
        ours_runs: list[dict] = []
        ff_runs: dict[str, list[dict]] = {key: [] for key in audio} if ffmpeg else {}
        for i in range(args.repeat):
            log(f"run {i + 1}/{args.repeat} on cpu {args.core}")
            ours_runs.append(run_ours(m4a, workdir, args))
            for key, flags in audio.items() if ffmpeg else ():
                ff_runs[key].append(run_ffmpeg(ffmpeg, m4a, workdir / f"ffmpeg-{key}.mp4", args, flags))
            log(
                f"  ours {ours_runs[-1]['cpu_s']:.2f} s CPU"
                + "".join(f", ffmpeg {k} {r[-1]['cpu_s']:.2f} s CPU" for k, r in ff_runs.items())
            )
        ours = min(ours_runs, key=lambda r: r["cpu_s"])
        best = {key: min(r, key=lambda x: x["cpu_s"]) for key, r in ff_runs.items()}
        payload.update(ours=ours, ours_runs=[r["cpu_s"] for r in ours_runs], ffmpeg=best)
        payload["ffmpeg_runs"] = {key: [x["cpu_s"] for x in r] for key, r in ff_runs.items()}
        checks = {"ours": check(ours["out"], args.seconds)}
        checks.update({f"ffmpeg_{key}": check(r["out"], args.seconds) for key, r in best.items()})
        payload["checks"] = checks
        same = best.get("copy")
        payload["verdict"] = {
            "ratio_cpu": ours["cpu_s"] / same["cpu_s"] if same else None,
            "ratio_wall": ours["wall_s"] / same["wall_s"] if same else None,
            "ratio_met": ours["cpu_s"] / same["cpu_s"] <= TARGET_RATIO if same else None,
            "outputs_ok": all(c["ok"] for c in checks.values()),
        }
        payload["loadavg_after"] = loadavg()
        print(report(payload))
        print(run_lines(run), flush=True)
        out = RESULTS / "clip_audiogram.json"
        out.write_text(json.dumps(payload, indent=1, default=str))
        log(f"wrote {out}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
