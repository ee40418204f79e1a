"""The CPU baseline for the media engine benchmark: a bare aiortc echo peer.

    python -m tests.bench.media_echo_server PORT MAX_SECONDS

Each websocket on ws://127.0.0.1:PORT/ sends one {"sdp": offer} and gets {"sdp": answer}. The
peer connection sends back the audio it receives, doing per stream the work the engine does
per speaker, with the engine's own code: the same receive buffer (rooms.media.peers'
arrival-order buffer in place of aiortc's), aiortc's Opus decode, `to_mono`, and the
engine's `MixMinusTrack`, which encodes mono Opus at 40 kbit/s in 20 ms frames itself and
hands aiortc finished packets. What it leaves out is what the engine adds on top: mixing
(each speaker's mix-minus), the 20 ms mixing clock, the program's HLS (AAC) and the tracks'
FLAC in the writer thread, Django and the channel layer. It closes when its socket closes.
WebRTC stays on 127.0.0.1 (MEDIA_ICE_ADDRESSES, no ICE servers). The server stops on SIGTERM
or after MAX_SECONDS.
"""

import asyncio
import json
import os
import signal
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def echo(source, out) -> None:
    """What came in, folded to mono as the engine folds each voice, goes straight back out."""
    from rooms.media.audio import to_mono

    while True:
        try:
            frame = await source.recv()
        except MediaStreamError:
            return
        out.feed(to_mono(frame))


async def handle(ws) -> None:
    # The engine's own receive buffer and sender, so that the per-stream work is the engine's.
    from rooms.media.peers import MixMinusTrack, _receive_on_arrival

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    out = MixMinusTrack()
    readers: list[asyncio.Task] = []

    def on_track(track):
        if track.kind == "audio" and not readers:
            readers.append(asyncio.ensure_future(echo(track, out)))

    pc.on("track", on_track)
    try:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "audio":
                _receive_on_arrival(transceiver.receiver)
        pc.addTrack(out)
        await pc.setLocalDescription(await pc.createAnswer())
        await ws.send(json.dumps({"sdp": pc.localDescription.sdp}))
        async for _ in ws:  # until the client closes its socket
            pass
    except (ConnectionClosed, TimeoutError):
        pass
    finally:
        for reader in readers:
            reader.cancel()
        out.stop()
        await pc.close()


async def serve_for(port: int, max_seconds: float) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(handle, "127.0.0.1", port):
        try:
            await asyncio.wait_for(stop.wait(), max_seconds)
        except TimeoutError:
            pass


def main(port: int, max_seconds: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["MEDIA_ICE_ADDRESSES"] = "127.0.0.1"
    from django.conf import settings

    from rooms.media.ice import limit_host_addresses

    assert settings.MEDIA_ENGINE["ICE_ADDRESSES"] == ["127.0.0.1"], "WebRTC must stay on loopback"
    limit_host_addresses()
    asyncio.run(serve_for(port, max_seconds))


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
