"""``socket.conn`` traffic events on sio_anyio.Server: ``packet``, ``packetCreate``, ``drain``.

Listeners are registered in a middleware: it runs before the server accepts the socket, so the
listeners are in place before the client can send anything more.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from sio_anyio import Server, Socket

pytestmark = pytest.mark.anyio

TIMEOUT = 5
SIO_POLLING = "/socket.io/?EIO=4&transport=polling"


def record_traffic(io: Server, seen: Any) -> None:
    """On every connection, record each traffic event as a tuple (and ``close``, the last one)."""

    @io.use
    def listen(socket: Socket) -> None:
        conn = socket.conn
        conn.on("packet", lambda packet: seen(("packet", packet.type, packet.data)))
        conn.on("packetCreate", lambda packet: seen(("packetCreate", packet.type, packet.data)))
        conn.on("drain", lambda: seen(("drain",)))
        conn.on("close", lambda reason: seen(("close", str(reason))))


async def test_packet_listener_gets_each_packet_from_the_client(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.use
    def listen(socket: Socket) -> None:
        socket.conn.on("packet", lambda packet: seen((packet.type, packet.data)))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("a")
            await client.emit("b")
            items = await seen.wait_for(2)
            await client.aclose()
    assert items[:2] == [("message", '2["a"]'), ("message", '2["b"]')]


async def test_packet_create_and_drain_follow_each_server_send(wire) -> None:
    io, seen = Server(), wire.Seen()
    record_traffic(io, seen)

    @io.on("connection")
    def greet(socket: Socket) -> None:
        socket.on("again", lambda: socket.emit("hi"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("again")
            assert (await client.receive()).raw == '2["hi"]'
            items = await seen.wait_for(5)
            await client.aclose()
    connect_packet = items[0]
    assert connect_packet[:2] == ("packetCreate", "message")
    assert connect_packet[2].startswith("0{")
    assert items[1:5] == [
        ("drain",),
        ("packet", "message", '2["again"]'),
        ("packetCreate", "message", '2["hi"]'),
        ("drain",),
    ]


async def test_connection_handler_emit_leaves_with_the_connect_packet(wire) -> None:
    """As in Node, the CONNECT is flushed once the connection handler ran up to its first await."""
    io, seen = Server(), wire.Seen()
    record_traffic(io, seen)
    io.on("connection", lambda socket: socket.emit("hi"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            assert (await client.receive()).raw == '2["hi"]'
            items = await seen.wait_for(3)
            await client.aclose()
    assert items[0][:2] == ("packetCreate", "message")
    assert items[1:3] == [("packetCreate", "message", '2["hi"]'), ("drain",)]


async def test_heartbeat_is_seen_as_ping_created_then_pong_received(wire) -> None:
    io, seen = Server(ping_interval=0.05), wire.Seen()
    record_traffic(io, seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(client.receive_or_close)  # answers the ping with a pong
                while HEARTBEAT not in windows(seen.items, len(HEARTBEAT)):
                    await seen.wait_for(len(seen.items) + 1)
                tasks.cancel_scope.cancel()
            await client.aclose()
    assert HEARTBEAT in windows(seen.items, len(HEARTBEAT))


HEARTBEAT = [("packetCreate", "ping", ""), ("drain",), ("packet", "pong", "")]


def windows(items: list[Any], size: int) -> list[list[Any]]:
    """Every run of ``size`` consecutive items."""
    return [items[start : start + size] for start in range(len(items) - size + 1)]


async def test_close_comes_after_the_traffic_of_the_connection(wire) -> None:
    io, seen = Server(), wire.Seen()
    record_traffic(io, seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("bye")
            await client.ws.send_message("1")  # the Engine.IO close packet
            while not any(item[0] == "close" for item in seen.items):
                await seen.wait_for(len(seen.items) + 1)
            await client.aclose()
    assert seen.items[-3:] == [
        ("packet", "message", '2["bye"]'),
        ("packet", "close", ""),
        ("close", "transport close"),
    ]


async def test_polling_post_of_two_messages_is_two_packets(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.use
    def listen(socket: Socket) -> None:
        socket.conn.on("packet", lambda packet: seen((packet.type, packet.data)))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            opening = await http.request("GET", SIO_POLLING)
            url = f"{SIO_POLLING}&sid={wire.open_packet(opening.text)['sid']}"
            assert (await http.request("POST", url, b"40")).text == "ok"
            assert (await http.request("GET", url)).text.startswith("40{")  # accepted
            await http.request("POST", url, b'42["a"]\x1e42["b"]')
            items = await seen.wait_for(2)
            await http.aclose()
    assert items == [("message", '2["a"]'), ("message", '2["b"]')]


async def test_decorator_registration_turns_the_events_on(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.use
    def listen(socket: Socket) -> None:
        @socket.conn.on("drain")
        def drained() -> None:
            seen("drain")

    @io.on("connection")
    def greet(socket: Socket) -> None:
        socket.on("again", lambda: socket.emit("hi"))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("again")
            await client.receive()
            items = await seen.wait_for(2)
            await client.aclose()
    assert items[:2] == ["drain", "drain"]
