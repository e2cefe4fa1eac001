"""How many things are still under way, and a way to wait until none is.

A graceful shutdown waits for three such counts: answers being written, application events
being handled, handler tasks running. Each is a plain counter that the waiting side watches.
"""

from __future__ import annotations

import anyio


class InFlight:
    """A count that goes up and down in any task; :meth:`idle` waits until it is zero."""

    def __init__(self) -> None:
        self._count = 0
        self._idle: anyio.Event | None = None  # made by the waiter: an Event needs a running loop

    def add(self) -> None:
        """One more under way."""
        self._count += 1

    def done(self) -> None:
        """One fewer; wakes the waiter when none is left."""
        self._count -= 1
        if self._count == 0 and self._idle is not None:
            self._idle.set()

    async def idle(self) -> None:
        """Return once nothing is under way (at once if nothing is)."""
        while self._count:
            self._idle = anyio.Event()
            await self._idle.wait()
