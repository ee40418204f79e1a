"""`manage.py media_engine` as a real process on Redis and the PostgreSQL test database:
speakers reach it through the room socket (channels_redis in between), it writes the program,
and when it dies the space moves to another engine whose segments continue the numbering."""

import functools
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F
from django.utils import timezone

from rooms.media.encode import decode_file
from rooms.media.ice import limit_host_addresses
from rooms.media.program import playlist_name, program_prefix
from rooms.models import MediaNode, Space
from tests import waiting
from tests.audio import TONES, has_tone
from tests.integration.processes import stop
from tests.media.speakers import ToneSpeaker
from tests.rooms.socket_helpers import sockets_fixture, update_participant  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FIRST, SECOND = "test-engine", "test-engine-2"


class Engines:
    """Engine processes started by a test; every one is stopped when it ends."""

    def __init__(self, env: dict, log_dir):
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")  # closed in stop_all
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "media_engine", "--name", name],
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log = log
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def output(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            stop(proc)
            proc.log.close()
            print(f"--- engine {name} (exit {proc.returncode})\n{self.output(name)}")


@pytest.fixture
def engines(transactional_db, settings, tmp_path):
    """Test process and engines agree on the media folder, the channel-layer prefix and the
    database; WebRTC stays on loopback on both sides."""
    media_root = tmp_path / "media"
    media_root.mkdir()
    settings.MEDIA_ROOT = str(media_root)
    settings.MEDIA_ENGINE = {
        **settings.MEDIA_ENGINE,
        "MODE": "external",
        "ICE_ADDRESSES": ["127.0.0.1"],
        "ICE_SERVERS": [],
        "SEGMENT_SECONDS": 1,
    }
    limit_host_addresses()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        "MEDIA_ENGINE_MODE": "external",
        "MEDIA_ICE_ADDRESSES": "127.0.0.1",
        "MEDIA_ICE_SERVERS": "[]",
        "MEDIA_ROOT": str(media_root),
        "MEDIA_SEGMENT_SECONDS": "1",
        "MEDIA_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CHANNEL_LAYER_URL", None)
    running = Engines(env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()
        settings.MEDIA_ENGINE = {**settings.MEDIA_ENGINE, "ICE_ADDRESSES": []}
        limit_host_addresses()


# Engine processes start and hand over in seconds; what is asked reads the database or files.
wait_until = functools.partial(waiting.wait_until, timeout=30.0, in_thread=True)


async def engine_alive(engines: Engines, name: str) -> None:
    """Until the engine has registered and sent a heartbeat since."""

    def beating():
        assert engines.procs[name].poll() is None, f"engine {name} exited:\n{engines.output(name)}"
        return MediaNode.objects.filter(name=name, heartbeat_at__gt=F("started_at")).exists()

    await wait_until(beating, what=f"a heartbeat from {name}")


def segment_numbers(space_id: int) -> list[int]:
    if not default_storage.exists(program_prefix(space_id)):
        return []
    _, files = default_storage.listdir(program_prefix(space_id))
    return sorted(int(f[4:10]) for f in files if re.fullmatch(r"seg_\d{6}\.ts", f))


def read_segments(space_id: int, numbers) -> np.ndarray:
    data = b"".join(default_storage.open(f"{program_prefix(space_id)}seg_{n:06d}.ts").read() for n in numbers)
    return decode_file(data)


def playlist_closed(space_id: int) -> bool:
    name = playlist_name(space_id)
    return default_storage.exists(name) and b"#EXT-X-ENDLIST" in default_storage.open(name).read()


def media_node_name(space_id: int) -> str | None:
    node = Space.objects.select_related("media_node").get(pk=space_id).media_node
    return node.name if node else None


async def join(sockets, people, name: str, freq: float) -> ToneSpeaker:
    socket = await sockets.open(people.space.pk, getattr(people, name), name=name)
    speaker = ToneSpeaker(socket, freq)
    await speaker.join(timeout=20)
    return speaker


async def test_it_mixes_speakers_in_a_separate_engine_process(people, sockets, engines):
    space = people.space
    engines.start(FIRST)
    await engine_alive(engines, FIRST)
    await update_participant(space.pk, people.host, muted=False)

    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(await join(sockets, people, "speaker", TONES["speaker"]))
        assert await database_sync_to_async(media_node_name)(space.pk) == FIRST
        # A few seconds of conversation, counted in the engine's own output.
        await wait_until(lambda: len(segment_numbers(space.pk)) >= 3, what="three program segments")
        await wait_until(lambda: has_tone(host.heard_audio(), TONES["speaker"]), what="the host to hear the speaker")
        await host.socket.send("space.end")
        await host.socket.wait_type("space.ended", timeout=10)
        await wait_until(lambda: playlist_closed(space.pk), what="the closed playlist")
    finally:
        for speaker in speakers:
            await speaker.close()

    program = await database_sync_to_async(read_segments)(space.pk, segment_numbers(space.pk))
    assert len(program) > 48000 * 2
    assert has_tone(program, TONES["host"]) and has_tone(program, TONES["speaker"])
    assert not has_tone(program, TONES["muted"])


async def test_it_moves_a_space_to_another_engine_when_its_engine_dies(people, sockets, engines):
    space = people.space
    engines.start(FIRST)
    await engine_alive(engines, FIRST)

    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(speaker := await join(sockets, people, "speaker", TONES["speaker"]))
        await wait_until(lambda: len(segment_numbers(space.pk)) >= 2, what="segments from the first engine")
        assert await database_sync_to_async(media_node_name)(space.pk) == FIRST

        engines.kill(FIRST)
        before = await database_sync_to_async(segment_numbers)(space.pk)
        assert has_tone(await database_sync_to_async(read_segments)(space.pk, before[-1:]), TONES["speaker"])
        engines.start(SECOND)
        await engine_alive(engines, SECOND)
        # Its heartbeats stopped long ago, as far as the web processes can tell.
        stale = timezone.now() - timedelta(seconds=settings.MEDIA_ENGINE["DEAD_AFTER_SECONDS"] * 10)
        await database_sync_to_async(MediaNode.objects.filter(name=FIRST).update)(heartbeat_at=stale)

        # The page notices its connection failed and offers again (a new peer connection).
        speakers.append(again := ToneSpeaker(speaker.socket, TONES["speaker"]))
        await again.join(timeout=20)
        assert await database_sync_to_async(media_node_name)(space.pk) == SECOND

        def new_segments():
            return [n for n in segment_numbers(space.pk) if n > before[-1]]

        await wait_until(lambda: len(new_segments()) >= 3, what="segments from the second engine")
        await host.socket.send("space.end")
        await host.socket.wait_type("space.ended", timeout=10)
        await wait_until(lambda: playlist_closed(space.pk), what="the second engine to close the playlist")
    finally:
        for each in speakers:
            await each.close()

    after = await database_sync_to_async(new_segments)()
    assert after and min(after) > max(before), (before, after)
    # The playlist now is the second engine's: only segments numbered after the first's.
    playlist = await database_sync_to_async(lambda: default_storage.open(playlist_name(space.pk)).read().decode())()
    listed = [int(n) for n in re.findall(r"^seg_(\d{6})\.ts$", playlist, re.M)]
    assert listed and min(listed) > max(before)
    assert set(listed) <= set(after)
    audio = await database_sync_to_async(read_segments)(space.pk, after)
    assert has_tone(audio, TONES["speaker"]), "the re-offered speaker is not in the new engine's segments"
    assert not has_tone(audio, TONES["host"]), "the host never re-offered, so only the speaker is mixed"
