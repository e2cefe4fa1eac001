"""The Redis transport of the cluster adapters, against a real redis-server, on asyncio and trio.

Each test runs one or two ``RedisBus`` (each a node's link to Redis) and waits on what they
report: messages heard and status changes, never a sleep. Tests on the shared server use
channel names of their own; fault tests start a Redis of their own to stop, kill or freeze.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from sio_anyio._backoff import Backoff
from sio_anyio._redis_bus import (
    BusMessage,
    BusStatus,
    ConnectFailed,
    RedisBus,
    RedisUnavailable,
    SubscriberLost,
    SubscriberReady,
    redacted,
)

pytestmark = pytest.mark.anyio

FAST = Backoff(initial=0.02, maximum=0.2)
"""Retries quick enough for tests; the policy itself is tested on its own below."""
LIMIT = 10
"""Seconds any test may take: a bus that goes deaf fails the test instead of hanging it."""
EVERY_BYTE = bytes(range(256))


class Heard:
    """What one bus reported, in order, with waits that the caller's ``fail_after`` bounds."""

    def __init__(self) -> None:
        self.messages: list[BusMessage] = []
        self.statuses: list[BusStatus] = []
        self._changed = anyio.Event()

    def message(self, message: BusMessage) -> None:
        self.messages.append(message)
        self._wake()

    def status(self, status: BusStatus) -> None:
        self.statuses.append(status)
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            await self._changed.wait()

    async def messages_on(self, channel: bytes, count: int) -> list[bytes]:
        """Wait for ``count`` messages on ``channel``; their payloads."""
        await self.until(lambda: len(self.on(channel)) >= count)
        return self.on(channel)

    def on(self, channel: bytes) -> list[bytes]:
        return [message.data for message in self.messages if message.channel == channel]

    def count(self, kind: type[Any]) -> int:
        return sum(isinstance(status, kind) for status in self.statuses)

    async def status_count(self, kind: type[Any], count: int) -> Any:
        """Wait until ``count`` statuses of ``kind`` were reported; the last of them."""
        await self.until(lambda: self.count(kind) >= count)
        return [status for status in self.statuses if isinstance(status, kind)][count - 1]


@asynccontextmanager
async def running(url: str, **options: Any) -> AsyncIterator[tuple[RedisBus, Heard]]:
    """A running bus on ``url`` and what it reports; stopped on exit."""
    heard = Heard()
    options.setdefault("backoff", FAST)
    bus = RedisBus(url, heard.message, on_status=heard.status, **options)
    async with anyio.create_task_group() as tasks:
        await tasks.start(bus.run)
        try:
            yield bus, heard
        finally:
            tasks.cancel_scope.cancel()


def names(*parts: str) -> list[bytes]:
    """Channel names no other test uses (the shared Redis outlives each test)."""
    tag = uuid.uuid4().hex[:8]
    return [f"test-{tag}#{part}#".encode() for part in parts]


# -- publishing and hearing ------------------------------------------------------------------


async def test_published_bytes_reach_a_subscriber_unchanged(redis_url: str) -> None:
    (channel,) = names("plain")
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (sender, _), running(redis_url) as (receiver, heard):
            receiver.subscribe(channel)
            await receiver.synced()
            await sender.wait_connected()
            assert await sender.publish(channel, EVERY_BYTE) == 1
            await heard.messages_on(channel, 1)
    assert heard.messages == [BusMessage(channel=channel, data=EVERY_BYTE)]


async def test_publish_nowait_delivers_in_order(redis_url: str) -> None:
    (channel,) = names("ordered")
    payloads = [str(n).encode() for n in range(300)]
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (sender, _), running(redis_url) as (receiver, heard):
            receiver.subscribe(channel)
            await receiver.synced()
            await sender.wait_connected()
            assert all(sender.publish_nowait(channel, payload) for payload in payloads)
            assert await heard.messages_on(channel, len(payloads)) == payloads
    assert sender.dropped == 0


async def test_pattern_subscription_hears_matching_channels_only(redis_url: str) -> None:
    room, outside = names("room", "elsewhere")
    pattern = room.rstrip(b"#") + b"*"
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (bus, heard):
            bus.psubscribe(pattern)
            await bus.synced()
            bus.publish_nowait(outside, b"not for us")
            bus.publish_nowait(room, b"for us")
            await heard.messages_on(room, 1)
    assert heard.messages == [BusMessage(channel=room, data=b"for us", pattern=pattern)]


