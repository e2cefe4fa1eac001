"""Our ``RedisEmitter`` and Node's ``@socket.io/redis-emitter``, side by side, reaching the clients
of classic-adapter nodes.

Each test publishes through one emitter and checks what real socket.io-client sockets on the
nodes received. The nodes are shared by the module (each test uses rooms of its own).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from cluster_procs import NodeServer, run_node_emitter, start_node_servers
from sio_anyio import RedisEmitter, RedisUnavailable

from sio_core.errors import LocalProtocolError

pytestmark = pytest.mark.anyio

LIMIT = 15
PAYLOAD = ["news", {"blob": b"\x00\x01\xff", "n": 1}, b"raw"]


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def key() -> str:
    return unique("emitter")


@pytest.fixture(scope="module")
def nodes(redis_url, key, tmp_path_factory) -> Iterator[list[NodeServer]]:
    directory = tmp_path_factory.mktemp("emitter-nodes")
    servers = start_node_servers("classic", redis_url, directory, ("a", "b"), key=key)
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


class Emitters:
    """The same action, through our emitter or through Node's."""

    def __init__(self, which: str, redis_url: str, key: str) -> None:
        self.which = which
        self.redis_url = redis_url
        self.key = key

    async def run(self, action: dict[str, Any]) -> None:
        if self.which == "node":
            run_node_emitter(self.redis_url, action, key=self.key)
            return
        async with RedisEmitter(self.redis_url, key=self.key) as emitter:
            target = emitter.of(action.get("nsp", "/"))
            if action.get("in"):
                target = target.to(action["in"])
            if action.get("except"):
                target = target.except_(action["except"])
            op = action["op"]
            if op == "emit":
                await target.emit(action["event"], *action["args"])
            elif op == "socketsJoin":
                await target.sockets_join(action["rooms"])
            elif op == "socketsLeave":
                await target.sockets_leave(action["rooms"])
            elif op == "disconnectSockets":
                await target.disconnect_sockets(action.get("close", False))
            else:
                await target.server_side_emit(action["event"], *action["args"])


@pytest.fixture(params=["python", "node"])
def emitters(request, redis_url, key) -> Emitters:
    return Emitters(request.param, redis_url, key)


async def test_emit_to_a_room_reaches_its_members_on_every_node_with_binary(
    nodes, node_hub, emitters
):
    a, b = nodes
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url, a.url) as (alice, bob, outsider):
            for member in (alice, bob):
                assert await member.emit("join", room) == [True]
            await emitters.run({"op": "emit", "in": [room], "event": "news", "args": PAYLOAD})
            assert await alice.wait_events("news", 1) == [PAYLOAD]
            assert await bob.wait_events("news", 1) == [PAYLOAD]
            # A later broadcast to everyone proves the outsider would have had the first by now.
            await emitters.run({"op": "emit", "event": "marker", "args": []})
            await outsider.wait_events("marker", 1)
    assert outsider.events("news") == []


async def test_emit_except_a_room_skips_its_members(nodes, node_hub, emitters):
    a, b = nodes
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url) as (alice, bob):
            assert await alice.emit("join", room) == [True]
            await emitters.run({"op": "emit", "except": [room], "event": "hi", "args": [1]})
            assert await bob.wait_events("hi", 1) == [[1]]
            await emitters.run({"op": "emit", "event": "marker", "args": []})
            await alice.wait_events("marker", 1)
    assert alice.events("hi") == []


async def test_sockets_join_and_leave_change_rooms_on_every_node(nodes, node_hub, emitters):
    a, b = nodes
    room, vip = unique("room"), unique("vip")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url, b.url) as (alice, bob, outsider):
            for member in (alice, bob):
                assert await member.emit("join", room) == [True]
            await emitters.run({"op": "socketsJoin", "in": [room], "rooms": [vip]})
            (sockets,) = await outsider.emit("fetch-sockets", {"in": [vip]})
            assert sorted(s["id"] for s in sockets) == sorted([alice.id, bob.id])
            await emitters.run({"op": "socketsLeave", "in": [room], "rooms": [vip]})
            (sockets,) = await outsider.emit("fetch-sockets", {"in": [vip]})
    assert sockets == []


async def test_disconnect_sockets_disconnects_the_selection_only(nodes, node_hub, emitters):
    a, b = nodes
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url, a.url) as (alice, bob, outsider):
            for member in (alice, bob):
                assert await member.emit("join", room) == [True]
            await emitters.run({"op": "disconnectSockets", "in": [room]})
            assert await alice.disconnected() == "io server disconnect"
            assert await bob.disconnected() == "io server disconnect"
            assert await outsider.emit("info") != []


async def test_server_side_emit_reaches_every_server(nodes, node_hub, emitters):
    a, b = nodes
    tag = unique("tag")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url) as (alice, bob):
            await emitters.run({"op": "serverSideEmit", "event": "note", "args": [tag, 2]})
            for client in (alice, bob):
                while not any(seen["args"] == [tag, 2] for seen in await _seen(client)):
                    await anyio.sleep(0.02)  # the other process's state: polled, bounded above


async def _seen(client) -> list[dict[str, Any]]:
    (seen,) = await client.emit("server-side-seen")
    return list(seen)


async def test_reserved_event_names_are_refused_before_publishing(redis_url, key):
    async with RedisEmitter(redis_url, key=key) as emitter:
        with pytest.raises(LocalProtocolError, match="reserved"):
            await emitter.emit("disconnect")
        with pytest.raises(LocalProtocolError, match="reserved"):
            await emitter.server_side_emit("connection")


async def test_unreachable_redis_raises_on_publish(spawn_redis):
    redis = spawn_redis(start=False)
    with anyio.fail_after(LIMIT):
        async with RedisEmitter(redis.url, connect_timeout=0.2) as emitter:
            with pytest.raises(RedisUnavailable):
                await emitter.emit("news")
