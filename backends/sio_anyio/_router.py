"""From the core's events to the handles: which socket, connection or wait each one is for.

The driver calls :meth:`EventRouter.route` during its pump, so routing never waits and never
changes the core: an event is put in the queue of the socket it concerns, handed to its
connection, or settles an ack. A socket's admission (:meth:`_admission`) follows the pump: the
namespace's middlewares decide (unless the core says a recovered socket skips them), the
connection handlers run, then the events that came meanwhile are handled; from then on the
socket handles each event as it comes, one at a time, in order (see :mod:`sio_anyio.socket`).
Like a socket's events, the admission runs in the task that pumped for as long as it needs no
waiting, and in a task of its own from its first await.

Cluster events go to the adapter (publishing, subscribing), or settle a request that waited
for the other nodes; another server's ``server_side_emit`` runs the namespace's handlers of
that event, one at a time and in the order received, in a task per namespace that lives while
it has events to handle (a shutdown waits for it).
"""

from __future__ import annotations

import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sio_anyio._context import Context
from sio_anyio._listeners import Listener, call, call_logged, wants_ack
from sio_anyio._steps import Steps, advance, call_logged_steps, call_steps, finish
from sio_anyio._turns import Turn
from sio_anyio.conn import Conn
from sio_anyio.errors import ConnectionRejected
from sio_anyio.namespace import Namespace, Namespaces
from sio_anyio.socket import Socket
from sio_core import SocketServer
from sio_core.events import (
    AckAbandoned,
    AckReceived,
    BroadcastAcksCollected,
    ClusterCommand,
    ClusterFetchCompleted,
    ClusterMessageRejected,
    ClusterPublish,
    ClusterSubscribe,
    ClusterUnsubscribe,
    Event,
    EventReceived,
    PacketCreated,
    PacketReceived,
    RoomJoined,
    RoomLeft,
    ServerSideEmitAcksCollected,
    ServerSideEmitReceived,
    SessionClosed,
    SessionDrained,
    SessionOpened,
    SessionUpgraded,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
)

logger = logging.getLogger("sio_anyio")

_TO_ADAPTER = (
    ClusterPublish,
    ClusterSubscribe,
    ClusterUnsubscribe,
    ClusterMessageRejected,
    ClusterCommand,
)
NAMESPACE_EVENTS = frozenset({"connect", "connection", "new_namespace"})
"""A namespace's own events: never run for another server's ``server_side_emit``."""