async def test_sharded_publish_reaches_shard_subscriber(redis_url: str) -> None:
    (channel,) = names("shard")
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (sender, _), running(redis_url) as (receiver, heard):
            receiver.ssubscribe(channel)
            await receiver.synced()
            await sender.wait_connected()
            assert await sender.spublish(channel, b"awaited") == 1
            sender.publish_nowait(channel, b"queued", sharded=True)
            await heard.messages_on(channel, 2)
    assert heard.messages == [
        BusMessage(channel=channel, data=b"awaited", sharded=True),
        BusMessage(channel=channel, data=b"queued", sharded=True),
    ]


async def test_subscriber_counts_come_from_pubsub_numsub(redis_url: str) -> None:
    channel, shard, nobody = names("counted", "counted-shard", "nobody")
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (a, _), running(redis_url) as (b, _):
            for bus in (a, b):
                bus.subscribe(channel)
                await bus.synced()
            b.ssubscribe(shard)
            await b.synced()
            assert await a.numsub(channel) == 2
            assert await a.shardnumsub(shard) == 1
            assert await a.numsub(nobody) == 0


async def test_channels_added_and_removed_at_run_time(redis_url: str) -> None:
    kept, dropped, shard_kept, shard_dropped = names("kept", "dropped", "s-kept", "s-dropped")
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (bus, heard):
            await bus.wait_connected()
            bus.subscribe(kept, dropped)
            bus.ssubscribe(shard_kept, shard_dropped)
            await bus.synced()
            bus.unsubscribe(dropped)
            bus.sunsubscribe(shard_dropped)
            await bus.synced()
            assert bus.channels == {kept}
            assert bus.shard_channels == {shard_kept}
            for channel in (dropped, kept):  # published in this order: kept's arrival proves
                bus.publish_nowait(channel, b"x")  # dropped's would have arrived before it
            for channel in (shard_dropped, shard_kept):
                bus.publish_nowait(channel, b"x", sharded=True)
            await heard.messages_on(kept, 1)
            await heard.messages_on(shard_kept, 1)
    assert [message.channel for message in heard.messages] == [kept, shard_kept]


async def test_unsubscribing_unknown_channel_keeps_the_others(redis_url: str) -> None:
    kept, never = names("kept", "never-subscribed")
    with anyio.fail_after(LIMIT):
        async with running(redis_url) as (bus, heard):
            bus.subscribe(kept)
            bus.unsubscribe(never)  # sent as is, an empty UNSUBSCRIBE would drop everything
            bus.punsubscribe(never)
            await bus.synced()
            assert await bus.numsub(kept) == 1
            bus.publish_nowait(kept, b"still heard")
            assert await heard.messages_on(kept, 1) == [b"still heard"]


async def test_failing_message_callback_does_not_deafen_the_bus(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    (channel,) = names("callback")
    heard: list[bytes] = []
    two = anyio.Event()

    def fragile(message: BusMessage) -> None:
        heard.append(message.data)
        if len(heard) == 2:
            two.set()
        if message.data == b"first":
            raise ValueError("a bug in the adapter")

    with anyio.fail_after(LIMIT):
        bus = RedisBus(redis_url, fragile, backoff=FAST)
        async with anyio.create_task_group() as tasks:
            await tasks.start(bus.run)
            bus.subscribe(channel)
            await bus.synced()
            bus.publish_nowait(channel, b"first")
            bus.publish_nowait(channel, b"second")
            await two.wait()
            tasks.cancel_scope.cancel()
    assert heard == [b"first", b"second"]
    assert "on_message failed" in caplog.text


# -- faults ------------------------------------------------------------------------------------


def redis_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "sio_anyio.redis" and record.levelno >= logging.WARNING
    ]


