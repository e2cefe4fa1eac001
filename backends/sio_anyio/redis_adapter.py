"""The Redis adapters: several servers, Python or Node, as one, through one Redis.

:class:`RedisAdapter` is Node's ``createAdapter`` of ``@socket.io/redis-adapter`` 8.x (pub/sub,
with a pattern subscription per namespace), :class:`ShardedRedisAdapter` its
``createShardedAdapter`` (Redis 7 sharded pub/sub, ``SSUBSCRIBE``/``SPUBLISH``). Each speaks its
Node counterpart's wire format, so Node and sio-core servers can share one Redis, and Node's
``@socket.io/redis-emitter`` reaches clients of either (classic adapter only).

Theory of operation. The core does everything that has a rule: what travels, how it is spelled,
which channels a namespace listens to, how requests and their answers are tracked and when they
time out. An adapter is thin I/O around one :class:`~sio_anyio._redis_bus.RedisBus`:

- the core's ``ClusterPublish`` events go to :meth:`RedisBus.publish_nowait`, in order, and its
  ``ClusterSubscribe``/``ClusterUnsubscribe`` to the bus's subscriptions, which survive every
  reconnection;
- each message the bus hears goes to ``receive_cluster_message`` (through the driver), which
  drops a malformed one with a ``ClusterMessageRejected``: the adapter counts it and logs it,
  at most once every few seconds, and the node goes on;
- before a request that waits for other nodes (``fetch_sockets``, ``server_side_emit`` with an
  ack, a broadcast with acks), :meth:`peers` reads how many servers listen (``PUBSUB NUMSUB``, or
  ``SHARDNUMSUB``, of the core's ``count_channel``), as Node does at request time. Without
  Redis the answer is 0: the request ends at once with this node's answer, and that is logged.

Redis being away is never fatal: the server starts without it (one log line), local delivery goes
on, and the bus reconnects and resubscribes by itself, logging the gap (see
:mod:`sio_anyio._redis_bus`).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import string
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

import anyio

from sio_anyio._adapter import ClusterFormat, CoreAccess
from sio_anyio._backoff import Backoff
from sio_anyio._redis_bus import BusMessage, BusStatus, RedisBus, RedisUnavailable
from sio_anyio._redis_wire import BaseConnection
from sio_core.cluster import ClassicRedisFormat, ShardedRedisFormat, SubscriptionMode
from sio_core.events import (
    ClusterMessageRejected,
    ClusterPublish,
    ClusterSubscribe,
    ClusterUnsubscribe,
    Event,
)

logger = logging.getLogger("sio_anyio.redis")

_UID_CHARACTERS: Final = string.ascii_letters + string.digits + "-_"
"""The alphabet of the classic adapter's node ids (Node's ``uid2``)."""
CLUSTER_ADAPTER_TIMEOUT: Final = 5.0
"""Seconds the sharded adapter's requests wait, as socket.io-adapter's ``ClusterAdapter``."""
REJECTIONS_LOG_INTERVAL: Final = 10.0
"""Seconds between two log lines about malformed messages: a flood must not flood the log."""


class _RedisLink:
    """What both adapters do; they differ in format, node ids and request timeouts."""

    def __init__(
        self,
        url: str,
        *,
        node_id: str,
        cluster_format: ClusterFormat,
        ping_interval: float,
        ping_timeout: float,
        connect_timeout: float,
        backoff: Backoff | None,
        reader: Callable[[BaseConnection], Awaitable[None]] | None = None,
    ) -> None:
        self._node_id = node_id
        self._format = cluster_format
        self._bus = RedisBus(
            url,
            self._heard,
            on_status=self._on_status,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            backoff=Backoff() if backoff is None else backoff,
            reader=reader,
        )
        self._start_wait = connect_timeout + ping_timeout
        self._first_try = anyio.Event()
        self._access: CoreAccess | None = None
        self.rejected = 0
        """How many messages from Redis were dropped as malformed."""
        self._rejections_logged_at: float | None = None
        self._rejections_unlogged = 0

    # -- what the application may read ----------------------------------------------------

    @property
    def node_id(self) -> str:
        """This server's id on the wire (Node's ``adapter.uid``)."""
        return self._node_id

    @property
    def cluster_format(self) -> ClusterFormat:
        """The format the core speaks."""
        return self._format

    @property
    def connected(self) -> bool:
        """Whether Redis is reachable now: the server hears the others, and they hear it."""
        return self._bus.connected

    async def synced(self) -> None:
        """Return once Redis has applied every subscription asked for so far (such as a room's
        channel the sharded adapter subscribes to when a first socket joins); with no Redis,
        wait until it is back. Bound it with a timeout."""
        await self._bus.synced()

    # -- the server's side (see sio_anyio._adapter.ClusterAdapter) -------------------------------

    def attach(self, core: CoreAccess) -> None:
        """Serve this server's core from now on."""
        if self._access is not None:
            raise RuntimeError("an adapter belongs to one server: make one per server")
        self._access = core

    def on_cluster_event(self, event: Event) -> None:
        """Carry out a cluster event of the core (during the pump: never waits)."""
        bus = self._bus
        if isinstance(event, ClusterPublish):
            bus.publish_nowait(event.channel, event.payload, sharded=event.sharded)
        elif isinstance(event, ClusterSubscribe):
            (bus.ssubscribe if event.sharded else bus.subscribe)(*event.channels)
            bus.psubscribe(*event.patterns)
        elif isinstance(event, ClusterUnsubscribe):
            (bus.sunsubscribe if event.sharded else bus.unsubscribe)(*event.channels)
            bus.punsubscribe(*event.patterns)
        elif isinstance(event, ClusterMessageRejected):
            self._count_rejection(event.reason)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep the link to Redis up inside the ``async with``.

        Entering waits for the first try at connecting (and subscribing) to end, a few seconds
        at most, so that a server that starts with Redis up hears the others from its first
        client on; a server whose Redis is down starts anyway.
        """
        async with anyio.create_task_group() as tasks:
            await tasks.start(self._bus.run)
            with anyio.move_on_after(self._start_wait):
                await self._first_try.wait()
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()

    async def peers(self, nsp: str) -> int:
        """How many other servers of ``nsp`` listen now; 0 (and a log line) without Redis."""
        assert self._access is not None, "attach the adapter to a server first"
        channel, sharded = self._access.query(lambda core: core.count_channel(nsp))
        try:
            if sharded:
                count = await self._bus.shardnumsub(channel)
            else:
                count = await self._bus.numsub(channel)
        except RedisUnavailable as error:
            logger.warning(
                "cannot count the servers of %s (%s): answering from this server only", nsp, error
            )
            return 0
        return max(count - 1, 0)

    # -- what the bus reports ---------------------------------------------------------------

    def _heard(self, message: BusMessage) -> None:
        core = self._access
        if core is None:
            return
        try:
            channel = message.channel.decode()
        except UnicodeDecodeError:
            self._count_rejection("the channel name is not UTF-8")
            return
        payload = message.data
        core.command(
            lambda server: server.receive_cluster_message(channel, payload, anyio.current_time())
        )

    def _on_status(self, _status: BusStatus) -> None:
        self._first_try.set()  # connected or failed: either way the start need not wait longer

    def _count_rejection(self, reason: str) -> None:
        self.rejected += 1
        self._rejections_unlogged += 1
        now = time.monotonic()
        last = self._rejections_logged_at
        if last is not None and now - last < REJECTIONS_LOG_INTERVAL:
            return
        logger.warning(
            "dropped %d malformed cluster message(s) from redis %s, the last one: %s "
            "(%d in all; at most one such line every %g s)",
            self._rejections_unlogged,
            self._bus.where,
            reason,
            self.rejected,
            REJECTIONS_LOG_INTERVAL,
        )
        self._rejections_logged_at = now
        self._rejections_unlogged = 0


class RedisAdapter(_RedisLink):
    """Node's classic ``@socket.io/redis-adapter`` (``createAdapter``): ``Server(adapter=...)``.

    Node's options, in snake_case, with Node's defaults:

    :param url: the Redis server (``redis://[[user]:password@]host[:port][/db]``,
        ``rediss://`` for TLS, ``unix://``); passwords never appear in logs.
    :param key: the prefix of every channel; servers that share it form one cluster.
    :param requests_timeout: seconds ``fetch_sockets`` and ``server_side_emit_with_ack`` wait for
        the other servers.
    :param publish_on_specific_response_channel: answers go to the asking server's own channel
        rather than the one every server hears.

    And the link's own: ``ping_interval`` and ``ping_timeout`` (how a silent Redis is noticed),
    ``connect_timeout``, and ``backoff`` (the waits between tries at reconnecting).
    """

    def __init__(
        self,
        url: str,
        *,
        key: str = "socket.io",
        requests_timeout: float = 5.0,
        publish_on_specific_response_channel: bool = False,
        ping_interval: float = 5.0,
        ping_timeout: float = 2.0,
        connect_timeout: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.key = key
        self.requests_timeout = requests_timeout
        self.publish_on_specific_response_channel = publish_on_specific_response_channel
        cluster_format = ClassicRedisFormat(
            key=key, publish_on_specific_response_channel=publish_on_specific_response_channel
        )
        super().__init__(
            url,
            node_id="".join(secrets.choice(_UID_CHARACTERS) for _ in range(6)),
            cluster_format=cluster_format,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            backoff=backoff,
        )

    def fetch_timeout(self, requested: float | None) -> float:
        """``requests_timeout``: the classic adapter ignores the operator's ``timeout()``."""
        return self.requests_timeout

    @property
    def emit_timeout(self) -> float:
        """``requests_timeout``."""
        return self.requests_timeout


class ClusterAdapterLink(_RedisLink):
    """What the adapters built on socket.io-adapter's ``ClusterAdapter`` share (the sharded one
    and the Streams one): a node id of sixteen hex digits, and requests that wait 5 s for the
    other servers (``fetch_sockets`` honours the operator's ``timeout()``), as Node's."""

    def __init__(
        self,
        url: str,
        *,
        cluster_format: ClusterFormat,
        ping_interval: float,
        ping_timeout: float,
        connect_timeout: float,
        backoff: Backoff | None,
        reader: Callable[[BaseConnection], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(
            url,
            node_id=secrets.token_hex(8),
            cluster_format=cluster_format,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            backoff=backoff,
            reader=reader,
        )

    def fetch_timeout(self, requested: float | None) -> float:
        """The operator's ``timeout()`` if any, else 5 s (Node's ``ClusterAdapter``)."""
        return requested if requested else CLUSTER_ADAPTER_TIMEOUT

    @property
    def emit_timeout(self) -> float:
        """5 s, as Node's ``ClusterAdapter``."""
        return CLUSTER_ADAPTER_TIMEOUT


class ShardedRedisAdapter(ClusterAdapterLink):
    """Node's sharded Redis adapter (``createShardedAdapter``, Redis 7): ``Server(adapter=...)``.

    It publishes with ``SPUBLISH`` and listens with ``SSUBSCRIBE``: Node's emitter, which
    ``PUBLISH``-es, does not reach it. Node's options, in snake_case, with Node's defaults:

    :param url: the Redis server, as for :class:`RedisAdapter`. One Redis server: Redis Cluster,
        where each shard needs a connection of its own, is not supported yet.
    :param channel_prefix: the prefix of every channel; servers that share it form one cluster.
    :param subscription_mode: ``"dynamic"`` (a channel per public room this server has members
        in), ``"dynamic-private"`` (per room, socket ids included) or ``"static"`` (one channel
        per namespace).

    Requests wait 5 s for the other servers (``fetch_sockets`` honours the operator's
    ``timeout()``), as Node's. The link's own options are those of :class:`RedisAdapter`.
    """

    def __init__(
        self,
        url: str,
        *,
        channel_prefix: str = "socket.io",
        subscription_mode: SubscriptionMode | str = SubscriptionMode.DYNAMIC,
        ping_interval: float = 5.0,
        ping_timeout: float = 2.0,
        connect_timeout: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.channel_prefix = channel_prefix
        self.subscription_mode = SubscriptionMode(subscription_mode)
        cluster_format = ShardedRedisFormat(
            channel_prefix=channel_prefix, subscription_mode=self.subscription_mode
        )
        super().__init__(
            url,
            cluster_format=cluster_format,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            connect_timeout=connect_timeout,
            backoff=backoff,
        )
