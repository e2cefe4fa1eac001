"""Reach the clients of a cluster from any Python process, without running a server.

:class:`RedisEmitter` is Node's ``@socket.io/redis-emitter`` in Python's spelling: a worker, a
cron job or a web request handler emits to rooms, makes sockets join or leave rooms, or
disconnects them, and every node of the cluster on the classic Redis adapter (Node's or
sio-core's) carries it out for its own clients. It publishes in that emitter's exact format
(uid ``"emitter"``), which every such node accepts; nodes on the sharded adapter never hear it,
since it publishes with ``PUBLISH``, as Node's emitter does.

The bytes come from :class:`~sio_core.cluster.ClassicCodec`; here is only the Redis link, a
:class:`~sio_anyio._redis_bus.RedisBus` that publishes and never subscribes. Like Node's, the
emitter supports no acknowledgements and no ``fetch_sockets``: those need a server to answer to.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final

import anyio

from sio_anyio._redis_bus import RedisBus
from sio_anyio.broadcast import RoomNames, room_set
from sio_core.cluster import (
    EMITTER_UID,
    Broadcast,
    BroadcastFlags,
    ClassicCodec,
    ClusterMessage,
    DisconnectSockets,
    Selection,
    ServerSideEmit,
    SocketsJoin,
    SocketsLeave,
)
from sio_core.errors import LocalProtocolError
from sio_core.socketio.packets import RESERVED_EVENTS

SERVER_RESERVED_EVENTS: Final = frozenset({"connect", "connection", "new_namespace"})
"""What a server-side emit may not be called: the namespace's own events (as in Node)."""

Publish = Callable[[ClassicCodec, ClusterMessage], Awaitable[None]]


