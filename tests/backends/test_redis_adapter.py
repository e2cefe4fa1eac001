"""The Redis adapters inside one process, on asyncio and trio: servers that share a real Redis.

Each test serves two (or one) ``Server(adapter=...)`` in the test's own loop, with a key of its
own on the session's Redis, or on a Redis of its own when it stops, restarts or kills it. Raw
Socket.IO clients (the ``wire`` fixture) connect to either server. What Node servers make of
ours, and the same cases across processes, are in ``tests/cluster``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import anyio
import pytest
from served import serving
from sio_anyio import (
    AckTimeoutError,
    Backoff,
    RedisAdapter,
    RedisStreamsAdapter,
    Server,
    ShardedRedisAdapter,
    Socket,
)
from sio_anyio._redis_bus import RedisBus

from sio_core.cluster import Broadcast, ClassicCodec, Publication, ServerSideEmit, ShardedCodec

pytestmark = pytest.mark.anyio

LIMIT = 10
STILL_ALIVE = Broadcast(uid="another", nsp="/", event="still-alive")
"""Published after hostile payloads: that it is heard shows they were dropped, not fatal."""
T = TypeVar("T")
FAST = Backoff(initial=0.02, maximum=0.2)


@pytest.fixture(params=["classic", "sharded", "streams"])
def adapter_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_adapter(
    kind: str, url: str, key: str
) -> RedisAdapter | ShardedRedisAdapter | RedisStreamsAdapter:
    if kind == "sharded":
        return ShardedRedisAdapter(url, channel_prefix=key, backoff=FAST)
    if kind == "streams":
        return RedisStreamsAdapter(url, stream_name=key, channel_prefix=key, backoff=FAST)
    return RedisAdapter(url, key=key, requests_timeout=2.0, backoff=FAST)


def new_key() -> str:
    return f"adapter-{uuid.uuid4().hex[:8]}"


def joining(io: Server) -> None:
    """Sockets join the rooms named in their ``auth`` (``{"rooms": [...]}``) on connection."""

    @io.on("connection")
    async def on_connection(socket: Socket) -> None:
        auth = socket.handshake.auth or {}
        socket.join(auth.get("rooms", []))
        socket.data = auth.get("data")
        assert io.adapter is not None
        with anyio.fail_after(LIMIT):
            await io.adapter.synced()  # the sharded adapter's room channels


@contextlib.asynccontextmanager
async def clients(wire: Any, *joins: tuple[int, dict[str, Any]]) -> AsyncIterator[list[Any]]:
    """One connected client per ``(port, auth)``; closed on exit."""
    connected = []
    try:
        for port, auth in joins:
            connected.append(await wire.connected(port, auth=auth))
        yield connected
    finally:
        with anyio.CancelScope(shield=True):
            for client in connected:
                await client.aclose()


async def next_event(client: Any) -> list[Any]:
    """The next EVENT's data (``[name, *args]``)."""
    while True:
        packet = await client.receive()
        if packet.type == 2:
            return list(packet.data)


async def settled(fetch: Callable[[], Awaitable[list[T]]]) -> list[T]:
    """``fetch()`` again until it finds something. With the classic and sharded adapters the
    first answer sees a join sent before it (one channel, in order); with the Streams one, a
    join travels in the stream and the fetch over pub/sub, which may overtake it."""
    while not (found := await fetch()):
        pass
    return found


def warnings_of(caplog: pytest.LogCaptureFixture, logger: str = "sio_anyio.redis") -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == logger and record.levelno >= logging.WARNING
    ]


# -- two servers, one Redis ----------------------------------------------------------------------


async def test_broadcast_from_one_server_reaches_a_room_on_the_other(
    redis_url, adapter_kind, wire
):
    key = new_key()
    first = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    second = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    joining(second)
    with anyio.fail_after(LIMIT):
        async with serving(first, second) as (_, port):
            joins = (port, {"rooms": ["red"]}), (port, {})
            async with clients(wire, *joins) as (red, other):
                first.to("red").emit("news", {"n": 1})
                first.emit("all", 2)
                assert await next_event(red) == ["news", {"n": 1}]
                assert await next_event(red) == ["all", 2]
                assert await next_event(other) == ["all", 2]


