"""A client must send each HTTP request within the read timeout, or its connection goes.

A bystander, connected before a slow client, keeps its session and gets its answer after it.
"""

from __future__ import annotations

import anyio
import anyio.abc
import pytest

pytestmark = pytest.mark.anyio

TIMEOUT = 5


async def test_idle_keep_alive_connection_is_closed_after_the_read_timeout(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server(read_timeout=0.2) as (port, _), wire.bystander(port) as bystander:
            stream = await anyio.connect_tcp("127.0.0.1", port)  # half-open: it never sends
            async with stream:
                answer = await _read_all(stream)
            answered = await bystander.answered()
    assert answer == b""
    assert answered


async def test_request_trickled_too_slowly_gets_408_then_the_connection_closes(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server(read_timeout=0.2) as (port, _), wire.bystander(port) as bystander:
            stream = await anyio.connect_tcp("127.0.0.1", port)  # slowloris: a head never ended
            async with stream:
                await stream.send(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n")
                answer = await _read_all(stream)
            answered = await bystander.answered()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answered


async def test_request_sent_in_time_is_served(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server(read_timeout=0.5) as (port, _):
            client = await wire.http(port)
            response = await client.request("GET", "/engine.io/?EIO=4&transport=polling")
            await client.aclose()
    assert response.status == 200


async def _read_all(stream: anyio.abc.SocketStream) -> bytes:
    received = b""
    try:
        while True:
            received += await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        return received
