"""ASGI connections: one ``http`` or ``websocket`` scope of the server's path, through the driver.

Theory of operation. Under ASGI the server in front has parsed HTTP and does the WebSocket
framing; what is left here is what :mod:`sio_anyio._http` and :mod:`sio_anyio._websocket` do
above the wire format, and nothing more:

* an ``http`` scope becomes an :class:`~sio_core.http.HttpRequest` once its body is read, up to
  the core's cap (a declared ``Content-Length`` past the cap is refused before reading a
  byte, as the native server does); while its answer is pending, ``receive`` is watched, and
  an ``http.disconnect`` aborts the request; the answer is sent as the core gave it;
* a ``websocket`` scope is the upgrade request it was (a GET with its headers); the core's
  answer decides: ``Accepted`` becomes ``websocket.accept`` (with the core's headers, the
  cookie), then messages flow both ways; an HTTP answer is sent as the denial response
  (the ``websocket.http.response`` extension), or as a plain close where the server lacks it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from sio_anyio._driver import Accepted, Answer, Driver, Reply
from sio_anyio._outbox import WsCommand
from sio_anyio._queue import Queue
from sio_anyio._turns import Turn
from sio_core.events import WebSocketDataReady
from sio_core.http import HttpRequest, HttpResponse
from sio_core.surface import TransportCore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApplication = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application: ``await app(scope, receive, send)``."""

NOT_FOUND = HttpResponse(status=404, headers=(("Content-Type", "text/plain"),), body=b"Not Found")
_NOT_UPGRADED = HttpResponse(
    status=400, body=b"the ASGI server did not turn this request into a WebSocket"
)
_DENIAL_EXTENSION = "websocket.http.response"
_POLICY_VIOLATION = 1008  # a close before accept: the ASGI server answers 403


