"""The Socket.IO server on anyio: Node's ``io`` in Python's spelling, on asyncio or trio.

It owns a :class:`~sio_core.SocketServer` and serves it with the shared
:class:`~sio_anyio._runner.CoreRunner`. Everything protocol-related happens in the core; here,
events from the core become calls to the application's middlewares and handlers, and the
application's calls become commands to the core.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.abc

from sio_anyio._http import READ_TIMEOUT, Fallback
from sio_anyio._ids import new_id
from sio_anyio._listeners import L, Listener, call
from sio_anyio._runner import CoreRunner
from sio_anyio.broadcast import BroadcastOperator, RoomNames
from sio_anyio.conn import Conn
from sio_anyio.errors import AckTimeoutError, ConnectionRejected, SocketGoneError
from sio_anyio.namespace import Namespace, ParentNamespace
from sio_anyio.socket import RemoteSocket, Socket
from sio_core import NamespaceMatcher, SocketServer, ack_value
from sio_core.config import AllowRequest, CookieOptions, CorsOptions, EngineConfig, SocketConfig
from sio_core.events import (
    AckAbandoned,
    AckReceived,
    BroadcastAcksCollected,
    Event,
    EventReceived,
    PacketCreated,
    PacketReceived,
    SessionClosed,
    SessionDrained,
    SessionOpened,
    SessionUpgraded,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
)
from sio_core.ids import IdGenerator

logger = logging.getLogger("sio_anyio")

T = TypeVar("T")

_SHUTDOWN_GRACE = 2.0  # seconds given to in-flight output when closing


class _Waiter:
    """One pending ack: an event to wait on and what it resolved to."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def resolve(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()

    async def wait(self) -> Any:
        await self.done.wait()
        if self.error is not None:
            raise self.error
        return self.result


