"""A ByteStream reads without waiting when it can: a reader that had to wait for its last bytes
gives the other tasks a turn and reads again before it asks the loop to wait for readiness."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest
from sio_anyio._streams import ByteStream

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pair(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[ByteStream, socket.socket, list[int]]]:
    """A stream, the peer socket that writes to it, and a log of the readiness waits."""
    ours, peer = socket.socketpair()
    waits: list[int] = []
    wait_readable: Callable[[socket.socket], Awaitable[None]] = anyio.wait_readable

    async def counted(sock: socket.socket) -> None:
        waits.append(sock.fileno())
        await wait_readable(sock)

    monkeypatch.setattr(anyio, "wait_readable", counted)
    stream = ByteStream(ours)
    try:
        yield stream, peer, waits
    finally:
        await stream.aclose()
        peer.close()


async def _receive_sent_later(stream: ByteStream, peer: socket.socket, data: bytes) -> bytes:
    """Receive what the peer sends once the reader is already waiting."""

    async def send_soon() -> None:
        await anyio.sleep(0.01)
        peer.send(data)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(send_soon)
        return await stream.receive()


async def test_bytes_already_there_are_read_without_a_wait(
    pair: tuple[ByteStream, socket.socket, list[int]],
) -> None:
    stream, peer, waits = pair
    peer.send(b"first")
    assert await stream.receive() == b"first"
    assert waits == []


async def test_after_a_short_read_the_next_read_waits_first(
    pair: tuple[ByteStream, socket.socket, list[int]],
) -> None:
    stream, peer, waits = pair
    peer.send(b"first")
    await stream.receive()
    assert await _receive_sent_later(stream, peer, b"second") == b"second"
    assert len(waits) == 1


async def _talk_back_and_forth(stream: ByteStream, peer: socket.socket) -> None:
    """A read that found its bytes, then one that had to wait for them."""
    peer.send(b"first")
    await stream.receive()
    await _receive_sent_later(stream, peer, b"second")


async def test_after_a_wait_the_next_read_tries_a_turn_before_waiting(
    pair: tuple[ByteStream, socket.socket, list[int]],
) -> None:
    stream, peer, waits = pair
    await _talk_back_and_forth(stream, peer)
    peer.send(b"third")  # in by the end of the others' turn
    assert await stream.receive() == b"third"
    assert len(waits) == 1


async def test_a_turn_that_finds_nothing_waits_as_before(
    pair: tuple[ByteStream, socket.socket, list[int]],
) -> None:
    stream, peer, waits = pair
    await _talk_back_and_forth(stream, peer)
    assert await _receive_sent_later(stream, peer, b"third") == b"third"
    assert len(waits) == 2


async def test_a_64_kib_message_and_a_small_frame_before_it_come_in_one_read(
    pair: tuple[ByteStream, socket.socket, list[int]],
) -> None:
    """A binary echo's text frame (its placeholder) and 64 KiB attachment frame, together:
    cut in two, the attachment would be held, joined and waited for."""
    stream, peer, _ = pair
    text_frame, binary_frame = b"t" * 40, b"b" * (65536 + 14)
    peer.sendall(text_frame + binary_frame)
    assert await stream.receive() == text_frame + binary_frame
