"""Every way a socket leaves, each with Node's reason, in Node's order, exactly once.

The order is ``SocketDisconnecting`` (its rooms still listed) then ``SocketDisconnected``, with
the rooms left in between; no trigger, however repeated or combined, reports a socket twice.
"""

from __future__ import annotations

import pytest

from sio_core.errors import DisconnectReason, LocalProtocolError
from sio_core.events import (
    SessionClosed,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
)

R = DisconnectReason
LEAVING = (SocketErrored, SocketDisconnecting, SocketDisconnected)


def _leaving(harness, socket_id):
    """What was reported about the socket leaving, in order."""
    return [e for e in harness.app_events if isinstance(e, LEAVING) and e.socket_id == socket_id]


def _in_room(peer):
    """A peer's socket in ``/`` that joined ``room-a``; returns its id."""
    socket_id = peer.connect()
    peer.server.operations.join(socket_id, "room-a")
    return socket_id


# -- the triggers, one per reason ------------------------------------------------------------


def _server_disconnect(peer, socket_id):
    peer.server.disconnect(socket_id)
    peer.harness.pump()


def _server_disconnect_close(peer, socket_id):
    peer.server.disconnect(socket_id, close=True)
    peer.harness.pump()


def _client_disconnect(peer, socket_id):
    peer.io.disconnect()


def _close_all(peer, socket_id):
    peer.server.close_all()
    peer.harness.pump()


def _ping_timeout(peer, socket_id):
    peer.harness.advance(45.0)  # ping at 25 s unanswered, pong due by 45 s


def _transport_close(peer, socket_id):
    if peer.transport == "websocket":
        peer.harness.ws_close(peer.io.engine.ws)
    else:
        peer.send_engine("1")  # the client's Engine.IO close packet


def _transport_error(peer, socket_id):
    if peer.transport == "websocket":
        peer.harness.ws_close(peer.io.engine.ws, error=True)
    else:
        peer.abort_held_get()


def _parse_error(peer, socket_id):
    peer.send_engine("x")


def _decode_error(peer, socket_id):
    peer.send("4{")


def _event_name_neither_string_nor_number(peer, socket_id):
    peer.send("2[true,2]")


def _event_for_namespace_not_joined(peer, socket_id):
    peer.send('2/elsewhere,["hello"]')


def _connect_again(peer, socket_id):
    peer.send("0")


def _connect_error_from_client(peer, socket_id):
    peer.send('4{"message":"no"}')


def _ack_for_namespace_not_joined(peer, socket_id):
    peer.send("3/elsewhere,1[]")


TRIGGERS = [
    pytest.param(_server_disconnect, R.SERVER_NAMESPACE_DISCONNECT, id="server-disconnect"),
    pytest.param(_server_disconnect_close, R.SERVER_NAMESPACE_DISCONNECT, id="server-close"),
    pytest.param(_client_disconnect, R.CLIENT_NAMESPACE_DISCONNECT, id="client-disconnect"),
    pytest.param(_close_all, R.SERVER_SHUTTING_DOWN, id="close-all"),
    pytest.param(_ping_timeout, R.PING_TIMEOUT, id="ping-timeout"),
    pytest.param(_transport_close, R.TRANSPORT_CLOSE, id="transport-close"),
    pytest.param(_transport_error, R.TRANSPORT_ERROR, id="transport-error"),
    pytest.param(_parse_error, R.PARSE_ERROR, id="parse-error"),
    pytest.param(_decode_error, R.FORCED_CLOSE, id="decode-error"),
    pytest.param(
        _event_name_neither_string_nor_number, R.FORCED_CLOSE, id="event-name-not-string-or-number"
    ),
    pytest.param(_event_for_namespace_not_joined, R.FORCED_SERVER_CLOSE, id="not-joined"),
    pytest.param(_ack_for_namespace_not_joined, R.FORCED_SERVER_CLOSE, id="ack-not-joined"),
    pytest.param(_connect_again, R.FORCED_SERVER_CLOSE, id="connect-again"),
    pytest.param(_connect_error_from_client, R.FORCED_SERVER_CLOSE, id="client-connect-error"),
]
DECODE_ERRORS = {_decode_error, _event_name_neither_string_nor_number}


@pytest.mark.parametrize(("trigger", "reason"), TRIGGERS)
def test_socket_leaves_with_reason_disconnecting_then_disconnected(peer, trigger, reason):
    socket_id = _in_room(peer)
    trigger(peer, socket_id)
    leaving = [e for e in _leaving(peer.harness, socket_id) if not isinstance(e, SocketErrored)]
    assert leaving == [
        SocketDisconnecting(
            socket_id=socket_id, nsp="/", reason=reason, rooms=frozenset({socket_id, "room-a"})
        ),
        SocketDisconnected(socket_id=socket_id, nsp="/", reason=reason),
    ]