class Server:
    """A Socket.IO v5 server; the options are Node's, in snake_case, durations in seconds."""

    def __init__(
        self,
        *,
        path: str = "/socket.io/",
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        upgrade_timeout: float = 10.0,
        max_http_buffer_size: int = 1_000_000,
        transports: tuple[str, ...] = ("polling", "websocket"),
        allow_upgrades: bool = True,
        allow_request: AllowRequest | None = None,
        cors: CorsOptions | None = None,
        cookie: CookieOptions | None = None,
        connect_timeout: float = 45.0,
        per_message_deflate: bool = False,
        http_compression: bool = True,
        read_timeout: float = READ_TIMEOUT,
        fallback: Fallback | None = None,
        id_generator: IdGenerator | None = None,
    ) -> None:
        engine = EngineConfig(
            path=path,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            upgrade_timeout=upgrade_timeout,
            max_http_buffer_size=max_http_buffer_size,
            transports=transports,
            allow_upgrades=allow_upgrades,
            allow_request=allow_request,
            cors=cors,
            cookie=cookie,
            http_compression=http_compression,
        )
        config = SocketConfig(engine=engine, connect_timeout=connect_timeout)
        self._core = SocketServer(config, id_generator=id_generator or new_id)
        self._runner = CoreRunner(
            self._core,
            fallback=fallback,
            per_message_deflate=per_message_deflate,
            router=self._on_event,
            read_timeout=read_timeout,
        )
        self._namespaces: dict[str, Namespace] = {}
        self._parents: dict[int, ParentNamespace] = {}
        self._sockets: dict[str, Socket] = {}
        self._conns: dict[str, Conn] = {}
        self._acks: dict[tuple[str, int], _Waiter] = {}
        self._broadcasts: dict[int, _Waiter] = {}
        self._tasks: anyio.abc.TaskGroup | None = None
        self._running = 0
        self._idle: anyio.Event | None = None  # made by the task that waits: needs a loop
        self.sockets = self.of("/")
        """The main namespace, ``/`` (Node's ``io.sockets``)."""

    # -- namespaces -----------------------------------------------------------------------

    def of(self, name: str | re.Pattern[str] | NamespaceMatcher) -> Namespace:
        """The namespace ``name``, created if needed; a pattern or predicate makes a parent."""
        if isinstance(name, str):
            name = name if name.startswith("/") else "/" + name
            if name not in self._namespaces:
                self._core.namespaces.add(name)
                self._namespaces[name] = Namespace(self, name)
            return self._namespaces[name]
        family = self._core.namespaces.add_dynamic(name)
        parent = self._parents[family.key] = ParentNamespace(self, family)
        return parent

    def _namespace_for(self, name: str) -> Namespace:
        if name not in self._namespaces:
            record = self._core.namespaces.get(name)
            parent = self._parents.get(record.parent.key) if record and record.parent else None
            self._namespaces[name] = Namespace(self, name, parent)
        return self._namespaces[name]

    # -- the main namespace's methods, on the server itself (as in Node) -----------------------

    def on(self, event: str, listener: Listener | None = None) -> Any:
        """``@io.on("connection")``: a connection handler of the main namespace."""
        return self.sockets.on(event, listener)

    def use(self, middleware: L) -> L:
        """A middleware of the main namespace."""
        return self.sockets.use(middleware)

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to every socket of the main namespace."""
        return self.sockets.emit(event, *args)

    def to(self, *rooms: RoomNames) -> BroadcastOperator:
        """Target rooms of the main namespace."""
        return self.sockets.to(*rooms)

    in_ = to

    def except_(self, *rooms: RoomNames) -> BroadcastOperator:
        """Target the main namespace, except these rooms."""
        return self.sockets.except_(*rooms)

    @property
    def volatile(self) -> BroadcastOperator:
        """Volatile broadcast on the main namespace."""
        return self.sockets.volatile

    @property
    def local(self) -> BroadcastOperator:
        """This node's sockets of the main namespace."""
        return self.sockets.local

    def timeout(self, seconds: float) -> BroadcastOperator:
        """Broadcast with acks on the main namespace."""
        return self.sockets.timeout(seconds)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """Every socket of the main namespace."""
        return await self.sockets.fetch_sockets()

    def sockets_join(self, *rooms: RoomNames) -> None:
        """Make every socket of the main namespace join rooms."""
        self.sockets.sockets_join(*rooms)

    def sockets_leave(self, *rooms: RoomNames) -> None:
        """Make every socket of the main namespace leave rooms."""
        self.sockets.sockets_leave(*rooms)

    def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every socket of the main namespace."""
        self.sockets.disconnect_sockets(close)

    def server_side_emit(self, event: str, *args: Any) -> None:
        """Send an event to the other nodes of the cluster (none with one node)."""
        self.sockets.server_side_emit(event, *args)

    # -- running --------------------------------------------------------------------------

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until :meth:`close`; ``await tg.start(io.serve, host, 0)`` gives the address."""
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            try:
                await self._runner.serve(host, port, task_status=task_status)
            finally:
                tasks.cancel_scope.cancel()
                self._tasks = None

    async def close(self) -> None:
        """Shut down: every client is told ``server shutting down``, output in flight is sent.

        Waits at most a couple of seconds for the last bytes and for the ``disconnect``
        handlers to finish, then stops serving.
        """
        self._core_call(lambda core: core.close_all())
        with anyio.move_on_after(_SHUTDOWN_GRACE):
            await self._runner.drained()
            await self._handlers_finished()
        await self._runner.stop()

    # -- between the application and the core ---------------------------------------------

    def _core_call(self, action: Callable[[SocketServer], T]) -> T:
        """Run a command on the core and deliver what it produced."""
        return self._runner.command(lambda: action(self._core))

    def _wait_ack(self, socket_id: str, ack_id: int) -> Awaitable[Any]:
        return self._waiter(self._acks, (socket_id, ack_id)).wait()

    def _wait_broadcast(self, broadcast_id: int) -> Awaitable[Any]:
        return self._waiter(self._broadcasts, broadcast_id).wait()

    @staticmethod
    def _waiter(waiters: dict[Any, _Waiter], key: Any) -> _Waiter:
        """The waiter for ``key``: the outcome itself when it came during the command's pump."""
        early = waiters.pop(key, None)
        if early is not None:
            return early
        waiter = waiters[key] = _Waiter()
        return waiter

    @staticmethod
    def _settle(waiters: dict[Any, _Waiter], key: Any) -> _Waiter:
        """The waiter to resolve: a registered one, or one kept for a wait still to come."""
        waiter = waiters.pop(key, None)
        if waiter is None:
            waiter = waiters[key] = _Waiter()
        return waiter

    # -- events from the core -------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """Route one core event; called during the pump, so it never waits nor calls the core."""
        if isinstance(event, SocketConnecting):
            self._start_socket(event)
        elif isinstance(event, EventReceived | SocketErrored | SocketDisconnecting):
            self._to_socket(event.socket_id, event)
        elif isinstance(event, SocketDisconnected):
            self._to_socket(event.socket_id, event)
            self._forget_socket(event.socket_id, event.nsp)
        elif isinstance(event, AckReceived | AckAbandoned):
            self._resolve_ack(event)
        elif isinstance(event, BroadcastAcksCollected):
            self._resolve_broadcast(event)
        else:
            self._on_session_event(event)

    def _on_session_event(self, event: Event) -> None:
        if isinstance(event, SessionOpened):
            self._conns[event.sid] = Conn(self, event.sid)
            logger.debug("session %s opened over %s", event.sid, event.transport)
        elif isinstance(event, SessionUpgraded) and event.sid in self._conns:
            self._conns[event.sid]._emit("upgrade", event.transport)
        elif isinstance(event, SessionClosed):
            conn = self._conns.pop(event.sid, None)
            logger.info("session %s closed: %s", event.sid, event.reason)
            if conn is not None:
                conn._emit("close", event.reason)
        elif isinstance(event, PacketReceived | PacketCreated | SessionDrained):
            self._on_packet_event(event)

    def _on_packet_event(self, event: PacketReceived | PacketCreated | SessionDrained) -> None:
        """Only sessions with a traffic listener report these (see :mod:`sio_anyio.conn`)."""
        conn = self._conns.get(event.sid)
        if conn is None:
            return
        if isinstance(event, SessionDrained):
            conn._emit("drain")
        else:
            conn._emit("packet" if isinstance(event, PacketReceived) else "packetCreate", event)

    def _start_socket(self, event: SocketConnecting) -> None:
        record = self._core.socket(event.socket_id)
        conn = self._conns.get(record.sid) if record is not None else None
        if conn is None:
            return
        namespace = self._namespace_for(event.nsp)
        socket = Socket(self, namespace, event.socket_id, event.handshake, conn)
        self._sockets[socket.id] = socket
        self._spawn(self._run_socket, socket, namespace)

    async def _run_socket(self, socket: Socket, namespace: Namespace) -> None:
        if not await self._admit(socket, namespace):
            self._sockets.pop(socket.id, None)
            return
        socket.connected = True
        namespace.sockets[socket.id] = socket
        logger.info("socket %s connected to %s", socket.id, namespace.name)
        # The core holds the CONNECT until release: as in Node, the connection handlers run
        # up to their first await before the client learns it is connected. This task runs
        # at that first suspension (a handler awaiting its client's ack cannot deadlock).
        self._spawn(self._release_soon, socket.id)
        try:
            await namespace._connected(socket)
        finally:
            self._release(socket.id)  # handlers that never suspended; idempotent
        await socket._handle_events()

    def _release(self, socket_id: str) -> None:
        self._core_call(lambda core: core.release(socket_id))

    async def _release_soon(self, socket_id: str) -> None:
        self._release(socket_id)

    async def _admit(self, socket: Socket, namespace: Namespace) -> bool:
        """Run the namespace middlewares, then accept or reject in the core."""
        try:
            for middleware in namespace.middlewares():
                await call(middleware, socket)
        except ConnectionRejected as refusal:
            return self._decide(socket.id, refusal.message, refusal.data)
        except Exception as error:
            return self._decide(socket.id, str(error) or type(error).__name__, None)
        return self._decide(socket.id, None, None)

    def _decide(self, socket_id: str, refusal: str | None, data: Any) -> bool:
        if not self._core.is_pending(socket_id):
            return False  # the client left while the middlewares ran
        if refusal is None:
            self._core_call(lambda core: core.accept(socket_id))  # held: see _run_socket
            return True
        self._core_call(lambda core: core.reject(socket_id, refusal, data))
        return False

    def _to_socket(self, socket_id: str, event: Event) -> None:
        socket = self._sockets.get(socket_id)
        if socket is not None:
            socket._deliver(event)

    def _forget_socket(self, socket_id: str, nsp: str) -> None:
        socket = self._sockets.pop(socket_id, None)
        if socket is not None:
            socket.nsp.sockets.pop(socket_id, None)
            logger.info("socket %s left %s", socket_id, nsp)

    def _resolve_ack(self, event: AckReceived | AckAbandoned) -> None:
        waiter = self._settle(self._acks, (event.socket_id, event.ack_id))
        if isinstance(event, AckReceived):
            waiter.resolve(ack_value(event.args))
        elif event.reason == "timeout":
            waiter.resolve(error=AckTimeoutError())
        else:
            waiter.resolve(error=SocketGoneError())

    def _resolve_broadcast(self, event: BroadcastAcksCollected) -> None:
        waiter = self._settle(self._broadcasts, event.broadcast_id)
        responses = [ack_value(args) for args in event.responses]
        if event.timed_out:
            waiter.resolve(error=AckTimeoutError(responses))
        else:
            waiter.resolve(responses)

    def _spawn(self, function: Callable[..., Awaitable[Any]], *args: Any) -> None:
        if self._tasks is not None:
            self._running += 1
            self._tasks.start_soon(self._tracked, function, *args)

    async def _tracked(self, function: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run a socket's or a listener's task, counted so that :meth:`close` can wait for it."""
        try:
            await function(*args)
        finally:
            self._running -= 1
            if self._running == 0 and self._idle is not None:
                self._idle.set()

    async def _handlers_finished(self) -> None:
        while self._running:
            self._idle = anyio.Event()
            await self._idle.wait()
