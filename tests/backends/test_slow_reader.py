"""Clients that send but never read: what the server holds for each stays bounded.

A WebSocket client that floods echoed events and never reads its replies is paused: the server
stops reading from it (TCP holds it back), and its session stays within ``max_buffered_bytes``.
A polling client that POSTs echoed events and never GETs is closed at that limit. Meanwhile a
bystander keeps getting its acks. The figures asserted are the core's, not the process's RSS.
"""

from __future__ import annotations

import json
import logging
import socket as stdlib_socket
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import pytest
from sio_anyio import Server

pytestmark = pytest.mark.anyio

TIMEOUT = 30
LIMIT = 400_000  # the session pauses past 100 kB, resumes under 50 kB, closes past 400 kB
CHUNK = "x" * 16_000
FLOOD = 1_000  # 16 MB of echoes asked for: far past the limit and the kernel's buffers
POLLING = "/socket.io/?EIO=4&transport=polling"


def _echo_server() -> tuple[Server, list[Any]]:
    io, sockets = Server(max_buffered_bytes=LIMIT), []
    io.on("connection", sockets.append)
    io.on("connection", lambda s: s.on("echo", lambda data: s.emit("echo", data)))
    io.on("connection", lambda s: s.on("ping", lambda: "pong"))
    return io, sockets


def _buffered(io: Server, sid: str) -> int | None:
    return io._context.query(lambda core: core.buffered_bytes(sid))


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await anyio.sleep(0.01)  # bounded by the test's fail_after


async def _acks_keep_coming(wire: Any, port: int) -> None:
    bystander = await wire.connected(port)
    for n in range(5):
        await bystander.emit("ping", ack_id=n)
        assert (await bystander.receive()).raw == f'3{n}["pong"]'
    await bystander.aclose()


async def _flood(client: Any) -> None:
    for _ in range(FLOOD):
        await client.emit("echo", CHUNK)


def _event(*data: str) -> bytes:
    return ("42" + json.dumps(list(data))).encode()


def _read_little(client: Any) -> None:
    """Shrink the client's receive buffer, so that the server's writes block sooner."""
    raw = client.ws.stream.extra(anyio.abc.SocketAttribute.raw_socket)
    raw.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_RCVBUF, 4096)


async def test_a_websocket_client_that_never_reads_is_paused_within_its_limit(wire) -> None:
    io, sockets = _echo_server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            attacker = await wire.connected(port)
            _read_little(attacker)
            await _until(lambda: len(sockets) == 1)
            sid = sockets[0].conn.id
            tasks.start_soon(_flood, attacker)
            await _until(lambda: (_buffered(io, sid) or 0) > LIMIT // 4)
            await _acks_keep_coming(wire, port)
            buffered = _buffered(io, sid)
            tasks.cancel_scope.cancel()
    assert buffered is not None, "the session closed: the server kept reading past the pause"
    assert LIMIT // 8 < buffered <= LIMIT


async def test_a_polling_client_that_never_gets_is_closed_at_its_limit(wire, caplog) -> None:
    caplog.set_level(logging.INFO, "sio_anyio")
    io, _ = _echo_server()
    reasons: list[str] = []
    io.on("connection", lambda s: s.on("disconnect", reasons.append))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            opened = await http.request("GET", POLLING)
            url = f"{POLLING}&sid={wire.open_packet(opened.text)['sid']}"
            assert (await http.request("POST", url, b"40")).status == 200
            posts = 0
            while (answer := await http.request("POST", url, _event("echo", CHUNK))).status == 200:
                posts += 1
            refused = answer.text
            await _until(lambda: bool(reasons))
            await _acks_keep_coming(wire, port)
            await http.aclose()
    assert reasons[0] == "transport error"  # the attacker's; the bystander's come after
    assert refused == '{"code":1,"message":"Session ID unknown"}'
    assert posts <= LIMIT // len(CHUNK)
    logged = [r.getMessage() for r in caplog.records if "output buffer full" in r.getMessage()]
    assert len(logged) == 1, logged
