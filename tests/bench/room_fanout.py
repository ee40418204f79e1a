"""Room fan-out benchmark: N guest listeners in one live space, room-wide events, latency.

    python -m tests.bench.room_fanout [--sizes 1000,2000,5000,10000] [--events 20]

For each size it starts the site as users run it (scripts/web: uvicorn serving
config.asgi:application; `--asgi-server daphne` serves the same application on daphne as a
what-if) on PostgreSQL and the Redis channel layer, then a bare asyncio `websockets` baseline
server, drives both with the same client process (tests/bench/bench_client.py) and prints one
table. It prints the command that reproduces the run at the start and with the table. See
tests/bench/README.md.
"""

import argparse
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import psycopg

from tests.bench.bench_setup import (
    ASGI_SERVERS,
    SITE_APP,
    describe_run,
    free_port,
    run_lines,
    start_site,
    wait_port,
)

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PY = sys.executable
BIN = Path(PY).parent
# Read by the site or by tests.bench.asgi_gcstats: part of what reproduces a run when set.
ENV_READ = ("ROUNDTABLE_BATCH_INTERVAL_MS", "BENCH_GC_THRESHOLD", "BENCH_GC_FREEZE")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the children


class Processes:
    """Every child runs in its own session; stop() kills the whole process group."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict, logfile: Path, **kw) -> subprocess.Popen:
        out = open(logfile, "ab")
        try:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kw
            )
        finally:
            out.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 5) -> None:
        if proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # A group may outlive its leader (e.g. a forked helper): kill what is left.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.procs):
            self.stop(proc, grace=2)


# --- database ---------------------------------------------------------------------------------
def create_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as error:  # noqa: BLE001
        log(f"could not drop database {name}: {error}")


def clear_redis(url: str, prefix: str) -> None:
    try:
        import redis

        r = redis.Redis.from_url(url)
        keys = list(r.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            r.delete(*keys)
        r.close()
    except Exception as error:  # noqa: BLE001
        log(f"could not clear redis keys {prefix}*: {error}")


def run_checked(args: list[str], env: dict, timeout: float) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


# --- one client run ---------------------------------------------------------------------------
def run_client(procs: Processes, cfg: dict, workdir: Path, env: dict, timeout: float) -> dict:
    tag = f"{cfg['mode']}-{cfg['n']}"
    cfg_path, out_path = workdir / f"client-{tag}.json", workdir / f"result-{tag}.json"
    cfg_path.write_text(json.dumps(cfg))
    proc = subprocess.Popen(
        [PY, "-m", "tests.bench.bench_client", str(cfg_path), str(out_path)], cwd=ROOT, env=env, start_new_session=True
    )  # its progress goes to our stderr
    procs.procs.append(proc)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log(f"client {tag} passed its {timeout:.0f}s limit; killed")
    finally:
        procs.stop(proc, grace=2)
    if proc.returncode != 0 or not out_path.exists():
        return {"n": cfg["n"], "mode": cfg["mode"], "failed": f"client exited with {proc.returncode}"}
    return json.loads(out_path.read_text())


def bench_size(n: int, args, procs: Processes, env_base: dict, workdir: Path) -> list[dict]:
    n_hand = (args.events + 1) // 2
    n_react = args.events // 2
    hand_accounts = max(1, math.ceil(n_hand / 2))
    reactors = max(2, math.ceil(n_react / 8))
    accounts = json.loads(
        run_checked([PY, "-m", "tests.bench.bench_setup", f"n{n}", str(hand_accounts), str(reactors)], env_base, 120)
    )
    connect_deadline = 60 + n * args.connect_budget_ms / 1000
    common = {
        "n": n,
        "events": args.events,
        "interval": args.interval,
        "connect_concurrency": args.connect_concurrency,
        "connect_deadline": connect_deadline,
        "settle_s": args.settle,
        "drain_s": args.drain,
        "batch_interval_s": args.batch_interval_ms / 1000,
        "uvloop": not args.no_uvloop,
        "database": args.database,
        "profile_dir": str(workdir) if args.profile else None,
        "hands": accounts["hands"],
        "reactors": accounts["reactors"],
    }
    client_timeout = connect_deadline + args.settle + args.events * args.interval + args.drain + 120
    results = []

    # --- the site ---
    server, port = start_site(procs, args.asgi_server, env_base, workdir / f"{args.asgi_server}-{n}.log", args.app)
    try:
        log(f"n={n}: site on port {port} ({args.asgi_server} pid {server.pid}), space {accounts['space_id']}")
        cfg = dict(
            common,
            mode="site",
            server_pid=server.pid,
            host="127.0.0.1",
            port=port,
            url=f"ws://127.0.0.1:{port}/ws/spaces/{accounts['space_id']}/",
            origin=f"http://127.0.0.1:{port}",
        )
        result = run_client(procs, cfg, workdir, env_base, client_timeout)
        result["server_alive"] = server.poll() is None
        result["label"] = args.asgi_server  # "site" is scripts/web; "daphne" the what-if
        results.append(result)
    finally:
        procs.stop(server)

    if args.skip_baseline:
        return results + [{"n": n, "mode": "baseline", "failed": "skipped (--skip-baseline)"}]

    # --- the baseline ---
    port = free_port()
    base = procs.start([PY, "-m", "tests.bench.baseline_server", str(port)], env_base, workdir / f"baseline-{n}.log")
    try:
        wait_port(port, base)
        log(f"n={n}: baseline on port {port} (pid {base.pid})")
        cfg = dict(
            common,
            mode="baseline",
            server_pid=base.pid,
            host="127.0.0.1",
            port=port,
            url=f"ws://127.0.0.1:{port}/ws/spaces/1/",
            control_url=f"ws://127.0.0.1:{port}/control",
            origin=f"http://127.0.0.1:{port}",
        )
        result = run_client(procs, cfg, workdir, env_base, client_timeout)
        result["server_alive"] = base.poll() is None
        results.append(result)
    finally:
        procs.stop(base)
    return results


# --- reporting ------------------------------------------------------------------------------------
def fmt(value, spec: str = ".0f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def ratios(site: dict, base: dict) -> dict:
    def ratio(a, b):
        return a / b if a is not None and b else None

    out = {}
    for kind in ("hand", "react", "all"):
        out[f"p95_{kind}"] = ratio(site["latency"][kind]["p95_ms"], base["latency"][kind]["p95_ms"])
    out["cpu_per_delivery"] = ratio(site.get("server_cpu_s_per_1000"), base.get("server_cpu_s_per_1000"))
    site_total = (site.get("server_cpu_events_s") or 0) + (site.get("aux_cpu_events_s") or 0)
    out["cpu_per_delivery_incl_pg_redis"] = ratio(
        site_total / site["deliveries"] * 1000 if site.get("deliveries") else None, base.get("server_cpu_s_per_1000")
    )
    out["rss_end"] = ratio(site.get("server_rss_end_mb"), base.get("server_rss_end_mb"))
    return out


def print_table(rows: list[dict], comparisons: list[dict]) -> None:
    head = (
        f"{'N':>6} {'server':<8} {'conn s':>7} {'fail':>4} | {'hand p50':>8} {'p95':>6} {'p99':>6} "
        f"| {'react p50':>9} {'p95':>6} {'p99':>6} | {'all p95':>7} {'lost':>6} | {'RSS conn':>8} {'RSS end':>7} "
        f"| {'CPU s':>6} {'s/1k':>6} {'pg+rds':>6} {'cli%':>4} {'oth%':>4}"
    )
    print()
    print("Latency in ms (send on a control socket -> receipt on each listener); RSS in MB; CPU s = server")
    print("process CPU during the event phase; s/1k = server CPU s per 1000 deliveries; pg+rds = PostgreSQL+Redis")
    print("CPU s in the same window; cli% = client process CPU busy during the event phase (100 = one core);")
    print("oth% = share of the machine's CPU (all cores) used by other processes in that window: above ~20%")
    print("the latencies are inflated by jobs that are not part of the benchmark.")
    print(head)
    print("-" * len(head))
    for r in rows:
        if r.get("failed"):
            print(f"{r['n']:>6} {r.get('label', r['mode']):<8} FAILED: {r['failed']}")
            continue
        lat = r["latency"]
        print(
            f"{r['n']:>6} {r.get('label', r['mode']):<8} {r['connect_s']:>7.1f} {r['connect_failures']:>4} | "
            f"{fmt(lat['hand']['p50_ms']):>8} {fmt(lat['hand']['p95_ms']):>6} {fmt(lat['hand']['p99_ms']):>6} | "
            f"{fmt(lat['react']['p50_ms']):>9} {fmt(lat['react']['p95_ms']):>6} {fmt(lat['react']['p99_ms']):>6} | "
            f"{fmt(lat['all']['p95_ms']):>7} {lat['all']['lost']:>6} | "
            f"{fmt(r.get('server_rss_connected_mb')):>8} {fmt(r.get('server_rss_end_mb')):>7} | "
            f"{fmt(r.get('server_cpu_events_s'), '.2f'):>6} {fmt(r.get('server_cpu_s_per_1000'), '.3f'):>6} "
            f"{fmt(r.get('aux_cpu_events_s'), '.2f'):>6} {fmt(100 * r['client_cpu_busy']):>4} "
            f"{fmt(100 * r.get('other_cpu_share', 0)):>4}"
        )
    if comparisons:
        print()
        print("Site / baseline ratios (target: p95 <= 500 ms, lost = 0, cost <= 3x baseline)")
        print(
            f"{'N':>6} | {'p95 hand':>8} {'p95 react':>9} {'p95 all':>7} | {'CPU/delivery':>12} {'incl pg+redis':>13} | "
            f"{'RSS end':>7} | verdict"
        )
        for c in comparisons:
            x = c["ratios"]
            print(
                f"{c['n']:>6} | {fmt(x['p95_hand'], '.1f'):>8} {fmt(x['p95_react'], '.1f'):>9} "
                f"{fmt(x['p95_all'], '.1f'):>7} | {fmt(x['cpu_per_delivery'], '.2f'):>12} "
                f"{fmt(x['cpu_per_delivery_incl_pg_redis'], '.2f'):>13} | {fmt(x['rss_end'], '.1f'):>7} | {c['verdict']}"
            )
    print()


def verdict(site: dict, base: dict, x: dict) -> str:
    if site.get("failed") or base.get("failed"):
        return "run failed"
    problems = []
    p95 = site["latency"]["all"]["p95_ms"]
    if p95 is None or p95 > 500:
        problems.append(f"p95 {fmt(p95)} ms > 500")
    lost = site["latency"]["all"]["lost"] + site["connect_failures"]
    if lost:
        problems.append(f"{lost} lost/failed")
    if x["cpu_per_delivery"] is None or x["cpu_per_delivery"] > 3:
        problems.append(f"CPU {fmt(x['cpu_per_delivery'], '.1f')}x baseline")
    if site["client_cpu_busy"] > 0.9 or base["client_cpu_busy"] > 0.9:
        problems.append("client-limited")
    return "OK" if not problems else "MISS: " + "; ".join(problems)


def _terminate(signum, frame):
    raise KeyboardInterrupt()


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,5000,10000", help="listener counts, comma-separated")
    parser.add_argument(
        "--events", type=int, default=20, help="room-wide events per size (hand and reaction alternate)"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--connect-concurrency", type=int, default=64, help="handshakes in flight at once")
    parser.add_argument(
        "--connect-budget-ms", type=float, default=30, help="connect deadline: 60 s + this per listener"
    )
    parser.add_argument("--settle", type=float, default=2.0, help="quiet seconds between connecting and the events")
    parser.add_argument("--drain", type=float, default=15.0, help="max wait after the last event for stragglers")
    parser.add_argument("--database", default="roundtable_bench")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record py-spy profiles of the servers (connect and event phases) into the log folder",
    )
    parser.add_argument(
        "--asgi-server",
        choices=ASGI_SERVERS,
        default="site",
        help="site: scripts/web (uvicorn, as deployed); daphne: the same app on daphne, for comparison",
    )
    parser.add_argument(
        "--app", default=SITE_APP, help="the ASGI application daphne serves (scripts/web always serves the site's)"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="run the site only (no ratios)")
    parser.add_argument("--no-uvloop", action="store_true", help="run the client on asyncio's own loop")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database at the end")
    return parser


def main() -> int:
    parser = arguments()
    args = parser.parse_args()
    if args.app != SITE_APP and args.asgi_server == "site":
        parser.error(f"--app needs --asgi-server daphne: scripts/web serves {SITE_APP} only")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    run = describe_run("room_fanout", parser, args, ENV_READ)
    print(run_lines(run), flush=True)
    args.batch_interval_ms = int(os.environ.get("ROUNDTABLE_BATCH_INTERVAL_MS", "400"))

    raise_fd_limit()
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="room_fanout-", dir=RESULTS))
    prefix = f"rtbench{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{args.database}",
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": prefix,
            "ROUNDTABLE_VAR_DIR": str(workdir / "var"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("DJANGO_DEBUG", None)

    procs = Processes()
    previous = signal.signal(signal.SIGTERM, _terminate)
    rows: list[dict] = []
    comparisons: list[dict] = []
    started = time.monotonic()
    try:
        log(f"creating database {args.database} and migrating (logs in {workdir})")
        create_database(args.database)
        run_checked([PY, "manage.py", "migrate", "--noinput"], env, 300)
        for n in sizes:
            site, base = bench_size(n, args, procs, env, workdir)
            rows += [site, base]
            if not site.get("failed") and not base.get("failed"):
                x = ratios(site, base)
                comparisons.append({"n": n, "ratios": x, "verdict": verdict(site, base, x)})
            else:
                comparisons.append({"n": n, "ratios": {}, "verdict": "run failed"})
        return_code = 0
    except KeyboardInterrupt:
        log("interrupted")
        return_code = 130
    except Exception:  # noqa: BLE001 - report what ran, then fail
        traceback.print_exc()
        return_code = 1
    finally:
        procs.stop_all()
        signal.signal(signal.SIGTERM, previous)
        clear_redis(redis_url, prefix)
        if not args.keep_db:
            drop_database(args.database)

    comparisons = [c for c in comparisons if c["ratios"]]
    print_table(rows, comparisons)
    print(run_lines(run), flush=True)
    payload = {
        **run,
        "settings": {k: v for k, v in vars(args).items()},
        "machine": {"cpus": os.cpu_count(), "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)},
        "wall_s": time.monotonic() - started,
        "logs": str(workdir),
        "results": rows,
        "comparisons": comparisons,
    }
    out = RESULTS / "room_fanout.json"
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False))
    log(f"results in {out}; wall time {payload['wall_s']:.0f}s")
    return return_code


if __name__ == "__main__":
    sys.exit(main())
