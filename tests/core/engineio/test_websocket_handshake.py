"""RFC 6455 opening handshakes: an upgrade request that is not one is refused before anything.

An upgrade request (``Upgrade: websocket``) must be a ``GET`` whose ``Connection`` lists
``upgrade``, with a ``Sec-WebSocket-Key`` of 16 bytes in base64 and ``Sec-WebSocket-Version: 13``
(section 4.2.1). One that is not gets a 400 with the message Node's ``ws`` package gives, and
no session opens: the application never hears of a request that never was a WebSocket.
"""

from __future__ import annotations

import json

import pytest

from sio_core import EngineServer
from sio_core.events import HttpResponseReady, SessionOpened, WebSocketAccepted
from sio_core.http import HttpRequest
from sio_core.ids import CountingIds
from sio_core.testing import Harness

HANDSHAKE = "/engine.io/?EIO=4&transport=websocket"
VALID = {
    "upgrade": "websocket",
    "connection": "keep-alive, Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
}

BROKEN = [
    pytest.param({"sec-websocket-key": None}, "Sec-WebSocket-Key", id="no-key"),
    pytest.param({"sec-websocket-key": "c2hvcnQ="}, "Sec-WebSocket-Key", id="key-too-short"),
    pytest.param(
        {"sec-websocket-key": "not base64 at all!!!!!=="}, "Sec-WebSocket-Key", id="key-not-base64"
    ),
    pytest.param({"sec-websocket-version": None}, "Sec-WebSocket-Version", id="no-version"),
    pytest.param({"sec-websocket-version": "8"}, "Sec-WebSocket-Version", id="version-8"),
    pytest.param({"connection": None}, "Connection", id="no-connection"),
    pytest.param({"connection": "keep-alive"}, "Connection", id="connection-without-upgrade"),
]


def _headers(changes: dict[str, str | None]) -> list[tuple[str, str]]:
    fields = {**VALID, **changes}
    return [(name, value) for name, value in fields.items() if value is not None]


def _only_answer(server: EngineServer) -> HttpResponseReady:
    (event,) = server.events()
    assert isinstance(event, HttpResponseReady)
    return event


def test_a_valid_opening_handshake_is_accepted() -> None:
    server = EngineServer(id_generator=CountingIds())
    request = HttpRequest.from_target("GET", HANDSHAKE, _headers({}))
    server.receive_request(1, request, 0.0)
    kinds = [type(event) for event in server.events()]
    assert WebSocketAccepted in kinds
    assert SessionOpened in kinds


@pytest.mark.parametrize(("changes", "header"), BROKEN)
def test_a_broken_handshake_gets_400_naming_the_header(changes, header) -> None:
    server = EngineServer(id_generator=CountingIds())
    server.receive_request(1, HttpRequest.from_target("GET", HANDSHAKE, _headers(changes)), 0.0)
    answer = _only_answer(server)
    assert answer.response.status == 400
    assert json.loads(answer.response.body) == {
        "code": 3,
        "message": f"Missing or invalid {header} header",
    }


@pytest.mark.parametrize(("changes", "header"), BROKEN)
def test_a_broken_handshake_opens_no_session(changes, header) -> None:
    server = EngineServer(id_generator=CountingIds())
    server.receive_request(1, HttpRequest.from_target("GET", HANDSHAKE, _headers(changes)), 0.0)
    assert not [e for e in server.events() if isinstance(e, SessionOpened | WebSocketAccepted)]
    assert server.sids == []


@pytest.mark.parametrize(("changes", "header"), BROKEN)
def test_a_broken_upgrade_probe_is_refused_and_the_session_stays_on_polling(
    changes, header
) -> None:
    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = harness.polling_client()
    target = f"/engine.io/?EIO=4&transport=websocket&sid={client.sid}"
    request_id = harness.request("GET", target, headers=_headers(changes))
    response = harness.response(request_id)
    assert response is not None
    assert response.status == 400
    assert request_id not in harness.websockets
    assert harness.core.transport_of(client.sid) == "polling"  # type: ignore[attr-defined]


def test_an_upgrade_request_must_be_a_get() -> None:
    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = harness.polling_client()
    target = f"/engine.io/?EIO=4&transport=websocket&sid={client.sid}"
    request_id = harness.request("POST", target, headers=_headers({}))
    response = harness.response(request_id)
    assert response is not None
    assert json.loads(response.body) == {"code": 3, "message": "Invalid HTTP method"}
