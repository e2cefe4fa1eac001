"""``max_buffered_bytes``: what a session holds for a client that does not read is bounded.

Past a quarter of the limit (the high-water mark) the backend is told to stop reading the
client's WebSocket, and volatile packets are dropped; under half of that it may read again;
past the limit the session closes. A long-poll answer holds at most about
``max_http_buffer_size`` bytes of packets, the next GET the rest.
"""

from __future__ import annotations

from typing import Any

import pytest

from sio_core.engineio._packets import decode_payload
from sio_core.errors import DisconnectReason
from sio_core.events import (
    SessionClosed,
    SessionDrained,
    WebSocketReadResumed,
)
from sio_core.testing import Harness, PollingClient, WebSocketClient

LIMIT = 4000  # high-water mark 1000, resumes under 500


@pytest.fixture
def small(make_harness: Any) -> Harness:
    return make_harness(max_buffered_bytes=LIMIT)


@pytest.fixture
def stalled(small: Harness) -> WebSocketClient:
    """A WebSocket client that stopped reading."""
    client = small.websocket_client()
    client.ws.stalled = True
    return client


@pytest.fixture
def polling(small: Harness) -> PollingClient:
    """A polling client of the server with the small limit."""
    return small.polling_client()


def _send(harness: Harness, sid: str, data: str) -> bool:
    sent = harness.core.send(sid, data)  # type: ignore[attr-defined]
    harness.pump()
    return bool(sent)


def _buffered(harness: Harness, sid: str) -> int | None:
    return harness.core.buffered_bytes(sid)  # type: ignore[attr-defined, no-any-return]


def test_default_limit_is_16_megabytes(harness: Harness) -> None:
    assert harness.core.config.max_buffered_bytes == 16_000_000  # type: ignore[attr-defined]


def test_limit_must_be_positive(make_harness: Any) -> None:
    with pytest.raises(ValueError, match="max_buffered_bytes"):
        make_harness(max_buffered_bytes=0)


def test_output_handed_to_a_websocket_counts_while_the_backend_says_it_is_unwritten(
    small: Harness, stalled: WebSocketClient
) -> None:
    _send(small, stalled.sid, "hello")
    assert _buffered(small, stalled.sid) == len("4hello")
    small.ws_unstall(stalled.ws)
    assert _buffered(small, stalled.sid) == 0


def test_output_handed_to_a_websocket_counts_as_written_unless_reported(
    small: Harness,
) -> None:
    reading = small.websocket_client()
    _send(small, reading.sid, "hello")
    assert _buffered(small, reading.sid) == 0


def test_each_report_replaces_the_last(small: Harness, stalled: WebSocketClient) -> None:
    _send(small, stalled.sid, "x" * 100)
    small.core.ws_unwritten(stalled.ws.ws_id, 30, small.clock.now)
    assert _buffered(small, stalled.sid) == 30


def test_a_report_for_a_websocket_that_is_gone_is_ignored(small: Harness) -> None:
    gone = small.websocket_client()
    small.ws_close(gone.ws)
    small.core.ws_unwritten(gone.ws.ws_id, 5000, small.clock.now)
    assert small.pump() == []


def test_output_queued_for_polling_counts_until_a_get_takes_it(
    small: Harness, polling: PollingClient
) -> None:
    _send(small, polling.sid, "hello")
    assert _buffered(small, polling.sid) == len("4hello") + 1
    polling.receive()
    assert _buffered(small, polling.sid) == 0


def test_past_the_high_water_mark_the_websocket_is_paused(
    small: Harness, stalled: WebSocketClient
) -> None:
    _send(small, stalled.sid, "x" * 900)
    assert not stalled.ws.paused
    _send(small, stalled.sid, "x" * 200)
    assert stalled.ws.paused


def test_written_output_resumes_the_websocket(small: Harness, stalled: WebSocketClient) -> None:
    _send(small, stalled.sid, "x" * 1200)
    small.ws_unstall(stalled.ws)
    assert not stalled.ws.paused
    assert _buffered(small, stalled.sid) == 0


def test_a_paused_websocket_resumes_only_under_half_the_high_water_mark(
    small: Harness, stalled: WebSocketClient
) -> None:
    _send(small, stalled.sid, "x" * 1200)
    small.core.ws_unwritten(stalled.ws.ws_id, 600, small.clock.now)
    assert [type(e) for e in small.pump()] == []
    small.core.ws_unwritten(stalled.ws.ws_id, 400, small.clock.now)
    assert [type(e) for e in small.pump()] == [WebSocketReadResumed]


