"""Hostile clients over real sockets: each ends at most its own session, and a bystander,
connected before the attack, keeps its session and gets its answer after it.

What a client sends here is what an attacker would: malformed packets at each layer, frames
that break RFC 6455, data nested 100,000 deep, floods of small packets in one write. The
floods also check fair scheduling without a clock: a task of the test itself, ready the whole
time, sees the flood's progress between its own turns, and never more than two turns' worth
(``sio_anyio._turns``: one per loop iteration on asyncio, a task may run in two of trio's
batches between two runs of another).

The other hostile inputs are tested where their feature is, each with a bystander too:
- 413 for an oversized POST: ``test_anyio_polling.py``; 1009 for an oversized message:
  ``test_anyio_websocket.py``;
- a header announcing 2^62 bytes, fragments announcing past the limit, a deflate bomb,
  invalid UTF-8 (1007 with our reason), ``Content-Length`` with ``Transfer-Encoding``, a POST
  stalled mid-body: ``test_anyio_early_refusals.py``;
- slowloris and half-open connections cut by the read timeout: ``test_anyio_read_timeout.py``;
- a WebSocket client that never reads, a polling client that never GETs (bounded by
  ``max_buffered_bytes``): ``test_slow_reader.py``;
- arbitrary bytes at every entrance, through the core: ``tests/properties/test_hostile_input.py``.
"""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import pytest
from sio_anyio import Server, Socket
from sio_anyio._turns import ITEMS_PER_TURN
from wsproto import events as ws

from sio_core.errors import DisconnectReason
from sio_core.events import MessageReceived, PacketReceived, SessionClosed

pytestmark = pytest.mark.anyio

TIMEOUT = 20
WS_TARGET = "/engine.io/?EIO=4&transport=websocket"
POLLING = "/engine.io/?EIO=4&transport=polling"
MOST_PER_STEP = 2 * ITEMS_PER_TURN


def _sio_server() -> tuple[Server, list[Socket], list[str]]:
    """``ping`` is acked with ``"pong"`` and ``echo`` with its data; sockets and the reasons
    they left are kept."""
    io, sockets, reasons = Server(), [], []

    @io.on("connection")
    def on_connection(client: Socket) -> None:
        sockets.append(client)
        client.on("ping", lambda: "pong")
        client.on("echo", lambda data: data)
        client.on("disconnect", reasons.append)

    return io, sockets, reasons


async def _next_close(client: Any) -> ws.CloseConnection:
    while not isinstance(event := await client.next_event(), ws.CloseConnection):
        pass
    return event


async def _largest_step(progress: Callable[[], int], until: int) -> int:
    """The most ``progress`` made between two turns of this task, ready the whole time."""
    largest, last = 0, progress()
    while last < until:
        await anyio.lowlevel.checkpoint()
        now = progress()
        largest, last = max(largest, now - last), now
    return largest


