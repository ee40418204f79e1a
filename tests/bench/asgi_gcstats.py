"""Experiment-only ASGI entry point: config.asgi's application, plus garbage-collector stats.

    python -m tests.bench.room_fanout --app tests.bench.asgi_gcstats:application ...

Every 5 s it logs to stderr (the server log in the results folder) how many collections of
each generation ran and how long they took. BENCH_GC_THRESHOLD="a,b,c" sets gc thresholds,
and BENCH_GC_FREEZE=1 freezes what exists at startup, to see what tuning the collector would
do. Not for deployment.
"""

import gc
import os
import sys
import threading
import time

from config.asgi import application  # noqa: F401 - the application being served

_stats = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
_start: dict[str, float] = {}


def _callback(phase, info):
    if phase == "start":
        _start["t"] = time.perf_counter()
    else:
        entry = _stats[info["generation"]]
        entry[0] += 1
        entry[1] += time.perf_counter() - _start.get("t", time.perf_counter())


if os.environ.get("BENCH_GC_THRESHOLD"):
    gc.set_threshold(*[int(v) for v in os.environ["BENCH_GC_THRESHOLD"].split(",")])
if os.environ.get("BENCH_GC_FREEZE"):
    gc.collect()
    gc.freeze()
gc.callbacks.append(_callback)


def _report():
    while True:
        time.sleep(5)
        parts = " ".join(f"gen{g}: {n} runs {s:.2f}s" for g, (n, s) in _stats.items())
        print(f"[gc] {time.time():.0f} thresholds={gc.get_threshold()} {parts}", file=sys.stderr, flush=True)


threading.Thread(target=_report, daemon=True).start()
