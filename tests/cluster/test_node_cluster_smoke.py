"""The cluster test rig itself: Node servers on one Redis really form a cluster.

Two ``node_server.mjs`` on the classic adapter, then on the sharded one, one socket.io-client
on each, and Node's emitter. If this fails, the mixed-cluster tests cannot be trusted either
way; no Python node is involved here. The servers of each adapter are shared by the module's
tests (each test uses rooms of its own), as starting Node servers costs seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from cluster_procs import NodeServer, run_node_emitter, start_node_servers

pytestmark = pytest.mark.anyio

LIMIT = 15
PAYLOAD = ["news", {"blob": b"\x00\x01\xff", "n": 1}, b"raw"]


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def pair(adapter: str, redis_url: str, directory: Path) -> Iterator[list[NodeServer]]:
    """Two Node servers, ``a`` and ``b``, on ``adapter`` and a key of their own."""
    servers = start_node_servers(adapter, redis_url, directory, ("a", "b"), key=unique("smoke"))
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def classic_pair(redis_url, tmp_path_factory) -> Iterator[list[NodeServer]]:
    yield from pair("classic", redis_url, tmp_path_factory.mktemp("classic"))


@pytest.fixture(scope="module")
def sharded_pair(redis_url, tmp_path_factory) -> Iterator[list[NodeServer]]:
    yield from pair("sharded", redis_url, tmp_path_factory.mktemp("sharded"))


@pytest.fixture(params=["classic", "sharded"])
def node_pair(request: pytest.FixtureRequest) -> list[NodeServer]:
    return request.getfixturevalue(f"{request.param}_pair")


async def test_broadcast_from_one_node_reaches_client_of_the_other(node_pair, node_hub):
    a, b = node_pair
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url) as (alice, bob):
            assert await bob.emit("join", room) == [True]
            request = {"in": [room], "event": "news", "args": PAYLOAD}
            assert await alice.emit("broadcast", request) == [True]
            assert await bob.wait_events("news", 1) == [PAYLOAD]
    assert alice.events("news") == []


async def test_fetch_sockets_sees_the_data_set_on_the_other_node(node_pair, node_hub):
    a, b = node_pair
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url) as (alice, bob):
            assert await bob.emit("set-data", {"user": "bob"}) == [True]
            assert await bob.emit("join", room) == [True]
            (sockets,) = await alice.emit("fetch-sockets", {"in": [room]})
    assert sockets == [{"id": bob.id, "rooms": sorted([bob.id, room]), "data": {"user": "bob"}}]


async def test_node_emitter_reaches_the_room_on_classic_nodes(classic_pair, node_hub, redis_url):
    a, b = classic_pair
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url, a.url) as (alice, bob, outsider):
            for member in (alice, bob):
                assert await member.emit("join", room) == [True]
            action = {"op": "emit", "in": [room], "event": "from-worker", "args": PAYLOAD}
            run_node_emitter(redis_url, action, key=a.key)
            assert await alice.wait_events("from-worker", 1) == [PAYLOAD]
            assert await bob.wait_events("from-worker", 1) == [PAYLOAD]
    assert outsider.all_events() == []


async def test_node_emitter_does_not_reach_sharded_nodes(sharded_pair, node_hub, redis_url):
    a, b = sharded_pair
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url) as (alice, bob):
            assert await bob.emit("join", room) == [True]
            action = {"op": "emit", "in": [room], "event": "from-worker", "args": PAYLOAD}
            run_node_emitter(redis_url, action, key=a.key)
            # Published after the emitter's message, a broadcast reaches b by Redis too: had
            # the emitter's message reached b, it would have come first.
            marker = {"in": [room], "event": "marker", "args": []}
            assert await alice.emit("broadcast", marker) == [True]
            await bob.wait_events("marker", 1)
    assert bob.events("from-worker") == []