@pytest.mark.parametrize(("trigger", "reason"), TRIGGERS)
def test_socket_is_out_of_every_room_after_leaving(peer, trigger, reason):
    socket_id = _in_room(peer)
    trigger(peer, socket_id)
    adapter = peer.server.namespaces.get("/").adapter
    assert peer.server.operations.rooms(socket_id) == frozenset()
    assert adapter.rooms == {}
    assert adapter.sids == {}
    assert not peer.server.is_connected(socket_id)
    assert peer.server.socket(socket_id) is None


@pytest.mark.parametrize(("trigger", "reason"), TRIGGERS)
def test_socket_leaves_exactly_once_whatever_follows(peer, trigger, reason):
    socket_id = _in_room(peer)
    trigger(peer, socket_id)
    first = list(_leaving(peer.harness, socket_id))
    for again in (_client_disconnect, _close_all, _ping_timeout, _decode_error):
        again(peer, socket_id)
    peer.harness.advance(100.0)
    assert _leaving(peer.harness, socket_id) == first


@pytest.mark.parametrize(("trigger", "reason"), TRIGGERS)
def test_socket_errored_only_on_decode_error_and_before_leaving(peer, trigger, reason):
    socket_id = _in_room(peer)
    trigger(peer, socket_id)
    kinds = [type(e) for e in _leaving(peer.harness, socket_id)]
    if trigger in DECODE_ERRORS:
        assert kinds == [SocketErrored, SocketDisconnecting, SocketDisconnected]
    else:
        assert kinds == [SocketDisconnecting, SocketDisconnected]


# -- what each reason does on the wire ----------------------------------------------------


def test_server_disconnect_sends_disconnect_packet(peer):
    socket_id = peer.connect()
    _server_disconnect(peer, socket_id)
    assert peer.wire() == ["1"]


def test_server_disconnect_in_custom_namespace_sends_prefixed_packet(peer):
    peer.server.namespaces.add("/admin")
    socket_id = peer.connect("/admin")
    _server_disconnect(peer, socket_id)
    assert peer.wire() == ["1/admin,"]


def test_server_disconnect_keeps_the_connection_and_other_namespaces(peer):
    peer.server.namespaces.add("/admin")
    main = peer.connect("/")
    admin = peer.connect("/admin")
    _server_disconnect(peer, admin)
    assert peer.server.is_connected(main)
    assert not peer.closed_by_server


def test_server_disconnect_twice_raises(peer):
    socket_id = peer.connect()
    _server_disconnect(peer, socket_id)
    with pytest.raises(LocalProtocolError):
        peer.server.disconnect(socket_id)


def test_server_disconnect_of_unknown_socket_raises(server):
    with pytest.raises(LocalProtocolError):
        server.disconnect("nobody")


def test_server_disconnect_close_disconnects_every_namespace_then_closes(peer):
    peer.server.namespaces.add("/admin")
    main = peer.connect("/")
    admin = peer.connect("/admin")
    _server_disconnect_close(peer, admin)
    assert peer.wire() == ["1", "1/admin,"]
    assert peer.closed_by_server
    assert [type(e) for e in _leaving(peer.harness, main)] == [
        SocketDisconnecting,
        SocketDisconnected,
    ]
    assert _leaving(peer.harness, main)[-1].reason is R.SERVER_NAMESPACE_DISCONNECT


def test_server_disconnect_close_ends_the_session_after_the_sockets(peer):
    socket_id = peer.connect()
    _server_disconnect_close(peer, socket_id)
    kinds = [
        type(e)
        for e in peer.harness.app_events
        if isinstance(e, SessionClosed | SocketDisconnected)
    ]
    assert kinds == [SocketDisconnected, SessionClosed]


def test_client_disconnect_sends_nothing_and_keeps_the_connection(peer):
    socket_id = peer.connect()
    _client_disconnect(peer, socket_id)
    assert peer.wire() == []
    assert not peer.closed_by_server


def test_client_disconnect_of_one_namespace_keeps_the_others(peer):
    peer.server.namespaces.add("/admin")
    main = peer.connect("/")
    admin = peer.connect("/admin")
    peer.io.disconnect("/admin")
    assert _leaving(peer.harness, admin)[-1].reason is R.CLIENT_NAMESPACE_DISCONNECT
    assert _leaving(peer.harness, main) == []


def test_close_all_disconnects_every_socket_of_every_client(new_peer):
    first, second = new_peer(), new_peer("polling")
    first.server.namespaces.add("/admin")
    ids = [first.connect("/"), first.connect("/admin"), second.connect("/")]
    _close_all(first, ids[0])
    reasons = [_leaving(first.harness, i)[-1].reason for i in ids]
    assert reasons == [R.SERVER_SHUTTING_DOWN] * 3
    assert first.closed_by_server
    assert second.closed_by_server


def test_close_all_sends_no_disconnect_packet(peer):
    """Node's ``io.close()`` runs each socket's close without a DISCONNECT packet."""
    socket_id = peer.connect()
    _close_all(peer, socket_id)
    assert peer.wire() == []


def test_ping_timeout_does_not_fire_when_pongs_come(peer):
    socket_id = peer.connect()
    peer.harness.advance(25.0)
    peer.answer_ping()
    peer.harness.advance(25.0)
    peer.answer_ping()
    peer.harness.advance(19.0)
    assert peer.server.is_connected(socket_id)


