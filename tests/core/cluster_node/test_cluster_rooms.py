"""Room operations across nodes, and the channels a node listens to as its rooms change."""

from __future__ import annotations

import re

import pytest
from cluster_nodes import Node, to

from sio_core import BroadcastOptions, SocketServer
from sio_core.cluster import ShardedRedisFormat
from sio_core.errors import DisconnectReason
from sio_core.events import ClusterSubscribe, ClusterUnsubscribe, SocketDisconnected
from sio_core.ids import CountingIds
from sio_core.testing import ClusterBus

# -- sockets_join, sockets_leave ------------------------------------------------------------


def test_sockets_join_on_one_node_moves_sockets_on_the_other(a, b, bus):
    (_, ann_id), (_, ben_id) = a.client(), b.client()
    a.ops.sockets_join("/", BroadcastOptions(), "lobby")
    bus.flush()
    assert a.rooms(ann_id) == {ann_id, "lobby"}
    assert b.rooms(ben_id) == {ben_id, "lobby"}


def test_sockets_join_selects_on_the_other_node_too(a, b, bus):
    (_, ben_id), (_, cat_id) = b.client(), b.client()
    a.ops.sockets_join("/", to(cat_id), ["vip", "gold"])
    bus.flush()
    assert b.rooms(ben_id) == {ben_id}
    assert b.rooms(cat_id) == {cat_id, "vip", "gold"}


def test_sockets_join_excepts_on_the_other_node_too(a, b, bus):
    (_, ben_id), (_, cat_id) = b.client(), b.client()
    b.ops.join(ben_id, "muted")
    a.ops.sockets_join("/", BroadcastOptions(except_rooms=frozenset({"muted"})), "news")
    bus.flush()
    assert "news" not in b.rooms(ben_id)
    assert "news" in b.rooms(cat_id)


def test_sockets_leave_on_one_node_empties_the_room_on_the_other(a, b, bus):
    _, ben_id = b.client()
    b.ops.join(ben_id, ["red", "blue"])
    a.ops.sockets_leave("/", to("red"), "red")
    bus.flush()
    assert b.rooms(ben_id) == {ben_id, "blue"}


def test_local_sockets_join_and_leave_do_not_travel(a, b, bus):
    _, ben_id = b.client()
    b.ops.join(ben_id, "red")
    a.ops.sockets_join("/", BroadcastOptions(local=True), "lobby")
    a.ops.sockets_leave("/", BroadcastOptions(local=True), "red")
    bus.flush()
    assert b.rooms(ben_id) == {ben_id, "red"}
    assert a.published() == []


def test_a_three_node_sockets_join_reaches_both_others(a, b, c, bus):
    (_, ben_id), (_, cid) = b.client(), c.client()
    a.ops.sockets_join("/", BroadcastOptions(), "all")
    bus.flush()
    assert ("all" in b.rooms(ben_id), "all" in c.rooms(cid)) == (True, True)


# -- disconnect_sockets ---------------------------------------------------------------------


def test_disconnect_sockets_disconnects_on_every_node(a, b, bus):
    (_, ann_id), (_, ben_id) = a.client(), b.client()
    a.ops.disconnect_sockets("/")
    bus.flush()
    for node, socket_id in ((a, ann_id), (b, ben_id)):
        (gone,) = node.events_of(SocketDisconnected)
        assert (gone.socket_id, gone.reason) == (
            socket_id,
            DisconnectReason.SERVER_NAMESPACE_DISCONNECT,
        )


def test_disconnect_sockets_selects_on_the_other_node(a, b, bus):
    (_, ben_id), (cat, _) = b.client(), b.client()
    b.ops.join(ben_id, "kick")
    a.ops.disconnect_sockets("/", to("kick"))
    bus.flush()
    assert [gone.socket_id for gone in b.events_of(SocketDisconnected)] == [ben_id]
    assert not cat.engine.ws.closed


def test_disconnect_sockets_with_close_closes_the_other_nodes_connections(a, b, bus):
    ben, _ = b.client()
    a.ops.disconnect_sockets("/", close=True)
    bus.flush()
    assert ben.engine.ws.closed


def test_disconnect_sockets_without_close_keeps_the_connection(a, b, bus):
    ben, _ = b.client()
    a.ops.disconnect_sockets("/")
    bus.flush()
    assert not ben.engine.ws.closed
    assert ben.received()[-1].type.name == "DISCONNECT"


# -- what a node listens to -----------------------------------------------------------------


def test_the_main_namespace_subscribes_at_the_first_events_call(cluster_format):
    server = SocketServer(id_generator=CountingIds(), node_id="n1", cluster_format=cluster_format)
    (subscribe,) = server.events()
    codec = cluster_format.codec("/")
    wanted = codec.subscriptions("n1")
    assert subscribe == ClusterSubscribe(
        channels=wanted.channels, patterns=wanted.patterns, sharded=cluster_format.sharded
    )


def test_a_classic_node_subscribes_to_requests_responses_and_every_broadcast_channel():
    server = SocketServer(id_generator=CountingIds(), node_id="n1")
    assert server.events() == [
        ClusterSubscribe(
            channels=("socket.io-request#/#", "socket.io-response#/#", "socket.io-response#/#n1#"),
            patterns=("socket.io#/#*",),
        )
    ]


