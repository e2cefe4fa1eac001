"""The Redis Streams adapter inside one process, on asyncio and trio: recovery across servers,
and Redis going away under a reader.

What it shares with the other adapters (broadcasts, rooms, ``fetch_sockets``, server-side
emits, Redis faults) runs in ``test_redis_adapter.py`` and ``test_redis_adapter_faults.py``;
Node servers and socket.io-client are in ``tests/cluster``. Entries "from another server" are
appended here with raw ``XADD`` commands, as a Node server writes them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from served import serving
from sio_anyio import Backoff, ConnectionStateRecovery, RedisStreamsAdapter, Server

pytestmark = pytest.mark.anyio

LIMIT = 10
FAST = Backoff(initial=0.02, maximum=0.2)


def recovering(url: str, key: str, **options: Any) -> Server:
    """A server with recovery on, on stream ``key`` (sessions under ``key:``)."""
    adapter = RedisStreamsAdapter(
        url, stream_name=key, channel_prefix=key, session_key_prefix=f"{key}:", **options
    )
    return Server(connection_state_recovery=ConnectionStateRecovery(), adapter=adapter)


def append(redis: Any, key: str, event: str, *args: Any) -> None:
    """Another server broadcasts ``event`` to everyone: an entry as Node writes it."""
    data = {"packet": {"type": 2, "data": [event, *args]}, "opts": {"rooms": [], "except": []}}
    reply = redis.command(
        "XADD", key, "*", "uid", "node", "nsp", "/", "type", "3", "data", json.dumps(data)
    )
    assert reply.startswith(b"$"), reply


async def until(condition: Callable[[], bool]) -> None:
    """Wait for something another process does (Redis), bounded by the test's limit."""
    while not condition():
        await anyio.sleep(0.01)


async def packets_until_connect(client: Any) -> list[Any]:
    """Every packet up to the CONNECT reply, that one included (replayed events come first)."""
    packets = [await client.receive()]
    while packets[-1].type != 0:
        packets.append(await client.receive())
    return packets


async def next_event(client: Any) -> list[Any]:
    while (packet := await client.receive()).type != 2:
        pass
    return list(packet.data)


async def test_a_client_recovers_on_the_other_server_with_what_it_missed(redis_server, wire):
    key = f"recovery-{uuid.uuid4().hex[:8]}"
    first, second = recovering(redis_server.url, key), recovering(redis_server.url, key)
    with anyio.fail_after(LIMIT):
        async with serving(first, second) as (near, far):
            client = await wire.sio(near)
            hello = await client.join()
            sid, pid = hello.data["sid"], hello.data["pid"]
            first.emit("hello", 0)
            offset = (await next_event(client))[-1]
            await client.aclose()  # the connection dies: "transport close"
            await until(lambda: redis_server.command("EXISTS", f"{key}:{pid}") == b":1")
            second.emit("missed", 1)
            second.to(sid).emit("direct", 2)
            await until(lambda: redis_server.command("XLEN", key) == b":3")
            async with contextlib.aclosing(await wire.sio(far)) as back:
                await back.send("0" + json.dumps({"pid": pid, "offset": offset}))
                replayed = await packets_until_connect(back)
                second.emit("after", 3)
                after = await next_event(back)
                taken = redis_server.command("EXISTS", f"{key}:{pid}")
    assert [packet.type for packet in replayed] == [2, 2, 0]
    assert [packet.data[:2] for packet in replayed[:2]] == [["missed", 1], ["direct", 2]]
    assert replayed[-1].data == {"sid": sid, "pid": pid}
    assert after[:2] == ["after", 3]
    assert taken == b":0"  # one recovery only


async def test_a_reader_resumes_after_its_last_entry_when_redis_comes_back(
    spawn_redis, wire, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="sio_anyio.redis")
    redis = spawn_redis()
    slow = Backoff(initial=0.5, maximum=0.5)  # Redis is back long before this server is
    io = Server(adapter=RedisStreamsAdapter(redis.url, backoff=slow))
    with anyio.fail_after(LIMIT):
        async with (
            serving(io) as (port,),
            contextlib.aclosing(await wire.connected(port)) as client,
        ):
            append(redis, "socket.io", "before", 1)
            assert await next_event(client) == ["before", 1]
            redis.stop()
            await until(lambda: "try 1 failed" in caplog.text)  # now it waits 0.5 s
            redis.start()
            append(redis, "socket.io", "while away", 2)
            assert redis.command("CLIENT", "LIST").count(b"name=sio-core") == 0
            append(redis, "socket.io", "after", 3)
            got = [await next_event(client), await next_event(client)]
    assert got == [["while away", 2], ["after", 3]]


async def test_sessions_and_entries_of_a_persistent_redis_survive_its_restart(spawn_redis, wire):
    redis = spawn_redis(persistent=True)
    key = f"restart-{uuid.uuid4().hex[:8]}"
    io = recovering(redis.url, key, backoff=FAST)
    with anyio.fail_after(LIMIT):
        async with serving(io) as (port,):
            client = await wire.sio(port)
            pid = (await client.join()).data["pid"]
            io.emit("hello", 0)
            offset = (await next_event(client))[-1]
            await client.aclose()
            await until(lambda: redis.command("EXISTS", f"{key}:{pid}") == b":1")
            io.emit("missed", 1)
            await until(lambda: redis.command("XLEN", key) == b":2")
            redis.restart()
            adapter = io.adapter
            assert adapter is not None
            await adapter.synced()  # its new connections are up
            async with contextlib.aclosing(await wire.sio(port)) as back:
                await back.send("0" + json.dumps({"pid": pid, "offset": offset}))
                replayed = await packets_until_connect(back)
    assert [packet.data[:2] if packet.type == 2 else "connect" for packet in replayed] == [
        ["missed", 1],
        "connect",
    ]


async def test_sharded_pubsub_carries_the_requests_that_wait_for_answers(redis_url, wire):
    key = f"sharded-{uuid.uuid4().hex[:8]}"
    servers = [
        Server(
            adapter=RedisStreamsAdapter(
                redis_url,
                stream_name=key,
                channel_prefix=key,
                use_sharded_pubsub=True,
                backoff=FAST,
            )
        )
        for _ in range(2)
    ]
    servers[1].on("load?", lambda: 0.5)
    with anyio.fail_after(LIMIT):
        async with serving(*servers) as (_, far), contextlib.aclosing(await wire.connected(far)):
            (remote,) = await servers[0].fetch_sockets()
            answers = await servers[0].server_side_emit_with_ack("load?")
    assert remote.rooms == {remote.id}
    assert answers == [0.5]
