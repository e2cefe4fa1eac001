"""Requests that wait for the other nodes: fetch_sockets, server_side_emit, broadcasts with acks.

The caller says how many other nodes answer (``peers``), as a backend reads it from Redis
right before the call; ``bus.peers`` is that reading.
"""

from __future__ import annotations

import pytest
from cluster_nodes import ack_all, received, to

from sio_core import BroadcastOptions, SocketServer
from sio_core.errors import LocalProtocolError
from sio_core.events import (
    BroadcastAcksCollected,
    ClusterFetchCompleted,
    ClusterPublish,
    ServerSideEmitAcksCollected,
    ServerSideEmitReceived,
)
from sio_core.ids import CountingIds
from sio_core.testing import Harness, SocketIOClient

# -- fetch_sockets ----------------------------------------------------------------------------


def test_fetch_sockets_merges_local_and_remote_sockets_with_data_rooms_and_handshake(a, b, bus):
    (_, ann_id), (_, ben_id) = a.client(), b.client()
    b.ops.join(ben_id, "red")
    b.server.socket(ben_id).data = {"user": "ben", "tags": ["x", 1.5, None]}
    request_id = a.ops.request_fetch_sockets("/", peers=a.peers())
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert (done.request_id, done.timed_out) == (request_id, False)
    assert [s.id for s in done.sockets] == [ann_id, ben_id]
    remote = done.sockets[1]
    assert (remote.nsp, remote.rooms) == ("/", {ben_id, "red"})
    assert remote.data == {"user": "ben", "tags": ["x", 1.5, None]}
    assert remote.handshake == b.server.socket(ben_id).handshake


def test_bytes_in_socket_data_come_back_as_node_sends_them(a, b, bus, format_name):
    """The sharded format switches to msgpack for bytes; the classic one writes its answers in
    JSON, where Node's ``Buffer`` is ``{"type": "Buffer", "data": [...]}``."""
    _, ben_id = b.client()
    b.server.socket(ben_id).data = {"avatar": b"\x89P"}
    a.ops.request_fetch_sockets("/", peers=1)
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    sent_as = {"type": "Buffer", "data": [0x89, 0x50]} if format_name == "classic" else b"\x89P"
    assert done.sockets[0].data == {"avatar": sent_as}


def test_fetch_sockets_selects_on_every_node(a, b, bus):
    (_, ann_id), (_, ben_id), _ = a.client(), b.client(), b.client()
    a.ops.join(ann_id, "red")
    b.ops.join(ben_id, "red")
    a.ops.request_fetch_sockets("/", to("red"), peers=a.peers())
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert [s.id for s in done.sockets] == [ann_id, ben_id]


def test_fetch_sockets_waits_for_every_other_node(a, b, c, bus):
    a.client(), b.client(), c.client()
    assert a.peers() == 2
    a.ops.request_fetch_sockets("/", peers=2)
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert ([s.id[0] for s in done.sockets], done.timed_out) == (["a", "b", "c"], False)


def test_a_local_fetch_completes_at_once_without_travelling(a, b, bus):
    _, ann_id = a.client()
    b.client()
    a.ops.request_fetch_sockets("/", BroadcastOptions(local=True), peers=1)
    (done,) = a.events_of(ClusterFetchCompleted)
    assert ([s.id for s in done.sockets], done.timed_out) == ([ann_id], False)
    assert a.events_of(ClusterPublish) == []


def test_a_fetch_with_no_peer_completes_at_once_without_travelling(a):
    _, ann_id = a.client()
    a.ops.request_fetch_sockets("/", peers=0)
    (done,) = a.events_of(ClusterFetchCompleted)
    assert [s.id for s in done.sockets] == [ann_id]
    assert a.events_of(ClusterPublish) == []


def test_a_fetch_times_out_with_what_arrived_when_a_node_is_silent(a, b, c, bus):
    (_, ann_id), (_, ben_id) = a.client(), b.client()
    c.client()
    bus.mute(c.harness)
    a.ops.request_fetch_sockets("/", timeout=2.0, peers=a.peers())
    bus.flush()
    bus.advance(1.9)
    assert a.events_of(ClusterFetchCompleted) == []
    bus.advance(0.1)
    (done,) = a.events_of(ClusterFetchCompleted)
    assert done.timed_out
    assert [s.id for s in done.sockets] == [ann_id, ben_id]


