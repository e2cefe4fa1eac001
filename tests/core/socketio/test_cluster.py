"""Cluster mode: several SocketServer nodes, wired by an in-test bus standing in for Redis.

Each node runs in its own harness with its own clients and clock. The :class:`Bus` carries the
bytes of every :class:`ClusterMessageReady` to the other nodes (to its target only, when it has
one), the way a pub/sub channel would, until no message is left in flight.
"""

from __future__ import annotations

import pytest

from sio_core import BroadcastOptions, SocketServer
from sio_core.errors import DisconnectReason, LocalProtocolError
from sio_core.events import (
    BroadcastAcksCollected,
    ClusterFetchCompleted,
    ClusterMessageReady,
    ClusterMessageRejected,
    ServerSideEmitAcksCollected,
    ServerSideEmitReceived,
    SocketDisconnected,
)
from sio_core.ids import CountingIds
from sio_core.socketio import cluster
from sio_core.socketio.packets import PacketType
from sio_core.testing import Harness, SocketIOClient


class Bus:
    """Moves published cluster messages between nodes; a node in ``silent`` is unplugged."""

    def __init__(self, harnesses: list[Harness]) -> None:
        self.harnesses = {_server(h).node_id: h for h in harnesses}
        self.silent: set[str | None] = set()
        self.delivered = 0
        self._taken = dict.fromkeys(self.harnesses, 0)

    def flush(self) -> None:
        for _ in range(100):
            pending = self._take()
            if not pending:
                return
            for sender, event in pending:
                self._deliver(sender, event)
        raise AssertionError("cluster messages kept coming")

    def _take(self) -> list[tuple[str | None, ClusterMessageReady]]:
        pending = []
        for node, harness in self.harnesses.items():
            harness.pump()  # commands only queue their events: drain them, as a backend would
            published = harness.events_of(ClusterMessageReady)
            fresh, self._taken[node] = published[self._taken[node] :], len(published)
            if node not in self.silent:
                pending += [(node, event) for event in fresh]
        return pending

    def _deliver(self, sender: str | None, event: ClusterMessageReady) -> None:
        for node, harness in self.harnesses.items():
            if node == sender or node in self.silent or event.target not in (None, node):
                continue
            _server(harness).receive_cluster_message(event.message, harness.clock.now)
            harness.pump()
            self.delivered += 1


def _server(harness: Harness) -> SocketServer:
    assert isinstance(harness.core, SocketServer)
    return harness.core


def _node(name: str, peers: int | None) -> Harness:
    server = SocketServer(id_generator=CountingIds(name), node_id=name)
    server.cluster_peers = peers
    return Harness(server)


@pytest.fixture
def a() -> Harness:
    return _node("a", 1)


@pytest.fixture
def b() -> Harness:
    return _node("b", 1)


@pytest.fixture
def bus(a: Harness, b: Harness) -> Bus:
    return Bus([a, b])


def _client(harness: Harness) -> tuple[SocketIOClient, str]:
    client = SocketIOClient(harness)
    socket_id = client.connect()
    assert socket_id is not None
    return client, socket_id


def _events(client: SocketIOClient) -> list[list[object]]:
    """The EVENT payloads a client received since the last call."""
    return [p.data for p in client.received() if p.type is PacketType.EVENT]


def _room(*names: str, **flags: bool) -> BroadcastOptions:
    return BroadcastOptions(rooms=frozenset(names), **flags)


# -- broadcasts ---------------------------------------------------------------------------------


def test_broadcast_to_a_room_reaches_its_clients_on_every_node_once(a, b, bus):
    (ann, ann_id), (ben, ben_id), (cat, _) = _client(a), _client(b), _client(b)
    _server(a).operations.join(ann_id, "red")
    _server(b).operations.join(ben_id, "red")
    _server(a).operations.broadcast("/", "hello", ["red"], _room("red"))
    a.pump()
    bus.flush()
    assert _events(ann) == [["hello", "red"]]
    assert _events(ben) == [["hello", "red"]]
    assert _events(cat) == []


