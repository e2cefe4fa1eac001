"""Deterministic test doubles: a fake clock, a fake backend that plays clients against a core,
and an in-memory Redis between the nodes of a cluster (:class:`ClusterBus`).

A :class:`Harness` does what a real backend does (numbers requests, drains events after every
call, remembers what was written to each request and WebSocket), but in memory and with a clock
you move by hand. Tests then read like the protocol: send this request at this time, expect
these bytes back.

.. code-block:: python

    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = harness.polling_client()
    client.send("4hello")
    assert harness.app_events[-1] == MessageReceived(sid=client.sid, data="hello")
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from sio_core import SocketServer
from sio_core._cluster_bus import ClusterBus
from sio_core.engineio._packets import Packet as EnginePacket
from sio_core.engineio._packets import PacketType as EngineType
from sio_core.engineio._packets import decode_packet, decode_payload, encode_packet, encode_payload
from sio_core.events import (
    Event,
    HttpResponseReady,
    SocketConnecting,
    WebSocketAccepted,
    WebSocketCloseRequested,
    WebSocketDataReady,
    WebSocketReadPaused,
    WebSocketReadResumed,
)
from sio_core.http import HttpRequest, HttpResponse
from sio_core.socketio.packets import Decoder, JsonParser, PacketDecoder, Parser
from sio_core.socketio.packets import Packet as SioPacket
from sio_core.socketio.packets import PacketType as SioType
from sio_core.surface import TransportCore

__all__ = [
    "ClusterBus",
    "FakeClock",
    "FakeWebSocket",
    "Harness",
    "PollingClient",
    "SocketIOClient",
    "WebSocketClient",
]

E = TypeVar("E", bound=Event)

_WEBSOCKET_HANDSHAKE = (
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),  # RFC 6455's own example nonce
    ("sec-websocket-version", "13"),
)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` and return the new time."""
        self.now += seconds
        return self.now


@dataclasses.dataclass
class FakeWebSocket:
    """What the server did with one WebSocket: accepted or not, messages sent, close code."""

    ws_id: int
    accepted: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    sent: list[str | bytes] = dataclasses.field(default_factory=list)
    close_code: int | None = None
    aborted: bool = False
    stalled: bool = False
    """The client stopped reading: what the server sends stays unwritten (see ``unwritten``)."""
    unwritten: int = 0
    paused: bool = False
    """Whether the server asked to stop reading from this WebSocket."""

    @property
    def closed(self) -> bool:
        """True once the server asked for the WebSocket to be closed."""
        return self.close_code is not None

    def take(self) -> list[str | bytes]:
        """The messages sent since the last call."""
        sent, self.sent = self.sent, []
        return sent