def test_ping_timeout_fires_at_interval_plus_timeout(peer):
    socket_id = peer.connect()
    peer.harness.advance(44.9)
    assert peer.server.is_connected(socket_id)
    peer.harness.advance(0.1)
    assert not peer.server.is_connected(socket_id)


def test_parse_error_closes_the_connection(peer):
    socket_id = peer.connect()
    _parse_error(peer, socket_id)
    assert peer.server.connections.sids == []


@pytest.mark.parametrize("trigger", [_decode_error, _event_name_neither_string_nor_number])
def test_decode_error_errors_every_socket_of_the_connection_first(peer, trigger):
    peer.server.namespaces.add("/admin")
    main = peer.connect("/")
    admin = peer.connect("/admin")
    before = len(peer.harness.app_events)
    trigger(peer, main)
    kinds = [
        (type(e), e.socket_id) for e in peer.harness.app_events[before:] if isinstance(e, LEAVING)
    ]
    errored = kinds[:2]
    assert sorted(errored) == sorted([(SocketErrored, main), (SocketErrored, admin)])
    assert {k for k, _ in kinds[2:]} == {SocketDisconnecting, SocketDisconnected}


@pytest.mark.parametrize("trigger", [_decode_error, _event_name_neither_string_nor_number])
def test_decode_error_closes_the_connection(peer, trigger):
    socket_id = peer.connect()
    trigger(peer, socket_id)
    assert peer.closed_by_server


def test_event_for_namespace_not_joined_closes_every_socket_of_the_connection(peer):
    peer.server.namespaces.add("/admin")
    main = peer.connect("/")
    admin = peer.connect("/admin")
    _event_for_namespace_not_joined(peer, main)
    reasons = [_leaving(peer.harness, i)[-1].reason for i in (main, admin)]
    assert reasons == [R.FORCED_SERVER_CLOSE] * 2
    assert peer.closed_by_server


def test_no_namespace_within_connect_timeout_closes_the_connection(peer):
    peer.harness.advance(25.0)
    peer.answer_ping()  # keep Engine.IO alive: only the connect timeout may end it
    peer.harness.advance(19.9)
    assert peer.server.connections.sids == [peer.sid]
    peer.harness.advance(0.1)
    assert peer.server.connections.sids == []
    assert peer.closed_by_server


def test_connect_timeout_drops_a_pending_socket_silently(peer):
    (connecting,) = [e for e in peer.ask("/") if isinstance(e, SocketConnecting)]
    peer.harness.advance(25.0)
    peer.answer_ping()
    peer.harness.advance(20.0)
    assert not peer.server.is_pending(connecting.socket_id)
    assert _leaving(peer.harness, connecting.socket_id) == []
    assert peer.closed_by_server


def test_connect_timeout_is_cancelled_by_joining_a_namespace(peer):
    socket_id = peer.connect()
    peer.harness.advance(25.0)
    peer.answer_ping()
    peer.harness.advance(25.0)
    peer.answer_ping()
    assert peer.server.is_connected(socket_id)


def test_connect_timeout_spares_a_connection_that_left_its_namespace(peer):
    """Node clears the connect timer at the first join; leaving later does not restart it."""
    socket_id = peer.connect()
    peer.io.disconnect()
    peer.harness.advance(25.0)
    peer.answer_ping()
    peer.harness.advance(25.0)
    assert peer.server.connections.sids == [peer.sid]
    assert _leaving(peer.harness, socket_id)[-1].reason is R.CLIENT_NAMESPACE_DISCONNECT


def test_session_closed_reports_engine_reason_once(peer):
    peer.connect()
    _transport_close(peer, None)
    closed = [e for e in peer.harness.app_events if isinstance(e, SessionClosed)]
    assert [e.reason for e in closed] == [R.TRANSPORT_CLOSE]


# -- the connection under the sockets -------------------------------------------------------


def test_close_ends_every_socket_of_the_connection_with_forced_close(peer):
    peer.server.namespaces.add("/admin")
    main, admin = peer.connect("/"), peer.connect("/admin")
    peer.server.connections.close(peer.sid)
    peer.harness.pump()
    reasons = [_leaving(peer.harness, i)[-1].reason for i in (main, admin)]
    assert reasons == [R.FORCED_CLOSE] * 2
    assert peer.closed_by_server


def test_close_of_a_connection_already_gone_does_nothing(peer):
    peer.connect()
    peer.server.connections.close(peer.sid)
    peer.harness.pump()
    before = len(peer.harness.app_events)
    peer.server.connections.close(peer.sid)
    peer.harness.pump()
    assert len(peer.harness.app_events) == before


def test_transport_of_names_the_connection_transport_until_it_is_gone(peer):
    peer.connect()
    assert peer.server.connections.transport_of(peer.sid) == peer.transport
    peer.server.connections.close(peer.sid)
    peer.harness.pump()
    assert peer.closed_by_server
    assert peer.server.connections.transport_of(peer.sid) is None
