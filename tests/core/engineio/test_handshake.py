"""Handshakes: the open packet, the path, and every Engine.IO error body a handshake can get."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sio_core import EngineServer
from sio_core.config import EngineConfig
from sio_core.events import SessionOpened, WebSocketAccepted, WebSocketDataReady
from sio_core.http import HttpRequest, HttpResponse
from sio_core.ids import CountingIds
from sio_core.testing import Harness

MakeHarness = Callable[..., Harness]

SID = "id1_________________"
OPEN_POLLING = (
    '0{"sid":"id1_________________","upgrades":["websocket"],'
    '"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
)
OPEN_WEBSOCKET = (
    '0{"sid":"id1_________________","upgrades":[],'
    '"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
)
WS_HEADERS = (
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("sec-websocket-version", "13"),
)


def error_of(response: HttpResponse | None) -> tuple[int, Any]:
    """The status and the decoded JSON body of an error answer."""
    assert response is not None, "the request is held"
    return response.status, json.loads(response.body)


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


# -- the open packet ---------------------------------------------------------------------------


def test_polling_handshake_answers_200_with_the_open_packet(harness: Harness) -> None:
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4&transport=polling"))
    assert response is not None
    assert response.status == 200
    assert response.body == OPEN_POLLING.encode()


def test_polling_handshake_is_text_plain_utf8_with_its_length(harness: Harness) -> None:
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4&transport=polling"))
    assert response is not None
    assert response.header("content-type") == "text/plain; charset=UTF-8"
    assert response.header("content-length") == str(len(OPEN_POLLING))


def test_open_packet_keys_come_in_node_order(harness: Harness) -> None:
    client = harness.polling_client()
    assert list(client.handshake) == [
        "sid",
        "upgrades",
        "pingInterval",
        "pingTimeout",
        "maxPayload",
    ]


def test_polling_handshake_reports_session_opened_with_the_request(harness: Harness) -> None:
    harness.request("GET", "/engine.io/?EIO=4&transport=polling", headers=[("X-Token", "t")])
    (event,) = harness.app_events
    assert isinstance(event, SessionOpened)
    assert (event.sid, event.transport) == (SID, "polling")
    assert event.request.url == "/engine.io/?EIO=4&transport=polling"
    assert event.request.header("x-token") == "t"


def test_websocket_handshake_accepts_then_sends_open_packet_without_upgrades() -> None:
    server = EngineServer(id_generator=CountingIds())
    request = HttpRequest.from_target("GET", "/engine.io/?EIO=4&transport=websocket", WS_HEADERS)
    server.receive_request(7, request, 0.0)
    assert server.events() == [
        WebSocketAccepted(request_id=7),
        WebSocketDataReady(ws_id=7, messages=(OPEN_WEBSOCKET,)),
        SessionOpened(sid=SID, transport="websocket", request=request),
    ]


def test_handshake_announces_configured_heartbeat_and_max_payload(
    make_harness: MakeHarness,
) -> None:
    harness = make_harness(ping_interval=1.5, ping_timeout=0.25, max_http_buffer_size=64)
    handshake = harness.polling_client().handshake
    assert (handshake["pingInterval"], handshake["pingTimeout"]) == (1500, 250)
    assert handshake["maxPayload"] == 64


def test_sid_comes_from_the_injected_id_generator() -> None:
    harness = Harness(EngineServer(id_generator=CountingIds("abc")))
    assert harness.polling_client().sid == "abc1".ljust(20, "_")


def test_each_handshake_opens_a_new_session(harness: Harness) -> None:
    first, second = harness.polling_client(), harness.polling_client()
    assert first.sid != second.sid
    assert isinstance(harness.core, EngineServer)
    assert sorted(harness.core.sids) == sorted([first.sid, second.sid])


# -- upgrades offered -------------------------------------------------------------------------


def test_no_upgrades_offered_when_allow_upgrades_is_false(make_harness: MakeHarness) -> None:
    harness = make_harness(allow_upgrades=False)
    assert harness.polling_client().handshake["upgrades"] == []


def test_no_upgrades_offered_when_websocket_transport_is_disabled(
    make_harness: MakeHarness,
) -> None:
    harness = make_harness(transports=("polling",))
    assert harness.polling_client().handshake["upgrades"] == []


# -- the path ---------------------------------------------------------------------------------


def test_configured_path_serves_the_handshake(make_harness: MakeHarness) -> None:
    harness = make_harness(path="/custom")
    client = harness.polling_client("/custom/")
    assert client.sid == SID


@pytest.mark.parametrize(
    ("path", "owned"),
    [
        ("/engine.io/", True),
        ("/engine.io/anything/below", True),
        ("/engine.io", False),
        ("/engine.iox/", False),
        ("/socket.io/", False),
        ("/", False),
    ],
)
def test_owns_is_a_prefix_match_on_the_path(path: str, owned: bool) -> None:
    server = EngineServer(id_generator=CountingIds())
    assert server.owns(HttpRequest(method="GET", path=path)) is owned


def test_owns_follows_the_configured_path() -> None:
    server = EngineServer(EngineConfig(path="/rt/"), id_generator=CountingIds())
    assert server.owns(HttpRequest(method="GET", path="/rt/", query_string="EIO=4"))
    assert not server.owns(HttpRequest(method="GET", path="/engine.io/"))


# -- error bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "headers", "code", "message"),
    [
        pytest.param("GET", "/engine.io/?EIO=4", (), 0, "Transport unknown", id="no-transport"),
        pytest.param(
            "GET", "/engine.io/?EIO=4&transport=flash", (), 0, "Transport unknown", id="bogus"
        ),
        pytest.param(
            "GET",
            "/engine.io/?EIO=4&transport=polling&sid=nope",
            (),
            1,
            "Session ID unknown",
            id="unknown-sid",
        ),
        pytest.param(
            "POST",
            "/engine.io/?EIO=4&transport=polling",
            (),
            2,
            "Bad handshake method",
            id="post-handshake",
        ),
        pytest.param(
            "GET",
            "/engine.io/?EIO=4&transport=websocket",
            (),
            3,
            "Bad request",
            id="websocket-without-upgrade",
        ),
        pytest.param(
            "GET",
            "/engine.io/?transport=polling",
            (),
            5,
            "Unsupported protocol version",
            id="no-eio",
        ),
        pytest.param(
            "GET",
            "/engine.io/?EIO=3&transport=polling",
            (),
            5,
            "Unsupported protocol version",
            id="eio3",
        ),
        pytest.param(
            "GET",
            "/engine.io/?EIO=5&transport=polling",
            (),
            5,
            "Unsupported protocol version",
            id="eio5",
        ),
        pytest.param(
            "GET",
            "/engine.io/?transport=websocket",
            WS_HEADERS,
            5,
            "Unsupported protocol version",
            id="websocket-no-eio",
        ),
    ],
)
def test_refused_request_gets_400_and_the_engine_error_body(
    harness: Harness,
    method: str,
    target: str,
    headers: tuple[tuple[str, str], ...],
    code: int,
    message: str,
) -> None:
    response = harness.response(harness.request(method, target, headers=headers))
    assert error_of(response) == (400, error_body(code, message))


def test_error_body_is_application_json(harness: Harness) -> None:
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4"))
    assert response is not None
    assert response.header("content-type") == "application/json"


def test_error_body_is_compact_json_as_node_writes_it(harness: Harness) -> None:
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4"))
    assert response is not None
    assert response.body == b'{"code":0,"message":"Transport unknown"}'


def test_refused_handshake_opens_no_session(harness: Harness) -> None:
    harness.request("GET", "/engine.io/?EIO=3&transport=polling")
    assert harness.app_events == []
    assert harness.core.next_deadline() is None


def test_websocket_with_unknown_transport_is_refused_not_accepted(harness: Harness) -> None:
    ws = harness.open_websocket("/engine.io/?EIO=4&transport=flash")
    assert not ws.accepted
    assert error_of(harness.response(ws.ws_id)) == (400, error_body(0, "Transport unknown"))


def test_transport_is_checked_before_the_handshake_method(harness: Harness) -> None:
    response = harness.response(harness.request("POST", "/engine.io/?EIO=4&transport=x"))
    assert error_of(response) == (400, error_body(0, "Transport unknown"))


# -- allow_request ----------------------------------------------------------------------------


def test_allow_request_false_refuses_with_403_forbidden(make_harness: MakeHarness) -> None:
    harness = make_harness(allow_request=lambda request: False)
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4&transport=polling"))
    assert error_of(response) == (403, error_body(4, "Forbidden"))
    assert harness.app_events == []


def test_allow_request_message_replaces_the_forbidden_message(make_harness: MakeHarness) -> None:
    harness = make_harness(allow_request=lambda request: "no token")
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4&transport=polling"))
    assert error_of(response) == (403, error_body(4, "no token"))


def test_allow_request_refusal_also_applies_to_websocket_handshakes(
    make_harness: MakeHarness,
) -> None:
    harness = make_harness(allow_request=lambda request: False)
    ws = harness.open_websocket("/engine.io/?EIO=4&transport=websocket")
    assert not ws.accepted
    assert error_of(harness.response(ws.ws_id)) == (403, error_body(4, "Forbidden"))


def test_allow_request_sees_the_handshake_request(make_harness: MakeHarness) -> None:
    seen: list[HttpRequest] = []

    def allow(request: HttpRequest) -> bool:
        seen.append(request)
        return request.header("authorization") == "Bearer ok"

    harness = make_harness(allow_request=allow)
    target = "/engine.io/?EIO=4&transport=polling"
    refused = harness.response(harness.request("GET", target))
    accepted = harness.response(
        harness.request("GET", target, headers=[("Authorization", "Bearer ok")])
    )
    assert refused is not None
    assert accepted is not None
    assert (refused.status, accepted.status) == (403, 200)
    assert [request.url for request in seen] == [target, target]


def test_allow_request_judges_handshakes_only(make_harness: MakeHarness) -> None:
    calls: list[str] = []

    def allow(request: HttpRequest) -> bool:
        calls.append(request.method)
        return True

    client = make_harness(allow_request=allow).polling_client()
    assert client.send("4hi").status == 200
    assert calls == ["GET"]


# -- transports ------------------------------------------------------------------------------


def test_websocket_only_server_refuses_polling_with_unknown_transport(
    make_harness: MakeHarness,
) -> None:
    harness = make_harness(transports=("websocket",))
    response = harness.response(harness.request("GET", "/engine.io/?EIO=4&transport=polling"))
    assert error_of(response) == (400, error_body(0, "Transport unknown"))


def test_websocket_only_server_accepts_websocket_handshakes(make_harness: MakeHarness) -> None:
    client = make_harness(transports=("websocket",)).websocket_client()
    assert client.handshake["upgrades"] == []


def test_polling_only_server_refuses_websocket_with_unknown_transport(
    make_harness: MakeHarness,
) -> None:
    harness = make_harness(transports=("polling",))
    ws = harness.open_websocket("/engine.io/?EIO=4&transport=websocket")
    assert error_of(harness.response(ws.ws_id)) == (400, error_body(0, "Transport unknown"))


def test_allow_request_is_asked_before_the_protocol_version(make_harness: MakeHarness) -> None:
    harness = make_harness(allow_request=lambda request: False)
    response = harness.response(harness.request("GET", "/engine.io/?EIO=3&transport=polling"))
    assert error_of(response) == (403, error_body(4, "Forbidden"))


def test_protocol_version_is_checked_on_the_handshake_only(harness: Harness) -> None:
    client = harness.polling_client()
    rid = harness.request("POST", f"/engine.io/?transport=polling&sid={client.sid}", "4x")
    response = harness.response(rid)
    assert response is not None
    assert response.status == 200
