"""Namespaces as the application sees them: ``io.of("/admin")``, with middlewares and handlers.

A dynamic namespace, ``io.of(re.compile(...))`` or ``io.of(predicate)``, is a parent: its
middlewares and ``connection`` handlers apply to every child namespace it creates, and emitting
on it reaches all of its children.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sio_anyio._listeners import L, Listener, Listeners
from sio_anyio.broadcast import BroadcastOperator, RoomNames
from sio_core import DynamicNamespace

if TYPE_CHECKING:
    from sio_anyio.server import Server
    from sio_anyio.socket import RemoteSocket, Socket


class Namespace:
    """One namespace: its middlewares, its ``connection`` handlers and its sockets."""

    def __init__(self, server: Server, name: str, parent: ParentNamespace | None = None) -> None:
        self.name = name
        self.server = server
        self.parent = parent
        self.sockets: dict[str, Socket] = {}
        self._middlewares: list[Listener] = []
        self._listeners = Listeners()

    def use(self, middleware: L) -> L:
        """Run ``middleware(socket)`` before each connection; raising refuses it.

        Raise :class:`~sio_anyio.errors.ConnectionRejected` to send a message and data along.
        """
        self._middlewares.append(middleware)
        return middleware

    def on(self, event: str, listener: Listener | None = None) -> Any:
        """Register a ``connection`` (alias ``connect``) handler; usable as a decorator."""
        event = "connection" if event == "connect" else event
        if listener is None:
            return self._listeners.decorator(event)
        self._listeners.add(event, listener)
        return listener

    def middlewares(self) -> list[Listener]:
        """The parent's middlewares, then this namespace's own."""
        inherited = self.parent.middlewares() if self.parent is not None else []
        return [*inherited, *self._middlewares]

    async def _connected(self, socket: Socket) -> None:
        if self.parent is not None:
            await self.parent._listeners.emit("connection", socket)
        await self._listeners.emit("connection", socket)

    # -- broadcasting, with the operators in front ----------------------------------------

    def _operator(self) -> BroadcastOperator:
        return BroadcastOperator(self.server, self.name)

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to every socket of the namespace."""
        return self._operator().emit(event, *args)

    def to(self, *rooms: RoomNames) -> BroadcastOperator:
        """Target the sockets in these rooms."""
        return self._operator().to(*rooms)

    in_ = to

    def except_(self, *rooms: RoomNames) -> BroadcastOperator:
        """Target every socket but those in these rooms."""
        return self._operator().except_(*rooms)

    @property
    def volatile(self) -> BroadcastOperator:
        """Drop the message where the transport cannot take it now."""
        return self._operator().volatile

    @property
    def local(self) -> BroadcastOperator:
        """This node's sockets only."""
        return self._operator().local

    def timeout(self, seconds: float) -> BroadcastOperator:
        """Collect acks from every recipient for at most ``seconds``."""
        return self._operator().timeout(seconds)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """A snapshot of every socket of the namespace."""
        return await self._operator().fetch_sockets()

    def sockets_join(self, *rooms: RoomNames) -> None:
        """Make every socket join the rooms."""
        self._operator().sockets_join(*rooms)

    def sockets_leave(self, *rooms: RoomNames) -> None:
        """Make every socket leave the rooms."""
        self._operator().sockets_leave(*rooms)

    def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every socket of the namespace."""
        self._operator().disconnect_sockets(close)

    def server_side_emit(self, event: str, *args: Any) -> None:
        """Send an event to the other nodes of the cluster (none with one node)."""
        self.server._core_call(
            lambda core: core.operations.server_side_emit(self.name, event, args)
        )


class ParentNamespace(Namespace):
    """A family of dynamic namespaces; what is registered here applies to every child."""

    def __init__(self, server: Server, family: DynamicNamespace) -> None:
        super().__init__(server, f"<dynamic {family.key}>")
        self.family = family

    @property
    def children(self) -> list[Namespace]:
        """The namespaces created so far from this family."""
        return [self.server.of(name) for name in self.family.children]

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to every socket of every child."""
        for child in self.children:
            child.emit(event, *args)
        return True
