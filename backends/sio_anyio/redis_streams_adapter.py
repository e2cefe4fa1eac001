"""Node's Redis Streams adapter (``@socket.io/redis-streams-adapter`` 0.3.x) on anyio.

:class:`RedisStreamsAdapter` speaks its Node counterpart's format, so Node and sio-core servers
can share one stream, and it keeps sessions in Redis, so that connection state recovery works
across servers: a client that lost its connection to one server gets its socket back (its id,
rooms, ``data``, and every event it missed) from any other.

Theory of operation. As for the other adapters, the core decides everything
(:mod:`sio_core.cluster.streams`, :mod:`sio_core.socketio._stream_sessions`); the adapter only
carries bytes, over one :class:`~sio_anyio._redis_bus.RedisBus`:

- ``ClusterCommand`` events (``XADD``, ``SET``, ``GETDEL``, ``XRANGE``) go to the bus's outbox,
  in order with the ``PUBLISH``-es of the ephemeral messages; the reply to a command with a
  ticket goes back to the core through one task, in the order they come, a missing reply as a
  ``CommandFailed``.
- The bus's session has a reader connection of its own, on which one loop runs the core's
  stream reads (``XREAD ... BLOCK``) one at a time and hands each reply back. When Redis goes
  away the whole session ends, reconnects, and reading resumes from the last entry read: the
  position is the core's, and outlives the connection. The reads are not bounded by the bus's
  command timeout but by the read's own block time plus it.
- Entering :meth:`RedisStreamsAdapter.running` waits (a few seconds at most) until the reader
  knows where it starts, so that a server that starts with Redis up hears every entry appended
  after it is ready.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio

from sio_anyio._backoff import Backoff
from sio_anyio._redis_status import RedisUnavailable
from sio_anyio._redis_wire import BaseConnection
from sio_anyio.redis_adapter import ClusterAdapterLink
from sio_core import SocketServer
from sio_core.cluster import RedisStreamsFormat
from sio_core.cluster.stream_commands import CommandFailed, StreamRead
from sio_core.events import ClusterCommand, Event

READ_GRACE: Final = 5.0
"""Seconds a read of the stream may take beyond the time Redis may hold it."""

Reply = tuple[int, Any]
"""A ticket and the reply to its command (or its ``CommandFailed``)."""


class RedisStreamsAdapter(ClusterAdapterLink):
    """Node's ``createAdapter`` of ``@socket.io/redis-streams-adapter``: ``Server(adapter=...)``.

    Node's options, in snake_case, with Node's defaults (durations in seconds):

    :param url: the Redis server (6.2 or later), as for :class:`~sio_anyio.RedisAdapter`.
    :param stream_name: the stream; servers that share it (and ``channel_prefix``) form one
        cluster.
    :param max_len: the stream is trimmed to about this many entries (``MAXLEN ~``); a client
        can recover only while the event at its offset is still in the stream.
    :param read_count: the most entries one read takes.
    :param block_time: how long one read waits for new entries.
    :param session_key_prefix: where recovery sessions are stored (``SET <prefix><pid> ... PX``).
    :param channel_prefix: the prefix of the pub/sub channels of the requests that wait for
        answers (``fetch_sockets``, ``server_side_emit``, broadcasts with acks).
    :param use_sharded_pubsub: sharded pub/sub (Redis 7) for those.

    Requests wait 5 s for the other servers (``fetch_sockets`` honours the operator's
    ``timeout()``), as Node's. The link's own options are those of
    :class:`~sio_anyio.RedisAdapter`. Node's ``streamCount`` (several streams) is not supported.
    """

    def __init__(
        self,
        url: str,
        *,
        stream_name: str = "socket.io",
        max_len: int = 10_000,
        read_count: int = 100,
        block_time: float = 5.0,
        session_key_prefix: str = "sio:session:",
        channel_prefix: str = "socket.io",
        use_sharded_pubsub: bool = False,
        ping_interval: float = 5.0,
        ping_timeout: float = 2.0,
        connect_timeout: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        cluster_format = RedisStreamsFormat(
            stream_name=stream_name,
            channel_prefix=channel_prefix,
            max_len=max_len,
            read_count=read_count,
            block_time=block_time,
            session_key_prefix=session_key_prefix,
            use_sharded_pubsub=use_sharded_pubsub,
        )
        super().__init__(
            url,
            cluster_format=cluster_format,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            backoff=backoff,
            reader=self._read,
        )
        self.stream_format = cluster_format
        self._replies: collections.deque[Reply] = collections.deque()
        self._replied = anyio.Event()
        self._reading = anyio.Event()

    def on_cluster_event(self, event: Event) -> None:
        """Carry out a cluster event of the core (during the pump: never waits)."""
        if not isinstance(event, ClusterCommand):
            super().on_cluster_event(event)
            return
        ticket = event.ticket
        if ticket is None:
            self._bus.command_nowait(event.command)
            return

        def replied(reply: Any) -> None:
            if isinstance(reply, RedisUnavailable):
                reply = CommandFailed(str(reply))
            self._replies.append((ticket, reply))
            self._replied.set()

        self._bus.command_nowait(event.command, replied)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep the link to Redis up inside the ``async with``; entering waits (a few seconds at
        most) until the stream's reader knows where it starts, when Redis is up."""
        async with super().running(), anyio.create_task_group() as tasks:
            tasks.start_soon(self._hand_back_replies)
            if self.connected:  # else it will start when Redis is back
                with anyio.move_on_after(self._start_wait):
                    await self._reading.wait()
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()

    async def _hand_back_replies(self) -> None:
        """Each command's reply to the core, in order (never from inside the core's pump)."""
        while True:
            await self._replied.wait()
            self._replied = anyio.Event()
            while self._replies and (core := self._access) is not None:
                core.command(functools.partial(_reply, *self._replies.popleft()))

    async def _read(self, reader: BaseConnection) -> None:
        """Run the core's reads of the stream, one after the other, until one fails."""
        core = self._access
        assert core is not None, "attach the adapter to a server first"
        while True:
            read = core.query(lambda server: server.next_stream_read())
            reply = await reader.create_request(*read.command, timeout=read.block + READ_GRACE)
            core.command(functools.partial(_stream_read, read, reply))
            self._reading.set()


def _reply(ticket: int, reply: Any, server: SocketServer) -> None:
    server.receive_command_reply(ticket, reply, anyio.current_time())


def _stream_read(read: StreamRead, reply: Any, server: SocketServer) -> None:
    server.receive_stream_read(read, reply, anyio.current_time())