def test_a_sharded_node_subscribes_to_the_main_channel_and_its_own():
    server = SocketServer(
        id_generator=CountingIds(), node_id="n1", cluster_format=ShardedRedisFormat()
    )
    assert server.events() == [
        ClusterSubscribe(channels=("socket.io#/#", "socket.io#/#n1#"), sharded=True)
    ]


def test_a_namespace_subscribes_when_it_is_added(a):
    a.events_of(ClusterSubscribe)
    a.server.namespaces.add("/chat")
    subscribed = a.events_of(ClusterSubscribe)[-1]
    assert subscribed.channels[0] in ("socket.io-request#/chat#", "socket.io#/chat#")


def test_a_dynamic_namespace_subscribes_with_its_first_client(a):
    a.server.namespaces.add_dynamic(re.compile(r"/game-\d+"))
    before = len(a.events_of(ClusterSubscribe))
    a.client("/game-7")
    a.client("/game-7")
    (subscribed,) = a.events_of(ClusterSubscribe)[before:]
    assert any("#/game-7#" in name for name in subscribed.channels + subscribed.patterns)


# -- the sharded adapter's room channels ----------------------------------------------------


def _sharded(mode: str) -> Node:
    return Node(ClusterBus(), "n1", ShardedRedisFormat(subscription_mode=mode))


def _room_events(node: Node) -> list[ClusterSubscribe | ClusterUnsubscribe]:
    """What the node asked for after its main namespace's channels."""
    node.harness.pump()
    events = node.harness.app_events
    return [e for e in events if isinstance(e, ClusterSubscribe | ClusterUnsubscribe)][1:]


def test_dynamic_mode_subscribes_to_a_room_with_its_first_member_only():
    node = _sharded("dynamic")
    (_, one), (_, two) = node.client(), node.client()
    node.ops.join(one, "red")
    node.ops.join(two, "red")
    assert _room_events(node) == [ClusterSubscribe(channels=("socket.io#/#red#",), sharded=True)]


def test_dynamic_mode_unsubscribes_when_the_last_member_leaves():
    node = _sharded("dynamic")
    (_, one), (_, two) = node.client(), node.client()
    node.ops.join(one, "red")
    node.ops.join(two, "red")
    node.ops.leave(one, "red")
    assert len(_room_events(node)) == 1
    node.ops.leave(two, "red")
    assert _room_events(node)[-1] == ClusterUnsubscribe(
        channels=("socket.io#/#red#",), sharded=True
    )


def test_dynamic_mode_unsubscribes_when_the_last_member_disconnects():
    node = _sharded("dynamic")
    client, one = node.client()
    node.ops.join(one, ["blue", "red"])
    client.disconnect()
    assert _room_events(node) == [
        ClusterSubscribe(channels=("socket.io#/#blue#",), sharded=True),
        ClusterSubscribe(channels=("socket.io#/#red#",), sharded=True),
        ClusterUnsubscribe(channels=("socket.io#/#blue#",), sharded=True),
        ClusterUnsubscribe(channels=("socket.io#/#red#",), sharded=True),
    ]


def test_dynamic_mode_gives_a_socket_id_no_channel():
    node = _sharded("dynamic")
    node.client()
    assert _room_events(node) == []


def test_dynamic_private_mode_gives_a_socket_id_its_channel():
    node = _sharded("dynamic-private")
    _, socket_id = node.client()
    assert _room_events(node) == [
        ClusterSubscribe(channels=(f"socket.io#/#{socket_id}#",), sharded=True)
    ]


def test_static_mode_never_subscribes_to_a_room():
    node = _sharded("static")
    _, socket_id = node.client()
    node.ops.join(socket_id, "red")
    assert _room_events(node) == []


def test_a_room_joined_through_another_nodes_request_subscribes_too():
    bus = ClusterBus()
    a = Node(bus, "a", ShardedRedisFormat())
    b = Node(bus, "b", ShardedRedisFormat())
    b.client()
    a.ops.sockets_join("/", BroadcastOptions(), "lobby")
    bus.flush()
    assert ClusterSubscribe(channels=("socket.io#/#lobby#",), sharded=True) in b.events_of(
        ClusterSubscribe
    )


@pytest.mark.parametrize("mode", ["dynamic", "dynamic-private"])
def test_a_room_subscription_always_ends_with_its_unsubscription(mode):
    node = _sharded(mode)
    clients = [node.client() for _ in range(3)]
    for index, (_, socket_id) in enumerate(clients):
        node.ops.join(socket_id, ["shared", f"own-{index}"])
    for client, _ in clients:
        client.disconnect()
    events = _room_events(node)
    subscribed = [e.channels for e in events if isinstance(e, ClusterSubscribe)]
    unsubscribed = [e.channels for e in events if isinstance(e, ClusterUnsubscribe)]
    assert len(subscribed) >= 4  # "shared" and each "own-" room at least
    assert sorted(subscribed) == sorted(unsubscribed)
    assert len(set(subscribed)) == len(subscribed)
