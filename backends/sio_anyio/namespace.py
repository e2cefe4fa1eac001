"""Namespaces as the application sees them: ``io.of("/admin")``, with middlewares and handlers.

A dynamic namespace, ``io.of(re.compile(...))`` or ``io.of(predicate)``, is a parent: its
middlewares and ``connection`` handlers apply to every child namespace it creates, and emitting
on it reaches all of its children.

Every namespace made after the main one is announced to the main one's ``new_namespace``
listeners, as in Node: one made by ``io.of(name)`` at once, a dynamic child in the task of its
first socket, before the middlewares run (never while the core's events are being routed).
"""

from __future__ import annotations

import inspect
import logging
import re
import types
from collections.abc import Mapping
from typing import Any

from sio_anyio._context import Context
from sio_anyio._listeners import EventEmitter, L, Listener, call_logged
from sio_anyio.broadcast import BroadcastOperator, RemoteSocket, RoomNames
from sio_anyio.room_events import RoomEvents
from sio_anyio.socket import Socket
from sio_core import NamespaceMatcher as NamespaceMatcher  # for the server
from sio_core import SocketServer

logger = logging.getLogger("sio_anyio")

_ALONE_TIMEOUT = 5.0
"""A server alone answers a server-side emit at once (nobody to wait for); any timeout does."""


class Namespace(EventEmitter):
    """One namespace: its middlewares, its ``connection`` handlers and its sockets.

    Listening is Node's EventEmitter (``on``, ``once``, ``off``, ``listeners``...): a
    ``connection`` handler (alias ``connect``) gets each new socket; usable as a decorator.
    """

    def __init__(self, context: Context, name: str, parent: ParentNamespace | None = None) -> None:
        super().__init__()
        self.name = name
        self.parent = parent
        self.sockets: dict[str, Socket[Any]] = {}
        self._context = context
        self._middlewares: list[Listener] = []
        self._adapter: RoomEvents | None = None

    @property
    def adapter(self) -> RoomEvents:
        """The namespace's room events, ``join-room`` and ``leave-room`` (Node's
        ``nsp.adapter`` events); the link to other servers is the server's ``adapter``."""
        if self._adapter is None:
            self._adapter = RoomEvents(self._context)
        return self._adapter

    def use(self, middleware: L) -> L:
        """Run ``middleware(socket)`` before each connection; raising refuses it.

        Raise :class:`~sio_anyio.errors.ConnectionRejected` to send a message and data along.
        """
        self._middlewares.append(middleware)
        return middleware

    def _event_name(self, event: str) -> str:
        return "connection" if event == "connect" else event

    def middlewares(self) -> list[Listener]:
        """The parent's middlewares, then this namespace's own."""
        inherited = self.parent.middlewares() if self.parent is not None else []
        return [*inherited, *self._middlewares]

    # -- broadcasting, with the operators in front ----------------------------------------

    def _operator(self) -> BroadcastOperator:
        return BroadcastOperator(self._context, self.name)

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
        """Send an event to the other servers of the cluster (none with one server); their
        ``on(event)`` handlers get it."""
        self._context.command(
            lambda core: core.operations.server_side_emit(self.name, event, args)
        )

    async def server_side_emit_with_ack(self, event: str, *args: Any) -> list[Any]:
        """Send an event to the other servers and collect one answer from each.

        :returns: one answer per other server, in arrival order (empty with none).
        :raises AckTimeoutError: some servers did not answer within the adapter's requests
            timeout; it carries the answers that came.
        """
        cluster = self._context.cluster
        peers = await self._context.peers(self.name)
        timeout = cluster.emit_timeout if cluster is not None else _ALONE_TIMEOUT
        request_id = self._context.timed_command(
            lambda core: core.operations.server_side_emit(
                self.name, event, args, with_ack=True, timeout=timeout, peers=peers
            )
        )
        assert request_id is not None
        return await self._context.acks.wait_server_side(request_id)


class ParentNamespace(Namespace):
    """A family of dynamic namespaces; what is registered here applies to every child."""

    def __init__(self, context: Context, key: int, namespaces: Namespaces) -> None:
        super().__init__(context, f"<dynamic {key}>")
        self._key = key
        self._namespaces = namespaces

    @property
    def children(self) -> list[Namespace]:
        """The namespaces created so far from this family."""
        names = self._context.query(lambda core: _children(core, self._key))
        return [self._namespaces.named(name) for name in names]

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to every socket of every child."""
        for child in self.children:
            child.emit(event, *args)
        return True


class Namespaces:
    """The application's namespaces by name, and the dynamic families, made on first use."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._by_name: dict[str, Namespace] = {}
        self._parents: dict[int, ParentNamespace] = {}
        self._unannounced: set[str] = set()
        self.by_name: Mapping[str, Namespace] = types.MappingProxyType(self._by_name)
        """Every namespace made so far (dynamic children, not their parents), read-only."""

    def of(self, name: str | re.Pattern[str] | NamespaceMatcher) -> Namespace:
        """The namespace ``name``, declared if needed; a pattern or predicate makes a parent."""
        if isinstance(name, str):
            full_name = name if name.startswith("/") else "/" + name
            if full_name not in self._by_name:
                self._context.command(lambda core: core.namespaces.add(full_name))
                namespace = self._by_name[full_name] = Namespace(self._context, full_name)
                self._announce(namespace)
            return self._by_name[full_name]
        matcher = name
        key = self._context.command(lambda core: core.namespaces.add_dynamic(matcher).key)
        parent = self._parents[key] = ParentNamespace(self._context, key, self)
        return parent

    def named(self, name: str) -> Namespace:
        """The namespace a client connects to: a dynamic child is made under its parent."""
        if name not in self._by_name:
            key = self._context.query(lambda core: _parent_key(core, name))
            parent = self._parents.get(key) if key is not None else None
            self._by_name[name] = Namespace(self._context, name, parent)
            self._unannounced.add(name)
        return self._by_name[name]

    def announce(self, namespace: Namespace) -> None:
        """Announce a namespace :meth:`named` made, the first time only; from a task, as its
        listeners may change the server."""
        if namespace.name in self._unannounced:
            self._unannounced.discard(namespace.name)
            self._announce(namespace)

    def _announce(self, namespace: Namespace) -> None:
        """Call the main namespace's ``new_namespace`` listeners with ``namespace``: a plain
        function at once, as Node does, an async one in a task of its own."""
        main = self._by_name.get("/")
        if main is None or namespace is main:
            return
        for listener in main.listeners("new_namespace"):
            if inspect.iscoroutinefunction(listener):
                self._context.spawn(call_logged, listener, namespace)
                continue
            try:
                listener(namespace)
            except Exception:
                logger.exception("new_namespace listener %r failed", listener)


def _parent_key(core: SocketServer, name: str) -> int | None:
    record = core.namespaces.get(name)
    return record.parent.key if record is not None and record.parent is not None else None


def _children(core: SocketServer, key: int) -> list[str]:
    return [
        record.name
        for record in core.namespaces
        if record.parent is not None and record.parent.key == key
    ]
