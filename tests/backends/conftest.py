"""Sans-IO clients for the backend tests: h11 and wsproto in client mode over real TCP.

Plus a running echo server and a recorder of the session events its handler saw. Every wait
here is bounded by the caller's ``anyio.fail_after``. Tests reach all of it through the
``wire`` fixture (pytest runs in importlib mode, where test modules cannot import siblings).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import h11
import pytest
from sio_anyio import EngineIOServer, Fallback, Server
from sio_anyio._streams import ByteStream
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
    async def connect(
        cls,
        port: int,
        target: str,
        *,
        deflate: bool = False,
        headers: list[tuple[str, str]] = (),
    ) -> WsClient:
        client = cls(
            await anyio.connect_tcp("127.0.0.1", port), WSConnection(ConnectionType.CLIENT)
        )
        extensions = [PerMessageDeflate()] if deflate else []
        extra = [(name.encode(), value.encode()) for name, value in headers]
        await client.send(
            ws_events.Request(
                host="127.0.0.1", target=target, extensions=extensions, extra_headers=extra
            )
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
    read_timeout: float = 30.0,
) -> AsyncIterator[tuple[int, Recorder]]:
    """A running echo server on 127.0.0.1 and a free port; stopped on exit."""
    recorder = Recorder()
    server = EngineIOServer(
        config,
        recorder,
        fallback=fallback,
        id_generator=CountingIds("s"),
        per_message_deflate=per_message_deflate,
        read_timeout=read_timeout,
    )
    recorder.server = server
    async with anyio.create_task_group() as tasks:
        _, port = await tasks.start(server.serve, "127.0.0.1", 0)
        try:
            yield port, recorder
        finally:
            await server.close()


async def handshake(client: HttpClient) -> str:
    """Opens a polling session and returns its sid."""
    response = await client.request("GET", f"{EIO}&transport=polling")
    assert response.status == 200, response.text
    sid = open_packet(response.text)["sid"]
    assert isinstance(sid, str)
    return sid


# -- Socket.IO: a raw-wire client, a running sio_anyio.Server, a recorder for handlers ---------

SIO_WS = "/socket.io/?EIO=4&transport=websocket"
_LIVE: list[WsClient] = []
"""Connections of the Socket.IO clients, closed when the server stops even if a test failed."""
_PACKET = re.compile(r"^(?P<type>\d)(?:(?P<nsp>/[^,]*),)?(?P<id>\d+)?(?P<data>.*)$", re.S)


class SioPacket:
    """One decoded Socket.IO text packet: ``42/admin,7["hi",1]`` -> type 2, /admin, id 7."""

    def __init__(self, raw: str) -> None:
        match = _PACKET.match(raw)
        assert match is not None, raw
        self.raw = raw
        self.type = int(match["type"])
        self.nsp = match["nsp"] or "/"
        self.id = int(match["id"]) if match["id"] else None
        self.data: Any = json.loads(match["data"]) if match["data"] else None

    def __repr__(self) -> str:
        return f"SioPacket({self.raw!r})"


class SioClient:
    """A Socket.IO v5 client over one WebSocket, speaking raw wire strings.

    Engine.IO pings are answered on the way; everything else is the test's to read.
    """

    def __init__(self, ws: WsClient, handshake: dict[str, object]) -> None:
        self.ws = ws
        self.handshake = handshake
        self.closed = False

    @classmethod
    async def connect(
        cls, port: int, query: str = "", headers: list[tuple[str, str]] = ()
    ) -> SioClient:
        ws = await WsClient.connect(port, SIO_WS + query, headers=headers)
        _LIVE.append(ws)
        opening = await ws.receive_message()
        assert isinstance(opening, str)
        return cls(ws, open_packet(opening))

    async def send(self, packet: str) -> None:
        """Send one Socket.IO packet (the Engine.IO ``4`` is added here)."""
        await self.ws.send_message("4" + packet)

    async def receive(self) -> SioPacket:
        """The next Socket.IO packet; fails if the connection closes first."""
        packet = await self.receive_or_close()
        assert packet is not None, "the server closed the connection"
        return packet

    async def receive_or_close(self) -> SioPacket | None:
        """The next Socket.IO packet, or None once the server closed the connection."""
        parts: list[str] = []  # a large message may come in fragments
        while not self.closed:
            event = await self.ws.next_event()
            if isinstance(event, ws_events.CloseConnection):
                self.closed = True
            elif isinstance(event, ws_events.TextMessage):
                parts.append(event.data)
                if not event.message_finished:
                    continue
                message, parts = "".join(parts), []
                if message == "2":
                    await self.ws.send_message("3")
                elif message.startswith("4"):
                    return SioPacket(message[1:])
        return None

    async def until_closed(self) -> list[SioPacket]:
        """Read until the server closes the connection; the packets that came before."""
        packets = []
        while (packet := await self.receive_or_close()) is not None:
            packets.append(packet)
        return packets

    async def join(self, nsp: str = "/", auth: object = None) -> SioPacket:
        """Send CONNECT to ``nsp`` (with ``auth``) and return the server's answer."""
        prefix = "" if nsp == "/" else nsp + ","
        body = "" if auth is None else json.dumps(auth)
        await self.send(f"0{prefix}{body}")
        return await self.receive()

    async def emit(self, *data: object, ack_id: int | None = None, nsp: str = "/") -> None:
        """Send an EVENT, with an ack id when given."""
        prefix = "" if nsp == "/" else nsp + ","
        ident = "" if ack_id is None else str(ack_id)
        await self.send(f"2{prefix}{ident}{json.dumps(list(data))}")

    async def aclose(self) -> None:
        await self.ws.aclose()