def test_broadcast_to_everyone_reaches_all_three_nodes(bus, a, b):
    c = _node("c", 2)
    bus = Bus([a, b, c])
    clients = [_client(h)[0] for h in (a, b, c)]
    _server(c).operations.broadcast("/", "tick", [1])
    c.pump()
    bus.flush()
    assert [_events(client) for client in clients] == [[["tick", 1]]] * 3


def test_local_broadcast_stays_on_its_node(a, b, bus):
    (ann, _), (ben, _) = _client(a), _client(b)
    _server(a).operations.broadcast("/", "here", [], BroadcastOptions(local=True))
    a.pump()
    assert a.events_of(ClusterMessageReady) == []
    bus.flush()
    assert _events(ann) == [["here"]]
    assert _events(ben) == []


def test_broadcast_except_a_room_excepts_it_on_the_other_node(a, b, bus):
    (_ann, _), (ben, ben_id), (cat, _) = _client(a), _client(b), _client(b)
    _server(b).operations.join(ben_id, "muted")
    _server(a).operations.broadcast(
        "/", "news", [], BroadcastOptions(except_rooms=frozenset({"muted"}))
    )
    bus.flush()
    assert _events(ben) == []
    assert _events(cat) == [["news"]]


def test_binary_arguments_survive_the_trip_to_another_node(a, b, bus):
    ben, _ = _client(b)
    _server(a).operations.broadcast("/", "blob", [b"\x00\xff", {"nested": b"ok"}])
    bus.flush()
    assert _events(ben) == [["blob", b"\x00\xff", {"nested": b"ok"}]]


def test_broadcast_in_a_namespace_the_other_node_lacks_is_ignored(a, b, bus):
    _server(a).namespaces.add("/chat")
    _server(a).operations.broadcast("/chat", "hi")
    bus.flush()
    assert b.events_of(ClusterMessageRejected) == []
    assert bus.delivered == 1


# -- room operations ------------------------------------------------------------------------


def test_sockets_join_on_one_node_moves_sockets_on_the_other(a, b, bus):
    (_, ann_id), (_, ben_id) = _client(a), _client(b)
    _server(a).operations.sockets_join("/", BroadcastOptions(), "lobby")
    bus.flush()
    assert _server(a).operations.rooms(ann_id) == {ann_id, "lobby"}
    assert _server(b).operations.rooms(ben_id) == {ben_id, "lobby"}


def test_sockets_join_selects_on_the_other_node_too(a, b, bus):
    (_, ben_id), (_, cat_id) = _client(b), _client(b)
    _server(a).operations.sockets_join("/", _room(cat_id), ["vip"])
    bus.flush()
    assert _server(b).operations.rooms(ben_id) == {ben_id}
    assert _server(b).operations.rooms(cat_id) == {cat_id, "vip"}


def test_sockets_leave_on_one_node_empties_the_room_on_the_other(a, b, bus):
    _, ben_id = _client(b)
    _server(b).operations.join(ben_id, ["red", "blue"])
    _server(a).operations.sockets_leave("/", _room("red"), "red")
    bus.flush()
    assert _server(b).operations.rooms(ben_id) == {ben_id, "blue"}


def test_local_sockets_join_does_not_travel(a, b, bus):
    _, ben_id = _client(b)
    _server(a).operations.sockets_join("/", BroadcastOptions(local=True), "lobby")
    bus.flush()
    assert _server(b).operations.rooms(ben_id) == {ben_id}


def test_disconnect_sockets_disconnects_on_every_node(a, b, bus):
    (_, ann_id), (_, ben_id) = _client(a), _client(b)
    _server(a).operations.disconnect_sockets("/")
    bus.flush()
    for harness, socket_id in ((a, ann_id), (b, ben_id)):
        (gone,) = harness.events_of(SocketDisconnected)
        assert (gone.socket_id, gone.reason) == (
            socket_id,
            DisconnectReason.SERVER_NAMESPACE_DISCONNECT,
        )


def test_disconnect_sockets_with_close_closes_the_other_nodes_connections(a, b, bus):
    ben, _ = _client(b)
    _server(a).operations.disconnect_sockets("/", close=True)
    bus.flush()
    assert ben.engine.ws.closed


