"""socket.io-client with socket.io-msgpack-parser 3.0 against `conformance.py --parser msgpack`.

The same driver and scenarios as ``test_socketio_js_client.py``, with ``parser: "msgpack"`` given
to every Manager, on both loops and the three transports. What differs from JSON is on the wire
only: every packet is one binary message, so these tests pass only if both sides read each other's
msgpack, the client's ``undefined`` and typed arrays included, and if the server never writes what
the client's decoder refuses (a ``nil`` id, a DISCONNECT with data), which would close the
connection on the client's side with "parse error".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sio_servers import INTEROP_DIR, ServerProcess, start_server, stop
from test_socketio_js_client import NESTED_BINARY_ARGS, b64, node, run_client

__all__ = ["node"]  # the fixture, shared with the JSON tests


@pytest.fixture(scope="session")
def msgpack_node(node: str) -> str:
    """The node binary, once socket.io-msgpack-parser is installed beside socket.io-client."""
    if not (INTEROP_DIR / "node_modules" / "socket.io-msgpack-parser" / "package.json").is_file():
        pytest.fail("tests/interop/node_modules has no socket.io-msgpack-parser: run `make npm`")
    return node


@pytest.fixture(scope="session")
def msgpack_server(
    sio_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One msgpack server per backend for every scenario here."""
    log = tmp_path_factory.mktemp(f"sio-msgpack-{sio_backend}") / "server.log"
    server = start_server(sio_backend, log, parser="msgpack")
    try:
        yield server
    finally:
        stop(server.process)


def run(node: str, server: ServerProcess, transport: str, **scenario: Any) -> dict[str, Any]:
    return run_client(node, server, transport, parser="msgpack", **scenario)


# --- connecting -------------------------------------------------------------------------------


def test_auth_reaches_the_server_in_two_namespaces_of_one_connection(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    auth = {"token": "abc", "blob": b64(b"\x00\x01")}
    scenario = {"scenario": "auth", "auth": auth, "namespaces": ["/", "/custom"]}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    sockets = result["sockets"]
    assert [sockets[nsp]["auth"] for nsp in ("/", "/custom")] == [auth, auth]
    assert result["engine_ids"]["/"] == result["engine_ids"]["/custom"]


def test_a_connect_without_auth_sends_undefined_data_read_as_no_auth(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    result = run(msgpack_node, msgpack_server, sio_transport, scenario="auth")
    assert result["sockets"]["/"]["connected"] is True
    assert result["sockets"]["/"]["auth"] == {}


def test_a_middleware_rejection_reaches_the_client_as_connect_error(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    scenario = {"scenario": "restricted", "auth": {"token": "no"}, "wait_upgrade": False}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    assert result["socket"]["connected"] is False
    assert result["socket"]["connect_error"] == {
        "message": "not authorized",
        "data": {"reason": "no token"},
    }


# --- events and acks, binary both ways --------------------------------------------------------


def test_an_event_with_nested_binary_is_echoed(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    scenario = {"scenario": "event", "args": NESTED_BINARY_ARGS}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    assert result["reply"] == NESTED_BINARY_ARGS


def test_typed_arrays_and_undefined_arrive_as_bytes_and_none(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    # A one-byte Uint8Array holding 0 is an ext 8 of type 0: bytes, not notepack's undefined.
    args = [
        {"$u8": "AA=="},
        {"$u8": "AAECAwQFBgc="},
        {"$undefined": True},
        {"k": {"$undefined": True}},
    ]
    result = run(msgpack_node, msgpack_server, sio_transport, scenario="event", args=args)
    assert result["reply"] == [b64(b"\x00"), b64(bytes(range(8))), None, {}]


def test_the_clients_ack_id_is_answered_with_binary(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    scenario = {"scenario": "ack", "args": NESTED_BINARY_ARGS}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    assert result["reply"] == NESTED_BINARY_ARGS


def test_the_servers_emit_with_ack_gets_the_clients_binary_answer(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    answer = {"pong": b64(b"\x01\x02")}
    scenario = {"scenario": "server_ack", "answer": answer}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    assert result["ping_me_args"] == []
    assert result["server_ack_result"] == answer


def test_a_room_broadcast_reaches_members_only(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    payload = {"text": "to the room", "blob": b64(b"\x00\x01")}
    result = run(msgpack_node, msgpack_server, sio_transport, scenario="rooms", payload=payload)
    assert result["received"] == {
        "member1": [[payload]],
        "member2": [[payload]],
        "outsider": [["marker"]],
    }


# --- disconnections ---------------------------------------------------------------------------


def test_the_servers_disconnect_packet_is_read_as_io_server_disconnect(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    scenario = {"scenario": "disconnect", "trigger": "disconnect-me"}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    assert (result["reason"], result["active"]) == ("io server disconnect", False)


def test_the_clients_disconnect_packet_is_read_as_io_client_disconnect(
    msgpack_node: str, msgpack_server: ServerProcess, sio_transport: str
):
    scenario = {"scenario": "disconnect", "trigger": "client"}
    result = run(msgpack_node, msgpack_server, sio_transport, **scenario)
    assert (result["reason"], result["active"]) == ("io client disconnect", False)
