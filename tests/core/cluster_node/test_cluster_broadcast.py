"""Broadcasts across nodes: each selected client, on whichever node, gets the event once."""

from __future__ import annotations

import pytest
from cluster_nodes import Node, received, to

from sio_core import BroadcastOptions
from sio_core.cluster import ClassicRedisFormat, ShardedRedisFormat
from sio_core.errors import LocalProtocolError
from sio_core.events import ClusterMessageRejected, ClusterPublish


def test_a_broadcast_to_a_room_reaches_its_members_on_every_node_once(a, b, bus):
    (ann, ann_id), (ben, ben_id), (cat, _) = a.client(), b.client(), b.client()
    a.ops.join(ann_id, "red")
    b.ops.join(ben_id, "red")
    a.ops.broadcast("/", "hello", ["red"], to("red"))
    bus.flush()
    assert received(ann) == [["hello", "red"]]
    assert received(ben) == [["hello", "red"]]
    assert received(cat) == []


def test_a_broadcast_to_everyone_reaches_all_three_nodes(a, b, c, bus):
    clients = [node.client()[0] for node in (a, b, c)]
    c.ops.broadcast("/", "tick", [1])
    bus.flush()
    assert [received(client) for client in clients] == [[["tick", 1]]] * 3


def test_a_broadcast_to_several_rooms_reaches_a_member_of_both_once(a, b, bus):
    (ben, ben_id), (cat, cat_id), (dan, _) = b.client(), b.client(), b.client()
    b.ops.join(ben_id, ["red", "blue"])
    b.ops.join(cat_id, "blue")
    a.ops.broadcast("/", "news", [], to("red", "blue"))
    bus.flush()
    assert (received(ben), received(cat), received(dan)) == ([["news"]], [["news"]], [])


def test_a_broadcast_to_a_socket_id_reaches_that_socket_on_its_node(a, b, bus):
    (ben, ben_id), (cat, _) = b.client(), b.client()
    a.ops.broadcast("/", "direct", [1], to(ben_id))
    bus.flush()
    assert (received(ben), received(cat)) == ([["direct", 1]], [])


def test_a_broadcast_except_a_room_excepts_it_on_the_other_node(a, b, bus):
    a.client()
    (ben, ben_id), (cat, _) = b.client(), b.client()
    b.ops.join(ben_id, "muted")
    a.ops.broadcast("/", "news", [], BroadcastOptions(except_rooms=frozenset({"muted"})))
    bus.flush()
    assert received(ben) == []
    assert received(cat) == [["news"]]


def test_a_local_broadcast_stays_on_its_node_and_publishes_nothing(a, b, bus):
    (ann, _), (ben, _) = a.client(), b.client()
    a.ops.broadcast("/", "here", [], BroadcastOptions(local=True))
    assert a.events_of(ClusterPublish) == []
    bus.flush()
    assert (received(ann), received(ben)) == ([["here"]], [])


def test_binary_arguments_reach_the_other_nodes_clients_as_a_binary_event(a, b, bus):
    ben, _ = b.client()
    a.ops.broadcast("/", "blob", [b"\x00\xff", {"nested": b"ok"}])
    bus.flush()
    assert ben.engine.take() == [
        '452-["blob",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1}}]',
        b"\x00\xff",
        b"ok",
    ]


def test_a_volatile_broadcast_travels_flagged_and_is_dropped_where_it_cannot_go_now(a, b, bus):
    ben, _ = b.client(transport="polling")  # the GET that read the CONNECT is answered
    a.ops.broadcast("/", "vol", [1], BroadcastOptions(volatile=True))
    a.ops.broadcast("/", "kept", [2])
    bus.flush()
    volatile, kept = a.published()
    assert volatile.selection.flags.volatile is True
    assert kept.selection.flags.volatile is None
    assert received(ben) == [["kept", 2]]


def test_compress_false_travels_as_a_flag(a):
    a.ops.broadcast("/", "raw", [], BroadcastOptions(compress=False))
    (message,) = a.published()
    assert message.selection.flags.compress is False


def test_a_broadcast_in_a_namespace_the_other_node_lacks_is_not_heard_there(a, b, bus):
    a.server.namespaces.add("/chat")
    ben, _ = b.client()
    a.ops.broadcast("/chat", "hi")
    bus.flush()
    assert received(ben) == []
    assert b.events_of(ClusterMessageRejected) == []


def test_a_broadcast_in_another_namespace_reaches_only_that_namespace(a, b, bus):
    a.server.namespaces.add("/chat")
    b.server.namespaces.add("/chat")
    main, _ = b.client()
    chat, _ = b.client("/chat")
    a.ops.broadcast("/chat", "hi", ["chat"])
    bus.flush()
    assert received(main) == []
    assert received(chat) == [["hi", "chat"]]


def test_a_dynamic_namespace_joins_the_cluster_with_its_first_client(a, b, bus):
    import re

    for node in (a, b):
        node.server.namespaces.add_dynamic(re.compile(r"/room-\d+"))
    a.client("/room-1")
    a.ops.broadcast("/room-1", "early")
    bus.flush()
    ben, _ = b.client("/room-1")  # now b has the namespace, and its channels
    a.ops.broadcast("/room-1", "late")
    bus.flush()
    assert received(ben) == [["late"]]


def test_a_room_broadcast_reaches_a_node_that_joined_the_room_since_the_last_flush(a, b, bus):
    ben, ben_id = b.client()
    bus.flush()
    b.ops.join(ben_id, "late")
    a.ops.broadcast("/", "x", [], to("late"))
    bus.flush()
    assert received(ben) == [["x"]]


def test_a_room_broadcast_stops_reaching_a_node_whose_last_member_left(a, b, bus):
    ben, ben_id = b.client()
    b.ops.join(ben_id, "red")
    bus.flush()
    b.ops.leave(ben_id, "red")
    a.ops.broadcast("/", "x", [], to("red"))
    bus.flush()
    assert received(ben) == []


def test_an_event_no_format_carries_is_refused_before_anything_is_sent(a, b, bus):
    ann, _ = a.client()
    with pytest.raises(LocalProtocolError):
        a.ops.broadcast("/", "keys", [{1: "one"}])  # the client's JSON writes "1"; Node cannot
    assert a.events_of(ClusterPublish) == []
    assert received(ann) == []


@pytest.mark.parametrize("format_name", ["classic", "sharded"])
def test_a_broadcast_is_published_on_the_rooms_channel_for_exactly_one_room(a, format_name):
    a.ops.broadcast("/", "one", [], to("red"))
    a.ops.broadcast("/", "two", [], to("red", "blue"))
    channels = [published.channel for published in a.events_of(ClusterPublish)]
    assert channels == ["socket.io#/#red#", "socket.io#/#"]
    assert all(p.sharded == (format_name == "sharded") for p in a.events_of(ClusterPublish))


def test_a_node_of_each_format_hears_the_other_only_when_they_share_one(bus):
    classic = Node(bus, "a", ClassicRedisFormat())
    sharded = Node(bus, "b", ShardedRedisFormat())
    client, _ = sharded.client()
    classic.ops.broadcast("/", "lost")
    bus.flush()
    assert received(client) == []
