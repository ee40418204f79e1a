"""Clip-render benchmark: a 30 s clip near the end of a 3-hour space, beside the same clip of a
5-minute space in the same run (the cost should follow the clip, not the recording).

    python -m tests.bench.clip_render [--long 10800] [--short 300] [--repeat 7]

1. Tracks: recording_finalize's generator (four tone speakers talking in turns, back-to-back
   6 s FLAC chunks written as the engine writes them), cached in var/bench/recording_finalize/.
   A temporary MEDIA_ROOT links them in as space 1 (3 hours) and their last 5 minutes as space 2
   (chunk files linked under their start in that space), so both clips are the same audio; the
   clips' files are written there. A throwaway SQLite database holds the rows (migrated here).
2. For each space: a replay clip of `--clip` seconds ending `--from-end` seconds before the end,
   its audible speakers (clips.audio.audible_speakers) all answered yes.
3. Timed, in this process pinned to one core, alternating spaces, `--repeat` times each: the
   whole clip path, audible-speaker detection + clips.rendering.render_clip (mix of the
   consenting voices, loudness, M4A + MP3 encode, store, the database update). Wall and CPU
   (time.process_time) of each; medians are reported. Also: FLAC chunks decoded per clip, and
   the time to list a track's chunks (the one cost that still grows with the recording).
4. Checks every render (state "ready", 30 s long, its voices the audible ones) and prints the
   3 h and 5 min medians, their ratio (target <= 1.5x) and the 3 h time (target <= 1 s);
   writes tests/bench/results/clip_render.json.

`--without-skip` makes TrackReader decode every chunk before the range as it did before it
skipped them (for the before/after figures in tests/bench/README.md).

It prints the command that reproduces the run (every option, defaults included), the commit and
the date at the start and with the table.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from tests.bench.bench_setup import describe_run, run_lines
from tests.bench.recording_finalize import CHUNK_SECONDS, SPEAKERS, generate, loadavg

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 1.5
TARGET_SECONDS = 1.0
SOURCE_SPACE = 1  # the generator's space id inside its cache


def log(msg: str) -> None:
    print(f"[clip-bench] {msg}", file=sys.stderr, flush=True)


def media_root(cache: Path, long_s: int, short_s: int) -> Path:
    """A temporary folder holding media/ (MEDIA_ROOT) and, later, the database. Space 1 is the
    cached space (a link to its folder); space 2 is its last `short_s` seconds moved to the
    start of a space of their own (each chunk a link under its new start), so both clips hold
    the same audio and only the length of the recording differs."""
    root = Path(tempfile.mkdtemp(prefix="roundtable-clip-bench-"))
    spaces = root / "media" / "spaces"
    spaces.mkdir(parents=True)
    source = cache / "spaces" / str(SOURCE_SPACE)
    (spaces / "1").symlink_to(source, target_is_directory=True)
    offset_ms = (long_s - short_s) * 1000
    for user, _, _ in SPEAKERS:
        folder = spaces / "2" / "tracks" / str(user)
        folder.mkdir(parents=True)
        for chunk in sorted((source / "tracks" / str(user)).glob("*.flac")):
            start_ms = int(chunk.stem)
            if start_ms >= offset_ms:
                (folder / f"{start_ms - offset_ms:010d}.flac").symlink_to(chunk)
    (spaces / "2" / "closed").write_text("closed\n")
    return root


def setup_django(root: Path) -> None:
    os.environ["MEDIA_ROOT"] = str(root / "media")
    os.environ["SQLITE_PATH"] = str(root / "bench.sqlite3")
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_clip(space_id: int, host, duration_s: int, args) -> tuple:
    """A replay clip of the space's last seconds, every audible voice a yes."""
    from django.utils import timezone

    from clips import audio
    from clips.models import Clip, Voice
    from rooms.models import Space
    from tests.factories import SpaceFactory, UserFactory

    SpaceFactory(id=space_id, host=host, state=Space.State.ENDED, ended_at=timezone.now())
    end_ms = round((duration_s - args.from_end) * 1000)
    ranges = [[end_ms - args.clip * 1000, end_ms]]
    audible = audio.audible_speakers(space_id, [tuple(r) for r in ranges])
    clip = Clip.objects.create(
        space_id=space_id,
        creator=host,
        source=Clip.Source.REPLAY,
        ranges=ranges,
        replay_ms=ranges[0][0],
        title=f"The end of a {duration_s} s space",
        state=Clip.State.RENDERING,
        version=1,
    )
    for user in audible:
        Voice.objects.create(
            clip=clip,
            speaker=UserFactory(id=user, username=f"speaker{user}"),
            answer=Voice.Answer.YES,
            expires_at=timezone.now() + timedelta(hours=1),
        )
    return clip, audible


