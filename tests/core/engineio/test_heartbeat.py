"""Heartbeat (Engine.IO v4): the server pings every ``ping_interval`` and waits ``ping_timeout``.

Time only ever comes in as ``now``: the tests drive the core with ``next_deadline()`` and
``handle_timeout()``, from any clock origin.
"""

from __future__ import annotations

from typing import Any

from sio_core import EngineServer
from sio_core.config import EngineConfig
from sio_core.errors import DisconnectReason
from sio_core.events import HttpResponseReady, SessionClosed, SessionOpened
from sio_core.http import HttpRequest
from sio_core.ids import CountingIds
from sio_core.testing import FakeClock, Harness, PollingClient, WebSocketClient

# -- pings ------------------------------------------------------------------------------------


def test_first_deadline_is_the_first_ping_at_ping_interval(
    harness: Harness, client: PollingClient
) -> None:
    assert harness.core.next_deadline() == 25.0


def test_no_ping_before_ping_interval(harness: Harness, client: PollingClient) -> None:
    held = client.poll()
    harness.advance(24.999)
    assert harness.response(held) is None


def test_first_ping_answers_the_held_get_at_ping_interval(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    harness.advance(25.0)
    response = harness.response(held)
    assert response is not None
    assert response.body == b"2"


def test_ping_waits_in_the_outbox_when_no_get_is_held(
    harness: Harness, client: PollingClient
) -> None:
    harness.advance(30.0)
    assert client.receive() == "2"


def test_ping_goes_out_with_the_pending_messages(harness: Harness, client: PollingClient) -> None:
    harness.core.send(client.sid, "a")
    harness.advance(25.0)
    assert client.receive() == "4a\x1e2"


def test_ping_is_a_websocket_message_of_its_own(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(25.0)
    assert ws_client.take() == ["2"]


def test_ping_interval_is_configurable(make_harness: Any) -> None:
    harness = make_harness(ping_interval=1.0)
    client = harness.websocket_client()
    harness.advance(1.0)
    assert client.take() == ["2"]


# -- pongs ------------------------------------------------------------------------------------


def test_pong_within_ping_timeout_keeps_the_session_open(
    harness: Harness, client: PollingClient
) -> None:
    harness.advance(25.0)
    client.receive()
    harness.advance(19.0)
    client.send("3")
    harness.advance(5.0)
    assert harness.events_of(SessionClosed) == []


def test_next_ping_is_due_ping_interval_after_the_pong(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(25.0)
    harness.advance(5.0)
    ws_client.send("3")
    assert harness.core.next_deadline() == 55.0


def test_next_ping_goes_out_ping_interval_after_the_pong(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(30.0)
    ws_client.send("3")
    ws_client.take()
    harness.advance(24.5)
    assert ws_client.take() == []
    harness.advance(0.5)
    assert ws_client.take() == ["2"]


def test_steady_pongs_keep_a_session_open_for_long(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    for _ in range(100):
        harness.advance(25.0)
        assert ws_client.take() == ["2"]
        ws_client.send("3")
    assert harness.events_of(SessionClosed) == []


def test_pong_over_polling_resets_the_heartbeat(harness: Harness, client: PollingClient) -> None:
    harness.advance(25.0)
    assert client.receive() == "2"
    client.send("3")
    assert harness.core.next_deadline() == 50.0


# -- ping timeout -----------------------------------------------------------------------------


def test_deadline_after_a_ping_is_the_ping_timeout(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(25.0)
    assert harness.core.next_deadline() == 45.0


def test_no_pong_closes_with_ping_timeout_exactly_at_interval_plus_timeout(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(25.0)
    harness.core.handle_timeout(44.999)
    harness.pump()
    assert harness.events_of(SessionClosed) == []
    harness.core.handle_timeout(45.0)
    harness.pump()
    (closed,) = harness.events_of(SessionClosed)
    assert (closed.sid, closed.reason) == (ws_client.sid, DisconnectReason.PING_TIMEOUT)
    assert closed.reason.value == "ping timeout"


def test_ping_timeout_over_polling_answers_the_held_get_with_close(
    harness: Harness, client: PollingClient
) -> None:
    harness.advance(25.0)
    client.receive()
    held = client.poll()
    harness.advance(20.0)
    response = harness.response(held)
    assert response is not None
    assert response.body == b"1"
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.PING_TIMEOUT]


def test_ping_timeout_over_websocket_closes_the_websocket(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(45.0)
    assert ws_client.ws.close_code == 1000


def test_ping_timeout_is_configurable(make_harness: Any) -> None:
    harness = make_harness(ping_interval=1.0, ping_timeout=0.5)
    harness.websocket_client()
    harness.advance(1.499)
    assert harness.events_of(SessionClosed) == []
    harness.advance(0.001)
    assert len(harness.events_of(SessionClosed)) == 1


def test_messages_without_a_pong_do_not_prevent_the_ping_timeout(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(25.0)
    ws_client.send("4still talking")
    harness.advance(20.0)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.PING_TIMEOUT]


def test_no_deadline_is_left_once_the_session_closed(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.advance(45.0)
    assert harness.core.next_deadline() is None


def test_closed_session_arms_no_heartbeat(harness: Harness, ws_client: WebSocketClient) -> None:
    ws_client.send("1")
    assert harness.core.next_deadline() is None


# -- the core needs no clock ------------------------------------------------------------------


def test_deadlines_follow_the_clock_the_core_is_fed() -> None:
    """Any monotonic origin works: the core adds durations to the ``now`` it was given."""
    harness = Harness(EngineServer(id_generator=CountingIds()), FakeClock(start=1000.0))
    harness.websocket_client()
    assert harness.core.next_deadline() == 1025.0


def test_heartbeat_driven_by_next_deadline_and_handle_timeout_alone() -> None:
    config = EngineConfig(ping_interval=2.0, ping_timeout=1.0)
    server = EngineServer(config, id_generator=CountingIds())
    handshake = HttpRequest.from_target("GET", "/engine.io/?EIO=4&transport=polling")
    server.receive_request(1, handshake, 500.0)
    (opened,) = [event for event in server.events() if isinstance(event, SessionOpened)]
    poll = HttpRequest.from_target("GET", f"{handshake.url}&sid={opened.sid}")
    server.receive_request(2, poll, 500.0)
    assert server.events() == []
    ping_at = server.next_deadline()
    assert ping_at == 502.0
    server.handle_timeout(ping_at)
    (answer,) = server.events()
    assert isinstance(answer, HttpResponseReady)
    assert (answer.request_id, answer.response.body) == (2, b"2")
    timeout_at = server.next_deadline()
    assert timeout_at == 503.0
    server.handle_timeout(timeout_at - 0.001)
    assert server.events() == []
    server.handle_timeout(timeout_at)
    assert [type(event) for event in server.events()] == [SessionClosed]


def test_handle_timeout_before_any_deadline_does_nothing(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.handle_timeout(1.0)
    assert harness.pump() == []


def test_late_handle_timeout_fires_ping_then_leaves_the_timeout_armed(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    """A backend that wakes up late still gets one ping, timed from when it was sent."""
    harness.core.handle_timeout(30.0)
    harness.pump()
    assert ws_client.take() == ["2"]
    assert harness.events_of(SessionClosed) == []
    assert harness.core.next_deadline() == 50.0
