"""Connection state recovery on the Redis Streams format: any node takes a session back.

Nodes ``a`` and ``b`` run with recovery on, on one in-memory Redis (:class:`ClusterBus`). A
client connects to ``a``, its connection dies, and it comes back to ``b`` (or ``a``) with its
pid and its last offset, an entry id of the stream. The boundary tests run the reader and the
replay in every order that matters, by holding a reader back or by driving one server's Redis
by hand.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cluster_nodes import Node, received

from sio_core import BroadcastOptions, ConnectionStateRecovery, SocketConfig
from sio_core._fake_redis import FakeRedis
from sio_core.cluster import Broadcast, RedisStreamsFormat, Selection
from sio_core.cluster.stream_commands import (
    CommandFailed,
    StoredSession,
    append,
    encode_session,
    entries_of,
)
from sio_core.cluster.streams import read_entry
from sio_core.events import ClusterCommand, SocketConnecting
from sio_core.socketio import _stream_sessions
from sio_core.socketio.packets import PacketType
from sio_core.testing import ClusterBus, SocketIOClient

CONFIG = SocketConfig(connection_state_recovery=ConnectionStateRecovery())
STREAMS = RedisStreamsFormat()


@pytest.fixture
def bus() -> ClusterBus:
    return ClusterBus()


@pytest.fixture
def a(bus: ClusterBus) -> Node:
    return Node(bus, "a", STREAMS, CONFIG)


@pytest.fixture
def b(bus: ClusterBus, a: Node) -> Node:
    return Node(bus, "b", STREAMS, CONFIG)


class Client:
    """A socket.io-client that keeps its pid and last offset, as the real one does."""

    def __init__(self, node: Node, nsp: str = "/") -> None:
        self.nsp = nsp
        self.pid: str | None = None
        self.offset: str | None = None
        self.events: list[list[Any]] = []
        self.socket_id = self._connect(node, None)

    def _connect(self, node: Node, auth: dict[str, Any] | None) -> str | None:
        self.io = SocketIOClient(node.harness)
        head = "0" if self.nsp == "/" else f"0{self.nsp},"
        self.io.send_raw(head + (json.dumps(auth) if auth else ""))
        node.bus.flush()
        connecting = node.harness.events_of(SocketConnecting)[-1]
        self.recovered = connecting.recovered
        if node.server.is_pending(connecting.socket_id):
            node.server.accept(connecting.socket_id)
            node.server.release(connecting.socket_id)
        self.order: list[str] = []
        return self.read()

    def read(self) -> str | None:
        """Take what arrived: events (keeping the offset), and the CONNECT reply's ids."""
        self.io.harness.pump()
        sid = None
        for packet in self.io.received():
            if packet.type is PacketType.CONNECT:
                sid, self.pid = packet.data["sid"], packet.data.get("pid")
                self.order.append("connect")
            elif packet.type in (PacketType.EVENT, PacketType.BINARY_EVENT):
                self.events.append(packet.data)
                self.order.append(packet.data[0])
                if isinstance(packet.data[-1], str):
                    self.offset = packet.data[-1]
        return sid

    def drop(self) -> None:
        """The connection dies under the client (``transport close`` on the server)."""
        self.io.harness.ws_close(self.io.engine.ws)

    def come_back(self, node: Node, **auth: Any) -> str | None:
        """Connect again with the pid and offset (or what ``auth`` says instead)."""
        wanted = {"pid": self.pid, "offset": self.offset, **auth}
        self.socket_id = self._connect(node, wanted)
        return self.socket_id


def in_the_stream(bus: ClusterBus) -> list[Any]:
    """The first argument of every broadcast in the stream, in the stream's order (the bus
    cannot tell which of two nodes acted first between two flushes)."""
    ordered = []
    for entry in bus.redis.execute((b"XRANGE", b"socket.io", b"-", b"+")):
        message = read_entry(entries_of([entry])[0][1] or {})
        assert isinstance(message, Broadcast)
        ordered.append(message.args[0])
    return ordered


def payloads(client: Client) -> list[Any]:
    """Each event's first argument, in order."""
    return [event[1] for event in client.events]


# -- offsets ----------------------------------------------------------------------------------


def test_a_broadcast_reaches_every_node_with_its_entry_id_as_offset(a, b, bus):
    near, far = Client(a), Client(b)
    a.ops.broadcast("/", "news", [1])
    near.read()
    assert near.events == []  # not before it is in the stream
    bus.flush()
    near.read(), far.read()
    assert near.events == far.events == [["news", 1, "1-0"]]
    assert bus.redis.entry_ids() == ["1-0"]