def test_socket_data_no_format_carries_travels_as_none(a, b, bus):
    (_, ben_id), (_, cat_id) = b.client(), b.client()
    b.server.socket(ben_id).data = object()
    b.server.socket(cat_id).data = {"ok": True}
    a.ops.request_fetch_sockets("/", peers=a.peers())
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert [(s.id, s.data) for s in done.sockets] == [(ben_id, None), (cat_id, {"ok": True})]


def test_a_fetch_on_a_single_node_completes_at_once():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    socket_id = SocketIOClient(harness).connect()
    harness.core.operations.request_fetch_sockets("/")
    harness.pump()
    (done,) = harness.events_of(ClusterFetchCompleted)
    assert ([s.id for s in done.sockets], done.timed_out) == ([socket_id], False)
    assert harness.events_of(ClusterPublish) == []


# -- server_side_emit ---------------------------------------------------------------------------


def test_server_side_emit_reaches_the_other_nodes_applications_only(a, b, c, bus, format_name):
    a.ops.server_side_emit("/", "reload", ["config", b"\x01"])
    bus.flush()
    assert a.events_of(ServerSideEmitReceived) == []
    blob = {"type": "Buffer", "data": [1]} if format_name == "classic" else b"\x01"  # as Node
    for node in (b, c):
        assert node.events_of(ServerSideEmitReceived) == [
            ServerSideEmitReceived(nsp="/", event="reload", args=("config", blob), origin="a")
        ]


def test_server_side_emit_with_ack_collects_one_answer_per_node(a, b, c, bus):
    request_id = a.ops.server_side_emit("/", "load?", with_ack=True, peers=a.peers())
    bus.flush()
    for node, load in ((b, 0.5), (c, 0.25)):
        (asked,) = node.events_of(ServerSideEmitReceived)
        assert asked.ack_id is not None
        node.ops.server_side_ack(asked.ack_id, [load, "ignored"])
        bus.flush()
    assert a.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(
            request_id=request_id, responses=((0.5,), (0.25,)), timed_out=False
        )
    ]


def test_server_side_emit_with_ack_times_out_with_the_answers_that_came(a, b, c, bus):
    request_id = a.ops.server_side_emit("/", "load?", with_ack=True, timeout=3.0, peers=2)
    bus.flush()
    (asked,) = b.events_of(ServerSideEmitReceived)
    b.ops.server_side_ack(asked.ack_id, ["b"])
    bus.flush()
    bus.advance(3.0)
    assert a.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(request_id=request_id, responses=(("b",),), timed_out=True)
    ]


def test_a_server_side_ack_is_given_once(a, b, bus):
    a.ops.server_side_emit("/", "load?", with_ack=True, peers=1)
    bus.flush()
    (asked,) = b.events_of(ServerSideEmitReceived)
    b.ops.server_side_ack(asked.ack_id, [1])
    with pytest.raises(LocalProtocolError):
        b.ops.server_side_ack(asked.ack_id, [2])


def test_server_side_emit_with_ack_and_no_peer_ends_at_once_unpublished(a):
    request_id = a.ops.server_side_emit("/", "load?", with_ack=True, peers=0)
    assert a.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(request_id=request_id, responses=(), timed_out=False)
    ]
    assert a.events_of(ClusterPublish) == []


def test_server_side_emit_with_ack_on_a_single_node_ends_at_once_empty():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    request_id = harness.core.operations.server_side_emit("/", "load?", with_ack=True)
    harness.pump()
    assert harness.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(request_id=request_id, responses=(), timed_out=False)
    ]


def test_a_late_server_side_answer_is_ignored(a, b, bus):
    a.ops.server_side_emit("/", "load?", with_ack=True, timeout=1.0, peers=1)
    bus.flush()
    bus.advance(1.0)
    (asked,) = b.events_of(ServerSideEmitReceived)
    b.ops.server_side_ack(asked.ack_id, ["late"])
    bus.flush()
    (done,) = a.events_of(ServerSideEmitAcksCollected)
    assert (done.responses, done.timed_out) == ((), True)


