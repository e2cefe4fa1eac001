"""The Redis adapters when Redis fails them, on asyncio and trio: no server dies, none stays deaf.

Each test runs servers in its own loop on a Redis of its own, which it keeps from starting,
restarts under load, or whose pub/sub connections it kills. A server that died would end the
test's task group with its error; one that stayed deaf would fail the test's time limit. Peers
that stop answering are in ``tests/cluster/test_cluster_faults.py`` (a frozen process).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from served import serving
from sio_anyio import (
    Backoff,
    RedisAdapter,
    RedisStreamsAdapter,
    Server,
    ShardedRedisAdapter,
    Socket,
)

pytestmark = pytest.mark.anyio

LIMIT = 15
FAST = Backoff(initial=0.02, maximum=0.2)


@pytest.fixture(params=["classic", "sharded", "streams"])
def adapter_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def cluster_of(kind: str, url: str, count: int) -> list[Server]:
    """``count`` servers of one cluster, whose sockets join ``room`` (and wait for Redis to
    apply the sharded adapter's room subscription, when Redis is there)."""
    key = f"faults-{uuid.uuid4().hex[:8]}"
    servers = []
    for _ in range(count):
        if kind == "sharded":
            adapter: Any = ShardedRedisAdapter(url, channel_prefix=key, backoff=FAST)
        elif kind == "streams":
            adapter = RedisStreamsAdapter(url, stream_name=key, channel_prefix=key, backoff=FAST)
        else:
            adapter = RedisAdapter(url, key=key, requests_timeout=2.0, backoff=FAST)
        io = Server(adapter=adapter)
        io.on("connection", joins_room(io))
        servers.append(io)
    return servers


def joins_room(io: Server) -> Callable[[Socket], Any]:
    async def on_connection(socket: Socket) -> None:
        socket.join("room")
        assert io.adapter is not None
        if io.adapter.connected:
            with anyio.move_on_after(2):
                await io.adapter.synced()

    return on_connection


@contextlib.asynccontextmanager
async def client_on(wire: Any, port: int) -> AsyncIterator[Any]:
    client = await wire.connected(port)
    try:
        yield client
    finally:
        with anyio.CancelScope(shield=True):
            await client.aclose()


async def events_named(client: Any, name: str) -> list[Any]:
    """Read until an EVENT ``name`` arrives; its arguments."""
    while True:
        packet = await client.receive()
        if packet.type == 2 and packet.data[0] == name:
            return list(packet.data[1:])


async def until_heard_across(sender: Server, client: Any) -> None:
    """Broadcast numbered probes from ``sender`` until ``client`` (on another server) gets one:
    how a test waits for a cluster to hear again after Redis came back."""
    heard = anyio.Event()

    async def listen() -> None:
        await events_named(client, "probe")
        heard.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(listen)
        while not heard.is_set():
            sender.to("room").emit("probe")
            with anyio.move_on_after(0.1):
                await heard.wait()


def redis_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "sio_anyio.redis" and record.levelno >= logging.WARNING
    ]


async def test_redis_down_at_start_serves_locally_logs_once_and_joins_later(
    spawn_redis, adapter_kind, wire, caplog: pytest.LogCaptureFixture
):
    redis = spawn_redis(start=False)
    first, second = cluster_of(adapter_kind, redis.url, 2)
    with anyio.fail_after(LIMIT):
        async with serving(first, second) as (port, other_port), client_on(wire, port) as near:
            assert first.adapter is not None
            assert not first.adapter.connected
            first.emit("local", 1)  # this server's clients are served meanwhile
            assert await events_named(near, "local") == [1]
            assert len(await first.fetch_sockets()) == 1  # nobody to ask: it answers alone
            unreachable = [line for line in redis_warnings(caplog) if "unreachable" in line]
            assert len(unreachable) == 2  # one line per server, not one per retry
            redis.start()
            async with client_on(wire, other_port) as far:
                await first.adapter.synced()
                await until_heard_across(first, far)
    assert any("cannot count the servers" in line for line in redis_warnings(caplog))


async def test_redis_restarted_under_load_resubscribes_and_logs_the_gap(
    spawn_redis, adapter_kind, wire, caplog: pytest.LogCaptureFixture
):
    redis = spawn_redis()
    first, second = cluster_of(adapter_kind, redis.url, 2)
    with anyio.fail_after(LIMIT):
        async with (
            serving(first, second) as (port, other_port),
            client_on(wire, port) as near,
            client_on(wire, other_port) as far,
            anyio.create_task_group() as load,
        ):
            await until_heard_across(first, far)

            async def keep_broadcasting() -> None:
                while True:
                    first.to("room").emit("load", "x" * 64)
                    second.to("room").emit("load", "y" * 64)
                    await anyio.sleep(0.001)

            load.start_soon(keep_broadcasting)
            redis.restart()
            await until_heard_across(first, far)
            await until_heard_across(second, near)
            load.cancel_scope.cancel()
    gaps = [line for line in redis_warnings(caplog) if "connected after" in line]
    assert len(gaps) >= 2  # each server says how long it was deaf


async def test_pubsub_connections_killed_by_redis_are_reestablished(
    spawn_redis, adapter_kind, wire
):
    redis = spawn_redis()
    first, second = cluster_of(adapter_kind, redis.url, 2)
    with anyio.fail_after(LIMIT):
        async with (
            serving(first, second) as (port, other_port),
            client_on(wire, port) as near,
            client_on(wire, other_port) as far,
        ):
            await until_heard_across(first, far)
            killed = redis.command("CLIENT", "KILL", "TYPE", "pubsub")
            assert killed == b":2"  # the two servers' listeners
            await until_heard_across(first, far)
            await until_heard_across(second, near)
