"""A server given the msgpack parser speaks it on every connection, over both transports."""

from __future__ import annotations

import pytest

from sio_core import DisconnectReason, SocketServer
from sio_core.events import AckReceived, EventReceived, SocketDisconnected, SocketErrored
from sio_core.ids import CountingIds
from sio_core.socketio.msgpack_parser import MsgpackParser
from sio_core.socketio.packets import Packet, PacketType
from sio_core.testing import Harness, SocketIOClient


@pytest.fixture
def server() -> SocketServer:
    return SocketServer(id_generator=CountingIds(), parser=MsgpackParser())


def connected(harness: Harness, transport: str) -> tuple[SocketIOClient, str]:
    client = SocketIOClient(harness, transport=transport)
    socket_id = client.connect("/", {"token": "abc"})
    assert socket_id is not None
    return client, socket_id


def test_a_client_connects_with_msgpack_auth(
    server: SocketServer, harness: Harness, transport: str
) -> None:
    client, socket_id = connected(harness, transport)
    socket = server.socket(socket_id)
    assert socket is not None
    assert socket.handshake.auth == {"token": "abc"}
    assert client.socket_ids == {"/": socket_id}


def test_an_event_with_binary_and_an_ack_id_arrives_whole(
    harness: Harness, transport: str
) -> None:
    client, socket_id = connected(harness, transport)
    client.emit("upload", b"\x00\xff", {"nested": [b"x"]}, ack_id=4)
    (event,) = harness.events_of(EventReceived)
    assert event.socket_id == socket_id
    assert (event.event, event.args, event.ack_id) == (
        "upload",
        (b"\x00\xff", {"nested": [b"x"]}),
        4,
    )


def test_the_servers_ack_with_binary_reaches_the_client(
    server: SocketServer, harness: Harness, transport: str
) -> None:
    client, socket_id = connected(harness, transport)
    client.emit("upload", ack_id=4)
    server.ack(socket_id, 4, [b"\x01", "done"])
    harness.pump()
    assert client.received() == [Packet(PacketType.ACK, "/", [b"\x01", "done"], 4)]


def test_a_malformed_message_closes_only_its_own_session(harness: Harness) -> None:
    bad, bad_socket = connected(harness, "websocket")
    good, good_socket = connected(harness, "websocket")
    bad.send_raw(b"\xc1")
    errored = harness.events_of(SocketErrored)
    assert [(e.socket_id, e.message) for e in errored] == [
        (bad_socket, "invalid msgpack: unknown format byte 0xc1")
    ]
    (gone,) = harness.events_of(SocketDisconnected)
    assert (gone.socket_id, gone.reason) == (bad_socket, DisconnectReason.FORCED_CLOSE)
    good.emit("still-here")
    assert harness.events_of(EventReceived)[-1].socket_id == good_socket


def test_a_text_message_closes_the_session(harness: Harness, transport: str) -> None:
    client, socket_id = connected(harness, transport)
    client.send_raw('2["ev"]')
    (gone,) = harness.events_of(SocketDisconnected)
    assert (gone.socket_id, gone.reason) == (socket_id, DisconnectReason.FORCED_CLOSE)


def test_the_clients_ack_with_binary_answers_the_servers_emit(
    server: SocketServer, harness: Harness, transport: str
) -> None:
    client, socket_id = connected(harness, transport)
    ack_id = server.emit(socket_id, "ping-me", [b"\x07"], with_ack=True)
    harness.pump()
    assert ack_id is not None
    assert client.received() == [Packet(PacketType.EVENT, "/", ["ping-me", b"\x07"], ack_id)]
    client.ack(ack_id, b"\x08")
    (answer,) = harness.events_of(AckReceived)
    assert (answer.socket_id, answer.ack_id, answer.args) == (socket_id, ack_id, (b"\x08",))
