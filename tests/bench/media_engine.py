"""Media engine benchmark: what the engine adds to a speaker's voice and what it costs.

    python -m tests.bench.media_engine [--quick]

It starts the site as users run it (scripts/web: uvicorn serving config.asgi:application;
`--asgi-server daphne` is a what-if) in its embedded setup (media engine in the web process,
SQLite, MEDIA_ROOT in a temporary folder, WebRTC on 127.0.0.1 only, 2 s HLS segments) and
drives it with aiortc speakers that sign in through the room socket, as the page does.
Measured, each beside a baseline from the same run:

1. mouth-to-ear latency speaker -> engine -> speaker (impulses), vs a direct aiortc A -> B;
2. listener delay: a burst's send -> its segment listed in live.m3u8, vs the segment length;
3. CPU and RSS of the server with one 10-speaker space, vs a bare aiortc echo peer process
   that decodes and encodes each stream as the engine does (mono Opus 40 kbit/s, its own
   encoder), with no mixing, no files and no Django;
4. server RSS over join/leave cycles of one speaker (after the first tenth vs at the end);
5. how many 10-speaker spaces one engine process holds before its 20 ms clock falls behind.

Prints the command that reproduces the run at the start and with the table, and writes
tests/bench/results/media_engine.json. See tests/bench/README.md.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import is_rtcp
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from rooms.media.audio import FRAME_SAMPLES, SAMPLE_RATE, SILENCE, TIME_BASE, to_frame
from tests.audio import PacedTrack
from tests.bench.bench_setup import (
    ASGI_SERVERS,
    describe_run,
    free_port,
    run_lines,
    session_for,
    start_site,
    wait_port,
)
from tests.bench.room_fanout import BIN, PY, RESULTS, ROOT, Processes

FRAME = FRAME_SAMPLES  # 20 ms

# Impulses: a 10 ms Hann-windowed sine burst at the start of a frame every 500 ms. The
# frequency cycles through four values so that a burst is matched to the right send even if
# it arrives more than one interval late.
FREQS = (1000.0, 1500.0, 2000.0, 2500.0)
BURST_SAMPLES = 480
BURST_EVERY_FRAMES = 25
BURST_AMPLITUDE = 16_000
ONSET_PEAK = 3_000  # a frame this loud after QUIET_FRAMES quiet ones starts a burst
QUIET_PEAK = 600
QUIET_FRAMES = 5

SEGMENT_SECONDS = 2
TARGETS = {"mouth_p95_ms": 250, "listener_s": 4.0, "cpu_pct": 50, "rss_growth": 0.10}
SUMMARY_LINE = re.compile(r"space (\d+) closed: (\d+) ticks, (\d+) late \(max (\d+) ms\)")
LATE_LINE = re.compile(r"space (\d+): mixing clock behind: (\d+) of (\d+) ticks late \(max (\d+) ms\)")
CLK_TCK = os.sysconf("SC_CLK_TCK")
LATE_LOG_SECONDS = 5.0  # rooms.media.session.LATE_LOG_EVERY_SECONDS


def log(msg: str) -> None:
    print(f"[media-bench] {msg}", file=sys.stderr, flush=True)


# --- /proc ------------------------------------------------------------------------------------
def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """utime + stime of a process (all threads), or of one of its threads."""
    with open(f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def threads_and_fds(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as f:
        threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    return threads, len(os.listdir(f"/proc/{pid}/fd"))


def machine_jiffies() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return sum(values), values[3] + values[4]  # total, idle + iowait


class CpuWindow:
    """CPU of some processes over a window, in % of one core, and what everything else on
    the machine used meanwhile (`other`, same unit)."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.start_cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        # The server's main thread runs its event loop: the engine's clock, aiortc's packets.
        self.loop_pid = pids.get("server")
        self.start_loop = cpu_seconds(self.loop_pid, self.loop_pid) if self.loop_pid else 0.0
        self.start_machine = machine_jiffies()
        self.start = time.monotonic()

    def stop(self) -> dict:
        wall = time.monotonic() - self.start
        out = {name: 100 * (cpu_seconds(pid) - self.start_cpu[name]) / wall for name, pid in self.pids.items()}
        total, idle = machine_jiffies()
        d_total, d_idle = total - self.start_machine[0], idle - self.start_machine[1]
        busy = 100 * (os.cpu_count() or 1) * (d_total - d_idle) / d_total if d_total else 0.0
        if self.loop_pid:
            out["server_loop"] = 100 * (cpu_seconds(self.loop_pid, self.loop_pid) - self.start_loop) / wall
        out["machine_busy"] = busy
        out["other"] = max(0.0, busy - sum(out[name] for name in self.pids))
        out["window_s"] = wall
        return out


def pct(values, q) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


# --- audio ------------------------------------------------------------------------------------
def burst(freq: float) -> np.ndarray:
    t = np.arange(BURST_SAMPLES) / SAMPLE_RATE
    wave = np.sin(2 * np.pi * freq * t) * np.hanning(BURST_SAMPLES) * BURST_AMPLITUDE
    samples = np.zeros(FRAME, dtype=np.int16)
    samples[:BURST_SAMPLES] = wave.astype(np.int16)
    return samples


def mono(frame: av.AudioFrame) -> np.ndarray:
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        return data[0]
    return data.reshape(-1, channels)[:, 0]