async def test_fetch_sockets_returns_remote_sockets_with_data_rooms_and_handshake(
    redis_url, adapter_kind, wire
):
    key = new_key()
    first = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    second = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    joining(first)
    joining(second)
    auth = {"rooms": ["red"], "data": {"user": "bob"}}
    with anyio.fail_after(LIMIT):
        async with serving(first, second) as (near, far), clients(wire, (far, auth), (near, {})):
            everyone = await first.fetch_sockets()
            (remote,) = await first.in_("red").fetch_sockets()
            local = await first.local.fetch_sockets()
    assert len(everyone) == 2
    assert everyone[0].id == local[0].id  # this server's sockets come first
    assert remote.data == {"user": "bob"}
    assert remote.rooms == {remote.id, "red"}
    assert remote.handshake.auth == auth
    assert remote.handshake.query["EIO"] == "4"
    assert remote.id not in {found.id for found in local}


async def test_remote_socket_methods_act_on_the_other_server(redis_url, adapter_kind, wire):
    key = new_key()
    first = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    second = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    joining(second)
    with anyio.fail_after(LIMIT):
        async with serving(first, second) as (_, port), clients(wire, (port, {})) as (client,):
            (remote,) = await first.fetch_sockets()
            remote.emit("direct", {"n": 1})
            assert await next_event(client) == ["direct", {"n": 1}]
            remote.join("vip")
            (joined,) = await settled(lambda: first.in_("vip").fetch_sockets())
            remote.disconnect()
            assert (await client.receive()).type == 1  # DISCONNECT
    assert joined.id == remote.id


async def test_server_side_handlers_answer_by_return_value_or_ack(redis_url, adapter_kind):
    key = new_key()
    asking = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    by_return = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    by_ack = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    notes: list[Any] = []
    by_return.on("load?", lambda unit: {"load": 0.5, "unit": unit})
    by_return.on("note", notes.append)

    @by_ack.on("load?")
    def answer(unit: str, ack: Callable[..., None]) -> None:
        ack({"load": 0.25, "unit": unit}, "only the first argument travels")

    with anyio.fail_after(LIMIT):
        async with serving(asking, by_return, by_ack):
            asking.server_side_emit("note", "hello")
            answers = await asking.server_side_emit_with_ack("load?", "%")
    assert sorted(answers, key=lambda answer: answer["load"]) == [
        {"load": 0.25, "unit": "%"},
        {"load": 0.5, "unit": "%"},
    ]
    assert notes == ["hello"]  # sent before the request: handled before its answer


async def test_server_side_emit_with_ack_times_out_with_the_answers_that_came(redis_url):
    key = new_key()
    asking = Server(adapter=RedisAdapter(redis_url, key=key, requests_timeout=0.3))
    answering = Server(adapter=RedisAdapter(redis_url, key=key))
    silent = Server(adapter=RedisAdapter(redis_url, key=key))
    answering.on("load?", lambda: 1)
    silent.on("load?", lambda ack: None)  # takes the ack, never calls it
    with anyio.fail_after(LIMIT):
        async with serving(asking, answering, silent):
            with pytest.raises(AckTimeoutError) as timed_out:
                await asking.server_side_emit_with_ack("load?")
    assert timed_out.value.responses == [1]


async def test_a_server_alone_gets_no_answers_at_once(redis_url, adapter_kind):
    alone = Server(adapter=make_adapter(adapter_kind, redis_url, new_key()))
    in_memory = Server()
    with anyio.fail_after(LIMIT):
        async with serving(alone, in_memory):
            assert await alone.server_side_emit_with_ack("anyone?") == []
            assert await in_memory.server_side_emit_with_ack("anyone?") == []


async def test_broadcast_with_acks_collects_the_clients_of_both_servers(
    redis_url, adapter_kind, wire
):
    key = new_key()
    first = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    second = Server(adapter=make_adapter(adapter_kind, redis_url, key))
    with anyio.fail_after(LIMIT):
        async with (
            serving(first, second) as ports,
            clients(wire, (ports[0], {}), (ports[1], {})) as pair,
            anyio.create_task_group() as tasks,
        ):
            for client, vote in zip(pair, ("yes", "no"), strict=True):
                tasks.start_soon(answer_one_vote, client, vote)
            votes = await first.timeout(5).emit_with_ack("vote?")
    assert sorted(votes) == ["no", "yes"]