class Harness:
    """A fake backend around a core: requests in, responses and WebSocket messages recorded."""

    def __init__(self, core: TransportCore, clock: FakeClock | None = None) -> None:
        self.core = core
        self.clock = clock or FakeClock()
        self.responses: dict[int, HttpResponse] = {}
        self.websockets: dict[int, FakeWebSocket] = {}
        self.app_events: list[Event] = []
        self._ids = itertools.count(1)

    # -- raw inputs -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        target: str,
        body: bytes | str = b"",
        headers: Iterable[tuple[str, str]] = (),
        **options: Any,
    ) -> int:
        """Send one HTTP request; returns its request id (see :meth:`response`)."""
        data = body.encode() if isinstance(body, str) else body
        request = HttpRequest.from_target(method, target, headers, body=data, **options)
        request_id = next(self._ids)
        self.core.receive_request(request_id, request, self.clock.now)
        self.pump()
        return request_id

    def open_websocket(
        self, target: str, headers: Iterable[tuple[str, str]] = ()
    ) -> FakeWebSocket:
        """Send a WebSocket upgrade request, a valid RFC 6455 opening handshake unless
        ``headers`` replace its fields; the result says whether it was accepted."""
        given = {name.lower() for name, _ in headers}
        upgrade = [*((n, v) for n, v in _WEBSOCKET_HANDSHAKE if n not in given), *headers]
        request_id = self.request("GET", target, headers=upgrade)
        return self.websockets.get(request_id) or FakeWebSocket(ws_id=request_id)

    def ws_send(self, ws: FakeWebSocket, message: str | bytes) -> None:
        """The client sends one WebSocket message."""
        self.core.receive_ws_message(ws.ws_id, message, self.clock.now)
        self.pump()

    def ws_unstall(self, ws: FakeWebSocket) -> None:
        """The client reads again: what the server handed the WebSocket is written."""
        ws.stalled = False
        ws.unwritten = 0
        self.core.ws_unwritten(ws.ws_id, 0, self.clock.now)
        self.pump()

    def ws_close(self, ws: FakeWebSocket, *, error: bool = False) -> None:
        """The client's WebSocket goes away."""
        self.core.ws_closed(ws.ws_id, self.clock.now, error=error)
        self.pump()

    def abort(self, request_id: int) -> None:
        """The client drops the connection of a request not yet answered."""
        self.core.request_aborted(request_id, self.clock.now)
        self.pump()

    def advance(self, seconds: float) -> None:
        """Move the clock, firing every deadline on the way in order, as a backend timer would."""
        target = self.clock.now + seconds
        while (deadline := self.core.next_deadline()) is not None and deadline <= target:
            self.clock.now = max(self.clock.now, deadline)
            self.core.handle_timeout(self.clock.now)
            self.pump()
        self.clock.now = target
        self.core.handle_timeout(target)  # nothing is due: this only tells the core the time
        self.pump()

    # -- outputs --------------------------------------------------------------------------

    def pump(self) -> list[Event]:
        """Drain the core's events and act on them as a backend would; returns them.

        A WebSocket's messages are written at once unless the WebSocket is ``stalled``: then
        what it holds is reported with ``ws_unwritten``.
        """
        events: list[Event] = []
        while batch := self.core.events():
            events += batch
            for event in batch:
                self._dispatch(event)
        return events

    def events_of(self, kind: type[E]) -> list[E]:
        """The application events of one type, in order."""
        return [event for event in self.app_events if isinstance(event, kind)]

    def response(self, request_id: int) -> HttpResponse | None:
        """The answer to a request, or None while it is held."""
        return self.responses.get(request_id)

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, HttpResponseReady):
            assert event.request_id not in self.responses, "a request was answered twice"
            self.responses[event.request_id] = event.response
        elif isinstance(event, WebSocketAccepted):
            ws = FakeWebSocket(ws_id=event.request_id, accepted=True, headers=event.headers)
            self.websockets[event.request_id] = ws
        elif isinstance(event, WebSocketDataReady):
            self._write(self.websockets[event.ws_id], event)
        elif isinstance(event, WebSocketCloseRequested):
            ws = self.websockets[event.ws_id]
            ws.close_code, ws.aborted = event.code, event.abort
        elif isinstance(event, WebSocketReadPaused | WebSocketReadResumed):
            self.websockets[event.ws_id].paused = isinstance(event, WebSocketReadPaused)
        else:
            self.app_events.append(event)

    def _write(self, ws: FakeWebSocket, event: WebSocketDataReady) -> None:
        ws.sent.extend(event.messages)
        if ws.stalled:
            ws.unwritten += event.size
            self.core.ws_unwritten(ws.ws_id, ws.unwritten, self.clock.now)

    # -- clients --------------------------------------------------------------------------

    def polling_client(self, path: str = "/engine.io/") -> PollingClient:
        """A client that completed a polling handshake."""
        return PollingClient(self, path)

    def websocket_client(self, path: str = "/engine.io/") -> WebSocketClient:
        """A client that completed a WebSocket-only handshake."""
        return WebSocketClient(self, path)


class PollingClient:
    """An Engine.IO client over long-polling, speaking raw wire strings."""

    def __init__(self, harness: Harness, path: str) -> None:
        self.harness = harness
        self.path = path
        rid = harness.request("GET", f"{path}?EIO=4&transport=polling")
        response = harness.responses[rid]
        assert response.status == 200, response
        self.handshake: dict[str, Any] = json.loads(response.body.decode()[1:])
        self.sid: str = self.handshake["sid"]

    @property
    def url(self) -> str:
        """The polling URL with this client's sid."""
        return f"{self.path}?EIO=4&transport=polling&sid={self.sid}"

    def send(self, payload: str) -> HttpResponse:
        """POST a payload (packets joined by ``\\x1e``); returns the answer."""
        return self.harness.responses[self.harness.request("POST", self.url, payload)]

    def poll(self) -> int:
        """Start a GET; returns its request id (it may stay unanswered)."""
        return self.harness.request("GET", self.url)

    def receive(self) -> str:
        """GET, and return the payload; fails if the server holds the request."""
        response = self.harness.response(self.poll())
        assert response is not None, "the GET is held: nothing to receive"
        return response.body.decode()

    def upgrade(self) -> FakeWebSocket:
        """Open a WebSocket for this session and complete the probe and the upgrade."""
        ws = self.harness.open_websocket(f"{self.path}?EIO=4&transport=websocket&sid={self.sid}")
        self.harness.ws_send(ws, "2probe")
        assert ws.take() == ["3probe"]
        self.harness.ws_send(ws, "5")
        return ws