def test_an_emit_to_one_socket_goes_through_the_stream_with_an_offset(a, b, bus):
    client = Client(b)
    b.server.emit(client.socket_id, "direct", ["hi"])
    bus.flush()
    client.read()
    assert client.events == [["direct", "hi", "1-0"]]


def test_volatile_and_acked_events_carry_no_offset(a, bus):
    client = Client(a)
    a.ops.broadcast("/", "vol", [1], BroadcastOptions(volatile=True))
    a.server.emit(client.socket_id, "ask", [2], with_ack=True)
    bus.flush()
    client.read()
    assert [event[:2] for event in client.events] == [["ask", 2], ["vol", 1]]
    assert client.offset is None


def test_a_broadcast_redis_refuses_is_delivered_here_without_offset(a, bus):
    client = Client(a)
    a.ops.broadcast("/", "anyway", [1])
    append = a.events_of(ClusterCommand)[-1]
    assert append.command[0] == b"XADD"
    assert append.ticket is not None
    a.server.receive_command_reply(append.ticket, CommandFailed("READONLY"), 0.0)
    client.read()
    assert client.events == [["anyway", 1]]


# -- recovery across nodes --------------------------------------------------------------------


@pytest.fixture
def away(a: Node, bus: ClusterBus) -> Client:
    """A client of ``a`` that got one event, then lost its connection."""
    client = Client(a)
    a.ops.broadcast("/", "hello")
    bus.flush()
    client.read()
    client.drop()
    bus.flush()
    return client


def test_a_client_recovers_on_another_node_with_what_it_missed_in_order(a, b, bus):
    client = Client(a)
    a.ops.join(client.socket_id, "club")
    a.server.socket(client.socket_id).data = {"user": "ann"}
    a.ops.broadcast("/", "hello", [0])
    bus.flush()
    client.read()
    first_id, pid = client.socket_id, client.pid
    client.drop()
    missed = [
        (b, "all", BroadcastOptions()),
        (a, "club news", BroadcastOptions(rooms=frozenset({"club"}))),
        (b, "elsewhere", BroadcastOptions(rooms=frozenset({"other"}))),
        (b, "not you", BroadcastOptions(except_rooms=frozenset({"club"}))),
        (a, "volatile", BroadcastOptions(volatile=True)),
    ]
    for n, (node, event, options) in enumerate(missed, 1):
        node.ops.broadcast("/", event, [n], options)
        bus.flush()
    assert client.come_back(b) == first_id
    assert client.recovered
    assert client.pid == pid
    assert client.order == ["all", "club news", "connect"]
    assert [event[-1] for event in client.events[1:]] == ["2-0", "3-0"]
    assert b.rooms(first_id) == {first_id, "club"}
    assert b.server.socket(first_id).data == {"user": "ann"}


def test_a_session_is_taken_once(away, a, b):
    pid, offset = away.pid, away.offset
    away.come_back(b)
    assert away.recovered
    copycat = Client(a)
    copycat.come_back(a, pid=pid, offset=offset)
    assert not copycat.recovered


def test_a_client_that_received_nothing_cannot_recover(a, b, bus):
    client = Client(a)
    client.drop()
    bus.flush()
    client.come_back(b)
    assert not client.recovered


def test_an_expired_session_gives_a_fresh_socket(away, b):
    b.harness.advance(121.0)  # Redis expires the key with the clock of whoever asks
    away.come_back(b)
    assert not away.recovered


def test_a_session_is_kept_only_for_node_s_recoverable_reasons(a, bus):
    client = Client(a)
    a.server.disconnect(client.socket_id)
    bus.flush()
    assert bus.redis.keys == {}
    other = Client(a)
    other.drop()
    bus.flush()
    ((key, (_, expires)),) = bus.redis.keys.items()
    assert key == f"sio:session:{other.pid}".encode()
    assert expires == 120.0  # PX max_disconnection_duration


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        {"pid": "forged"},
        {"offset": "99-0"},  # no such entry
        {"offset": "garbage"},
        {"offset": "1-0 "},
        {"pid": 42},
        {"offset": ["1-0"]},
    ],
)
def test_a_forged_or_garbage_pid_or_offset_gives_a_fresh_socket(away, b, auth):
    first_id = away.socket_id
    assert away.come_back(b, **auth) != first_id
    assert not away.recovered


