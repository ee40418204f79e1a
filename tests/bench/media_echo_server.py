"""The CPU baseline for the media engine benchmark: a bare aiortc echo peer.

    python -m tests.bench.media_echo_server PORT MAX_SECONDS

Each websocket on ws://127.0.0.1:PORT/ sends one {"sdp": offer} and gets {"sdp": answer}. The
peer connection sends back the audio it receives: aiortc decodes it and encodes it again,
as the engine does, but with no mixing, no HLS or FLAC writing and no Django. It closes when
its socket closes. WebRTC stays on 127.0.0.1 (MEDIA_ICE_ADDRESSES, no ICE servers). The
server stops on SIGTERM or after MAX_SECONDS.

Each decoded frame goes back as a new mono frame of exactly its samples, as the engine's
MixMinusTrack sends. Handing aiortc the decoded frame itself would cost far more: its Opus
decoder allocates 120 ms planes, and aiortc's pure-Python audio level (an RTP header
extension) then walks the whole 23 kB plane of every 20 ms frame (about 0.7 ms each).
"""

import asyncio
import json
import os
import signal
import sys

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


class EchoTrack(MediaStreamTrack):
    """What came in, folded to mono (as the engine folds voices), goes straight back out."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack):
        super().__init__()
        self.source = source

    async def recv(self):
        frame = await self.source.recv()
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        samples = data[0] if frame.format.is_planar else data.reshape(-1, channels)[:, 0]
        out = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples).reshape(1, -1), format="s16", layout="mono")
        out.sample_rate, out.pts, out.time_base = frame.sample_rate, frame.pts, frame.time_base
        return out


async def handle(ws) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    def on_track(track):
        if track.kind == "audio":
            pc.addTrack(EchoTrack(track))

    pc.on("track", on_track)
    try:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await ws.send(json.dumps({"sdp": pc.localDescription.sdp}))
        async for _ in ws:  # until the client closes its socket
            pass
    except (ConnectionClosed, TimeoutError):
        pass
    finally:
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
