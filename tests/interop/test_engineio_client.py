"""The official JavaScript client, ``engine.io-client`` 6.x, against our echo server.

Our own tests speak the protocol as we understood it; this module asks a peer none of us wrote.
Each test starts ``examples/engineio_echo.py`` on one backend (asyncio and trio), runs
``eio_client.mjs`` with a JSON scenario, and asserts on the one JSON line it prints. The
expectations (handshake fields, close reasons, ping counts) were first checked against the
official Node ``engine.io`` 6.6 server, so a failure here is a difference from Node, not a
matter of taste.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sio_servers import free_port, wait_listening

INTEROP_DIR = Path(__file__).resolve().parent
ROOT = INTEROP_DIR.parents[1]
CLIENT_SCRIPT = INTEROP_DIR / "eio_client.mjs"
ECHO_SERVER = [sys.executable, "-u", str(ROOT / "examples" / "engineio_echo.py")]
"""How to start the server under test; its CLI is that of ``examples/engineio_echo.py``."""

BACKENDS = ["asyncio", "trio"]
CLIENT_TIMEOUT_MS = 10_000

TEXTS = ["hello", "é ✓ 🎉", "bAQID", "4probe"]
"""Unicode, and strings that look like Engine.IO framing (a base64 marker, a packet type)."""
BINARIES = [bytes(range(256)), b"\x00", b"hello"]

Result = dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EchoServer:
    """A running echo server process, its URL and where its output goes."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    ping_interval_ms: int
    ping_timeout_ms: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ends the server even if a test left it SIGSTOPped (SIGTERM waits for SIGCONT)."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, once engine.io-client is installed; a clear failure otherwise."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (v18+) is not on PATH; the interop tests need it")
    if not (INTEROP_DIR / "node_modules" / "engine.io-client" / "package.json").is_file():
        pytest.fail("tests/interop/node_modules is missing: run `make npm` first")
    return executable


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def start_server(backend: str, tmp_path: Path) -> Iterator[Callable[..., EchoServer]]:
    """Starts echo servers on ``backend``; every one is killed when the test ends."""
    started: list[subprocess.Popen[bytes]] = []

    def start(ping_interval_ms: int = 5000, ping_timeout_ms: int = 5000) -> EchoServer:
        log = tmp_path / f"server-{len(started)}.log"
        args = ["--backend", backend, "--host", "127.0.0.1", "--port", str(free_port())]
        args += ["--ping-interval", str(ping_interval_ms), "--ping-timeout", str(ping_timeout_ms)]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*ECHO_SERVER, *args], stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT
            )
        started.append(process)
        url = wait_listening(process, log)
        return EchoServer(
            process=process,
            url=url,
            log=log,
            ping_interval_ms=ping_interval_ms,
            ping_timeout_ms=ping_timeout_ms,
        )

    try:
        yield start
    finally:
        for process in started:
            _stop(process)


def run_client(node: str, server: EchoServer, **scenario: Any) -> Result:
    """Runs one engine.io-client session and returns its JSON report; fails with both logs."""
    scenario = {"url": server.url, "timeout_ms": CLIENT_TIMEOUT_MS, **scenario}
    completed = subprocess.run(
        [node, str(CLIENT_SCRIPT), json.dumps(scenario)],
        capture_output=True,
        timeout=CLIENT_TIMEOUT_MS / 1000 + 10,
        cwd=INTEROP_DIR,
        check=False,
    )
    lines = completed.stdout.decode(errors="replace").strip().splitlines()
    context = f"stderr:\n{completed.stderr.decode(errors='replace')}\nserver:\n{server.output()}"
    if completed.returncode != 0 or not lines:
        pytest.fail(f"client exited {completed.returncode} without a report\n{context}")
    result: Result = json.loads(lines[-1])
    if result["timed_out"]:
        pytest.fail(f"client timed out: {lines[-1]}\n{context}")
    return result


def texts(*items: str) -> list[dict[str, str]]:
    return [{"text": item} for item in items]


def binaries(*items: bytes) -> list[dict[str, str]]:
    return [{"binary": base64.b64encode(item).decode()} for item in items]


# How to reach each transport, and when the messages may be sent on it.
TRANSPORT_MODES: dict[str, dict[str, Any]] = {
    "polling": {"transports": ["polling"]},
    "websocket": {"transports": ["websocket"]},
    "upgraded": {"send_on": "upgrade", "wait_upgrade": True},
}


