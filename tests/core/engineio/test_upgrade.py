"""Upgrade from long-polling to WebSocket: probe, noop, upgrade, and every way it can fail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sio_core.events import MessageReceived, SessionClosed, SessionUpgraded
from sio_core.http import HttpResponse
from sio_core.testing import FakeWebSocket, Harness, PollingClient


def messages(harness: Harness) -> list[str | bytes]:
    return [event.data for event in harness.app_events if isinstance(event, MessageReceived)]


def error_of(response: HttpResponse | None) -> tuple[int, Any]:
    assert response is not None, "the request is held"
    return response.status, json.loads(response.body)


def body_of(response: HttpResponse | None) -> bytes:
    assert response is not None, "the request is held"
    return response.body


def open_probe(harness: Harness, client: PollingClient) -> FakeWebSocket:
    return harness.open_websocket(f"/engine.io/?EIO=4&transport=websocket&sid={client.sid}")


BAD_REQUEST = {"code": 3, "message": "Bad request"}


@pytest.fixture
def probe(harness: Harness, client: PollingClient) -> FakeWebSocket:
    """A WebSocket opened with the sid of a polling session, before any packet on it."""
    return open_probe(harness, client)


# -- probe ------------------------------------------------------------------------------------


def test_websocket_with_the_sid_is_accepted_without_an_open_packet(probe: FakeWebSocket) -> None:
    assert probe.accepted
    assert not probe.closed
    assert probe.take() == []


def test_probe_ping_is_answered_with_probe_pong(harness: Harness, probe: FakeWebSocket) -> None:
    harness.ws_send(probe, "2probe")
    assert probe.take() == ["3probe"]


def test_probe_releases_the_held_get_with_noop(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    held = client.poll()
    harness.ws_send(probe, "2probe")
    assert body_of(harness.response(held)) == b"6"


def test_get_after_the_probe_is_answered_at_once_with_noop(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    assert client.receive() == "6"
    assert client.receive() == "6"


def test_get_after_the_probe_carries_queued_output(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    harness.core.send(client.sid, "still polling")
    harness.pump()
    assert client.receive() == "4still polling"


def test_posts_still_work_while_upgrading(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    assert client.send("4over polling").status == 200
    assert messages(harness) == ["over polling"]


def test_session_is_still_on_polling_while_upgrading(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    assert harness.core.transport_of(client.sid) == "polling"


# -- upgrade ----------------------------------------------------------------------------------


def test_upgrade_packet_reports_session_upgraded(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    harness.ws_send(probe, "5")
    assert harness.app_events[-1] == SessionUpgraded(sid=client.sid, transport="websocket")
    assert harness.core.transport_of(client.sid) == "websocket"


def test_output_queued_during_the_upgrade_moves_to_the_websocket(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    assert probe.take() == ["3probe"]
    server = harness.core
    server.send(client.sid, "a")
    server.send(client.sid, b"\x01")
    harness.pump()
    harness.ws_send(probe, "5")
    assert probe.take() == ["4a", b"\x01"]


def test_upgraded_session_sends_over_the_websocket(
    harness: Harness, client: PollingClient
) -> None:
    ws = client.upgrade()
    harness.core.send(client.sid, "hi")
    harness.pump()
    assert ws.take() == ["4hi"]


def test_upgraded_session_receives_over_the_websocket(
    harness: Harness, client: PollingClient
) -> None:
    ws = client.upgrade()
    harness.ws_send(ws, "4hi")
    assert messages(harness) == ["hi"]


def test_upgrade_without_probe_still_upgrades(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    """Node switches on ``5`` whether or not ``2probe`` came first."""
    harness.ws_send(probe, "5")
    assert harness.core.transport_of(client.sid) == "websocket"


def test_upgraded_session_closes_when_its_websocket_closes(
    harness: Harness, client: PollingClient
) -> None:
    ws = client.upgrade()
    harness.ws_close(ws)
    assert [e.reason.value for e in harness.events_of(SessionClosed)] == ["transport close"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_polling_after_the_upgrade_gets_400_bad_request(
    harness: Harness, client: PollingClient, method: str
) -> None:
    client.upgrade()
    rid = harness.request(method, client.url, "4x" if method == "POST" else b"")
    assert error_of(harness.response(rid)) == (400, BAD_REQUEST)
    assert messages(harness) == []


def test_polling_after_the_upgrade_leaves_the_session_open(
    harness: Harness, client: PollingClient
) -> None:
    client.upgrade()
    client.poll()
    assert harness.events_of(SessionClosed) == []


def test_upgrade_cancels_the_upgrade_timeout(harness: Harness, client: PollingClient) -> None:
    ws = client.upgrade()
    harness.advance(15.0)
    assert not ws.closed
    assert harness.events_of(SessionClosed) == []


# -- refused or extra WebSockets --------------------------------------------------------------


def test_websocket_for_an_upgraded_session_is_accepted_then_closed(
    harness: Harness, client: PollingClient
) -> None:
    ws = client.upgrade()
    extra = open_probe(harness, client)
    assert extra.accepted
    assert extra.closed
    assert not ws.closed
    assert harness.events_of(SessionClosed) == []


def test_websocket_while_upgrading_is_accepted_then_closed(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    extra = open_probe(harness, client)
    assert (extra.accepted, extra.closed) == (True, True)
    harness.ws_send(probe, "2probe")
    assert probe.take() == ["3probe"]


def test_websocket_for_a_websocket_only_session_is_accepted_then_closed(
    harness: Harness,
) -> None:
    client = harness.websocket_client()
    extra = harness.open_websocket(f"/engine.io/?EIO=4&transport=websocket&sid={client.sid}")
    assert (extra.accepted, extra.closed) == (True, True)
    assert not client.ws.closed


def test_websocket_with_an_unknown_sid_gets_400_code_1(harness: Harness) -> None:
    ws = harness.open_websocket("/engine.io/?EIO=4&transport=websocket&sid=nope")
    assert not ws.accepted
    assert error_of(harness.response(ws.ws_id)) == (
        400,
        {"code": 1, "message": "Session ID unknown"},
    )


def test_websocket_for_a_session_is_closed_when_upgrades_are_disallowed(
    make_harness: Any,
) -> None:
    harness = make_harness(allow_upgrades=False)
    client = harness.polling_client()
    ws = open_probe(harness, client)
    assert (ws.accepted, ws.closed) == (True, True)
    assert harness.core.transport_of(client.sid) == "polling"


# -- failed upgrades: the session carries on over polling -------------------------------------


def test_upgrade_timeout_closes_the_probe(harness: Harness, probe: FakeWebSocket) -> None:
    harness.advance(9.999)
    assert not probe.closed
    harness.advance(0.001)
    assert probe.close_code == 1000


def test_upgrade_timeout_is_configurable(make_harness: Any) -> None:
    harness = make_harness(upgrade_timeout=2.0)
    probe = open_probe(harness, harness.polling_client())
    harness.advance(2.0)
    assert probe.closed


def test_session_goes_on_over_polling_after_upgrade_timeout(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    harness.advance(10.0)
    harness.core.send(client.sid, "still here")
    harness.pump()
    assert client.receive() == "4still here"
    assert harness.events_of(SessionClosed) == []


def test_get_is_held_again_after_a_failed_upgrade(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    harness.advance(10.0)
    assert harness.response(client.poll()) is None


@pytest.mark.parametrize("message", ["4hello", "2notprobe", "3probe", "1", "", b"\x01"])
def test_any_other_packet_on_the_probe_closes_the_probe(
    harness: Harness, probe: FakeWebSocket, message: str | bytes
) -> None:
    harness.ws_send(probe, message)
    assert probe.closed
    assert messages(harness) == []
    assert harness.events_of(SessionClosed) == []


def test_session_goes_on_over_polling_after_a_bad_probe(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "4hello")
    assert harness.core.transport_of(client.sid) == "polling"
    assert client.send("4after").status == 200
    assert messages(harness) == ["after"]


def test_probe_closed_by_the_client_leaves_the_session_on_polling(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    harness.ws_close(probe)
    assert harness.events_of(SessionClosed) == []
    assert not probe.closed
    assert harness.response(client.poll()) is None


def test_new_probe_works_after_a_failed_one(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_close(probe)
    ws = client.upgrade()
    assert harness.core.transport_of(client.sid) == "websocket"
    assert not ws.closed


def test_probe_too_large_closes_the_probe_with_1009_only(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.core.ws_message_too_large(probe.ws_id, harness.clock.now)
    harness.pump()
    assert probe.close_code == 1009
    assert harness.events_of(SessionClosed) == []


def test_session_closing_during_the_upgrade_closes_the_probe(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    harness.ws_send(probe, "2probe")
    client.send("1")
    assert probe.closed


def test_upgrade_releases_a_get_still_held_with_noop(
    harness: Harness, client: PollingClient, probe: FakeWebSocket
) -> None:
    held = client.poll()
    harness.ws_send(probe, "5")
    assert body_of(harness.response(held)) == b"6"


def test_heartbeat_started_over_polling_completes_over_the_websocket(
    harness: Harness, client: PollingClient
) -> None:
    harness.advance(25.0)
    assert client.receive() == "2"
    ws = client.upgrade()
    harness.advance(10.0)
    harness.ws_send(ws, "3")
    harness.advance(15.0)
    assert harness.events_of(SessionClosed) == []
    assert harness.core.next_deadline() == 60.0


def test_ping_timeout_during_the_upgrade_closes_the_probe_too(
    harness: Harness, client: PollingClient
) -> None:
    harness.advance(25.0)
    client.receive()
    harness.advance(15.0)
    probe = open_probe(harness, client)
    harness.ws_send(probe, "2probe")
    harness.advance(5.0)
    assert [e.reason.value for e in harness.events_of(SessionClosed)] == ["ping timeout"]
    assert probe.closed
