"""Fixtures for the Socket.IO server behaviour tests: a server in a harness, and peers.

A :class:`Peer` wraps the public :class:`~sio_core.testing.SocketIOClient` and reads what the
server wrote as Socket.IO wire strings (the payload of each Engine.IO ``message``), the same
way over WebSocket and long-polling, so that one test body can be parametrized over both.
Over polling it remembers a GET the server held, instead of starting a second one (which the
server would rightly treat as a protocol violation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sio_core import ConnectionStateRecovery, SocketConfig, SocketServer
from sio_core.engineio._packets import PacketType as EngineType
from sio_core.engineio._packets import decode_packet, decode_payload
from sio_core.events import Event, SocketConnecting
from sio_core.ids import CountingIds
from sio_core.socketio.packets import Packet as SioPacket
from sio_core.socketio.packets import PacketType as SioType
from sio_core.testing import Harness, SocketIOClient, WebSocketClient


class Peer:
    """One Socket.IO client connection, read and written as raw wire strings."""

    def __init__(self, harness: Harness, transport: str) -> None:
        self.harness = harness
        self.transport = transport
        self.server: SocketServer = harness.core  # type: ignore[assignment]
        self.io = SocketIOClient(harness, transport=transport)
        self.sid = self.io.engine.sid
        self.control: list[str] = []
        self._held: int | None = None

    # -- reading ----------------------------------------------------------------------------

    def wire(self) -> list[str | bytes]:
        """The Socket.IO messages the server sent since the last call; control packets aside."""
        messages: list[str | bytes] = []
        for packet in self._engine_packets():
            if packet.type is EngineType.MESSAGE:
                messages.append(packet.data)
            else:
                self.control.append(f"{int(packet.type)}{packet.data!s}")
        return messages

    def _engine_packets(self) -> list[Any]:
        if isinstance(self.io.engine, WebSocketClient):
            return [decode_packet(message) for message in self.io.engine.take()]
        request_id = self._held if self._held is not None else self.io.engine.poll()
        response = self.harness.response(request_id)
        if response is None:
            self._held = request_id
            return []
        self._held = None
        if response.status != 200:  # the session is gone: an Engine.IO error body
            self.control.append(f"HTTP {response.status}")
            return []
        return decode_payload(response.body)

    def hold_get(self) -> None:
        """Over polling, leave a GET waiting at the server (nothing must be queued)."""
        assert self.wire() == []
        assert self._held is not None

    def abort_held_get(self) -> None:
        """Over polling, the client drops the connection of its held GET (a transport error)."""
        self.hold_get()
        assert self._held is not None
        self.harness.abort(self._held)
        self._held = None

    @property
    def closed_by_server(self) -> bool:
        """Whether the server closed the Engine.IO connection (close frame or close packet)."""
        if isinstance(self.io.engine, WebSocketClient):
            return self.io.engine.ws.closed
        self.wire()
        if "1" not in self.control:
            self.wire()  # the close packet comes in an answer of its own, after the outbox
        return "1" in self.control

    # -- writing ----------------------------------------------------------------------------

    def send(self, message: str | bytes) -> None:
        """Send one Socket.IO message (the payload of an Engine.IO message) as it is."""
        self.io.send_raw(message)

    def send_engine(self, payload: str) -> None:
        """Send one raw Engine.IO packet (``3`` for a pong, ``1`` to close, junk...)."""
        self.io.engine.send(payload)

    def ask(self, nsp: str = "/", auth: dict[str, Any] | None = None) -> list[Event]:
        """Send CONNECT without deciding; returns the events it caused."""
        already = len(self.harness.app_events)
        self.io.send_packet(SioPacket(SioType.CONNECT, nsp, auth))
        return self.harness.app_events[already:]

    def connect(self, nsp: str = "/", auth: dict[str, Any] | None = None) -> str:
        """Join ``nsp``, accepted at once; the CONNECT reply is read and checked here."""
        (connecting,) = [e for e in self.ask(nsp, auth) if isinstance(e, SocketConnecting)]
        self.server.accept(connecting.socket_id)
        self.server.release(connecting.socket_id)
        self.harness.pump()
        prefix = "" if nsp == "/" else f"{nsp},"
        assert self.wire() == [f'0{prefix}{{"sid":"{connecting.socket_id}"}}']
        return connecting.socket_id

    def answer_ping(self) -> None:
        """Read the wire and answer each ping the server sent with a pong."""
        before = len(self.control)
        self.wire()
        for _ in [c for c in self.control[before:] if c == "2"]:
            self.send_engine("3")


@pytest.fixture
def server() -> SocketServer:
    return SocketServer(id_generator=CountingIds())


@pytest.fixture
def harness(server: SocketServer) -> Harness:
    return Harness(server)


@pytest.fixture(params=["websocket", "polling"])
def transport(request: pytest.FixtureRequest) -> str:
    """Both transports, for behaviour that must hold on each."""
    return str(request.param)


PeerFactory = Callable[..., Peer]


@pytest.fixture
def new_peer(harness: Harness) -> PeerFactory:
    """Make a peer: ``new_peer()`` over WebSocket, ``new_peer("polling")``."""

    def make(transport: str = "websocket") -> Peer:
        return Peer(harness, transport)

    return make


@pytest.fixture
def peer(new_peer: PeerFactory, transport: str) -> Peer:
    """One peer, over each transport in turn."""
    return new_peer(transport)


# -- connection state recovery: clients that drop and come back --------------------------------


class Returning:
    """A client of a server with connection state recovery on, seen as socket.io-client sees
    it: its socket id and pid from the CONNECT reply, and the last offset it received (the
    last argument of an event, when it is a string)."""

    def __init__(self, peer: Peer, nsp: str = "/") -> None:
        self.peer = peer
        self.nsp = nsp
        self.socket_id: str | None = None
        self.pid: str | None = None
        self.offset: str | None = None
        self._decoder = peer.server.parser.decoder()

    def packets(self) -> list[SioPacket]:
        """What the server sent since the last call, decoded; CONNECT and offsets noted."""
        packets = [p for m in self.peer.wire() if (p := self._decoder.feed(m)) is not None]
        for packet in packets:
            if packet.type is SioType.CONNECT and packet.nsp == self.nsp:
                self.socket_id, self.pid = packet.data["sid"], packet.data.get("pid")
            elif packet.type is SioType.EVENT and isinstance(packet.data[-1], str):
                self.offset = packet.data[-1]
        return packets

    def events(self) -> list[list[Any]]:
        """The events the server sent since the last call: ``[name, *args]`` each."""
        return [p.data for p in self.packets() if p.type is SioType.EVENT]

    def auth(self) -> dict[str, Any]:
        """What socket.io-client adds to ``auth`` when it reconnects."""
        return {"pid": self.pid, "offset": self.offset}

    def drop(self) -> None:
        """The connection fails (``transport close``)."""
        if self.peer.transport == "websocket":
            self.peer.harness.ws_close(self.peer.io.engine.ws)
        else:
            self.peer.send_engine("1")


class Recovering:
    """Makes :class:`Returning` clients join, and come back after a drop."""

    def __init__(self, new_peer: PeerFactory) -> None:
        self._new_peer = new_peer

    def ask(
        self, nsp: str = "/", auth: dict[str, Any] | None = None, transport: str = "websocket"
    ) -> tuple[Returning, SocketConnecting]:
        """A client sends CONNECT; the socket waits for its decision."""
        client = Returning(self._new_peer(transport), nsp)
        (connecting,) = [e for e in client.peer.ask(nsp, auth) if isinstance(e, SocketConnecting)]
        return client, connecting

    def admit(self, client: Returning, connecting: SocketConnecting) -> list[SioPacket]:
        """Accept and release the socket, as a backend does; what the client then got."""
        client.peer.server.accept(connecting.socket_id)
        client.peer.server.release(connecting.socket_id)
        client.peer.harness.pump()
        return client.packets()

    def join(self, nsp: str = "/", transport: str = "websocket") -> Returning:
        """A client whose socket is connected (and read its CONNECT reply)."""
        client, connecting = self.ask(nsp, transport=transport)
        self.admit(client, connecting)
        return client

    def come_back(
        self, client: Returning, transport: str = "websocket"
    ) -> tuple[Returning, SocketConnecting, list[SioPacket]]:
        """``client`` connects again with its pid and offset: the new client, its
        SocketConnecting, and what it got once admitted."""
        back, connecting = self.ask(client.nsp, client.auth(), transport)
        back.pid, back.offset = client.pid, client.offset
        return back, connecting, self.admit(back, connecting)


@pytest.fixture
def recovering(new_peer: PeerFactory) -> Recovering:
    """Clients that join, drop and come back (the server fixture must enable recovery)."""
    return Recovering(new_peer)


@pytest.fixture
def recovery_with() -> Callable[[ConnectionStateRecovery], tuple[SocketServer, Recovering]]:
    """A server with these recovery options, and clients of its own."""

    def make(options: ConnectionStateRecovery) -> tuple[SocketServer, Recovering]:
        config = SocketConfig(connection_state_recovery=options)
        harness = Harness(SocketServer(config, id_generator=CountingIds()))
        server: SocketServer = harness.core  # type: ignore[assignment]
        return server, Recovering(lambda transport="websocket": Peer(harness, transport))

    return make
