"""``socket.conn``: the Engine.IO connection under a socket, and its events.

Events: ``upgrade`` (with the new :class:`Transport`) and ``close`` (with the reason), delivered
once the connection's state changed in the core; and Node's traffic events, ``packet`` (each
packet from the client), ``packetCreate`` (each packet queued for it) and ``drain`` (the queue
was handed to the transport). Those three cost an event per packet, so the core reports them
only for a connection that has a listener for one of them; from then on, every event of the
connection is delivered in order by a task of its own.
"""

from __future__ import annotations

from typing import Any

from sio_anyio._context import Context
from sio_anyio._listeners import EventEmitter
from sio_anyio._queue import Queue
from sio_anyio._turns import Turn

PACKET_EVENTS = frozenset({"packet", "packetCreate", "drain"})
"""The events that make the core report this connection's traffic."""


class Transport(str):
    """A transport, as Node's ``socket.conn.transport``: read its ``name``.

    It is also the name itself (a ``str``), so ``conn.transport == "websocket"`` holds too.
    """

    __slots__ = ()

    @property
    def name(self) -> str:
        """``"polling"`` or ``"websocket"``."""
        return str(self)


class Conn(EventEmitter):
    """One Engine.IO session, shared by the sockets it carries.

    Listening is Node's EventEmitter (``on``, ``once``, ``off``, ``remove_listener``,
    ``remove_all_listeners``, ``listeners``). ``upgrade`` listeners get the new
    :class:`Transport`, ``close`` ones the reason, ``packet`` and ``packetCreate`` ones the
    core's event (with ``.type``, Node's name such as ``"message"``, and ``.data``), ``drain``
    ones nothing.
    """

    def __init__(self, context: Context, sid: str, transport: str) -> None:
        super().__init__()
        self.id = sid
        self._context = context
        self._transport = Transport(transport)
        self._inbox: Queue[tuple[str, tuple[Any, ...]]] | None = None
        self._closed = False

    @property
    def transport(self) -> Transport:
        """The transport the connection runs on (the last one, once it is closed)."""
        return self._transport

    def close(self) -> None:
        """Close the connection, and with it every socket on it."""
        self._context.command(lambda core: core.connections.close(self.id))

    def _added(self, event: str) -> None:
        if event in PACKET_EVENTS:
            self._watch()

    # -- delivery -------------------------------------------------------------------------

    def _watch(self) -> None:
        """Have the core report the traffic, and deliver events in order from now on."""
        if self._inbox is not None or self._closed:
            return
        if self._context.command(lambda core: core.connections.watch_packets(self.id)):
            self._inbox = Queue()
            self._context.spawn(self._run)

    def emit(self, event: str, *args: Any) -> None:
        """Call the listeners of ``event`` with ``args``, in a task; never waits.

        The server calls it with each event of the connection, in the core's order (as Node's
        connection, an event emitter, emits them). An ``upgrade`` changes :attr:`transport`
        at once, before its listeners run.
        """
        self._closed = self._closed or event == "close"
        if event == "upgrade":
            self._transport = Transport(args[0])
            args = (self._transport,)
        if self._inbox is None:
            if self._listeners.has(event):  # most connections have none: no task
                self._context.spawn(self._listeners.emit, event, *args)
        else:
            self._inbox.put((event, args))

    async def _run(self) -> None:
        """Call the listeners of each event in turn, until ``close`` (always the last one).

        A client's flood of packets queues up here: the other tasks get their turn between them.
        """
        assert self._inbox is not None
        turn = Turn()
        while True:
            event, args = await self._inbox.get()
            await self._listeners.emit(event, *args)
            if event == "close":
                return
            await turn.spend()
