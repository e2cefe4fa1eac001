"""One session of a :class:`~sio_anyio._redis_bus.RedisBus` with Redis, from connecting to its end.

A session is a fresh coredis client with two dedicated connections: the *listener* (RESP3:
subscription confirmations and messages arrive as push frames, while PING still gets a reply)
and the *publisher*. Three tasks serve it: one hears the listener, one pings it, one drains the
bus's outbox onto the publisher, pipelined. A bus that reads a stream (the Redis Streams
adapter) has a third connection, the *reader*, for its blocking reads, and a fourth task that
runs them. The first task to fail ends the whole session, and everything of it is thrown away
together: no half-broken connection survives in any pool.

The bus keeps what outlives a session (the wanted subscriptions, the outbox, the counters, the
logging of gaps); this module only knows how to open, serve and close one. :func:`run_session`
tells apart a session that never came up (:class:`NeverUp`, a failed try at connecting) from
one that came up and later ended (the reason, and how long it lasted).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Final

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from sio_anyio._redis_status import BusMessage, RedisUnavailable
from sio_anyio._redis_wire import (
    BaseConnection,
    NoRetryPolicy,
    RedisError,
    ResponseError,
    ResponseType,
    coredis,
    describe,
    heard_message,
    leaves,
    probe,
    refusal_tolerated,
)

logger = logging.getLogger("sio_anyio.redis")

FAULTS: Final = (RedisError, OSError, TimeoutError, anyio.BrokenResourceError)
"""What Redis being away or misbehaving looks like from coredis and anyio."""
OUTBOX_BATCH: Final = 512
"""The most queued messages pipelined at once before their replies are awaited."""

OnReply = Callable[[ResponseType | RedisUnavailable], None]
"""Gets the reply to a queued command, or the :class:`RedisUnavailable` that stands for none (the
command was refused, dropped, or its session ended first); it must not block."""


@dataclasses.dataclass(frozen=True, slots=True)
class Outgoing:
    """A queued command (``PUBLISH``, ``SPUBLISH``, ``XADD``...), and who waits for its reply."""

    command: tuple[bytes, ...]
    on_reply: OnReply | None = None

    def fail(self, reason: str) -> None:
        """It gets no reply: tell whoever waits for one."""
        if self.on_reply is not None:
            self.on_reply(RedisUnavailable(reason))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """The bus's timings, in seconds (see :class:`~sio_anyio._redis_bus.RedisBus`)."""

    ping_interval: float
    ping_timeout: float
    command_timeout: float
    connect_timeout: float


class NeverUp(Exception):
    """A session that failed before it was up: a failed try at connecting."""


@dataclasses.dataclass(slots=True, kw_only=True)
class SessionHooks:
    """What a session reports to its bus, from its own tasks; none of them may wait.

    :param subscribe: sends every wanted subscription on a new listener (and lets the bus send
        later changes on it); called with no await before the first PING on it.
    :param heard: each message heard, in order.
    :param dropped: how many queued messages were lost (a failed pipeline, a refusal).
    :param read: when set, reads the stream on the session's reader connection until it fails
        (its failure ends the session).
    """

    subscribe: Callable[[BaseConnection], None]
    heard: Callable[[BusMessage], None]
    dropped: Callable[[int], None]
    read: Callable[[BaseConnection], Awaitable[None]] | None = None


