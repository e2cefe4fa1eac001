"""The Socket.IO server on anyio: Node's ``io`` in Python's spelling, on asyncio or trio.

It owns a :class:`~sio_core.SocketServer` and serves it with the shared
:class:`~sio_anyio._runner.CoreRunner`. Everything protocol-related happens in the core; the
:class:`~sio_anyio._router.EventRouter` turns the core's events into calls to the application's
middlewares and handlers, and the handles (namespaces, sockets, operators) turn the
application's calls into commands to the core, through one :class:`~sio_anyio._context.Context`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

import anyio
import anyio.abc

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
        **options: Unpack[ServerKeywords],
    ) -> None:
        core = SocketServer(
            socket_config(config, options),
            id_generator=id_generator or new_id,
            parser=parser_of(parser),
        )
        self._runner = CoreRunner(core, options=backend_options(options))
        self._context = Context(self._runner.driver)
        self._namespaces = Namespaces(self._context)
        self._runner.route_events(EventRouter(self._context, self._namespaces).route)
        self.sockets = self.of("/")
        """The main namespace, ``/`` (Node's ``io.sockets``)."""

    def of(self, name: str | re.Pattern[str] | NamespaceMatcher) -> Namespace:
        """The namespace ``name``, created if needed; a pattern or predicate makes a parent."""
        return self._namespaces.of(name)

    # -- the main namespace's methods, on the server itself (as in Node) -----------------------

    @overload
    def on(self, event: str) -> Callable[[L], L]: ...
    @overload
    def on(self, event: str, listener: L) -> L: ...
    def on(self, event: str, listener: Listener | None = None) -> Any:
        """``@io.on("connection")``: a connection handler of the main namespace."""
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
        async with self._context.task_group():
            await self._runner.serve(host, port, task_status=task_status)

    async def close(self, *, grace: float = SHUTDOWN_GRACE) -> None:
        """Shut down: every client is told ``server shutting down``, output in flight is sent.

        Waits at most ``grace`` seconds for the last bytes and for the ``disconnect``
        handlers to finish, then stops serving.
        """
        await self._runner.shutdown(
            lambda core: core.close_all(), self._context.tasks_finished, grace=grace
        )
