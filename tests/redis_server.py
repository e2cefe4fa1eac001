"""Real ``redis-server`` processes for the tests, each started here on a free port of its own.

``make test`` installs Debian's ``redis-server`` when it is missing; a machine without it fails
these tests loudly rather than skipping them. Only servers started here are ever stopped,
killed or frozen: never the usual one on port 6379, nor any other Redis of the machine.

Fixtures (imported into ``tests/conftest.py``):

- ``redis_server``: one server for the whole session; tests that share it use channel names of
  their own, and never stop it.
- ``redis_url``: its URL, ``redis://127.0.0.1:<port>``.
- ``spawn_redis``: a factory of servers of the test's own, to stop, kill, freeze and restart
  (the fault tests); each is gone when the test ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

START_TIMEOUT = 10.0
"""Seconds a redis-server may take to answer its first PING."""
FORBIDDEN_PORT = 6379
"""The machine's own Redis, if any: never started, stopped or flushed here."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers_ping(port: int) -> bool:
    """Whether something on ``port`` answers ``PING`` as Redis does, within half a second."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` of our own: loopback only, a directory of its own, and no persistence
    unless ``persistent`` (an append-only file, written at each command, read at each start).

    It can be stopped, killed, frozen and started again on the same port, which is how the
    fault tests take Redis away from a node and give it back.
    """

    def __init__(
        self, directory: Path, port: int | None = None, *, persistent: bool = False
    ) -> None:
        self.directory = directory
        self.persistent = persistent
        self.port = free_port() if port is None else port
        assert self.port != FORBIDDEN_PORT
        self.process: subprocess.Popen[bytes] | None = None
        self.log = directory / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        """Start it and wait until it answers PING; fail the test loudly if it does not."""
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed: run `make test` (it installs it)")
        assert self.process is None or self.process.poll() is not None, "already running"
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--dir", str(self.directory)]
        appended = ["yes", "--appendfsync", "always"] if self.persistent else ["no"]
        command += ["--appendonly", *appended]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not answers_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"redis-server did not start on port {self.port}:\n{self.output()}")
            time.sleep(0.01)  # an outside process starting: there is no event to await
        return self

    def stop(self) -> None:
        """Shut it down cleanly (SIGTERM), as a restart by an operator would."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """End it at once (SIGKILL), as a crash would."""
        self._end(signal.SIGKILL)

    def freeze(self) -> None:
        """SIGSTOP: connections stay open but nothing answers, as on a dead network path."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def restart(self) -> RedisServer:
        """Stop it, then start a new one on the same port (every connection to it is lost)."""
        self.stop()
        return self.start()

    def command(self, *args: str | bytes) -> bytes:
        """Run one command on it and return the reply's first line (``:1``, ``+OK``...).

        Plain RESP over a socket, for the few admin commands tests need (``CLIENT KILL``):
        the tests' own Redis client would be the code under test.
        """
        parts = [arg.encode() if isinstance(arg, str) else arg for arg in args]
        request = b"*%d\r\n" % len(parts)
        request += b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
            connection.sendall(request)
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = connection.recv(4096)
                assert chunk, f"redis closed the connection after {request!r}"
                reply += chunk
        return reply.split(b"\r\n", 1)[0]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _end(self, how: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGCONT)  # a frozen server cannot act on SIGTERM
        process.send_signal(how)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis of our own for the whole session (shared: use channel names of your own)."""
    server = RedisServer(tmp_path_factory.mktemp("redis-shared")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def spawn_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """``spawn_redis(port=None, start=True, persistent=False)``: a Redis of this test's own,
    gone after it.

    With ``start=False`` it only reserves a port, to start later (Redis down at start); with
    ``persistent``, what it holds survives its restarts.
    """
    servers: list[RedisServer] = []

    def spawn(
        port: int | None = None, *, start: bool = True, persistent: bool = False
    ) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(servers)}", port, persistent=persistent)
        servers.append(server)
        return server.start() if start else server

    try:
        yield spawn
    finally:
        for server in servers:
            server.kill()
