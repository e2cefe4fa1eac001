"""Server utilities with the broadcast operators in front: fetch, join, leave, disconnect."""

from __future__ import annotations

import pytest

from sio_core import BroadcastOptions
from sio_core.errors import DisconnectReason, LocalProtocolError
from sio_core.events import SocketDisconnected

RESERVED = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
]


def _peers(new_peer, count):
    peers = [new_peer("websocket" if i % 2 == 0 else "polling") for i in range(count)]
    return peers, [p.connect() for p in peers]


def _options(**fields):
    return BroadcastOptions(**{k: frozenset(v) for k, v in fields.items()})


def _disconnected(harness):
    return [e.socket_id for e in harness.app_events if isinstance(e, SocketDisconnected)]


def test_fetch_sockets_returns_every_socket_of_the_namespace(new_peer):
    peers, ids = _peers(new_peer, 3)
    assert [s.id for s in peers[0].server.operations.fetch_sockets("/")] == ids


def test_fetch_sockets_snapshot_carries_id_nsp_handshake_rooms_data(new_peer):
    peers, (socket_id,) = _peers(new_peer, 1)
    server = peers[0].server
    server.operations.join(socket_id, "lobby")
    server.socket(socket_id).data = {"user": "ada"}
    (snapshot,) = server.operations.fetch_sockets("/")
    assert snapshot.id == socket_id
    assert snapshot.nsp == "/"
    assert snapshot.handshake is server.socket(socket_id).handshake
    assert snapshot.rooms == {socket_id, "lobby"}
    assert snapshot.data == {"user": "ada"}


def test_fetch_sockets_is_a_snapshot_not_a_live_view(new_peer):
    peers, (socket_id,) = _peers(new_peer, 1)
    server = peers[0].server
    (snapshot,) = server.operations.fetch_sockets("/")
    server.operations.join(socket_id, "later")
    assert snapshot.rooms == {socket_id}


def test_fetch_sockets_selects_by_rooms(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[0], "a")
    server.operations.join(ids[2], "b")
    selected = server.operations.fetch_sockets("/", _options(rooms={"a", "b"}))
    assert sorted(s.id for s in selected) == sorted([ids[0], ids[2]])


def test_fetch_sockets_excepts_rooms(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[1], "muted")
    assert [
        s.id for s in server.operations.fetch_sockets("/", _options(except_rooms={"muted"}))
    ] == [
        ids[0],
        ids[2],
    ]


def test_fetch_sockets_of_another_namespace_is_separate(new_peer):
    peers, _ = _peers(new_peer, 2)
    peers[0].server.namespaces.add("/a")
    assert peers[0].server.operations.fetch_sockets("/a") == []


def test_fetch_sockets_of_unknown_namespace_raises(server):
    with pytest.raises(LocalProtocolError):
        server.operations.fetch_sockets("/nowhere")


def test_sockets_join_adds_selected_sockets_to_rooms(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[0], "a")
    server.operations.join(ids[1], "a")
    server.operations.sockets_join("/", _options(rooms={"a"}), ["x", "y"])
    assert [server.operations.rooms(i) for i in ids] == [
        {ids[0], "a", "x", "y"},
        {ids[1], "a", "x", "y"},
        {ids[2]},
    ]


def test_sockets_join_with_no_rooms_selects_everyone(new_peer):
    peers, ids = _peers(new_peer, 2)
    server = peers[0].server
    server.operations.sockets_join("/", BroadcastOptions(), "all")
    assert [server.operations.rooms(i) for i in ids] == [{ids[0], "all"}, {ids[1], "all"}]


def test_sockets_join_single_socket_by_its_own_room(new_peer):
    peers, ids = _peers(new_peer, 2)
    server = peers[0].server
    server.operations.sockets_join("/", _options(rooms={ids[1]}), "vip")
    assert [server.operations.rooms(i) for i in ids] == [{ids[0]}, {ids[1], "vip"}]


