"""The real npm parser's bytes: its client's decode right, and it reads ours as we meant them.

``msgpack_captures.json`` (its README says how it was made) holds what socket.io-client and
Node's server wrote with ``socket.io-msgpack-parser`` 3.0.2, what that parser's Decoder made of
our encoder's bytes, and the maps that Decoder throws on.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from sio_core.errors import RemoteProtocolError
from sio_core.socketio.msgpack_parser import decode, encode
from sio_core.socketio.packets import Packet, PacketType

CAPTURES = json.loads((Path(__file__).parent / "msgpack_captures.json").read_text("utf-8"))

CONNECT = PacketType.CONNECT
DISCONNECT = PacketType.DISCONNECT
EVENT = PacketType.EVENT
ACK = PacketType.ACK
CONNECT_ERROR = PacketType.CONNECT_ERROR


def captured(step: str, sender: str) -> bytes:
    (record,) = [r for r in CAPTURES["node"] if r["step"] == step and r["from"] == sender]
    return bytes.fromhex(record["hex"])


# What socket.io-client 4.8.4 sent, step by step, and the packet each must decode to.
CLIENT_PACKETS = {
    "CONNECT / without auth": Packet(CONNECT),
    "CONNECT /admin with auth": Packet(CONNECT, "/admin", {"token": "abc"}),
    "EVENT with a Buffer and a nested typed array": Packet(
        EVENT, data=["upload", b"\x01\x02\x03", {"nested": b"\x00"}]
    ),
    "EVENT with typed arrays and an ArrayBuffer": Packet(
        EVENT, data=["typed", b"\x00", b"\x00\x00\x00\x00\x00\x00\xf8\x3f", b"\x00\x00"]
    ),
    "EVENT with undefined, null and numbers": Packet(
        EVENT, data=["values", None, {"b": 1}, None, 1.5, -1, 2**40, -(2**40), "é"]
    ),
    "EVENT with a Date": Packet(EVENT, data=["date", "2024-01-02T03:04:05.678Z"]),
    "EVENT with an ack id, answered by an ACK with a Buffer": Packet(
        EVENT, data=["ask", "question"], id=0
    ),
    "server EVENT with an ack id, answered by an ACK with a Buffer": Packet(
        ACK, data=[b"\x08", "pong"], id=0
    ),
    "CONNECT_ERROR with data": Packet(CONNECT, "/restricted", {"token": "with-data"}),
    "CONNECT_ERROR without data": Packet(CONNECT, "/restricted", {}),
    "client DISCONNECT of /admin": Packet(DISCONNECT, "/admin"),
}

# What Node's server wrote that holds no ``undefined``: our encoder writes the same bytes.
NODE_SERVER_PACKETS = {
    "EVENT with an ack id, answered by an ACK with a Buffer": Packet(
        ACK, data=[b"\x09", "answer"], id=0
    ),
    "server EVENT with an ack id, answered by an ACK with a Buffer": Packet(
        EVENT, data=["ping-me", b"\x07"], id=0
    ),
    "server EVENT in a namespace": Packet(EVENT, "/admin", ["news", {"n": 1}, [True, False]]),
    "CONNECT_ERROR with data": Packet(
        CONNECT_ERROR,
        "/restricted",
        {"message": "not authorized", "data": {"reason": "no token"}},
    ),
    "server DISCONNECT of /": Packet(DISCONNECT),
}

# The packets behind our captured bytes, by name.
OUR_PACKETS = {
    "CONNECT reply": Packet(CONNECT, "/", {"sid": "AAAAAAAAAAAAAAAAAAAA"}),
    "CONNECT reply in a namespace": Packet(CONNECT, "/admin", {"sid": "BBBBBBBBBBBBBBBBBBBB"}),
    "EVENT with nested binary": Packet(
        EVENT, "/", ["upload", b"\x01\x02\x03", {"nested": [b"", b"\x00\xff"]}]
    ),
    "EVENT with an ack id": Packet(EVENT, "/", ["ping-me", 1.5, -3, 2**40, "é ✓"], 7),
    "EVENT in a namespace": Packet(EVENT, "/admin", ["news", {"n": None, "t": True}]),
    "ACK with binary": Packet(ACK, "/", [b"\x09", "answer"], 0),
    "empty ACK": Packet(ACK, "/admin", [], 2**53 - 1),
    "CONNECT_ERROR with data": Packet(
        CONNECT_ERROR,
        "/restricted",
        {"message": "not authorized", "data": {"reason": "no token"}},
    ),
    "CONNECT_ERROR without data": Packet(
        CONNECT_ERROR, "/restricted", {"message": "not authorized"}
    ),
    "DISCONNECT": Packet(DISCONNECT, "/"),
    "DISCONNECT of a namespace": Packet(DISCONNECT, "/admin"),
}


def as_node_shows_it(value: Any) -> Any:
    """A value as the capture script printed the npm Decoder's output: bytes as ``$bin``."""
    if isinstance(value, bytes):
        return {"$bin": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [as_node_shows_it(item) for item in value]
    if isinstance(value, dict):
        return {key: as_node_shows_it(item) for key, item in value.items()}
    return value


def node_fields(packet: Packet) -> dict[str, Any]:
    fields = {"type": int(packet.type), "nsp": packet.nsp, "data": packet.data, "id": packet.id}
    return {key: as_node_shows_it(value) for key, value in fields.items() if value is not None}


def test_the_captures_cover_every_message_they_hold() -> None:
    ours = {(r["step"], r["from"]) for r in CAPTURES["node"]}
    named = {(step, "client") for step in CLIENT_PACKETS}
    named |= {(step, "server") for step in NODE_SERVER_PACKETS}
    assert named <= ours
    assert set(OUR_PACKETS) == set(CAPTURES["ours"])


@pytest.mark.parametrize("step", CLIENT_PACKETS)
def test_what_the_real_client_sends_decodes_to_its_packet(step: str) -> None:
    assert decode(captured(step, "client")) == CLIENT_PACKETS[step]


@pytest.mark.parametrize("step", NODE_SERVER_PACKETS)
def test_we_write_the_bytes_nodes_server_writes(step: str) -> None:
    assert encode(NODE_SERVER_PACKETS[step]) == captured(step, "server")


@pytest.mark.parametrize(
    ("step", "keys"),
    [("CONNECT / without auth", {"sid"}), ("CONNECT_ERROR without data", {"message"})],
)
def test_a_key_node_writes_as_undefined_is_left_out(step: str, keys: set[str]) -> None:
    # Node's CONNECT reply carries ``pid: undefined``, its CONNECT_ERROR ``data: undefined``.
    assert set(decode(captured(step, "server")).data) == keys


@pytest.mark.parametrize("name", OUR_PACKETS)
def test_our_bytes_are_the_captured_ones(name: str) -> None:
    assert encode(OUR_PACKETS[name]).hex() == CAPTURES["ours"][name]["hex"]


@pytest.mark.parametrize("name", OUR_PACKETS)
def test_the_npm_decoder_read_our_bytes_as_our_packet(name: str) -> None:
    assert CAPTURES["ours"][name]["node_decodes"] == node_fields(OUR_PACKETS[name])


@pytest.mark.parametrize("name", CAPTURES["refused"])
def test_what_the_npm_decoder_refuses_we_refuse_too(name: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode(bytes.fromhex(CAPTURES["refused"][name]["hex"]))
