"""Offers through the room socket to the embedded engine: bad offers and people off stage
are refused without touching the engine; live mutes, removals, a speaker going quiet and a
speaker reconnecting change the mix as they should, and the clock never stalls."""

import asyncio

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from rooms.media.audio import SAMPLE_RATE
from rooms.media.engine import _embedded, ensure_embedded_engine
from rooms.models import Participant
from tests.audio import TONES, ToneTrack, has_tone
from tests.media.engine_helpers import (  # noqa: F401  (stopped_engine_after is a fixture)
    SDP_LIMIT,
    SEGMENT,
    audio_flowing,
    close_all,
    current_engine,
    end_space,
    full_segments_within,
    heard_since,
    join,
    segment_audio,
    segment_numbers,
    stopped_engine_after,
    until_full_segments_after,
    wait_until,
)
from tests.media.speakers import ToneSpeaker
from tests.rooms.socket_helpers import (  # noqa: F401  (fixtures)
    marker,
    read_to_marker,
    room_state,
    sockets_fixture,
    update_participant,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- bad offers -----------------------------------------------------------------------------
async def test_it_refuses_a_malformed_offer_for_that_client_only_and_keeps_serving(people, sockets, settings):
    # Room for an oversized offer in one frame, so that the offer check (not the frame
    # check) is what refuses it.
    settings.ROUNDTABLE = {**settings.ROUNDTABLE, "MAX_FRAME_BYTES": 64 * 1024}
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    engine = await ensure_embedded_engine()
    host_socket = await sockets.open(space.pk, people.host, name="host")
    speaker_socket = await sockets.open(space.pk, people.speaker, name="speaker")
    before = await room_state(space.pk)

    # Refused by the room socket: the engine never hears of them.
    oversized = "v=0\r\n" + "a=x-padding:" + "x" * SDP_LIMIT + "\r\n"
    for sdp in (12345, None, ["v=0"], {"sdp": "v=0"}, "", "o=- 0 0 IN IP4 127.0.0.1", oversized):
        await speaker_socket.send("media.offer", sdp=sdp)
        await speaker_socket.expect_error("bad_sdp")
    await speaker_socket.send("media.offer")
    await speaker_socket.expect_error("bad_sdp")
    await speaker_socket.ping()
    assert engine.sessions == {} and engine.starting == {}

    # Looks like SDP to the socket; the engine refuses it, to that client alone. The second
    # parses, but aiortc cannot answer it (its audio section twice, with one mid).
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ToneTrack(TONES["speaker"]))
    try:
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
    finally:
        await pc.close()
    doubled = offer + offer[offer.index("m=audio") :]
    unsigned = "\r\n".join(line for line in offer.split("\r\n") if not line.startswith("a=fingerprint"))
    for sdp in ("v=0 garbage", doubled, unsigned):
        await speaker_socket.send("media.offer", sdp=sdp)
        error = await speaker_socket.expect_error("bad_sdp", timeout=10)
        assert set(error) == {"type", "code", "message"}
    await marker(space.pk)
    for socket in (host_socket, speaker_socket):
        seen = await read_to_marker(socket)
        assert not [m for m in seen if m["type"] in ("error", "media.answer")], seen
    session = engine.sessions[space.pk]
    assert session.peers == {} and session.mixer.feeds == {}
    assert await room_state(space.pk) == before
    assert speaker_socket.close_code is None and host_socket.close_code is None

    # The engine still answers good offers, and the speaker who sent garbage is heard.
    host = ToneSpeaker(host_socket, TONES["host"])
    speaker = ToneSpeaker(speaker_socket, TONES["speaker"])
    try:
        await host.join()
        await speaker.join()
        assert set(session.peers) == {people.host.pk, people.speaker.pk}
        await wait_until(lambda: has_tone(host.heard_audio(), TONES["speaker"]), what="the host to hear the speaker")
        await wait_until(lambda: has_tone(speaker.heard_audio(), TONES["host"]), what="the speaker to hear the host")
        assert not has_tone(host.heard_audio(), TONES["host"])
    finally:
        await close_all([host, speaker])


