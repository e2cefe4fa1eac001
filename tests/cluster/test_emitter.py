"""Our ``RedisEmitter`` and Node's ``@socket.io/redis-emitter``, side by side, reaching the clients
of classic-adapter servers of both kinds.

Each test publishes through one emitter and checks what real socket.io-client sockets on the
two servers of a cluster received: two sio-core servers (asyncio and trio), or Node with
sio-core. The clusters are shared by the module (each test uses rooms of its own); the test's
own loop only drives the clients, so it is asyncio alone.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from cluster_procs import Cluster, Clusters, run_node_emitter
from sio_anyio import RedisEmitter
from sio_anyio._redis_bus import BusMessage, RedisBus

pytestmark = pytest.mark.anyio

LIMIT = 15
PAYLOAD = ["news", {"blob": b"\x00\x01\xff", "n": 1}, b"raw"]


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["classic-python", "classic-mixed"])
def cluster(request: pytest.FixtureRequest, clusters: Clusters) -> Cluster:
    return clusters.get(request.param)


@pytest.fixture
def nodes(cluster: Cluster) -> tuple[Any, Any]:
    return cluster.a, cluster.b


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
def emitters(request, redis_url, cluster) -> Emitters:
    return Emitters(request.param, redis_url, cluster.key)


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


async def test_neither_emitter_reaches_sharded_servers(clusters, redis_url, node_hub):
    cluster = clusters.get("sharded-python")
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(cluster.a.url, cluster.b.url) as (alice, bob):
            assert await bob.emit("join", room) == [True]
            for which in ("python", "node"):
                action = {"op": "emit", "in": [room], "event": "from-worker", "args": [1]}
                await Emitters(which, redis_url, cluster.key).run(action)
            # Published after the emitters' messages, a broadcast reaches b by Redis too: had
            # either reached b, it would have come first.
            marker = {"in": [room], "event": "marker", "args": []}
            assert await alice.emit("broadcast", marker) == [True]
            await bob.wait_events("marker", 1)
    assert bob.events("from-worker") == []


@pytest.mark.parametrize(
    "action",
    [
        {"op": "emit", "event": "news", "args": PAYLOAD},
        {"op": "emit", "in": ["r1"], "except": ["x"], "event": "news", "args": [b"\x00"]},
        {"op": "emit", "nsp": "/admin", "in": ["r1", "r2"], "event": "e", "args": [None, 1.5]},
        {"op": "socketsJoin", "in": ["r1"], "rooms": ["a", "b"]},
        {"op": "socketsLeave", "except": ["r1"], "rooms": ["a"]},
        {"op": "disconnectSockets", "in": ["r1"], "close": True},
        {"op": "serverSideEmit", "event": "note", "args": [1, {"k": "v"}]},
    ],
    ids=lambda action: action["op"],
)
async def test_our_emitter_publishes_the_bytes_node_emitter_publishes(redis_url, action):
    key = unique("bytes")
    heard = []
    changed = anyio.Event()

    def hear(message: BusMessage) -> None:
        heard.append((message.channel, message.data))
        changed.set()

    listener = RedisBus(redis_url, hear)
    listener.psubscribe(f"{key}*")
    with anyio.fail_after(LIMIT):
        async with anyio.create_task_group() as tasks:
            await tasks.start(listener.run)
            await listener.synced()
            for which in ("node", "python"):
                await Emitters(which, redis_url, key).run(action)
            while len(heard) < 2:
                changed = anyio.Event()
                await changed.wait()
            tasks.cancel_scope.cancel()
    node, ours = heard
    assert ours == node