async def test_redis_down_at_start_logs_one_line_retries_and_connects_later(
    spawn_redis: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sio_anyio.redis")
    redis = spawn_redis(start=False)
    (channel,) = names("late")
    with anyio.fail_after(LIMIT):
        async with running(redis.url) as (bus, heard):
            bus.subscribe(channel)  # wanted before Redis exists: subscribed once it does
            assert not bus.publish_nowait(channel, b"nobody can hear this")
            with pytest.raises(RedisUnavailable):
                await bus.publish(channel, b"nor this")
            await heard.status_count(ConnectFailed, 3)
            assert len(redis_warnings(caplog)) == 1
            assert "unreachable" in redis_warnings(caplog)[0]
            redis.start()
            ready = await heard.status_count(SubscriberReady, 1)
            bus.publish_nowait(channel, b"heard")
            assert await heard.messages_on(channel, 1) == [b"heard"]
    assert ready.gap > 0
    assert ready.dropped == 1
    assert [n.attempt for n in heard.statuses if isinstance(n, ConnectFailed)][:3] == [1, 2, 3]


async def test_redis_restart_resubscribes_everything_and_logs_the_gap(
    spawn_redis: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    redis = spawn_redis()
    channel, room, shard = names("channel", "room", "shard")
    pattern = room.split(b"#")[0] + b"#room*"
    with anyio.fail_after(LIMIT):
        async with running(redis.url) as (bus, heard):
            bus.subscribe(channel)
            bus.psubscribe(pattern)
            bus.ssubscribe(shard)
            await bus.synced()
            redis.restart()
            lost = await heard.status_count(SubscriberLost, 1)
            ready = await heard.status_count(SubscriberReady, 2)
            bus.publish_nowait(channel, b"1")
            bus.publish_nowait(room, b"2")
            bus.publish_nowait(shard, b"3", sharded=True)
            await heard.until(lambda: len(heard.messages) == 3)
    assert "listener closed" in lost.reason
    assert ready.gap > 0
    assert [(m.channel, m.data) for m in heard.messages] == [
        (channel, b"1"),
        (room, b"2"),
        (shard, b"3"),
    ]
    assert any("connected after" in line for line in redis_warnings(caplog))


async def test_pubsub_connection_killed_by_redis_is_reestablished(
    spawn_redis: Callable[..., Any],
) -> None:
    redis = spawn_redis()
    (channel,) = names("killed")
    with anyio.fail_after(LIMIT):
        async with running(redis.url) as (bus, heard):
            bus.subscribe(channel)
            await bus.synced()
            assert redis.command("CLIENT", "KILL", "TYPE", "pubsub") == b":1"
            await heard.status_count(SubscriberLost, 1)
            await heard.status_count(SubscriberReady, 2)
            assert await bus.publish(channel, b"after the kill") == 1
            assert await heard.messages_on(channel, 1) == [b"after the kill"]


async def test_frozen_redis_is_noticed_by_ping_and_reconnected(
    spawn_redis: Callable[..., Any],
) -> None:
    redis = spawn_redis()
    (channel,) = names("frozen")
    options = {"ping_interval": 0.1, "ping_timeout": 0.3, "connect_timeout": 0.3}
    with anyio.fail_after(LIMIT):
        async with running(redis.url, **options) as (bus, heard):
            bus.subscribe(channel)
            await bus.synced()
            redis.freeze()
            try:
                lost = await heard.status_count(SubscriberLost, 1)
                await heard.status_count(ConnectFailed, 1)  # still frozen: the retry fails
            finally:
                redis.thaw()
            await heard.status_count(SubscriberReady, 2)
            bus.publish_nowait(channel, b"thawed")
            assert await heard.messages_on(channel, 1) == [b"thawed"]
    assert "no PONG" in lost.reason


async def test_publish_without_session_fails_fast_and_counts(
    spawn_redis: Callable[..., Any],
) -> None:
    redis = spawn_redis(start=False)
    with anyio.fail_after(LIMIT):
        async with running(redis.url) as (bus, heard):
            await heard.status_count(ConnectFailed, 1)
            assert not bus.connected
            assert not bus.publish_nowait(b"anywhere", b"dropped")
            with pytest.raises(RedisUnavailable, match="no connection"):
                await bus.numsub(b"anywhere")
    assert bus.dropped == 1


# -- the parts -----------------------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(initial=0.1, factor=2.0, maximum=1.0)
    assert [backoff.delay(n) for n in range(1, 7)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert backoff.delay(10_000) == 1.0


def test_backoff_refuses_a_cap_below_its_start() -> None:
    with pytest.raises(ValueError, match="unusable backoff"):
        Backoff(initial=1.0, maximum=0.5)


def test_logged_url_hides_credentials() -> None:
    assert redacted("redis://user:s3cret@host:6380/1") == "redis://***@host:6380/1"
    assert redacted("redis://127.0.0.1:7000") == "redis://127.0.0.1:7000"