def test_a_single_node_publishes_nothing():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    SocketIOClient(harness).connect()
    server = harness.core
    server.operations.broadcast("/", "hi", timeout=1.0)
    server.operations.sockets_join("/", BroadcastOptions(), "red")
    server.operations.server_side_emit("/", "hi")
    server.operations.disconnect_sockets("/")
    harness.pump()
    assert harness.events_of(ClusterPublish) == []


# -- broadcasts with acks -----------------------------------------------------------------------


def test_a_broadcast_with_acks_collects_the_answers_of_every_node(a, b, c, bus):
    (ann, _), (ben, _), (cat, _) = a.client(), b.client(), c.client()
    broadcast_id = a.ops.broadcast("/", "vote?", timeout=5.0, peers=a.peers())
    bus.flush()
    for client, vote in ((ann, "yes"), (ben, "no"), (cat, "yes")):
        ack_all(client, vote)
        bus.flush()
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.broadcast_id, done.timed_out) == (broadcast_id, False)
    assert sorted(done.responses) == [("no",), ("yes",), ("yes",)]


def test_a_broadcast_with_acks_waits_for_the_other_nodes_count(a, b, bus):
    ann, _ = a.client()
    a.ops.broadcast("/", "vote?", timeout=5.0, peers=1)
    ack_all(ann, "yes")
    assert a.events_of(BroadcastAcksCollected) == []
    bus.flush()  # b reached nobody: its count, 0, completes the broadcast
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("yes",),), False)


def test_a_broadcast_with_acks_times_out_with_partial_answers_when_a_node_is_silent(a, b, c, bus):
    (ann, _), (ben, _) = a.client(), b.client()
    c.client()
    bus.mute(c.harness)
    a.ops.broadcast("/", "vote?", timeout=2.0, peers=a.peers())
    bus.flush()
    ack_all(ann, "yes")
    ack_all(ben, "no")
    bus.flush()
    assert a.events_of(BroadcastAcksCollected) == []
    bus.advance(2.0)
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (sorted(done.responses), done.timed_out) == ([("no",), ("yes",)], True)


def test_a_broadcast_with_acks_times_out_when_a_remote_client_is_silent(a, b, bus):
    (ben, _), _ = b.client(), b.client()
    a.ops.broadcast("/", "vote?", timeout=2.0, peers=1)
    bus.flush()
    ack_all(ben, "no")
    bus.flush()
    bus.advance(2.0)
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("no",),), True)


def test_a_remote_node_stops_relaying_answers_after_the_timeout(a, b, bus):
    ben, _ = b.client()
    a.ops.broadcast("/", "vote?", timeout=2.0, peers=1)
    bus.flush()
    b.harness.advance(2.0)
    published = len(b.events_of(ClusterPublish))
    ack_all(ben, "late")
    assert len(b.events_of(ClusterPublish)) == published


def test_a_local_broadcast_with_acks_does_not_wait_for_other_nodes(a, b, bus):
    ann, _ = a.client()
    b.client()
    a.ops.broadcast("/", "vote?", [], BroadcastOptions(local=True), timeout=5.0, peers=1)
    ack_all(ann, "yes")
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("yes",),), False)
    assert a.events_of(ClusterPublish) == []


def test_a_broadcast_with_acks_asks_for_its_timeout_in_milliseconds(a):
    a.ops.broadcast("/", "vote?", [7], timeout=1.5, peers=1)
    (request,) = a.published()
    assert request.selection.flags.timeout_ms == 1500
    assert request.request_id is not None


def test_a_broadcast_with_acks_reaches_clients_with_an_ack_id_on_the_other_node(a, b, bus):
    ben, _ = b.client()
    a.ops.broadcast("/", "vote?", ["x"], timeout=5.0, peers=1)
    bus.flush()
    (packet,) = ben.received()
    assert (packet.data, packet.id is not None) == (["vote?", "x"], True)
    assert received(ben) == []
