"""Fixtures of the cluster tests: Node servers on the Redis adapters, started per test.

Fixture names start with ``node_`` so that they never shadow those of other folders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The helper module sits beside this file; with --import-mode=importlib nothing puts it on
# sys.path, and the test modules import it by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_procs import Clusters, NodeServer, start_node_servers
from node_clients import NodeClientHub


@pytest.fixture
def node_servers(tmp_path: Path) -> Iterator[Callable[..., list[NodeServer]]]:
    """``node_servers(adapter, redis_url, names, **options)``: Node servers of this test's own
    (to kill, say), started together; all stopped when the test ends.

    The options are those of :func:`cluster_procs.start_node_servers` (``key``...). Tests that
    leave servers as they found them should share module-scoped ones instead: each start
    costs a second or two.
    """
    started: list[NodeServer] = []

    def start(adapter: str, redis_url: str, names: Any = ("node",), **options: Any) -> Any:
        directory = tmp_path / f"nodes-{len(started)}"
        servers = start_node_servers(adapter, redis_url, directory, names, **options)
        started.extend(servers)
        return servers

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def node_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeClientHub]:
    """The session's socket.io-client process: ``async with node_hub.clients(url, ...)``."""
    hub = NodeClientHub.start(tmp_path_factory.mktemp("node-clients") / "client.log")
    try:
        yield hub
    finally:
        hub.close()


# -- clusters of two servers, Node and sio-core, shared by a test module ----------------------


@pytest.fixture(scope="module")
def clusters(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clusters]:
    """The module's clusters, started on first use (a few seconds each), stopped at its end."""
    started = Clusters(redis_url, tmp_path_factory.mktemp("clusters"))
    try:
        yield started
    finally:
        started.stop()
