"""This node's own operations against real Node bytes: it publishes what Node publishes, and
Node's answers (``tests/core/cluster/node_captures.json``) end its requests as they should."""

from __future__ import annotations

import pytest
from node_captures import (
    B1,
    F1,
    HELLO,
    UIDS,
    A,
    C,
    E,
    Listener,
    captured,
    emitted,
    wire_request_id,
)

from sio_core import BroadcastOptions
from sio_core.events import (
    BroadcastAcksCollected,
    ClusterFetchCompleted,
    ServerSideEmitAcksCollected,
)

# -- requests this node made: Node's answers end them ----------------------------------------


@pytest.mark.parametrize(
    ("request_name", "uid", "expected"),
    [
        ("classic fetch sockets", A, {B1: {"user": "bob", "n": 1}, UIDS["classic"]["b2"]: {}}),
        ("specific fetch sockets", C, {UIDS["specific"]["d1"]: {}}),
        (
            "sharded fetch sockets",
            E,
            {F1: {"user": "fred", "tags": ["x"]}, UIDS["sharded"]["f2"]: {}},
        ),
    ],
)
def test_a_fetch_of_this_node_sends_nodes_bytes_and_ends_with_nodes_answer(
    request_name, uid, expected
):
    listener = Listener(f"{request_name} 1", uid=uid)
    listener.ids.next = [wire_request_id(f"{request_name} 1")]
    request_id = listener.server.operations.request_fetch_sockets("/", peers=1)
    assert listener.published() == [captured(f"{request_name} 1")]
    listener.feed(f"{request_name} 2")
    (done,) = listener.events_of(ClusterFetchCompleted)
    assert (done.request_id, done.timed_out) == (request_id, False)
    assert {s.id: s.data for s in done.sockets} == expected
    assert all(s.handshake.query == {"EIO": "4", "transport": "websocket"} for s in done.sockets)


@pytest.mark.parametrize(
    ("name", "uid", "answer"),
    [
        ("classic server side emit with ack", A, {"pong": 42}),
        ("sharded server side emit with ack", E, {"pong": 42}),
        ("sharded server side emit with binary ack", E, b"\x07\x07"),
    ],
)
def test_a_server_side_emit_of_this_node_sends_nodes_bytes_and_collects_nodes_answer(
    name, uid, answer
):
    listener = Listener(f"{name} 1", uid=uid)
    listener.ids.next = [wire_request_id(f"{name} 1")]
    event, *args = emitted(f"{name} 1")
    request_id = listener.server.operations.server_side_emit(
        "/", event, args, with_ack=True, peers=1
    )
    assert listener.published() == [captured(f"{name} 1")]
    listener.feed(f"{name} 2")
    assert listener.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(request_id=request_id, responses=((answer,),), timed_out=False)
    ]


@pytest.mark.parametrize(
    ("name", "uid", "args", "answers"),
    [
        ("classic broadcast with acks", A, [7], [{"from": "b1", "n": 7}, {"from": "b2", "n": 7}]),
        ("sharded broadcast with acks", E, [7], [{"from": "f1", "n": 7}, {"from": "f2", "n": 7}]),
        (
            "sharded broadcast with acks and binary",
            E,
            [b"\x05"],
            [{"from": "f1", "n": b"\x05"}, {"from": "f2", "n": b"\x05"}],
        ),
    ],
)
def test_a_broadcast_with_acks_of_this_node_sends_nodes_bytes_and_collects_the_answers(
    name, uid, args, answers
):
    listener = Listener(f"{name} 1", uid=uid)
    listener.ids.next = [wire_request_id(f"{name} 1")]
    broadcast_id = listener.server.operations.broadcast("/", "ask", args, timeout=1.0, peers=1)
    assert listener.published() == [captured(f"{name} 1")]
    for n in (2, 3, 4):
        listener.feed(f"{name} {n}")
    (done,) = listener.events_of(BroadcastAcksCollected)
    assert (done.broadcast_id, done.timed_out) == (broadcast_id, False)
    assert done.responses == tuple((answer,) for answer in answers)


@pytest.mark.parametrize(
    ("name", "uid", "operation"),
    [
        (
            "classic sockets join 1",
            A,
            lambda ops: ops.sockets_join("/", BroadcastOptions(), "room3"),
        ),
        (
            "sharded sockets join 1",
            E,
            lambda ops: ops.sockets_join("/", BroadcastOptions(), "room3"),
        ),
        (
            "classic sockets leave 1",
            A,
            lambda ops: ops.sockets_leave("/", _leave_options(), ["room3", "room4"]),
        ),
        (
            "sharded sockets leave 1",
            E,
            lambda ops: ops.sockets_leave("/", _leave_options(), ["room3", "room4"]),
        ),
        (
            "classic disconnect sockets 1",
            A,
            lambda ops: ops.disconnect_sockets("/", _only("nobody"), close=True),
        ),
        (
            "sharded disconnect sockets 1",
            E,
            lambda ops: ops.disconnect_sockets("/", _only("nobody"), close=True),
        ),
        ("classic broadcast to all 1", A, lambda ops: ops.broadcast("/", "hello", HELLO[1:])),
        ("sharded broadcast to all 1", E, lambda ops: ops.broadcast("/", "hello", HELLO[1:])),
        (
            "classic broadcast to two rooms 1",
            A,
            lambda ops: ops.broadcast("/", "news", ["x"], _only("room1", "room2")),
        ),
        (
            "sharded broadcast to one room 1",
            E,
            lambda ops: ops.broadcast("/", "news", [{"a": 1}], _only("room1")),
        ),
        (
            "classic broadcast volatile 1",
            A,
            lambda ops: ops.broadcast("/", "vol", [1], BroadcastOptions(volatile=True)),
        ),
        (
            "classic broadcast compress false 1",
            A,
            lambda ops: ops.broadcast("/", "c", [1], BroadcastOptions(compress=False)),
        ),
        (
            "sharded broadcast with binary 1",
            E,
            lambda ops: ops.broadcast("/", "bin", [b"\x01\x02\x03", {"nested": b"\x04"}]),
        ),
        (
            "classic server side emit 1",
            A,
            lambda ops: ops.server_side_emit("/", "sse", [1, "two"]),
        ),
        (
            "sharded server side emit 1",
            E,
            lambda ops: ops.server_side_emit("/", "sse", [1, "two"]),
        ),
    ],
)
def test_this_nodes_operations_publish_nodes_bytes_on_nodes_channel(name, uid, operation):
    listener = Listener(name, uid=uid)
    operation(listener.server.operations)
    assert listener.published() == [captured(name)]


def _only(*rooms: str) -> BroadcastOptions:
    return BroadcastOptions(rooms=frozenset(rooms))


def _leave_options() -> BroadcastOptions:
    return BroadcastOptions(rooms=frozenset({"room1"}), except_rooms=frozenset({"room2"}))
