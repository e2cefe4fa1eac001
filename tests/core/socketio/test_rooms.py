"""Rooms: every socket sits in its own room; join and leave keep the adapter indexed both ways."""

from __future__ import annotations

import pytest

from sio_core.errors import LocalProtocolError


def _adapter(server, nsp="/"):
    return server.namespaces.get(nsp).adapter


def test_socket_is_in_its_own_room_on_connect(peer):
    socket_id = peer.connect()
    assert peer.server.operations.rooms(socket_id) == {socket_id}


def test_join_one_room(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "lobby")
    assert peer.server.operations.rooms(socket_id) == {socket_id, "lobby"}


def test_join_many_rooms_at_once(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, ["a", "b", "c"])
    assert peer.server.operations.rooms(socket_id) == {socket_id, "a", "b", "c"}


def test_join_same_room_twice_is_harmless(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "lobby")
    peer.server.operations.join(socket_id, "lobby")
    assert peer.server.operations.rooms(socket_id) == {socket_id, "lobby"}
    assert list(_adapter(peer.server).rooms["lobby"]) == [socket_id]


def test_leave_one_room(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, ["a", "b"])
    peer.server.operations.leave(socket_id, "a")
    assert peer.server.operations.rooms(socket_id) == {socket_id, "b"}


def test_leave_room_not_joined_is_harmless(peer):
    socket_id = peer.connect()
    peer.server.operations.leave(socket_id, "never")
    assert peer.server.operations.rooms(socket_id) == {socket_id}


def test_socket_can_leave_its_own_room(peer):
    socket_id = peer.connect()
    peer.server.operations.leave(socket_id, socket_id)
    assert peer.server.operations.rooms(socket_id) == frozenset()


def test_adapter_indexes_room_to_sockets(new_peer):
    first, second = new_peer(), new_peer("polling")
    a, b = first.connect(), second.connect()
    first.server.operations.join(a, "lobby")
    first.server.operations.join(b, "lobby")
    adapter = _adapter(first.server)
    assert adapter.rooms == {a: {a: None}, b: {b: None}, "lobby": {a: None, b: None}}


def test_adapter_indexes_socket_to_rooms(new_peer):
    first, second = new_peer(), new_peer("polling")
    a, b = first.connect(), second.connect()
    first.server.operations.join(a, ["x", "y"])
    adapter = _adapter(first.server)
    assert adapter.sids == {a: {a: None, "x": None, "y": None}, b: {b: None}}


def test_empty_room_disappears_from_adapter(peer):
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "lobby")
    peer.server.operations.leave(socket_id, "lobby")
    assert "lobby" not in _adapter(peer.server).rooms


def test_rooms_are_per_namespace(peer):
    peer.server.namespaces.add("/a")
    main = peer.connect("/")
    other = peer.connect("/a")
    peer.server.operations.join(main, "lobby")
    assert peer.server.operations.rooms(other) == {other}
    assert "lobby" not in _adapter(peer.server, "/a").rooms


def test_rooms_of_unknown_socket_is_empty(server):
    assert server.operations.rooms("nobody") == frozenset()


def test_join_unknown_socket_raises(server):
    with pytest.raises(LocalProtocolError):
        server.operations.join("nobody", "lobby")


def test_leave_unknown_socket_raises(server):
    with pytest.raises(LocalProtocolError):
        server.operations.leave("nobody", "lobby")


def test_join_pending_socket_raises(peer):
    (connecting,) = peer.ask("/")
    with pytest.raises(LocalProtocolError):
        peer.server.operations.join(connecting.socket_id, "lobby")


def test_join_after_disconnect_raises(peer):
    socket_id = peer.connect()
    peer.io.disconnect()
    with pytest.raises(LocalProtocolError):
        peer.server.operations.join(socket_id, "lobby")
