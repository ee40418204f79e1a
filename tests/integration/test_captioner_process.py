"""Live captions across real processes on Redis and PostgreSQL: a speaker (aiortc, espeak
speech) talks to a `manage.py media_engine` process, which hands the utterance to a
`manage.py captioner` process, whose caption reaches a listener's room socket in this one."""

import subprocess
import sys

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from rooms.media.captions import CAPTIONER_CHANNEL
from rooms.models import Space
from tests.audio import PcmTrack
from tests.integration import test_media_engine_process as engine_process
from tests.integration.processes import poll, stop
from tests.media.speakers import ToneSpeaker
from tests.rooms.socket_helpers import sockets_fixture, update_participant  # noqa: F401
from tests.speech import needs_espeak, say, silence

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), needs_espeak]

FIRST, engine_alive = engine_process.FIRST, engine_process.engine_alive
engines = engine_process.engines  # the fixture: engine processes on this test's database and Redis

SENTENCE = "We will release the new version next week."


@pytest.fixture
def captioner(engines, tmp_path):
    """`manage.py captioner` with the engines' environment, once it has loaded its model."""
    log_path = tmp_path / "captioner.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "captioner"],
        env=engines.env,
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.output = log_path.read_text
    try:
        poll(lambda: "captioner running" in log_path.read_text() or proc.poll() is not None, 60, "the captioner")
        assert proc.poll() is None, f"the captioner exited:\n{log_path.read_text()}"
        yield proc
    finally:
        stop(proc)
        log.close()
        print(f"--- captioner (exit {proc.returncode})\n{log_path.read_text()}")


async def test_a_caption_crosses_the_engine_and_captioner_processes_to_a_listener(people, sockets, engines, captioner):
    space = people.space
    await database_sync_to_async(Space.objects.filter(pk=space.pk).update)(captions=True)
    engines.start(FIRST)
    await engine_alive(engines, FIRST)
    await update_participant(space.pk, people.speaker, muted=False)
    listener = await sockets.open(space.pk, people.listener, name="listener")
    # Malformed input on the captioner's channel first: logged there, and it keeps serving.
    await get_channel_layer().send(CAPTIONER_CHANNEL, {"type": "caption.utterance", "audio": b"\x00"})

    socket = await sockets.open(space.pk, people.speaker, name="speaker")
    speaker = ToneSpeaker(socket, 0, track=PcmTrack(np.concatenate([silence(1), say(SENTENCE)])))
    try:
        await speaker.join(timeout=20)
        caption = await listener.wait_type("caption", timeout=90)
    finally:
        await speaker.close()

    assert caption["user_id"] == people.speaker.pk and caption["name"] == "sam"
    assert "release" in caption["text"].lower()
    assert "ignored a malformed utterance" in captioner.output()
    stop(captioner)
    assert captioner.returncode == 0, "the captioner did not stop cleanly on SIGTERM"


def test_the_captioner_refuses_to_start_without_a_shared_channel_layer(settings):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x", "DJANGO_HTTPS": "0", "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "captioner"], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "shared channel layer" in result.stderr