# -- fetch_sockets ------------------------------------------------------------------------------


def test_fetch_sockets_merges_local_and_remote_snapshots(a, b, bus):
    (_, ann_id), (_, ben_id) = _client(a), _client(b)
    _server(b).operations.join(ben_id, "red")
    _server(b).socket(ben_id).data = {"user": "ben", "avatar": b"\x89PNG"}
    request_id = _server(a).operations.request_fetch_sockets("/")
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert (done.request_id, done.timed_out) == (request_id, False)
    assert [s.id for s in done.sockets] == [ann_id, ben_id]
    remote = done.sockets[1]
    assert remote.rooms == {ben_id, "red"}
    assert remote.data == {"user": "ben", "avatar": b"\x89PNG"}
    assert remote.handshake == _server(b).socket(ben_id).handshake


def test_fetch_sockets_selects_on_every_node(a, b, bus):
    (_, ann_id), (_, ben_id), _ = _client(a), _client(b), _client(b)
    _server(a).operations.join(ann_id, "red")
    _server(b).operations.join(ben_id, "red")
    _server(a).operations.request_fetch_sockets("/", _room("red"))
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert [s.id for s in done.sockets] == [ann_id, ben_id]


def test_local_fetch_sockets_completes_at_once_without_travelling(a, b, bus):
    _, ann_id = _client(a)
    _client(b)
    _server(a).operations.request_fetch_sockets("/", BroadcastOptions(local=True))
    a.pump()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert [s.id for s in done.sockets] == [ann_id]
    assert a.events_of(ClusterMessageReady) == []


def test_fetch_sockets_times_out_with_what_arrived_when_a_node_is_silent(a, b, bus):
    _, ann_id = _client(a)
    _client(b)
    _server(a).cluster_peers = 1
    bus.silent.add("b")
    _server(a).operations.request_fetch_sockets("/", timeout=2.0)
    bus.flush()
    a.advance(1.9)
    assert a.events_of(ClusterFetchCompleted) == []
    a.advance(0.1)
    (done,) = a.events_of(ClusterFetchCompleted)
    assert done.timed_out
    assert [s.id for s in done.sockets] == [ann_id]


def test_fetch_sockets_with_an_unknown_peer_count_waits_for_its_deadline(a, b, bus):
    _client(a), _client(b)
    _server(a).cluster_peers = None
    _server(a).operations.request_fetch_sockets("/", timeout=1.0)
    bus.flush()
    assert a.events_of(ClusterFetchCompleted) == []
    a.advance(1.0)
    (done,) = a.events_of(ClusterFetchCompleted)
    assert (len(done.sockets), done.timed_out) == (2, False)


def test_fetch_sockets_of_a_single_node_completes_at_once():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    _, socket_id = _client(harness)
    _server(harness).operations.request_fetch_sockets("/")
    harness.pump()
    (done,) = harness.events_of(ClusterFetchCompleted)
    assert ([s.id for s in done.sockets], done.timed_out) == ([socket_id], False)
    assert harness.events_of(ClusterMessageReady) == []


# -- server_side_emit ---------------------------------------------------------------------------


def test_server_side_emit_reaches_the_other_nodes_only(a, b, bus):
    c = _node("c", 2)
    bus = Bus([a, b, c])
    _server(a).operations.server_side_emit("/", "reload", ["config", b"\x01"])
    bus.flush()
    assert a.events_of(ServerSideEmitReceived) == []
    for harness in (b, c):
        assert harness.events_of(ServerSideEmitReceived) == [
            ServerSideEmitReceived(nsp="/", event="reload", args=("config", b"\x01"), origin="a")
        ]


def test_server_side_emit_with_ack_collects_one_answer_per_node(a, b, bus):
    c = _node("c", 2)
    bus = Bus([a, b, c])
    _server(a).cluster_peers = 2
    request_id = _server(a).operations.server_side_emit("/", "load?", with_ack=True)
    bus.flush()
    for harness, load in ((b, 0.5), (c, 0.25)):
        (asked,) = harness.events_of(ServerSideEmitReceived)
        assert asked.ack_id is not None
        _server(harness).operations.server_side_ack(asked.ack_id, [load])
        harness.pump()
    bus.flush()
    assert a.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(
            request_id=request_id, responses=((0.5,), (0.25,)), timed_out=False
        )
    ]


