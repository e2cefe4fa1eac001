"""Two servers on one Redis act as one: sio-core with sio-core, and sio-core with Node.

Each topology (``cluster_procs.TOPOLOGIES``) is two servers, ``a`` and ``b``, on the classic, the
sharded or the Streams adapter: sio-core on asyncio with sio-core on trio, and Node with
sio-core. Real
socket.io-client sockets connect to either server, and every case runs in both directions,
sender on ``a`` or on ``b``. Both kinds of server keep one contract (``node_server.mjs``'s
header), so each test is blind to which kind it drives.

The servers run in processes of their own, each on its own event loop; the test's loop only
drives the client hub, so these tests run on asyncio alone. Clusters are shared by the module;
each test uses rooms of its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from cluster_procs import TOPOLOGIES, Cluster, Clusters

LIMIT = 15
"""Seconds any test may take."""
PAYLOAD = ["news", {"blob": b"\x00\x01\xff", "n": 1, "nested": [b"\x02"]}, b"raw"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


pytestmark = pytest.mark.anyio


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=list(TOPOLOGIES))
def cluster(request: pytest.FixtureRequest, clusters: Clusters) -> Cluster:
    return clusters.get(request.param)


@pytest.fixture(params=["a->b", "b->a"])
def direction(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def everyone_heard_a_marker(sender: Any, *clients: Any) -> None:
    """Broadcast a marker to all and wait until every client has it: whatever was broadcast
    before it from the same server has arrived by then (Redis keeps one publisher's order), and
    a ``sockets_join`` sent before it is applied where they are (with the Streams adapter the
    join and the marker are in the stream, while a ``fetch_sockets`` goes over pub/sub and
    could overtake the join)."""
    marker = unique("marker")
    assert await sender.emit("broadcast", {"event": marker, "args": []}) == [True]
    for client in clients:
        await client.wait_events(marker, 1)


# -- broadcasts ----------------------------------------------------------------------------------


async def test_broadcast_to_a_room_reaches_its_members_on_both_servers_once(
    cluster, direction, node_hub
):
    sender, receiver = cluster.pair(direction)
    room = unique("room")
    urls = (sender.url, sender.url, receiver.url, receiver.url)
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(*urls) as (near, near_out, far, far_out):
            for member in (near, far):
                assert await member.emit("join", room) == [True]
            request = {"in": [room], "event": "news", "args": PAYLOAD}
            assert await near_out.emit("broadcast", request) == [True]
            await everyone_heard_a_marker(near_out, near, near_out, far, far_out)
    assert near.events("news") == [PAYLOAD]
    assert far.events("news") == [PAYLOAD]
    assert near_out.events("news") == far_out.events("news") == []


async def test_broadcast_to_rooms_except_a_room_reaches_exactly_the_selection(
    cluster, direction, node_hub
):
    sender, receiver = cluster.pair(direction)
    red, blue, muted = unique("red"), unique("blue"), unique("muted")
    joins = [[red], [blue], [red, muted], []]
    urls = (sender.url, receiver.url, receiver.url, receiver.url)
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(*urls) as clients:
            for client, rooms in zip(clients, joins, strict=True):
                if rooms:
                    assert await client.emit("join", rooms) == [True]
            request = {"in": [red, blue], "except": [muted], "event": "news", "args": [1]}
            assert await clients[0].emit("broadcast", request) == [True]
            await everyone_heard_a_marker(clients[0], *clients)
    assert [client.events("news") for client in clients] == [[[1]], [[1]], [], []]


async def test_local_broadcast_stays_on_its_server(cluster, direction, node_hub):
    sender, receiver = cluster.pair(direction)
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url, receiver.url) as (near, far):
            request = {"event": "local-news", "args": [1], "local": True}
            assert await near.emit("broadcast", request) == [True]
            assert await near.wait_events("local-news", 1) == [[1]]
            await everyone_heard_a_marker(near, near, far)
    assert far.events("local-news") == []


# -- fetch_sockets: the seed page's example ------------------------------------------------------


async def test_fetch_sockets_reads_the_data_set_on_the_other_server(cluster, direction, node_hub):
    sender, receiver = cluster.pair(direction)
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url, receiver.url) as (asker, far):
            assert await far.emit("set-data", {"user": "far", "n": [1, 2]}) == [True]
            assert await far.emit("join", room) == [True]
            (sockets,) = await asker.emit("fetch-sockets", {"in": [room]})
    expected = {
        "id": far.id,
        "rooms": sorted([far.id, room]),
        "data": {"user": "far", "n": [1, 2]},
    }
    assert [{**found, "rooms": sorted(found["rooms"])} for found in sockets] == [expected]


async def test_fetch_sockets_lists_every_socket_of_both_servers(cluster, direction, node_hub):
    sender, receiver = cluster.pair(direction)
    room, other = unique("room"), unique("other")
    urls = (sender.url, sender.url, receiver.url, receiver.url)
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(*urls) as clients:
            for client, joined in zip(clients, (room, other, room, other), strict=True):
                assert await client.emit("join", joined) == [True]
            (in_room,) = await clients[1].emit("fetch-sockets", {"in": [room]})
            (not_other,) = await clients[1].emit("fetch-sockets", {"in": [room, other]})
    assert sorted(found["id"] for found in in_room) == sorted([clients[0].id, clients[2].id])
    assert sorted(found["id"] for found in not_other) == sorted(client.id for client in clients)


async def test_remote_sockets_emit_join_and_disconnect_through_the_adapter(
    cluster, direction, node_hub
):
    sender, receiver = cluster.pair(direction)
    room, vip = unique("room"), unique("vip")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url, receiver.url) as (asker, far):
            assert await far.emit("join", room) == [True]
            request = {"in": [room], "op": "emit", "event": "direct", "args": PAYLOAD}
            assert await asker.emit("remote", request) == [[far.id]]
            assert await far.wait_events("direct", 1) == [PAYLOAD]
            request = {"in": [room], "op": "join", "rooms": [vip]}
            assert await asker.emit("remote", request) == [[far.id]]
            await everyone_heard_a_marker(asker, far)  # the join is applied over there
            (sockets,) = await asker.emit("fetch-sockets", {"in": [vip]})
            assert [found["id"] for found in sockets] == [far.id]
            assert await asker.emit("remote", {"in": [vip], "op": "disconnect"}) == [[far.id]]
            assert await far.disconnected() == "io server disconnect"


# -- the server utilities ------------------------------------------------------------------------


async def test_sockets_join_and_leave_reach_the_other_server(cluster, direction, node_hub):
    sender, receiver = cluster.pair(direction)
    room, vip = unique("room"), unique("vip")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url, receiver.url) as (near, far):
            assert await far.emit("join", room) == [True]
            assert await near.emit("sockets-join", {"in": [room], "rooms": [vip]}) == [True]
            await everyone_heard_a_marker(near, far)  # the join is applied over there
            (joined,) = await near.emit("fetch-sockets", {"in": [vip]})
            assert await near.emit("sockets-leave", {"in": [room], "rooms": [vip]}) == [True]
            await everyone_heard_a_marker(near, far)
            (left,) = await near.emit("fetch-sockets", {"in": [vip]})
    assert [found["id"] for found in joined] == [far.id]
    assert left == []


async def test_disconnect_sockets_reaches_the_other_server(cluster, direction, node_hub):
    sender, receiver = cluster.pair(direction)
    room = unique("room")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url, receiver.url, receiver.url) as clients:
            near, far, bystander = clients
            assert await far.emit("join", room) == [True]
            assert await near.emit("disconnect-sockets", {"in": [room]}) == [True]
            assert await far.disconnected() == "io server disconnect"
            (sockets,) = await near.emit("fetch-sockets")
    assert sorted(found["id"] for found in sockets) == sorted([near.id, bystander.id])


# -- requests that wait for answers --------------------------------------------------------------


async def test_server_side_emit_with_ack_gets_the_other_servers_answer(
    cluster, direction, node_hub
):
    sender, receiver = cluster.pair(direction)
    args = [unique("ping"), {"n": 1}]
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url) as (near,):
            request = {"event": "ping-server", "args": args, "ack": True}
            (answer,) = await near.emit("server-side-emit", request)
    assert answer == {"error": None, "responses": [{"from": receiver.name, "args": args}]}


async def test_server_side_emit_reaches_only_the_other_server(cluster, direction, node_hub):
    sender, receiver = cluster.pair(direction)
    tag = unique("note")
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(sender.url, receiver.url) as (near, far):
            assert await near.emit("server-side-emit", {"event": "note", "args": [tag]}) == [True]
            # A request with an answer, sent after, has been answered once the note arrived.
            request = {"event": "ping-server", "args": [], "ack": True}
            await near.emit("server-side-emit", request)
            (near_seen,) = await near.emit("server-side-seen")
            (far_seen,) = await far.emit("server-side-seen")
    assert [seen["args"] for seen in far_seen if seen["event"] == "note"][-1] == [tag]
    assert all(seen["args"] != [tag] for seen in near_seen)


async def test_broadcast_with_ack_collects_every_client_of_both_servers(
    cluster, direction, node_hub
):
    sender, receiver = cluster.pair(direction)
    room = unique("room")
    urls = (sender.url, sender.url, receiver.url)
    answers = {"vote": {"yes": b"\x01"}}
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(*urls, answers=answers) as (near, outsider, far):
            for member in (near, far):
                assert await member.emit("join", room) == [True]
            request = {"in": [room], "event": "vote", "args": [1], "timeout": 3000}
            (answer,) = await outsider.emit("broadcast-with-ack", request)
    assert answer == {"error": None, "responses": [{"yes": b"\x01"}, {"yes": b"\x01"}]}
    assert outsider.events("vote") == []
