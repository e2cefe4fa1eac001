"""Direct messages: the layer above may take a plain text MESSAGE's data itself, skipping the
:class:`MessageReceived` that :meth:`EngineServer.receive_ws_message` would make, but only when
that event is all receiving it would do."""

from __future__ import annotations

import pytest

from sio_core import EngineServer
from sio_core.testing import Harness, PollingClient, WebSocketClient


@pytest.fixture
def client(harness: Harness) -> WebSocketClient:
    return harness.websocket_client()


def test_a_text_message_on_a_sessions_websocket_is_taken_directly(
    harness: Harness, engine: EngineServer, client: WebSocketClient
) -> None:
    assert engine.direct_message_sid(client.ws.ws_id, "4hello", 0.0) == client.sid
    assert harness.pump() == []  # the caller reads it: the engine reports nothing


@pytest.mark.parametrize("message", [b"4hello", "2", "3", "1", "6", ""])
def test_a_message_that_is_no_text_message_packet_goes_the_long_way(
    engine: EngineServer, client: WebSocketClient, message: str | bytes
) -> None:
    assert engine.direct_message_sid(client.ws.ws_id, message, 0.0) is None


def test_a_message_on_an_unknown_websocket_goes_the_long_way(engine: EngineServer) -> None:
    assert engine.direct_message_sid(99, "4hello", 0.0) is None


def test_a_message_on_an_upgrade_probe_goes_the_long_way(
    harness: Harness, engine: EngineServer
) -> None:
    polling = PollingClient(harness, "/engine.io/")
    probe = harness.open_websocket(f"{polling.url.replace('polling', 'websocket')}")
    assert engine.direct_message_sid(probe.ws_id, "4hello", 0.0) is None


def test_a_message_on_an_upgraded_websocket_is_taken_directly(
    harness: Harness, engine: EngineServer
) -> None:
    polling = PollingClient(harness, "/engine.io/")
    ws = polling.upgrade()
    assert engine.direct_message_sid(ws.ws_id, "4hello", 0.0) == polling.sid


def test_a_message_of_a_watched_session_goes_the_long_way(
    engine: EngineServer, client: WebSocketClient
) -> None:
    engine.watch_packets(client.sid)
    assert engine.direct_message_sid(client.ws.ws_id, "4hello", 0.0) is None


def test_a_message_on_a_server_counting_traffic_goes_the_long_way(
    engine: EngineServer, client: WebSocketClient
) -> None:
    engine.count_traffic()
    assert engine.direct_message_sid(client.ws.ws_id, "4hello", 0.0) is None


def test_a_message_goes_the_long_way_while_output_waits_to_come_out_first(
    engine: EngineServer, client: WebSocketClient
) -> None:
    engine.send(client.sid, "queued")
    assert engine.direct_message_sid(client.ws.ws_id, "4hello", 0.0) is None


def test_the_clock_moves_to_now_whatever_the_answer(
    harness: Harness, engine: EngineServer, client: WebSocketClient
) -> None:
    engine.direct_message_sid(99, "4hello", 7.0)  # the long way: None
    polling = PollingClient(harness, "/engine.io/")  # the harness's clock still says 0
    harness.open_websocket(polling.url.replace("polling", "websocket"))
    # The probe's upgrade deadline counts from 7, the latest time the engine was given.
    assert engine.next_deadline() == 7.0 + engine.config.upgrade_timeout
