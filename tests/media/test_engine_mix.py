"""Speakers on real WebRTC (aiortc clients) through the room socket and the embedded engine:
the program holds every unmuted voice, never a muted one; each speaker hears everyone but
themselves; each speaker's track holds only their voice, at the right place on the clock."""

import re

import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.core.files.storage import default_storage

from rooms.media.audio import SAMPLE_RATE
from rooms.media.encode import decode_file
from rooms.media.program import playlist_name, program_prefix
from rooms.media.tracks import chunk_start_ms, track_prefix
from tests.audio import TONES, has_tone
from tests.media.engine_helpers import clock_past, current_engine
from tests.media.speakers import ToneSpeaker
from tests.rooms.socket_helpers import sockets_fixture, update_participant  # noqa: F401
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def read_program(space_id) -> np.ndarray:
    playlist = default_storage.open(playlist_name(space_id)).read().decode()
    names = re.findall(r"^(seg_\d+\.ts)$", playlist, re.M)
    data = b"".join(default_storage.open(program_prefix(space_id) + n).read() for n in names)
    return decode_file(data)


def read_track(space_id, user_id) -> list[tuple[int, np.ndarray]]:
    _, files = default_storage.listdir(track_prefix(space_id, user_id))
    names = sorted(f for f in files if f.endswith(".flac"))
    prefix = track_prefix(space_id, user_id)
    return [(chunk_start_ms(n), decode_file(default_storage.open(prefix + n).read())) for n in names]


async def test_it_mixes_program_mix_minus_and_tracks_by_voice(people, sockets):
    space = people.space
    for name in ("speaker", "cohost"):
        await update_participant(space.pk, getattr(people, name), muted=(name == "cohost"))
    await update_participant(space.pk, people.host, muted=False)
    voices = {"host": TONES["host"], "speaker": TONES["speaker"], "cohost": TONES["muted"]}
    speakers = {}
    try:
        for name, freq in voices.items():
            socket = await sockets.open(space.pk, getattr(people, name), name=name)
            speakers[name] = ToneSpeaker(socket, freq)
            await speakers[name].join()
        # Three seconds of conversation, on the engine's own clock.
        session = current_engine().sessions[space.pk]
        await clock_past(session, session.sample + 3 * SAMPLE_RATE)
        host_socket = speakers["host"].socket
        await host_socket.send("space.end")
        await host_socket.wait_type("space.ended", timeout=5)
        await wait_until(
            lambda: default_storage.exists(playlist_name(space.pk))
            and b"#EXT-X-ENDLIST" in default_storage.open(playlist_name(space.pk)).read()
        )
    finally:
        for speaker in speakers.values():
            await speaker.close()

    program = await database_sync_to_async(read_program)(space.pk)
    assert len(program) > 48000 * 2
    assert has_tone(program, TONES["host"]) and has_tone(program, TONES["speaker"])
    assert not has_tone(program, TONES["muted"]), "a muted speaker was heard in the program"

    host_hears = speakers["host"].heard_audio()
    speaker_hears = speakers["speaker"].heard_audio()
    assert has_tone(host_hears, TONES["speaker"]) and not has_tone(host_hears, TONES["host"])
    assert has_tone(speaker_hears, TONES["host"]) and not has_tone(speaker_hears, TONES["speaker"])
    assert not has_tone(host_hears, TONES["muted"])

    for name, other in (("host", "speaker"), ("speaker", "host")):
        chunks = await database_sync_to_async(read_track)(space.pk, getattr(people, name).pk)
        assert chunks, f"no track for {name}"
        audio = np.concatenate([pcm for _, pcm in chunks])
        assert has_tone(audio, voices[name]) and not has_tone(audio, voices[other])
        # Chunks sit back to back on the space's clock.
        for (start, pcm), (next_start, _) in zip(chunks, chunks[1:], strict=False):
            assert next_start == start + round(len(pcm) * 1000 / 48000)
    muted_track = await database_sync_to_async(read_track)(space.pk, people.cohost.pk)
    assert muted_track and not has_tone(np.concatenate([p for _, p in muted_track]), TONES["muted"])
