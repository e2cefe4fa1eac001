"""The Socket.IO server on anyio: Node's ``io`` in Python's spelling, on asyncio or trio.

It owns a :class:`~sio_core.SocketServer` and serves it with the shared
:class:`~sio_anyio._runner.CoreRunner`. Everything protocol-related happens in the core; the
:class:`~sio_anyio._router.EventRouter` turns the core's events into calls to the application's
middlewares and handlers, and the handles (namespaces, sockets, operators) turn the
application's calls into commands to the core, through one :class:`~sio_anyio._context.Context`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, overload

import anyio
import anyio.abc

from sio_anyio._adapter import ClusterAdapter
from sio_anyio._context import Context
from sio_anyio._ids import new_id
from sio_anyio._listeners import L, Listener
from sio_anyio._options import (
    ParserName,
    ServerKeywords,
    backend_options,
    parser_of,
    socket_config,
)
from sio_anyio._router import EventRouter
from sio_anyio._runner import SHUTDOWN_GRACE, CoreRunner
from sio_anyio.asgi import ASGIApp, ASGIApplication
from sio_anyio.broadcast import BroadcastOperator, RemoteSocket, RoomNames
from sio_anyio.namespace import Namespace, NamespaceMatcher, Namespaces
from sio_core import SocketServer
from sio_core.config import SocketConfig
from sio_core.ids import IdGenerator
from sio_core.socketio.packets import Parser

if TYPE_CHECKING:
    from sio_anyio._options import Unpack


class Server:
    """A Socket.IO v5 server; the options are Node's, in snake_case, durations in seconds.

    :param config: the core's options (default: Node's); keyword options replace its fields.
    :param id_generator: where sids and socket ids come from (default: random, as in Node).
    :param parser: how packets are written on the wire, for every client: ``"json"`` (Node's
        default), ``"msgpack"`` (npm ``socket.io-msgpack-parser``), or a
        :class:`~sio_core.socketio.packets.Parser` object such as ``MsgpackParser(max_depth=...)``.
    :param adapter: joins the server to a cluster (:class:`~sio_anyio.RedisAdapter`,
        :class:`~sio_anyio.ShardedRedisAdapter`), one adapter per server; without one, the
        server is alone and everything stays in memory.
    :param options: any field of :class:`~sio_core.config.EngineConfig` (``path``,
        ``ping_interval``, ``cors``...) or :class:`~sio_core.config.SocketConfig`
        (``connect_timeout``, ``connection_state_recovery``), and the backend's own:
        ``fallback`` (answers requests outside ``path``), ``per_message_deflate``,
        ``read_timeout``.
    """

    def __init__(
        self,
        config: SocketConfig | None = None,
        *,
        id_generator: IdGenerator | None = None,
        parser: Parser | ParserName = "json",
        adapter: ClusterAdapter | None = None,
        **options: Unpack[ServerKeywords],
    ) -> None:
        core = SocketServer(
            socket_config(config, options),
            id_generator=id_generator or new_id,
            parser=parser_of(parser),
            node_id=None if adapter is None else adapter.node_id,
            cluster_format=None if adapter is None else adapter.cluster_format,
        )
        self._runner = CoreRunner(core, options=backend_options(options))
        self._context = Context(self._runner.driver, adapter)
        if adapter is not None:
            adapter.attach(self._context)
        self.adapter = adapter
        """The cluster adapter, or ``None``: the link to the other servers that each
        namespace's adapter is in Node, one for all namespaces here (a namespace's
        ``adapter`` is its room events)."""
        self._namespaces = Namespaces(self._context)
        self._runner.route_events(EventRouter(self._context, self._namespaces).route)
        self._runner.host_app_tasks(self._tasks_and_link)
        self.sockets = self.of("/")
        """The main namespace, ``/`` (Node's ``io.sockets``)."""

    def of(self, name: str | re.Pattern[str] | NamespaceMatcher) -> Namespace:
        """The namespace ``name``, created if needed; a pattern or predicate makes a parent."""
        return self._namespaces.of(name)

    @property
    def namespaces(self) -> Mapping[str, Namespace]:
        """Every namespace made so far, by name, dynamic children included (not their
        parents): Node's ``io._nsps``, read-only. ``io.on("new_namespace")`` hears of the
        next ones."""
        return self._namespaces.by_name

    # -- the main namespace's methods, on the server itself (as in Node) -----------------------

    @overload
    def on(self, event: str) -> Callable[[L], L]: ...
    @overload
    def on(self, event: str, listener: L) -> L: ...
    def on(self, event: str, listener: Listener | None = None) -> Any:
        """``@io.on("connection")``: a connection handler of the main namespace;
        ``new_namespace`` listeners get each namespace made from then on (Node's event); any
        other event is a server-side event from the other servers (see
        :meth:`server_side_emit`)."""
        return self.sockets.on(event) if listener is None else self.sockets.on(event, listener)

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
        """Send an event to the other servers of the cluster (none with one server)."""
        self.sockets.server_side_emit(event, *args)

    async def server_side_emit_with_ack(self, event: str, *args: Any) -> list[Any]:
        """Send an event to the other servers and collect one answer from each."""
        return await self.sockets.server_side_emit_with_ack(event, *args)

    # -- running --------------------------------------------------------------------------

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until :meth:`close`; ``await tg.start(io.serve, host, 0)`` gives the address."""
        await self._runner.serve(host, port, task_status=task_status)

    def running(self) -> AbstractAsyncContextManager[None]:
        """``async with io.running():`` runs the server's tasks (timers, handlers) without
        listening; for a host that brings the connections, such as an ASGI server's lifespan.

        :meth:`close` inside the block closes every session; the tasks end with the block.
        """
        return self._runner.running()

    def asgi_app(self, other_app: ASGIApplication | None = None) -> ASGIApp:
        """This server as an ASGI 3 application (see ``docs/asgi.md``).

        :param other_app: answers every other path, and the lifespan (default: 404).
        """
        return ASGIApp(self._runner, self.close, other_app)

    @contextlib.asynccontextmanager
    async def _tasks_and_link(self) -> AsyncIterator[None]:
        """The handlers' task group and, in a cluster, the adapter's link to the others: what
        runs while the server runs, whether it listens itself or an ASGI server brings the
        connections."""
        link = self.adapter.running() if self.adapter is not None else contextlib.nullcontext()
        async with self._context.task_group(), link:
            yield

    async def close(self, *, grace: float = SHUTDOWN_GRACE) -> None:
        """Shut down: every client is told ``server shutting down``, output in flight is sent.

        Waits at most ``grace`` seconds for the last bytes and for the ``disconnect``
        handlers to finish, then stops serving. Called from one of this server's handlers, it
        returns at once: the rest of the shutdown waits for that handler (its socket's
        ``disconnect`` handlers run once it returns), so it goes on in a task of its own.
        """
        shutdown = functools.partial(
            self._runner.shutdown, _close_all, self._context.tasks_finished, grace=grace
        )
        if self._context.in_spawned_task:
            self._context.command(_close_all)  # every socket leaves now, as in Node
            self._context.spawn_untracked(shutdown)
            return
        await shutdown()


def _close_all(core: SocketServer) -> None:
    """Every socket leaves with ``server shutting down``; a no-op the second time."""
    core.close_all()
