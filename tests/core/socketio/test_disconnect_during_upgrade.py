"""``disconnect(close=True)`` while the client upgrades: its DISCONNECT still reaches it.

The client (socket.io-client) stops polling once it has the ``3probe`` and sends ``5`` on the
probe. Node keeps the DISCONNECT, sends it over the WebSocket once the upgrade completes, then
closes, so the client reports ``io server disconnect`` and not ``transport close``. One test
per window of the upgrade, plus the case that used to lose it most: a disconnect right after
the CONNECT.
"""

from __future__ import annotations

from sio_core.testing import FakeWebSocket

DISCONNECT = "41"
"""The Engine.IO message carrying the Socket.IO DISCONNECT of ``/``, as the WebSocket sends it."""


def open_probe(peer) -> FakeWebSocket:
    return peer.harness.open_websocket(f"/socket.io/?EIO=4&transport=websocket&sid={peer.sid}")


def disconnect_and_close(peer, socket_id: str) -> None:
    peer.server.disconnect(socket_id, close=True)
    peer.harness.pump()


def test_disconnect_while_the_probe_is_sent_reaches_the_client_over_polling(
    new_peer,
) -> None:
    peer = new_peer("polling")
    socket_id = peer.connect()
    peer.hold_get()
    probe = open_probe(peer)
    disconnect_and_close(peer, socket_id)
    assert peer.wire() == ["1"]
    assert peer.closed_by_server
    assert probe.closed


def test_disconnect_while_the_probe_is_answered_reaches_the_client_over_polling(
    new_peer,
) -> None:
    peer = new_peer("polling")
    socket_id = peer.connect()
    probe = open_probe(peer)
    peer.harness.ws_send(probe, "2probe")
    disconnect_and_close(peer, socket_id)
    assert peer.wire() == ["1"]  # the client's last GET, on its way when the server acted
    peer.harness.ws_send(probe, "5")
    assert probe.take() == ["3probe"]
    assert probe.closed


def test_disconnect_while_the_upgrade_is_pending_reaches_the_client_over_the_websocket(
    new_peer,
) -> None:
    peer = new_peer("polling")
    socket_id = peer.connect()
    probe = open_probe(peer)
    peer.harness.ws_send(probe, "2probe")
    assert peer.wire() == []  # the noop: the client pauses polling and sends 5
    disconnect_and_close(peer, socket_id)
    peer.harness.ws_send(probe, "5")
    assert probe.take() == ["3probe", DISCONNECT]
    assert probe.closed


def test_disconnect_right_after_connect_reaches_a_client_already_upgrading(
    new_peer,
) -> None:
    """The client probes as soon as the session opens, so its upgrade often overlaps the
    CONNECT: a handler that disconnects at once hits the window where it stopped polling."""
    peer = new_peer("polling")
    probe = open_probe(peer)
    peer.harness.ws_send(probe, "2probe")
    socket_id = peer.connect()  # the GET collecting the CONNECT is the client's last one
    disconnect_and_close(peer, socket_id)
    peer.harness.ws_send(probe, "5")
    assert probe.take() == ["3probe", DISCONNECT]
    assert probe.closed
