"""What a node does with what arrives on its channels: Node's filters, the emitter, and garbage.

Messages are written here with the node's own codec (or as raw bytes) and fed straight to
``receive_cluster_message``, as a backend would from Redis.
"""

from __future__ import annotations

import msgpack
import pytest
from cluster_nodes import Node, received

from sio_core import SocketServer
from sio_core.cluster import (
    EMITTER_UID,
    AllRooms,
    AllRoomsResponse,
    Broadcast,
    BroadcastAck,
    BroadcastClientCount,
    BroadcastFlags,
    ClassicRedisFormat,
    ClusterMessage,
    DisconnectSockets,
    FetchSocketIds,
    FetchSocketIdsResponse,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    RedisStreamsFormat,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    ShardedRedisFormat,
    SocketsJoin,
    SocketsLeave,
    StreamEntry,
)
from sio_core.cluster.stream_commands import append
from sio_core.errors import LocalProtocolError
from sio_core.events import (
    BroadcastAcksCollected,
    ClusterFetchCompleted,
    ClusterMessageRejected,
    ClusterPublish,
    ServerSideEmitAcksCollected,
    ServerSideEmitReceived,
    SocketDisconnected,
)
from sio_core.ids import CountingIds
from sio_core.testing import ClusterBus

EVERYONE = Selection(flags=BroadcastFlags())


def feed(node: Node, message: ClusterMessage, requester: str | None = None) -> None:
    """Publish ``message`` to ``node`` as another node (or the emitter) would: on a channel,
    or appended to the stream for the Streams format's durable messages."""
    publication = node.format.codec(message.nsp).encode(message, requester=requester)
    if isinstance(publication, StreamEntry):
        assert isinstance(node.format, RedisStreamsFormat)
        node.bus.redis.execute(append(node.format, publication))
        node.bus.flush()
        return
    feed_raw(node, publication.channel, publication.payload)


def feed_raw(node: Node, channel: str, payload: bytes) -> None:
    node.server.receive_cluster_message(channel, payload, node.harness.clock.now)
    node.harness.pump()


def main_channel(node: Node) -> str:
    return node.server.count_channel("/")[0]


# -- garbage ------------------------------------------------------------------------------


