"""``socket.conn``: the Engine.IO connection under a socket, and its events.

Events: ``upgrade`` (with the new transport name) and ``close`` (with the reason), delivered
once the connection's state changed in the core; and Node's traffic events, ``packet`` (each
packet from the client), ``packetCreate`` (each packet queued for it) and ``drain`` (the queue
was handed to the transport). Those three cost an event per packet, so the core reports them
only for a connection that has a listener for one of them; from then on, every event of the
connection is delivered in order by a task of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from sio_anyio._context import Context
from sio_anyio._listeners import L, Listener, Listeners
from sio_anyio._queue import Queue

PACKET_EVENTS = frozenset({"packet", "packetCreate", "drain"})
"""The events that make the core report this connection's traffic."""


class Conn:
    """One Engine.IO session, shared by the sockets it carries."""

    def __init__(self, context: Context, sid: str) -> None:
        self.id = sid
        self._context = context
        self.listeners = Listeners()
        self._inbox: Queue[tuple[str, tuple[Any, ...]]] | None = None
        self._closed = False

    @property
    def transport(self) -> str | None:
        """``polling`` or ``websocket``; None once the connection is closed."""
        return self._context.query(lambda core: core.transport_of(self.id))

    @overload
    def on(self, event: str) -> Callable[[L], L]: ...
    @overload
    def on(self, event: str, listener: L) -> L: ...
    def on(self, event: str, listener: Listener | None = None) -> Any:
        """Register a listener (usable as a decorator).

        ``upgrade`` gets the transport name, ``close`` the reason, ``packet`` and
        ``packetCreate`` the core's event (with ``.type``, Node's name such as ``"message"``,
        and ``.data``), ``drain`` nothing.
        """
        if listener is None:
            return self._register(event)
        self.listeners.add(event, listener)
        if event in PACKET_EVENTS:
            self._watch()
        return listener

    def close(self) -> None:
        """Close the connection, and with it every socket on it."""
        self._context.command(lambda core: core.close(self.id))

    def _register(self, event: str) -> Callable[[L], L]:
        def register(listener: L) -> L:
            self.on(event, listener)
            return listener

        return register

    # -- delivery -------------------------------------------------------------------------

    def _watch(self) -> None:
        """Have the core report the traffic, and deliver events in order from now on."""
        if self._inbox is not None or self._closed:
            return
        if self._context.command(lambda core: core.watch_packets(self.id)):
            self._inbox = Queue()
            self._context.spawn(self._run)

    def emit(self, event: str, *args: Any) -> None:
        """Call the listeners of ``event`` with ``args``, in a task; never waits.

        The server calls it with each event of the connection, in the core's order (as Node's
        connection, an event emitter, emits them).
        """
        self._closed = self._closed or event == "close"
        if self._inbox is None:
            self._context.spawn(self.listeners.emit, event, *args)
        else:
            self._inbox.put((event, args))

    async def _run(self) -> None:
        """Call the listeners of each event in turn, until ``close`` (always the last one)."""
        assert self._inbox is not None
        while True:
            event, args = await self._inbox.get()
            await self.listeners.emit(event, *args)
            if event == "close":
                return
