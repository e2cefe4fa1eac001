"""``max_http_buffer_size``: a POST body or a WebSocket message past it ends the session."""

from __future__ import annotations

from typing import Any

from sio_core.errors import DisconnectReason
from sio_core.events import MessageReceived, SessionClosed
from sio_core.testing import Harness, PollingClient, WebSocketClient


def test_max_http_buffer_size_tells_the_backend_the_limit(make_harness: Any) -> None:
    assert make_harness().core.max_http_buffer_size == 1_000_000
    assert make_harness(max_http_buffer_size=10).core.max_http_buffer_size == 10


def test_post_body_too_large_gets_413(harness: Harness, client: PollingClient) -> None:
    rid = harness.request("POST", client.url, body_too_large=True)
    response = harness.response(rid)
    assert response is not None
    assert (response.status, response.body) == (413, b"")


def test_post_body_too_large_closes_with_transport_error(
    harness: Harness, client: PollingClient
) -> None:
    harness.request("POST", client.url, body_too_large=True)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]
    assert harness.core.next_deadline() is None


def test_post_body_too_large_delivers_nothing(harness: Harness, client: PollingClient) -> None:
    harness.request("POST", client.url, "4partial", body_too_large=True)
    assert not any(isinstance(event, MessageReceived) for event in harness.app_events)


def test_websocket_message_too_large_closes_the_websocket_with_1009(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.core.ws_message_too_large(ws_client.ws.ws_id, harness.clock.now)
    harness.pump()
    assert ws_client.ws.close_code == 1009


def test_websocket_message_too_large_closes_with_transport_error(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.core.ws_message_too_large(ws_client.ws.ws_id, harness.clock.now)
    harness.pump()
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]


def test_too_large_on_an_unknown_websocket_is_ignored(harness: Harness) -> None:
    harness.core.ws_message_too_large(42, 0.0)
    assert harness.pump() == []
