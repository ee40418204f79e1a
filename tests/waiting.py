"""The one way a test waits for something outside its control (a row, a file, a process, the
engine's state): ask again until it says yes. The bound only stops a broken run from hanging;
no test asserts how long anything took (speed is for tests/bench). In a browser page, wait on
the page's own events instead (Playwright's expect and wait_for_function)."""

import asyncio
import time

from channels.db import database_sync_to_async

# A short yield of the CPU between asks, not a guess at how long anything takes.
INTERVAL = 0.05


def poll(predicate, timeout: float, what: str):
    """`predicate()`'s first truthy answer."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(INTERVAL)


async def wait_until(predicate, timeout: float = 15.0, what: str = "the condition", *, in_thread: bool = False):
    """The same inside an event loop. `in_thread`: `predicate` touches the database, so it runs
    in a worker thread (database_sync_to_async) and never on the loop."""
    ask = database_sync_to_async(predicate) if in_thread else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await ask() if ask else predicate()
        if result:
            return result
        assert loop.time() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(INTERVAL)
