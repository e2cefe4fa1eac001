"""A :class:`SocketServer` driven by random clients, a random application and a random clock.

Hypothesis interleaves what a backend would feed the core: handshakes over long-polling and
WebSocket, upgrades (completed, refused, abandoned), CONNECTs that the application accepts,
holds, rejects or never decides, events and acks both ways, rooms, broadcasts, disconnects from
either side, transports that go away, malformed packets, and time passing (heartbeats, ack and
connect timeouts). After every step the server's books must agree with what it reported, and
with what its clients saw; once every client has gone and time has passed, every table is empty.

The clients here speak raw wire strings and read what the server sends, like
:mod:`sio_core.testing`'s, but each can also upgrade, misbehave or vanish at any moment.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import sys
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sio_core import (
    BroadcastOptions,
    ConnectionStateRecovery,
    CountingIds,
    InMemoryAdapter,
    ServerStats,
    SocketConfig,
    SocketServer,
)
from sio_core.events import (
    AckAbandoned,
    AckReceived,
    BroadcastAcksCollected,
    Event,
    EventReceived,
    SessionClosed,
    SessionOpened,
    SocketConnected,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
)
from sio_core.socketio.packets import Decoder, JsonParser, Packet, PacketType
from sio_core.testing import FakeWebSocket, Harness
from tests.strategies import blobs

NAMESPACES = ["/", "/chat", "/dyn-1", "/nowhere"]  # static, static, dynamic, refused
ROOMS = ["r1", "r2", "r3"]
PARSER = JsonParser()


arguments = st.lists(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4) | blobs(4), max_size=2
)
# Wire strings that come close to valid packets: the decoders' error paths, binary reassembly.
ENGINE_JUNK = ["", "0", "2", "5", "6", "7", "1x", "4", "b", "bAQ==", "\x1e", "2probe", "3probe"]
SOCKETIO_JUNK = [
    "",
    "0",
    "0/nowhere",
    "1",
    "2",
    "2[",
    "2[]",
    '2["connect"]',
    "3",
    "31[]",
    "4",
    '4{"message":"x"}',
    "5",
    '51-["e",{"_placeholder":true,"num":0}]',
    '52-["e",{"_placeholder":true,"num":1}]',
    '61-1[{"_placeholder":true,"num":0}]',
    "9",
    "2/chat",
    "0/chat,{",
    '2999999999999999999["e"]',
    '21-["e"]',
]
junk_engine = st.sampled_from(ENGINE_JUNK) | st.text(max_size=12) | blobs(8)
junk_socketio = st.sampled_from(SOCKETIO_JUNK) | st.text(max_size=12) | blobs(8)


def _engine_packets(message: str | bytes) -> list[tuple[str, str | bytes]]:
    """One WebSocket message as (type, data): bytes are a binary ``message``."""
    if isinstance(message, bytes):
        return [("4", message)]
    return [(message[:1], message[1:])]


def _payload(body: bytes) -> list[tuple[str, str | bytes]]:
    """A long-polling payload as (type, data) pairs; ``b`` + base64 is a binary ``message``."""
    packets: list[tuple[str, str | bytes]] = []
    for part in body.decode().split("\x1e"):
        if part.startswith("b"):
            packets.append(("4", base64.b64decode(part[1:])))
        else:
            packets.append((part[:1], part[1:]))
    return packets


class Peer:
    """One client: its Engine.IO session as it sees it, and what its sockets were told."""

    def __init__(self, harness: Harness, server: SocketServer, transport: str) -> None:
        self.harness = harness
        self.path = server.config.engine.path
        self.ws: FakeWebSocket | None = None
        self.probe: FakeWebSocket | None = None
        self.held: int | None = None
        if transport == "websocket":
            self.ws = harness.open_websocket(f"{self.path}?EIO=4&transport=websocket")
            opening = self.ws.take()[0]
            assert isinstance(opening, str)
        else:
            rid = harness.request("GET", f"{self.path}?EIO=4&transport=polling")
            opening = harness.responses[rid].body.decode()
        self.sid: str = json.loads(opening[1:])["sid"]
        self.decoder = Decoder(max_attachments=sys.maxsize)
        self.closed = False  # the server ended the session, as far as the client can tell
        self.left = False  # the client went away
        self.pings = 0
        self.sockets: dict[str, str] = {}  # nsp -> socket id, from the CONNECT reply
        self.seen: set[str] = set()  # every socket id a CONNECT reply named
        self.asked: list[tuple[str, int]] = []  # (nsp, ack id) the server waits for
        self.pids: dict[str, str] = {}  # nsp -> the pid of its CONNECT reply (recovery on)
        self.offset: str | None = None  # the last offset an event carried (recovery on)
        self.ack_ids = itertools.count()

    def __repr__(self) -> str:
        return f"Peer({self.sid!r})"

    @property
    def polling(self) -> bool:
        return self.ws is None

    @property
    def query(self) -> str:
        return f"{self.path}?EIO=4&transport=polling&sid={self.sid}"

    # -- reading ----------------------------------------------------------------------------

    def read(self) -> None:
        """Take what the server sent: the answer to a held GET (starting one over polling),
        then the WebSocket's messages."""
        self.harness.pump()  # what the application did since the last input leaves now
        if self.polling and self.held is None and not self.closed:
            self.held = self.harness.request("GET", self.query)
        self._collect_get()
        if self.ws is not None:
            for message in self.ws.take():
                self._engine(_engine_packets(message))
            if self.ws.closed:
                self.closed = True

    def _collect_get(self) -> None:
        if self.held is None:
            return
        response = self.harness.response(self.held)
        if response is None:
            return
        self.held = None
        if response.status != 200:
            self.closed = True
        else:
            self._engine(_payload(response.body))

    def _engine(self, packets: list[tuple[str, str | bytes]]) -> None:
        for kind, data in packets:
            if kind == "1":
                self.closed = True
            elif kind == "2":
                self.pings += 1
            elif kind == "4":
                packet = self.decoder.feed(data)
                if packet is not None:
                    self._socketio(packet)

    def _socketio(self, packet: Packet) -> None:
        if packet.type is PacketType.CONNECT:
            self.sockets[packet.nsp] = packet.data["sid"]
            self.seen.add(packet.data["sid"])
            if "pid" in packet.data:
                self.pids[packet.nsp] = packet.data["pid"]
        elif packet.type is PacketType.DISCONNECT:
            self.sockets.pop(packet.nsp, None)
        elif packet.type is PacketType.EVENT and packet.id is not None:
            self.asked.append((packet.nsp, packet.id))
        elif packet.type is PacketType.EVENT and isinstance(packet.data[-1], str):
            self.offset = packet.data[-1]

    def upgraded_to(self, ws: FakeWebSocket) -> None:
        """The client sent ``5`` on its probe: the WebSocket is its transport from now on."""
        self._collect_get()  # the GET held during the probe was answered with a noop
        self.ws = ws
        for message in ws.take():
            if not (isinstance(message, str) and message == "3probe"):
                self._engine(_engine_packets(message))
        self.closed = self.closed or ws.closed

    # -- writing ----------------------------------------------------------------------------

    def send_engine(self, message: str | bytes) -> None:
        """One raw Engine.IO packet, over the transport in use."""
        if self.ws is not None:
            self.harness.ws_send(self.ws, message)
            return
        body = message if isinstance(message, str) else "b" + base64.b64encode(message).decode()
        self.harness.request("POST", self.query, body)

    def send_packet(self, packet: Packet) -> None:
        for part in PARSER.encode(packet):
            self.send_engine("4" + part if isinstance(part, str) else part)

    def leave(self, how: str) -> None:
        """The client goes away: a close frame, a broken WebSocket, a close packet, or a
        dropped GET; an upgrade probe in flight goes too."""
        self.left = True
        if self.probe is not None:
            self.harness.ws_close(self.probe)
            self.probe = None
        if self.ws is not None:
            self.harness.ws_close(self.ws, error=how == "error")
        elif how == "abort" and self.held is not None:
            self.harness.abort(self.held)
            self.held = None
        else:
            self.send_engine("1")


