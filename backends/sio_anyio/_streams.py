"""TCP connections on raw non-blocking sockets, whose failures all arrive as :class:`StreamGone`.

Why not anyio's socket streams: on asyncio they resume and pause the transport around every
receive and wait for a loop turn after every send; on trio they checkpoint after each call.
On the path of one small message that bookkeeping cost more than the Socket.IO work. A
non-blocking socket does the common case in one system call, and only waits (anyio's
``wait_readable`` / ``wait_writable``, one code path on both loops) when the kernel says it
would block. :meth:`ByteStream.send_now` writes without waiting at all, so synchronous code
(the driver's pump) can put a frame on the wire as soon as the core produced it.

A call that did not wait did not let the other tasks run either; readers spend a
:class:`~sio_anyio._turns.Turn` per read, so a client that floods still yields the loop.

A reader whose last bytes it had to wait for (a client that talks back and forth) first gives
the others a turn: one checkpoint, then a read. Under load its client's next bytes are in by
then, and that costs a fraction of a readiness wait, which anyio makes by registering the socket
with the event loop and removing it again, every time (on asyncio, a future and its callback
too): echo went from 13.8k to 21.4k acks/s on asyncio, 17.5k to 20.2k on trio. When the bytes
are not in, it waits as before, at the price of one failed read.

Everything above this module sees a single exception, :class:`StreamGone`, whose ``error`` flag
is what the core's ``ws_closed(..., error=...)`` wants: a clean end of stream is not an error,
a broken one is. Keeping the mapping here keeps the "transport close" and "transport error"
reasons honest (the same idea as httpcore's ``map_exceptions``).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from sio_anyio._turns import Turn

_READ_SIZE = 65536 + 4096  # a 64 KiB message, its header and a small frame beside it
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 1 << 20

_Wait = Callable[[socket.socket], Awaitable[None]]
T = TypeVar("T")


class StreamGone(Exception):
    """The TCP stream can no longer be used.

    :param error: False when the peer closed it (EOF) or we did; True when it broke.
    """

    def __init__(self, *, error: bool) -> None:
        super().__init__("transport error" if error else "transport closed")
        self.error = error


class ByteStream:
    """One accepted TCP connection (non-blocking); a reader and a writer may use it at once."""

    __slots__ = ("_closed", "_emptied", "_lively", "_sock", "_turn")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._closed = False
        self._turn = Turn()
        self._emptied = False  # the last read took less than it could: nothing more was there
        self._lively = False  # the last read came after a wait: try a turn instead next time

    @property
    def peer(self) -> tuple[str, int] | None:
        """The remote (host, port)."""
        try:
            address = self._sock.getpeername()
        except OSError:
            return None
        if isinstance(address, tuple) and len(address) >= 2:
            return str(address[0]), int(address[1])
        return None

    async def receive(self, turn: Turn | None = None) -> bytes:
        """Some bytes; never empty (the end of the stream raises :class:`StreamGone`).

        :param turn: the reading loop's (else the stream's own): a read that found its bytes
            ready spends it by their size, a read after the others ran (a wait, or a turn
            given up) gives it back in full (see :meth:`Turn.rest`).
        """
        turn = turn or self._turn
        if self._emptied and self._lively:
            await turn.checkpoint()  # see the module's docstring: the others' turn
            data = self._recv_ready()
            if data is not None:
                turn.rest()
                return data
        waited = self._emptied  # then a read now would most likely fail: wait first
        while True:
            if waited:
                try:  # awaited right here, not in a helper: an idle connection waits here,
                    await anyio.wait_readable(self._sock)  # and each frame costs memory
                except (anyio.ClosedResourceError, OSError) as exc:
                    raise StreamGone(error=not self._closed) from exc
            data = self._recv_ready()
            if data is not None:
                break
            waited = True
        self._lively = waited
        if waited:
            turn.rest()
        elif turn.used(len(data)):
            await turn.checkpoint()
        return data

    def _recv_ready(self) -> bytes | None:
        """The bytes that are there, or None if none are (raises on a closed stream)."""
        self._check_open()
        try:
            data = self._sock.recv(_READ_SIZE)
        except BlockingIOError:
            return None
        except OSError as exc:
            raise StreamGone(error=True) from exc
        if not data:
            raise StreamGone(error=False)
        self._emptied = len(data) < _READ_SIZE
        return data

    def send_now(self, data: bytes | bytearray | memoryview) -> int:
        """Write what the kernel takes at once, without waiting; how many bytes that was."""
        return self._sent(self._sock.send, data)

    def send_buffers_now(self, buffers: Sequence[bytes | bytearray | memoryview]) -> int:
        """:meth:`send_now` for several buffers, in one vectored write: nothing joins them."""
        if len(buffers) == 1:
            return self.send_now(buffers[0])
        return self._sent(self._sock.sendmsg, buffers)

    def _sent(self, send: Callable[[T], int], data: T) -> int:
        self._check_open()
        try:
            return send(data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise StreamGone(error=True) from exc

    async def send(self, data: bytes) -> None:
        """Write all of ``data``, waiting while the kernel's buffer is full."""
        view = memoryview(data)
        while view:
            sent = self.send_now(view)
            view = view[sent:]
            if view:
                await self._wait(anyio.wait_writable)

    async def aclose(self) -> None:
        """Close at once; never raises (closing a dead stream is no news)."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                anyio.notify_closing(self._sock)  # wakes any task waiting on it
            self._sock.close()

    async def linger_close(self) -> None:
        """Half-close, drain what the peer still sends (bounded), then close.

        Closing a socket that holds unread input makes the kernel send a reset, which may
        destroy the answer we just wrote before the peer reads it (for instance the answer to
        a POST whose body we refused to read). Draining first lets the answer arrive.
        """
        try:
            with contextlib.suppress(Exception), anyio.move_on_after(_LINGER_SECONDS):
                self._sock.shutdown(socket.SHUT_WR)
                drained = 0
                while drained < _LINGER_BYTES:
                    drained += len(await self.receive())
        finally:
            await self.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise StreamGone(error=False)

    async def _wait(self, until: _Wait) -> None:
        try:
            await until(self._sock)
        except (anyio.ClosedResourceError, OSError) as exc:
            raise StreamGone(error=not self._closed) from exc
        self._check_open()
