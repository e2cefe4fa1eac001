"""Real Node bytes fed to a server in cluster mode: what the node *does* with each.

The codec tests (``tests/core/cluster``) check that each capture decodes to the right message;
these check which of the node's clients get a broadcast, which sockets move or leave, and what
the node answers. Where the node publishes what a Node node published in the capture (same
uid, same request id), the bytes must be the same.
"""

from __future__ import annotations

import json

import pytest
from node_captures import (
    A1,
    B1,
    F1,
    HELLO,
    MESSAGES,
    UIDS,
    A,
    B,
    C,
    D,
    E,
    F,
    Listener,
    captured,
    events,
)

from sio_core.events import ClusterMessageRejected, ServerSideEmitReceived, SocketDisconnected


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_every_node_capture_is_read_without_a_rejection(name):
    listener = Listener(name)
    listener.client("room1")
    listener.feed(name)
    assert listener.events_of(ClusterMessageRejected) == []


# -- broadcasts reach exactly the right clients -----------------------------------------------

BROADCASTS = [
    ("classic broadcast to all 1", HELLO, {"room1", "room2", "none"}),
    ("sharded broadcast to all 1", HELLO, {"room1", "room2", "none"}),
    ("classic broadcast to one room 1", ["news", {"a": 1}], {"room1"}),
    ("sharded broadcast to one room 1", ["news", {"a": 1}], {"room1"}),
    ("classic broadcast to two rooms 1", ["news", "x"], {"room1", "room2"}),
    ("sharded broadcast to two rooms 1", ["news", "x"], {"room1", "room2"}),
    ("classic broadcast with except 1", ["ev2"], {"room1", "none"}),
    ("sharded broadcast with except 1", ["ev2"], {"room1", "none"}),
    ("classic broadcast volatile 1", ["vol", 1], {"room1", "room2", "none"}),
    ("sharded broadcast volatile 1", ["vol", 1], {"room1", "room2", "none"}),
    ("classic broadcast compress false 1", ["c", 1], {"room1", "room2", "none"}),
    ("classic broadcast from a socket 1", ["from-socket", 1], {"room1", "room2", "none"}),
    ("emitter broadcast to all 1", ["from-emitter", 1, "a"], {"room1", "room2", "none"}),
    ("emitter broadcast to one room 1", ["e-room", True], {"room1"}),
    ("emitter broadcast volatile with except 1", ["e-vol", b"\t"], {"room1", "none"}),
]


@pytest.mark.parametrize(("name", "payload", "reached"), BROADCASTS)
def test_a_node_broadcast_reaches_exactly_the_selected_clients(name, payload, reached):
    listener = Listener(name)
    clients = {room: listener.client(room) for room in ("room1", "room2")}
    clients["none"] = listener.client()
    listener.feed(name)
    got = {room for room, client in clients.items() if events(client) == [payload]}
    assert got == reached
    assert all(events(client) == [] for client in clients.values())


@pytest.mark.parametrize(
    "name", ["classic broadcast with binary 1", "sharded broadcast with binary 1"]
)
def test_a_node_broadcast_with_binary_reaches_clients_as_a_binary_event(name):
    listener = Listener(name)
    client = listener.client()
    listener.feed(name)
    assert client.engine.take() == [
        '452-["bin",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1}}]',
        b"\x01\x02\x03",
        b"\x04",
    ]


@pytest.mark.parametrize(
    ("name", "target"),
    [("classic broadcast to a socket id 1", B1), ("sharded broadcast to a socket id 1", F1)],
)
def test_a_node_broadcast_to_a_socket_id_reaches_that_socket_only(name, target):
    listener = Listener(name)
    other, targeted = listener.client(), listener.client(socket_id=target)
    listener.feed(name)
    assert (events(targeted), events(other)) == ([["direct", 1]], [])


def test_a_node_broadcast_from_a_socket_excepts_that_socket():
    listener = Listener("classic broadcast from a socket 1")
    sender, other = listener.client(socket_id=A1), listener.client()
    listener.feed("classic broadcast from a socket 1")
    assert (events(sender), events(other)) == ([], [["from-socket", 1]])


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("classic broadcast in another namespace 1", ["hi", "chat"]),
        ("sharded broadcast in another namespace 1", ["hi", "chat"]),
        ("emitter in another namespace 1", ["e-chat"]),
    ],
)
def test_a_node_broadcast_in_another_namespace_reaches_that_namespace_only(name, payload):
    listener = Listener(name)
    main, chat = listener.client(), listener.client(nsp="/chat")
    listener.feed(name)
    assert (events(main), events(chat)) == ([], [payload])


def test_a_classic_room_broadcast_is_dropped_by_a_node_without_members():
    listener = Listener("classic broadcast to one room 1")
    client = listener.client("room2")
    listener.feed("classic broadcast to one room 1")
    assert events(client) == []


# -- sockets move, leave, disconnect ----------------------------------------------------------


@pytest.mark.parametrize("name", ["classic sockets join 1", "sharded sockets join 1"])
def test_a_node_sockets_join_puts_every_socket_in_the_room(name):
    listener = Listener(name)
    ids = [listener.client().socket_ids["/"], listener.client("room1").socket_ids["/"]]
    listener.feed(name)
    assert all("room3" in listener.server.operations.rooms(i) for i in ids)