def test_server_side_emit_with_ack_times_out_when_a_node_does_not_answer(a, b, bus):
    request_id = _server(a).operations.server_side_emit("/", "load?", with_ack=True, timeout=3.0)
    bus.flush()
    a.advance(3.0)
    assert a.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(request_id=request_id, responses=(), timed_out=True)
    ]


def test_server_side_ack_is_given_once(a, b, bus):
    _server(a).operations.server_side_emit("/", "load?", with_ack=True)
    bus.flush()
    (asked,) = b.events_of(ServerSideEmitReceived)
    _server(b).operations.server_side_ack(asked.ack_id, [1])
    with pytest.raises(LocalProtocolError):
        _server(b).operations.server_side_ack(asked.ack_id, [2])


def test_server_side_emit_with_ack_on_a_single_node_ends_at_once_empty():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    request_id = _server(harness).operations.server_side_emit("/", "load?", with_ack=True)
    harness.pump()
    assert harness.events_of(ServerSideEmitAcksCollected) == [
        ServerSideEmitAcksCollected(request_id=request_id, responses=(), timed_out=False)
    ]


def test_a_late_answer_is_ignored(a, b, bus):
    _server(a).operations.server_side_emit("/", "load?", with_ack=True, timeout=1.0)
    bus.flush()
    a.advance(1.0)
    (asked,) = b.events_of(ServerSideEmitReceived)
    _server(b).operations.server_side_ack(asked.ack_id, ["late"])
    b.pump()
    bus.flush()
    assert len(a.events_of(ServerSideEmitAcksCollected)) == 1


# -- broadcasts with acks -----------------------------------------------------------------------


def _ack_all(client: SocketIOClient, *args: object) -> None:
    client.harness.pump()
    for packet in client.received():
        if packet.type is PacketType.EVENT and packet.id is not None:
            client.ack(packet.id, *args)


def test_broadcast_with_ack_collects_answers_from_every_node(a, b, bus):
    (ann, _), (ben, _), (cat, _) = _client(a), _client(b), _client(b)
    broadcast_id = _server(a).operations.broadcast("/", "vote?", timeout=5.0)
    bus.flush()
    for client, vote in ((ann, "yes"), (ben, "no"), (cat, "yes")):
        _ack_all(client, vote)
        bus.flush()
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.broadcast_id, done.timed_out) == (broadcast_id, False)
    assert sorted(done.responses) == [("no",), ("yes",), ("yes",)]


def test_broadcast_with_ack_waits_for_the_other_nodes_count(a, b, bus):
    ann, _ = _client(a)
    _server(a).operations.broadcast("/", "vote?", timeout=5.0)
    _ack_all(ann, "yes")
    assert a.events_of(BroadcastAcksCollected) == []
    bus.flush()
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("yes",),), False)


def test_broadcast_with_ack_times_out_when_a_node_is_silent(a, b, bus):
    ann, _ = _client(a)
    _client(b)
    bus.silent.add("b")
    _server(a).operations.broadcast("/", "vote?", timeout=2.0)
    bus.flush()
    _ack_all(ann, "yes")
    a.advance(2.0)
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("yes",),), True)


def test_broadcast_with_ack_times_out_when_a_remote_client_is_silent(a, b, bus):
    (ben, _), _ = _client(b), _client(b)
    _server(a).operations.broadcast("/", "vote?", timeout=2.0)
    bus.flush()
    _ack_all(ben, "no")
    bus.flush()
    a.advance(2.0)
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("no",),), True)


def test_a_remote_node_stops_relaying_answers_after_the_timeout(a, b, bus):
    ben, _ = _client(b)
    _server(a).operations.broadcast("/", "vote?", timeout=2.0)
    bus.flush()
    b.advance(2.0)
    published = len(b.events_of(ClusterMessageReady))
    _ack_all(ben, "late")
    assert len(b.events_of(ClusterMessageReady)) == published


