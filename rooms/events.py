"""The one way live events leave the services: to the room's channel-layer group, after commit.

Events are serialized to JSON once here; every server process that has sockets in the
space receives the text once and writes it to its own sockets (see rooms/hub.py), so a
space with ten thousand listeners costs the channel layer one message per process.
"""

import asyncio
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def space_group(space_id: int) -> str:
    return f"space.{space_id}"


def encode(event: dict) -> str:
    """The JSON text of an event, always encodable as UTF-8 (every text frame must be)."""
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            # A lone surrogate would make the server's write raise and kill the socket;
            # escaped (\ud800) it is the same JSON, and the rest comes escaped along with it.
            return json.dumps(event, separators=(",", ":"))
    return text


def layer_message(space_id: int, event: dict, to_user: int | None = None) -> dict:
    return {
        "type": "room.event",
        "space_id": space_id,
        "event": event["type"],
        "text": encode(event),
        "to_user": to_user,
    }


def send_now(space_id: int, event: dict, to_user: int | None = None) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(space_group(space_id), layer_message(space_id, event, to_user))


def send_space_event(space_id: int, event: dict, to_user: int | None = None) -> None:
    """Send to everyone in the space (or one user of it) once the transaction commits."""
    transaction.on_commit(lambda: send_now(space_id, event, to_user))


def stopping() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def receive_forever(layer, channel: str, handle, what: str) -> None:
    """Read a process channel for good: a layer (Redis) hiccup is logged and retried rather
    than leaving `what` deaf, and one message that fails to handle never stops the next."""
    while True:
        try:
            message = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception:
            if stopping():
                # Cancelled while the layer was failing (its error can stand in for the
                # CancelledError): stop, or a loop shutting down waits on this for good.
                raise asyncio.CancelledError() from None
            log.exception("%s: receive failed; retrying", what)
            await asyncio.sleep(0.5)
            continue
        try:
            await handle(message)
        except Exception:
            log.exception("%s could not handle %s", what, message.get("type"))