def _namespace(data: st.DataObject, peer: Peer) -> str | None:
    """Mostly a namespace the client has a socket in, else mostly None (do nothing): a packet
    for another one breaks the rules and ends the connection, which other rules do often."""
    joined = sorted(peer.sockets)
    if data.draw(st.integers(0, 9)) > 0:
        return data.draw(st.sampled_from(joined)) if joined else None
    return data.draw(st.sampled_from(NAMESPACES))


class ServerMachine(RuleBasedStateMachine):
    """Random clients and a random application around one server, books checked each step."""

    recovery: ConnectionStateRecovery | None = None

    def __init__(self) -> None:
        super().__init__()
        config = SocketConfig(connect_timeout=30.0, connection_state_recovery=self.recovery)
        self.server = SocketServer(config, id_generator=CountingIds())
        self.server.namespaces.add("/chat")
        self.server.namespaces.add_dynamic(re.compile(r"/dyn-\d"))
        self.harness = Harness(self.server)
        self.peers: list[Peer] = []
        self.returning: list[tuple[str, dict[str, Any]]] = []  # (nsp, auth) of clients gone
        self.read_upto = 0
        self.pending: list[str] = []  # sockets waiting for a decision
        self.held: list[str] = []  # accepted, not yet released
        self.owed: list[tuple[str, int]] = []  # client events awaiting the application's ack
        self.awaited: dict[tuple[str, int], int] = {}  # server emits with ack -> endings seen
        self.broadcasts: dict[int, int] = {}  # broadcasts with acks -> endings seen
        self.connecting: set[str] = set()
        self.connected: set[str] = set()
        self.disconnecting: set[str] = set()
        self.disconnected: set[str] = set()
        self.opened: set[str] = set()
        self.closed: set[str] = set()

    # -- what the server reported -------------------------------------------------------------

    def _sync(self) -> None:
        self.harness.pump()
        events = self.harness.app_events
        for index in range(self.read_upto, len(events)):
            self._record(events[index], events[index - 1] if index else None)
        self.read_upto = len(events)

    def _record(self, event: Event, before: Event | None) -> None:
        if isinstance(event, SocketConnecting):
            if event.recovered:  # a socket that left comes back: a new life, same id
                self.connected.discard(event.socket_id)
                self.disconnecting.discard(event.socket_id)
                self.disconnected.discard(event.socket_id)
                self.owed = [owed for owed in self.owed if owed[0] != event.socket_id]
            self.connecting.add(event.socket_id)
            self.pending.append(event.socket_id)
        elif isinstance(event, SocketConnected):
            assert event.socket_id in self.connecting
            self.connected.add(event.socket_id)
        elif isinstance(event, SocketDisconnecting):
            assert event.socket_id in self.connected, event
            assert event.socket_id not in self.disconnecting, "disconnecting reported twice"
            self.disconnecting.add(event.socket_id)
        elif isinstance(event, SocketDisconnected):
            assert isinstance(before, SocketDisconnecting), "disconnect without disconnecting"
            assert before.socket_id == event.socket_id
            assert event.socket_id not in self.disconnected, "disconnect reported twice"
            self.disconnected.add(event.socket_id)
        elif isinstance(event, EventReceived) and event.ack_id is not None:
            self.owed.append((event.socket_id, event.ack_id))
        elif isinstance(event, AckReceived | AckAbandoned):
            key = (event.socket_id, event.ack_id)
            assert self.awaited.get(key) == 0, f"ack {key} ended twice or was never awaited"
            self.awaited[key] = 1
        elif isinstance(event, BroadcastAcksCollected):
            assert self.broadcasts.get(event.broadcast_id) == 0, event
            self.broadcasts[event.broadcast_id] = 1
        elif isinstance(event, SessionOpened):
            self.opened.add(event.sid)
        elif isinstance(event, SessionClosed):
            assert event.sid in self.opened, event
            assert event.sid not in self.closed, event
            self.closed.add(event.sid)

    def _peer(self, data: st.DataObject) -> Peer:
        """A client, mostly one whose session the server has not ended (as far as it knows)."""
        alive = [peer for peer in self.peers if not peer.closed]
        if alive and data.draw(st.integers(0, 9)) > 0:
            return data.draw(st.sampled_from(alive))
        return data.draw(st.sampled_from(self.peers))

    def _live(self) -> list[str]:
        return sorted(self.connected - self.disconnected)

    # -- clients --------------------------------------------------------------------------

    @initialize(
        transports=st.lists(st.sampled_from(["polling", "websocket"]), min_size=1, max_size=3),
        nsp=st.sampled_from(["/", "/chat"]),
    )
    def clients_arrive(self, transports: list[str], nsp: str) -> None:
        """A few clients, each with a connected socket, to start from."""
        for transport in transports:
            self.open(transport, nsp)

    @precondition(lambda self: sum(not peer.closed for peer in self.peers) < 6)
    @rule(transport=st.sampled_from(["polling", "websocket"]), nsp=st.sampled_from(["/", None]))
    def open(self, transport: str, nsp: str | None = None) -> None:
        """A handshake, and mostly a socket on the main namespace."""
        self.peers.append(Peer(self.harness, self.server, transport))
        if nsp is not None:
            self._join(self.peers[-1], nsp)

    @precondition(lambda self: any(not peer.closed for peer in self.peers))
    @rule(data=st.data(), nsp=st.sampled_from(["/", "/chat", "/dyn-1"]))
    def client_joins(self, data: st.DataObject, nsp: str) -> None:
        """The common case: CONNECT, accepted and released at once, as a backend does."""
        self._join(data.draw(st.sampled_from([p for p in self.peers if not p.closed])), nsp)

    def _join(self, peer: Peer, nsp: str) -> None:
        already = len(self.harness.app_events)
        peer.send_packet(Packet(PacketType.CONNECT, nsp, None))
        for event in self.harness.app_events[already:]:
            if isinstance(event, SocketConnecting) and self.server.is_pending(event.socket_id):
                self.server.accept(event.socket_id)
                self.server.release(event.socket_id)
        peer.read()

    @precondition(lambda self: self.peers)
    @rule(data=st.data(), nsp=st.sampled_from(NAMESPACES), auth=st.none() | st.just({"a": 1}))
    def client_connects(self, data: st.DataObject, nsp: str, auth: dict[str, int] | None) -> None:
        """A CONNECT left to the application; mostly to a namespace the client is not in (a
        second CONNECT to the same one breaks the rules)."""
        peer = self._peer(data)
        if nsp in peer.sockets and data.draw(st.integers(0, 9)) > 0:
            return
        peer.send_packet(Packet(PacketType.CONNECT, nsp, auth))

    @precondition(lambda self: self.peers)
    @rule(data=st.data(), args=arguments, with_ack=st.booleans())
    def client_emits(self, data: st.DataObject, args: list[Any], with_ack: bool) -> None:
        peer = self._peer(data)
        nsp = _namespace(data, peer)
        if nsp is None:
            return
        ack_id = next(peer.ack_ids) if with_ack else None
        peer.send_packet(Packet(PacketType.EVENT, nsp, ["e", *args], ack_id))

    @precondition(lambda self: any(peer.asked for peer in self.peers))
    @rule(data=st.data(), args=arguments)
    def client_acks(self, data: st.DataObject, args: list[Any]) -> None:
        peer = data.draw(st.sampled_from([peer for peer in self.peers if peer.asked]))
        nsp, ack_id = peer.asked.pop(data.draw(st.integers(0, len(peer.asked) - 1)))
        peer.send_packet(Packet(PacketType.ACK, nsp, args, ack_id))

    @precondition(lambda self: self.peers)
    @rule(data=st.data())
    def client_disconnects(self, data: st.DataObject) -> None:
        peer = self._peer(data)
        nsp = _namespace(data, peer)
        if nsp is not None:
            peer.send_packet(Packet(PacketType.DISCONNECT, nsp))

    @precondition(lambda self: self.peers)
    @rule(data=st.data())
    def client_reads(self, data: st.DataObject) -> None:
        self._peer(data).read()

    @precondition(lambda self: self.peers)
    @rule(data=st.data())
    def client_answers_pings(self, data: st.DataObject) -> None:
        self._answer_pings(self._peer(data))

    def _answer_pings(self, peer: Peer) -> None:
        peer.read()
        pings, peer.pings = peer.pings, 0
        for _ in range(pings):
            peer.send_engine("3")

    @precondition(lambda self: any(not peer.left for peer in self.peers))
    @rule(data=st.data(), how=st.sampled_from(["close", "error", "abort"]))
    def client_goes_away(self, data: st.DataObject, how: str) -> None:
        peer = data.draw(st.sampled_from([peer for peer in self.peers if not peer.left]))
        peer.read()  # what it got before it went, offsets included
        peer.leave(how)
        self.peers.remove(peer)
        if peer.offset is not None:  # socket.io-client comes back only with an offset
            for nsp, pid in peer.pids.items():
                self.returning.append((nsp, {"pid": pid, "offset": peer.offset}))

    @precondition(lambda self: self.returning)
    @rule(data=st.data(), transport=st.sampled_from(["polling", "websocket"]))
    def client_comes_back(self, data: st.DataObject, transport: str) -> None:
        """A client that left connects again with its pid and offset (recovery on)."""
        nsp, auth = self.returning.pop(data.draw(st.integers(0, len(self.returning) - 1)))
        self.peers.append(Peer(self.harness, self.server, transport))
        self.peers[-1].send_packet(Packet(PacketType.CONNECT, nsp, auth))

    @precondition(lambda self: self.peers)
    @rule(data=st.data(), layer=st.sampled_from(["engine", "socketio", "ack", "get"]))
    def client_misbehaves(self, data: st.DataObject, layer: str) -> None:
        """A malformed Engine.IO or Socket.IO packet, an ack for nothing asked, or a second
        GET while one may be held."""
        peer = self._peer(data)
        if layer == "get" and peer.polling:
            peer.read()
            second = peer.harness.request("GET", peer.query)
            if peer.held is None:
                peer.held = second
        elif layer == "engine":
            peer.send_engine(data.draw(junk_engine))
        elif layer == "socketio":
            junk = data.draw(junk_socketio)
            peer.send_engine("4" + junk if isinstance(junk, str) else junk)
        else:
            nsp = data.draw(st.sampled_from(NAMESPACES))
            peer.send_packet(Packet(PacketType.ACK, nsp, [], data.draw(st.integers(0, 5))))

    # -- upgrades -------------------------------------------------------------------------------

    @precondition(lambda self: any(p.polling and p.probe is None for p in self.peers))
    @rule(data=st.data(), upgrade_now=st.booleans())
    def client_probes_a_websocket(self, data: st.DataObject, upgrade_now: bool) -> None:
        peer = data.draw(st.sampled_from([p for p in self.peers if p.polling and not p.probe]))
        url = f"{peer.path}?EIO=4&transport=websocket&sid={peer.sid}"
        probe = self.harness.open_websocket(url)
        if not probe.accepted or probe.closed:
            return
        peer.probe = probe
        self.harness.ws_send(probe, "2probe")
        if upgrade_now:
            self._end_probe(peer, "upgrade")

    @precondition(lambda self: any(peer.probe is not None for peer in self.peers))
    @rule(data=st.data(), how=st.sampled_from(["upgrade", "junk", "close"]))
    def client_ends_its_probe(self, data: st.DataObject, how: str) -> None:
        self._end_probe(data.draw(st.sampled_from([p for p in self.peers if p.probe])), how)

    def _end_probe(self, peer: Peer, how: str) -> None:
        probe, peer.probe = peer.probe, None
        assert probe is not None
        if how == "close":
            self.harness.ws_close(probe)
            return
        if probe.closed:  # the server gave up on it (upgrade timeout, session closed)
            return
        self.harness.ws_send(probe, "5" if how == "upgrade" else "2junk")
        if how == "upgrade":
            peer.upgraded_to(probe)

    # -- the application ----------------------------------------------------------------------

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), decision=st.sampled_from(["accept", "hold", "reject"]))
    def application_decides(self, data: st.DataObject, decision: str) -> None:
        socket_id = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        if not self.server.is_pending(socket_id):  # its client left first
            return
        if decision == "reject":
            self.server.reject(socket_id, "no", {"why": "test"})
            return
        self.server.accept(socket_id)
        if decision == "accept":
            self.server.release(socket_id)
        else:
            self.held.append(socket_id)

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def application_releases(self, data: st.DataObject) -> None:
        self.server.release(self.held.pop(data.draw(st.integers(0, len(self.held) - 1))))

    @precondition(lambda self: self.owed)
    @rule(data=st.data(), args=arguments)
    def application_acks(self, data: st.DataObject, args: list[Any]) -> None:
        socket_id, ack_id = self.owed.pop(data.draw(st.integers(0, len(self.owed) - 1)))
        self.server.ack(socket_id, ack_id, args)

    @precondition(lambda self: self.connecting)
    @rule(
        data=st.data(),
        args=arguments,
        with_ack=st.booleans(),
        timeout=st.none() | st.sampled_from([1.0, 10.0]),
    )
    def application_emits(
        self, data: st.DataObject, args: list[Any], with_ack: bool, timeout: float | None
    ) -> None:
        socket_id = data.draw(st.sampled_from(sorted(self.connecting)))  # gone ones included
        ack_id = self.server.emit(socket_id, "s", args, with_ack=with_ack, timeout=timeout)
        if ack_id is not None:
            self.awaited[(socket_id, ack_id)] = 0

    @precondition(lambda self: self.connected - self.disconnected)
    @rule(data=st.data(), rooms=st.lists(st.sampled_from(ROOMS), max_size=2), leave=st.booleans())
    def application_moves_a_socket(
        self, data: st.DataObject, rooms: list[str], leave: bool
    ) -> None:
        socket_id = data.draw(st.sampled_from(self._live()))
        if leave:
            for room in rooms:
                self.server.operations.leave(socket_id, room)
        else:
            self.server.operations.join(socket_id, rooms)

    @rule(
        nsp=st.sampled_from(["/", "/chat"]),
        rooms=st.frozensets(st.sampled_from(ROOMS), max_size=2),
        except_rooms=st.frozensets(st.sampled_from(ROOMS), max_size=1),
        timeout=st.none() | st.sampled_from([1.0, 10.0]),
        volatile=st.booleans(),
        args=arguments,
    )
    def application_broadcasts(
        self,
        nsp: str,
        rooms: frozenset[str],
        except_rooms: frozenset[str],
        timeout: float | None,
        volatile: bool,
        args: list[Any],
    ) -> None:
        options = BroadcastOptions(rooms=rooms, except_rooms=except_rooms, volatile=volatile)
        broadcast_id = self.server.operations.broadcast(nsp, "b", args, options, timeout=timeout)
        if broadcast_id is not None:
            self.broadcasts[broadcast_id] = 0

    @rule(
        nsp=st.sampled_from(["/", "/chat"]),
        rooms=st.frozensets(st.sampled_from(ROOMS), min_size=1, max_size=2),
        what=st.sampled_from(["join", "leave", "disconnect", "close"]),
    )
    def application_selects_sockets(self, nsp: str, rooms: frozenset[str], what: str) -> None:
        options = BroadcastOptions(rooms=rooms)
        operations = self.server.operations
        if what == "join":
            operations.sockets_join(nsp, options, "r3")
        elif what == "leave":
            operations.sockets_leave(nsp, options, "r1")
        else:
            operations.disconnect_sockets(nsp, options, close=what == "close")

    @precondition(lambda self: self.peers)
    @rule(data=st.data(), how=st.sampled_from(["disconnect", "disconnect all", "close", "all"]))
    def application_ends_something(self, data: st.DataObject, how: str) -> None:
        """A socket, or every socket of its connection, or a connection, or (rarely) all."""
        live = self._live()
        if how.startswith("disconnect") and live:
            self.server.disconnect(data.draw(st.sampled_from(live)), close=how != "disconnect")
        elif how == "close":
            self.server.connections.close(self._peer(data).sid)
        elif how == "all" and data.draw(st.integers(0, 9)) == 0:
            self.server.close_all()

    # -- time -------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.5, 2.0, 11.0, 26.0, 46.0]), silent=st.integers(0, 3))
    def time_passes(self, seconds: float, silent: int) -> None:
        """Time passes; mostly the clients answer pings as it does, like live ones."""
        if silent == 0:
            self.harness.advance(seconds)
            return
        for _ in range(int(seconds // 5)):
            self.harness.advance(5.0)
            for peer in self.peers:
                self._answer_pings(peer)
        self.harness.advance(seconds % 5)

    # -- the books ------------------------------------------------------------------------------

    @invariant()
    def books_agree(self) -> None:
        self._sync()
        self._check_rooms()
        self._check_sockets()
        self._check_counts()

    def _check_rooms(self) -> None:
        """Each namespace's room index is the same both ways and holds only live sockets,
        each in its own room."""
        for namespace in self.server.namespaces:
            adapter = namespace.adapter
            assert isinstance(adapter, InMemoryAdapter)
            rooms, sids = adapter.rooms, adapter.sids
            for room, members in rooms.items():
                assert members, f"empty room {room!r} kept"
                for socket_id in members:
                    assert room in sids.get(socket_id, {}), (room, socket_id)
            for socket_id, joined in sids.items():
                socket = self.server.socket(socket_id)
                assert socket is not None, socket_id
                assert socket.nsp == namespace.name, socket_id
                for room in joined:
                    assert socket_id in rooms.get(room, {}), (room, socket_id)
                assert socket_id in joined, f"{socket_id} left its own room"

    def _check_sockets(self) -> None:
        """A socket is connected until its disconnect is reported, and never after; what a
        client was told is connected is connected, or reported gone."""
        for socket_id in self.disconnected:
            assert self.server.socket(socket_id) is None, socket_id
        for socket_id in self._live():
            assert self.server.is_connected(socket_id), socket_id
        for peer in self.peers:
            for socket_id in peer.seen:
                assert socket_id in self.connected
                assert (
                    self.server.is_connected(socket_id)
                    or socket_id in self.disconnected
                    or self.server.is_pending(socket_id)  # it left, and is coming back
                )

    def _check_counts(self) -> None:
        """The server's own counts match what it reported: nothing is kept past its end."""
        stats = self.server.stats()
        waiting = [s for s in self.connecting - self.connected if self.server.is_pending(s)]
        assert stats.sockets == len(waiting) + len(self._live()), stats
        assert (
            stats.connections
            == len(self.server.connections.sids)
            == len(self.opened - self.closed)
        )
        assert stats.sessions >= stats.connections
        assert stats.awaited_acks == sum(1 for ended in self.awaited.values() if not ended)
        assert stats.ack_timers <= stats.awaited_acks
        assert stats.broadcasts == sum(1 for ended in self.broadcasts.values() if not ended)
        live = set(self._live())
        assert stats.owed_acks == sum(1 for socket_id, _ in self.owed if socket_id in live)

    def teardown(self) -> None:
        """Every client goes, time passes: every end was reported once, every table is empty."""
        for peer in self.peers:
            peer.leave("close")
        self.harness.advance(60.0 if self.recovery is None else 200.0)  # recovery's purge too
        self._sync()
        assert self.disconnected == self.connected
        assert self.closed == self.opened
        assert all(self.awaited.values())
        assert all(self.broadcasts.values())
        empty = ServerStats(sessions=0, websockets=0, held_requests=0, engine_timers=0)
        assert self.server.stats() == empty
        assert self.server.next_deadline() is None
        for namespace in self.server.namespaces:
            assert isinstance(namespace.adapter, InMemoryAdapter)
            assert not namespace.adapter.sids


class RecoveringServerMachine(ServerMachine):
    """The same with connection state recovery on: offsets on broadcasts, sessions kept for
    the sockets that leave, and purged in time (no client comes back here)."""

    recovery = ConnectionStateRecovery()


TestServerUnderRandomUse = ServerMachine.TestCase
TestRecoveringServerUnderRandomUse = RecoveringServerMachine.TestCase
TestRecoveringServerUnderRandomUse.settings = settings(
    max_examples=max(10, settings.default.max_examples // 4)  # a quarter: the paths are shared
)
