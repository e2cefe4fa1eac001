"""Closing: a forced close delivers the outbox first, and every close is reported exactly once."""

from __future__ import annotations

import json

import pytest

from sio_core.errors import DisconnectReason
from sio_core.events import SessionClosed
from sio_core.testing import Harness, PollingClient, WebSocketClient

# -- forced close over polling ----------------------------------------------------------------


def test_forced_close_with_a_held_get_sends_outbox_then_close_packet_on_its_own(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    server = harness.core
    server.send(client.sid, "a")
    server.send(client.sid, "b")
    server.close(client.sid)
    harness.pump()
    response = harness.response(held)
    assert response is not None
    assert response.body == b"4a\x1e4b"
    assert client.receive() == "1"


def test_forced_close_with_a_held_get_and_output_is_dropped_if_no_get_comes_for_the_close(
    harness: Harness, client: PollingClient
) -> None:
    """Found by the state-machine fuzzing: the held GET took the outbox, the client never came
    back for the close packet, and the session was kept for ever with no timer to end it."""
    client.poll()
    harness.core.send(client.sid, "a")
    harness.core.close(client.sid)
    harness.pump()
    assert harness.core.next_deadline() == 30.0
    harness.advance(30.0)
    assert harness.core.stats().sessions == 0
    assert harness.core.next_deadline() is None


def test_forced_close_with_a_held_get_reports_forced_close(
    harness: Harness, client: PollingClient
) -> None:
    client.poll()
    harness.core.close(client.sid)
    harness.pump()
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.FORCED_CLOSE]
    assert harness.events_of(SessionClosed)[0].sid == client.sid


def test_forced_close_without_a_held_get_reports_session_closed_at_once(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.FORCED_CLOSE]


def test_gets_after_a_forced_close_collect_outbox_then_close_packet(
    harness: Harness, client: PollingClient
) -> None:
    server = harness.core
    server.send(client.sid, "bye")
    server.close(client.sid)
    harness.pump()
    assert client.receive() == "4bye"
    assert client.receive() == "1"


