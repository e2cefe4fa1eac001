"""Long-polling: POSTs carry packets in, a held GET carries the outbox out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sio_core.errors import DisconnectReason
from sio_core.events import MessageReceived, SessionClosed
from sio_core.http import HttpResponse
from sio_core.testing import Harness, PollingClient


def messages(harness: Harness) -> list[str | bytes]:
    return [event.data for event in harness.app_events if isinstance(event, MessageReceived)]


def error_of(response: HttpResponse | None) -> tuple[int, Any]:
    assert response is not None, "the request is held"
    return response.status, json.loads(response.body)


def body_of(response: HttpResponse | None) -> bytes:
    assert response is not None, "the request is held"
    return response.body


# -- POST -------------------------------------------------------------------------------------


def test_post_is_answered_200_ok_text_html(client: PollingClient) -> None:
    response = client.send("4hello")
    assert (response.status, response.body) == (200, b"ok")
    assert response.header("content-type") == "text/html"


def test_post_message_becomes_message_received(harness: Harness, client: PollingClient) -> None:
    client.send("4hello")
    assert harness.app_events[-1] == MessageReceived(sid=client.sid, data="hello")


def test_packets_of_one_post_are_received_in_order(
    harness: Harness, client: PollingClient
) -> None:
    client.send("4a\x1e4b\x1e4c")
    assert messages(harness) == ["a", "b", "c"]


def test_binary_packet_b_base64_is_received_as_bytes(
    harness: Harness, client: PollingClient
) -> None:
    client.send("bAQID\x1e4text")
    assert messages(harness) == [b"\x01\x02\x03", "text"]


def test_empty_text_message_is_received(harness: Harness, client: PollingClient) -> None:
    client.send("4")
    assert messages(harness) == [""]


def test_post_with_unknown_sid_gets_400_code_1(harness: Harness) -> None:
    rid = harness.request("POST", "/engine.io/?EIO=4&transport=polling&sid=nope", "4x")
    assert error_of(harness.response(rid)) == (400, {"code": 1, "message": "Session ID unknown"})


def test_binary_content_type_post_is_refused_and_closes_the_session(
    harness: Harness, client: PollingClient
) -> None:
    headers = [("Content-Type", "application/octet-stream")]
    rid = harness.request("POST", client.url, b"\x04hi", headers=headers)
    assert error_of(harness.response(rid)) == (400, {"code": 3, "message": "Bad request"})
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]
    assert messages(harness) == []


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"9x", id="unknown-type"),
        pytest.param(b"4a\x1e", id="trailing-separator"),
        pytest.param(b"b!!!", id="bad-base64"),
        pytest.param(b"4\xff", id="bad-utf8"),
    ],
)
def test_undecodable_payload_gets_400_and_closes_with_parse_error(
    harness: Harness, client: PollingClient, payload: bytes
) -> None:
    rid = harness.request("POST", client.url, payload)
    status, _ = error_of(harness.response(rid))
    assert status == 400
    assert [e.reason for e in harness.events_of(SessionClosed)] == [DisconnectReason.PARSE_ERROR]


def test_client_close_packet_closes_with_transport_close(
    harness: Harness, client: PollingClient
) -> None:
    assert client.send("1").status == 200
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_CLOSE
    ]


def test_client_close_packet_releases_the_held_get_with_noop(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    client.send("1")
    assert body_of(harness.response(held)) == b"6"


def test_packets_after_a_close_packet_are_ignored(harness: Harness, client: PollingClient) -> None:
    client.send("4before\x1e1\x1e4after")
    assert messages(harness) == ["before"]


def test_client_ping_is_an_invalid_heartbeat_direction(
    harness: Harness, client: PollingClient
) -> None:
    client.send("2")
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]


@pytest.mark.parametrize("payload", ["6", "5", '0{"sid":"x"}'])
def test_noop_upgrade_and_open_from_client_over_polling_are_ignored(
    harness: Harness, client: PollingClient, payload: str
) -> None:
    assert client.send(payload).status == 200
    assert harness.events_of(SessionClosed) == []
    assert client.sid in harness.core.sids


def test_unsolicited_pong_does_not_close_the_session(
    harness: Harness, client: PollingClient
) -> None:
    client.send("3")
    assert harness.events_of(SessionClosed) == []


# -- GET --------------------------------------------------------------------------------------


def test_get_is_held_while_there_is_nothing_to_send(
    harness: Harness, client: PollingClient
) -> None:
    assert harness.response(client.poll()) is None


def test_held_get_is_answered_when_the_app_sends(harness: Harness, client: PollingClient) -> None:
    held = client.poll()
    assert harness.core.send(client.sid, "hello")
    harness.pump()
    response = harness.response(held)
    assert response is not None
    assert (response.status, response.body) == (200, b"4hello")
    assert response.header("content-type") == "text/plain; charset=UTF-8"


def test_sends_before_the_drain_go_out_as_one_payload(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    server = harness.core
    server.send(client.sid, "a")
    server.send(client.sid, "b")
    server.send(client.sid, "c")
    harness.pump()
    assert body_of(harness.response(held)) == b"4a\x1e4b\x1e4c"


def test_get_with_queued_output_is_answered_at_once(
    harness: Harness, client: PollingClient
) -> None:
    server = harness.core
    server.send(client.sid, "a")
    server.send(client.sid, "b")
    harness.pump()
    assert client.receive() == "4a\x1e4b"


def test_binary_is_sent_as_b_base64(harness: Harness, client: PollingClient) -> None:
    harness.core.send(client.sid, b"\x01\x02\x03")
    harness.core.send(client.sid, "t")
    assert client.receive() == "bAQID\x1e4t"


def test_outbox_is_sent_only_once(harness: Harness, client: PollingClient) -> None:
    harness.core.send(client.sid, "once")
    assert client.receive() == "4once"
    assert harness.response(client.poll()) is None


def test_writable_only_while_a_get_is_held(harness: Harness, client: PollingClient) -> None:
    server = harness.core
    assert not server.writable(client.sid)
    client.poll()
    assert server.writable(client.sid)


def test_transport_of_a_polling_session_is_polling(
    harness: Harness, client: PollingClient
) -> None:
    assert harness.core.transport_of(client.sid) == "polling"


def test_second_get_while_one_is_held_gets_400(harness: Harness, client: PollingClient) -> None:
    client.poll()
    second = harness.response(client.poll())
    assert second is not None
    assert second.status == 400


def test_second_get_while_one_is_held_closes_with_transport_error(
    harness: Harness, client: PollingClient
) -> None:
    client.poll()
    client.poll()
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]


def test_second_get_releases_the_held_one_with_a_close_packet(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    client.poll()
    assert body_of(harness.response(held)) == b"1"


def test_aborted_held_get_closes_with_transport_error(
    harness: Harness, client: PollingClient
) -> None:
    held = client.poll()
    harness.abort(held)
    assert [e.reason for e in harness.events_of(SessionClosed)] == [
        DisconnectReason.TRANSPORT_ERROR
    ]
    assert harness.response(held) is None


def test_abort_of_an_answered_request_changes_nothing(
    harness: Harness, client: PollingClient
) -> None:
    rid = harness.request("POST", client.url, "4x")
    harness.abort(rid)
    assert harness.events_of(SessionClosed) == []


def test_get_with_unknown_sid_gets_400_code_1(harness: Harness) -> None:
    rid = harness.request("GET", "/engine.io/?EIO=4&transport=polling&sid=nope")
    assert error_of(harness.response(rid)) == (400, {"code": 1, "message": "Session ID unknown"})


def test_sid_is_unknown_once_the_session_closed(harness: Harness, client: PollingClient) -> None:
    client.send("1")
    response = harness.response(client.poll())
    assert error_of(response) == (400, {"code": 1, "message": "Session ID unknown"})
    assert harness.core.transport_of(client.sid) is None


def test_send_to_a_closed_session_returns_false(harness: Harness, client: PollingClient) -> None:
    client.send("1")
    assert harness.core.send(client.sid, "late") is False


def test_send_to_an_unknown_sid_returns_false(harness: Harness) -> None:
    assert harness.core.send("nope", "x") is False


def test_websocket_transport_without_upgrade_for_a_polling_sid_is_a_bad_request(
    harness: Harness, client: PollingClient
) -> None:
    target = f"/engine.io/?EIO=4&transport=websocket&sid={client.sid}"
    response = harness.response(harness.request("GET", target))
    assert error_of(response) == (400, {"code": 3, "message": "Bad request"})
    assert harness.events_of(SessionClosed) == []


def test_payload_is_utf8_and_content_length_counts_bytes(
    harness: Harness, client: PollingClient
) -> None:
    harness.core.send(client.sid, "héllo €")
    response = harness.response(client.poll())
    assert response is not None
    assert response.body == "4héllo €".encode()
    assert response.header("content-length") == str(len("4héllo €".encode()))


def test_non_ascii_post_is_received_as_text(harness: Harness, client: PollingClient) -> None:
    harness.request("POST", client.url, "4héllo €".encode())
    assert messages(harness) == ["héllo €"]