def classify(samples: np.ndarray) -> int:
    """Which of FREQS a burst is (index)."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    energy = [spectrum[(freqs > f - 200) & (freqs < f + 200)].sum() for f in FREQS]
    return int(np.argmax(energy))


class BurstDetector:
    """Finds burst onsets in a stream of 20 ms frames: (time of the onset frame, freq index)."""

    def __init__(self):
        self.quiet = QUIET_FRAMES
        self.onsets: list[tuple[float, int]] = []
        self.pending: tuple[float, list] | None = None

    def feed(self, samples: np.ndarray, t: float) -> None:
        peak = int(np.abs(samples.astype(np.int32)).max()) if len(samples) else 0
        if self.pending is not None:
            t0, chunks = self.pending
            chunks.append(samples)
            if sum(len(c) for c in chunks) >= 2 * FRAME:
                self.onsets.append((t0, classify(np.concatenate(chunks))))
                self.pending = None
        elif peak >= ONSET_PEAK and self.quiet >= QUIET_FRAMES:
            self.pending = (t, [samples])
        self.quiet = self.quiet + 1 if peak < QUIET_PEAK else 0


def match(sends: list[float], onsets: list[tuple[float, int]], slack: float = 0.0, limit: float = 3.0) -> dict:
    """Burst index -> the first onset that is that burst: same frequency, at or after its send
    (minus `slack`), and the latest such send."""
    found: dict[int, float] = {}
    for t, k in onsets:
        candidates = [i for i, s in enumerate(sends) if i % len(FREQS) == k and s - slack <= t <= s + limit]
        if candidates:
            i = max(candidates, key=lambda i: sends[i])
            found.setdefault(i, t)
    return found


# --- tracks (what the test microphones say) ---------------------------------------------------
class SilentTrack(PacedTrack):
    async def recv(self):
        await self._pace()
        frame = to_frame(SILENCE, self.sent)
        self.sent += FRAME
        return frame


class ImpulseTrack(PacedTrack):
    """Silence, and once armed a burst every BURST_EVERY_FRAMES frames; `sends` holds the
    time.monotonic() at which each burst frame was handed to aiortc."""

    def __init__(self):
        super().__init__()
        self.left = 0
        self.countdown = 0
        self.sends: list[float] = []

    def arm(self, count: int) -> None:
        self.left, self.countdown = count, 0

    async def recv(self):
        await self._pace()
        samples = SILENCE
        firing = False
        if self.left:
            if self.countdown == 0:
                samples, firing = burst(FREQS[len(self.sends) % len(FREQS)]), True
                self.left -= 1
                self.countdown = BURST_EVERY_FRAMES - 1
            else:
                self.countdown -= 1
        frame = to_frame(samples, self.sent)
        self.sent += FRAME
        if firing:
            self.sends.append(time.monotonic())
        return frame


def opus_tone(freq: float) -> list[bytes]:
    """One second of a tone as Opus packets, encoded once like aiortc would (48 kHz stereo,
    voip), so that a load speaker costs its process no encoding."""
    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate = 96_000
    codec.format = "s16"
    codec.layout = "stereo"
    codec.options = {"application": "voip"}
    codec.sample_rate = SAMPLE_RATE
    codec.time_base = TIME_BASE
    packets = []
    for n in range(2 * SAMPLE_RATE // FRAME):
        t = (np.arange(FRAME) + n * FRAME) / SAMPLE_RATE
        samples = (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(samples, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = n * FRAME
        frame.time_base = TIME_BASE
        packets.extend(bytes(p) for p in codec.encode(frame))
    return packets[-SAMPLE_RATE // FRAME :]  # the second second: a whole number of cycles, loops


class OpusToneTrack(PacedTrack):
    """A tone microphone that hands aiortc pre-encoded Opus packets (whole-Hz tone, looped)."""

    def __init__(self, freq: float):
        super().__init__()
        self.packets = opus_tone(freq)

    async def recv(self):
        await self._pace()
        packet = av.Packet(self.packets[(self.sent // FRAME) % len(self.packets)])
        packet.pts = self.sent
        packet.time_base = TIME_BASE
        self.sent += FRAME
        return packet


# --- peers and signalling ---------------------------------------------------------------------
class Peer:
    """An aiortc client: sends `track`, reads what comes back (on_frame(frame, monotonic))."""

    def __init__(self, track: MediaStreamTrack, on_frame=None):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # never a public STUN server
        self.track = track
        self.pc.addTrack(track)
        self.on_frame = on_frame
        self.frames = 0
        self.loud = 0
        self.reader: asyncio.Task | None = None
        self.signal = None  # the echo server's socket, held open for the peer's life
        self.pc.on("track", self._on_track)

    def _on_track(self, track) -> None:
        if track.kind == "audio" and self.reader is None:
            self.reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track) -> None:
        while True:  # ends with the track (MediaStreamError) or cancel
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = time.monotonic()
            self.frames += 1
            if self.on_frame is not None:
                self.on_frame(frame, now)
            elif self.frames % 10 == 0 and np.abs(frame.to_ndarray()).max() > 1000:
                self.loud += 1

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())  # gathers all candidates
        return self.pc.localDescription.sdp

    async def answer(self, offer: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def until(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what} (connection {self.pc.connectionState})")
            await asyncio.sleep(0.02)

    async def connected(self, timeout: float = 20) -> None:
        await self.until(lambda: self.pc.connectionState == "connected", timeout, "the connection")

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        await self.pc.close()
        if self.signal is not None:
            await self.signal.close()


class RoomSocket:
    """A signed-in person's room socket, opened as the page opens it (session cookie, Origin)."""

    KEEP = ("media.answer", "error", "space.ended")

    def __init__(self, ws):
        self.ws = ws
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, port: int, space_id: int, session_key: str) -> "RoomSocket":
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws/spaces/{space_id}/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=30,
            max_size=2**22,
        )
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for text in self.ws:  # ends when the socket closes
                message = json.loads(text)
                if message.get("type") in self.KEEP:
                    self.inbox.put_nowait(message)
        except ConnectionClosed:
            pass

    async def send(self, kind: str, **fields) -> None:
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def wait_type(self, kind: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind} within {timeout}s")
            message = await asyncio.wait_for(self.inbox.get(), remaining)
            if message["type"] == kind:
                return message
            if message["type"] == "error":
                raise RuntimeError(f"room socket error while waiting for {kind}: {message}")

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def join_site(socket: RoomSocket, peer: Peer, timeout: float = 30) -> None:
    await socket.send("media.offer", sdp=await peer.offer())
    answer = await socket.wait_type("media.answer", timeout)
    await peer.accept(answer["sdp"])


async def join_echo(port: int, peer: Peer, timeout: float = 30) -> None:
    ws = await connect(f"ws://127.0.0.1:{port}/", open_timeout=timeout)
    peer.signal = ws
    await ws.send(json.dumps({"sdp": await peer.offer()}))
    answer = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    await peer.accept(answer["sdp"])


async def end_space(socket: RoomSocket) -> None:
    await socket.send("space.end")
    await socket.wait_type("space.ended", 15)


