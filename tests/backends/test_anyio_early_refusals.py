"""Hostile input refused early: before the bytes it announces arrive or are inflated.

Raw frames and raw requests over real TCP; each wait is bounded by ``fail_after``. A bystander,
connected before each attack, keeps its session and gets its answer after it.
"""

from __future__ import annotations

import anyio
import anyio.abc
import pytest
from wsproto import events as ws

from sio_core.config import EngineConfig
from sio_core.events import SessionClosed

pytestmark = pytest.mark.anyio

TIMEOUT = 5
WS_TARGET = "/engine.io/?EIO=4&transport=websocket"
POLLING = "/engine.io/?EIO=4&transport=polling"


async def read_all(stream: anyio.abc.SocketStream) -> bytes:
    received = b""
    try:
        while True:
            received += await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        return received


async def next_close(client) -> ws.CloseConnection:
    while not isinstance(event := await client.next_event(), ws.CloseConnection):
        pass
    return event


# -- WebSocket -------------------------------------------------------------------------------


async def test_frame_header_announcing_2_pow_62_bytes_closes_with_1009_at_once(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.stream.send(wire.client_frame(0x1, b"4abc", announced=1 << 62))
            closing = await next_close(client)
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
            await client.aclose()
    assert closing.code == 1009
    assert ended.description == "payload too large"
    assert answered


async def test_fragments_announcing_more_than_the_limit_close_before_the_payload(wire) -> None:
    config = EngineConfig(max_http_buffer_size=1000)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, _), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            first = wire.client_frame(0x1, b"4" + b"x" * 99, fin=False)
            second_header = wire.client_frame(0x0, b"", announced=901)
            await client.stream.send(first + second_header)
            closing = await next_close(client)
            answered = await bystander.answered()
            await client.aclose()
    assert closing.code == 1009
    assert answered


async def test_message_at_the_limit_is_still_accepted(wire) -> None:
    config = EngineConfig(max_http_buffer_size=1000)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send_message("4" + "x" * 999)
            echoed = await client.receive_message()
            await client.aclose()
    assert echoed == "4" + "x" * 999


async def test_deflate_bomb_closes_with_1009(wire) -> None:
    config = EngineConfig(max_http_buffer_size=100_000)
    bomb = "4" + "a" * 20_000_000  # about 20 KB compressed: far below the limit on the wire
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET, deflate=True)
            await client.receive_message()
            await client.send_message(bomb)
            closing = await next_close(client)
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
            await client.aclose()
    assert closing.code == 1009
    assert ended.description == "payload too large"
    assert answered


async def test_compressed_message_within_the_limit_is_inflated_whole(wire) -> None:
    config = EngineConfig(max_http_buffer_size=100_000)
    message = "4" + "compressible " * 7_000  # 91 KB inflated, across several reads
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, _):
            client = await wire.ws(port, WS_TARGET, deflate=True)
            await client.receive_message()
            await client.send_message(message)
            await client.send_message(message)  # the inflater's context carries over
            echoed = [await client.receive_message(), await client.receive_message()]
            await client.aclose()
    assert echoed == [message, message]


async def test_invalid_utf8_closes_with_1007_and_a_reason_of_our_own(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.stream.send(wire.client_frame(0x1, b"4hello \xff\xfe"))
            closing = await next_close(client)
            answered = await bystander.answered()
            await client.aclose()
    assert closing.code == 1007
    assert closing.reason == "invalid UTF-8 in a text message"
    assert answered


# -- HTTP ------------------------------------------------------------------------------------


async def test_content_length_with_transfer_encoding_gets_400_and_the_connection_closes(
    wire,
) -> None:
    smuggled = (
        f"POST {POLLING}&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        f"GET {POLLING} HTTP/1.1\r\nHost: x\r\n\r\n"
    ).encode()
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _), wire.bystander(port) as bystander:
            stream = await anyio.connect_tcp("127.0.0.1", port)
            async with stream:
                await stream.send(smuggled)
                answer = await read_all(stream)
            answered = await bystander.answered()
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.count(b"HTTP/1.1 ") == 1  # the request behind it was not served
    assert answered


async def test_post_stalled_mid_body_gets_408_then_the_connection_closes(wire) -> None:
    head = f"POST {POLLING}&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    with anyio.fail_after(TIMEOUT):
        async with wire.server(read_timeout=0.2) as (port, _), wire.bystander(port) as bystander:
            stream = await anyio.connect_tcp("127.0.0.1", port)
            async with stream:
                await stream.send(head.encode() + b"4" * 10)
                answer = await read_all(stream)
            answered = await bystander.answered()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answered
