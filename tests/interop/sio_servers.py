"""The server under the Socket.IO interop tests: ``examples/conformance.py`` as a subprocess.

``SIO_INTEROP_SERVER_CMD`` replaces the command (split like a shell would), which is how the
harness was checked against the official Node ``socket.io`` server running the same contract
(``--backend`` and ``--asgi`` are then passed on and ignored). The committed default is our
own server, natively on both loops and through ASGI (uvicorn, hypercorn on trio).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

INTEROP_DIR = Path(__file__).resolve().parent
ROOT = INTEROP_DIR.parents[1]
SERVER_CMD_ENV = "SIO_INTEROP_SERVER_CMD"
DEFAULT_SERVER_CMD = [sys.executable, "-u", str(ROOT / "examples" / "conformance.py")]
SERVER_START_TIMEOUT = 15.0
LISTENING = re.compile(r"listening on (http://\S+)")
BACKENDS = ["asyncio", "trio", "uvicorn", "hypercorn-trio"]
"""The native server on each loop, then the same app mounted through ASGI (``--asgi``)."""
ASGI_ARGS = {
    "uvicorn": ["--asgi", "uvicorn", "--backend", "asyncio"],
    "hypercorn-trio": ["--asgi", "hypercorn", "--backend", "trio"],
}
TRANSPORTS = ["polling", "websocket", "upgraded"]
"""Polling only, WebSocket only, and polling upgraded to WebSocket before the scenario acts."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerProcess:
    """A running conformance server: its process, URL, port and the file its output goes to."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """Ends it at once, as a crash would: no close frames, no goodbye."""
        stop(self.process)


def server_command() -> list[str]:
    override = os.environ.get(SERVER_CMD_ENV)
    return shlex.split(override) if override else list(DEFAULT_SERVER_CMD)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(process: subprocess.Popen[bytes], log: Path) -> str:
    """Polls the log for the ``listening on`` line; fails if the server dies or never says it."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        match = LISTENING.search(log.read_text(errors="replace"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.02)
    stop(process)
    pytest.fail(f"the server did not say 'listening on http://...':\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kills the server even if a test left it SIGSTOPped."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
    process.wait(timeout=5)


def start_server(
    backend: str,
    log: Path,
    *,
    port: int | None = None,
    ping_interval_ms: int = 2000,
    ping_timeout_ms: int = 5000,
    parser: str = "json",
) -> ServerProcess:
    """Starts one server on ``backend`` and waits until it listens (``--parser`` is passed
    only for another parser than JSON)."""
    port = free_port() if port is None else port
    server_args = ASGI_ARGS.get(backend, ["--backend", backend])
    args = [*server_args, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--ping-interval", str(ping_interval_ms), "--ping-timeout", str(ping_timeout_ms)]
    args += [] if parser == "json" else ["--parser", parser]
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [*server_command(), *args], stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT
        )
    url = wait_listening(process, log)
    return ServerProcess(process=process, url=url, port=port, log=log)
