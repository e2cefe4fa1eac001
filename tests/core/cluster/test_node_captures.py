"""Bytes captured from real Node servers decode to the right messages and re-encode identically.

``node_captures.json`` holds what Node 4.8 servers with the classic and the sharded Redis
adapters, and Node's emitter, published on a real Redis (its README says how). Each message
must decode to the message written out below, and encoding that message must give the same
bytes on the same channel: Node reads our messages exactly as it reads its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sio_core.cluster import (
    AdapterClose,
    AllRooms,
    AllRoomsResponse,
    Broadcast,
    BroadcastAck,
    BroadcastClientCount,
    BroadcastFlags,
    ClassicCodec,
    ClusterMessage,
    DisconnectSockets,
    FetchSocketIds,
    FetchSocketIdsResponse,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    ShardedCodec,
    SocketsJoin,
    SocketsLeave,
)

CAPTURES = json.loads((Path(__file__).parent / "node_captures.json").read_text("utf-8"))
MESSAGES = {entry["name"]: entry for entry in CAPTURES["messages"]}
UIDS = CAPTURES["uids"]

A, A_CHAT, B = UIDS["classic"]["A"], UIDS["classic"]["A/chat"], UIDS["classic"]["B"]
A1, B1, B2 = UIDS["classic"]["a1"], UIDS["classic"]["b1"], UIDS["classic"]["b2"]
C = UIDS["specific"]["C"]
E, E_CHAT, F = UIDS["sharded"]["E"], UIDS["sharded"]["E/chat"], UIDS["sharded"]["F"]
F1 = UIDS["sharded"]["f1"]
G, H = UIDS["heartbeat"]["G"], UIDS["heartbeat"]["H"]

NO_FLAGS = BroadcastFlags()
EVERYONE = Selection(flags=NO_FLAGS)


def _select(
    rooms: tuple[str, ...] = (),
    except_rooms: tuple[str, ...] = (),
    flags: BroadcastFlags | None = NO_FLAGS,
) -> Selection:
    return Selection(rooms=rooms, except_rooms=except_rooms, flags=flags)


def _classic_expectations() -> dict[str, ClusterMessage]:
    hello = ("world", 1, 2.5, None, True)
    return {
        "classic broadcast to all 1": Broadcast(
            uid=A, nsp="/", event="hello", args=hello, selection=EVERYONE
        ),
        "classic broadcast to one room 1": Broadcast(
            uid=A, nsp="/", event="news", args=({"a": 1},), selection=_select(("room1",))
        ),
        "classic broadcast to two rooms 1": Broadcast(
            uid=A, nsp="/", event="news", args=("x",), selection=_select(("room1", "room2"))
        ),
        "classic broadcast with except 1": Broadcast(
            uid=A, nsp="/", event="ev2", selection=_select(except_rooms=("room2",))
        ),
        "classic broadcast with binary 1": Broadcast(
            uid=A,
            nsp="/",
            event="bin",
            args=(b"\x01\x02\x03", {"nested": b"\x04"}),
            selection=EVERYONE,
        ),
        "classic broadcast volatile 1": Broadcast(
            uid=A,
            nsp="/",
            event="vol",
            args=(1,),
            selection=_select(flags=BroadcastFlags(volatile=True)),
        ),
        "classic broadcast compress false 1": Broadcast(
            uid=A,
            nsp="/",
            event="c",
            args=(1,),
            selection=_select(flags=BroadcastFlags(compress=False)),
        ),
        "classic broadcast to a socket id 1": Broadcast(
            uid=A, nsp="/", event="direct", args=(1,), selection=_select((B1,))
        ),
        "classic broadcast from a socket 1": Broadcast(
            uid=A, nsp="/", event="from-socket", args=(1,), selection=_select(except_rooms=(A1,))
        ),
        "classic broadcast in another namespace 1": Broadcast(
            uid=A_CHAT, nsp="/chat", event="hi", args=("chat",), selection=EVERYONE
        ),
        "classic broadcast with acks 1": Broadcast(
            uid=A,
            nsp="/",
            event="ask",
            args=(7,),
            selection=_select(flags=BroadcastFlags(timeout_ms=1000)),
            request_id="wO1_im",
        ),
        "classic broadcast with acks 2": BroadcastClientCount(
            uid=None, nsp="/", request_id="wO1_im", client_count=2
        ),
        "classic broadcast with acks 3": BroadcastAck(
            uid=None, nsp="/", request_id="wO1_im", arg={"from": "b1", "n": 7}
        ),
        "classic broadcast with acks 4": BroadcastAck(
            uid=None, nsp="/", request_id="wO1_im", arg={"from": "b2", "n": 7}
        ),
        "classic sockets join 1": SocketsJoin(
            uid=A, nsp="/", selection=Selection(), rooms=("room3",)
        ),
        "classic sockets leave 1": SocketsLeave(
            uid=A,
            nsp="/",
            selection=Selection(rooms=("room1",), except_rooms=("room2",)),
            rooms=("room3", "room4"),
        ),
        "classic disconnect sockets 1": DisconnectSockets(
            uid=A, nsp="/", selection=Selection(rooms=("nobody",)), close=True
        ),
        "classic fetch sockets 1": FetchSockets(
            uid=A, nsp="/", selection=Selection(), request_id="9cwepi"
        ),
        "classic fetch sockets in a room 1": FetchSockets(
            uid=A, nsp="/", selection=Selection(rooms=("room1",)), request_id="yxQCmJ"
        ),
        "classic all rooms 1": AllRooms(uid=A, nsp="/", request_id="amVhAO"),
        "classic all rooms 2": AllRoomsResponse(
            uid=None,
            nsp="/",
            request_id="amVhAO",
            rooms=(B1, B2, "room1", "room2", "room3"),
        ),
        "classic server side emit 1": ServerSideEmit(uid=A, nsp="/", event="sse", args=(1, "two")),
        "classic server side emit with ack 1": ServerSideEmit(
            uid=A, nsp="/", event="sse-ack", args=(42,), request_id="gycEMi"
        ),
        "classic server side emit with ack 2": ServerSideEmitResponse(
            uid=None, nsp="/", request_id="gycEMi", arg={"pong": 42}
        ),
        "classic legacy sockets request 1": FetchSocketIds(
            uid="legacy", nsp="/", request_id="legacy1", rooms=("room2",)
        ),
        "classic legacy sockets request 2": FetchSocketIdsResponse(
            uid=None, nsp="/", request_id="legacy1", socket_ids=(B2,)
        ),
        # An empty legacy answer reads as an empty fetch answer: the same bytes either way.
        "classic legacy sockets request 3": FetchSocketsResponse(
            uid=None, nsp="/", request_id="legacy1"
        ),
    }


def _emitter_expectations() -> dict[str, ClusterMessage]:
    return {
        "emitter broadcast to all 1": Broadcast(
            uid="emitter", nsp="/", event="from-emitter", args=(1, "a"), selection=EVERYONE
        ),
        "emitter broadcast to one room 1": Broadcast(
            uid="emitter", nsp="/", event="e-room", args=(True,), selection=_select(("room1",))
        ),
        "emitter broadcast volatile with except 1": Broadcast(
            uid="emitter",
            nsp="/",
            event="e-vol",
            args=(b"\x09",),
            selection=_select(except_rooms=("room2",), flags=BroadcastFlags(volatile=True)),
        ),
        "emitter sockets join 1": SocketsJoin(
            uid=None, nsp="/", selection=Selection(rooms=("room1",)), rooms=("e-room",)
        ),
        "emitter sockets leave 1": SocketsLeave(
            uid=None, nsp="/", selection=Selection(), rooms=("e-room",)
        ),
        "emitter disconnect sockets 1": DisconnectSockets(
            uid=None, nsp="/", selection=Selection(rooms=("nobody",)), close=False
        ),
        "emitter server side emit 1": ServerSideEmit(
            uid="emitter", nsp="/", event="e-sse", args=({"x": 1},)
        ),
        "emitter in another namespace 1": Broadcast(
            uid="emitter", nsp="/chat", event="e-chat", selection=EVERYONE
        ),
    }


def _specific_expectations() -> dict[str, ClusterMessage]:
    return {
        "specific fetch sockets 1": FetchSockets(
            uid=C, nsp="/", selection=Selection(), request_id="SKmltn"
        ),
        "specific server side emit with ack 1": ServerSideEmit(
            uid=C, nsp="/", event="sse-ack", args=(1,), request_id="vI3mEK"
        ),
        "specific server side emit with ack 2": ServerSideEmitResponse(
            uid=None, nsp="/", request_id="vI3mEK", arg=2
        ),
        "specific broadcast with acks 1": Broadcast(
            uid=C,
            nsp="/",
            event="ask",
            args=(8,),
            selection=_select(flags=BroadcastFlags(timeout_ms=1000)),
            request_id="IGmdoS",
        ),
        "specific broadcast with acks 2": BroadcastClientCount(
            uid=None, nsp="/", request_id="IGmdoS", client_count=1
        ),
        "specific broadcast with acks 3": BroadcastAck(
            uid=None, nsp="/", request_id="IGmdoS", arg={"from": "d1", "n": 8}
        ),
    }


def _sharded_broadcasts() -> dict[str, ClusterMessage]:
    acks = _select(flags=BroadcastFlags(timeout_ms=1000))
    return {
        "sharded broadcast to all 1": Broadcast(
            uid=E, nsp="/", event="hello", args=("world", 1, 2.5, None, True), selection=EVERYONE
        ),
        "sharded broadcast to one room 1": Broadcast(
            uid=E, nsp="/", event="news", args=({"a": 1},), selection=_select(("room1",))
        ),
        "sharded broadcast to two rooms 1": Broadcast(
            uid=E, nsp="/", event="news", args=("x",), selection=_select(("room1", "room2"))
        ),
        "sharded broadcast with except 1": Broadcast(
            uid=E, nsp="/", event="ev2", selection=_select(except_rooms=("room2",))
        ),
        "sharded broadcast with binary 1": Broadcast(
            uid=E,
            nsp="/",
            event="bin",
            args=(b"\x01\x02\x03", {"nested": b"\x04"}),
            selection=EVERYONE,
        ),
        "sharded broadcast volatile 1": Broadcast(
            uid=E,
            nsp="/",
            event="vol",
            args=(1,),
            selection=_select(flags=BroadcastFlags(volatile=True)),
        ),
        "sharded broadcast to a socket id 1": Broadcast(
            uid=E, nsp="/", event="direct", args=(1,), selection=_select((F1,))
        ),
        "sharded broadcast in another namespace 1": Broadcast(
            uid=E_CHAT, nsp="/chat", event="hi", args=("chat",), selection=EVERYONE
        ),
        "sharded broadcast with acks 1": Broadcast(
            uid=E, nsp="/", event="ask", args=(7,), selection=acks, request_id="16ee502a85579273"
        ),
        "sharded broadcast with acks 2": BroadcastClientCount(
            uid=F, nsp="/", request_id="16ee502a85579273", client_count=2
        ),
        "sharded broadcast with acks 3": BroadcastAck(
            uid=F, nsp="/", request_id="16ee502a85579273", arg={"from": "f1", "n": 7}
        ),
        "sharded broadcast with acks 4": BroadcastAck(
            uid=F, nsp="/", request_id="16ee502a85579273", arg={"from": "f2", "n": 7}
        ),
        "sharded broadcast with acks and binary 1": Broadcast(
            uid=E,
            nsp="/",
            event="ask",
            args=(b"\x05",),
            selection=acks,
            request_id="13e9fc67ae8cfe17",
        ),
        "sharded broadcast with acks and binary 2": BroadcastClientCount(
            uid=F, nsp="/", request_id="13e9fc67ae8cfe17", client_count=2
        ),
        "sharded broadcast with acks and binary 3": BroadcastAck(
            uid=F, nsp="/", request_id="13e9fc67ae8cfe17", arg={"from": "f1", "n": b"\x05"}
        ),
        "sharded broadcast with acks and binary 4": BroadcastAck(
            uid=F, nsp="/", request_id="13e9fc67ae8cfe17", arg={"from": "f2", "n": b"\x05"}
        ),
    }


def _sharded_requests() -> dict[str, ClusterMessage]:
    return {
        "sharded sockets join 1": SocketsJoin(
            uid=E, nsp="/", selection=EVERYONE, rooms=("room3",)
        ),
        "sharded sockets leave 1": SocketsLeave(
            uid=E,
            nsp="/",
            selection=_select(("room1",), ("room2",)),
            rooms=("room3", "room4"),
        ),
        "sharded disconnect sockets 1": DisconnectSockets(
            uid=E, nsp="/", selection=_select(("nobody",)), close=True
        ),
        "sharded fetch sockets 1": FetchSockets(
            uid=E, nsp="/", selection=EVERYONE, request_id="24b21a91634e8413"
        ),
        "sharded server side emit 1": ServerSideEmit(uid=E, nsp="/", event="sse", args=(1, "two")),
        "sharded server side emit with ack 1": ServerSideEmit(
            uid=E, nsp="/", event="sse-ack", args=(42,), request_id="acaf3c69282462f4"
        ),
        "sharded server side emit with ack 2": ServerSideEmitResponse(
            uid=F, nsp="/", request_id="acaf3c69282462f4", arg={"pong": 42}
        ),
        "sharded server side emit with binary ack 1": ServerSideEmit(
            uid=E, nsp="/", event="sse-bin", args=(b"\x06",), request_id="134ad99062139f7e"
        ),
        "sharded server side emit with binary ack 2": ServerSideEmitResponse(
            uid=F, nsp="/", request_id="134ad99062139f7e", arg=b"\x07\x07"
        ),
        "heartbeat first node starts 1": InitialHeartbeat(uid=G, nsp="/"),
        "heartbeat second node starts 1": InitialHeartbeat(uid=H, nsp="/"),
        "heartbeat second node starts 2": Heartbeat(uid=G, nsp="/"),
        "heartbeat periodic 1": Heartbeat(uid=H, nsp="/"),
        "heartbeat periodic 2": Heartbeat(uid=G, nsp="/"),
        "heartbeat adapter close 1": AdapterClose(uid=H, nsp="/"),
    }


EXPECTED: dict[str, ClusterMessage] = {
    **_classic_expectations(),
    **_emitter_expectations(),
    **_specific_expectations(),
    **_sharded_broadcasts(),
    **_sharded_requests(),
}

# Fetch answers carry whole handshakes: they are checked field by field further down.
FETCH_ANSWERS = {
    "classic fetch sockets 2",
    "classic fetch sockets in a room 2",
    "specific fetch sockets 2",
    "sharded fetch sockets 2",
}


def _namespace(channel: str) -> str:
    return "/chat" if "#/chat#" in channel else "/"


def _classic(entry: dict[str, Any]) -> ClassicCodec:
    key = entry["channel"].split("#")[0].removesuffix("-request").removesuffix("-response")
    return ClassicCodec(
        _namespace(entry["channel"]),
        key=key,
        publish_on_specific_response_channel=key == "specific",
    )


def _sharded(entry: dict[str, Any]) -> ShardedCodec:
    return ShardedCodec(
        _namespace(entry["channel"]), channel_prefix=entry["channel"].split("#")[0]
    )


def _decode(entry: dict[str, Any]) -> ClusterMessage:
    payload = bytes.fromhex(entry["hex"])
    if entry["format"] == "classic":
        return _classic(entry).decode(entry["channel"], payload)
    return _sharded(entry).decode(payload)


def _reencode(entry: dict[str, Any], message: ClusterMessage) -> tuple[str, bytes]:
    """Encode as the sender did; a response goes to the requester its channel names."""
    requester = {"specific": C, "classic": A, "sharded": E}.get(entry["name"].split()[0])
    if entry["format"] == "classic":
        publication = _classic(entry).encode(message, requester=requester)
    else:
        publication = _sharded(entry).encode(message, requester=requester)
    return publication.channel, publication.payload


def test_every_capture_has_an_expectation() -> None:
    assert set(MESSAGES) == set(EXPECTED) | FETCH_ANSWERS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_node_capture_decodes_to_the_expected_message(name: str) -> None:
    assert _decode(MESSAGES[name]) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_a_node_capture_reencodes_to_the_same_bytes_on_the_same_channel(name: str) -> None:
    entry = MESSAGES[name]
    channel, payload = _reencode(entry, _decode(entry))
    assert channel == entry["channel"]
    assert payload.hex() == entry["hex"]


@pytest.mark.parametrize(
    ("name", "sockets"),
    [
        ("classic fetch sockets 2", {B1: ({"user": "bob", "n": 1}, {"room1"}), B2: ({}, None)}),
        ("classic fetch sockets in a room 2", {B1: ({"user": "bob", "n": 1}, {"room1"})}),
        ("specific fetch sockets 2", {UIDS["specific"]["d1"]: ({}, set())}),
        (
            "sharded fetch sockets 2",
            {F1: ({"user": "fred", "tags": ["x"]}, {"room1"}), UIDS["sharded"]["f2"]: ({}, None)},
        ),
    ],
)
def test_a_node_fetch_answer_carries_each_sockets_data_rooms_and_handshake(
    name: str, sockets: dict[str, tuple[Any, set[str] | None]]
) -> None:
    answer = _decode(MESSAGES[name])
    assert isinstance(answer, FetchSocketsResponse)
    assert [socket.id for socket in answer.sockets] == list(sockets)
    for socket in answer.sockets:
        data, rooms = sockets[socket.id]
        assert socket.data == data
        if rooms is not None:
            assert set(socket.rooms) == {socket.id, *rooms}
        assert socket.handshake["query"] == {"EIO": "4", "transport": "websocket"}
        assert socket.handshake["auth"] == {}
        assert set(socket.handshake) == {
            "headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth",
        }  # fmt: skip