class RedisEmitter:
    """Publishes to the nodes of a classic-adapter cluster; use it as ``async with``.

    ::

        async with RedisEmitter("redis://localhost:6379") as emitter:
            await emitter.to("room1").emit("news", {"id": 1}, b"raw bytes")
            await emitter.of("/admin").sockets_join("audit")

    :param url: the Redis the nodes use (``redis://``, ``rediss://``, ``unix://``).
    :param key: the nodes' ``key`` option (Node's default, ``socket.io``).
    :param connect_timeout: how long entering the ``async with`` waits for Redis at most; if
        Redis is not there by then, each publication raises
        :class:`~sio_anyio._redis_status.RedisUnavailable` until it is.
    """

    def __init__(self, url: str, *, key: str = "socket.io", connect_timeout: float = 2.0) -> None:
        self.key = key
        self._bus = RedisBus(url, connect_timeout=connect_timeout)
        self._connect_timeout = connect_timeout
        self._stack: contextlib.AsyncExitStack | None = None

    async def __aenter__(self) -> RedisEmitter:
        if self._stack is not None:
            raise RuntimeError("this emitter is already open")
        async with contextlib.AsyncExitStack() as stack:
            tasks = await stack.enter_async_context(anyio.create_task_group())
            stack.callback(tasks.cancel_scope.cancel)
            await tasks.start(self._bus.run)
            with anyio.move_on_after(self._connect_timeout * 2):
                await self._bus.wait_connected()
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(kind, error, traceback)

    def of(self, nsp: str) -> EmitterOperator:
        """The namespace ``nsp`` (``/`` is added in front when missing, as Node does)."""
        name = nsp if nsp.startswith("/") else "/" + nsp
        return EmitterOperator(self._publish, ClassicCodec(name, key=self.key))

    def _root(self) -> EmitterOperator:
        return self.of("/")

    async def _publish(self, codec: ClassicCodec, message: ClusterMessage) -> None:
        if self._stack is None:
            raise RuntimeError("use the emitter inside `async with`")
        publication = codec.encode(message)
        await self._bus.publish(publication.channel, publication.payload)

    # -- the main namespace's methods, on the emitter itself (as in Node) -----------------------

    def to(self, *rooms: RoomNames) -> EmitterOperator:
        """Target the sockets in these rooms, on ``/``."""
        return self._root().to(*rooms)

    in_ = to

    def except_(self, *rooms: RoomNames) -> EmitterOperator:
        """Leave out the sockets in these rooms, on ``/``."""
        return self._root().except_(*rooms)

    @property
    def volatile(self) -> EmitterOperator:
        """A volatile broadcast on ``/``."""
        return self._root().volatile

    def compress(self, compress: bool = True) -> EmitterOperator:
        """Whether the message may be compressed, on ``/``."""
        return self._root().compress(compress)

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` to every socket of ``/``."""
        await self._root().emit(event, *args)

    async def sockets_join(self, *rooms: RoomNames) -> None:
        """Make every socket of ``/`` join the rooms."""
        await self._root().sockets_join(*rooms)

    async def sockets_leave(self, *rooms: RoomNames) -> None:
        """Make every socket of ``/`` leave the rooms."""
        await self._root().sockets_leave(*rooms)

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every socket of ``/``."""
        await self._root().disconnect_sockets(close)

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Run the ``event`` handlers of every server of ``/`` (no acknowledgement)."""
        await self._root().server_side_emit(event, *args)


@dataclasses.dataclass(frozen=True, slots=True)
class EmitterOperator:
    """Who an emitter's publication reaches, in one namespace; immutable, as in Node.

    Each method publishes at once and returns once Redis took the message.

    :raises RedisUnavailable: (from each publishing method) Redis is out of reach.
    :raises LocalProtocolError: an argument the cluster format cannot carry.
    """

    _publish: Publish
    _codec: ClassicCodec
    _rooms: frozenset[str] = frozenset()
    _except: frozenset[str] = frozenset()
    _flags: BroadcastFlags = dataclasses.field(default_factory=BroadcastFlags)

    def to(self, *rooms: RoomNames) -> EmitterOperator:
        """Target the sockets in these rooms too."""
        return dataclasses.replace(self, _rooms=self._rooms | room_set(rooms))

    in_ = to

    def except_(self, *rooms: RoomNames) -> EmitterOperator:
        """Leave out every socket in these rooms."""
        return dataclasses.replace(self, _except=self._except | room_set(rooms))

    @property
    def volatile(self) -> EmitterOperator:
        """Drop the message for clients whose transport cannot take it right now."""
        return dataclasses.replace(self, _flags=dataclasses.replace(self._flags, volatile=True))

    def compress(self, compress: bool = True) -> EmitterOperator:
        """Whether the message may be compressed."""
        flags = dataclasses.replace(self._flags, compress=compress)
        return dataclasses.replace(self, _flags=flags)

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` to every targeted socket (bytes arrive as binary)."""
        if event in RESERVED_EVENTS:
            raise LocalProtocolError(f"{event!r} is a reserved event name")
        selection = Selection(
            rooms=tuple(sorted(self._rooms)),
            except_rooms=tuple(sorted(self._except)),
            flags=self._flags,
        )
        message = Broadcast(
            uid=EMITTER_UID, nsp=self._codec.nsp, event=event, args=args, selection=selection
        )
        await self._publish(self._codec, message)

    async def sockets_join(self, *rooms: RoomNames) -> None:
        """Make the targeted sockets join the rooms."""
        names = tuple(sorted(room_set(rooms)))
        message = SocketsJoin(uid=None, nsp=self._codec.nsp, selection=self._opts(), rooms=names)
        await self._publish(self._codec, message)

    async def sockets_leave(self, *rooms: RoomNames) -> None:
        """Make the targeted sockets leave the rooms."""
        names = tuple(sorted(room_set(rooms)))
        message = SocketsLeave(uid=None, nsp=self._codec.nsp, selection=self._opts(), rooms=names)
        await self._publish(self._codec, message)

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect the targeted sockets (and close their connections with ``close``)."""
        nsp, selection = self._codec.nsp, self._opts()
        message = DisconnectSockets(uid=None, nsp=nsp, selection=selection, close=close)
        await self._publish(self._codec, message)

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Run the ``event`` handlers of every server of the namespace (rooms do not apply)."""
        if event in SERVER_RESERVED_EVENTS:
            raise LocalProtocolError(f"{event!r} is a reserved event name")
        message = ServerSideEmit(uid=EMITTER_UID, nsp=self._codec.nsp, event=event, args=args)
        await self._publish(self._codec, message)

    def _opts(self) -> Selection:
        """A request's ``opts``: rooms and except, no flags (as Node's emitter writes them)."""
        rooms, except_rooms = tuple(sorted(self._rooms)), tuple(sorted(self._except))
        return Selection(rooms=rooms, except_rooms=except_rooms)