GARBAGE = [
    b"",
    b"\xc1",  # never valid msgpack
    b"{",
    b'{"type": 99, "uid": "x", "nsp": "/"}',
    b'{"type": 3, "uid": "x", "nsp": "/", "data": {"packet": {"type": 2, "data": []}}}',
    msgpack.packb([1, 2, 3]),
    msgpack.packb(["x", {"type": 2, "data": "nope"}, {}]),
    b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's stack
    b"\x91" * 100_000 + b"\xc0",  # the same in msgpack
    msgpack.packb({"type": 2, "data": ["x"], "nsp": "/", 1: 2}),  # a map key not a string
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_a_malformed_message_is_rejected_and_changes_nothing(a, garbage):
    ann, _ = a.client()
    for channel in _all_channels(a):
        feed_raw(a, channel, garbage)
    rejected = a.events_of(ClusterMessageRejected)
    assert rejected
    assert all(event.reason for event in rejected)
    assert received(ann) == []
    assert a.events_of(ClusterPublish) == []


def _all_channels(node: Node) -> list[str]:
    codec = node.format.codec("/")
    wanted = codec.subscriptions(node.name)
    return [*wanted.channels, *(p.replace("*", "") for p in wanted.patterns)]


def test_a_message_on_no_channel_of_this_node_is_ignored(a):
    feed_raw(a, "someone-else#/#", b"garbage")
    feed_raw(a, "socket.io#/unknown#", b"garbage")
    assert a.events_of(ClusterMessageRejected) == []


def test_a_classic_room_channel_with_no_local_member_is_dropped_unread(bus):
    node = Node(bus, "n", ClassicRedisFormat())
    feed_raw(node, "socket.io#/#nobody-here#", b"garbage")
    assert node.events_of(ClusterMessageRejected) == []
    _, socket_id = node.client()
    node.ops.join(socket_id, "somebody")
    feed_raw(node, "socket.io#/#somebody#", b"garbage")
    assert len(node.events_of(ClusterMessageRejected)) == 1


def test_a_remote_broadcast_of_a_reserved_event_is_rejected_not_raised(a):
    ann, _ = a.client()
    feed(a, Broadcast(uid="z", nsp="/", event="disconnect", selection=EVERYONE))
    (rejected,) = a.events_of(ClusterMessageRejected)
    assert "reserved" in rejected.reason
    assert received(ann) == []


# -- Node's filters -------------------------------------------------------------------------


def test_a_message_with_this_nodes_uid_is_ignored(a, bus):
    ann, _ = a.client()
    a.ops.broadcast("/", "echo")
    bus.flush()  # Redis hands the message back to its publisher too
    assert bus.delivered >= 1
    assert received(ann) == [["echo"]]
    feed(a, Broadcast(uid="a", nsp="/", event="forged", selection=EVERYONE))
    assert received(ann) == []


@pytest.mark.parametrize("format_name", ["classic", "sharded"])
def test_a_message_of_another_namespace_on_this_namespaces_channel_is_ignored(a):
    ann, _ = a.client()
    wrong = Broadcast(uid="z", nsp="/chat", event="hi", selection=EVERYONE)
    publication = ShardedRedisFormat().codec("/chat").encode(wrong)
    classic = ClassicRedisFormat().codec("/chat").encode(wrong)
    payload = publication.payload if a.format.sharded else classic.payload
    feed_raw(a, main_channel(a) if a.format.sharded else "socket.io#/#", payload)
    assert received(ann) == []
    assert a.events_of(ClusterMessageRejected) == []


def test_a_request_whose_id_is_pending_here_is_dropped(a, b, bus):
    a.client()
    a.ops.request_fetch_sockets("/", peers=1)
    (request,) = a.published()
    feed(a, FetchSockets(uid="z", nsp="/", selection=EVERYONE, request_id=request.request_id))
    assert len(a.events_of(ClusterPublish)) == 1  # no answer to the copycat


def test_a_response_to_no_pending_request_is_ignored(a):
    feed(a, FetchSocketsResponse(uid="z", nsp="/", request_id="unknown"), requester="a")
    assert a.events_of(ClusterFetchCompleted) == []
    assert a.events_of(ClusterMessageRejected) == []


def test_a_sharded_node_ignores_a_second_answer_from_the_same_node(bus):
    node = Node(bus, "n", ShardedRedisFormat())
    node.ops.request_fetch_sockets("/", peers=2)
    (request,) = node.published()
    answer = FetchSocketsResponse(uid="z", nsp="/", request_id=request.request_id)
    feed(node, answer, requester="n")
    feed(node, answer, requester="n")
    assert node.events_of(ClusterFetchCompleted) == []


def test_a_classic_node_counts_every_answer_since_none_names_its_sender(bus):
    node = Node(bus, "n", ClassicRedisFormat())
    node.ops.request_fetch_sockets("/", peers=2)
    (request,) = node.published()
    answer = FetchSocketsResponse(uid=None, nsp="/", request_id=request.request_id)
    feed(node, answer)
    assert node.events_of(ClusterFetchCompleted) == []
    feed(node, answer)
    (done,) = node.events_of(ClusterFetchCompleted)
    assert not done.timed_out


def test_heartbeats_are_ignored_by_both_redis_formats(bus):
    node = Node(bus, "n", ShardedRedisFormat())
    feed(node, InitialHeartbeat(uid="z", nsp="/"))
    feed(node, Heartbeat(uid="z", nsp="/"))
    assert node.events_of(ClusterPublish) == []
    assert node.events_of(ClusterMessageRejected) == []


def test_a_request_that_cannot_be_answered_is_rejected_not_raised(bus):
    fmt = ClassicRedisFormat(publish_on_specific_response_channel=True)
    node = Node(bus, "n", fmt)
    feed(node, FetchSockets(uid=None, nsp="/", selection=Selection(), request_id="r1"))
    (rejected,) = node.events_of(ClusterMessageRejected)
    assert "requester" in rejected.reason


def test_a_classic_answer_goes_to_the_requesters_own_channel_when_asked_to(bus):
    fmt = ClassicRedisFormat(publish_on_specific_response_channel=True)
    node = Node(bus, "n", fmt)
    feed(node, FetchSockets(uid="zed", nsp="/", selection=Selection(), request_id="r1"))
    (answer,) = node.events_of(ClusterPublish)
    assert answer.channel == "socket.io-response#/#zed#"


# -- Node's emitter (@socket.io/redis-emitter), and Node's other requests -------------------


def test_the_emitters_broadcast_reaches_the_clients(bus):
    a = Node(bus, "n", ClassicRedisFormat())  # the emitter PUBLISHes: classic nodes hear it
    (ann, _), (bob, bob_id) = a.client(), a.client()
    a.ops.join(bob_id, "room1")
    emitted = Broadcast(uid=EMITTER_UID, nsp="/", event="e", args=(1,), selection=EVERYONE)
    feed(a, emitted)
    to_room = Broadcast(
        uid=EMITTER_UID, nsp="/", event="r", selection=Selection(rooms=("room1",), flags=None)
    )
    feed(a, to_room)
    assert received(ann) == [["e", 1]]
    assert received(bob) == [["e", 1], ["r"]]


def test_the_emitters_join_leave_and_disconnect_without_uid_are_applied(bus):
    a = Node(bus, "n", ClassicRedisFormat())  # the emitter PUBLISHes: classic nodes hear it
    (_, ann_id), (_, bob_id) = a.client(), a.client()
    a.ops.join(bob_id, "room1")
    feed(a, SocketsJoin(uid=None, nsp="/", selection=Selection(rooms=("room1",)), rooms=("e",)))
    assert (a.rooms(ann_id), a.rooms(bob_id)) == ({ann_id}, {bob_id, "room1", "e"})
    feed(a, SocketsLeave(uid=None, nsp="/", selection=Selection(), rooms=("room1",)))
    assert a.rooms(bob_id) == {bob_id, "e"}
    feed(a, DisconnectSockets(uid=None, nsp="/", selection=Selection(rooms=("e",))))
    assert [gone.socket_id for gone in a.events_of(SocketDisconnected)] == [bob_id]


def test_the_emitters_server_side_emit_reaches_the_application(bus):
    a = Node(bus, "n", ClassicRedisFormat())  # the emitter PUBLISHes: classic nodes hear it
    feed(a, ServerSideEmit(uid=EMITTER_UID, nsp="/", event="e-sse", args=({"x": 1},)))
    assert a.events_of(ServerSideEmitReceived) == [
        ServerSideEmitReceived(nsp="/", event="e-sse", args=({"x": 1},), origin="emitter")
    ]


def test_a_classic_all_rooms_request_is_answered_with_this_nodes_rooms(bus):
    node = Node(bus, "n", ClassicRedisFormat())
    _, socket_id = node.client()
    node.ops.join(socket_id, ["red", "blue"])
    feed(node, AllRooms(uid="z", nsp="/", request_id="r1"))
    (answer,) = node.published()
    assert isinstance(answer, AllRoomsResponse)
    assert (answer.request_id, set(answer.rooms)) == ("r1", {socket_id, "red", "blue"})


def test_a_classic_legacy_socket_ids_request_is_answered(bus):
    node = Node(bus, "n", ClassicRedisFormat())
    (_, one), _ = node.client(), node.client()
    node.ops.join(one, "red")
    feed(node, FetchSocketIds(uid="z", nsp="/", request_id="r1", rooms=("red",)))
    (answer,) = node.published()
    assert answer == FetchSocketIdsResponse(uid=None, nsp="/", request_id="r1", socket_ids=(one,))


# -- outside cluster mode -----------------------------------------------------------------


def test_receiving_without_a_node_id_is_a_local_error():
    server = SocketServer(id_generator=CountingIds())
    with pytest.raises(LocalProtocolError):
        server.receive_cluster_message("socket.io#/#", b"", 0.0)
    with pytest.raises(LocalProtocolError):
        server.count_channel("/")


def test_a_cluster_format_without_a_node_id_is_refused():
    with pytest.raises(ValueError, match="node_id"):
        SocketServer(id_generator=CountingIds(), cluster_format=ShardedRedisFormat())


def test_a_server_not_in_cluster_mode_cannot_join_a_bus():
    from sio_core.testing import Harness

    with pytest.raises(LocalProtocolError):
        ClusterBus().attach(Harness(SocketServer(id_generator=CountingIds())))


def test_the_count_channel_is_the_request_channel_or_the_main_shard_channel():
    classic = SocketServer(id_generator=CountingIds(), node_id="n", cluster_format=None)
    sharded = SocketServer(
        id_generator=CountingIds(), node_id="n", cluster_format=ShardedRedisFormat()
    )
    assert classic.count_channel("/chat") == ("socket.io-request#/chat#", False)
    assert sharded.count_channel("/chat") == ("socket.io#/chat#", True)


def test_an_answer_of_the_wrong_kind_for_a_pending_request_is_ignored(a):
    a.ops.request_fetch_sockets("/", peers=1)
    (request,) = a.published()
    wrong = ServerSideEmitResponse(uid="z", nsp="/", request_id=request.request_id, arg=1)
    feed(a, wrong, requester="a")
    assert a.events_of(ClusterFetchCompleted) == []
    assert a.events_of(ServerSideEmitAcksCollected) == []


def test_a_sharded_node_ignores_a_second_server_side_answer_from_the_same_node(bus):
    node = Node(bus, "n", ShardedRedisFormat())
    node.ops.server_side_emit("/", "load?", with_ack=True, peers=2)
    (request,) = node.published()
    answer = ServerSideEmitResponse(uid="z", nsp="/", request_id=request.request_id, arg=1)
    feed(node, answer, requester="n")
    feed(node, answer, requester="n")
    assert node.events_of(ServerSideEmitAcksCollected) == []


def test_a_client_answer_no_cluster_format_carries_is_dropped_and_reported(bus):
    node = Node(bus, "n", ClassicRedisFormat())  # the classic format relays answers in msgpack
    client, _ = node.client()
    selection = Selection(flags=BroadcastFlags(timeout_ms=1000))
    feed(node, Broadcast(uid="z", nsp="/", event="ask", selection=selection, request_id="r1"))
    (packet,) = client.received()
    client.ack(packet.id, 2**70)
    (rejected,) = node.events_of(ClusterMessageRejected)
    assert rejected.reason.startswith("cannot relay an answer")
    assert len(node.events_of(ClusterPublish)) == 1  # the client count, and nothing after


@pytest.mark.parametrize("timeout", ["1" + "0" * 400, "-5", "0.5"])
def test_any_broadcast_timeout_is_taken_without_raising(bus, timeout):
    node = Node(bus, "n", ClassicRedisFormat())
    client, _ = node.client()
    request = (
        '{"uid":"z","requestId":"r1","type":7,"packet":{"type":2,"data":["ask"],"nsp":"/"},'
        f'"opts":{{"rooms":[],"except":[],"flags":{{"timeout":{timeout}}}}}}}'
    )
    feed_raw(node, "socket.io-request#/#", request.encode())
    assert node.events_of(ClusterMessageRejected) == []
    (packet,) = client.received()
    assert packet.id is not None


def test_counts_and_answers_after_a_broadcast_with_acks_ended_are_ignored(bus):
    node = Node(bus, "n", ShardedRedisFormat())
    node.ops.broadcast("/", "vote?", timeout=5.0, peers=1)
    (request,) = node.published()
    wire_id = request.request_id
    feed(node, BroadcastClientCount(uid="z", nsp="/", request_id=wire_id, client_count=1), "n")
    feed(node, BroadcastAck(uid="z", nsp="/", request_id=wire_id, arg="yes"), "n")
    (done,) = node.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("yes",),), False)
    feed(node, BroadcastClientCount(uid="y", nsp="/", request_id=wire_id, client_count=3), "n")
    feed(node, BroadcastAck(uid="y", nsp="/", request_id=wire_id, arg="late"), "n")
    assert len(node.events_of(BroadcastAcksCollected)) == 1
    assert node.events_of(ClusterMessageRejected) == []
