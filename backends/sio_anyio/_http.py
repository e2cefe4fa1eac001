"""HTTP/1.1 connections through h11: requests in, the core's answers out, long-polls held.

Theory of operation. One task per TCP connection reads a request head, then its body up to the
core's cap (a declared ``Content-Length`` past the cap is refused before reading a byte, and
one alongside ``Transfer-Encoding`` is refused outright), and hands the request to the
driver. The answer may come at once or much later (a long-poll GET waits for data); while it
waits, the task keeps reading the stream so that a client that goes away is reported to the
core as an aborted request. The answer is written as given; the
connection is then reused when HTTP allows (h11 decides), or closed. A ``WebSocketAccepted``
answer turns the connection into a WebSocket for the rest of its life.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import anyio
import h11

from sio_anyio._driver import Accepted, Answer, Driver, Reply
from sio_anyio._streams import ByteStream, StreamGone
from sio_anyio._turns import Turn
from sio_anyio._websocket import Spawn, WebSocket, accept_websocket
from sio_anyio._ws_handshake import handshake_refusal
from sio_core.http import HttpRequest, HttpResponse
from sio_core.surface import TransportCore

logger = logging.getLogger("sio_anyio")

Fallback = Callable[[HttpRequest], Awaitable[HttpResponse]]
"""Answers the requests the core does not own (another path): the seam for a host application."""

_PIPELINE_LIMIT = 65536  # bytes of a next request we read ahead while an answer is pending


async def not_found(request: HttpRequest) -> HttpResponse:
    """The default fallback."""
    return HttpResponse(status=404, headers=(("Content-Type", "text/plain"),), body=b"Not Found")


class HttpConnection:
    """Serves the requests of one TCP connection, one at a time, until it closes."""

    def __init__(
        self,
        stream: ByteStream,
        driver: Driver[TransportCore],
        fallback: Fallback,
        *,
        deflate: bool,
        read_timeout: float,
        spawn: Spawn,
    ) -> None:
        self._stream = stream
        self._spawn = spawn
        self._driver = driver
        self._fallback = fallback
        self._deflate = deflate
        self._read_timeout = read_timeout
        self._http = h11.Connection(h11.SERVER)

    async def run(self) -> WebSocket | None:
        """Serve until the peer leaves, HTTP says close, or the connection became a WebSocket:
        that WebSocket, for the caller to serve (this object and h11's state are then no longer
        needed, and an idle WebSocket keeps neither).

        Pipelined requests are served without waiting on the stream: the others get their turn
        between them.
        """
        linger, turn = False, Turn()
        try:
            while (request := await self._next_request()) is not None:
                served = await self._serve(request)
                if isinstance(served, WebSocket):
                    return served
                if not served:
                    break
                await turn.spend(len(request.body))
            # A client that said it would close (Connection: close) sends nothing more.
            linger = self._http.their_state not in _PEER_DONE or bool(self._http.trailing_data[0])
        except StreamGone:
            pass
        except h11.RemoteProtocolError as exc:
            await self._refuse(exc.error_status_hint)
            linger = True
        await (self._stream.linger_close() if linger else self._stream.aclose())
        return None

    async def _serve(self, request: HttpRequest) -> bool | WebSocket:
        """Answer one request; True when the connection can carry another, the WebSocket when
        it became one."""
        if not self._driver.owns(request):
            await self._write(await self._answer_foreign(request), request.method)
            return self._next_cycle()
        request_id = self._driver.new_request_id()
        answer = await self._wait(request_id, self._driver.submit(request_id, request))
        if answer is None:
            return False
        if isinstance(answer, Accepted):
            return await self._upgrade(request, answer)
        try:
            await self._write(answer.response, request.method)
        finally:
            self._driver.answer_done()
        return self._next_cycle()

    # -- reading ----------------------------------------------------------------------------

    async def _next_request(self) -> HttpRequest | None:
        """The next whole request, or None when the peer is done or too slow to send it.

        A request must arrive, head and body, within ``read_timeout`` of the wait starting,
        idle keep-alive time included (Node's ``headersTimeout`` and ``keepAliveTimeout`` in
        one): a client that trickles bytes cannot hold a connection forever. One cut off in
        the middle of a request is told 408; an idle one is simply closed.
        """
        with anyio.move_on_after(self._read_timeout):
            head = await self._next_event()
            if not isinstance(head, h11.Request):
                return None
            return await self._read_request(head)
        if self._http.their_state is not h11.IDLE or self._http.trailing_data[0]:
            await self._refuse(408)
        return None

    async def _next_event(self) -> h11.Event | type[h11.PAUSED]:
        while True:
            event = self._http.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]  # mypy cannot narrow sentinels
            self._http.receive_data(await self._stream.receive())

    async def _read_request(self, head: h11.Request) -> HttpRequest:
        _refuse_ambiguous_framing(head)
        body, too_large = await self._read_body(head)
        return HttpRequest.from_target(
            head.method.decode("ascii"),
            head.target.decode("latin-1"),
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in head.headers],
            body=body,
            body_too_large=too_large,
            client=self._stream.peer,
            http_version=head.http_version.decode("ascii"),
            timestamp=time.time(),  # the core reads no clock: the handshake's date comes in here
        )

    async def _read_body(self, head: h11.Request) -> tuple[bytes, bool]:
        """The body, or (b"", True) as soon as it is known to exceed the cap."""
        limit = self._driver.max_message_size
        if _declared_length(head) > limit:
            return b"", True
        chunks: list[bytes] = []
        size = 0
        while isinstance(event := await self._next_event(), h11.Data):
            size += len(event.data)
            if size > limit:
                return b"", True
            chunks.append(bytes(event.data))
        return b"".join(chunks), False

    # -- waiting ----------------------------------------------------------------------------

    async def _wait(self, request_id: int, reply: Reply) -> Answer | None:
        """The core's answer, watching the stream meanwhile; None if the client left."""
        if not reply.ready:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._watch_peer, request_id)
                await reply.wait()
                tasks.cancel_scope.cancel()
        return reply.answer

    async def _watch_peer(self, request_id: int) -> None:
        """Read ahead (bounded) while an answer is pending, to notice a client that left."""
        try:
            while len(self._http.trailing_data[0]) < _PIPELINE_LIMIT:
                self._http.receive_data(await self._stream.receive())
        except StreamGone:
            self._driver.abort(request_id)

    # -- writing ----------------------------------------------------------------------------

    async def _answer_foreign(self, request: HttpRequest) -> HttpResponse:
        try:
            return await self._fallback(request)
        except Exception:
            logger.exception("fallback failed on %s %s", request.method, request.url)
            return HttpResponse(status=500, body=b"Internal Server Error")

    async def _write(self, response: HttpResponse, method: str) -> None:
        headers = list(response.headers)
        if (
            response.header("content-length") is None
            and response.header("transfer-encoding") is None
        ):
            headers.append(("Content-Length", str(len(response.body))))
        reason = _REASONS.get(response.status, b"")
        await self._send(h11.Response(status_code=response.status, headers=headers, reason=reason))
        if response.body and method != "HEAD":
            await self._send(h11.Data(data=response.body))
        await self._send(h11.EndOfMessage())

    async def _send(self, event: h11.Event) -> None:
        data = self._http.send(event)
        if data is not None:
            await self._stream.send(data)

    async def _refuse(self, status: int) -> None:
        """Answer a request h11 could not parse, if an answer is still possible."""
        if self._http.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            answer = HttpResponse(status=status, headers=(("Connection", "close"),))
            with contextlib.suppress(StreamGone, h11.LocalProtocolError):
                await self._write(answer, "")

    def _next_cycle(self) -> bool:
        if self._http.our_state is h11.DONE and self._http.their_state is h11.DONE:
            self._http.start_next_cycle()
            return True
        return False

    async def _upgrade(self, request: HttpRequest, answer: Accepted) -> WebSocket | bool:
        """The WebSocket (whose end is the end of the answer), or False when there is none."""
        refusal = handshake_refusal(self._http)
        if refusal is None:
            return accept_websocket(
                self._stream,
                self._http,
                request,
                answer,
                self._driver,
                deflate=self._deflate,
                spawn=self._spawn,
            )
        try:
            self._driver.ws_closed(answer.event.request_id, error=True)
            await self._write(HttpResponse(status=400, body=refusal.encode()), request.method)
        finally:
            self._driver.answer_done()
        return False


_PEER_DONE = (h11.CLOSED, h11.MUST_CLOSE)
_REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}


def _refuse_ambiguous_framing(head: h11.Request) -> None:
    """Refuse a request that carries both ``Content-Length`` and ``Transfer-Encoding``.

    h11 lets Transfer-Encoding win, as RFC 9112 6.3 allows, but a proxy in front may have
    framed the body by Content-Length: the two disagreeing on where the request ends is how
    requests are smuggled. The RFC says to close the connection after answering; Node and
    uvicorn answer 400. Raised as h11's own error, it takes the same path as any unreadable
    request: 400 with ``Connection: close``, then the connection closes.
    """
    names = {name for name, _ in head.headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        raise h11.RemoteProtocolError(
            "Content-Length together with Transfer-Encoding", error_status_hint=400
        )


def _declared_length(head: h11.Request) -> int:
    for name, value in head.headers:
        if name == b"content-length":
            return int(value)  # h11 has validated it
    return 0