def test_broadcast_acks_of_a_local_broadcast_do_not_wait_for_other_nodes(a, b, bus):
    ann, _ = _client(a)
    _server(a).operations.broadcast("/", "vote?", [], BroadcastOptions(local=True), timeout=5.0)
    _ack_all(ann, "yes")
    (done,) = a.events_of(BroadcastAcksCollected)
    assert (done.responses, done.timed_out) == ((("yes",),), False)


# -- what a node refuses or ignores ---------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00\x00\x00\x02{}", b"\x00\x00\x00\x0242", b"\xff" * 9, b"\x00\x00\x00\x09" + b"x"],
)
def test_a_garbage_cluster_message_is_rejected_without_effect(b, garbage):
    ben, _ = _client(b)
    _server(b).receive_cluster_message(garbage, 0.0)
    b.pump()
    (rejected,) = b.events_of(ClusterMessageRejected)
    assert rejected.reason
    assert ben.received() == []
    assert b.events_of(ClusterMessageReady) == []


def test_a_message_from_this_node_itself_is_ignored(a):
    ann, _ = _client(a)
    _server(a).operations.broadcast("/", "echo")
    a.pump()
    (published,) = a.events_of(ClusterMessageReady)
    assert _events(ann) == [["echo"]]
    _server(a).receive_cluster_message(published.message, 0.0)
    a.pump()
    assert _events(ann) == []


def test_a_response_meant_for_another_node_is_ignored(a):
    request_id = _server(a).operations.request_fetch_sockets("/")
    stray = cluster.FetchSocketsResponse(
        uid="b", nsp="/", to="c", request_id=request_id, sockets=()
    )
    _server(a).receive_cluster_message(cluster.encode(stray), 0.0)
    a.pump()
    assert a.events_of(ClusterFetchCompleted) == []


def test_a_second_answer_from_the_same_node_is_ignored(a):
    _server(a).cluster_peers = 2
    request_id = _server(a).operations.request_fetch_sockets("/")
    answer = cluster.FetchSocketsResponse(
        uid="b", nsp="/", to="a", request_id=request_id, sockets=()
    )
    for _ in range(2):
        _server(a).receive_cluster_message(cluster.encode(answer), 0.0)
    a.pump()
    assert a.events_of(ClusterFetchCompleted) == []


def test_receiving_a_cluster_message_without_a_node_id_is_a_local_error():
    server = SocketServer(id_generator=CountingIds())
    with pytest.raises(LocalProtocolError):
        server.receive_cluster_message(b"", 0.0)


def test_a_single_node_publishes_nothing():
    harness = Harness(SocketServer(id_generator=CountingIds()))
    _client(harness)
    server = _server(harness)
    server.operations.broadcast("/", "hi", timeout=1.0)
    server.operations.sockets_join("/", BroadcastOptions(), "red")
    server.operations.server_side_emit("/", "hi")
    server.operations.disconnect_sockets("/")
    harness.pump()
    assert harness.events_of(ClusterMessageReady) == []


def test_the_published_request_says_what_was_asked(a):
    _server(a).operations.sockets_join("/", _room("red"), ["blue", "green"])
    a.pump()
    (published,) = a.events_of(ClusterMessageReady)
    assert published.target is None
    assert cluster.decode(published.message) == cluster.SocketsJoin(
        uid="a", nsp="/", options=_room("red"), rooms=("blue", "green")
    )


def test_a_response_is_published_for_its_requester_only(a, b, bus):
    _server(a).operations.request_fetch_sockets("/")
    bus.flush()
    (response,) = b.events_of(ClusterMessageReady)
    assert response.target == "a"
    assert isinstance(cluster.decode(response.message), cluster.FetchSocketsResponse)


def test_an_unencodable_event_is_refused_before_anything_is_sent(a):
    ann, _ = _client(a)
    with pytest.raises(LocalProtocolError):
        _server(a).operations.broadcast("/", "bad", [object()])
    a.pump()
    assert a.events_of(ClusterMessageReady) == []
    assert _events(ann) == []
