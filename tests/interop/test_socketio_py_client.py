"""The official Python client, ``python-socketio``'s ``AsyncClient`` 5.x, against our server.

Each test runs one scenario of ``sio_py_client.py`` in its own asyncio loop against
``examples/conformance.py`` on one backend (asyncio and trio) and one transport (polling only,
WebSocket only, polling upgraded to WebSocket). Every expectation here was first met by the
official Node ``socket.io`` 4.8 server running the same contract. python-socketio names its
disconnect reasons its own way ("server disconnect", "transport error", ...), so those are the
ones asserted here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sio_py_client as py
from sio_servers import ServerProcess, start_server

FINAL_TRANSPORT = {"polling": "polling", "websocket": "websocket", "upgraded": "websocket"}
NESTED_BINARY_ARGS = (
    "text first",
    {"blob": bytes(range(256)), "list": [b"", 1, {"deep": b"\x00\xff"}]},
    b"top level",
    None,
    [1.5, True, "é ✓ 🎉"],
)
"""Arguments mixing JSON and binary at several depths, placeholders' order included."""


# --- handshake auth and namespaces ------------------------------------------------------------


def test_connect_delivers_handshake_auth_back_as_auth_event(
    sio_server: ServerProcess, sio_transport: str
):
    auth = {"token": "abc", "nested": {"n": [1, 2]}}
    result = py.run(py.auth_scenario(sio_server.url, sio_transport, auth=auth))
    assert result["auth"] == {"/": auth}
    assert result["transport"] == FINAL_TRANSPORT[sio_transport]


def test_connect_without_auth_delivers_empty_auth_object(
    sio_server: ServerProcess, sio_transport: str
):
    result = py.run(py.auth_scenario(sio_server.url, sio_transport))
    assert result["auth"] == {"/": {}}


def test_two_namespaces_share_one_engine_connection(sio_server: ServerProcess, sio_transport: str):
    auth = {"who": "both"}
    namespaces = ("/", "/custom")
    scenario = py.auth_scenario(sio_server.url, sio_transport, auth=auth, namespaces=namespaces)
    result = py.run(scenario)
    assert result["auth"] == {"/": auth, "/custom": auth}
    assert result["sids"]["/"] != result["sids"]["/custom"]


def test_middleware_rejection_reaches_client_as_connect_error(
    sio_server: ServerProcess, sio_transport: str
):
    scenario = py.restricted_scenario(sio_server.url, sio_transport, auth={"token": "no"})
    result = py.run(scenario)
    assert result["connected"] is False
    assert result["connect_error"] == [
        ({"message": "not authorized", "data": {"reason": "no token"}},)
    ]
    assert result["raised"] is not None


def test_middleware_admits_client_with_the_token(sio_server: ServerProcess, sio_transport: str):
    auth = {"token": "secret"}
    result = py.run(py.restricted_scenario(sio_server.url, sio_transport, auth=auth))
    assert result["connected"] is True
    assert result["auth"] == auth


# --- events and acks --------------------------------------------------------------------------


def test_event_with_nested_binary_is_echoed(sio_server: ServerProcess, sio_transport: str):
    result = py.run(py.event_scenario(sio_server.url, sio_transport, NESTED_BINARY_ARGS))
    assert result["reply"] == list(NESTED_BINARY_ARGS)
    assert result["transport"] == FINAL_TRANSPORT[sio_transport]


def test_client_ack_returns_the_same_arguments(sio_server: ServerProcess, sio_transport: str):
    result = py.run(py.ack_scenario(sio_server.url, sio_transport, NESTED_BINARY_ARGS))
    assert result["reply"] == list(NESTED_BINARY_ARGS)


def test_server_ack_gets_the_client_answer(sio_server: ServerProcess, sio_transport: str):
    answer = {"pong": b"\x01\x02"}
    result = py.run(py.server_ack_scenario(sio_server.url, sio_transport, answer=answer))
    assert result["ping_me_args"] == [[]]
    assert result["server_ack_result"] == answer


def test_server_ack_times_out_and_late_answer_is_ignored(
    sio_server: ServerProcess, sio_transport: str
):
    result = py.run(py.late_ack_scenario(sio_server.url, sio_transport, late_answer="late"))
    assert result["server_ack_result"] == "timeout"
    assert result["reply_after_late_answer"] == ["still here"]


# --- rooms ------------------------------------------------------------------------------------


def test_room_broadcast_reaches_members_only(sio_server: ServerProcess, sio_transport: str):
    payload = {"text": "to the room", "blob": b"\x00\x01"}
    result = py.run(py.rooms_scenario(sio_server.url, sio_transport, payload=payload))
    assert result["join_acks"] == ["joined", "joined", "joined"]
    assert result["received"] == {
        "member1": [[payload]],
        "member2": [[payload]],
        "outsider": [["marker"]],
    }


# --- disconnections ---------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", ["disconnect-me", "close-me"])
def test_server_disconnect_is_server_disconnect(
    sio_server: ServerProcess, sio_transport: str, trigger: str
):
    result = py.run(py.disconnect_scenario(sio_server.url, sio_transport, trigger=trigger))
    assert result["reason"] == "server disconnect"
    assert result["connected"] is False


def test_client_disconnect_is_client_disconnect(sio_server: ServerProcess, sio_transport: str):
    result = py.run(py.disconnect_scenario(sio_server.url, sio_transport, trigger="client"))
    assert result["reason"] == "client disconnect"


def test_killed_server_is_transport_error(sio_launch: Any, sio_transport: str):
    server = sio_launch()
    scenario = py.disconnect_scenario(
        server.url, sio_transport, trigger="kill", pid=server.process.pid
    )
    assert py.run(scenario)["reason"] == "transport error"


def test_frozen_server_is_transport_error(sio_launch: Any, sio_transport: str):
    server = sio_launch(ping_interval_ms=300, ping_timeout_ms=300)
    scenario = py.disconnect_scenario(
        server.url, sio_transport, trigger="freeze", pid=server.process.pid
    )
    assert py.run(scenario)["reason"] == "transport error"


# --- server restart ---------------------------------------------------------------------------


def test_client_reconnects_to_a_restarted_server(
    sio_launch: Any, sio_backend: str, sio_transport: str
):
    first = sio_launch()
    restarted: list[ServerProcess] = []

    def kill_and_start_again() -> None:
        first.kill()
        restarted.append(start_server(sio_backend, first.log, port=first.port))

    async def restart() -> None:
        await asyncio.to_thread(kill_and_start_again)

    auth = {"token": "again"}
    try:
        result = py.run(py.restart_scenario(first.url, sio_transport, auth=auth, restart=restart))
    finally:
        for server in restarted:
            server.kill()
    assert result["reason"] == "transport error"
    assert result["auth_after"] == auth
    assert result["reply"] == ["after restart"]
