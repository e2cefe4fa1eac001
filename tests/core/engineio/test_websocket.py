"""WebSocket transport: one packet per message, text as text, binary as raw bytes."""

from __future__ import annotations

import pytest

from sio_core.errors import DisconnectReason, LocalProtocolError
from sio_core.events import MessageReceived, SessionClosed
from sio_core.testing import Harness, WebSocketClient


def messages(harness: Harness) -> list[str | bytes]:
    return [event.data for event in harness.app_events if isinstance(event, MessageReceived)]


@pytest.fixture
def client(harness: Harness) -> WebSocketClient:
    return harness.websocket_client()


# -- server to client -------------------------------------------------------------------------


def test_each_send_is_one_websocket_message(harness: Harness, client: WebSocketClient) -> None:
    server = harness.core
    server.send(client.sid, "a")
    server.send(client.sid, "b")
    harness.pump()
    assert client.take() == ["4a", "4b"]


def test_binary_send_is_a_raw_binary_message(harness: Harness, client: WebSocketClient) -> None:
    harness.core.send(client.sid, b"\x00\x01\xff")
    harness.pump()
    assert client.take() == [b"\x00\x01\xff"]


def test_send_refuses_text_with_the_record_separator_even_on_websocket(
    harness: Harness, client: WebSocketClient
) -> None:
    """A session may move to or stay on polling, where ``\\x1e`` cannot be framed."""
    with pytest.raises(LocalProtocolError):
        harness.core.send(client.sid, "a\x1eb")
    harness.pump()
    assert client.take() == []


def test_websocket_session_is_always_writable(harness: Harness, client: WebSocketClient) -> None:
    assert harness.core.writable(client.sid)


def test_transport_of_a_websocket_session_is_websocket(
    harness: Harness, client: WebSocketClient
) -> None:
    assert harness.core.transport_of(client.sid) == "websocket"


# -- client to server -------------------------------------------------------------------------


def test_text_message_is_received_as_str(harness: Harness, client: WebSocketClient) -> None:
    client.send("4hello")
    assert harness.app_events[-1] == MessageReceived(sid=client.sid, data="hello")


def test_binary_message_is_received_as_bytes(harness: Harness, client: WebSocketClient) -> None:
    client.send(b"\x01\x02")
    assert messages(harness) == [b"\x01\x02"]


def test_one_websocket_message_is_one_packet_even_with_a_separator(
    harness: Harness, client: WebSocketClient
) -> None:
    client.send("4a\x1e4b")
    assert messages(harness) == ["a\x1e4b"]


def test_close_packet_closes_with_transport_close(
    harness: Harness, client: WebSocketClient
) -> None:
    client.send("1")
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_CLOSE
    ]


def test_close_packet_closes_the_websocket(harness: Harness, client: WebSocketClient) -> None:
    client.send("1")
    assert client.ws.closed


def test_client_ping_closes_with_transport_error(
    harness: Harness, client: WebSocketClient
) -> None:
    client.send("2")
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]


@pytest.mark.parametrize("message", ["", "9", "x"])
def test_undecodable_message_closes_with_parse_error(
    harness: Harness, client: WebSocketClient, message: str
) -> None:
    client.send(message)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.PARSE_ERROR]
    assert client.ws.closed


def test_websocket_closed_by_peer_is_transport_close(
    harness: Harness, client: WebSocketClient
) -> None:
    harness.ws_close(client.ws)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_CLOSE
    ]


def test_websocket_broken_is_transport_error(harness: Harness, client: WebSocketClient) -> None:
    harness.ws_close(client.ws, error=True)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]


def test_websocket_closed_by_peer_is_not_closed_again_by_the_server(
    harness: Harness, client: WebSocketClient
) -> None:
    harness.ws_close(client.ws)
    assert not client.ws.closed


def test_session_is_gone_after_its_websocket_closed(
    harness: Harness, client: WebSocketClient
) -> None:
    harness.ws_close(client.ws)
    server = harness.core
    assert server.transport_of(client.sid) is None
    assert server.send(client.sid, "late") is False
    assert server.next_deadline() is None


def test_messages_after_the_close_are_ignored(harness: Harness, client: WebSocketClient) -> None:
    client.send("1")
    client.send("4late")
    assert messages(harness) == []
    assert len(harness.events_of(SessionClosed)) == 1


def test_message_on_an_unknown_websocket_is_ignored(harness: Harness) -> None:
    harness.core.receive_ws_message(99, "4x", 0.0)
    assert harness.pump() == []
