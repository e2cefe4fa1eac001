"""``io.of(name).adapter``: a namespace's room events, Node's adapter ``join-room`` and
``leave-room``.

Node's adapter is an event emitter; here the rooms live in the core, and this handle is the
emitter part. The core reports joins and leaves only once someone listens (``watch_rooms``), so
a server without such listeners pays nothing for them. Listeners run in a task that lives while
there are events to deliver, one event at a time, in the core's order, so a join and the leave
that follows it always arrive in that order.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sio_anyio._context import Context
from sio_anyio._listeners import EventEmitter

ROOM_EVENTS = frozenset({"join-room", "leave-room"})
"""The events that make the core report joins and leaves."""


class RoomEvents(EventEmitter):
    """The room events of one namespace: ``join-room`` and ``leave-room`` listeners get the
    room and the socket id, as in Node. A socket joins its own room as it connects and leaves
    each of its rooms as it disconnects.

    Listening is Node's EventEmitter (``on``, ``once``, ``off``...). ``create-room`` and
    ``delete-room`` are not reported.
    """

    def __init__(self, context: Context) -> None:
        super().__init__()
        self._context = context
        self._pending: deque[tuple[str, tuple[Any, ...]]] = deque()

    def _added(self, event: str) -> None:
        if event in ROOM_EVENTS:
            self._context.command(lambda core: core.operations.watch_rooms())

    def emit(self, event: str, *args: Any) -> None:
        """Call the listeners of ``event`` with ``args``, after those of earlier events; never
        waits (the server calls it with each room event of the core)."""
        if not self.listener_count(event):
            return
        self._pending.append((event, args))
        if len(self._pending) == 1 and not self._context.spawn(self._deliver):
            self._pending.clear()  # not serving: nobody to deliver it

    async def _deliver(self) -> None:
        """Deliver the pending events in turn; their first stays queued until delivered, so
        that an event arriving meanwhile knows this task will take it."""
        try:
            while self._pending:
                event, args = self._pending[0]
                await self._listeners.emit(event, *args)
                self._pending.popleft()
        finally:
            self._pending.clear()  # cancelled with the server: the rest is dropped
