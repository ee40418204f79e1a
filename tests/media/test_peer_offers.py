"""What an offer must hold (docs/room-protocol.md, media.offer): audio only, with Opus; the
engine answers in Opus alone, so the mix it sends is never taken for another codec."""

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender

from rooms.media.mixer import SpeakerFeed
from rooms.media.peers import BadOffer, SpeakerPeer
from tests.audio import ToneTrack


async def offer(*, codecs=None, video=False) -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver(ToneTrack(700.0), direction="sendrecv")
    if codecs:
        caps = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.name in codecs]
        transceiver.setCodecPreferences(caps)
    if video:
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


async def answer(sdp: str) -> str:
    peer = SpeakerPeer(SpeakerFeed(1), on_gone=lambda gone: None)
    try:
        return await peer.answer(sdp)
    finally:
        await peer.close()


async def test_it_answers_an_opus_offer_in_opus_alone():
    sdp = await answer(await offer())

    rtpmaps = [line for line in sdp.splitlines() if line.startswith("a=rtpmap:")]
    assert rtpmaps and all("opus/48000" in line.lower() for line in rtpmaps)


@pytest.mark.parametrize("codecs", [["PCMU"], ["PCMA"], ["PCMU", "PCMA"]])
async def test_it_refuses_an_offer_without_opus(codecs):
    with pytest.raises(BadOffer, match="no Opus"):
        await answer(await offer(codecs=codecs))


async def test_it_refuses_an_offer_with_video():
    with pytest.raises(BadOffer, match="Audio only"):
        await answer(await offer(video=True))