@pytest.mark.parametrize(
    "persona, code",
    [
        ("listener", "not_on_stage"),
        ("raised", "not_on_stage"),
        ("guest", "login_required"),
        ("outsider", "not_in_space"),
    ],
)
async def test_it_refuses_offers_from_people_off_stage(people, sockets, persona, code):
    space = people.space
    engine = await ensure_embedded_engine()
    socket = await sockets.open(space.pk, getattr(people, persona), name=persona)
    if persona == "outsider":
        # Connecting made them a listener; without that row they have no place in the space.
        await Participant.objects.filter(space=space, user=people.outsider).adelete()
    before = await room_state(space.pk)

    pc = ToneSpeaker(socket, TONES["muted"]).pc
    try:
        await pc.setLocalDescription(await pc.createOffer())
        await socket.send("media.offer", sdp=pc.localDescription.sdp, ref="offer")
        await socket.expect_error(code, ref="offer")
    finally:
        await pc.close()

    assert engine.sessions == {} and engine.starting == {}, "the engine heard of a refused offer"
    assert await room_state(space.pk) == before
    await socket.ping()
    assert not [m for m in socket.seen if m["type"] == "media.answer"]

    # A speaker's offer after them: the engine's only peer.
    speaker = await join(sockets, people, "speaker", TONES["speaker"])
    try:
        session = engine.sessions[space.pk]
        assert set(session.peers) == {people.speaker.pk}
        assert set(session.mixer.feeds) == {people.speaker.pk}
    finally:
        await speaker.close()


# --- changes on stage while audio flows ------------------------------------------------------
async def test_it_takes_a_speaker_muted_by_the_host_out_of_the_program(people, sockets):
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await audio_flowing(session, people.host, people.speaker)
        started = session.sample

        before_mute = await until_full_segments_after(session, started)
        await host.socket.send("mute", user_id=people.speaker.pk, ref="mute")
        await host.socket.expect_ack("mute")
        feed = session.mixer.feeds[people.speaker.pk]
        await wait_until(lambda: feed.muted, what="the engine to apply the mute")
        muted_at = session.sample
        await until_full_segments_after(session, muted_at)
        ended_at = await end_space(host, session)
    finally:
        await close_all(speakers)

    before = full_segments_within(started, before_mute)
    after = full_segments_within(muted_at, ended_at)
    assert before and after
    for seq in before:
        audio = segment_audio(space.pk, seq)
        assert has_tone(audio, TONES["host"]) and has_tone(audio, TONES["speaker"]), f"segment {seq} before the mute"
    for seq in after:
        audio = segment_audio(space.pk, seq)
        assert has_tone(audio, TONES["host"]), f"segment {seq} after the mute"
        assert not has_tone(audio, TONES["speaker"]), f"the muted speaker is in segment {seq}"


