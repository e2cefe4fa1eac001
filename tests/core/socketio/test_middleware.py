"""The middleware decision point: a socket waits in SocketConnecting until accept or reject."""

from __future__ import annotations

import pytest

from sio_core.errors import LocalProtocolError
from sio_core.events import SocketConnected, SocketConnecting, SocketDisconnected


def _pending(peer, nsp="/", auth=None):
    (connecting,) = [e for e in peer.ask(nsp, auth) if isinstance(e, SocketConnecting)]
    return connecting.socket_id


def test_connect_waits_for_a_decision(peer):
    socket_id = _pending(peer)
    assert peer.server.is_pending(socket_id)
    assert not peer.server.is_connected(socket_id)
    assert peer.wire() == []


def test_pending_socket_is_not_in_any_room(peer):
    socket_id = _pending(peer)
    assert peer.server.operations.rooms(socket_id) == frozenset()
    assert list(peer.server.operations.fetch_sockets("/")) == []


def test_accept_sends_connect_and_reports_connected(peer):
    socket_id = _pending(peer)
    peer.server.accept(socket_id)
    peer.server.release(socket_id)
    peer.harness.pump()
    assert peer.wire() == [f'0{{"sid":"{socket_id}"}}']
    assert peer.harness.app_events[-1] == SocketConnected(socket_id=socket_id, nsp="/")


def test_reject_sends_connect_error_with_message(peer):
    socket_id = _pending(peer)
    peer.server.reject(socket_id, "not authorized")
    peer.harness.pump()
    assert peer.wire() == ['4{"message":"not authorized"}']


def test_reject_sends_connect_error_with_message_and_data(peer):
    socket_id = _pending(peer)
    peer.server.reject(socket_id, "not authorized", {"retry": False, "code": 7})
    peer.harness.pump()
    assert peer.wire() == ['4{"message":"not authorized","data":{"retry":false,"code":7}}']


def test_reject_in_custom_namespace_prefixes_namespace(peer):
    peer.server.namespaces.add("/admin")
    socket_id = _pending(peer, "/admin")
    peer.server.reject(socket_id, "no")
    peer.harness.pump()
    assert peer.wire() == ['4/admin,{"message":"no"}']


def test_rejected_socket_is_forgotten(peer):
    socket_id = _pending(peer)
    peer.server.reject(socket_id, "no")
    assert not peer.server.is_pending(socket_id)
    assert not peer.server.is_connected(socket_id)
    assert peer.server.socket(socket_id) is None


def test_reject_reports_no_socket_event(peer):
    socket_id = _pending(peer)
    before = len(peer.harness.app_events)
    peer.server.reject(socket_id, "no")
    peer.harness.pump()
    assert peer.harness.app_events[before:] == []


def test_reject_keeps_the_connection_open(peer):
    socket_id = _pending(peer)
    peer.server.reject(socket_id, "no")
    peer.harness.pump()
    peer.wire()
    assert not peer.closed_by_server
    assert peer.server.is_connected(peer.connect("/"))


def test_accept_unknown_socket_raises(server):
    with pytest.raises(LocalProtocolError):
        server.accept("nobody")


def test_reject_unknown_socket_raises(server):
    with pytest.raises(LocalProtocolError):
        server.reject("nobody", "no")


def test_accept_twice_raises(peer):
    socket_id = _pending(peer)
    peer.server.accept(socket_id)
    with pytest.raises(LocalProtocolError):
        peer.server.accept(socket_id)


def test_reject_after_accept_raises(peer):
    socket_id = _pending(peer)
    peer.server.accept(socket_id)
    with pytest.raises(LocalProtocolError):
        peer.server.reject(socket_id, "no")


def test_accept_after_reject_raises(peer):
    socket_id = _pending(peer)
    peer.server.reject(socket_id, "no")
    with pytest.raises(LocalProtocolError):
        peer.server.accept(socket_id)


def test_pending_socket_of_closed_connection_is_not_pending(peer):
    socket_id = _pending(peer)
    peer.server.close_all()
    peer.harness.pump()
    assert not peer.server.is_pending(socket_id)


def test_pending_socket_of_closed_connection_is_dropped_silently(peer):
    socket_id = _pending(peer)
    before = len(peer.harness.app_events)
    peer.send_engine("1")  # the client closes its Engine.IO connection
    socket_events = [e for e in peer.harness.app_events[before:] if hasattr(e, "socket_id")]
    assert socket_events == []
    assert not peer.server.is_pending(socket_id)
    with pytest.raises(LocalProtocolError):
        peer.server.accept(socket_id)


def test_decision_after_connection_closed_raises_and_reports_nothing(peer):
    socket_id = _pending(peer)
    peer.send_engine("1")
    before = len(peer.harness.app_events)
    with pytest.raises(LocalProtocolError):
        peer.server.reject(socket_id, "too late")
    peer.harness.pump()
    assert peer.harness.app_events[before:] == []


def test_event_for_a_pending_namespace_closes_the_connection(peer):
    socket_id = _pending(peer)
    peer.io.emit("early")
    assert not peer.server.is_pending(socket_id)
    assert peer.closed_by_server
    assert not [e for e in peer.harness.app_events if isinstance(e, SocketDisconnected)]


def test_pending_sockets_of_several_namespaces_are_decided_independently(peer):
    peer.server.namespaces.add("/a")
    main = _pending(peer, "/")
    other = _pending(peer, "/a")
    peer.server.reject(other, "no")
    peer.server.accept(main)
    peer.server.release(main)
    peer.harness.pump()
    assert peer.wire() == ['4/a,{"message":"no"}', f'0{{"sid":"{main}"}}']