def test_garbage_offsets_cost_redis_nothing(away, b, bus):
    key = f"sio:session:{away.pid}".encode()
    before = len(b.events_of(ClusterCommand))
    away.come_back(b, offset="not an id")
    assert len(b.events_of(ClusterCommand)) == before
    assert key in bus.redis.keys  # still there for the real one


def test_an_offset_from_another_namespace_gives_a_fresh_socket(a, b, bus):
    for node in (a, b):
        node.server.namespaces.add("/chat")
    main, chat = Client(a), Client(a, "/chat")
    a.ops.broadcast("/", "main", [1])
    a.ops.broadcast("/chat", "chat", [2])
    bus.flush()
    main.read(), chat.read()
    chat.drop()
    bus.flush()
    chat.come_back(b, offset=main.offset)
    assert not chat.recovered


def test_a_pid_from_another_namespace_gives_a_fresh_socket(a, b, bus):
    for node in (a, b):
        node.server.namespaces.add("/chat")
    chat = Client(a, "/chat")
    a.ops.broadcast("/chat", "chat", [2])
    a.ops.broadcast("/", "main", [1])
    bus.flush()
    chat.read()
    chat.drop()
    bus.flush()
    main = Client(b)
    main.read()
    main.pid, main.offset = chat.pid, "2-0"  # the pid of /chat, an offset of /
    main.come_back(b)
    assert not main.recovered


# -- the boundary between the replay and the live reads -----------------------------------------


def test_a_reader_behind_the_replay_delivers_nothing_twice(a, b, bus):
    client = Client(a)
    a.ops.broadcast("/", "n", [0])
    bus.flush()
    client.read()
    client.drop()
    bus.hold_reader(b.harness)  # b's reader lags: what it has not read, the replay gives
    for n in (1, 2, 3):
        a.ops.broadcast("/", "n", [n])
    client.come_back(b)
    a.ops.broadcast("/", "n", [4])
    bus.flush()
    bus.hold_reader(b.harness, False)
    a.ops.broadcast("/", "n", [5])
    bus.flush()
    client.read()
    assert payloads(client) == [0, 1, 2, 3, 4, 5]
    assert client.recovered


def test_broadcasts_straight_through_the_reconnect_arrive_once_in_order(a, b, bus):
    client = Client(a)
    sent = 0

    def tick(node: Node) -> None:
        nonlocal sent
        node.ops.broadcast("/", "n", [sent])
        sent += 1

    tick(a)
    bus.flush()
    client.read()
    back = SocketIOClient(b.harness)
    for step in range(12):  # both nodes broadcast; Redis moves every third step only
        tick(a if step % 2 else b)
        if step == 3:
            client.read()
            client.drop()
        if step == 6:
            back.send_raw("0" + json.dumps({"pid": client.pid, "offset": client.offset}))
        if step % 3 == 0:
            bus.flush()
    bus.flush()
    (restored,) = b.harness.events_of(SocketConnecting)
    b.server.accept(restored.socket_id)
    b.server.release(restored.socket_id)
    tick(b)
    bus.flush()
    client.io = back
    client.read()
    assert restored.recovered
    assert payloads(client) == in_the_stream(bus)
    assert sorted(payloads(client)) == list(range(sent))