# --- load workers (separate processes, so that the clients' CPU is counted apart) -------------
async def worker_main(cfg: dict) -> None:
    """--worker: join cfg["speakers"] (tone speakers), print {"event": "joined"}, then wait for
    a line on stdin ("stop", or "end": the first speaker ends the space), bounded by
    cfg["max_seconds"]; close everything and print {"event": "done", ...}."""
    from rooms.media.ice import limit_host_addresses

    limit_host_addresses()
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    sockets: list[RoomSocket] = []
    peers: list[Peer] = []
    started = time.monotonic()
    try:
        for spec in cfg["speakers"]:
            peer = Peer(OpusToneTrack(spec["freq"]))
            peers.append(peer)
            if cfg["mode"] == "site":
                socket = await RoomSocket.open(cfg["port"], cfg["space_id"], spec["session"])
                sockets.append(socket)
                await join_site(socket, peer)
            else:
                await join_echo(cfg["port"], peer)
        for peer in peers:
            await peer.connected()
            await peer.until(lambda p=peer: p.frames >= 5, 20, "audio back")
        print(json.dumps({"event": "joined", "seconds": time.monotonic() - started}), flush=True)
        try:
            line = await asyncio.wait_for(stdin.readline(), cfg["max_seconds"])
        except TimeoutError:
            line = b"stop"
        frames = [p.frames for p in peers]
        loud = [p.loud for p in peers]
        if line.strip() == b"end" and sockets:
            await end_space(sockets[0])
    finally:
        for peer in peers:
            await peer.close()
        for socket in sockets:
            await socket.close()
    print(json.dumps({"event": "done", "frames": frames, "loud": loud}), flush=True)


class Worker:
    """The bench side of a worker process."""

    live: list["Worker"] = []

    def __init__(self, proc, name: str):
        self.proc, self.name = proc, name
        self.pid = proc.pid

    @classmethod
    async def start(cls, cfg: dict, workdir: Path, name: str, env: dict) -> "Worker":
        path = workdir / f"worker-{name}.json"
        path.write_text(json.dumps(cfg))
        with open(workdir / f"worker-{name}.log", "ab") as err:
            proc = await asyncio.create_subprocess_exec(
                PY,
                "-m",
                "tests.bench.media_engine",
                "--worker",
                str(path),
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                start_new_session=True,
            )
        worker = cls(proc, name)
        cls.live.append(worker)
        return worker

    async def event(self, name: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"worker {self.name}: no {name} within {timeout}s")
            line = await asyncio.wait_for(self.proc.stdout.readline(), remaining)
            if not line:
                raise RuntimeError(f"worker {self.name} exited ({await self.proc.wait()}) before {name}")
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("event") == name:
                return message

    async def finish(self, command: str = "stop", timeout: float = 60) -> dict:
        try:
            self.proc.stdin.write(command.encode() + b"\n")
            await self.proc.stdin.drain()
            done = await self.event("done", timeout)
            await asyncio.wait_for(self.proc.wait(), 15)
            return done
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.returncode is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self in Worker.live:
            Worker.live.remove(self)

    @classmethod
    def kill_all(cls) -> None:
        for worker in list(cls.live):
            worker.kill()


# --- the server's log -------------------------------------------------------------------------
class ServerLog:
    def __init__(self, path: Path):
        self.path = path

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def text(self, start: int = 0, end: int | None = None) -> str:
        with open(self.path, "rb") as f:
            f.seek(start)
            data = f.read() if end is None else f.read(max(0, end - start))
        return data.decode(errors="replace")

    def late_counts(self, end: int | None = None) -> dict[int, tuple[int, int]]:
        """Per space, (cumulative late ticks, worst lateness in ms) from its last warning line."""
        counts: dict[int, tuple[int, int]] = {}
        for m in LATE_LINE.finditer(self.text(0, end)):
            counts[int(m.group(1))] = (int(m.group(2)), int(m.group(4)))
        return counts

    async def summary(self, space_id: int, timeout: float = 20) -> dict | None:
        """The engine's line for a closed session: ticks, late ticks, worst lateness."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in SUMMARY_LINE.finditer(self.text()):
                if int(m.group(1)) == space_id:
                    return {"ticks": int(m.group(2)), "late": int(m.group(3)), "max_late_ms": int(m.group(4))}
            await asyncio.sleep(0.2)
        return None


# --- the site's accounts ----------------------------------------------------------------------
def create_spaces(sizes: list[int]) -> list[dict]:
    """Migrates the (fresh SQLite) database and creates one live space per size: a host and
    size-1 speakers, all unmuted, each with a logged-in session."""
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
    for s, size in enumerate(sizes):
        now = timezone.now()
        users = [
            User.objects.create_user(username=f"media_s{s}_u{i}", email=f"media_s{s}_u{i}@example.com", password=None)
            for i in range(size)
        ]
        space = Space.objects.create(
            title=f"Media benchmark {s}", host=users[0], state=Space.State.LIVE, started_at=now, last_presence_at=now
        )
        for i, user in enumerate(users):
            role = Participant.Role.HOST if i == 0 else Participant.Role.SPEAKER
            Participant.objects.create(space=space, user=user, role=role, muted=False)
        spaces.append({"space_id": space.pk, "people": [{"user_id": u.pk, "session": session_for(u)} for u in users]})
    return spaces


# --- 1 and 2: impulses ------------------------------------------------------------------------
class PlaylistPoller:
    """Reads live.m3u8 every 50 ms; notes when each segment is first listed (wall clock)."""

    def __init__(self, path: Path):
        self.path = path
        self.listed: dict[int, float] = {}  # seq -> time.time() first seen
        self.starts: dict[int, float] = {}  # seq -> PROGRAM-DATE-TIME (epoch seconds)
        self.ends: dict[int, float] = {}  # seq -> its start + EXTINF
        self.stopped = False

    async def run(self, max_seconds: float) -> None:
        deadline = time.monotonic() + max_seconds
        while not self.stopped and time.monotonic() < deadline:
            try:
                text = self.path.read_text()
            except FileNotFoundError:
                text = ""
            now = time.time()
            pdt = duration = None
            for line in text.splitlines():
                if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                    pdt = datetime.fromisoformat(line.split(":", 1)[1]).timestamp()
                elif line.startswith("#EXTINF:"):
                    duration = float(line[8:].split(",")[0])
                elif line.startswith("seg_"):
                    seq = int(line[4:10])
                    if seq not in self.listed:
                        self.listed[seq] = now
                        self.starts[seq] = pdt
                        if pdt is not None and duration is not None:
                            self.ends[seq] = pdt + duration
            await asyncio.sleep(0.05)


def program_onsets(folder: Path, poller: PlaylistPoller) -> list[tuple[float, int, int]]:
    """Burst onsets in the listed segments: (wall time on the program clock, freq, seq).

    Consecutive segments are decoded as one stream, as a player does: a segment decoded on
    its own loses its first AAC frame, and AAC's encoder delay moves the end of a segment's
    audio into the next file. Each onset is credited to the file its samples came from (by
    the number of samples each file decodes to)."""
    from rooms.media.encode import decode_file

    seqs = [
        s for s in sorted(poller.listed) if poller.starts.get(s) is not None and (folder / f"seg_{s:06d}.ts").exists()
    ]
    runs: list[list[int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][-1] + 1:
            runs[-1].append(seq)
        else:
            runs.append([seq])
    found = []
    for run in runs:
        files, lengths = [], []
        for seq in run:
            data = (folder / f"seg_{seq:06d}.ts").read_bytes()
            try:
                lengths.append(len(decode_file(data)))
            except av.error.FFmpegError:  # e.g. the tail written when a space ends
                break
            files.append(data)
        if not files:
            continue
        pcm = decode_file(b"".join(files))
        ends = np.cumsum(lengths)
        detector = BurstDetector()
        for offset in range(0, len(pcm) - FRAME + 1, FRAME):
            detector.feed(pcm[offset : offset + FRAME], offset)
        for first_sample, k in detector.onsets:
            loud = np.flatnonzero(np.abs(pcm[first_sample : first_sample + 2 * FRAME].astype(np.int32)) >= ONSET_PEAK)
            sample = first_sample + (int(loud[0]) if len(loud) else 0)
            index = min(int(np.searchsorted(ends, sample, side="right")), len(files) - 1)
            found.append((poller.starts[run[0]] + sample / SAMPLE_RATE, k, run[index]))
    return found


def latency_stats(values_s: list[float], sent: int) -> dict:
    ms = [v * 1000 for v in values_s]
    return {
        "sent": sent,
        "matched": len(ms),
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "p99_ms": pct(ms, 99),
        "max_ms": max(ms) if ms else None,
    }


class DropNextRtp:
    """Loses the next RTP packet a peer sends, once, as a network would."""

    def __init__(self, peer: Peer):
        self.done = False
        self.transport = peer.pc.getSenders()[0].transport
        self.send = self.transport._send_rtp
        self.transport._send_rtp = self._send  # the sender looks it up on each packet

    async def _send(self, data: bytes) -> None:
        if not self.done and not is_rtcp(data):
            self.done = True
            del self.transport._send_rtp  # back to the class's own method
            return
        await self.send(data)


async def fire(speaker_a: Peer, speaker_b: Peer, impulse: ImpulseTrack, count: int, lose: bool, pids: dict) -> dict:
    """Once audio flows A -> B: optionally lose one of A's packets, then send the impulses."""
    await speaker_a.connected()
    await speaker_b.connected()
    await speaker_b.until(lambda: speaker_b.frames >= 100, 20, "two seconds of audio at B")
    if lose:
        lost = DropNextRtp(speaker_a)
        await speaker_a.until(lambda: lost.done, 5, "the lost packet")
        await asyncio.sleep(1.0)  # aiortc's buffer waits 16 packets (320 ms) after a loss
    window = CpuWindow(pids)
    impulse.arm(count)
    await speaker_a.until(lambda: impulse.left == 0, count * BURST_EVERY_FRAMES * 0.02 + 20, "the impulses")
    await asyncio.sleep(2.0)  # the last burst's way through
    return window.stop()