class Decodes:
    """Counts the FLAC chunks TrackReader decodes."""

    def __init__(self):
        from recordings.audio import mixdown

        self.count, self.decode = 0, mixdown.decode_file
        mixdown.decode_file = self

    def __call__(self, data: bytes):
        self.count += 1
        return self.decode(data)


def run_once(clip, audible: list[int], decodes: Decodes) -> dict:
    """Detection + render of the clip; the version is bumped first so that it renders again."""
    from clips import audio
    from clips.models import Clip
    from clips.rendering import render_clip

    Clip.objects.filter(pk=clip.pk).update(version=clip.version + 1)
    clip.version += 1
    ranges = [tuple(r) for r in clip.ranges]
    before, cpu, wall = decodes.count, time.process_time(), time.perf_counter()
    found = audio.audible_speakers(clip.space_id, ranges)
    detect_wall, detect_cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = render_clip(clip.pk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = Clip.objects.get(pk=clip.pk)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "detect_wall_s": detect_wall,
        "detect_cpu_s": detect_cpu,
        "decoded_chunks": decodes.count - before,
        "ok": result == "ready"
        and found == audible
        and done.heard == audible
        and done.duration_ms == clip.length_ms
        and bool(done.m4a and done.mp3),
    }


def listing_seconds(space_id: int, repeat: int = 20) -> tuple[int, float]:
    """Chunks in one track, and the median time to list and sort them (TrackReader's setup)."""
    from recordings.audio.mixdown import TrackReader

    user = SPEAKERS[0][0]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        reader = TrackReader(space_id, user)
        times.append(time.perf_counter() - started)
    return len(reader.chunks), statistics.median(times)


def summary(runs: list[dict]) -> dict:
    return {
        key: statistics.median(r[key] for r in runs)
        for key in ("wall_s", "cpu_s", "detect_wall_s", "detect_cpu_s", "decoded_chunks")
    } | {"runs_wall_s": [round(r["wall_s"], 4) for r in runs], "all_ok": all(r["ok"] for r in runs)}


def report(payload: dict) -> str:
    long, short = payload["long"], payload["short"]
    lines = [
        f"clip render: a {payload['clip_s']} s clip ending {payload['from_end_s']} s before the end, "
        f"{len(SPEAKERS)} tone speakers, one core (cpu {payload['core']}), median of {payload['repeat']}"
        + (" -- WITHOUT skipping (as before)" if payload["without_skip"] else ""),
        "",
        f"{'':22} {'wall s':>8} {'CPU s':>8} {'detect wall s':>14} {'chunks decoded':>15} "
        f"{'audible':>14} {'track listing':>20}",
    ]
    for name, r in (("3 h" if long["duration_s"] == 10800 else f"{long['duration_s']} s", long), ("baseline", short)):
        label = f"{name} ({r['duration_s']} s)"
        lines.append(
            f"{label:22} {r['wall_s']:8.3f} {r['cpu_s']:8.3f} {r['detect_wall_s']:14.3f} {r['decoded_chunks']:15.0f} "
            f"{','.join(map(str, r['audible'])):>14} {r['chunks_per_track']:5d} in {r['listing_s'] * 1000:6.2f} ms"
        )
    v = payload["verdict"]
    lines += [
        f"{'ratio long / short':22} {v['ratio_wall']:7.2f}x {v['ratio_cpu']:7.2f}x",
        f"target <= {TARGET_RATIO}x the short space's time: {'met' if v['ratio_met'] else 'MISSED'}; "
        f"<= {TARGET_SECONDS:.0f} s for the long one: {'met' if v['seconds_met'] else 'MISSED'}; "
        f"renders: {'ok' if v['outputs_ok'] else 'WRONG'}",
        f"wall of each run, long: {long['runs_wall_s']}",
        f"wall of each run, short: {short['runs_wall_s']}",
        f"load average before / after: {payload['loadavg_before']} / {payload['loadavg_after']}",
    ]
    return "\n".join(lines)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--long", type=int, default=10800, help="seconds of the long space (default 3 h)")
    parser.add_argument("--short", type=int, default=300, help="seconds of the baseline space: the long one's end")
    parser.add_argument("--clip", type=int, default=30, help="seconds of the clip")
    parser.add_argument("--from-end", type=float, default=7.5, help="the clip ends this many seconds before the end")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each space, medians reported")
    parser.add_argument("--core", type=int, default=max(os.sched_getaffinity(0)), help="CPU to pin to")
    parser.add_argument("--without-skip", action="store_true", help="decode every chunk before the range")
    parser.add_argument("--keep", action="store_true", help="keep the temporary MEDIA_ROOT and database")
    return parser


