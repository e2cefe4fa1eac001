"""Turns: how much one task may do before it lets the others run (fair scheduling).

An event loop switches tasks only where one awaits something that is not ready. A single read
of 64 KiB can hold thousands of small WebSocket messages (9,000 pongs, 2,000 events). Handled
to the end, each fed to the core and dispatched to its socket's task, they make one long
stretch during which no other client is read from, answered or written to. A
bystander's ack crosses three tasks (its reader, its socket's task, its connection's writer),
and at each it waits behind whatever the flooding client's tasks do before they next await.

So every loop that can carry on without waiting spends a :class:`Turn` per item, and when the
turn is used up it checkpoints: every other ready task runs once before it goes on. The loops
are the WebSocket readers (per wsproto event, or per ASGI message), the HTTP connection (per
request), and the tasks that run handlers: each socket's, each watched connection's (``packet``
listeners), the Engine.IO handler runner, another server's ``server_side_emit``. A turn is at
most :data:`ITEMS_PER_TURN` items or :data:`BYTES_PER_TURN` bytes of them, whichever comes
first: the byte count stands for the cost of big messages (decoding a megabyte of JSON), the
item count for the cost of many small ones.

A task yields only between items, never within one, and each loop is the only consumer of what
it reads: one connection's messages, and one socket's events, are still handled one at a time
and in the order they came. Turns are counted rather than timed, so the same input yields at
the same points on every run and every machine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio.lowlevel

Checkpoint = Callable[[], Awaitable[None]]

ITEMS_PER_TURN = 32
"""Items a loop handles before it lets the other tasks run: small enough that a turn of small
messages stays near a millisecond, large enough that the checkpoints cost next to nothing."""

BYTES_PER_TURN = 65536
"""Bytes of items (message payloads, request bodies) after which a turn ends early."""


_checkpoints: dict[type, Checkpoint] = {}


def loop_checkpoint() -> Checkpoint:
    """The running loop's own checkpoint. ``anyio.lowlevel.checkpoint`` finds the loop again
    on every call, through sniffio, which costs more than the checkpoint itself; a reader that
    lets the others run before each read makes one per message. Shared by every caller."""
    backend = anyio.lowlevel.current_token().backend_class
    checkpoint = _checkpoints.get(backend)
    if checkpoint is None:
        checkpoint = _checkpoints[backend] = backend.checkpoint
    return checkpoint


class Turn:
    """The share of the event loop one task is using; :meth:`spend` after each item."""

    __slots__ = ("_checkpoint", "_items", "_items_left", "_size", "_size_left")

    def __init__(self, items: int = ITEMS_PER_TURN, size: int = BYTES_PER_TURN) -> None:
        self._items = items
        self._size = size
        self._items_left = items
        self._size_left = size
        self._checkpoint: Checkpoint | None = None  # looked up when first needed

    def checkpoint(self) -> Awaitable[None]:
        """The running loop's checkpoint (see :func:`loop_checkpoint`), to await."""
        checkpoint = self._checkpoint
        if checkpoint is None:
            checkpoint = self._checkpoint = loop_checkpoint()
        return checkpoint()

    def rest(self) -> None:
        """The task has just waited (for its socket, say): the others had the loop meanwhile,
        so its turn starts again in full. A loop that waits between most items then never
        needs to yield on top: only one that finds its input ready item after item does."""
        self._items_left = self._items
        self._size_left = self._size

    async def spend(self, size: int = 0) -> None:
        """One item of ``size`` bytes is done; let the other tasks run if the turn is over."""
        if self.used(size):
            await self.checkpoint()

    def used(self, size: int = 0) -> bool:
        """:meth:`spend` for the path of every message: True when the turn is over (it starts
        again), and the caller must now ``await checkpoint()``. Most calls return False, and
        then no coroutine was made for nothing."""
        self._items_left -= 1
        self._size_left -= size
        if self._items_left <= 0 or self._size_left <= 0:
            self.rest()
            return True
        return False
