"""Room events: Node's adapter ``join-room`` and ``leave-room``, once ``watch_rooms()`` is on.

Every real change of membership is reported, whoever made it: a socket's own room as it
connects, a join or leave asked for, a utility over many sockets, a disconnection. What changes
nothing (a room joined twice, a room never joined left) reports nothing.
"""

from __future__ import annotations

from sio_core import BroadcastOptions
from sio_core.events import Event, RoomJoined, RoomLeft


def room_events(peer) -> list[Event]:
    """The room events the core reported so far."""
    peer.harness.pump()
    return [e for e in peer.harness.app_events if isinstance(e, RoomJoined | RoomLeft)]


def test_rooms_are_not_reported_unless_watched(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "lobby")
    peer.server.operations.leave(socket_id, "lobby")
    assert room_events(peer) == []


def test_a_connecting_socket_joins_its_own_room(peer):
    peer.server.operations.watch_rooms()
    socket_id = peer.connect()
    assert room_events(peer) == [RoomJoined(nsp="/", room=socket_id, socket_id=socket_id)]


def test_join_and_leave_are_reported_in_order(peer):
    socket_id = peer.connect()
    peer.server.operations.watch_rooms()
    peer.server.operations.join(socket_id, ["a", "b"])
    peer.server.operations.leave(socket_id, "a")
    assert room_events(peer) == [
        RoomJoined(nsp="/", room="a", socket_id=socket_id),
        RoomJoined(nsp="/", room="b", socket_id=socket_id),
        RoomLeft(nsp="/", room="a", socket_id=socket_id),
    ]


def test_what_changes_nothing_reports_nothing(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "a")
    peer.server.operations.watch_rooms()
    peer.server.operations.join(socket_id, "a")
    peer.server.operations.leave(socket_id, "never")
    assert room_events(peer) == []


def test_a_disconnection_leaves_every_room(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "lobby")
    peer.server.operations.watch_rooms()
    peer.server.disconnect(socket_id)
    assert sorted(e.room for e in room_events(peer)) == sorted([socket_id, "lobby"])
    assert all(isinstance(e, RoomLeft) and e.socket_id == socket_id for e in room_events(peer))


def test_utilities_over_many_sockets_are_reported(new_peer):
    first, second = new_peer(), new_peer("polling")
    a, b = first.connect(), second.connect()
    first.server.operations.watch_rooms()
    first.server.operations.sockets_join("/", BroadcastOptions(), ("hall",))
    assert room_events(first) == [
        RoomJoined(nsp="/", room="hall", socket_id=a),
        RoomJoined(nsp="/", room="hall", socket_id=b),
    ]


def test_a_namespace_made_after_watching_is_reported_too(peer):
    peer.server.operations.watch_rooms()
    peer.server.namespaces.add("/later")
    socket_id = peer.connect("/later")
    assert room_events(peer) == [RoomJoined(nsp="/later", room=socket_id, socket_id=socket_id)]


def test_watch_rooms_twice_reports_each_change_once(peer):
    peer.server.operations.watch_rooms()
    peer.server.operations.watch_rooms()
    socket_id = peer.connect()
    assert len(room_events(peer)) == 1
    assert room_events(peer)[0].socket_id == socket_id
