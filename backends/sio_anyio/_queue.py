"""An unbounded FIFO filled by synchronous code and drained by one task.

The driver dispatches the core's events synchronously, right after each call into the core,
so it can never await; the writers (one per WebSocket, one for application events) wait here.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")


class Queue(Generic[T]):
    """Put without waiting; get in order, waiting while empty (one reader at a time)."""

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._wakeup: anyio.Event | None = None  # created by the reader: needs a running loop

    def put(self, item: T) -> None:
        """Append ``item`` and wake the reader."""
        self._items.append(item)
        if self._wakeup is not None:
            self._wakeup.set()

    async def get(self) -> T:
        """The oldest item, waiting for one if needed."""
        while not self._items:
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
        return self._items.popleft()

    async def get_all(self) -> list[T]:
        """Every queued item, oldest first, waiting for one if needed."""
        while not self._items:
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
        items = list(self._items)
        self._items.clear()
        return items
