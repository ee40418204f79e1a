"""The client side of the fan-out benchmark, run in its own process:

    python -m tests.bench.bench_client CONFIG.json RESULT.json

It opens the control sockets (site: the logged-in hand-raising and reacting accounts;
baseline: one /control socket), then N guest listener sockets with bounded concurrency,
waits for each one's snapshot, sends `events` room-wide events at a fixed pace, and records
when each listener received each event. Send and receive times are taken in this one
process with time.monotonic(), so they are on the same clock.

Events alternate: hand events (hand.raise / hand.lower of a fresh account each pair, which
reach everyone as `participant.updated`) and reactions (which reach everyone inside a
`batch`). Each event has a key that the listener can read from the text it receives, so
matching needs no ordering assumptions:
  hand event      -> (user_id, raised?) of the participant.updated
  reaction event  -> (user_id, emoji) in the batch's recent_reactions
A batch that carries several reactions delivers all of them; each reaction's latency is
measured from its own send, so a batch is measured from the first reaction in it.

The server's RSS and CPU time are read from /proc/<pid> at the phase boundaries.
"""

import asyncio
import json
import os
import re
import resource
import sys
import time

from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

REACTIONS = ("👏", "😂", "❤️", "🔥", "💯", "🙌", "🤔", "😮")
CLK_TCK = os.sysconf("SC_CLK_TCK")
USER_ID = re.compile(r'"user_id":(\d+)')


# --- /proc readings ---------------------------------------------------------------
def proc_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def proc_cpu_s(pid: int) -> float | None:
    """utime + stime of the process (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class AuxCpu:
    """CPU seconds used in a window by the PostgreSQL backends serving the bench database
    and by the Redis server (shared with whatever else runs on the machine).

    Backends come and go (Django closes a connection older than CONN_MAX_AGE and opens a
    new one), so the processes are polled every 0.25 s and new backends are picked up; a
    backend that exits loses at most its last 0.25 s."""

    def __init__(self, database: str | None):
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.task: asyncio.Task | None = None

    def _backends(self) -> list[int]:
        if not self.database:
            return []
        try:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)).fetchall()
            return [row[0] for row in rows]
        except Exception:  # noqa: BLE001 - the figure is informative only
            return []

    def _sample(self, pids, new_start_at_zero: bool) -> None:
        for pid in pids:
            cpu = proc_cpu_s(pid)
            if cpu is None:
                continue
            if pid not in self.first:
                self.first[pid] = 0.0 if new_start_at_zero else cpu
            self.last[pid] = cpu

    def start(self) -> None:
        redis = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/comm") as f:
                        if f.read().strip() == "redis-server":
                            redis.append(int(entry))
                except OSError:
                    continue
        self._sample(redis + self._backends(), new_start_at_zero=False)
        self.task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._sample(list(self.first), new_start_at_zero=False)

    def stop(self) -> float:
        if self.task:
            self.task.cancel()
        self._sample(list(self.first), new_start_at_zero=False)
        # Backends that appeared in the window started after it began: all their CPU counts.
        self._sample([pid for pid in self._backends() if pid not in self.first], new_start_at_zero=True)
        return sum(self.last[pid] - self.first[pid] for pid in self.first)


def system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already in user
    return (total - idle) / CLK_TCK, total / CLK_TCK


def self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Profiler:
    """py-spy on the server for one phase (only with --profile): raw collapsed stacks."""

    def __init__(self, cfg: dict, phase: str):
        self.proc = None
        directory = cfg.get("profile_dir")
        if not directory:
            return
        import shutil
        import subprocess

        spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
        self.path = os.path.join(directory, f"profile-{cfg['mode']}-{cfg['n']}-{phase}.txt")
        self.proc = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(cfg["server_pid"]),
                "--rate",
                "200",
                "--nonblocking",
                "--threads",
                "--format",
                "raw",
                "--output",
                self.path,
                "--duration",
                "600",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        import signal
        import subprocess

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def encode(event: dict) -> str:
    """Same serialization as rooms/events.py: what the site's hub writes to sockets."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


