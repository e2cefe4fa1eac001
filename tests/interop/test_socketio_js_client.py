"""The official JavaScript client, ``socket.io-client`` 4.x, against our conformance server.

Each test runs ``sio_client.mjs`` with a JSON scenario against ``examples/conformance.py`` on
one backend (asyncio and trio) and one transport (polling only, WebSocket only, polling
upgraded to WebSocket), and asserts on the JSON line it prints. Every expectation here was first
met by the official Node ``socket.io`` 4.8 server running the same contract, so a failure is a
difference from Node, not a matter of taste.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from typing import Any

import pytest
from sio_servers import INTEROP_DIR, ServerProcess, start_server

CLIENT_SCRIPT = INTEROP_DIR / "sio_client.mjs"
CLIENT_TIMEOUT_MS = 10_000
Result = dict[str, Any]

TRANSPORT_SCENARIO: dict[str, dict[str, Any]] = {
    "polling": {"transports": ["polling"]},
    "websocket": {"transports": ["websocket"]},
    "upgraded": {"transports": ["polling", "websocket"], "wait_upgrade": True},
}
FINAL_TRANSPORT = {"polling": "polling", "websocket": "websocket", "upgraded": "websocket"}


def b64(data: bytes) -> dict[str, str]:
    """A binary value as sio_client.mjs carries it in JSON."""
    return {"$bin": base64.b64encode(data).decode()}


NESTED_BINARY_ARGS = [
    "text first",
    {"blob": b64(bytes(range(256))), "list": [b64(b""), 1, {"deep": b64(b"\x00\xff")}]},
    b64(b"top level"),
    None,
    [1.5, True, "é ✓ 🎉"],
]
"""Arguments mixing JSON and binary at several depths, placeholders' order included."""


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, once socket.io-client is installed; a clear failure otherwise."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (v18+) is not on PATH; the interop tests need it")
    if not (INTEROP_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail("tests/interop/node_modules has no socket.io-client: run `make npm` first")
    return executable


def _command(node: str, server: ServerProcess, transport: str, scenario: dict[str, Any]) -> list:
    scenario = {
        "url": server.url,
        "timeout_ms": CLIENT_TIMEOUT_MS,
        **TRANSPORT_SCENARIO[transport],
        **scenario,
    }
    return [node, str(CLIENT_SCRIPT), json.dumps(scenario)]


def _report(
    lines: list[str], returncode: int | None, stderr: str, server: ServerProcess
) -> Result:
    """The client's last line as a dict; a failure quoting both sides' output otherwise."""
    context = f"client stderr:\n{stderr}\nserver output:\n{server.output()}"
    if returncode != 0 or not lines:
        pytest.fail(f"client exited {returncode} without a report\n{context}")
    result: Result = json.loads(lines[-1])
    if result["timed_out"] or result["error"]:
        pytest.fail(f"client did not complete: {lines[-1]}\n{context}")
    return result


def run_client(node: str, server: ServerProcess, transport: str, **scenario: Any) -> Result:
    """Runs one scenario to its end and returns the client's report."""
    completed = subprocess.run(
        _command(node, server, transport, scenario),
        capture_output=True,
        timeout=CLIENT_TIMEOUT_MS / 1000 + 10,
        cwd=INTEROP_DIR,
        check=False,
    )
    lines = completed.stdout.decode(errors="replace").strip().splitlines()
    result = _report(
        lines, completed.returncode, completed.stderr.decode(errors="replace"), server
    )
    if scenario.get("wait_upgrade", True):
        assert result["transport"] == FINAL_TRANSPORT[transport]
    return result


# --- handshake auth and namespaces ------------------------------------------------------------


def test_connect_delivers_handshake_auth_back_as_auth_event(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    auth = {"token": "abc", "nested": {"n": [1, 2]}}
    result = run_client(node, sio_server, sio_transport, scenario="auth", auth=auth)
    assert result["sockets"]["/"]["connected"] is True
    assert result["sockets"]["/"]["auth"] == auth


def test_connect_without_auth_delivers_empty_auth_object(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(node, sio_server, sio_transport, scenario="auth")
    assert result["sockets"]["/"]["auth"] == {}


def test_two_namespaces_share_one_engine_connection(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    auth = {"who": "both"}
    result = run_client(
        node, sio_server, sio_transport, scenario="auth", auth=auth, namespaces=["/", "/custom"]
    )
    sockets = result["sockets"]
    assert [sockets[n]["auth"] for n in ("/", "/custom")] == [auth, auth]
    assert sockets["/"]["id"] != sockets["/custom"]["id"]
    assert result["engine_ids"]["/"] == result["engine_ids"]["/custom"]


def test_middleware_rejection_reaches_client_as_connect_error(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    # The upgrade may never come: the Manager closes the connection once its only socket fails.
    scenario = {"scenario": "restricted", "auth": {"token": "no"}, "wait_upgrade": False}
    result = run_client(node, sio_server, sio_transport, **scenario)
    assert result["socket"]["connected"] is False
    assert result["socket"]["connect_error"] == {
        "message": "not authorized",
        "data": {"reason": "no token"},
    }


def test_middleware_admits_client_with_the_token(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    auth = {"token": "secret"}
    result = run_client(node, sio_server, sio_transport, scenario="restricted", auth=auth)
    assert result["socket"]["connected"] is True
    assert result["socket"]["auth"] == auth


# --- events and acks --------------------------------------------------------------------------


def test_event_with_nested_binary_is_echoed(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(node, sio_server, sio_transport, scenario="event", args=NESTED_BINARY_ARGS)
    assert result["reply"] == NESTED_BINARY_ARGS


def test_client_ack_returns_the_same_arguments(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(node, sio_server, sio_transport, scenario="ack", args=NESTED_BINARY_ARGS)
    assert result["reply"] == NESTED_BINARY_ARGS


def test_server_ack_gets_the_client_answer(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    answer = {"pong": b64(b"\x01\x02")}
    result = run_client(node, sio_server, sio_transport, scenario="server_ack", answer=answer)
    assert result["ping_me_args"] == []
    assert result["server_ack_result"] == answer


def test_server_ack_times_out_and_late_answer_is_ignored(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(node, sio_server, sio_transport, scenario="server_ack", late_answer="late")
    assert result["server_ack_result"] == "timeout"
    assert result["reply_after_late_answer"] == ["still here"]


# --- rooms ------------------------------------------------------------------------------------


def test_room_broadcast_reaches_members_only(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    payload = {"text": "to the room", "blob": b64(b"\x00\x01")}
    result = run_client(node, sio_server, sio_transport, scenario="rooms", payload=payload)
    assert result["join_acks"] == ["joined", "joined", "joined"]
    assert result["received"] == {
        "member1": [[payload]],
        "member2": [[payload]],
        "outsider": [["marker"]],
    }


# --- disconnections ---------------------------------------------------------------------------


def test_server_disconnect_is_io_server_disconnect_without_reconnect(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(
        node, sio_server, sio_transport, scenario="disconnect", trigger="disconnect-me"
    )
    assert result["reason"] == "io server disconnect"
    assert result["active"] is False


def test_server_disconnect_closing_connection_is_io_server_disconnect(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(node, sio_server, sio_transport, scenario="disconnect", trigger="close-me")
    assert result["reason"] == "io server disconnect"
    assert result["active"] is False


def test_client_disconnect_is_io_client_disconnect(
    node: str, sio_server: ServerProcess, sio_transport: str
):
    result = run_client(node, sio_server, sio_transport, scenario="disconnect", trigger="client")
    assert result["reason"] == "io client disconnect"
    assert result["active"] is False


KILLED_REASON = {"polling": "transport error", "websocket": "transport close"}


def test_killed_server_is_transport_loss_and_client_would_reconnect(
    node: str, sio_launch: Any, sio_transport: str
):
    server = sio_launch()
    scenario = {"scenario": "disconnect", "trigger": "kill", "kill_pid": server.process.pid}
    result = run_client(node, server, sio_transport, **scenario)
    assert result["reason"] == KILLED_REASON[FINAL_TRANSPORT[sio_transport]]
    assert result["active"] is True


def test_frozen_server_is_ping_timeout(node: str, sio_launch: Any, sio_transport: str):
    server = sio_launch(ping_interval_ms=300, ping_timeout_ms=300)
    scenario = {"scenario": "disconnect", "trigger": "freeze", "freeze_pid": server.process.pid}
    result = run_client(node, server, sio_transport, **scenario)
    assert result["reason"] == "ping timeout"
    assert result["active"] is True


# --- server restart ---------------------------------------------------------------------------


def _read_stage(process: subprocess.Popen[bytes], server: ServerProcess) -> Result:
    """Waits for the client's ``{"stage": ...}`` line."""
    assert process.stdout is not None
    line = process.stdout.readline().decode(errors="replace")
    if not line:
        process.wait(timeout=5)
        pytest.fail(f"client ended before connecting; server output:\n{server.output()}")
    stage: Result = json.loads(line)
    return stage


def test_client_reconnects_to_a_restarted_server(
    node: str, sio_launch: Any, sio_backend: str, sio_transport: str
):
    first = sio_launch()
    auth = {"token": "again"}
    scenario = {"scenario": "restart", "auth": auth}
    with subprocess.Popen(
        _command(node, first, sio_transport, scenario),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=INTEROP_DIR,
    ) as client:
        try:
            assert _read_stage(client, first)["stage"] == "connected"
            first.kill()
            second = start_server(sio_backend, first.log, port=first.port)
            try:
                out, err = client.communicate(timeout=CLIENT_TIMEOUT_MS / 1000 + 10)
            finally:
                second.kill()
        finally:
            if client.poll() is None:
                client.kill()
    lines = out.decode(errors="replace").strip().splitlines()
    result = _report(lines, client.returncode, err.decode(errors="replace"), second)
    assert result["reason"] == KILLED_REASON[FINAL_TRANSPORT[sio_transport]]
    assert result["reconnect_attempt"] >= 1
    assert result["auth_after"] == auth
    assert result["reply"] == ["after restart"]