def test_next_get_after_a_forced_close_with_empty_outbox_gets_close_packet(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    assert client.receive() == "1"


def test_sid_is_unknown_after_the_close_packet_was_collected(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    client.receive()
    response = harness.response(client.poll())
    assert response is not None
    assert response.status == 400
    assert json.loads(response.body) == {"code": 1, "message": "Session ID unknown"}


def test_lingering_session_is_dropped_after_30_seconds(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    assert harness.core.next_deadline() == 30.0
    harness.advance(30.0)
    response = harness.response(client.poll())
    assert response is not None
    assert response.status == 400
    assert harness.core.next_deadline() is None


def test_lingering_session_still_collectable_before_30_seconds(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    harness.advance(29.5)
    assert client.receive() == "1"


def test_lingering_session_is_not_listed_and_takes_no_sends(
    harness: Harness, client: PollingClient
) -> None:
    server = harness.core
    server.close(client.sid)
    harness.pump()
    assert client.sid not in server.sids
    assert server.send(client.sid, "late") is False
    assert not server.writable(client.sid)


def test_lingering_session_ignores_posts(harness: Harness, client: PollingClient) -> None:
    harness.core.close(client.sid)
    harness.pump()
    client.send("4ignored\x1e1")
    assert len(harness.events_of(SessionClosed)) == 1
    assert client.receive() == "1"


def test_lingering_session_is_not_pinged(harness: Harness, client: PollingClient) -> None:
    harness.core.close(client.sid)
    harness.pump()
    harness.advance(29.0)
    assert client.receive() == "1"


def test_dropping_a_lingering_session_reports_nothing_more(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    harness.advance(60.0)
    assert len(harness.events_of(SessionClosed)) == 1


# -- forced close over WebSocket --------------------------------------------------------------


def test_forced_close_over_websocket_sends_queued_messages_then_closes(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    server = harness.core
    server.send(ws_client.sid, "a")
    server.send(ws_client.sid, b"\x02")
    server.close(ws_client.sid)
    events = harness.pump()
    assert ws_client.take() == ["4a", b"\x02"]
    assert ws_client.ws.close_code == 1000
    kinds = [type(event).__name__ for event in events]
    assert kinds.index("WebSocketDataReady") < kinds.index("WebSocketCloseRequested")


def test_forced_close_over_websocket_reports_forced_close(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.core.close(ws_client.sid)
    harness.pump()
    assert harness.events_of(SessionClosed) == [
        SessionClosed(
            sid=ws_client.sid,
            reason=DisconnectReason.FORCED_CLOSE,
            description=harness.events_of(SessionClosed)[0].description,
        )
    ]


def test_forced_close_over_websocket_forgets_the_session(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    server = harness.core
    server.close(ws_client.sid)
    harness.pump()
    assert server.transport_of(ws_client.sid) is None
    assert server.next_deadline() is None


def test_websocket_closed_after_a_forced_close_reports_nothing_more(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.core.close(ws_client.sid)
    harness.pump()
    harness.ws_close(ws_client.ws)
    assert len(harness.events_of(SessionClosed)) == 1


def test_forced_close_of_an_upgraded_session_closes_its_websocket(
    harness: Harness, client: PollingClient
) -> None:
    ws = client.upgrade()
    harness.core.send(client.sid, "last")
    harness.core.close(client.sid)
    harness.pump()
    assert ws.take() == ["4last"]
    assert ws.closed


# -- exactly once -----------------------------------------------------------------------------


def test_close_of_an_unknown_sid_does_nothing(harness: Harness) -> None:
    harness.core.close("nope")
    assert harness.pump() == []


def test_closing_twice_reports_once(harness: Harness, ws_client: WebSocketClient) -> None:
    server = harness.core
    server.close(ws_client.sid)
    server.close(ws_client.sid)
    harness.pump()
    assert len(harness.events_of(SessionClosed)) == 1


def test_forced_close_then_client_close_packet_reports_once(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.close(client.sid)
    harness.pump()
    client.send("1")
    client.receive()
    assert len(harness.events_of(SessionClosed)) == 1


def test_client_close_then_ping_timeout_reports_once(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    ws_client.send("1")
    harness.advance(100.0)
    assert len(harness.events_of(SessionClosed)) == 1


def test_ping_timeout_then_get_abort_reports_once(harness: Harness, client: PollingClient) -> None:
    harness.advance(25.0)
    client.receive()
    held = client.poll()
    harness.advance(20.0)
    harness.abort(held)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.PING_TIMEOUT]


def test_parse_error_then_websocket_closed_reports_once(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    ws_client.send("garbage")
    harness.ws_close(ws_client.ws)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.PARSE_ERROR]


def test_overlapping_get_then_abort_of_the_held_one_reports_once(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    client.poll()
    harness.abort(held)
    assert len(harness.events_of(SessionClosed)) == 1


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_send_after_close_returns_false(harness: Harness, transport: str) -> None:
    sid = (
        harness.polling_client().sid if transport == "polling" else harness.websocket_client().sid
    )
    server = harness.core
    server.close(sid)
    harness.pump()
    assert server.send(sid, "late") is False


def test_forced_close_with_a_held_get_and_empty_outbox_sends_close_packet(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    harness.core.close(client.sid)
    harness.pump()
    response = harness.response(held)
    assert response is not None
    assert response.body == b"1"


# -- shutting down ----------------------------------------------------------------------------


def test_close_all_closes_every_session_with_forced_close(harness: Harness) -> None:
    polling, websocket = harness.polling_client(), harness.websocket_client()
    harness.core.close_all()  # type: ignore[attr-defined]
    harness.pump()
    closed = {(e.sid, e.reason) for e in harness.app_events if isinstance(e, SessionClosed)}
    assert closed == {
        (polling.sid, DisconnectReason.FORCED_CLOSE),
        (websocket.sid, DisconnectReason.FORCED_CLOSE),
    }


def test_close_all_sends_each_session_its_output_first(harness: Harness) -> None:
    client = harness.websocket_client()
    harness.core.send(client.sid, "last words")  # type: ignore[attr-defined]
    harness.core.close_all()  # type: ignore[attr-defined]
    harness.pump()
    assert client.take() == ["4last words"]
    assert client.ws.closed
