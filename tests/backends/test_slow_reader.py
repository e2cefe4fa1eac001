"""Clients that send but never read: what the server holds for each stays bounded.

A WebSocket client that floods echoed events and never reads its replies is paused: the server
stops reading from it (TCP holds it back), and its session stays within ``max_buffered_bytes``.
A polling client that POSTs echoed events and never GETs is closed at that limit. Meanwhile a
bystander keeps getting its acks. The figures asserted are the core's, not the process's RSS.
"""

from __future__ import annotations

import contextlib
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
    return io._context.query(lambda core: core.connections.buffered_bytes(sid))


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
    with contextlib.suppress(anyio.BrokenResourceError):  # the server may cut the connection
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


async def test_a_paused_websocket_pushed_past_its_limit_is_cut(wire) -> None:
    io, sockets = _echo_server()
    reasons: list[str] = []
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, anyio.create_task_group() as tasks:
            attacker = await wire.connected(port)
            _read_little(attacker)
            await _until(lambda: len(sockets) == 1)
            sockets[0].on("disconnect", reasons.append)
            sid = sockets[0].conn.id
            tasks.start_soon(_flood, attacker)
            await _until(lambda: (_buffered(io, sid) or 0) > LIMIT // 4)
            for _ in range(LIMIT // len(CHUNK) + 1):
                io.emit("news", CHUNK)  # not volatile: it counts against the limit
            await _until(lambda: bool(reasons))
            ended = await _read_until_cut(attacker)
            tasks.cancel_scope.cancel()
    assert reasons == ["transport error"]
    assert _buffered(io, sid) is None
    assert ended


async def test_a_paused_websocket_whose_client_leaves_is_closed_at_once(wire) -> None:
    io, sockets = _echo_server()
    reasons: list[str] = []
    with anyio.fail_after(10):  # long before a ping timeout (45 s)
        async with wire.serving(io) as port:
            attacker = await wire.connected(port)
            _read_little(attacker)
            await _until(lambda: len(sockets) == 1)
            sockets[0].on("disconnect", reasons.append)
            sid = sockets[0].conn.id
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_flood, attacker)
                await _until(lambda: (_buffered(io, sid) or 0) > LIMIT // 4)
                tasks.cancel_scope.cancel()
            await attacker.aclose()
            await _until(lambda: bool(reasons))
            buffered = _buffered(io, sid)
    assert reasons[0] in ("transport close", "transport error")  # EOF or reset: the loop's say
    assert buffered is None


async def _read_until_cut(client: Any) -> bool:
    """Read what the kernel still holds for the client, until the server's end is gone."""
    try:
        while True:
            await client.ws.stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        return True


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
    assert posts <= LIMIT // len(CHUNK) + 2  # a handler may run a POST or two behind
    logged = [r.getMessage() for r in caplog.records if "output buffer full" in r.getMessage()]
    assert len(logged) == 1, logged


async def test_output_a_slow_client_reads_at_last_no_longer_counts(wire) -> None:
    io, sockets = Server(max_buffered_bytes=64_000_000), []
    io.on("connection", sockets.append)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)  # its buffer not shrunk: it must drain at last
            await _until(lambda: len(sockets) == 1)
            sid = sockets[0].conn.id
            news = 0  # sent until the kernel's buffers are full (a few MB), 32 MB at most
            while not _buffered(io, sid) and news < 2_000:
                io.emit("news", CHUNK)
                news += 1
            waiting = _buffered(io, sid) or 0
            received = [await client.receive() for _ in range(news)]
            await _until(lambda: _buffered(io, sid) == 0)
            await client.aclose()
    assert waiting > 0
    assert all(packet.data == ["news", CHUNK] for packet in received)
