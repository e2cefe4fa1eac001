"""The backlog: output queued since events() that is worth handing over before a run of
commands ends, 16 packets on average for each session that has some."""

from __future__ import annotations

from sio_core import EngineServer
from sio_core.engineio._server import BACKLOG_PER_SESSION
from sio_core.events import WebSocketDataReady
from sio_core.testing import Harness, WebSocketClient


def queue(engine: EngineServer, client: WebSocketClient, count: int) -> None:
    for index in range(count):
        engine.send(client.sid, f"m{index}")


def test_nothing_queued_is_no_backlog(engine: EngineServer, harness: Harness) -> None:
    harness.websocket_client()
    assert not engine.backlogged


def test_sixteen_packets_for_one_session_are_a_backlog(
    engine: EngineServer, harness: Harness
) -> None:
    client = harness.websocket_client()
    queue(engine, client, BACKLOG_PER_SESSION - 1)
    assert not engine.backlogged
    queue(engine, client, 1)
    assert engine.backlogged


def test_the_backlog_grows_with_the_sessions_that_have_output(
    engine: EngineServer, harness: Harness
) -> None:
    first, second = harness.websocket_client(), harness.websocket_client()
    queue(engine, first, BACKLOG_PER_SESSION)
    queue(engine, second, BACKLOG_PER_SESSION - 1)
    assert not engine.backlogged  # 31 packets for two sessions: under 16 each
    queue(engine, second, 1)
    assert engine.backlogged


def test_events_hand_the_backlog_over(engine: EngineServer, harness: Harness) -> None:
    client = harness.websocket_client()
    queue(engine, client, BACKLOG_PER_SESSION)
    written = [event for event in engine.events() if isinstance(event, WebSocketDataReady)]
    assert [len(event.messages) for event in written] == [BACKLOG_PER_SESSION]
    assert not engine.backlogged