class EventRouter:
    """Routes each core event to the handle it concerns."""

    def __init__(self, context: Context, namespaces: Namespaces) -> None:
        self._context = context
        self._namespaces = namespaces
        self._sockets: dict[str, Socket] = {}
        self._conns: dict[str, Conn] = {}
        self._server_side: dict[str, deque[ServerSideEmitReceived]] = {}  # being handled

    def route(self, event: Event) -> None:
        """Route one core event; called during the pump: it never waits nor changes the core."""
        if type(event) is EventReceived:  # most events
            self._to_socket(event.socket_id, event)
        elif isinstance(event, SocketConnecting):
            self._start_socket(event)
        elif isinstance(event, EventReceived | SocketErrored | SocketDisconnecting):
            self._to_socket(event.socket_id, event)
        elif isinstance(event, SocketDisconnected):
            self._to_socket(event.socket_id, event)
            self._forget_socket(event.socket_id, event.nsp)
        elif isinstance(event, AckReceived | AckAbandoned):
            self._context.acks.resolve_ack(event)
        elif isinstance(event, BroadcastAcksCollected):
            self._context.acks.resolve_broadcast(event)
        elif isinstance(event, _TO_ADAPTER):
            if self._context.cluster is not None:
                self._context.cluster.on_cluster_event(event)
        elif isinstance(event, ClusterFetchCompleted):
            self._context.acks.resolve_fetch(event)
        elif isinstance(event, ServerSideEmitAcksCollected):
            self._context.acks.resolve_server_side(event)
        elif isinstance(event, ServerSideEmitReceived):
            self._to_server_side(event)
        elif isinstance(event, RoomJoined | RoomLeft):
            self._to_rooms(event)
        else:
            self._on_session_event(event)

    # -- connections ----------------------------------------------------------------------

    def _on_session_event(self, event: Event) -> None:
        if isinstance(event, SessionOpened):
            self._conns[event.sid] = Conn(self._context, event.sid, event.transport)
            logger.debug("session %s opened over %s", event.sid, event.transport)
        elif isinstance(event, SessionUpgraded) and event.sid in self._conns:
            self._conns[event.sid].emit("upgrade", event.transport)
        elif isinstance(event, SessionClosed):
            conn = self._conns.pop(event.sid, None)
            logger.info("session %s closed: %s (%s)", event.sid, event.reason, event.description)
            if conn is not None:
                conn.emit("close", event.reason)
        elif isinstance(event, PacketReceived | PacketCreated | SessionDrained):
            self._on_packet_event(event)

    def _on_packet_event(self, event: PacketReceived | PacketCreated | SessionDrained) -> None:
        """Only sessions with a traffic listener report these (see :mod:`sio_anyio.conn`)."""
        conn = self._conns.get(event.sid)
        if conn is None:
            return
        if isinstance(event, SessionDrained):
            conn.emit("drain")
        else:
            conn.emit("packet" if isinstance(event, PacketReceived) else "packetCreate", event)

    # -- sockets --------------------------------------------------------------------------

    def _start_socket(self, event: SocketConnecting) -> None:
        sid = self._context.query(lambda core: _sid_of(core, event.socket_id))
        conn = self._conns.get(sid) if sid is not None else None
        if conn is None:
            return
        namespace = self._namespaces.named(event.nsp)
        socket = Socket(self._context, namespace, event.socket_id, event.handshake, conn)
        socket.recovered = event.recovered
        self._sockets[socket.id] = socket
        middlewares = () if event.skip_middlewares else namespace.middlewares()
        self._context.after_pump(lambda: self._admit_now(socket, namespace, middlewares))

    def _admit_now(
        self, socket: Socket, namespace: Namespace, middlewares: Iterable[Listener]
    ) -> None:
        """Admit a socket here while its middlewares and handlers need no waiting (most are
        plain functions: no task at all), in a task of its own from their first await."""
        steps = self._admission(socket, namespace, middlewares)
        awaiting = advance(steps)
        if awaiting is not None and not self._context.spawn(finish, steps, awaiting):
            steps.close()  # not serving
            if inspect.iscoroutine(awaiting):
                awaiting.close()

    def _admission(
        self, socket: Socket, namespace: Namespace, middlewares: Iterable[Listener]
    ) -> Steps[None]:
        """The namespace's middlewares decide; an accepted socket's connection handlers run."""
        self._namespaces.announce(namespace)  # a dynamic child's first socket: new_namespace
        if not (yield from self._admit(socket, middlewares)):
            self._sockets.pop(socket.id, None)
            return
        socket.connected = True
        namespace.sockets[socket.id] = socket
        logger.info("socket %s connected to %s", socket.id, namespace.name)
        # The core holds the CONNECT until release: as in Node, the connection handlers run up
        # to their first await before the client learns it is connected.
        releasing = self._releasing(socket.id)
        try:
            for owner in (namespace.parent, namespace):
                if owner is not None:
                    for listener in owner.raw_listeners("connection"):
                        yield from call_logged_steps(listener, socket, before_wait=releasing)
        finally:
            self._context.release_connect(socket.id)  # handlers that never suspended
        # The one private call between handles: the socket handles the events that came
        # meanwhile, then each as it comes (the server only sequences them).
        socket._handle_now()

    def _releasing(self, socket_id: str) -> Callable[[Awaitable[Any]], Awaitable[Any]]:
        """What a handler that must wait is wrapped in: the release runs at the first
        suspension of the task awaiting it, so a handler awaiting its client's ack cannot
        deadlock."""

        async def released_at_first_wait(awaiting: Awaitable[Any]) -> Any:
            self._context.spawn(self._release_soon, socket_id)
            return await awaiting

        return released_at_first_wait

    async def _release_soon(self, socket_id: str) -> None:
        self._context.release_connect(socket_id)

    def _admit(self, socket: Socket, middlewares: Iterable[Listener]) -> Steps[bool]:
        """Run the namespace middlewares, then accept or reject in the core."""
        try:
            for middleware in middlewares:
                yield from call_steps(middleware, socket)
        except ConnectionRejected as refusal:
            return self._decide(socket.id, refusal.message, refusal.data)
        except Exception as error:
            return self._decide(socket.id, str(error) or type(error).__name__, None)
        return self._decide(socket.id, None, None)

    def _decide(self, socket_id: str, refusal: str | None, data: Any) -> bool:
        if not self._context.query(lambda core: core.is_pending(socket_id)):
            return False  # the client left while the middlewares ran
        if refusal is None:
            self._context.accept_connect(socket_id)  # held until release_connect
            return True
        self._context.command(lambda core: core.reject(socket_id, refusal, data))
        return False

    def _to_socket(self, socket_id: str, event: Event) -> None:
        socket = self._sockets.get(socket_id)
        if socket is not None:
            socket._deliver(event)  # the other private call: the socket's events, in order

    def _forget_socket(self, socket_id: str, nsp: str) -> None:
        socket = self._sockets.pop(socket_id, None)
        if socket is not None:
            socket.nsp.sockets.pop(socket_id, None)
            logger.info("socket %s left %s", socket_id, nsp)

    def _to_rooms(self, event: RoomJoined | RoomLeft) -> None:
        """Only reported once a namespace's ``adapter`` has listeners (see ``room_events``)."""
        namespace = self._namespaces.by_name.get(event.nsp)
        if namespace is not None:
            name = "join-room" if isinstance(event, RoomJoined) else "leave-room"
            namespace.adapter.emit(name, event.room, event.socket_id)

    # -- other servers' server-side emits ------------------------------------------------------

    def _to_server_side(self, event: ServerSideEmitReceived) -> None:
        if event.event in NAMESPACE_EVENTS:
            logger.warning(
                "dropped a server-side emit named %r from %s", event.event, event.origin
            )
            return
        pending = self._server_side.get(event.nsp)
        if pending is not None:
            pending.append(event)  # its namespace's task is running: it comes after the others
            return
        pending = self._server_side[event.nsp] = deque([event])
        self._context.spawn(self._run_server_side, self._namespaces.named(event.nsp), pending)

    async def _run_server_side(
        self, namespace: Namespace, pending: deque[ServerSideEmitReceived]
    ) -> None:
        self._namespaces.announce(namespace)
        turn = Turn()
        try:
            while pending:
                event = pending.popleft()
                handlers = namespace.listeners(event.event)
                if event.ack_id is None or not handlers:
                    for handler in handlers:
                        await call_logged(handler, *event.args)
                else:
                    await self._answer_server_side(handlers, event.args, event.ack_id)
                await turn.spend()
        finally:
            del self._server_side[namespace.name]

    async def _answer_server_side(
        self, handlers: list[Any], args: tuple[Any, ...], ack_id: int
    ) -> None:
        """The first handler answers (its return value, or ``ack(value)``); the others run."""
        answered = False

        def ack(*values: Any) -> None:
            nonlocal answered
            if not answered:
                answered = True
                answer = values[:1]
                self._context.command(lambda core: core.operations.server_side_ack(ack_id, answer))

        first, *others = handlers
        try:
            if wants_ack(first):
                await call(first, *args, ack=ack)
            else:
                ack(await call(first, *args))
        except Exception:
            logger.exception("server-side handler %r failed", first)
        for handler in others:
            await call_logged(handler, *args)


def _sid_of(core: SocketServer, socket_id: str) -> str | None:
    """The Engine.IO session of a socket, while the core knows it."""
    record = core.socket(socket_id)
    return record.sid if record is not None else None
