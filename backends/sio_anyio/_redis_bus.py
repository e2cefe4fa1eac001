"""Redis pub/sub for the cluster adapters: bytes out, bytes in, and never deaf without saying so.

Theory of operation
-------------------
A node of a cluster needs two things from Redis: to publish (``PUBLISH``, ``SPUBLISH``) and to
hear (``SUBSCRIBE``, ``PSUBSCRIBE``, ``SSUBSCRIBE``). :class:`RedisBus` does both over
`coredis`, which is written on anyio, so that one code path serves asyncio and trio.

- **Sessions.** Everything that touches Redis belongs to a *session*: a fresh coredis client
  holding a *listener* connection (RESP3, where subscription confirmations and messages come as
  push frames while ordinary commands such as PING still get replies) and a *publisher*
  connection. A session ends as a whole when Redis closes the listener (a restart, ``CLIENT
  KILL TYPE pubsub``), when a PING on it gets no PONG within ``ping_timeout`` (a frozen Redis, a
  dead network path), or when the publisher connection breaks. Then the bus starts a new one
  at once, and after each failed try waits by a capped exponential :class:`Backoff`, forever.
  Dropping the whole client each time keeps no half-broken connection in any pool. One session
  is :mod:`sio_anyio._redis_session`; what outlives sessions is here.
- **Wanted subscriptions** live here, apart from any connection. A new listener subscribes to
  all of them before the bus calls itself up, so a reconnection restores exactly what was lost.
  They can change at any time, from synchronous code (a socket joining a room, for the sharded
  adapter's per-room channels): the command goes out on the live listener at once, if any.
- **Publishing never blocks local work.** :meth:`RedisBus.publish_nowait` (and
  :meth:`~RedisBus.command_nowait`, for any command whose reply someone awaits) queues into a
  bounded outbox that one task drains in order, pipelined on the publisher connection. While
  there is no session, or when the outbox is full, the message is dropped and counted: during a
  gap the other nodes cannot hear either, and a late broadcast would be a wrong one. The awaitable
  commands (:meth:`~RedisBus.publish`, :meth:`~RedisBus.numsub`...) raise
  :class:`RedisUnavailable` at once when there is no session, instead of waiting for one.
- **Payloads are opaque bytes**, never decoded, in either direction.

Faults surface three ways: :data:`BusStatus` events to ``on_status`` (for the adapter), log
lines on the ``sio_anyio.redis`` logger (one line per change of state, never one per retry),
and :class:`RedisUnavailable` from the awaitable commands. :meth:`RedisBus.run` itself never
raises on a Redis fault.

A single Redis server only (``SSUBSCRIBE`` and ``SPUBLISH`` work on a standalone Redis 7);
Redis Cluster, where each shard needs its own listener, is not handled here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, TypeVar

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from sio_anyio._backoff import Backoff
from sio_anyio._redis_session import (
    FAULTS,
    NeverUp,
    OnReply,
    Outgoing,
    Session,
    SessionHooks,
    Timeouts,
    run_session,
)
from sio_anyio._redis_status import (
    BusMessage,
    BusStatus,
    ConnectFailed,
    RedisUnavailable,
    SubscriberLost,
    SubscriberReady,
    log_status,
)
from sio_anyio._redis_wire import (
    BaseConnection,
    Channel,
    Kind,
    RedisError,
    channel_bytes,
    coredis,
    describe,
    redacted,
    send_subscription,
)

logger = logging.getLogger("sio_anyio.redis")

T = TypeVar("T")

_DEFAULT_BACKOFF: Final = Backoff()
_SHORT_SESSION: Final = 1.0
"""A session shorter than this (seconds) is followed by a backoff before the next one."""


class RedisBus:
    """Publishes bytes to, and hears bytes from, one Redis server, for as long as :meth:`run`
    runs, reconnecting and resubscribing by itself after any fault.

    :param url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` for TLS, or
        ``unix://``; passwords never appear in logs.
    :param on_message: called with each :class:`BusMessage` heard, in order, from the listening
        task; it must not block. ``None`` for a bus that only publishes (an emitter).
    :param on_status: called with each :data:`BusStatus`, in order.
    :param ping_interval: seconds between two PINGs on the listener, which is how a frozen
        Redis or a dead network path is noticed.
    :param ping_timeout: seconds a PONG may take before the session is given up.
    :param command_timeout: seconds any other command may take.
    :param connect_timeout: seconds to open a connection.
    :param backoff: the waits between failed tries at connecting.
    :param outbox_size: messages :meth:`publish_nowait` may queue before it drops.
    :param reader: reads a stream on a connection of its own, for as long as a session lasts.
    """

    def __init__(
        self,
        url: str,
        on_message: Callable[[BusMessage], None] | None = None,
        *,
        on_status: Callable[[BusStatus], None] | None = None,
        ping_interval: float = 5.0,
        ping_timeout: float = 2.0,
        command_timeout: float = 5.0,
        connect_timeout: float = 2.0,
        backoff: Backoff = _DEFAULT_BACKOFF,
        outbox_size: int = 10_000,
        reader: Callable[[BaseConnection], Awaitable[None]] | None = None,
    ) -> None:
        self.url = url
        self.where = redacted(url)
        """The URL without its credentials, as logs show it."""
        self._on_message = on_message
        self._on_status = on_status
        self._timeouts = Timeouts(
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            command_timeout=command_timeout,
            connect_timeout=connect_timeout,
        )
        self._backoff = backoff
        self._wanted: dict[Kind, set[bytes]] = {kind: set() for kind in Kind}
        self._outbox_size = outbox_size
        self._reader = reader
        self._outbox: MemoryObjectSendStream[Outgoing] | None = None
        self._outbox_out: MemoryObjectReceiveStream[Outgoing] | None = None
        self._listener: BaseConnection | None = None
        self._session: Session | None = None
        self._changed = anyio.Event()
        self._dropped = 0
        self._dropped_in_gap = 0
        self._running = False

    # -- state ----------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a session is up: the bus hears every wanted subscription, and can publish."""
        return self._session is not None

    @property
    def dropped(self) -> int:
        """How many :meth:`publish_nowait` messages were dropped since the bus was made."""
        return self._dropped

    @property
    def channels(self) -> frozenset[bytes]:
        """The channels the bus wants to hear (``SUBSCRIBE``)."""
        return frozenset(self._wanted[Kind.CHANNEL])

    @property
    def patterns(self) -> frozenset[bytes]:
        """The patterns the bus wants to hear (``PSUBSCRIBE``)."""
        return frozenset(self._wanted[Kind.PATTERN])

    @property
    def shard_channels(self) -> frozenset[bytes]:
        """The shard channels the bus wants to hear (``SSUBSCRIBE``)."""
        return frozenset(self._wanted[Kind.SHARD])

    async def wait_connected(self) -> None:
        """Return once a session is up (at once if one is); bound it with a timeout."""
        while self._session is None:
            await self._changed.wait()

    async def synced(self) -> None:
        """Return once Redis has applied every subscription change made so far.

        A PING on the listener is answered only after the commands sent before it, so its PONG
        proves them applied. With no session, this waits for the next one (which subscribes to
        everything wanted). Bound it with a timeout.
        """
        while True:
            await self.wait_connected()
            session = self._session
            assert session is not None
            try:
                await session.ping()
            except FAULTS:
                session.listener.invalidate()
                await session.ended.wait()
            else:
                return

    # -- subscriptions (synchronous: they only update what is wanted and queue a command) --------

    def subscribe(self, *channels: Channel) -> None:
        """Hear ``channels`` (``SUBSCRIBE``), now and after every reconnection."""
        self._change(Kind.CHANNEL, channels, wanted=True)

    def unsubscribe(self, *channels: Channel) -> None:
        """Stop hearing ``channels``; those not subscribed are ignored."""
        self._change(Kind.CHANNEL, channels, wanted=False)

    def psubscribe(self, *patterns: Channel) -> None:
        """Hear every channel matching ``patterns`` (``PSUBSCRIBE``, glob-style)."""
        self._change(Kind.PATTERN, patterns, wanted=True)

    def punsubscribe(self, *patterns: Channel) -> None:
        """Stop hearing ``patterns``; those not subscribed are ignored."""
        self._change(Kind.PATTERN, patterns, wanted=False)

    def ssubscribe(self, *channels: Channel) -> None:
        """Hear the shard channels ``channels`` (``SSUBSCRIBE``, Redis 7)."""
        self._change(Kind.SHARD, channels, wanted=True)

    def sunsubscribe(self, *channels: Channel) -> None:
        """Stop hearing the shard channels ``channels``; those not subscribed are ignored."""
        self._change(Kind.SHARD, channels, wanted=False)

    def _change(self, kind: Kind, names: Iterable[Channel], *, wanted: bool) -> None:
        current = self._wanted[kind]
        changed = [
            name
            for name in dict.fromkeys(map(channel_bytes, names))
            if (name in current) != wanted
        ]
        if not changed:
            return  # an empty UNSUBSCRIBE would drop every subscription
        if wanted:
            current.update(changed)
        else:
            current.difference_update(changed)
        if self._listener is not None:
            # If the listener is dying, the next one subscribes to what is wanted.
            with contextlib.suppress(
                RedisError, anyio.ClosedResourceError, anyio.BrokenResourceError
            ):
                send_subscription(self._listener, kind, changed, wanted=wanted)

    # -- publishing and counting -----------------------------------------------------------------

    def publish_nowait(self, channel: Channel, data: bytes, *, sharded: bool = False) -> bool:
        """Queue ``data`` for ``channel`` (``SPUBLISH`` when ``sharded``), never blocking.

        Messages queued here go out in order. Returns False when the message was dropped
        instead: no session, or the outbox is full; :attr:`dropped` counts those.
        """
        name = b"SPUBLISH" if sharded else b"PUBLISH"
        return self.command_nowait((name, channel_bytes(channel), data))

    def command_nowait(self, command: tuple[bytes, ...], on_reply: OnReply | None = None) -> bool:
        """Queue any command as :meth:`publish_nowait` queues a message; ``on_reply`` gets its
        reply, or a :class:`RedisUnavailable` when it gets none (then at once if dropped)."""
        queued = Outgoing(command, on_reply)
        if self._session is not None and self._outbox is not None:
            try:
                self._outbox.send_nowait(queued)
            except anyio.WouldBlock:
                if self._dropped_in_gap == 0:
                    logger.warning("redis %s: publishing outbox full, dropping", self.where)
            else:
                return True
        self._count_dropped(1)
        queued.fail(f"not sent: no room or no connection to redis {self.where}")
        return False

    async def publish(self, channel: Channel, data: bytes) -> int:
        """``PUBLISH`` now; the number of subscribers that got it. Raises RedisUnavailable."""
        return await self._command(lambda client: client.publish(channel_bytes(channel), data))

    async def spublish(self, channel: Channel, data: bytes) -> int:
        """``SPUBLISH`` now; the number of shard subscribers that got it."""
        return await self._command(lambda client: client.spublish(channel_bytes(channel), data))

    async def numsub(self, channel: Channel) -> int:
        """How many connections hear ``channel`` (``PUBSUB NUMSUB``), this bus's included."""
        name = channel_bytes(channel)
        counts = await self._command(lambda client: client.pubsub_numsub(name))
        return int(counts.get(name, 0))

    async def shardnumsub(self, channel: Channel) -> int:
        """How many connections hear the shard channel (``PUBSUB SHARDNUMSUB``)."""
        name = channel_bytes(channel)
        counts = await self._command(lambda client: client.pubsub_shardnumsub(name))
        return int(counts.get(name, 0))

    async def _command(self, call: Callable[[coredis.Redis[bytes]], Awaitable[T]]) -> T:
        session = self._session
        if session is None:
            raise RedisUnavailable(f"no connection to redis {self.where}")
        try:
            with anyio.fail_after(self._timeouts.command_timeout):
                return await call(session.client)
        except FAULTS as error:
            raise RedisUnavailable(f"redis {self.where}: {describe(error)}") from error

    # -- the session loop ------------------------------------------------------------------------

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Keep a session with Redis until cancelled; reports started at once, Redis or not.

        Never raises on a Redis fault: it logs, tells ``on_status``, and tries again. One bus
        runs once.
        """
        if self._running:
            raise RuntimeError("a RedisBus runs once")
        self._running = True
        self._outbox, self._outbox_out = anyio.create_memory_object_stream[Outgoing](
            self._outbox_size
        )
        with self._outbox, self._outbox_out:
            task_status.started()
            await self._keep_sessions()

    async def _keep_sessions(self) -> None:
        failures = 0
        quick_losses = 0
        deaf_since = anyio.current_time()
        ever_up = False
        while True:
            try:
                reason, lasted = await self._run_session(
                    gap_known=ever_up or failures > 0, since=deaf_since
                )
            except NeverUp as failed:
                failures += 1
                delay = self._backoff.delay(failures)
                failed_try = ConnectFailed(attempt=failures, reason=str(failed), retry_in=delay)
                log_status(self.where, failed_try, first=not ever_up, most=self._backoff.maximum)
                self._status(failed_try)
                await anyio.sleep(delay)
                continue
            ever_up = True
            failures = 0
            deaf_since = anyio.current_time()
            lost = SubscriberLost(reason=reason)
            log_status(self.where, lost)
            self._status(lost)
            # A session that keeps dying young must not become a busy loop of reconnections.
            quick_losses = quick_losses + 1 if lasted < _SHORT_SESSION else 0
            if quick_losses:
                await anyio.sleep(self._backoff.delay(quick_losses))

    async def _run_session(self, *, gap_known: bool, since: float) -> tuple[str, float]:
        """One session, from connecting to its end: why it ended and how long it was up.

        Raises NeverUp if it never came up.
        """
        hooks = SessionHooks(
            subscribe=self._subscribe_all,
            heard=self._heard,
            dropped=self._count_dropped,
            read=self._reader,
        )

        async def serve(session: Session) -> str:
            try:
                return await self._serve(session, hooks, gap_known=gap_known, since=since)
            finally:
                self._end(session)

        try:
            return await run_session(self.url, self.where, self._timeouts, hooks, serve)
        finally:
            self._listener = None

    def _subscribe_all(self, listener: BaseConnection) -> None:
        """A new listener: subscribe it to everything wanted, and send it later changes."""
        for kind, names in self._wanted.items():
            if names:
                send_subscription(listener, kind, sorted(names), wanted=True)
        self._listener = listener

    async def _serve(
        self, session: Session, hooks: SessionHooks, *, gap_known: bool, since: float
    ) -> str:
        """Announce the session, then serve it until it ends; the reason."""
        gap = anyio.current_time() - since if gap_known else None
        dropped, self._dropped_in_gap = self._dropped_in_gap, 0
        self._session = session
        self._announce()
        ready = SubscriberReady(gap=gap, dropped=dropped)
        log_status(self.where, ready, subscriptions=sum(map(len, self._wanted.values())))
        self._status(ready)
        assert self._outbox_out is not None
        return await session.serve(self._outbox_out, hooks)

    def _end(self, session: Session) -> None:
        self._session = None
        self._listener = None
        while self._outbox_out is not None:  # queued for this session, it would come late
            try:
                queued = self._outbox_out.receive_nowait()
            except (anyio.WouldBlock, anyio.ClosedResourceError):
                break
            self._count_dropped(1)
            queued.fail(f"not sent: the connection to redis {self.where} was lost")
        self._announce()

    def _announce(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def _heard(self, message: BusMessage) -> None:
        if self._on_message is None:
            return
        try:
            self._on_message(message)
        except Exception:
            logger.exception("redis %s: on_message failed", self.where)

    def _count_dropped(self, count: int) -> None:
        self._dropped += count
        self._dropped_in_gap += count

    def _status(self, status: BusStatus) -> None:
        if self._on_status is None:
            return
        try:
            self._on_status(status)
        except Exception:
            logger.exception("redis %s: on_status failed", self.where)


__all__ = [
    "Backoff",
    "BusMessage",
    "BusStatus",
    "ConnectFailed",
    "RedisBus",
    "RedisUnavailable",
    "SubscriberLost",
    "SubscriberReady",
    "redacted",
]
