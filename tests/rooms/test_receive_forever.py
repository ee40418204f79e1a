"""rooms.events.receive_forever: it keeps reading through layer errors, and stops when cancelled
even if the layer turns the cancellation into an error of its own (redis does, when the
connection closes under the read), so a loop shutting down never waits on it."""

import asyncio

import pytest

from rooms.events import receive_forever


class FailingLayer:
    """receive(): the first call fails, then a message, then a read that, when cancelled,
    raises a connection error instead of CancelledError."""

    def __init__(self):
        self.calls = 0

    async def receive(self, channel):
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("hiccup")
        if self.calls == 2:
            return {"type": "hello"}
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise ConnectionError("Connection closed by server.") from None


async def test_it_retries_a_failed_read_and_stops_when_cancelled_through_a_layer_error():
    handled = []

    async def handle(message):
        handled.append(message["type"])

    layer = FailingLayer()
    task = asyncio.create_task(receive_forever(layer, "chan", handle, "test"))
    while layer.calls < 3:
        await asyncio.sleep(0.05)
    assert handled == ["hello"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert layer.calls == 3