async def _flooded(stream: Any, flood: bytes, progress: Callable[[], int], until: int) -> int:
    """Write ``flood`` in one go, meanwhile watching ``progress``: its largest step."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(stream.send, flood)
        return await _largest_step(progress, until)


def _frames(wire: Any, packets: list[str]) -> bytes:
    """Engine.IO packets as client text frames, in one buffer: a flood in one write."""
    return b"".join(wire.client_frame(0x1, packet.encode()) for packet in packets)


# -- malformed packets, at each layer ---------------------------------------------------------


@pytest.mark.parametrize("packet", ["9", "", "b!!!"], ids=["unknown-type", "empty", "bad-base64"])
async def test_malformed_engineio_packet_closes_only_its_session(wire, packet: str) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send_message(packet)
            closing = await _next_close(client)
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
            await client.aclose()
    assert closing.code == 1000
    assert ended.reason is DisconnectReason.PARSE_ERROR
    assert answered


async def test_malformed_post_gets_400_and_closes_only_its_session(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.http(port)
            sid = await wire.handshake(client)
            response = await client.request("POST", f"{POLLING}&sid={sid}", b"9 not a packet")
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
            await client.aclose()
    assert response.status == 400
    assert (ended.sid, ended.reason) == (sid, DisconnectReason.PARSE_ERROR)
    assert answered


@pytest.mark.parametrize(
    "packet",
    ["9", '2{"not":"a list"}', '2["unterminated"', "2[]", '0/nowhere,"not an object"'],
    ids=["unknown-type", "object-args", "truncated-json", "no-event-name", "bad-connect"],
)
async def test_malformed_socketio_packet_closes_only_its_session(wire, packet: str) -> None:
    io, _, reasons = _sio_server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, wire.bystander(port, sio=True) as bystander:
            attacker = await wire.connected(port)
            await attacker.send(packet)
            await attacker.until_closed()
            answered = await bystander.answered()
            left = list(reasons)
    assert left == ["forced close"]
    assert answered


async def test_data_nested_100_000_deep_closes_only_its_session(wire) -> None:
    io, _, reasons = _sio_server()
    nested = "[" * 100_000 + "]" * 100_000  # 200 kB, within max_http_buffer_size
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, wire.bystander(port, sio=True) as bystander:
            attacker = await wire.connected(port)
            await attacker.send(f'2["echo",{nested}]')
            await attacker.until_closed()
            answered = await bystander.answered()
            left = list(reasons)
    assert left == ["forced close"]
    assert answered


# -- RFC 6455 ---------------------------------------------------------------------------------

VIOLATIONS = {
    "unmasked": (0x1, b"4x", {"masked": False}),
    "reserved-opcode": (0x3, b"", {}),
    "rsv1-without-extension": (0x1, b"4x", {"rsv1": True}),
    "fragmented-ping": (0x9, b"", {"fin": False}),
    "ping-over-125-bytes": (0x9, b"x" * 126, {}),
    "continuation-first": (0x0, b"4x", {}),
    "one-byte-close": (0x8, b"\x03", {}),
    "close-code-999": (0x8, b"\x03\xe7", {}),
}


@pytest.mark.parametrize("violation", list(VIOLATIONS))
async def test_rfc6455_violation_closes_with_1002_and_ends_only_its_session(
    wire, violation: str
) -> None:
    opcode, payload, flags = VIOLATIONS[violation]
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.stream.send(wire.client_frame(opcode, payload, **flags))
            closing = await _next_close(client)
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
            await client.aclose()
    assert closing.code == 1002
    assert ended.reason is DisconnectReason.TRANSPORT_ERROR
    assert answered


# -- floods: handled in turns, the attacker's session intact ----------------------------------


async def test_event_flood_is_acked_in_order_in_turns(wire) -> None:
    io, _, reasons = _sio_server()
    count, handled = 2_000, [0]

    def counted(_: object) -> None:
        handled[0] += 1

    io.on("connection", lambda s: s.on("echo", counted))
    flood = _frames(wire, [f'42{n}["echo",{n}]' for n in range(count)])
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, wire.bystander(port, sio=True) as bystander:
            attacker = await wire.connected(port)
            step = await _flooded(attacker.ws.stream, flood, lambda: handled[0], count)
            acks = [(await attacker.receive()).raw for _ in range(count)]
            answered = await bystander.answered()
            left = list(reasons)
    assert acks == [f"3{n}[{n}]" for n in range(count)]
    assert step <= MOST_PER_STEP, step
    assert left == []
    assert answered


async def test_join_flood_joins_every_room_in_turns(wire) -> None:
    io, sockets, reasons = _sio_server()
    count = 2_000
    io.on("connection", lambda s: s.on("join", s.join))
    flood = _frames(wire, [f'42["join","room-{n}"]' for n in range(count)])
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, wire.bystander(port, sio=True) as bystander:
            attacker = await wire.connected(port)
            attacked = sockets[-1]
            step = await _flooded(
                attacker.ws.stream, flood, lambda: len(attacked.rooms) - 1, count
            )
            rooms = attacked.rooms
            answered = await bystander.answered()
            left = list(reasons)
    assert rooms == {attacked.id} | {f"room-{n}" for n in range(count)}
    assert step <= MOST_PER_STEP, step
    assert left == []
    assert answered


def _count_packets(sockets: list[Socket], kind: str) -> list[int]:
    """How many packets of ``kind`` the last socket's connection received (Node's ``packet``)."""
    seen = [0]

    def on_packet(packet: PacketReceived) -> None:
        if packet.type == kind:
            seen[0] += 1

    sockets[-1].conn.on("packet", on_packet)
    return seen


async def test_unsolicited_pong_flood_is_ignored_in_turns(wire) -> None:
    io, sockets, reasons = _sio_server()
    count = 5_000
    flood = _frames(wire, ["3"] * count)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, wire.bystander(port, sio=True) as bystander:
            attacker = await wire.connected(port)
            pongs = _count_packets(sockets, "pong")
            step = await _flooded(attacker.ws.stream, flood, lambda: pongs[0], count)
            await attacker.emit("ping", ack_id=1)
            still = (await attacker.receive()).raw
            answered = await bystander.answered()
            left = list(reasons)
    assert still == '31["pong"]'
    assert step <= MOST_PER_STEP, step
    assert left == []
    assert answered


async def test_connect_flood_to_a_missing_namespace_is_refused_in_turns(wire) -> None:
    io, sockets, reasons = _sio_server()
    count = 1_000
    flood = _frames(wire, ["40/nowhere,"] * count)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port, wire.bystander(port, sio=True) as bystander:
            attacker = await wire.connected(port)
            messages = _count_packets(sockets, "message")
            step = await _flooded(attacker.ws.stream, flood, lambda: messages[0], count)
            refusals = {(await attacker.receive()).raw for _ in range(count)}
            answered = await bystander.answered()
            left = list(reasons)
    assert refusals == {'4/nowhere,{"message":"Invalid namespace"}'}
    assert step <= MOST_PER_STEP, step
    assert left == []
    assert answered


async def test_pipelined_post_flood_is_answered_in_turns(wire) -> None:
    count = 500
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder), wire.bystander(port) as bystander:
            opener = await wire.http(port)
            sid = await wire.handshake(opener)
            await opener.aclose()
            head = f"POST {POLLING}&sid={sid} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
            post = head + "4x"
            messages = _messages_from(recorder, sid)
            async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                step = await _flooded(stream, post.encode() * count, messages, count)
                answers = await _read_answers(stream, count)
            answered = await bystander.answered()
    assert answers.count(b"HTTP/1.1 200 ") == count
    assert step <= MOST_PER_STEP, step
    assert answered


def _messages_from(recorder: Any, sid: str) -> Callable[[], int]:
    """How many messages of session ``sid`` the echo server's handler has seen so far."""
    return lambda: sum(isinstance(e, MessageReceived) and e.sid == sid for e in recorder.events)


