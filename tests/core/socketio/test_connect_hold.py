"""The CONNECT hold: from ``accept`` to ``release`` a socket's output waits, CONNECT first.

A backend releases the socket once its connection handlers have run up to their first await,
which is Node's order: the client learns it is connected only after that. What the server ends
while a socket is held still reaches the client, CONNECT first; what the client ends drops it.
"""

from __future__ import annotations

from sio_core import BroadcastOptions, DisconnectReason
from sio_core.events import SocketConnecting, SocketDisconnected


def _held(peer, nsp="/"):
    """A socket accepted but not released; nothing of it has left yet."""
    (connecting,) = [e for e in peer.ask(nsp) if isinstance(e, SocketConnecting)]
    peer.server.accept(connecting.socket_id)
    peer.harness.pump()
    return connecting.socket_id


def _connect(socket_id):
    return f'0{{"sid":"{socket_id}"}}'


def _release(peer, socket_id):
    peer.server.release(socket_id)
    peer.harness.pump()


def test_accept_holds_the_connect_reply_until_release(peer):
    socket_id = _held(peer)
    assert peer.server.is_connected(socket_id)
    assert peer.wire() == []
    _release(peer, socket_id)
    assert peer.wire() == [_connect(socket_id)]


def test_emits_to_a_held_socket_follow_its_connect_on_release(peer):
    socket_id = _held(peer)
    peer.server.emit(socket_id, "first")
    peer.server.emit(socket_id, "second")
    peer.harness.pump()
    assert peer.wire() == []
    _release(peer, socket_id)
    assert peer.wire() == [_connect(socket_id), '2["first"]', '2["second"]']


def test_an_ack_to_a_held_socket_waits_for_release(peer):
    socket_id = _held(peer)
    peer.io.emit("ping", ack_id=7)
    peer.server.ack(socket_id, 7, ["pong"])
    peer.harness.pump()
    assert peer.wire() == []
    _release(peer, socket_id)
    assert peer.wire() == [_connect(socket_id), '37["pong"]']


def test_a_broadcast_waits_for_the_held_socket_only(new_peer):
    free, held = new_peer(), new_peer()
    free.connect()
    socket_id = _held(held)
    free.server.operations.broadcast("/", "news")
    free.harness.pump()
    assert free.wire() == ['2["news"]']
    assert held.wire() == []
    _release(held, socket_id)
    assert held.wire() == [_connect(socket_id), '2["news"]']


def test_a_volatile_broadcast_to_a_held_websocket_waits_with_the_rest(new_peer):
    held = new_peer("websocket")
    socket_id = _held(held)
    held.server.operations.broadcast("/", "tick", options=BroadcastOptions(volatile=True))
    _release(held, socket_id)
    assert held.wire() == [_connect(socket_id), '2["tick"]']


def test_a_second_release_sends_nothing_more(peer):
    socket_id = _held(peer)
    _release(peer, socket_id)
    assert peer.wire() == [_connect(socket_id)]
    _release(peer, socket_id)
    assert peer.wire() == []


def test_release_before_accept_does_not_cancel_the_hold(peer):
    (connecting,) = [e for e in peer.ask() if isinstance(e, SocketConnecting)]
    _release(peer, connecting.socket_id)
    peer.server.accept(connecting.socket_id)
    peer.harness.pump()
    assert peer.wire() == []


def test_release_of_an_unknown_socket_does_nothing(peer):
    _release(peer, "nobody")
    assert peer.wire() == []


def test_server_disconnect_sends_the_held_connect_then_the_disconnect(peer):
    socket_id = _held(peer)
    peer.server.disconnect(socket_id)
    peer.harness.pump()
    assert peer.wire() == [_connect(socket_id), "1"]


def test_disconnect_sockets_sends_the_held_connect_then_the_disconnect(peer):
    socket_id = _held(peer)
    peer.server.operations.disconnect_sockets("/")
    peer.harness.pump()
    assert peer.wire() == [_connect(socket_id), "1"]


def test_closing_the_connection_sends_the_held_connect_before_the_close(peer):
    socket_id = _held(peer)
    peer.server.connections.close(peer.sid)
    peer.harness.pump()
    assert peer.wire() == [_connect(socket_id)]
    assert peer.closed_by_server


def test_shutdown_sends_the_held_connect_before_the_close(peer):
    socket_id = _held(peer)
    peer.server.close_all()
    peer.harness.pump()
    assert peer.wire() == [_connect(socket_id)]
    assert peer.closed_by_server


def test_a_held_socket_whose_client_leaves_drops_its_output(peer):
    socket_id = _held(peer)
    peer.server.emit(socket_id, "lost")
    if peer.transport == "websocket":
        peer.harness.ws_close(peer.io.engine.ws)
    else:
        peer.abort_held_get()
    (gone,) = peer.harness.events_of(SocketDisconnected)
    assert gone.socket_id == socket_id
    _release(peer, socket_id)
    assert peer.wire() == []


def test_a_held_socket_whose_client_disconnects_drops_its_output(peer):
    socket_id = _held(peer)
    peer.server.emit(socket_id, "lost")
    peer.io.disconnect()
    (gone,) = peer.harness.events_of(SocketDisconnected)
    assert gone.reason is DisconnectReason.CLIENT_NAMESPACE_DISCONNECT
    _release(peer, socket_id)
    assert peer.wire() == []
