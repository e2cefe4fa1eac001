"""A server of the cluster that stops answering: requests to it time out as Node's do.

Three servers share a Redis: ``a`` (sio-core, on asyncio or trio), ``b`` (Node) and ``c``
(sio-core on the other loop), which is frozen with SIGSTOP. Its Redis connections stay open,
so the subscriber counts still include it, and every request waits for an answer that never
comes: ``fetch_sockets`` fails with the timeout error after its deadline, a server-side emit
gets the error with the answers that came, a broadcast with acks the same. No process dies.

The requests timeout is one second: the classic adapter's ``requests_timeout``, and the
operator's ``timeout()`` for the sharded adapter's ``fetch_sockets``. The sharded adapter's
server-side emit waits Node's fixed 5 s.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import anyio
import pytest
from cluster_procs import NodeServer, start_servers

LIMIT = 15
DEADLINE = 1.0
"""The requests timeout, in seconds."""
SHARDED_EMIT_DEADLINE = 5.0
"""What the sharded adapter's server-side emit waits, as Node's ``ClusterAdapter``."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the servers' loops are the parameter; the test only drives the clients


pytestmark = pytest.mark.anyio


@pytest.fixture(
    scope="module",
    params=[(adapter, loop) for adapter in ("classic", "sharded") for loop in ("asyncio", "trio")],
    ids=lambda param: "-".join(param),
)
def frozen_cluster(request, redis_url, tmp_path_factory) -> Iterator[list[NodeServer]]:
    adapter, loop = request.param
    other = "trio" if loop == "asyncio" else "asyncio"
    members = [f"{loop}:a", "node:b", f"{other}:c"]
    key = f"frozen-{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("frozen")
    servers = start_servers(
        adapter, redis_url, directory, members, key=key, requests_timeout_ms=int(DEADLINE * 1000)
    )
    servers[2].freeze()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
    for server in servers[:2]:
        assert server.process.returncode == 0, f"{server.name} did not close cleanly"


async def test_fetch_sockets_fails_with_the_timeout_error_after_its_deadline(
    frozen_cluster, node_hub
):
    a, b, _ = frozen_cluster
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url) as (near, _far):
            started = time.monotonic()
            (answer,) = await near.emit("fetch-sockets", {"timeout": DEADLINE * 1000})
            waited = time.monotonic() - started
    assert "timeout reached" in answer["error"]
    assert DEADLINE * 0.9 <= waited < DEADLINE + 3


async def test_broadcast_with_acks_gets_the_error_and_the_answers_that_came(
    frozen_cluster, node_hub
):
    a, b, _ = frozen_cluster
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url, b.url, a.url) as (near, far, asker):
            request = {"event": "vote", "args": [], "timeout": DEADLINE * 1000}
            (answer,) = await asker.emit("broadcast-with-ack", request)
    assert "timed out" in answer["error"]
    assert sorted(answer["responses"]) == sorted([near.id, far.id, asker.id])


async def test_server_side_emit_gets_the_error_and_the_answer_that_came(frozen_cluster, node_hub):
    a, b, _ = frozen_cluster
    deadline = DEADLINE if a.adapter == "classic" else SHARDED_EMIT_DEADLINE
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(a.url) as (near,):
            started = time.monotonic()
            request = {"event": "ping-server", "args": [1], "ack": True}
            (answer,) = await near.emit("server-side-emit", request, timeout=LIMIT)
            waited = time.monotonic() - started
    assert "timed out" in answer["error"]
    assert answer["responses"] == [{"from": b.name, "args": [1]}]
    assert deadline * 0.9 <= waited < deadline + 3
