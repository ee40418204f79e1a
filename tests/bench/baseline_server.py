"""The baseline for the fan-out benchmark: a bare asyncio `websockets` server.

    python -m tests.bench.baseline_server PORT

Every socket on /ws/... is a listener: it gets one snapshot-like message on connect and
then every broadcast. A socket on /control sends {"delay": seconds, "text": "..."}; after
`delay` (the benchmark passes the site's batch interval for reactions, 0 otherwise) the
server writes `text` to all listeners with websockets' broadcast(). No database, no channel
layer, no per-socket application: the floor of what Python can do for the same fan-out.
"""

import asyncio
import json
import resource
import signal
import sys

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

SNAPSHOT = json.dumps(
    {
        "type": "snapshot",
        "space": {
            "id": 1,
            "title": "Baseline",
            "state": "live",
            "host_id": 1,
            "record": False,
            "recording": False,
            "allow_clips": True,
            "captions": False,
            "started_at": "2025-01-01T00:00:00+00:00",
            "ended_at": None,
        },
        "you": None,
        "participants": [
            {
                "user_id": 1,
                "username": "host",
                "name": "host",
                "role": "host",
                "muted": False,
                "muted_by_moderator": False,
                "hand_raised_at": None,
                "invited": False,
                "present": True,
            },
        ],
        "listener_count": 0,
        "limits": {"cohosts": 2, "speakers": 10},
    },
    ensure_ascii=False,
)


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main(port: int) -> None:
    raise_fd_limit()
    listeners: set = set()
    loop = asyncio.get_running_loop()

    async def handler(ws):
        if ws.request.path.startswith("/control"):
            try:
                async for raw in ws:
                    order = json.loads(raw)
                    if order.get("delay"):
                        loop.call_later(order["delay"], broadcast, listeners, order["text"])
                    else:
                        broadcast(listeners, order["text"])
            except ConnectionClosed:
                pass
            return
        listeners.add(ws)
        try:
            await ws.send(SNAPSHOT)
            await ws.wait_closed()
        finally:
            listeners.discard(ws)

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    # Same defaults as a browser-facing server (pings every 20 s); no compression, as
    # daphne/autobahn declines permessage-deflate too.
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=128):
        print("READY", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
