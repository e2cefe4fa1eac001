"""One re-armable task that calls the core when its next deadline comes.

The core owns every deadline (heartbeats, upgrade timeouts); the backend only sleeps until the
earliest one. After each pump the driver calls :meth:`DeadlineTimer.rearm` with the core's new
``next_deadline()``; moving a cancel scope's deadline wakes the sleeper without a new task.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import anyio


class DeadlineTimer:
    """Sleeps until ``deadline()`` (on :func:`anyio.current_time`'s clock), then ``fire(now)``."""

    def __init__(
        self, deadline: Callable[[], float | None], fire: Callable[[float], None]
    ) -> None:
        self._deadline = deadline
        self._fire = fire
        self._scope: anyio.CancelScope | None = None
        self._armed = math.inf

    def rearm(self, deadline: float | None) -> None:
        """Wake by ``deadline`` if that is earlier than the wake-up already set.

        Called after every pump, so it must be cheap: a later deadline leaves the timer alone
        (it wakes early, finds nothing due, and sleeps again until the core's real deadline).
        """
        target = math.inf if deadline is None else deadline
        if target < self._armed and self._scope is not None:
            self._armed = target
            self._scope.deadline = target

    async def run(self) -> None:
        """Loop forever; stops only when cancelled."""
        while True:
            with anyio.CancelScope() as scope:
                self._scope, self._armed = scope, math.inf
                self.rearm(self._deadline())
                await anyio.sleep_forever()
            self._scope = None
            self._fire(anyio.current_time())
            # A core whose deadline stays in the past must not starve the other tasks.
            await anyio.sleep(0)