def test_sockets_leave_removes_selected_sockets_from_rooms(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    for socket_id in ids:
        server.operations.join(socket_id, ["a", "b"])
    server.operations.sockets_leave("/", _options(except_rooms={ids[0]}), ["a", "b"])
    assert [server.operations.rooms(i) for i in ids] == [{ids[0], "a", "b"}, {ids[1]}, {ids[2]}]


def test_sockets_leave_single_room_name(new_peer):
    peers, ids = _peers(new_peer, 1)
    server = peers[0].server
    server.operations.join(ids[0], ["a", "b"])
    server.operations.sockets_leave("/", BroadcastOptions(), "a")
    assert server.operations.rooms(ids[0]) == {ids[0], "b"}


def test_sockets_leave_of_the_selecting_room_itself(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[0], "a")
    server.operations.join(ids[1], "a")
    server.operations.sockets_leave("/", _options(rooms={"a"}), "a")
    assert "a" not in server.namespaces.get("/").adapter.rooms


def test_disconnect_sockets_disconnects_selected_sockets(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[0], "a")
    server.operations.join(ids[2], "a")
    server.operations.disconnect_sockets("/", _options(rooms={"a"}))
    peers[0].harness.pump()
    assert sorted(_disconnected(peers[0].harness)) == sorted([ids[0], ids[2]])
    assert server.is_connected(ids[1])


def test_disconnect_sockets_sends_disconnect_and_keeps_connections(new_peer):
    peers, _ids = _peers(new_peer, 2)
    server = peers[0].server
    server.operations.disconnect_sockets("/")
    peers[0].harness.pump()
    assert [p.wire() for p in peers] == [["1"], ["1"]]
    assert not any(p.closed_by_server for p in peers)


def test_disconnect_sockets_reason_is_server_namespace_disconnect(new_peer):
    peers, _ids = _peers(new_peer, 1)
    peers[0].server.operations.disconnect_sockets("/")
    peers[0].harness.pump()
    (event,) = [e for e in peers[0].harness.app_events if isinstance(e, SocketDisconnected)]
    assert event.reason is DisconnectReason.SERVER_NAMESPACE_DISCONNECT


def test_disconnect_sockets_with_close_closes_the_connections(new_peer):
    peers, ids = _peers(new_peer, 2)
    server = peers[0].server
    server.operations.disconnect_sockets("/", _options(rooms={ids[1]}), close=True)
    peers[0].harness.pump()
    assert [p.closed_by_server for p in peers] == [False, True]


def test_disconnect_sockets_with_close_disconnects_other_namespaces_of_the_connection(new_peer):
    peers, ids = _peers(new_peer, 1)
    server = peers[0].server
    server.namespaces.add("/a")
    other = peers[0].connect("/a")
    server.operations.disconnect_sockets("/", close=True)
    peers[0].harness.pump()
    assert sorted(_disconnected(peers[0].harness)) == sorted([ids[0], other])


def test_disconnect_sockets_with_close_reports_each_socket_once(new_peer):
    peers, ids = _peers(new_peer, 2)
    server = peers[0].server
    server.namespaces.add("/a")
    others = [p.connect("/a") for p in peers]
    server.operations.disconnect_sockets("/", close=True)
    peers[0].harness.pump()
    assert sorted(_disconnected(peers[0].harness)) == sorted(ids + others)
    assert all(p.closed_by_server for p in peers)


def test_disconnect_sockets_with_nobody_selected_does_nothing(new_peer):
    peers, _ids = _peers(new_peer, 2)
    peers[0].server.operations.disconnect_sockets("/", _options(rooms={"empty"}))
    peers[0].harness.pump()
    assert _disconnected(peers[0].harness) == []


def test_server_side_emit_sends_nothing_on_one_node(new_peer):
    peers, _ = _peers(new_peer, 2)
    before = len(peers[0].harness.app_events)
    peers[0].server.operations.server_side_emit("/", "sync", [1])
    peers[0].harness.pump()
    assert [p.wire() for p in peers] == [[], []]
    assert peers[0].harness.app_events[before:] == []


@pytest.mark.parametrize("name", RESERVED)
def test_server_side_emit_refuses_reserved_names(server, name):
    with pytest.raises(LocalProtocolError, match="reserved"):
        server.operations.server_side_emit("/", name)


def test_server_side_emit_to_unknown_namespace_raises(server):
    with pytest.raises(LocalProtocolError):
        server.operations.server_side_emit("/nowhere", "sync")