@dataclasses.dataclass(slots=True)
class Session:
    """One client and its dedicated connections; all discarded together when it ends."""

    client: coredis.Redis[bytes]
    listener: BaseConnection
    publisher: BaseConnection
    timeouts: Timeouts
    where: str
    reader: BaseConnection | None = None
    ended: anyio.Event = dataclasses.field(default_factory=anyio.Event)

    async def serve(self, outbox: MemoryObjectReceiveStream[Outgoing], hooks: SessionHooks) -> str:
        """Hear, ping and publish until one of them fails; the reason."""
        ended: list[str] = []
        async with anyio.create_task_group() as tasks:

            def end(reason: str) -> None:
                ended.append(reason)
                tasks.cancel_scope.cancel()

            tasks.start_soon(self._hear, hooks, end)
            tasks.start_soon(self._keep_alive, end)
            tasks.start_soon(self._drain, outbox, hooks, end)
            if hooks.read is not None and self.reader is not None:
                tasks.start_soon(self._read, hooks.read, self.reader, end)
        return ended[0]

    def end(self) -> None:
        """Drop every connection (they are never reused) and wake whoever waits for the end."""
        self.listener.invalidate()
        self.publisher.invalidate()
        if self.reader is not None:
            self.reader.invalidate()
        self.ended.set()

    @staticmethod
    async def _read(
        read: Callable[[BaseConnection], Awaitable[None]],
        reader: BaseConnection,
        end: Callable[[str], None],
    ) -> None:
        try:
            await read(reader)
        except FAULTS as error:
            end(f"reading the stream failed: {describe(error)}")

    async def ping(self) -> None:
        """A PING on the listener, answered after every command sent on it before."""
        await ping(self.listener, self.timeouts.ping_timeout)

    async def _hear(self, hooks: SessionHooks, end: Callable[[str], None]) -> None:
        try:
            async for push in self.listener.push_messages:
                message = heard_message(push)
                if message is not None:
                    hooks.heard(message)
        except FAULTS as error:
            end(f"listener closed: {describe(error)}")
        else:
            end("listener closed")

    async def _keep_alive(self, end: Callable[[str], None]) -> None:
        while True:
            await anyio.sleep(self.timeouts.ping_interval)
            try:
                await self.ping()
            except FAULTS as error:
                end(f"no PONG within {self.timeouts.ping_timeout:g} s: {describe(error)}")
                return

    async def _drain(
        self,
        outbox: MemoryObjectReceiveStream[Outgoing],
        hooks: SessionHooks,
        end: Callable[[str], None],
    ) -> None:
        while True:
            batch = [await outbox.receive()]
            while len(batch) < OUTBOX_BATCH:
                try:
                    batch.append(outbox.receive_nowait())
                except anyio.WouldBlock:
                    break
            done = 0
            try:
                requests = [self.publisher.create_request(*queued.command) for queued in batch]
                with anyio.fail_after(self.timeouts.command_timeout):
                    for queued, request in zip(batch, requests, strict=True):
                        await refusal_tolerated(
                            request,
                            functools.partial(self._refused, queued, hooks),
                            queued.on_reply,
                        )
                        done += 1
            except FAULTS as error:
                reason = f"publishing failed: {describe(error)}"
                hooks.dropped(len(batch) - done)
                for queued in batch[done:]:
                    queued.fail(reason)
                end(reason)
                return

    def _refused(self, queued: Outgoing, hooks: SessionHooks, error: ResponseError) -> None:
        """Redis refused one command (SPUBLISH on Redis 6, say): drop it, keep the session."""
        if queued.on_reply is None:
            hooks.dropped(1)
            logger.warning("redis %s refused a publish: %s", self.where, error)
        else:
            queued.fail(f"refused: {error}")


async def ping(connection: BaseConnection, timeout: float) -> None:
    """PING ``connection``; raise unless PONG comes within ``timeout`` seconds."""
    with anyio.fail_after(timeout):
        reply = await connection.create_request(b"PING")
    if not isinstance(reply, bytes) or reply != b"PONG":
        raise RedisError(f"PING answered {reply!r}")


async def run_session(
    url: str,
    where: str,
    timeouts: Timeouts,
    hooks: SessionHooks,
    serve: Callable[[Session], Awaitable[str]],
) -> tuple[str, float]:
    """One session, from connecting to its end: why it ended and how long it was up.

    ``serve`` runs it once it is up (subscribed, PONG received) and returns why it ended.

    :raises NeverUp: it never came up. Anything unexpected is logged and taken for a failure
        too: the bus must outlive its own bugs rather than leave the node deaf.
    """
    client = coredis.Redis.from_url(
        url,
        stream_timeout=timeouts.command_timeout,
        connect_timeout=timeouts.connect_timeout,
        retry_policy=NoRetryPolicy(),
        client_name="sio-core",
    )
    up_at: float | None = None
    try:
        await probe(client.connection_pool.location)
        async with client:
            session = await _open(client, where, timeouts, hooks)
            up_at = anyio.current_time()
            try:
                reason = await serve(session)
            finally:
                session.end()
    except Exception as error:
        found = leaves(error)
        why = "; ".join(describe(leaf) for leaf in found)
        if not all(isinstance(leaf, FAULTS) for leaf in found):
            logger.exception("redis %s: unexpected failure", where)
            why = f"unexpected failure: {why}"
        if up_at is None:
            raise NeverUp(why) from error
        reason = why
    assert up_at is not None
    return reason, anyio.current_time() - up_at


async def _open(
    client: coredis.Redis[bytes], where: str, timeouts: Timeouts, hooks: SessionHooks
) -> Session:
    """Connect both connections and subscribe to everything wanted; raise if that fails."""
    with anyio.fail_after(timeouts.connect_timeout + timeouts.ping_timeout):
        listener = await client.connection_pool.get_connection()
        publisher = await client.connection_pool.get_connection()
        reader = None
        if hooks.read is not None:
            reader = await client.connection_pool.get_connection()
        hooks.subscribe(listener)  # no await before it: a change made meanwhile would be lost
        await ping(listener, timeouts.ping_timeout)
    return Session(client, listener, publisher, timeouts, where, reader)


__all__ = [
    "FAULTS",
    "NeverUp",
    "OnReply",
    "Outgoing",
    "Session",
    "SessionHooks",
    "Timeouts",
    "ping",
    "run_session",
]