async def test_it_drops_the_peer_of_a_speaker_moved_to_the_listeners(people, sockets):
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(speaker := await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await wait_until(lambda: has_tone(host.heard_audio(), TONES["speaker"]), what="the host to hear the speaker")
        peer = session.peers[people.speaker.pk]

        await host.socket.send("speaker.remove", user_id=people.speaker.pk, ref="down")
        await host.socket.expect_ack("down")
        await wait_until(lambda: people.speaker.pk not in session.peers, what="the engine to drop the peer")
        assert set(session.peers) == {people.host.pk}
        assert set(session.mixer.feeds) == {people.host.pk}
        assert people.speaker.pk not in session.tracks
        await wait_until(lambda: peer.pc.connectionState == "closed", what="the old peer to close")

        # The host no longer hears them, and as a listener they cannot offer again.
        mark = len(host.heard)
        await wait_until(lambda: len(host.heard) >= mark + 100, what="two more seconds of audio")
        assert not has_tone(heard_since(host, mark + 25), TONES["speaker"])
        await speaker.socket.send("media.offer", sdp=speaker.pc.localDescription.sdp, ref="again")
        await speaker.socket.expect_error("not_on_stage", ref="again")
        await speaker.socket.ping()
        assert people.speaker.pk not in session.peers
    finally:
        await close_all(speakers)


async def test_it_keeps_mixing_and_cutting_segments_when_a_speaker_stops_sending(people, sockets):
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    await update_participant(space.pk, people.cohost, muted=False)
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(await join(sockets, people, "cohost", TONES["cohost"]))
        speakers.append(quitter := await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await audio_flowing(session, people.host, people.cohost, people.speaker)
        started = session.sample
        before_stop = await until_full_segments_after(session, started)

        await quitter.pc.close()  # the page froze or the network went: no more packets
        # Frames already on their way may still arrive for a moment.
        stopped = session.sample + SAMPLE_RATE // 2
        written = len(segment_numbers(space.pk))
        await wait_until(lambda: len(segment_numbers(space.pk)) >= written + 2, what="new segments")
        await until_full_segments_after(session, stopped, count=2)
        # Still hearing each other live.
        mark = len(host.heard)
        await wait_until(lambda: len(host.heard) >= mark + 50, what="a second more of the host's mix-minus")
        assert has_tone(heard_since(host, mark), TONES["cohost"])
        assert not has_tone(heard_since(host, mark), TONES["speaker"])
        ended_at = await end_space(host, session)
    finally:
        await close_all(speakers)

    numbers = segment_numbers(space.pk)
    assert numbers == list(range(numbers[0], numbers[-1] + 1)), "a gap in the program"
    for seq in full_segments_within(started, before_stop):
        audio = segment_audio(space.pk, seq)
        assert all(has_tone(audio, TONES[n]) for n in ("host", "cohost", "speaker")), f"segment {seq}"
    after = full_segments_within(stopped, ended_at)
    assert len(after) >= 2
    for seq in after:
        audio = segment_audio(space.pk, seq)
        assert has_tone(audio, TONES["host"]) and has_tone(audio, TONES["cohost"]), f"segment {seq}"
        assert not has_tone(audio, TONES["speaker"]), f"segment {seq} has the speaker who stopped"
        assert len(audio) > SEGMENT * 0.9


async def test_it_replaces_the_connection_of_a_speaker_who_offers_again(people, sockets):
    space = people.space
    await update_participant(space.pk, people.host, muted=False)
    speakers = []
    try:
        speakers.append(host := await join(sockets, people, "host", TONES["host"]))
        speakers.append(first := await join(sockets, people, "speaker", TONES["speaker"]))
        session = current_engine().sessions[space.pk]
        await wait_until(lambda: has_tone(host.heard_audio(), TONES["speaker"]), what="the first connection's audio")
        old_peer = session.peers[people.speaker.pk]

        # The page reconnects (a new RTCPeerConnection, here with another voice) on the same socket.
        speakers.append(second := ToneSpeaker(first.socket, TONES["cohost"]))
        mark = len(host.heard)
        await second.join()
        new_peer = session.peers[people.speaker.pk]
        assert new_peer is not old_peer
        assert set(session.peers) == {people.host.pk, people.speaker.pk}
        assert set(session.mixer.feeds) == {people.host.pk, people.speaker.pk}
        assert old_peer.pc.connectionState == "closed"

        await wait_until(lambda: has_tone(heard_since(host, mark), TONES["cohost"]), what="the new connection's audio")
        mark = len(host.heard)
        await wait_until(lambda: len(host.heard) >= mark + 50, what="a second more of audio")
        recent = heard_since(host, mark, 50)
        assert has_tone(recent, TONES["cohost"]) and not has_tone(recent, TONES["speaker"])
        assert has_tone(second.heard_audio(), TONES["host"])
        assert session.peers[people.speaker.pk] is new_peer
        assert new_peer.pc.connectionState == "connected"
    finally:
        await close_all(speakers)


async def test_it_answers_speakers_who_offer_at_the_same_moment_on_a_fresh_engine(people, sockets):
    # After a restart every page offers again at once: the first offers start the engine
    # together, and none of them may find it half started.
    space = people.space
    assert id(asyncio.get_running_loop()) not in _embedded
    await update_participant(space.pk, people.host, muted=False)
    await update_participant(space.pk, people.cohost, muted=False)
    speakers = []
    try:
        for name in ("host", "cohost", "speaker"):
            socket = await sockets.open(space.pk, getattr(people, name), name=name)
            speakers.append(ToneSpeaker(socket, TONES[name]))
        for speaker in speakers:
            await speaker.pc.setLocalDescription(await speaker.pc.createOffer())
        for speaker in speakers:
            await speaker.socket.send("media.offer", sdp=speaker.pc.localDescription.sdp, ref="offer")
        for speaker in speakers:
            got = await speaker.socket.wait_for(lambda m: m["type"] in ("media.answer", "error"), timeout=15)
            assert got["type"] == "media.answer", got
            await speaker.pc.setRemoteDescription(RTCSessionDescription(sdp=got["sdp"], type="answer"))
        session = current_engine().sessions[space.pk]
        assert set(session.peers) == {people.host.pk, people.cohost.pk, people.speaker.pk}
        host = speakers[0]
        await wait_until(
            lambda: has_tone(host.heard_audio(), TONES["cohost"]) and has_tone(host.heard_audio(), TONES["speaker"]),
            what="the host to hear both others",
        )
    finally:
        await close_all(speakers)
