"""WebSocket connections: the 101 answer through h11, then wsproto frames in both directions.

The core decided to accept the upgrade; this module only completes the handshake (its 101
answer is :mod:`sio_anyio._ws_handshake`'s), then serves it in the connection's task: the
reader joins fragments (never buffering past the core's cap) and answers pings; the core's
output is written as the driver routes it, and a writer task is started only while the
kernel will not take more. A clean close frame or EOF is reported as closed, a broken stream
or a frame wsproto rejects as an error. The guards of :mod:`sio_anyio._ws_guards` refuse a
message too large from its frame headers or while it inflates, before its bytes are held;
the core then closes with 1009.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio
import h11
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    TextMessage,
)
from wsproto.extensions import Extension
from wsproto.utilities import LocalProtocolError

from sio_anyio._driver import Accepted, Driver
from sio_anyio._outbox import WsCommand
from sio_anyio._streams import ByteStream, StreamGone
from sio_anyio._turns import Turn
from sio_anyio._ws_frames import (
    TOO_LARGE,
    ForWsproto,
    FrameSplitter,
    MessageAssembler,
    PeerClose,
    Piece,
    frame_buffers,
)
from sio_anyio._ws_guards import AnnouncedLength, BoundedDeflate, Refusal, Verdict, failure_reason
from sio_anyio._ws_handshake import negotiate_extensions, switch_response
from sio_core.events import WebSocketDataReady
from sio_core.http import HttpRequest
from sio_core.surface import TransportCore

logger = logging.getLogger("sio_anyio")


Buffer = bytes | bytearray | memoryview

Spawn = Callable[[Callable[[], Coroutine[Any, Any, None]]], None]
"""Starts a task beside the connection's (the WebSocket's writer, when the kernel is full)."""


def accept_websocket(
    stream: ByteStream,
    http: h11.Connection,
    request: HttpRequest,
    accepted: Accepted,
    driver: Driver[TransportCore],
    *,
    deflate: bool,
    spawn: Spawn,
) -> WebSocket:
    """Complete an accepted upgrade (see ``handshake_refusal`` first): the WebSocket to serve.
    Its 101 response leaves with its first frames, in one write (see :meth:`_output`).

    Nothing of the HTTP connection is kept: ``http`` is only read for the bytes that came
    after the request. :param deflate: accept permessage-deflate when the client offers it.
    """
    limit, verdict = driver.max_message_size, Verdict()
    extensions, extension_headers = (
        negotiate_extensions(request, BoundedDeflate(limit, verdict)) if deflate else ([], [])
    )
    switch = http.send(switch_response(request, accepted, extension_headers))
    return WebSocket(
        stream,
        extensions,
        accepted,
        driver,
        verdict,
        greeting=switch or b"",
        trailing=bytes(http.trailing_data[0]),
        spawn=spawn,
    )


class WebSocket:
    """One open WebSocket: its connection's task reads, whoever produced output writes it.

    The core's output is encoded and written the moment the driver routes it (from the pump,
    in whatever task called the core), as far as the kernel takes it without waiting. Only the
    rest waits, in order, for a writer task started for the occasion: an idle connection, or
    one whose client keeps up, has no task but its reader. Frames leave in encoding order:
    nothing is written while older bytes wait.
    """

    __slots__ = (
        "_assembler",
        "_broken",
        "_closing",
        "_driver",
        "_ending",
        "_extensions",
        "_flow",
        "_id",
        "_outbox",
        "_reported",
        "_scope",
        "_spawn",
        "_splitter",
        "_stream",
        "_trailing",
        "_verdict",
        "_waiting",
        "_waiting_size",
        "_writer",
        "_writer_done",
        "_wsproto",
    )

    def __init__(
        self,
        stream: ByteStream,
        extensions: list[Extension],
        accepted: Accepted,
        driver: Driver[TransportCore],
        verdict: Verdict,
        *,
        greeting: bytes,
        trailing: bytes,
        spawn: Spawn,
    ) -> None:
        self._stream = stream
        self._driver = driver
        self._verdict = verdict
        self._extensions: Sequence[Extension] = extensions or ()  # shared when there are none
        # Without extensions the plain frames are cut and built here (the splitter's), and
        # wsproto is only brought in for the first frame of another kind; with one, wsproto
        # reads and writes them all.
        self._splitter = None if extensions else FrameSplitter(driver.max_message_size)
        self._wsproto = self._connection() if extensions else None
        self._trailing = trailing
        self._spawn = spawn
        self._id = accepted.event.request_id
        self._outbox = accepted.outbox
        self._flow = accepted.flow
        self._assembler: MessageAssembler | None = None  # until a wsproto message comes
        self._scope: anyio.CancelScope | None = None
        self._waiting = bytearray(greeting)  # encoded, not taken by the kernel yet
        self._waiting_size = 0  # the core's count of the output in it (or being written)
        self._reported = 0  # what the core was last told of that count
        self._closing = False  # a close frame is encoded: nothing may follow it
        self._ending = False  # the core's close: once written, the WebSocket ends
        self._writer: anyio.CancelScope | None = None  # while a writer task runs
        self._writer_done: anyio.Event | None = None
        self._broken = False

    @property
    def _ws(self) -> Connection:
        """wsproto's connection, made when first needed."""
        if self._wsproto is None:
            self._wsproto = self._connection()
        return self._wsproto

    def _connection(self) -> Connection:
        """wsproto's connection, with its guards (made only with it: most WebSockets never
        need either)."""
        limit = self._driver.max_message_size
        guards = [AnnouncedLength(limit, self._verdict), *self._extensions]
        return Connection(ConnectionType.SERVER, guards)

    async def run(self) -> bool:
        """Until either side closes; the core hears of the end unless it asked for it.

        Returns whether the peer may still be sending (our close frame awaits its reply, say):
        then the connection must be drained before it closes, not after its close frame or end.
        """
        try:
            with anyio.CancelScope() as self._scope:
                self._flow.bind(self._scope)
                self._outbox.attach(self._write)  # what came with the 101: written with it
                if self._waiting and self._writer_done is None:
                    self._output([], 0)  # nothing did
                error = await self._read_loop(self._trailing)
                self._driver.ws_closed(self._id, error=error)
                return (
                    self._wsproto is not None and self._wsproto.state is not ConnectionState.CLOSED
                )
            return True  # cancelled: the core closed it
        finally:
            self._broken = True  # nothing more is written
            if self._writer is not None:
                self._writer.cancel()
            self._driver.answer_done()

    # -- reading ----------------------------------------------------------------------------

    async def _read_loop(self, data: bytes) -> bool:
        """Read until the WebSocket ends; returns whether it ended in error.

        ``data`` is what came right after the upgrade request. One read may hold thousands of
        frames: the others get their turn between them.
        """
        turn = Turn()
        try:
            while True:
                for piece in self._pieces(data):
                    if not isinstance(piece, ForWsproto):  # a message: most pieces
                        self._driver.ws_message(self._id, piece)
                        if turn.used(len(piece)):
                            await turn.checkpoint()
                        continue
                    if type(piece) is PeerClose and self._wsproto is None:
                        return await self._answer_close(piece.reply)
                    ended = await self._to_wsproto(piece.data, turn)
                    if ended is not None:
                        return ended
                if self._flow.paused:  # backpressure: the client's output is not read
                    await self._flow.wait()
                data = await self._stream.receive(turn)
        except StreamGone as gone:
            return gone.error

    def _pieces(self, data: bytes) -> list[Piece]:
        if self._splitter is None:  # an extension is in use: every frame is wsproto's
            return [ForWsproto(data)] if data else []
        return self._splitter.feed(data)

    async def _to_wsproto(self, data: bytes, turn: Turn) -> bool | None:
        """Let wsproto parse ``data`` and act on its events; the error flag once it ended."""
        self._ws.receive_data(data)
        for event in self._ws.events():
            ended = await self._on_event(event)
            if ended is not None:
                return ended
            await turn.spend(_payload_size(event))
        return None

    async def _on_event(self, event: Event) -> bool | None:
        """Act on one wsproto event; a bool (the error flag) when the WebSocket ended."""
        if isinstance(event, (TextMessage, BytesMessage)):
            self._on_fragment(event)
        elif isinstance(event, Ping):
            self._send(event.response())
        elif isinstance(event, CloseConnection):
            # wsproto reports a frame it cannot parse as a CloseConnection while still OPEN;
            # a real close frame from the peer has moved it to REMOTE_CLOSING.
            if self._ws.state is not ConnectionState.OPEN:
                self._send(event.response())
                await self._written_out()
                return False
            return await self._on_failure(event)
        return None

    async def _answer_close(self, reply: bytes) -> bool:
        """The client closed (see :class:`PeerClose`): our close frame in kind, and the end."""
        if not self._closing:
            self._closing = True
            self._output([reply], 0)
        await self._written_out()
        return False

    async def _on_failure(self, failure: CloseConnection) -> bool:
        """A frame wsproto or a guard refused: a message too large is the core's to close."""
        if self._verdict.refusal is Refusal.TOO_LARGE:
            self._driver.ws_too_large(self._id)
            return await self._discard()
        reason = failure_reason(failure, self._verdict)
        self._send(CloseConnection(code=failure.code, reason=reason))
        await self._written_out()
        return True

    async def _discard(self) -> bool:
        """Read and drop what the peer still sends until the core's close frame is out.

        wsproto cannot parse past a refused frame, and a header may announce 2^62 bytes: what
        follows is never buffered. Writing the close frame ends this task.
        """
        try:
            while True:
                await self._stream.receive()
        except StreamGone as gone:
            return gone.error

    def _on_fragment(self, event: TextMessage | BytesMessage) -> None:
        if self._assembler is None:
            self._assembler = MessageAssembler(self._driver.max_message_size)
        message = self._assembler.feed(event)
        if message is TOO_LARGE:
            self._driver.ws_too_large(self._id)
        elif message is not None:
            self._driver.ws_message(self._id, message)

    # -- writing ----------------------------------------------------------------------------

    def _write(self, command: WsCommand) -> None:
        """Write what the core asked for (called by the driver's pump: it never waits).

        A close request ends the WebSocket once its frame is out (the core already forgot it).
        """
        if self._closing:
            return
        buffers, self._ending = self._encode(command)
        self._closing = self._ending
        size = command.size if isinstance(command, WebSocketDataReady) else 0
        self._output(buffers, size)

    def _send(self, event: Event) -> None:
        """Write a frame of the connection's own (a pong, a close reply), in turn."""
        if self._closing:
            return
        try:
            data = self._ws.send(event)
        except LocalProtocolError:
            logger.debug("not sending %r: the WebSocket is closing", event)
            return
        self._closing = isinstance(event, CloseConnection)
        self._output([data], 0)

    def _output(self, buffers: Sequence[Buffer], size: int) -> None:
        """Write ``buffers`` now, as far as the kernel takes them; a writer task does the rest."""
        if self._broken:
            return
        if self._writer_done is None:
            if self._waiting:  # the 101 response: it goes first, in the same write
                buffers, self._waiting = [self._waiting, *buffers], bytearray()
            try:
                sent = self._stream.send_buffers_now(buffers)
            except StreamGone:
                self._on_broken()
                return
            buffers = _unsent(buffers, sent)
            if not buffers:
                self._all_written()
                return
        for buffer in buffers:
            self._waiting += buffer
        self._waiting_size += size
        self._report_unwritten()
        self._start_writer()

    def _all_written(self) -> None:
        if self._ending and not self._waiting and self._scope is not None:
            self._scope.cancel()  # the close frame is out: the WebSocket ends

    def _report_unwritten(self) -> None:
        """Tell the core how much of its output waits here, when that changed: it counts
        what it handed over as written unless told otherwise (``ws_unwritten``)."""
        if self._waiting_size != self._reported:
            self._reported = self._waiting_size
            self._driver.ws_unwritten(self._id, self._waiting_size)

    def _start_writer(self) -> None:
        if self._writer_done is None:
            self._writer_done = anyio.Event()
            scope = self._writer = anyio.CancelScope()  # the WebSocket's end cancels it
            self._spawn(lambda: self._write_waiting(scope))

    async def _write_waiting(self, scope: anyio.CancelScope) -> None:
        """Write what the kernel did not take at once, as it makes room, until none is left."""
        try:
            with scope:
                while self._waiting and not self._broken:
                    data, size = bytes(self._waiting), self._waiting_size
                    self._waiting.clear()
                    await self._stream.send(data)
                    self._waiting_size -= size  # what was added meanwhile is still waiting
                    self._report_unwritten()
                    self._all_written()
        except StreamGone:
            self._on_broken()
        finally:
            self._writer = None
            done, self._writer_done = self._writer_done, None
            if done is not None:
                done.set()

    async def _written_out(self) -> None:
        """Wait until everything encoded so far has been written (or the stream broke)."""
        done = self._writer_done
        if done is not None:
            await done.wait()

    def _on_broken(self) -> None:
        """Output can no longer be written: drop it; the reader sees the broken stream."""
        self._broken = True
        self._waiting.clear()
        self._flow.resume()  # even a paused reader

    def _encode(self, command: WsCommand) -> tuple[list[bytes], bool]:
        """The frames ``command`` asks for, as buffers to write together; True when it closes.

        Server frames are not masked, so without compression the frame of a message is the
        same bytes on every connection: a broadcast's message is framed once for all of them.
        """
        try:
            if not isinstance(command, WebSocketDataReady):
                close = CloseConnection(code=command.code, reason=command.reason)
                return [self._ws.send(close)], True
            if self._splitter is None:  # an extension is in use: wsproto frames every message
                frames = [self._ws.send(_as_ws_message(message)) for message in command.messages]
                return [b"".join(frames)], False
            if self._wsproto is not None and self._wsproto.state is not ConnectionState.OPEN:
                raise LocalProtocolError("the WebSocket is closing")
            return frame_buffers(command.messages), False
        except LocalProtocolError:
            logger.debug("not sending any more: the WebSocket is closing")
            return [], False


def _unsent(buffers: Sequence[Buffer], sent: int) -> list[Buffer]:
    """What is left of ``buffers`` once their first ``sent`` bytes are written."""
    for index, buffer in enumerate(buffers):
        if sent < len(buffer):
            return [memoryview(buffer)[sent:], *buffers[index + 1 :]]
        sent -= len(buffer)
    return []


def _payload_size(event: Event) -> int:
    if isinstance(event, (TextMessage, BytesMessage)):
        return len(event.data)
    return 0


def _as_ws_message(message: str | bytes) -> TextMessage | BytesMessage:
    if isinstance(message, str):
        return TextMessage(data=message)
    return BytesMessage(data=message)
