"""run_server, as scripts use it: the first Ctrl-C closes gracefully, a second one at once.

The examples are started as processes (signals go to a process), on both event loops.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "examples" / "conformance.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(backend: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    command = [sys.executable, str(CONFORMANCE), "--port", str(port), "--backend", backend]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening on"), line
    return process, port


def _connect_websocket(port: int) -> socket.socket:
    """A raw WebSocket session, so the test sees what the server sends when it shuts down."""
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    return client


def _read_until_closed(client: socket.socket) -> bytes:
    received = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        chunk = client.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_first_interrupt_closes_every_session_then_exits_cleanly(backend: str) -> None:
    process, port = _start(backend)
    try:
        client = _connect_websocket(port)
        assert client.recv(65536).startswith(b"HTTP/1.1 101 ")
        process.send_signal(signal.SIGINT)
        received = _read_until_closed(client)
        client.close()
        assert b"\x88" in received  # the server sent a WebSocket close frame before leaving
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_second_interrupt_exits_at_once(backend: str) -> None:
    process, _ = _start(backend)
    try:
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