def test_a_paused_session_is_not_writable(small: Harness, stalled: WebSocketClient) -> None:
    assert small.core.writable(stalled.sid)  # type: ignore[attr-defined]
    _send(small, stalled.sid, "x" * 1200)
    assert not small.core.writable(stalled.sid)  # type: ignore[attr-defined]


def test_past_the_limit_the_session_closes_with_output_buffer_full(
    small: Harness, stalled: WebSocketClient
) -> None:
    for _ in range(3):
        assert _send(small, stalled.sid, "x" * 1200)
    assert not _send(small, stalled.sid, "x" * 1200)
    closed = small.events_of(SessionClosed)
    assert [(e.reason, e.description) for e in closed] == [
        (DisconnectReason.TRANSPORT_ERROR, "output buffer full")
    ]


def test_a_websocket_closed_for_its_output_is_cut_not_drained(
    small: Harness, stalled: WebSocketClient
) -> None:
    for _ in range(4):
        _send(small, stalled.sid, "x" * 1200)
    assert stalled.ws.closed
    assert stalled.ws.aborted


def test_a_websocket_closed_while_reading_is_closed_politely(
    harness: Harness, ws_client: WebSocketClient
) -> None:
    harness.core.close(ws_client.sid)  # type: ignore[attr-defined]
    harness.pump()
    assert ws_client.ws.closed
    assert not ws_client.ws.aborted


def test_a_polling_client_that_never_gets_is_closed_at_the_limit(
    small: Harness, polling: PollingClient
) -> None:
    for _ in range(3):
        assert _send(small, polling.sid, "x" * 1200)
    assert not _send(small, polling.sid, "x" * 1200)
    assert [e.description for e in small.events_of(SessionClosed)] == ["output buffer full"]
    assert _buffered(small, polling.sid) is None


def test_a_long_poll_answer_holds_about_max_http_buffer_size(make_harness: Any) -> None:
    harness = make_harness(max_http_buffer_size=100)
    client = harness.polling_client()
    for n in range(5):
        _send(harness, client.sid, f"{n}" * 40)  # 42 bytes each in a payload
    answers = [client.receive() for _ in range(3)]
    assert [len(decode_payload(answer)) for answer in answers] == [2, 2, 1]


def test_a_backlog_split_across_gets_arrives_whole_and_in_order(make_harness: Any) -> None:
    harness = make_harness(max_http_buffer_size=100)
    client = harness.polling_client()
    sent = [f"{n:02d}" * 15 for n in range(20)]
    for data in sent:
        _send(harness, client.sid, data)
    received: list[str | bytes] = []
    while _buffered(harness, client.sid):
        received += [packet.data for packet in decode_payload(client.receive())]
    assert received == sent


def test_a_packet_larger_than_the_cap_still_goes_alone(make_harness: Any) -> None:
    harness = make_harness(max_http_buffer_size=100)
    client = harness.polling_client()
    _send(harness, client.sid, "a" * 300)
    _send(harness, client.sid, "b")
    assert client.receive() == "4" + "a" * 300
    assert client.receive() == "4b"


def test_a_session_paused_on_polling_pauses_the_websocket_it_upgrades_to(
    small: Harness, polling: PollingClient
) -> None:
    _send(small, polling.sid, "x" * 1200)
    ws = small.open_websocket(f"/engine.io/?EIO=4&transport=websocket&sid={polling.sid}")
    small.ws_send(ws, "2probe")
    ws.stalled = True
    small.ws_send(ws, "5")
    assert ws.paused
    assert _buffered(small, polling.sid) == len("4" + "x" * 1200)


def test_drain_is_reported_once_the_backlog_is_gone(make_harness: Any) -> None:
    harness = make_harness(max_http_buffer_size=100)
    client = harness.polling_client()
    harness.core.watch_packets(client.sid)
    for n in range(3):
        _send(harness, client.sid, f"{n}" * 60)
    drains = []
    for _ in range(3):
        client.receive()
        drains.append(len(harness.events_of(SessionDrained)))
    assert drains == [0, 0, 1]
