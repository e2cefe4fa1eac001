"""Fixtures of the Socket.IO interop tests (``test_socketio_*_client.py``).

They share one server per backend for the whole session wherever a scenario leaves the server as
it found it; scenarios that kill, freeze or restart it get their own through ``sio_launch``.
Fixture names start with ``sio_`` so that they never shadow those of other interop modules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The helper modules sit beside this file; with --import-mode=importlib nothing puts them on
# sys.path, and the test modules import them by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sio_servers import BACKENDS, TRANSPORTS, ServerProcess, start_server, stop


@pytest.fixture(scope="session", params=BACKENDS)
def sio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=TRANSPORTS)
def sio_transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def sio_server(
    sio_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server per backend for every scenario that leaves it as it found it."""
    log = tmp_path_factory.mktemp(f"sio-{sio_backend}") / "server.log"
    server = start_server(sio_backend, log)
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture
def sio_launch(sio_backend: str, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Starts servers of this test's own (to kill, freeze or restart); all die with the test."""
    started: list[ServerProcess] = []

    def launch(**options: int) -> ServerProcess:
        server = start_server(sio_backend, tmp_path / f"server-{len(started)}.log", **options)
        started.append(server)
        return server

    try:
        yield launch
    finally:
        for server in started:
            stop(server.process)