async def answer_one_vote(client: Any, vote: str) -> None:
    packet = await client.receive()
    assert packet.data == ["vote?"]
    await client.send(f"3{packet.id}{json.dumps([vote])}")


# -- what never reaches the application ---------------------------------------------------------


async def _publish_then_hear_the_next(
    redis_url: str,
    wire,
    io: Server,
    hostile: list[tuple[str, bytes]],
    alive: Publication,
    *,
    sharded: bool,
) -> None:
    """Publish every hostile payload, then ``alive`` on the same connection: a client of
    ``io`` in room "room" must still get ``alive``'s event (heard after the others)."""
    joining(io)
    publisher = RedisBus(redis_url)
    with anyio.fail_after(LIMIT):
        async with (
            serving(io) as (port,),
            clients(wire, (port, {"rooms": ["room"]})) as (client,),
            anyio.create_task_group() as tasks,
        ):
            await tasks.start(publisher.run)
            await publisher.wait_connected()
            publish = publisher.spublish if sharded else publisher.publish
            for channel, payload in hostile:
                assert await publish(channel, payload) == 1
            await publish(alive.channel, alive.payload)
            assert await next_event(client) == ["still-alive"]
            tasks.cancel_scope.cancel()


async def test_malformed_messages_are_dropped_counted_and_logged_once(
    redis_url, caplog: pytest.LogCaptureFixture, wire
):
    key = new_key()
    adapter = RedisAdapter(redis_url, key=key)
    hostile = [
        (f"{key}#/#", b"\xc1 not msgpack"),
        (f"{key}#/#room#", b"\x93\xa3uid"),
        (f"{key}-request#/#", b'{"type": 99, "uid": "x"}'),
        (f"{key}-request#/#", b"{" * 100_000),
        (f"{key}-response#/#", b'{"requestId": 1}'),
    ]
    alive = ClassicCodec("/", key=key).encode(STILL_ALIVE)
    await _publish_then_hear_the_next(
        redis_url, wire, Server(adapter=adapter), hostile, alive, sharded=False
    )
    assert adapter.rejected == len(hostile)
    assert len([line for line in warnings_of(caplog) if "malformed" in line]) == 1


async def test_malformed_sharded_messages_are_dropped_and_counted(redis_url, wire):
    key = new_key()
    adapter = ShardedRedisAdapter(redis_url, channel_prefix=key)
    hostile = [
        (f"{key}#/#", b"\xc1 not msgpack"),
        (f"{key}#/#", b'{"uid": "x", "nsp": "/", "type": 42}'),
        (f"{key}#/#", b'{"uid": "x", "nsp": "/", "type": 3, "data": {"packet": 7}}'),
        (f"{key}#/#{adapter.node_id}#", b"[" * 100_000),
        (f"{key}#/#room#", b"\x81\xa3uid\xc0"),
    ]
    alive = ShardedCodec("/", channel_prefix=key).encode(STILL_ALIVE)
    await _publish_then_hear_the_next(
        redis_url, wire, Server(adapter=adapter), hostile, alive, sharded=True
    )
    assert adapter.rejected == len(hostile)


async def test_namespace_events_from_other_servers_never_run_their_handlers(
    redis_url, caplog: pytest.LogCaptureFixture
):
    key = new_key()
    io = Server(adapter=RedisAdapter(redis_url, key=key))
    connections: list[Any] = []
    seen: list[Any] = []
    io.on("connection", connections.append)
    io.on("after", seen.append)
    codec = ClassicCodec("/", key=key)
    publisher = RedisBus(redis_url)
    with anyio.fail_after(LIMIT):
        async with serving(io), anyio.create_task_group() as tasks:
            await tasks.start(publisher.run)
            await publisher.wait_connected()
            for event in ("connection", "connect", "new_namespace", "after"):
                message = ServerSideEmit(uid="hostile", nsp="/", event=event, args=("x",))
                publication = codec.encode(message)
                await publisher.publish(publication.channel, publication.payload)
            while not seen:
                await anyio.sleep(0.01)  # handled in a task of the server's: polled, bounded
            tasks.cancel_scope.cancel()
    assert connections == []
    assert seen == ["x"]
    dropped = [line for line in warnings_of(caplog, "sio_anyio") if "server-side emit" in line]
    assert len(dropped) == 3