# --- the plan of events -----------------------------------------------------------------
def plan_events(cfg: dict) -> list[dict]:
    """Alternate hand and reaction events; every one with a key unique in this run."""
    events = []
    hands, reactors = cfg["hands"], cfg["reactors"]
    n_hand = n_react = 0
    for k in range(cfg["events"]):
        if k % 2 == 0:
            account = hands[n_hand // 2]
            raised = n_hand % 2 == 0
            events.append(
                {"kind": "hand", "account": n_hand // 2, "raised": raised, "key": (account["user_id"], raised)}
            )
            n_hand += 1
        else:
            r = n_react % len(reactors)
            emoji = REACTIONS[(n_react // len(reactors)) % len(REACTIONS)]
            events.append({"kind": "react", "account": r, "emoji": emoji, "key": (reactors[r]["user_id"], emoji)})
            n_react += 1
    keys = [e["key"] for e in events]
    assert len(set(keys)) == len(keys), "event keys must be unique: add hand accounts or reactors"
    return events


def baseline_text(cfg: dict, event: dict, n: int) -> str:
    """The text the site would send for this event, for the baseline server to broadcast."""
    if event["kind"] == "hand":
        account = cfg["hands"][event["account"]]
        return encode(
            {
                "type": "participant.updated",
                "participant": {
                    "user_id": account["user_id"],
                    "username": account["username"],
                    "name": account["username"],
                    "role": "listener",
                    "muted": True,
                    "muted_by_moderator": False,
                    "hand_raised_at": "2025-01-01T12:00:00.123456+00:00" if event["raised"] else None,
                    "invited": False,
                    "present": True,
                },
            }
        )
    account = cfg["reactors"][event["account"]]
    return encode(
        {
            "type": "batch",
            "reactions": {event["emoji"]: 1},
            "recent_reactions": [{"emoji": event["emoji"], "user_id": account["user_id"], "name": account["username"]}],
            "joined": [],
            "left": [],
            "listener_count": n,
        }
    )


# --- the recorder -------------------------------------------------------------------------
class Recorder:
    """Per (event, listener): received or not, and when. Kept cheap: one dict lookup per
    message (texts are cached, since all listeners get the same text)."""

    def __init__(self, n: int, events: list[dict]):
        self.n = n
        self.events = events
        self.hand_keys = {e["key"]: i for i, e in enumerate(events) if e["kind"] == "hand"}
        self.react_keys = {e["key"]: i for i, e in enumerate(events) if e["kind"] == "react"}
        self.sent = [None] * len(events)
        self.got = [bytearray(n) for _ in events]
        self.times: list[list[float]] = [[] for _ in events]
        self.received = 0  # (event, listener) pairs
        self.duplicates = 0
        self.cache: dict[str, tuple] = {}

    def classify(self, text: str) -> tuple:
        if '"participant.updated"' in text:
            m = USER_ID.search(text)
            if not m:
                return ()
            i = self.hand_keys.get((int(m.group(1)), '"hand_raised_at":null' not in text))
            return () if i is None else (i,)
        if text.startswith('{"type":"batch"'):
            try:
                data = json.loads(text)
            except ValueError:
                return ()
            found = []
            for r in data.get("recent_reactions", ()):
                i = self.react_keys.get((r.get("user_id"), r.get("emoji")))
                if i is not None and i not in found:
                    found.append(i)
            return tuple(found)
        return ()

    def on_message(self, lid: int, text) -> None:
        t = time.monotonic()
        idxs = self.cache.get(text)
        if idxs is None:
            if not isinstance(text, str):
                return
            idxs = self.classify(text)
            if len(self.cache) < 50_000:
                self.cache[text] = idxs
        for i in idxs:
            got = self.got[i]
            if got[lid]:
                self.duplicates += 1
            else:
                got[lid] = 1
                self.times[i].append(t)
                self.received += 1


# --- sockets ----------------------------------------------------------------------------------
class LeanListener(asyncio.Protocol):
    """A listener socket built for 10,000 in one client process.

    websockets' Sans-I/O ClientProtocol does the opening handshake (and builds the pong and
    close frames); after it, server frames (never masked) are parsed here straight from
    data_received, with no task, queue or future per message, and each text message goes to
    `on_text(lid, text)` as soon as its bytes are read. One websockets.asyncio.client
    connection per listener cost ~35-40 us of client CPU per message, which made the client
    the bottleneck of the measurement at a few thousand listeners.
    """

    def __init__(self, url: str, origin: str, lid: int, on_text, on_closed):
        self.ws = ClientProtocol(parse_uri(url), origin=origin, max_size=2**20)
        self.lid = lid
        self.on_text = on_text
        self.on_closed = on_closed
        self.transport = None
        self.open = False
        loop = asyncio.get_running_loop()
        self.opened = loop.create_future()
        self.snapshot = loop.create_future()
        self.before_snapshot = 0
        self.buffer = b""
        self.fragments: list[bytes] | None = None
        self.close_code = None

    def connection_made(self, transport):
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        for data in self.ws.data_to_send():
            transport.write(data)

    def data_received(self, data):
        if not self.open:
            self._handshake(data)
            return
        buf = self.buffer + data if self.buffer else data
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if b1 & 0x80 or end - pos < head + length:
                if b1 & 0x80:  # a masked server frame is a protocol error
                    self.abort()
                    return
                break
            payload = buf[pos + head : pos + head + length]
            pos += head + length
            opcode = b0 & 0x0F
            if opcode == 1:  # text
                if b0 & 0x80:
                    self._text(payload.decode())
                else:
                    self.fragments = [payload]
            elif opcode == 0 and self.fragments is not None:
                self.fragments.append(payload)
                if b0 & 0x80:
                    whole, self.fragments = b"".join(self.fragments), None
                    self._text(whole.decode())
            elif opcode == 9:  # ping: answer, as browsers do
                self.transport.write(Frame(Opcode.PONG, payload).serialize(mask=True))
            elif opcode == 8:  # close
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.abort()
                return
        self.buffer = buf[pos:] if pos < end else b""

    def _handshake(self, data):
        # Hand websockets exactly the response head, so that its parser holds no frame
        # bytes afterwards; what follows the head goes to the frame parser above.
        self.buffer += data
        cut = self.buffer.find(b"\r\n\r\n")
        if cut < 0:
            if len(self.buffer) > 65536:
                self._fail(ConnectionError("response head too long"))
            return
        head, rest = self.buffer[: cut + 4], self.buffer[cut + 4 :]
        self.buffer = b""
        if not head.startswith(b"HTTP/1.1 101"):
            self._fail(ConnectionError(head.split(b"\r\n", 1)[0].decode("latin1")))
            return
        ws = self.ws
        ws.receive_data(head)
        for event in ws.events_received():
            if isinstance(event, Response):
                if ws.handshake_exc is not None:
                    self._fail(ws.handshake_exc)
                    return
                self.open = True
                self.opened.set_result(None)
        if not self.open:
            self._fail(ConnectionError("no handshake response"))
        elif rest:
            self.data_received(rest)

    def _fail(self, error):
        if not self.opened.done():
            self.opened.set_exception(error)
        self.abort()

    def _text(self, text: str):
        if self.snapshot.done():
            self.on_text(self.lid, text)
        elif '"snapshot"' in text[:40]:
            self.snapshot.set_result(None)
        else:
            self.before_snapshot += 1

    def connection_lost(self, exc):
        error = exc or ConnectionError(f"closed (code {self.close_code})")
        for fut in (self.opened, self.snapshot):
            if not fut.done():
                fut.set_exception(error)
        if self.snapshot.done() and not self.snapshot.exception():
            self.on_closed(self)

    def abort(self):
        if self.transport is not None:
            self.transport.abort()


def is_snapshot(text) -> bool:
    return isinstance(text, str) and '"snapshot"' in text[:40]


async def open_socket(url: str, origin: str, cookie: str | None, timeout: float):
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else None
    return await connect(
        url,
        origin=origin,
        additional_headers=headers,
        compression=None,  # browsers offer it, but daphne/autobahn declines it; equal for both servers
        ping_interval=None,  # browsers do not ping; the servers ping (every 20 s)
        open_timeout=timeout,
        close_timeout=1,
        max_queue=64,
    )


async def wait_snapshot(ws, timeout: float) -> int:
    """Read until the snapshot; returns how many other messages came before it."""
    before = 0
    async with asyncio.timeout(timeout):
        while True:
            text = await ws.recv()
            if is_snapshot(text):
                return before
            before += 1


async def run(cfg: dict) -> dict:
    raise_fd_limit()
    n = cfg["n"]
    url, origin = cfg["url"], cfg["origin"]
    server_pid = cfg["server_pid"]
    site = cfg["mode"] == "site"
    events = plan_events(cfg)
    rec = Recorder(n, events)
    out: dict = {"n": n, "mode": cfg["mode"], "errors": []}

    def log(msg: str) -> None:
        print(f"[client {cfg['mode']} n={n}] {msg}", file=sys.stderr, flush=True)

    sockets: list = []
    tasks: list[asyncio.Task] = []
    control_errors: list[str] = []
    closed = {"listeners": 0, "codes": {}}

    async def control_reader(ws, name):
        try:
            async for text in ws:
                if isinstance(text, str) and '"type": "error"' in text[:20]:
                    control_errors.append(f"{name}: {text[:200]}")
        except ConnectionClosed:
            pass

    def listener_closed(listener):
        closed["listeners"] += 1
        code = str(listener.close_code)
        closed["codes"][code] = closed["codes"].get(code, 0) + 1

    # 1. control sockets
    controls: dict = {"hands": [], "reactors": [], "control": None}
    if site:
        for group in ("hands", "reactors"):
            for account in cfg[group]:
                ws = await open_socket(url, origin, account["session"], 30)
                await wait_snapshot(ws, 30)
                sockets.append(ws)
                controls[group].append(ws)
                tasks.append(asyncio.create_task(control_reader(ws, account["username"])))
    else:
        ws = await open_socket(cfg["control_url"], origin, None, 30)
        sockets.append(ws)
        controls["control"] = ws
    log(f"{len(sockets)} control socket(s) open")

    # 2. listeners, with bounded concurrency
    sem = asyncio.Semaphore(cfg["connect_concurrency"])
    failures: list[str] = []
    pre_snapshot = 0
    connected = [None] * n

    loop = asyncio.get_running_loop()
    host, port = cfg["host"], cfg["port"]

    async def open_listener(lid: int):
        nonlocal pre_snapshot
        async with sem:
            made: list[LeanListener] = []

            def factory():
                made.append(LeanListener(url, origin, lid, rec.on_message, listener_closed))
                return made[0]

            try:
                async with asyncio.timeout(60):
                    await loop.create_connection(factory, host, port)
                    await made[0].opened
                    await made[0].snapshot
            except BaseException as error:  # counted and reported; cancelled at the connect deadline
                failures.append(f"{type(error).__name__}: {error}"[:200])
                if made:
                    made[0].abort()  # a socket not counted must not record deliveries
                if isinstance(error, asyncio.CancelledError):
                    raise
                return
            listener = made[0]
            pre_snapshot += listener.before_snapshot
            connected[lid] = listener
            sockets.append(listener)

    profiler = Profiler(cfg, "connect")
    t0 = time.monotonic()
    cpu0 = proc_cpu_s(server_pid)
    connect_deadline = cfg["connect_deadline"]
    openers = [asyncio.create_task(open_listener(i)) for i in range(n)]
    try:
        async with asyncio.timeout(connect_deadline):
            done = 0
            for fut in asyncio.as_completed(openers):
                await fut
                done += 1
                if done % max(1, n // 10) == 0:
                    log(f"{done}/{n} connected+snapshot after {time.monotonic() - t0:.1f}s")
    except TimeoutError:
        out["errors"].append(f"connect phase passed its deadline of {connect_deadline}s")
        for t in openers:
            t.cancel()
    connect_s = time.monotonic() - t0
    profiler.stop()
    n_ok = sum(1 for ws in connected if ws is not None)
    out.update(
        {
            "connect_s": connect_s,
            "connected": n_ok,
            "connect_failures": n - n_ok,
            "connect_failure_samples": sorted(set(failures))[:5],
            "messages_before_snapshot": pre_snapshot,
            "server_cpu_connect_s": (proc_cpu_s(server_pid) or 0) - (cpu0 or 0),
        }
    )
    log(f"connected {n_ok}/{n} in {connect_s:.1f}s ({n - n_ok} failed)")

    # 3. let the joins' batches settle, then measure memory and start the clock
    idle0, idle_t0 = proc_cpu_s(server_pid), time.monotonic()
    await asyncio.sleep(cfg["settle_s"])
    out["server_rss_connected_mb"] = proc_rss_mb(server_pid)
    # What the server burns with everyone connected and nothing happening (pings, timers).
    out["server_cpu_idle_share"] = ((proc_cpu_s(server_pid) or 0) - (idle0 or 0)) / (time.monotonic() - idle_t0)

    # 4. events at a fixed pace
    interval = cfg["interval"]
    batch_delay = cfg["batch_interval_s"]
    texts = [baseline_text(cfg, e, n) for e in events] if not site else None
    aux = AuxCpu(cfg.get("database"))
    aux.start()
    cpu_start, self_start = proc_cpu_s(server_pid), self_cpu_s()
    sys_start = system_cpu()
    profiler = Profiler(cfg, "events")
    wall_start = time.monotonic()
    late = []
    for k, event in enumerate(events):
        due = wall_start + k * interval
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        late.append(time.monotonic() - due)
        if site:
            if event["kind"] == "hand":
                ws = controls["hands"][event["account"]]
                message = {"type": "hand.raise" if event["raised"] else "hand.lower"}
            else:
                ws = controls["reactors"][event["account"]]
                message = {"type": "reaction", "emoji": event["emoji"]}
            payload = json.dumps(message, ensure_ascii=False)
        else:
            ws = controls["control"]
            delay = batch_delay if event["kind"] == "react" else 0
            payload = json.dumps({"delay": delay, "text": texts[k]}, ensure_ascii=False)
        rec.sent[k] = time.monotonic()
        await ws.send(payload)
    last_sent = time.monotonic()

    # 5. wait, bounded, for every connected listener to get every event
    expected = n_ok * len(events)
    drain_deadline = last_sent + cfg["drain_s"]
    while rec.received < expected and time.monotonic() < drain_deadline:
        await asyncio.sleep(0.05)
    wall_end = time.monotonic()
    profiler.stop()
    cpu_end, self_end = proc_cpu_s(server_pid), self_cpu_s()
    aux_used = aux.stop()
    sys_end = system_cpu()
    out.update(
        {
            "server_rss_end_mb": proc_rss_mb(server_pid),
            "server_cpu_events_s": (cpu_end or 0) - (cpu_start or 0),
            "aux_cpu_events_s": aux_used,  # postgres + redis (site uses them; baseline does not)
            "client_cpu_events_s": self_end - self_start,
            "event_phase_s": wall_end - wall_start,
            "last_event_to_done_s": wall_end - last_sent,
            "pacing_late_max_s": max(late) if late else 0,
            "control_errors": control_errors[:10],
            "listeners_closed": closed["listeners"],
            "listener_close_codes": closed["codes"],
            "duplicates": rec.duplicates,
        }
    )
    out["client_cpu_busy"] = out["client_cpu_events_s"] / max(1e-9, out["event_phase_s"])
    # Everything else on the machine in the same window (other jobs share these cores).
    machine_busy = sys_end[0] - sys_start[0]
    out["machine_cpu_events_s"] = machine_busy
    out["other_cpu_events_s"] = (
        machine_busy - out["server_cpu_events_s"] - out["aux_cpu_events_s"] - out["client_cpu_events_s"]
    )
    out["other_cpu_share"] = out["other_cpu_events_s"] / max(1e-9, sys_end[1] - sys_start[1])
    out["loadavg_end"] = os.getloadavg()[0]

    # 6. latencies per kind
    def summary(kind: str) -> dict:
        idx = [i for i, e in enumerate(events) if kind == "all" or e["kind"] == kind]
        lat = sorted((t - rec.sent[i]) * 1000 for i in idx for t in rec.times[i])
        exp = n_ok * len(idx)
        return {
            "events": len(idx),
            "expected": exp,
            "received": len(lat),
            "lost": exp - len(lat),
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99),
            "max_ms": lat[-1] if lat else None,
            "mean_ms": sum(lat) / len(lat) if lat else None,
        }

    out["latency"] = {kind: summary(kind) for kind in ("hand", "react", "all")}
    out["per_event"] = [
        {
            "kind": e["kind"],
            "received": len(rec.times[i]),
            "first_ms": (min(rec.times[i]) - rec.sent[i]) * 1000 if rec.times[i] else None,
            "last_ms": (max(rec.times[i]) - rec.sent[i]) * 1000 if rec.times[i] else None,
        }
        for i, e in enumerate(events)
    ]
    delivered = out["latency"]["all"]["received"]
    out["deliveries"] = delivered
    out["server_cpu_s_per_1000"] = out["server_cpu_events_s"] / delivered * 1000 if delivered else None
    log(
        f"events done: {delivered}/{expected} deliveries, server cpu {out['server_cpu_events_s']:.2f}s, "
        f"client cpu busy {out['client_cpu_busy']:.0%}"
    )

    # 7. drop everything quickly: the server process is killed right after
    for t in tasks:
        t.cancel()
    for ws in sockets:
        try:
            ws.abort() if isinstance(ws, LeanListener) else ws.transport.abort()
        except Exception:  # noqa: BLE001
            pass
    await asyncio.sleep(0)
    return out


def main() -> None:
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    runner = asyncio.run
    if cfg.get("uvloop"):
        try:
            import uvloop
        except ImportError:
            print("[client] uvloop not installed: using asyncio's own loop", file=sys.stderr)
        else:
            runner = uvloop.run
    for group in ("hands", "reactors"):
        for account in cfg.get(group, []):
            account["user_id"] = int(account["user_id"])
    result = runner(run(cfg))
    result["client_loop"] = "uvloop" if runner is not asyncio.run else "asyncio"
    with open(sys.argv[2], "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
