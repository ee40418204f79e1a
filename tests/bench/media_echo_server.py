"""The CPU baseline for the media engine benchmark: a bare aiortc echo peer.

    python -m tests.bench.media_echo_server PORT MAX_SECONDS

Each websocket on ws://127.0.0.1:PORT/ sends one {"sdp": offer} and gets {"sdp": answer}. The
peer connection sends back the audio it receives: aiortc decodes it and encodes it again,
as the engine does, but with no mixing, no HLS or FLAC writing and no Django. It closes when
its socket closes. WebRTC stays on 127.0.0.1 (MEDIA_ICE_ADDRESSES, no ICE servers). The
server stops on SIGTERM or after MAX_SECONDS.
"""

import asyncio
import json
import os
import signal
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def handle(ws) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    def on_track(track):
        if track.kind == "audio":
            pc.addTrack(track)  # what comes in goes straight back out

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