class WebSocketClient:
    """An Engine.IO client over a WebSocket from the start."""

    def __init__(self, harness: Harness, path: str) -> None:
        self.harness = harness
        self.ws = harness.open_websocket(f"{path}?EIO=4&transport=websocket")
        opening = self.ws.take()[0]
        assert isinstance(opening, str), opening
        assert opening.startswith("0"), opening
        self.handshake: dict[str, Any] = json.loads(opening[1:])
        self.sid: str = self.handshake["sid"]

    def send(self, message: str | bytes) -> None:
        """Send one WebSocket message."""
        self.harness.ws_send(self.ws, message)

    def take(self) -> list[str | bytes]:
        """The messages the server sent since the last call."""
        return self.ws.take()


class SocketIOClient:
    """A Socket.IO client speaking real wire strings to a :class:`SocketServer` in a harness.

    It answers nothing on its own except what a test tells it to, so heartbeats, acks and
    disconnects stay in the test's hands. Received Socket.IO packets are decoded with the
    server's own parser; Engine.IO control packets (``2``, ``6``...) are kept apart in
    ``engine_packets``.
    """

    def __init__(self, harness: Harness, *, transport: str = "websocket") -> None:
        assert isinstance(harness.core, SocketServer), "SocketIOClient needs a SocketServer"
        self.server = harness.core
        self.harness = harness
        path = self.server.config.engine.path
        self.engine: PollingClient | WebSocketClient = (
            harness.websocket_client(path)
            if transport == "websocket"
            else harness.polling_client(path)
        )
        self._decoder = _client_decoder(self.server.parser)
        self._held_get: int | None = None
        self.engine_packets: list[str] = []
        self.socket_ids: dict[str, str] = {}

    def connect(self, nsp: str = "/", auth: dict[str, Any] | None = None) -> str | None:
        """Send CONNECT, accept it as a middleware would and release it as a backend would once
        the connection handlers ran; returns the socket id, if any."""
        already = len(self.harness.app_events)
        self.send_packet(SioPacket(SioType.CONNECT, nsp, auth))
        for event in self.harness.app_events[already:]:
            if isinstance(event, SocketConnecting) and self.server.is_pending(event.socket_id):
                self.server.accept(event.socket_id)
                self.server.release(event.socket_id)
                self.harness.pump()
        for packet in self.received():
            if packet.type is SioType.CONNECT and packet.nsp == nsp:
                self.socket_ids[nsp] = packet.data["sid"]
        return self.socket_ids.get(nsp)

    def emit(self, event: str, *args: Any, nsp: str = "/", ack_id: int | None = None) -> None:
        """Emit an event to the server, asking for an ack when ``ack_id`` is given."""
        self.send_packet(SioPacket(SioType.EVENT, nsp, [event, *args], ack_id))

    def ack(self, ack_id: int, *args: Any, nsp: str = "/") -> None:
        """Answer the server's emit ``ack_id``."""
        self.send_packet(SioPacket(SioType.ACK, nsp, list(args), ack_id))

    def disconnect(self, nsp: str = "/") -> None:
        """Leave a namespace (``client namespace disconnect`` on the server)."""
        self.send_packet(SioPacket(SioType.DISCONNECT, nsp))

    def send_packet(self, packet: SioPacket) -> None:
        """Encode a Socket.IO packet and send it over the Engine.IO transport."""
        for part in self.server.parser.encode(packet):
            self.send_raw(part)

    def send_raw(self, message: str | bytes) -> None:
        """Send one Engine.IO message payload as it is (malformed ones included)."""
        if isinstance(self.engine, WebSocketClient):
            self.engine.send(encode_packet(EnginePacket(EngineType.MESSAGE, message)))
        else:
            self.engine.send(encode_payload([EnginePacket(EngineType.MESSAGE, message)]))

    def received(self) -> list[SioPacket]:
        """The Socket.IO packets the server sent since the last call, decoded."""
        if isinstance(self.engine, WebSocketClient):
            raw = [decode_packet(message) for message in self.engine.take()]
        else:
            raw = self._poll()
        packets = []
        for engine_packet in raw:
            if engine_packet.type is not EngineType.MESSAGE:
                self.engine_packets.append(f"{int(engine_packet.type)}{engine_packet.data!s}")
                continue
            packet = self._decoder.feed(engine_packet.data)
            if packet is not None:
                packets.append(packet)
        return packets

    def _poll(self) -> list[EnginePacket]:
        """GET, or look again at the GET still held from last time (never two at once)."""
        assert isinstance(self.engine, PollingClient)
        if self._held_get is None:
            self._held_get = self.engine.poll()
        response = self.harness.response(self._held_get)
        if response is None:
            return []
        self._held_get = None
        return decode_payload(response.body)


def _client_decoder(parser: Parser) -> PacketDecoder:
    """A decoder for what the server sends: a client, like socket.io-client, caps nothing (the
    attachment limit guards the server against its clients, not the other way round)."""
    if isinstance(parser, JsonParser):
        return Decoder(max_attachments=sys.maxsize)
    return parser.decoder()