def main() -> None:
    parser = arguments()
    args = parser.parse_args()
    if (
        args.long % CHUNK_SECONDS
        or args.short % CHUNK_SECONDS
        or not args.clip + args.from_end <= args.short < args.long
    ):
        parser.error(f"--long > --short, both multiples of {CHUNK_SECONDS} s, and --short must hold the clip")
    run = describe_run("clip_render", parser, args)
    print(run_lines(run), flush=True)
    os.sched_setaffinity(0, {args.core})

    # The generator needs Django's settings (FLAC encoding); the real setup comes after it.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    root = media_root(generate(args.long), args.long, args.short)
    payload: dict = {
        **run,
        "when": datetime.now().isoformat(timespec="seconds"),
        "clip_s": args.clip,
        "from_end_s": args.from_end,
        "core": args.core,
        "repeat": args.repeat,
        "without_skip": args.without_skip,
        "loadavg_before": loadavg(),
    }
    try:
        setup_django(root)
        from recordings.audio import mixdown
        from tests.factories import UserFactory

        if args.without_skip:
            mixdown.LONGEST_CHUNK = 1 << 62  # nothing can be ruled out before decoding it
        decodes = Decodes()
        host = UserFactory(username="host")
        spaces = {1: args.long, 2: args.short}
        clips = {space_id: make_clip(space_id, host, duration, args) for space_id, duration in spaces.items()}
        for space_id, (clip, audible) in clips.items():
            log(f"space {space_id} ({spaces[space_id]} s): clip {clip.ranges}, audible {audible}; warming up")
            run_once(clip, audible, decodes)  # imports, codec set-up and the page cache
        runs: dict[int, list[dict]] = {1: [], 2: []}
        for i in range(args.repeat):
            for space_id, (clip, audible) in clips.items():
                runs[space_id].append(run_once(clip, audible, decodes))
            log(f"run {i + 1}/{args.repeat}: long {runs[1][-1]['wall_s']:.3f} s, short {runs[2][-1]['wall_s']:.3f} s")
        for key, space_id in (("long", 1), ("short", 2)):
            chunks, listing = listing_seconds(space_id)
            payload[key] = summary(runs[space_id]) | {
                "duration_s": spaces[space_id],
                "audible": clips[space_id][1],
                "chunks_per_track": chunks,
                "listing_s": listing,
            }
        long, short = payload["long"], payload["short"]
        payload["verdict"] = {
            "ratio_wall": long["wall_s"] / short["wall_s"],
            "ratio_cpu": long["cpu_s"] / short["cpu_s"],
            "ratio_met": long["wall_s"] / short["wall_s"] <= TARGET_RATIO,
            "seconds_met": long["wall_s"] <= TARGET_SECONDS,
            "outputs_ok": long["all_ok"] and short["all_ok"],
        }
        payload["loadavg_after"] = loadavg()
        print(report(payload))
        print(run_lines(run), flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = "clip_render-without-skip.json" if args.without_skip else "clip_render.json"
        (RESULTS / name).write_text(json.dumps(payload, indent=1, default=str))
        log(f"wrote {RESULTS / name}")
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
