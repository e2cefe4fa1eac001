"""Packet events, Node's ``socket.conn`` traffic: ``packet``, ``packetCreate`` and ``drain``.

They are off until ``watch_packets(sid)``; then every packet from the client is reported before
the session acts on it, every packet queued for the client when queued, and every hand-over of
the outbox to the transport once.
"""

from __future__ import annotations

from sio_core import EngineServer, SocketServer
from sio_core.events import (
    Event,
    MessageReceived,
    PacketCreated,
    PacketReceived,
    SessionClosed,
    SessionDrained,
)
from sio_core.ids import CountingIds
from sio_core.testing import Harness, PollingClient, SocketIOClient, WebSocketClient

PACKET_EVENTS = (PacketReceived, PacketCreated, SessionDrained)


def traffic(harness: Harness, since: int = 0) -> list[Event]:
    """The packet events and messages the application saw, in order."""
    kinds = (*PACKET_EVENTS, MessageReceived, SessionClosed)
    return [event for event in harness.app_events[since:] if isinstance(event, kinds)]


def engine(harness: Harness) -> EngineServer:
    assert isinstance(harness.core, EngineServer)
    return harness.core


def watched(harness: Harness, client: PollingClient | WebSocketClient) -> int:
    """Turn the events on for ``client``; returns where its traffic starts in ``app_events``."""
    assert engine(harness).watch_packets(client.sid)
    return len(harness.app_events)


# -- off by default ---------------------------------------------------------------------------


def test_unwatched_session_reports_no_packet_events(
    harness: Harness, client: PollingClient
) -> None:
    client.send("4a\x1e4b")
    held = client.poll()
    harness.advance(25.0)
    client.send("3")
    engine(harness).send(client.sid, "x")
    assert harness.response(held) is not None
    assert client.receive() == "4x"
    assert [e for e in harness.app_events if isinstance(e, PACKET_EVENTS)] == []


def test_watch_packets_of_an_unknown_sid_is_false(harness: Harness) -> None:
    assert engine(harness).watch_packets("nobody") is False


# -- the exact sequence -----------------------------------------------------------------------


def test_watched_polling_session_reports_each_packet_in_order(
    harness: Harness, client: PollingClient
) -> None:
    since, sid = watched(harness, client), client.sid
    client.send("4a\x1e4b")
    held = client.poll()
    harness.advance(25.0)
    client.send("3")
    engine(harness).send(sid, "x")
    harness.pump()
    assert harness.response(held) is not None
    assert client.receive() == "4x"
    assert traffic(harness, since) == [
        PacketReceived(sid=sid, type="message", data="a"),
        MessageReceived(sid=sid, data="a"),
        PacketReceived(sid=sid, type="message", data="b"),
        MessageReceived(sid=sid, data="b"),
        PacketCreated(sid=sid, type="ping"),
        SessionDrained(sid=sid),
        PacketReceived(sid=sid, type="pong"),
        PacketCreated(sid=sid, type="message", data="x"),
        SessionDrained(sid=sid),
    ]


# -- received ---------------------------------------------------------------------------------


def test_binary_packet_is_reported_with_its_bytes(harness: Harness, client: PollingClient) -> None:
    since = watched(harness, client)
    client.send("bAQID")
    assert traffic(harness, since)[0] == PacketReceived(
        sid=client.sid, type="message", data=b"\x01\x02\x03"
    )


def test_close_packet_is_reported_before_the_session_closes(
    harness: Harness, client: PollingClient
) -> None:
    since = watched(harness, client)
    client.send("1")
    first, second = traffic(harness, since)
    assert first == PacketReceived(sid=client.sid, type="close")
    assert isinstance(second, SessionClosed)


def test_websocket_message_is_reported_as_a_received_packet(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    since = watched(harness, ws_client)
    ws_client.send("4hi")
    assert traffic(harness, since)[0] == PacketReceived(
        sid=ws_client.sid, type="message", data="hi"
    )


def test_upgrade_probe_packets_are_not_reported(harness: Harness, client: PollingClient) -> None:
    since = watched(harness, client)
    client.upgrade()
    assert [e for e in harness.app_events[since:] if isinstance(e, PACKET_EVENTS)] == []


# -- created and drained ----------------------------------------------------------------------


def test_queued_packet_waits_for_a_get_to_be_drained(
    harness: Harness, client: PollingClient
) -> None:
    since = watched(harness, client)
    engine(harness).send(client.sid, "x")
    harness.pump()
    assert traffic(harness, since) == [PacketCreated(sid=client.sid, type="message", data="x")]
    client.receive()
    assert traffic(harness, since)[1:] == [SessionDrained(sid=client.sid)]


def test_burst_of_sends_is_drained_once(harness: Harness, client: PollingClient) -> None:
    since = watched(harness, client)
    engine(harness).send(client.sid, "x")
    engine(harness).send(client.sid, "y")
    assert client.receive() == "4x\x1e4y"
    drains = [e for e in traffic(harness, since) if isinstance(e, SessionDrained)]
    assert drains == [SessionDrained(sid=client.sid)]


def test_websocket_send_is_created_then_drained(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    since, sid = watched(harness, ws_client), ws_client.sid
    engine(harness).send(sid, "x")
    harness.pump()
    assert ws_client.take() == ["4x"]
    assert traffic(harness, since) == [
        PacketCreated(sid=sid, type="message", data="x"),
        SessionDrained(sid=sid),
    ]


def test_noop_answer_of_an_upgrade_is_not_a_drain(harness: Harness, client: PollingClient) -> None:
    since = watched(harness, client)
    held = client.poll()
    client.upgrade()
    assert harness.response(held) is not None
    assert [e for e in harness.app_events[since:] if isinstance(e, PACKET_EVENTS)] == []


def test_watch_packets_off_stops_the_events(harness: Harness, client: PollingClient) -> None:
    watched(harness, client)
    assert engine(harness).watch_packets(client.sid, False)
    since = len(harness.app_events)
    client.send("4a")
    assert traffic(harness, since) == [MessageReceived(sid=client.sid, data="a")]


# -- through the Socket.IO server -------------------------------------------------------------


def test_socket_server_passes_packet_events_through() -> None:
    server = SocketServer(id_generator=CountingIds())
    harness = Harness(server)
    client = SocketIOClient(harness)
    client.connect()
    sid = client.engine.sid
    assert server.connections.watch_packets(sid)
    since = len(harness.app_events)
    client.emit("hi")
    received = [e for e in harness.app_events[since:] if isinstance(e, PacketReceived)]
    assert received == [PacketReceived(sid=sid, type="message", data='2["hi"]')]