async def impulses_through_engine(ctx, space: dict, media_root: Path, count: int, lose: bool = False) -> dict:
    """Speaker A (the host) sends impulses, speaker B hears them in its mix-minus; unless
    `lose`, the program's playlist is polled for the listener delay."""
    space_id = space["space_id"]
    host, other = space["people"][0], space["people"][1]
    wall_offset = time.time() - time.monotonic()
    sock_a = await RoomSocket.open(ctx.port, space_id, host["session"])
    sock_b = await RoomSocket.open(ctx.port, space_id, other["session"])
    impulse, detector = ImpulseTrack(), BurstDetector()
    speaker_a = Peer(impulse)
    speaker_b = Peer(SilentTrack(), on_frame=lambda frame, t: detector.feed(mono(frame), t))
    folder = media_root / "spaces" / str(space_id) / "program"
    poller = PlaylistPoller(folder / "live.m3u8")
    polling = asyncio.ensure_future(poller.run(0 if lose else count * BURST_EVERY_FRAMES * 0.02 + 90))
    try:
        await join_site(sock_a, speaker_a)
        await join_site(sock_b, speaker_b)
        cpu = await fire(speaker_a, speaker_b, impulse, count, lose, {"server": ctx.server.pid, "bench": os.getpid()})
        if not lose:
            # Until a segment starting after the last burst is listed: every burst is then out.
            last_wall = impulse.sends[-1] + wall_offset
            await speaker_a.until(
                lambda: any(s and s > last_wall + 0.5 for s in poller.starts.values()),
                3 * SEGMENT_SECONDS + 10,
                "segments",
            )
        poller.stopped = True
        await end_space(sock_a)
    finally:
        poller.stopped = True
        await polling
        for peer in (speaker_a, speaker_b):
            await peer.close()
        for sock in (sock_a, sock_b):
            await sock.close()

    sends = impulse.sends
    heard = match(sends, detector.onsets)
    result = {
        "mouth_to_ear": latency_stats([heard[i] - sends[i] for i in sorted(heard)], len(sends)),
        "clock": await ctx.log.summary(space_id),
        "space_id": space_id,
        "cpu": cpu,
    }
    if lose:
        return result
    # Listener delay: send -> the segment holding the burst first listed in the playlist.
    sends_wall = [s + wall_offset for s in sends]
    onsets = await asyncio.get_running_loop().run_in_executor(None, program_onsets, folder, poller)
    listed: dict[int, float] = {}
    placed: dict[int, float] = {}
    for t, k, seq in onsets:
        for i, _ in match(sends_wall, [(t, k)], slack=0.1).items():
            delay = poller.listed[seq] - sends_wall[i]
            if i not in listed or delay < listed[i]:
                listed[i] = delay
                placed[i] = t - sends_wall[i]
    delays = [listed[i] for i in sorted(listed)]
    # How long after a segment's last sample (on the program clock) it was listed: encoding,
    # writing and the 50 ms poll; the rest of a listener's delay is waiting for the segment.
    closed = [(poller.listed[seq] - poller.ends[seq]) * 1000 for seq in poller.listed if seq in poller.ends]
    result["listener"] = {
        "sent": len(sends),
        "matched": len(delays),
        "p50_s": pct(delays, 50),
        "p95_s": pct(delays, 95),
        "max_s": max(delays) if delays else None,
        "segments_listed": len(poller.listed),
        "listed_after_segment_end_p50_ms": pct(closed, 50),
        "listed_after_segment_end_max_ms": max(closed) if closed else None,
        # Where the burst sits on the program clock after its send: the engine's input side
        # (receive buffer, the mixer's queue, the wait for the next tick) plus AAC's delay.
        "program_offset_p50_ms": pct([v * 1000 for v in placed.values()], 50),
        "program_offset_p95_ms": pct([v * 1000 for v in placed.values()], 95),
    }
    return result


