"""``python -m sio_anyio module:io``: a tiny app module served from the command line.

Each test starts the command as a process on a free port, in a folder holding the app module
(the current directory is on the import path, as with uvicorn), and talks to it over HTTP.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = """
from sio_anyio import Server

io = Server()
not_a_server = 42


@io.on("connection")
def on_connection(socket):
    socket.on("echo", lambda *args: args)
"""
POLLING = "/socket.io/?EIO=4&transport=polling"
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
LOG_LINE = re.compile(rf"^{TIMESTAMP} INFO sio_anyio: socket \S+ connected to /$")


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "tiny_app.py").write_text(APP)
    return tmp_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sio_anyio", *args]


@pytest.fixture
def serving(app_dir: Path, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    """The command serving ``tiny_app:io`` on the backend the test names; killed at the end."""
    port, backend = free_port(), request.param
    args = ["tiny_app:io", "--port", str(port), "--backend", backend]
    process = subprocess.Popen(
        command(*args), cwd=app_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)
        for pipe in (process.stdout, process.stderr):
            assert pipe is not None
            pipe.close()


def exchange(port: int, method: str, target: str, body: bytes = b"") -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, target, body)
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()


def echo_over_polling(port: int) -> str:
    """Open a session, join ``/``, emit ``echo`` with an ack id: the ack that comes back."""
    sid = json.loads(exchange(port, "GET", POLLING)[1:])["sid"]
    target = f"{POLLING}&sid={sid}"
    exchange(port, "POST", target, b"40")
    assert exchange(port, "GET", target).startswith("40{")
    exchange(port, "POST", target, b'421["echo","hi"]')
    return exchange(port, "GET", target)


@pytest.mark.parametrize("serving", ["asyncio", "trio"], indirect=True)
def test_serves_the_module_until_interrupted(serving: subprocess.Popen[str]) -> None:
    assert serving.stdout is not None
    assert serving.stderr is not None
    banner = serving.stdout.readline()
    port = int(banner.rsplit(":", 1)[1])
    answer = echo_over_polling(port)
    serving.send_signal(signal.SIGINT)
    assert serving.wait(timeout=10) == 0
    logged = serving.stderr.read().splitlines()
    assert banner == f"listening on http://127.0.0.1:{port}\n"
    assert answer == '431["hi"]'
    assert any(LOG_LINE.match(line) for line in logged), logged


@pytest.mark.parametrize(
    ("target", "complaint"),
    [
        ("tiny_app", "the target must be module:attribute"),
        ("no_such_module:io", "cannot import 'no_such_module'"),
        ("tiny_app:nothing", "'tiny_app' has no attribute 'nothing'"),
        (
            "tiny_app:not_a_server",
            "tiny_app:not_a_server is not a server: int has no serve() and close()",
        ),
    ],
)
def test_a_target_that_names_no_server_is_a_usage_error(
    app_dir: Path, target: str, complaint: str
) -> None:
    done = subprocess.run(command(target), cwd=app_dir, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert complaint in done.stderr