class ByHand:
    """One Streams node whose Redis commands and reads run when the test says, on a FakeRedis
    that another node's appends are written to directly."""

    def __init__(self, bus: ClusterBus, *, reading: bool = True) -> None:
        self.node = Node(bus, "solo", STREAMS, CONFIG)
        bus.detach(self.node.harness)
        self.redis, self.seen = FakeRedis(), 0
        self.replies: list[tuple[int, Any]] = []
        if reading:
            self.read()  # the reader starts at the end of the stream

    def keep_session(self, sid: str, pid: str) -> None:
        """A session another node stored."""
        session = StoredSession(sid=sid, pid=pid, rooms=(sid,), data=None)
        self.redis.execute((b"SET", f"sio:session:{pid}".encode(), encode_session(session)))

    def come_back(self, pid: str, offset: str) -> SocketIOClient:
        client = SocketIOClient(self.node.harness)
        client.send_raw("0" + json.dumps({"pid": pid, "offset": offset}))
        return client

    def accept(self) -> SocketConnecting:
        (connecting,) = self.node.harness.events_of(SocketConnecting)
        self.node.server.accept(connecting.socket_id)
        self.node.server.release(connecting.socket_id)
        return connecting

    def run_commands(self) -> None:
        """Carry out every command the node issued so far; keep the replies for later."""
        events = self.node.harness.app_events
        for event in events[self.seen :]:
            if isinstance(event, ClusterCommand):
                reply = self.redis.execute(event.command)
                if event.ticket is not None:
                    self.replies.append((event.ticket, reply))
        self.seen = len(events)

    def answer(self) -> None:
        replies, self.replies = self.replies, []
        for ticket, reply in replies:
            self.node.server.receive_command_reply(ticket, reply, 0.0)
            self.node.harness.pump()

    def read(self) -> None:
        while True:
            step = self.node.server.next_stream_read()
            reply = self.redis.execute(step.command)
            if step.after is not None and reply is None:
                return
            self.node.server.receive_stream_read(step, reply, 0.0)
            self.node.harness.pump()

    def append(self, n: int) -> None:
        """Another node broadcasts ``n`` (the entry goes straight into Redis)."""
        message = Broadcast(uid="z", nsp="/", event="n", args=(n,), selection=Selection())
        self.redis.execute(append(STREAMS, STREAMS.codec("/").entry(message)))


def test_a_reader_ahead_of_a_replay_page_gets_it_to_read_on(bus):
    wire = ByHand(bus)
    wire.append(0)
    wire.read()
    wire.keep_session("s" * 20, "p" * 20)
    client = wire.come_back("p" * 20, "1-0")
    wire.append(1)
    wire.run_commands()  # GETDEL, XRANGE 1-0 1-0, and the first page, which ends at 2-0
    wire.append(2)
    wire.read()  # the reader delivers 3-0 before the page arrives: nobody has it yet
    wire.answer()  # the page stops behind the reader: the replay asks for one more
    wire.run_commands()
    wire.answer()
    connecting = wire.accept()
    wire.append(3)
    wire.read()
    assert connecting.recovered
    assert [data[1] for data in received(client)] == [1, 2, 3]


def test_a_replay_before_the_reader_starts_sets_where_it_starts(bus):
    wire = ByHand(bus, reading=False)
    wire.append(0)
    wire.keep_session("s" * 20, "p" * 20)
    wire.append(1)
    client = wire.come_back("p" * 20, "1-0")
    wire.run_commands()
    wire.answer()
    wire.accept()
    wire.append(2)
    wire.read()  # its first read starts after the replay, not at the end of the stream
    assert [data[1] for data in received(client)] == [1, 2]


def test_a_replay_that_cannot_catch_up_gives_a_fresh_socket(a, b, bus, monkeypatch):
    monkeypatch.setattr(_stream_sessions, "REPLAY_PAGE", 2)
    monkeypatch.setattr(_stream_sessions, "MAX_PAGES", 3)
    client = Client(a)
    a.ops.broadcast("/", "n", [0])
    bus.flush()
    client.read()
    client.drop()
    for n in range(1, 10):  # nine entries: more than three pages of two
        a.ops.broadcast("/", "n", [n])
    bus.flush()
    client.come_back(b)
    assert not client.recovered


def test_a_failed_restore_command_gives_a_fresh_socket(away, b, bus, monkeypatch):
    original = bus.redis.execute

    def refuse_ranges(command: tuple[bytes, ...], now: float = 0.0) -> Any:
        if command[0] == b"XRANGE":
            raise ValueError("WRONGTYPE Operation against a key holding the wrong kind of value")
        return original(command, now)

    monkeypatch.setattr(bus.redis, "execute", refuse_ranges)
    away.come_back(b)
    assert not away.recovered


def test_a_session_restored_for_a_client_already_gone_is_kept_again(away, b, bus):
    io = SocketIOClient(b.harness)
    io.send_raw("0" + json.dumps({"pid": away.pid, "offset": away.offset}))
    b.harness.ws_close(io.engine.ws)  # gone before Redis answered
    bus.flush()
    assert f"sio:session:{away.pid}".encode() in bus.redis.keys
    away.come_back(b)
    assert away.recovered


def test_a_second_connect_while_restoring_breaks_the_rules(away, b, bus):
    io = SocketIOClient(b.harness)
    io.send_raw("0" + json.dumps({"pid": away.pid, "offset": away.offset}))
    io.send_raw("0")
    assert io.engine.ws.closed