async def impulses_direct(count: int, lose: bool = False) -> dict:
    """The baseline: the same impulses over one aiortc connection A -> B, no engine."""
    impulse, detector = ImpulseTrack(), BurstDetector()
    speaker_a = Peer(impulse)
    speaker_b = Peer(SilentTrack(), on_frame=lambda frame, t: detector.feed(mono(frame), t))
    try:
        await speaker_a.accept(await speaker_b.answer(await speaker_a.offer()))
        cpu = await fire(speaker_a, speaker_b, impulse, count, lose, {"bench": os.getpid()})
    finally:
        await speaker_a.close()
        await speaker_b.close()
    heard = match(impulse.sends, detector.onsets)
    return {**latency_stats([heard[i] - impulse.sends[i] for i in sorted(heard)], len(impulse.sends)), "cpu": cpu}


# --- 3: one 10-speaker space ------------------------------------------------------------------
def speaker_specs(space: dict) -> list[dict]:
    return [{"session": p["session"], "freq": 300.0 + 100 * i} for i, p in enumerate(space["people"])]


def start_profile(pid: int, seconds: float, path: Path):
    """py-spy (--profile): raw collapsed stacks of `pid` for `seconds`; it stops by itself."""
    import subprocess

    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    args = ["record", "--pid", str(pid), "--rate", "100", "--nonblocking", "--threads", "--format", "raw"]
    args += ["--output", str(path), "--duration", str(int(seconds))]
    return subprocess.Popen([spy, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def load_window(server_pid: int, worker: Worker, seconds: float, profile: Path | None = None) -> dict:
    await worker.event("joined", 180)
    await asyncio.sleep(3)  # let the joins' handshakes settle
    rss_start = rss_mb(server_pid)
    spy = start_profile(server_pid, seconds, profile) if profile else None
    window = CpuWindow({"server": server_pid, "clients": worker.pid, "bench": os.getpid()})
    await asyncio.sleep(seconds)
    cpu = window.stop()
    result = {"cpu": cpu, "rss_start_mb": rss_start, "rss_end_mb": rss_mb(server_pid)}
    if spy is not None:
        await asyncio.get_running_loop().run_in_executor(None, spy.wait, 30)
        result["profile"] = str(profile)
    return result


async def ten_speakers_site(ctx, space: dict, seconds: float) -> dict:
    cfg = {"mode": "site", "port": ctx.port, "space_id": space["space_id"], "speakers": speaker_specs(space)}
    worker = await Worker.start({**cfg, "max_seconds": seconds + 300}, ctx.workdir, "ten-site", ctx.env)
    try:
        profile = RESULTS / "media_engine-profile-site.txt" if ctx.profile else None
        result = await load_window(ctx.server.pid, worker, seconds, profile)
        result["clients"] = await worker.finish("end")
    finally:
        worker.kill()
    result["clock"] = await ctx.log.summary(space["space_id"])
    return result


async def ten_speakers_echo(ctx, seconds: float) -> dict:
    port = free_port()
    echo = ctx.procs.start(
        [PY, "-m", "tests.bench.media_echo_server", str(port), str(seconds + 300)], ctx.env, ctx.workdir / "echo.log"
    )
    try:
        await asyncio.get_running_loop().run_in_executor(None, wait_port, port, echo, 30)
        specs = [{"freq": 300.0 + 100 * i} for i in range(10)]
        cfg = {"mode": "echo", "port": port, "speakers": specs, "max_seconds": seconds + 300}
        worker = await Worker.start(cfg, ctx.workdir, "ten-echo", ctx.env)
        try:
            profile = RESULTS / "media_engine-profile-echo.txt" if ctx.profile else None
            result = await load_window(echo.pid, worker, seconds, profile)
            result["clients"] = await worker.finish("stop")
        finally:
            worker.kill()
    finally:
        ctx.procs.stop(echo)
    return result


# --- 4: join/leave cycles ---------------------------------------------------------------------
async def join_leave(ctx, space: dict, cycles: int) -> dict:
    stay_cfg = {
        "mode": "site",
        "port": ctx.port,
        "space_id": space["space_id"],
        "speakers": speaker_specs(space)[1:3],
        "max_seconds": cycles * 5 + 300,
    }
    stay = await Worker.start(stay_cfg, ctx.workdir, "cycles-stay", ctx.env)
    sock = await RoomSocket.open(ctx.port, space["space_id"], space["people"][0]["session"])
    marks: dict[int, float] = {}
    handles: dict[int, tuple[int, int]] = {}  # threads, open fds of the server
    first = max(1, cycles // 10)
    started = time.monotonic()
    try:
        await stay.event("joined", 120)
        for c in range(1, cycles + 1):
            peer = Peer(OpusToneTrack(440.0))
            try:
                await join_site(sock, peer)
                await peer.connected()
                await peer.until(lambda p=peer: p.frames >= 3, 10, "audio back")
            finally:
                await peer.close()
            if c == first or c == cycles or c % max(1, cycles // 10) == 0:
                await asyncio.sleep(0.5)
                marks[c] = rss_mb(ctx.server.pid)
                handles[c] = threads_and_fds(ctx.server.pid)
                log(f"cycle {c}: server RSS {marks[c]:.1f} MB, threads {handles[c][0]}, fds {handles[c][1]}")
        wall = time.monotonic() - started
        await end_space(sock)
        await stay.finish("stop")
    finally:
        stay.kill()
        await sock.close()
    growth = marks[cycles] / marks[first] - 1
    return {
        "cycles": cycles,
        "first_mark": first,
        "rss_mb": marks,
        "threads_fds": handles,
        "growth": growth,
        "seconds_per_cycle": wall / cycles,
    }


# --- 5: spaces per engine ---------------------------------------------------------------------
async def capacity(ctx, spaces: list[dict], window: float) -> dict:
    steps = []
    workers: list[tuple[Worker, dict]] = []
    reason = f"stopped at {len(spaces)} spaces (the most this run tries)"
    try:
        for k, space in enumerate(spaces, start=1):
            cfg = {
                "mode": "site",
                "port": ctx.port,
                "space_id": space["space_id"],
                "speakers": speaker_specs(space),
                "max_seconds": 600,
            }
            worker = await Worker.start(cfg, ctx.workdir, f"cap-{k}", ctx.env)
            workers.append((worker, space))
            joined = await worker.event("joined", 180)
            # The engine logs late ticks at most every LATE_LOG_SECONDS per space: wait that
            # long so that the joins' lateness is in the log before the window's first count,
            # and again after the window so that the window's is in before the second.
            await asyncio.sleep(LATE_LOG_SECONDS + 1)
            before = ctx.log.late_counts(ctx.log.size())
            pids = {"server": ctx.server.pid, "bench": os.getpid()}
            pids.update({f"clients{i}": w.pid for i, (w, _) in enumerate(workers)})
            cpu_window = CpuWindow(pids)
            await asyncio.sleep(window)
            cpu = cpu_window.stop()
            await asyncio.sleep(LATE_LOG_SECONDS + 0.5)
            after = ctx.log.late_counts(ctx.log.size())
            ids = [s["space_id"] for _, s in workers]
            late = sum(after.get(i, (0, 0))[0] - before.get(i, (0, 0))[0] for i in ids)
            worst = max(after.get(i, (0, 0))[1] for i in ids)
            # The counts cover the window and up to LATE_LOG_SECONDS either side of it.
            ticks = k * (window + 2 * LATE_LOG_SECONDS) / 0.02
            clients = sum(v for name, v in cpu.items() if name.startswith("clients"))
            step = {
                "spaces": k,
                "join_s": joined["seconds"],
                "server_cpu": cpu["server"],
                "server_loop_cpu": cpu["server_loop"],
                "clients_cpu": clients,
                "bench_cpu": cpu["bench"],
                "other_cpu": cpu["other"],
                "machine_busy": cpu["machine_busy"],
                "late_ticks": late,
                "late_share": late / ticks,
                "max_late_ms_so_far": worst,
                "rss_mb": rss_mb(ctx.server.pid),
            }
            steps.append(step)
            log(
                f"capacity: {k} spaces, server {cpu['server']:.0f}% (loop {cpu['server_loop']:.0f}%) "
                f"clients {clients:.0f}% "
                f"machine {cpu['machine_busy']:.0f}% late ticks {late}"
            )
            cores = 100 * (os.cpu_count() or 1)
            if step["late_share"] > 0.01:
                reason = f"clock behind at {k} spaces ({late} late ticks, {100 * late / ticks:.1f}%)"
                break
            if cpu["server"] >= 90:
                reason = f"server at {cpu['server']:.0f}% of a core at {k} spaces"
                break
            if cpu["machine_busy"] >= cores - 10:
                reason = f"machine saturated at {k} spaces (clients share its {os.cpu_count()} cores)"
                break
    finally:
        closing = []
        for worker, _ in workers:
            closing.append(worker.finish("end"))
        results = await asyncio.gather(*closing, return_exceptions=True)
        for worker, _ in workers:
            worker.kill()
    clocks = {}
    for _, space in workers:
        clocks[space["space_id"]] = await ctx.log.summary(space["space_id"], timeout=10)
    held = [s["spaces"] for s in steps if s["late_share"] <= 0.01 and s["server_cpu"] < 90]
    first = steps[0]["server_cpu"] if steps else None
    return {
        "steps": steps,
        "held": max(held) if held else 0,
        "stop_reason": reason,
        "server_cpu_per_space": first,
        "clocks": clocks,
        "close_errors": [repr(r) for r in results if isinstance(r, Exception)],
    }


# --- the run ----------------------------------------------------------------------------------
class Context:
    def __init__(self, procs, server, port, workdir, env, server_log):
        self.procs, self.server, self.port = procs, server, port
        self.workdir, self.env, self.log = workdir, env, server_log
        self.profile = False


async def run_phases(ctx, spaces: dict, args, media_root: Path) -> dict:
    results: dict = {}

    async def phase(name: str, coro, timeout: float):
        if ctx.server.poll() is not None:
            results[name] = {"failed": f"server exited with {ctx.server.returncode}"}
            return
        log(f"{name} ...")
        started = time.monotonic()
        try:
            results[name] = await asyncio.wait_for(coro, timeout)
        except Exception as error:  # noqa: BLE001 - report it and go on with the other phases
            traceback.print_exc()
            results[name] = {"failed": f"{type(error).__name__}: {error}"}
        results[name]["wall_s"] = time.monotonic() - started
        Worker.kill_all()

    if "latency" in args.phases:
        await phase("latency_engine", impulses_through_engine(ctx, spaces["latency"], media_root, args.impulses), 180)
        await phase("latency_direct", impulses_direct(args.impulses), 120)
        if args.loss_impulses:
            engine = impulses_through_engine(ctx, spaces["loss"], media_root, args.loss_impulses, lose=True)
            await phase("loss_engine", engine, 120)
            await phase("loss_direct", impulses_direct(args.loss_impulses, lose=True), 120)
    if "cpu" in args.phases:
        await phase("ten_site", ten_speakers_site(ctx, spaces["ten"], args.window), args.window + 240)
        await phase("ten_echo", ten_speakers_echo(ctx, args.window), args.window + 240)
    if "cycles" in args.phases:
        await phase("cycles", join_leave(ctx, spaces["cycles"], args.cycles), args.cycles * 5 + 180)
    if "capacity" in args.phases and args.max_spaces:
        await phase("capacity", capacity(ctx, spaces["capacity"], args.capacity_window), 900)
    return results


# --- reporting --------------------------------------------------------------------------------
def fmt(value, spec: str = ".0f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def ratio(a, b) -> float | None:
    return a / b if a is not None and b else None


def report(results: dict) -> list[dict]:
    """The summary table: one row per measurement that ran."""
    rows = []

    def row(metric, engine, baseline, x, target, ok):
        verdict = "-" if ok is None else ("OK" if ok else "MISS")
        rows.append(
            {
                "metric": metric,
                "engine": engine,
                "baseline": baseline,
                "ratio": x,
                "target": target,
                **{"verdict": verdict},
            }
        )

    def failed(metric, *parts, target=""):
        reasons = "; ".join(p["failed"] for p in parts if "failed" in p)
        row(metric, f"FAILED: {reasons}", "", "", target, False)

    def mouth(metric, eng_name, direct_name, target):
        eng, direct = results.get(eng_name), results.get(direct_name)
        if eng is None and direct is None:
            return
        eng, direct = eng or {"failed": "not run"}, direct or {"failed": "not run"}
        if "failed" in eng or "failed" in direct:
            failed(metric, eng, direct, target=target)
            return
        m, d = eng["mouth_to_ear"], direct
        ok = None
        if target:
            ok = m["p95_ms"] is not None and m["p95_ms"] <= TARGETS["mouth_p95_ms"] and m["matched"] == m["sent"]
        row(
            metric,
            f"{fmt(m['p50_ms'])}/{fmt(m['p95_ms'])}/{fmt(m['p99_ms'])} ({m['matched']}/{m['sent']} heard)",
            f"{fmt(d['p50_ms'])}/{fmt(d['p95_ms'])}/{fmt(d['p99_ms'])} direct ({d['matched']}/{d['sent']})",
            f"{fmt(ratio(m['p95_ms'], d['p95_ms']), '.2f')}x p95",
            target,
            ok,
        )

    mouth("1 mouth-to-ear p50/p95/p99 ms", "latency_engine", "latency_direct", f"p95 <= {TARGETS['mouth_p95_ms']} ms")
    mouth("1b same, after 1 lost packet", "loss_engine", "loss_direct", "")

    eng = results.get("latency_engine")
    if eng is not None and "failed" in eng:
        failed("2 listener delay", eng, target=f"<= {TARGETS['listener_s']:.0f} s")
    elif eng is not None:
        lst = eng["listener"]
        row(
            "2 listener delay p50/p95/max s",
            f"{fmt(lst['p50_s'], '.2f')}/{fmt(lst['p95_s'], '.2f')}/{fmt(lst['max_s'], '.2f')} "
            f"({lst['matched']}/{lst['sent']} found)",
            f"{SEGMENT_SECONDS:.2f} (segment length)",
            f"{fmt(ratio(lst['p95_s'], SEGMENT_SECONDS), '.2f')}x p95",
            f"<= {TARGETS['listener_s']:.0f} s",
            lst["max_s"] is not None and lst["max_s"] <= TARGETS["listener_s"] and lst["matched"] == lst["sent"],
        )

    site, echo = results.get("ten_site"), results.get("ten_echo")
    if site is not None or echo is not None:
        site, echo = site or {"failed": "not run"}, echo or {"failed": "not run"}
        if "failed" in site or "failed" in echo:
            failed("3 CPU, 10 speakers", site, echo, target=f"<= {TARGETS['cpu_pct']}% of a core")
        else:
            s_cpu, e_cpu = site["cpu"]["server"], echo["cpu"]["server"]
            row(
                "3 CPU 10 speakers, % of a core",
                f"{s_cpu:.1f}",
                f"{e_cpu:.1f} (aiortc echo)",
                f"{fmt(ratio(s_cpu, e_cpu), '.2f')}x",
                f"<= {TARGETS['cpu_pct']}%",
                s_cpu <= TARGETS["cpu_pct"],
            )
            row(
                "  server RSS at end, MB",
                f"{site['rss_end_mb']:.0f}",
                f"{echo['rss_end_mb']:.0f} (aiortc echo)",
                f"{fmt(ratio(site['rss_end_mb'], echo['rss_end_mb']), '.2f')}x",
                "",
                None,
            )

    cyc = results.get("cycles")
    if cyc is not None and "failed" in cyc:
        failed("4 RSS over join/leave", cyc, target="within 10%")
    elif cyc is not None:
        first, last = cyc["rss_mb"][cyc["first_mark"]], cyc["rss_mb"][cyc["cycles"]]
        row(
            f"4 RSS after {cyc['cycles']} join/leave, MB",
            f"{last:.1f}",
            f"{first:.1f} after cycle {cyc['first_mark']}",
            f"{last / first:.3f}x",
            "within 10%",
            abs(cyc["growth"]) <= TARGETS["rss_growth"],
        )

    cap = results.get("capacity")
    if cap is not None and "failed" in cap:
        failed("5 10-speaker spaces / engine", cap)
    elif cap is not None:
        # What one core would hold at 90%, from the 30 s window of measurement 3.
        site_cpu = (site or {}).get("cpu", {}).get("server")
        echo_cpu = (echo or {}).get("cpu", {}).get("server")
        row(
            "5 10-speaker spaces / engine",
            f"{cap['held']} held; {cap['stop_reason']}",
            f"~{fmt(90 / echo_cpu if echo_cpu else None, '.1f')} (echo, 90% of a core)",
            f"engine ~{fmt(90 / site_cpu if site_cpu else None, '.1f')} at 90%",
            "",
            None,
        )
    return rows


def print_report(rows: list[dict], results: dict, args) -> None:
    print()
    server = "scripts/web, uvicorn" if args.asgi_server == "site" else "daphne (what-if)"
    print(f"Media engine benchmark ({'quick' if args.quick else 'full'}), {os.cpu_count()} cores, site on {server}")
    head = ["metric", "engine (site)", "baseline", "ratio", "target", "verdict"]
    keys = ["metric", "engine", "baseline", "ratio", "target", "verdict"]
    widths = [max([len(h)] + [len(str(r[k])) for r in rows]) for h, k in zip(head, keys, strict=True)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        cells = [r["metric"], r["engine"], r["baseline"], r["ratio"], r["target"], r["verdict"]]
        print(" | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))

    eng, direct = results.get("latency_engine", {}), results.get("latency_direct", {})
    if "listener" in eng:
        lst = eng["listener"]
        print()
        print(
            f"Where a burst lands on the program clock after its send (engine input side, includes AAC's "
            f"1024-sample encoder delay): p50 {fmt(lst['program_offset_p50_ms'])} ms, "
            f"p95 {fmt(lst['program_offset_p95_ms'])} ms"
        )
        print(
            f"A segment is listed {fmt(lst['listed_after_segment_end_p50_ms'])} ms (p50; max "
            f"{fmt(lst['listed_after_segment_end_max_ms'])} ms) after its last sample on the program clock; "
            f"the rest of the listener delay is the wait for the segment to fill"
        )
        clock = eng.get("clock") or {}
        print(
            f"Impulse runs: server {eng['cpu']['server']:.0f}% of a core, other processes "
            f"{eng['cpu']['other']:.0f}% (engine run) / {fmt(direct.get('cpu', {}).get('other'))}% (direct run); "
            f"engine clock {fmt(clock.get('late'))} late ticks of {fmt(clock.get('ticks'))}"
        )
    if any(name in results for name in ("ten_site", "ten_echo", "capacity")):
        print()
        print("CPU in % of one core over each window; other = everything else on the machine meanwhile")
        print("(server loop = the server's main thread: its event loop, which runs the clock and aiortc's packets)")
        print(
            f"{'run':<22} {'server':>7} {'loop':>6} {'clients':>7} {'bench':>6} {'other':>6} {'RSS MB':>13} "
            f"{'late ticks':>10}"
        )
        for name, label in (("ten_site", "10 speakers, site"), ("ten_echo", "10 speakers, echo")):
            r = results.get(name, {})
            if "cpu" in r:
                c = r["cpu"]
                clock = r.get("clock") or {}
                print(
                    f"{label:<22} {c['server']:>7.1f} {c['server_loop']:>6.1f} {c['clients']:>7.1f} "
                    f"{c['bench']:>6.1f} {c['other']:>6.1f} {r['rss_start_mb']:>6.0f}->{r['rss_end_mb']:<6.0f} "
                    f"{fmt(clock.get('late')):>10}"
                )
        cap = results.get("capacity", {})
        for step in cap.get("steps", []):
            print(
                f"{'capacity, ' + str(step['spaces']) + ' spaces':<22} {step['server_cpu']:>7.1f} "
                f"{step['server_loop_cpu']:>6.1f} {step['clients_cpu']:>7.1f} {step['bench_cpu']:>6.1f} "
                f"{step['other_cpu']:>6.1f} {step['rss_mb']:>13.0f} {step['late_ticks']:>10}"
            )
    cyc = results.get("cycles", {})
    if "rss_mb" in cyc:
        marks = ", ".join(f"{c}: {v:.1f}" for c, v in cyc["rss_mb"].items())
        print()
        print(f"Server RSS (MB) after join/leave cycles: {marks}; {cyc['seconds_per_cycle']:.2f} s per cycle")
        handles = cyc["threads_fds"]
        first, last = handles[cyc["first_mark"]], handles[cyc["cycles"]]
        print(
            f"Server threads / open fds: {first[0]} / {first[1]} after cycle {cyc['first_mark']}, "
            f"{last[0]} / {last[1]} at the end"
        )
    failed = [name for name, r in results.items() if "failed" in r]
    if failed:
        print()
        for name in failed:
            print(f"FAILED {name}: {results[name]['failed']}")
    print()


# --- main -------------------------------------------------------------------------------------
def _terminate(signum, frame):
    raise KeyboardInterrupt()


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 12 impulses, 10 s windows, 20 cycles")
    parser.add_argument("--impulses", type=int, help="impulses per latency run (default 50; quick 12)")
    parser.add_argument(
        "--loss-impulses", type=int, help="impulses after one lost packet (default 20; quick 6; 0 skips)"
    )
    parser.add_argument("--window", type=float, help="CPU window with 10 speakers, s (default 30; quick 10)")
    parser.add_argument("--cycles", type=int, help="join/leave cycles (default 200; quick 20)")
    parser.add_argument("--max-spaces", type=int, help="most 10-speaker spaces to try (default 6; quick 2; 0 skips)")
    parser.add_argument("--capacity-window", type=float, help="window per capacity step, s (default 10; quick 5)")
    parser.add_argument(
        "--phases", default="latency,cpu,cycles,capacity", help="which to run (default all), comma-separated"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the servers during the 10-speaker windows (results/media_engine-profile-*.txt; skews CPU)",
    )
    parser.add_argument(
        "--asgi-server",
        choices=ASGI_SERVERS,
        default="site",
        help="site: scripts/web (uvicorn, as deployed); daphne: the same app on daphne, for comparison",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, media, logs)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser


def resolve_defaults(args) -> None:
    """Fills in the options left unset: the full run's values, or --quick's."""
    quick = args.quick
    args.impulses = args.impulses or (12 if quick else 50)
    args.loss_impulses = args.loss_impulses if args.loss_impulses is not None else (6 if quick else 20)
    args.window = args.window or (10.0 if quick else 30.0)
    args.cycles = args.cycles or (20 if quick else 200)
    args.max_spaces = args.max_spaces if args.max_spaces is not None else (2 if quick else 6)
    args.capacity_window = args.capacity_window or (5.0 if quick else 10.0)


def main() -> int:
    parser = arguments()
    args = parser.parse_args()

    if args.worker:
        asyncio.run(worker_main(json.loads(Path(args.worker).read_text())))
        return 0

    resolve_defaults(args)
    run = describe_run("media_engine", parser, args)  # the resolved values: --quick's are spelled out
    print(run_lines(run), flush=True)
    args.phases = {name.strip() for name in args.phases.split(",") if name.strip()}

    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="media_engine-", dir=RESULTS))
    media_root = workdir / "media"
    env = {k: v for k, v in os.environ.items()}
    for name in ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(name, None)  # the embedded setup: SQLite, in-memory channel layer, local media
    env.pop("DJANGO_DEBUG", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ROUNDTABLE_VAR_DIR": str(workdir / "var"),
            "SQLITE_PATH": str(workdir / "bench.sqlite3"),
            "MEDIA_ROOT": str(media_root),
            "MEDIA_ENGINE_MODE": "embedded",
            "MEDIA_ICE_ADDRESSES": "127.0.0.1",  # every WebRTC connection stays on loopback
            "MEDIA_ICE_SERVERS": "[]",
            "MEDIA_SEGMENT_SECONDS": str(SEGMENT_SECONDS),
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.clear()
    os.environ.update(env)

    procs = Processes()
    previous = signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    results: dict = {}
    return_code = 0
    try:
        log(f"setting up the database in {workdir}")
        sizes = [2, 2, 10, 3] + [10] * args.max_spaces
        made = create_spaces(sizes)
        spaces = {"latency": made[0], "loss": made[1], "ten": made[2], "cycles": made[3], "capacity": made[4:]}

        from django.conf import settings

        from rooms.media.ice import limit_host_addresses

        assert settings.MEDIA_ENGINE["ICE_ADDRESSES"] == ["127.0.0.1"], "WebRTC must stay on loopback"
        limit_host_addresses()

        server_log = ServerLog(workdir / f"{args.asgi_server}.log")
        server, port = start_site(procs, args.asgi_server, env, server_log.path)
        log(f"site on port {port} ({args.asgi_server} pid {server.pid})")
        ctx = Context(procs, server, port, workdir, env, server_log)
        ctx.profile = args.profile
        results = asyncio.run(run_phases(ctx, spaces, args, media_root))
    except KeyboardInterrupt:
        log("interrupted")
        return_code = 130
    except Exception:  # noqa: BLE001 - report what ran, then fail
        traceback.print_exc()
        return_code = 1
    finally:
        Worker.kill_all()
        procs.stop_all()
        signal.signal(signal.SIGTERM, previous)

    try:
        rows = report(results)
        print_report(rows, results, args)
        print(run_lines(run), flush=True)
        payload = {
            **run,
            "settings": {k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items() if k != "worker"},
            "machine": {"cpus": os.cpu_count(), "loadavg_end": os.getloadavg()},
            "wall_s": time.monotonic() - started,
            "targets": TARGETS,
            "table": rows,
            "results": results,
        }
        out = RESULTS / "media_engine.json"
        out.write_text(json.dumps(payload, indent=1, default=str))
        log(f"results in {out}; wall time {payload['wall_s']:.0f}s")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if any("failed" in r for r in results.values()):
        return_code = return_code or 1
    return return_code


if __name__ == "__main__":
    sys.exit(main())