def test_handshake_advertises_configured_heartbeat(
    node: str, start_server: Callable[..., EchoServer]
):
    server = start_server(ping_interval_ms=4321, ping_timeout_ms=1234)
    result = run_client(node, server, transports=["polling"])
    handshake = result["handshake"]
    assert handshake["pingInterval"] == 4321
    assert handshake["pingTimeout"] == 1234
    assert isinstance(handshake["sid"], str)
    assert handshake["sid"]
    assert isinstance(handshake["maxPayload"], int)
    assert handshake["maxPayload"] > 0


def test_polling_only_client_opens_and_stays_on_polling(
    node: str, start_server: Callable[..., EchoServer]
):
    result = run_client(node, start_server(), transports=["polling"])
    assert result["handshake"]["upgrades"] == ["websocket"]
    assert result["transports_seen"] == ["polling"]
    assert result["close"]["reason"] == "forced close"


def test_websocket_only_client_opens_without_upgrades(
    node: str, start_server: Callable[..., EchoServer]
):
    result = run_client(node, start_server(), transports=["websocket"])
    assert result["handshake"]["upgrades"] == []
    assert result["transports_seen"] == ["websocket"]
    assert result["close"]["reason"] == "forced close"


def test_polling_client_upgrades_to_websocket(node: str, start_server: Callable[..., EchoServer]):
    result = run_client(node, start_server(), wait_upgrade=True)
    assert result["open_transport"] == "polling"
    assert result["upgraded"] is True
    assert result["upgrade_errors"] == []
    assert result["final_transport"] == "websocket"


@pytest.mark.parametrize("mode", list(TRANSPORT_MODES))
def test_text_messages_are_echoed_in_order(
    node: str, start_server: Callable[..., EchoServer], mode: str
):
    sent = texts(*TEXTS)
    result = run_client(
        node, start_server(), send=sent, expect_messages=len(sent), **TRANSPORT_MODES[mode]
    )
    assert result["messages"] == sent


@pytest.mark.parametrize("mode", list(TRANSPORT_MODES))
def test_empty_text_message_is_echoed(
    node: str, start_server: Callable[..., EchoServer], mode: str
):
    result = run_client(
        node, start_server(), send=texts(""), expect_messages=1, **TRANSPORT_MODES[mode]
    )
    # The client decodes the bare "4" that an empty message is as a message without data.
    assert result["messages"] == [{"text": None}]


@pytest.mark.parametrize("mode", list(TRANSPORT_MODES))
def test_binary_messages_are_echoed_in_order(
    node: str, start_server: Callable[..., EchoServer], mode: str
):
    sent = binaries(*BINARIES)
    result = run_client(
        node, start_server(), send=sent, expect_messages=len(sent), **TRANSPORT_MODES[mode]
    )
    assert result["messages"] == sent


@pytest.mark.parametrize("mode", list(TRANSPORT_MODES))
def test_mixed_text_and_binary_keep_their_kind_and_order(
    node: str, start_server: Callable[..., EchoServer], mode: str
):
    sent = [*texts("a"), *binaries(b"\x01\x02"), *texts("bAQID"), *binaries(b"a")]
    result = run_client(
        node, start_server(), send=sent, expect_messages=len(sent), **TRANSPORT_MODES[mode]
    )
    assert result["messages"] == sent


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_heartbeat_keeps_an_idle_session_open(
    node: str, start_server: Callable[..., EchoServer], transport: str
):
    server = start_server(ping_interval_ms=300, ping_timeout_ms=300)
    result = run_client(node, server, transports=[transport], hold_ms=2000)
    assert result["pings"] >= 3
    assert result["close"]["reason"] == "forced close"


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_server_closes_a_client_that_stops_answering_pings(
    node: str, start_server: Callable[..., EchoServer], transport: str
):
    server = start_server(ping_interval_ms=300, ping_timeout_ms=300)
    result = run_client(node, server, transports=[transport], silent=True, until="close")
    assert result["close"]["reason"] == "transport close"
    assert result["pings"] == 1
    assert result["elapsed_ms"] >= server.ping_interval_ms


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_client_observes_ping_timeout_when_server_stops_pinging(
    node: str, start_server: Callable[..., EchoServer], transport: str
):
    server = start_server(ping_interval_ms=300, ping_timeout_ms=300)
    scenario = {"transports": [transport], "until": "close", "freeze_pid": server.process.pid}
    result = run_client(node, server, **scenario)
    assert result["froze"] is True
    assert result["close"]["reason"] == "ping timeout"