@pytest.mark.parametrize("name", ["classic sockets leave 1", "sharded sockets leave 1"])
def test_a_node_sockets_leave_selects_with_rooms_and_except(name):
    listener = Listener(name)
    leaving = listener.client("room1", "room3", "room4").socket_ids["/"]
    excepted = listener.client("room1", "room2", "room3").socket_ids["/"]
    listener.feed(name)
    rooms = listener.server.operations.rooms
    assert rooms(leaving) == {leaving, "room1"}
    assert rooms(excepted) == {excepted, "room1", "room2", "room3"}


@pytest.mark.parametrize("name", ["classic disconnect sockets 1", "sharded disconnect sockets 1"])
def test_a_node_disconnect_sockets_with_close_closes_the_selected_connections(name):
    listener = Listener(name)
    kept, gone = listener.client(), listener.client("nobody")
    listener.feed(name)
    assert [e.socket_id for e in listener.events_of(SocketDisconnected)] == [gone.socket_ids["/"]]
    assert (kept.engine.ws.closed, gone.engine.ws.closed) == (False, True)


def test_the_emitters_requests_join_leave_and_disconnect():
    listener = Listener("emitter sockets join 1")
    member = listener.client("room1", "nobody").socket_ids["/"]
    other = listener.client().socket_ids["/"]
    rooms = listener.server.operations.rooms
    listener.feed("emitter sockets join 1")
    assert ("e-room" in rooms(member), "e-room" in rooms(other)) == (True, False)
    listener.feed("emitter sockets leave 1")
    assert "e-room" not in rooms(member)
    listener.feed("emitter disconnect sockets 1")
    assert [e.socket_id for e in listener.events_of(SocketDisconnected)] == [member]


# -- requests a Node node made: what this node answers ----------------------------------------


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("classic fetch sockets 1", "socket.io-response#/#"),
        ("specific fetch sockets 1", f"specific-response#/#{C}#"),
        ("sharded fetch sockets 1", f"socket.io#/#{E}#"),
    ],
)
def test_a_node_fetch_is_answered_with_this_nodes_sockets(name, channel):
    listener = Listener(name)
    client = listener.client("room1")
    socket_id = client.socket_ids["/"]
    listener.server.socket(socket_id).data = {"user": "py"}
    listener.feed(name)
    ((published_on, payload),) = listener.published()
    assert published_on == channel
    answer = json.loads(bytes.fromhex(payload))
    answer = answer.get("data", answer)
    (socket,) = answer["sockets"]
    assert (socket["id"], socket["rooms"], socket["data"]) == (
        socket_id,
        [socket_id, "room1"],
        {"user": "py"},
    )
    assert list(socket["handshake"]) == [
        "headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth",
    ]  # fmt: skip


def test_a_node_all_rooms_request_is_answered():
    listener = Listener("classic all rooms 1")
    socket_id = listener.client("room1").socket_ids["/"]
    listener.feed("classic all rooms 1")
    ((channel, payload),) = listener.published()
    answer = json.loads(bytes.fromhex(payload))
    assert (channel, answer["requestId"]) == ("socket.io-response#/#", "amVhAO")
    assert set(answer["rooms"]) == {socket_id, "room1"}


def test_a_node_legacy_sockets_request_is_answered_as_node_answered_it():
    listener = Listener("classic legacy sockets request 1")
    listener.client("room2", socket_id=UIDS["classic"]["b2"])
    listener.feed("classic legacy sockets request 1")
    assert listener.published() == [captured("classic legacy sockets request 2")]


@pytest.mark.parametrize(
    ("name", "args", "origin"),
    [
        ("classic server side emit 1", (1, "two"), A),
        ("sharded server side emit 1", (1, "two"), E),
        ("emitter server side emit 1", ({"x": 1},), "emitter"),
    ],
)
def test_a_node_server_side_emit_reaches_the_application(name, args, origin):
    listener = Listener(name)
    listener.feed(name)
    (received,) = listener.events_of(ServerSideEmitReceived)
    assert (received.args, received.origin, received.ack_id) == (args, origin, None)


@pytest.mark.parametrize(
    ("name", "uid", "answer"),
    [
        ("classic server side emit with ack", B, {"pong": 42}),
        ("specific server side emit with ack", D, 2),
        ("sharded server side emit with ack", F, {"pong": 42}),
        ("sharded server side emit with binary ack", F, b"\x07\x07"),
    ],
)
def test_the_applications_answer_to_a_node_server_side_emit_is_nodes_bytes(name, uid, answer):
    listener = Listener(f"{name} 1", uid=uid)
    listener.feed(f"{name} 1")
    (received,) = listener.events_of(ServerSideEmitReceived)
    listener.server.operations.server_side_ack(received.ack_id, [answer, "dropped"])
    assert listener.published() == [captured(f"{name} 2")]


@pytest.mark.parametrize(
    ("name", "uid", "answers"),
    [
        ("classic broadcast with acks", B, [{"from": "b1", "n": 7}, {"from": "b2", "n": 7}]),
        ("sharded broadcast with acks", F, [{"from": "f1", "n": 7}, {"from": "f2", "n": 7}]),
        (
            "sharded broadcast with acks and binary",
            F,
            [{"from": "f1", "n": b"\x05"}, {"from": "f2", "n": b"\x05"}],
        ),
    ],
)
def test_a_node_broadcast_with_acks_is_counted_and_answered_as_node_does(name, uid, answers):
    listener = Listener(f"{name} 1", uid=uid)
    clients = [listener.client(), listener.client()]
    listener.feed(f"{name} 1")
    for client, answer in zip(clients, answers, strict=True):
        (packet,) = client.received()
        client.ack(packet.id, answer)
    listener.harness.pump()
    assert listener.published() == [captured(f"{name} {n}") for n in (2, 3, 4)]