async def _read_answers(stream: Any, count: int) -> bytes:
    received = b""
    while received.count(b"HTTP/1.1 ") < count or not received.endswith(b"ok"):
        received += await stream.receive()
    return received


async def test_polling_backlog_is_answered_in_capped_compressed_gets(wire) -> None:
    """The finding: 150 MB of backlog became one gzip answer, compressed on the event loop
    for 8 s. Each answer now carries about ``max_http_buffer_size`` (1 MB) of packets."""
    message, count = "4" + "x" * 400_000, 5
    gzip_please = [("Accept-Encoding", "gzip")]
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.http(port)
            sid = await wire.handshake(client)
            url, echoed = f"{POLLING}&sid={sid}", _messages_from(recorder, sid)
            for _ in range(count):
                assert (await client.request("POST", url, message.encode())).status == 200
            await recorder.wait_for(lambda _: echoed() == count)  # all echoed: the backlog
            answers: list[list[str]] = []
            while sum(map(len, answers)) < count:
                answer = await client.request("GET", url, headers=gzip_please)
                assert answer.headers["content-encoding"] == "gzip"
                answers.append(gzip.decompress(answer.body).decode().split("\x1e"))
            answered = await bystander.answered()
            await client.aclose()
    assert [len(packets) for packets in answers] == [2, 2, 1]
    assert [packet for packets in answers for packet in packets] == [message] * count
    assert answered


async def test_unread_ping_flood_is_held_back_not_cut(wire) -> None:
    """The reader writes each pong before it reads on, so a client that does not read its
    pongs is held back by TCP instead of being buffered for; Node resets it. Here it keeps its
    connection, and every ping is answered, in order, once it reads."""
    count = 5_000
    pings = b"".join(wire.client_frame(0x9, n.to_bytes(4, "big") * 31) for n in range(count))
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            raw = client.stream.extra(anyio.abc.SocketAttribute.raw_socket)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server blocks sooner
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(client.stream.send, pings)  # may block: its pongs are not read
                answered = await bystander.answered()
                pongs = [await client.next_event() for _ in range(count)]
            await client.send_message("4still here")
            echoed = await client.receive_message()
            await client.aclose()
    assert answered
    assert [bytes(p.payload) for p in pongs] == [n.to_bytes(4, "big") * 31 for n in range(count)]
    assert echoed == "4still here"
