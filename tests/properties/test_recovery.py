"""Connection state recovery under any interleaving of sends, reads, drops and returns: a client
that always comes back gets every kept event meant for it exactly once, in the order it was
sent, whatever was lost with its connections and whatever was sent while it waited."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sio_core import BroadcastOptions, ConnectionStateRecovery, SocketConfig, SocketServer
from sio_core.events import SocketConnecting
from sio_core.ids import CountingIds
from sio_core.socketio.packets import Packet, PacketType
from sio_core.testing import Harness, SocketIOClient

KEPT_FOR_IT = ("everyone", "its room", "its own room", "its emit")
"""Sends that reach the client and are kept; the others reach it only live, or never."""
SENDS = (*KEPT_FOR_IT, "another room", "all but its room", "volatile", "with acks")
STEPS = st.lists(
    st.sampled_from([*(("send", kind) for kind in SENDS), ("read",), ("drop",), ("return",)]),
    max_size=40,
)


class Client:
    """One socket.io-client: it reads what arrives, keeps its pid and last offset, and comes
    back whenever told to (its socket waiting for a decision until it is admitted)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.server: SocketServer = harness.core  # type: ignore[assignment]
        self.io = SocketIOClient(harness)
        self.pid: str | None = None
        self.offset: str | None = None
        self.socket_id: str | None = None
        self.waiting: str | None = None  # the socket id waiting for its decision
        self.up = False  # the connection is open
        self.got: list[int] = []

    def connect(self) -> None:
        auth = None if self.pid is None else {"pid": self.pid, "offset": self.offset}
        already = len(self.harness.app_events)
        self.io.send_packet(Packet(PacketType.CONNECT, "/", auth))
        (asked,) = [
            e for e in self.harness.app_events[already:] if isinstance(e, SocketConnecting)
        ]
        self.waiting, self.up = asked.socket_id, True

    def admit(self) -> None:
        assert self.waiting is not None
        self.server.accept(self.waiting)
        self.server.release(self.waiting)
        self.harness.pump()
        self.waiting = None
        self.read()

    def read(self) -> None:
        self.harness.pump()
        for packet in self.io.received():
            if packet.type is PacketType.CONNECT:
                self.socket_id, self.pid = packet.data["sid"], packet.data["pid"]
            elif packet.type is PacketType.EVENT:
                name, number, *rest = packet.data
                if name in KEPT_FOR_IT:
                    self.got.append(number)
                if rest and isinstance(rest[-1], str):
                    self.offset = rest[-1]

    def drop(self) -> None:
        self.harness.ws_close(self.io.engine.ws)
        self.up, self.waiting = False, None

    def come_back(self) -> None:
        self.io = SocketIOClient(self.harness)
        self.connect()


def _send(server: SocketServer, client: Client, kind: str, number: int) -> bool:
    """Send one event of this kind; whether it is kept and meant for the client."""
    assert client.socket_id is not None
    ops, me = server.operations, client.socket_id
    rooms: dict[str, Any] = {
        "everyone": {},
        "its room": {"rooms": frozenset({"club"})},
        "its own room": {"rooms": frozenset({me})},
        "another room": {"rooms": frozenset({"elsewhere"})},
        "all but its room": {"except_rooms": frozenset({"club"})},
        "volatile": {"volatile": True},
    }
    if kind == "its emit":
        connected = server.is_connected(me)  # an emit to a socket gone is dropped, as in Node
        server.emit(me, kind, [number])
        return connected
    if kind == "with acks":
        ops.broadcast("/", kind, [number], timeout=5.0)
        return False
    ops.broadcast("/", kind, [number], BroadcastOptions(**rooms[kind]))
    return kind in KEPT_FOR_IT


@settings(max_examples=150, deadline=None)
@given(STEPS)
def test_a_client_that_always_comes_back_misses_nothing_and_gets_nothing_twice(steps):
    config = SocketConfig(connection_state_recovery=ConnectionStateRecovery())
    server = SocketServer(config, id_generator=CountingIds())
    harness = Harness(server)
    client = Client(harness)
    client.connect()
    client.admit()
    server.operations.join(client.socket_id, "club")
    server.operations.broadcast("/", "everyone", [0])  # its first offset
    client.read()
    meant = [0]
    for number, step in enumerate(steps, start=1):
        if step[0] == "send" and _send(server, client, step[1], number):
            meant.append(number)
        elif step == ("read",) and client.up:
            client.admit() if client.waiting is not None else client.read()
        elif step == ("drop",) and client.up:
            client.drop()
        elif step == ("return",) and not client.up:
            client.come_back()
    if not client.up:
        client.come_back()
    if client.waiting is not None:
        client.admit()
    client.read()
    assert client.got == meant
    assert server.socket(client.socket_id).recovered == (("drop",) in steps)