def request_from_scope(scope: Scope) -> HttpRequest:
    """The request of an ``http`` or ``websocket`` scope, its body not read yet.

    A WebSocket scope has no method: its upgrade request was a GET.
    """
    client = scope.get("client")
    return HttpRequest(
        method=scope.get("method", "GET"),
        path=_full_path(scope),
        query_string=bytes(scope.get("query_string", b"")).decode("latin-1"),
        headers=tuple(
            (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
            for name, value in scope.get("headers", ())
        ),
        client=(str(client[0]), int(client[1])) if client else None,
        secure=scope.get("scheme") in ("https", "wss"),
        http_version=scope.get("http_version", "1.1"),
        timestamp=time.time(),  # the core reads no clock: the handshake's date comes in here
    )


def _full_path(scope: Scope) -> str:
    """The path as the client wrote it, with any mount prefix (``root_path``).

    ASGI puts ``root_path`` inside ``path``; servers and frameworks written before that was
    settled leave it out, and it is put back.
    """
    raw = scope.get("raw_path")
    path = bytes(raw).decode("latin-1").partition("?")[0] if raw else str(scope["path"])
    root = str(scope.get("root_path", ""))
    return path if path.startswith(root) else root + path


# -- http ----------------------------------------------------------------------------------


async def serve_http(
    head: HttpRequest, receive: Receive, send: Send, driver: Driver[TransportCore]
) -> None:
    """Read the body of ``head`` (bounded), hand the request to the core, send its answer."""
    read = await _read_body(head, receive, driver.max_message_size)
    if read is None:
        return  # the client left while sending
    body, too_large = read
    request = dataclasses.replace(head, body=body, body_too_large=too_large)
    request_id = driver.new_request_id()
    answer = await _wait(driver, request_id, driver.submit(request_id, request), receive)
    if answer is None:
        return
    try:
        if isinstance(answer, Accepted):  # an upgrade request the ASGI server kept as HTTP
            driver.ws_closed(answer.event.request_id, error=True)
            await respond(send, _NOT_UPGRADED, request.method)
        else:
            await respond(send, answer.response, request.method)
    finally:
        driver.answer_done()


async def _read_body(head: HttpRequest, receive: Receive, limit: int) -> tuple[bytes, bool] | None:
    """The body; (b"", True) once it is known to exceed ``limit``; None if the client left."""
    if _declared_length(head) > limit:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _declared_length(head: HttpRequest) -> int:
    try:
        return int(head.header("content-length") or 0)
    except ValueError:
        return 0  # the ASGI server lets such a request through at its own risk; read it bounded


async def respond(send: Send, response: HttpResponse, method: str) -> None:
    """Send a complete answer (no body for HEAD, as HTTP wants)."""
    await send(
        {"type": "http.response.start", "status": response.status, "headers": _headers(response)}
    )
    body = b"" if method == "HEAD" else response.body
    await send({"type": "http.response.body", "body": body})


def _headers(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    if response.header("content-length") is None:
        headers.append((b"content-length", str(len(response.body)).encode("ascii")))
    return headers


# -- waiting -------------------------------------------------------------------------------


async def _wait(
    driver: Driver[TransportCore], request_id: int, reply: Reply, receive: Receive
) -> Answer | None:
    """The core's answer, watching ``receive`` meanwhile; None if the client left."""
    if not reply.ready:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_watch_peer, driver, request_id, receive)
            await reply.wait()
            tasks.cancel_scope.cancel()
    return reply.answer


async def _watch_peer(driver: Driver[TransportCore], request_id: int, receive: Receive) -> None:
    """Only a disconnect can come now (a body is read already, a WebSocket not accepted)."""
    while not str((await receive())["type"]).endswith(".disconnect"):
        pass
    driver.abort(request_id)


# -- websocket -----------------------------------------------------------------------------


async def serve_websocket(
    head: HttpRequest, scope: Scope, receive: Receive, send: Send, driver: Driver[TransportCore]
) -> None:
    """Hand the upgrade request to the core; accept and serve, or deny, as it answers."""
    if (await receive())["type"] != "websocket.connect":
        return
    request_id = driver.new_request_id()
    answer = await _wait(driver, request_id, driver.submit(request_id, head), receive)
    if answer is None:
        return
    try:
        if isinstance(answer, Accepted):
            await _WebSocket(receive, send, answer, driver).run()
        else:
            await deny(scope, send, answer.response)
    finally:
        driver.answer_done()


async def deny(scope: Scope, send: Send, response: HttpResponse) -> None:
    """Refuse a WebSocket with ``response``, when the ASGI server can send one."""
    if _DENIAL_EXTENSION in (scope.get("extensions") or {}):
        headers = _headers(response)
        await send(
            {
                "type": "websocket.http.response.start",
                "status": response.status,
                "headers": headers,
            }
        )
        await send({"type": "websocket.http.response.body", "body": response.body})
    else:
        await send({"type": "websocket.close", "code": _POLICY_VIOLATION})


class _WebSocket:
    """One accepted WebSocket: a reader and a writer, the ASGI server doing the frames."""

    def __init__(
        self, receive: Receive, send: Send, accepted: Accepted, driver: Driver[TransportCore]
    ) -> None:
        self._receive = receive
        self._send = send
        self._accepted = accepted
        self._id = accepted.event.request_id
        self._driver = driver
        self._unsent = 0  # the core's count of the output queued here and not yet sent

    async def run(self) -> None:
        """Until either side closes; the core hears of the end unless it asked for it."""
        headers = [
            (n.encode("latin-1"), v.encode("latin-1")) for n, v in self._accepted.event.headers
        ]
        try:
            await self._send({"type": "websocket.accept", "headers": headers})
        except OSError:  # the client left before the accept went out
            self._driver.ws_closed(self._id, error=False)
            return
        async with anyio.create_task_group() as tasks:
            self._accepted.flow.bind(tasks.cancel_scope)
            tasks.start_soon(self._write_loop, tasks.cancel_scope)
            await self._read_loop()
            self._driver.ws_closed(self._id, error=False)
            tasks.cancel_scope.cancel()

    async def _read_loop(self) -> None:
        """Hand every message to the core until the client goes (cleanly or not: the ASGI
        server does not say which, and Node calls both ``transport close``).

        The ASGI server may hand over queued messages without waiting: the other tasks get
        their turn between them.
        """
        limit = self._driver.max_message_size
        turn = Turn()
        while True:
            await self._accepted.flow.wait()  # backpressure: the client's output is not read
            message = await self._receive()
            if message["type"] != "websocket.receive":
                return
            text = message.get("text")
            data: str | bytes | None = text if text is not None else message.get("bytes")
            if data is None:
                continue
            if _size_over(data, limit):
                self._driver.ws_too_large(self._id)
            else:
                self._driver.ws_message(self._id, data)
            await turn.spend(len(data))

    async def _write_loop(self, scope: anyio.CancelScope) -> None:
        """Send what the core queues; its close request ends the WebSocket.

        The ASGI server's ``send`` is awaited in this task: everything queued waits for it,
        and the core is told how much does (``ws_unwritten``), so that its output limits hold.
        """
        outbox: Queue[WsCommand] = Queue()
        self._accepted.outbox.attach(lambda command: self._queue(outbox, command))
        try:
            while True:
                for command in await outbox.get_all():
                    if isinstance(command, WebSocketDataReady):
                        for message in command.messages:
                            await self._send(_ws_send(message))
                        self._unsent -= command.size
                        self._driver.ws_unwritten(self._id, self._unsent)
                    else:
                        close = {"type": "websocket.close", "code": command.code}
                        await self._send({**close, "reason": command.reason})
                        scope.cancel()
                        return
        except OSError:
            self._accepted.flow.resume()  # the reader, even a paused one, hears the disconnect
            return

    def _queue(self, outbox: Queue[WsCommand], command: WsCommand) -> None:
        """Queue ``command`` for the writer (called by the driver's pump: it never waits)."""
        if isinstance(command, WebSocketDataReady):
            self._unsent += command.size
            self._driver.ws_unwritten(self._id, self._unsent)
        outbox.put(command)


def _size_over(data: str | bytes, limit: int) -> bool:
    """Whether ``data`` is over ``limit`` bytes (text is counted in UTF-8, as on the wire)."""
    if isinstance(data, bytes) or len(data) * 4 <= limit:
        return len(data) > limit
    return len(data.encode("utf-8")) > limit


def _ws_send(message: str | bytes) -> Message:
    if isinstance(message, str):
        return {"type": "websocket.send", "text": message}
    return {"type": "websocket.send", "bytes": message}
