"""Runs the application's handler on session events, one at a time, in the order they happened.

A single consumer task keeps every session's events in order (``SessionOpened`` before its
``MessageReceived`` before its ``SessionClosed``). A handler that raises is logged and the
server carries on: a bug in user code never takes the server down.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from sio_anyio._counter import InFlight
from sio_anyio._queue import Queue
from sio_anyio._turns import Turn
from sio_core.events import Event

logger = logging.getLogger("sio_anyio")

AppHandler = Callable[[Event], "Awaitable[None] | None"]
"""Called with each session event; may be a plain function or a coroutine function.

Plain functions run on the event loop, so they must be quick (send, close, record).
"""


class HandlerRunner:
    """Queues events synchronously; :meth:`run` delivers them to ``handler``."""

    def __init__(self, handler: AppHandler | None) -> None:
        self._handler = handler
        self._queue: Queue[Event] = Queue()
        self._pending = InFlight()  # submitted, not yet fully handled

    def submit(self, event: Event) -> None:
        """Called by the driver during a pump; never waits."""
        if self._handler is not None:
            self._pending.add()
            self._queue.put(event)

    async def run(self) -> None:
        """Deliver events until cancelled, letting the other tasks run between turns."""
        turn = Turn()
        while True:
            event = await self._queue.get()
            try:
                await self._deliver(event)
            finally:
                self._pending.done()
            await turn.spend()

    async def idle(self) -> None:
        """Wait until every submitted event has been handled."""
        await self._pending.idle()

    async def _deliver(self, event: Event) -> None:
        assert self._handler is not None
        try:
            result = self._handler(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("application handler failed on %r", event)