async def connected(port: int, nsp: str = "/", auth: object = None) -> SioClient:
    """A client with its socket in ``nsp`` (asserts the server accepted it)."""
    client = await SioClient.connect(port)
    answer = await client.join(nsp, auth)
    assert answer.type == 0, answer
    assert isinstance(answer.data, dict), answer
    return client


class Seen:
    """What the server-side handlers saw, in order, with a bounded-by-the-caller wait."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = anyio.Event()

    def __call__(self, *item: Any) -> None:
        self.items.append(item[0] if len(item) == 1 else item)
        self._changed.set()

    async def wait_for(self, count: int) -> list[Any]:
        """Wait until at least ``count`` items were seen; all of them."""
        while len(self.items) < count:
            self._changed = anyio.Event()
            await self._changed.wait()
        return self.items


@asynccontextmanager
async def sio_serving(io: Server) -> AsyncIterator[int]:
    """Serve ``io`` on 127.0.0.1 and a free port; ``io.close()`` on exit."""
    _LIVE.clear()
    async with anyio.create_task_group() as tasks:
        _, port = await tasks.start(io.serve, "127.0.0.1", 0)
        try:
            yield port
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                for ws in _LIVE:
                    await ws.aclose()
                _LIVE.clear()
                await io.close()


# -- hostile input: raw frames, and a bystander that must not notice ------------------------------


def client_frame(
    opcode: int,
    payload: bytes,
    *,
    announced: int | None = None,
    fin: bool = True,
    rsv1: bool = False,
    masked: bool = True,
) -> bytes:
    """One client frame built by hand (masked with a zero key: the payload reads as sent)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    mask = 0x80 if masked else 0
    length = len(payload) if announced is None else announced
    if length < 126:
        header = bytes([first, mask | length])
    elif length < 1 << 16:
        header = bytes([first, mask | 126]) + struct.pack("!H", length)
    else:
        header = bytes([first, mask | 127]) + struct.pack("!Q", length)
    return header + (b"\x00" * 4 if masked else b"") + payload


class Bystander:
    """A well-behaved client connected before an attack, asking for its answer afterwards."""

    def __init__(self, ws: WsClient, ask: str, answer: str) -> None:
        self.ws = ws
        self._ask = ask
        self._answer = answer

    async def answered(self) -> bool:
        """Whether it still gets its answer on the session it had (not once that closed)."""
        await self.ws.send_message(self._ask)
        while True:
            event = await self.ws.next_event()
            if isinstance(event, ws_events.CloseConnection):
                return False
            if isinstance(event, ws_events.TextMessage) and event.data == "2":
                await self.ws.send_message("3")
            elif isinstance(event, ws_events.TextMessage) and event.data == self._answer:
                return True


@asynccontextmanager
async def bystander(port: int, *, sio: bool = False) -> AsyncIterator[Bystander]:
    """A bystander of the echo server (the echo is its answer) or, with ``sio``, of a Socket.IO
    server whose ``ping`` handler returns ``"pong"`` (the ack is its answer)."""
    if sio:
        ws, ask, answer = (await connected(port)).ws, '421000["ping"]', '431000["pong"]'
    else:
        ws = await WsClient.connect(port, EIO + "&transport=websocket")
        await ws.receive_message()
        ask = answer = "4bystander"
    try:
        yield Bystander(ws, ask, answer)
    finally:
        with anyio.CancelScope(shield=True):
            await ws.aclose()


class Wire:
    """What the ``wire`` fixture hands to a test."""

    EIO = EIO
    server = staticmethod(echo_server)
    handshake = staticmethod(handshake)
    open_packet = staticmethod(open_packet)
    http = staticmethod(HttpClient.connect)
    ws = staticmethod(WsClient.connect)
    sio = staticmethod(SioClient.connect)
    connected = staticmethod(connected)
    serving = staticmethod(sio_serving)
    Seen = Seen
    SioPacket = SioPacket
    client_frame = staticmethod(client_frame)
    bystander = staticmethod(bystander)


@pytest.fixture
def wire() -> type[Wire]:
    return Wire


@pytest.fixture
def lingered(monkeypatch: pytest.MonkeyPatch) -> list[ByteStream]:
    """The server's streams closed with a drain of what the peer may still send (a lingering
    close), from the test's start."""
    streams: list[ByteStream] = []
    linger_close = ByteStream.linger_close

    async def recording(self: ByteStream) -> None:
        streams.append(self)
        await linger_close(self)

    monkeypatch.setattr(ByteStream, "linger_close", recording)
    return streams
