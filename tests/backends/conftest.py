"""Sans-IO clients for the backend tests: h11 and wsproto in client mode over real TCP.

Plus a running echo server and a recorder of the session events its handler saw. Every wait
here is bounded by the caller's ``anyio.fail_after``. Tests reach all of it through the
``wire`` fixture (pytest runs in importlib mode, where test modules cannot import siblings).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import h11
import pytest
from sio_anyio import EngineIOServer, Fallback
from wsproto import ConnectionType, WSConnection
from wsproto import events as ws_events
from wsproto.extensions import PerMessageDeflate

from sio_core.config import EngineConfig
from sio_core.events import Event, MessageReceived
from sio_core.ids import CountingIds

EIO = "/engine.io/?EIO=4"


class HttpResponse:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = {name.decode().lower(): value.decode() for name, value in headers}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()


class HttpClient:
    """One HTTP/1.1 connection, kept alive between requests."""

    def __init__(self, stream: anyio.abc.SocketStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)

    @classmethod
    async def connect(cls, port: int) -> HttpClient:
        return cls(await anyio.connect_tcp("127.0.0.1", port))

    async def send_request(
        self, method: str, target: str, body: bytes = b"", headers: list[tuple[str, str]] = ()
    ) -> None:
        all_headers = [("Host", "127.0.0.1"), *headers]
        if body and not any(name.lower() == "transfer-encoding" for name, _ in headers):
            all_headers.append(("Content-Length", str(len(body))))
        await self._send(h11.Request(method=method, target=target, headers=all_headers))
        if body:
            await self._send(h11.Data(data=body))
        await self._send(h11.EndOfMessage())

    async def read_response(self) -> HttpResponse:
        head = await self._next_event()
        assert isinstance(head, h11.Response), head
        chunks = []
        while isinstance(event := await self._next_event(), h11.Data):
            chunks.append(bytes(event.data))
        assert isinstance(event, h11.EndOfMessage), event
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
        return HttpResponse(head.status_code, list(head.headers), b"".join(chunks))

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: list[tuple[str, str]] = ()
    ) -> HttpResponse:
        await self.send_request(method, target, body, headers)
        return await self.read_response()

    async def closed_by_server(self) -> bool:
        """Reads until the server closes; True if it did so without sending anything more."""
        try:
            data = await self.stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return True
        return not data

    async def aclose(self) -> None:
        await self.stream.aclose()

    async def _send(self, event: h11.Event) -> None:
        data = self.h11.send(event)
        if data:
            await self.stream.send(data)

    async def _next_event(self) -> object:
        while (event := self.h11.next_event()) is h11.NEED_DATA:
            try:
                data = await self.stream.receive()
            except anyio.EndOfStream:
                data = b""
            self.h11.receive_data(data)
        return event


class WsClient:
    """One WebSocket connection, its handshake included."""

    def __init__(self, stream: anyio.abc.SocketStream, ws: WSConnection) -> None:
        self.stream = stream
        self.ws = ws
        self.accepted: ws_events.AcceptConnection | None = None
        self._pending: list[ws_events.Event] = []

    @classmethod
    async def connect(cls, port: int, target: str, *, deflate: bool = False) -> WsClient:
        client = cls(
            await anyio.connect_tcp("127.0.0.1", port), WSConnection(ConnectionType.CLIENT)
        )
        extensions = [PerMessageDeflate()] if deflate else []
        await client.send(
            ws_events.Request(host="127.0.0.1", target=target, extensions=extensions)
        )
        accepted = await client.next_event()
        assert isinstance(accepted, ws_events.AcceptConnection), accepted
        client.accepted = accepted
        return client

    async def send(self, event: ws_events.Event) -> None:
        await self.stream.send(self.ws.send(event))

    async def send_message(self, message: str | bytes) -> None:
        if isinstance(message, str):
            await self.send(ws_events.TextMessage(data=message))
        else:
            await self.send(ws_events.BytesMessage(data=message))

    async def next_event(self) -> ws_events.Event:
        while not self._pending:
            for event in self.ws.events():
                self._pending.append(event)
            if not self._pending:
                try:
                    data: bytes | None = await self.stream.receive()
                except anyio.EndOfStream:
                    data = None
                self.ws.receive_data(data)
        return self._pending.pop(0)

    async def receive_message(self) -> str | bytes:
        """The next complete message, skipping nothing but joining fragments."""
        parts: list[str | bytes] = []
        while True:
            event = await self.next_event()
            assert isinstance(event, ws_events.Message), event
            parts.append(event.data)
            if event.message_finished:
                return "".join(parts) if isinstance(event.data, str) else b"".join(parts)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        await self.stream.aclose()


def open_packet(body: str) -> dict[str, object]:
    assert body.startswith("0"), body
    packet = json.loads(body[1:])
    assert isinstance(packet, dict)
    return packet


class Recorder:
    """The application: echoes every message, and remembers every session event in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.server: EngineIOServer | None = None
        self._changed = anyio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()
        if isinstance(event, MessageReceived) and self.server is not None:
            self.server.send(event.sid, event.data)

    async def wait_for(self, predicate: Callable[[Event], bool]) -> Event:
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            self._changed = anyio.Event()
            await self._changed.wait()


@asynccontextmanager
async def echo_server(
    config: EngineConfig | None = None,
    *,
    fallback: Fallback | None = None,
    per_message_deflate: bool = True,
) -> AsyncIterator[tuple[int, Recorder]]:
    """A running echo server on 127.0.0.1 and a free port; stopped on exit."""
    recorder = Recorder()
    server = EngineIOServer(
        config,
        recorder,
        fallback=fallback,
        id_generator=CountingIds("s"),
        per_message_deflate=per_message_deflate,
    )
    recorder.server = server
    async with anyio.create_task_group() as tasks:
        _, port = await tasks.start(server.serve, "127.0.0.1", 0)
        try:
            yield port, recorder
        finally:
            await server.aclose()


async def handshake(client: HttpClient) -> str:
    """Opens a polling session and returns its sid."""
    response = await client.request("GET", f"{EIO}&transport=polling")
    assert response.status == 200, response.text
    sid = open_packet(response.text)["sid"]
    assert isinstance(sid, str)
    return sid


class Wire:
    """What the ``wire`` fixture hands to a test."""

    EIO = EIO
    server = staticmethod(echo_server)
    handshake = staticmethod(handshake)
    open_packet = staticmethod(open_packet)
    http = staticmethod(HttpClient.connect)
    ws = staticmethod(WsClient.connect)


@pytest.fixture
def wire() -> type[Wire]:
    return Wire
