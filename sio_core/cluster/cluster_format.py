"""The ``ClusterAdapter`` messages of socket.io-adapter 2.5.x: the sharded Redis adapter's format.

Theory of operation (``lib/cluster-adapter.ts`` of socket.io-adapter, ``lib/sharded-adapter.ts``
of socket.io-redis-adapter 8.3.0, checked on the wire)
-------------------------------------------------------------------------------------------------

Every message is one map ``{type, data, uid, nsp}``: the adapter builds ``{type, data}`` and
adds its ``uid`` and namespace last, so JSON keys come in that order. The types:

===  =========================  ==============================================================
 1   INITIAL_HEARTBEAT          no ``data``
 2   HEARTBEAT                  no ``data``
 3   BROADCAST                  ``{packet, opts}``, or ``{packet, requestId, opts}`` with acks
 4   SOCKETS_JOIN               ``{opts, rooms}``
 5   SOCKETS_LEAVE              ``{opts, rooms}``
 6   DISCONNECT_SOCKETS         ``{opts, close}``
 7   FETCH_SOCKETS              ``{opts, requestId}``
 8   FETCH_SOCKETS_RESPONSE     ``{requestId, sockets}``
 9   SERVER_SIDE_EMIT           ``{packet: [event, ...args]}``, ``{requestId, packet}``
10   SERVER_SIDE_EMIT_RESPONSE  ``{requestId, packet}`` (the answer)
11   BROADCAST_CLIENT_COUNT     ``{requestId, clientCount}``
12   BROADCAST_ACK              ``{requestId, packet}`` (one client's answer)
13   ADAPTER_CLOSE              no ``data``
===  =========================  ==============================================================

``opts`` is ``{rooms, except, flags}``. A broadcast's ``packet`` is ``{type: 2, data: [event,
...args]}``, with no ``nsp``: the message's own ``nsp`` says it. Types 8, 10, 11 and 12 are
responses, published for the requester alone.

Encoding: JSON, unless the type may carry binary (3, 8, 9, 10, 12) and ``data`` does hold bytes;
then msgpack (notepack), which keeps them as ``bin``. A receiver checks the first byte for ``{``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from sio_core.cluster import _fields
from sio_core.cluster._fields import Fields
from sio_core.cluster.classic import EVENT_PACKET_TYPES
from sio_core.cluster.errors import ClusterProtocolError
from sio_core.cluster.messages import (
    AdapterClose,
    AllRooms,
    AllRoomsResponse,
    Broadcast,
    BroadcastAck,
    BroadcastClientCount,
    ClusterMessage,
    DisconnectSockets,
    FetchSocketIds,
    FetchSocketIdsResponse,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    ServerSideEmit,
    ServerSideEmitResponse,
    SocketsJoin,
    SocketsLeave,
)
from sio_core.cluster.values import (
    DEFAULT_LIMITS,
    DecodeLimits,
    decode_payload,
    dump_json,
    dump_msgpack,
    has_binary,
    to_wire,
)
from sio_core.errors import LocalProtocolError


class MessageType(enum.IntEnum):
    """The message types, numbered as socket.io-adapter's ``MessageType``."""

    INITIAL_HEARTBEAT = 1
    HEARTBEAT = 2
    BROADCAST = 3
    SOCKETS_JOIN = 4
    SOCKETS_LEAVE = 5
    DISCONNECT_SOCKETS = 6
    FETCH_SOCKETS = 7
    FETCH_SOCKETS_RESPONSE = 8
    SERVER_SIDE_EMIT = 9
    SERVER_SIDE_EMIT_RESPONSE = 10
    BROADCAST_CLIENT_COUNT = 11
    BROADCAST_ACK = 12
    ADAPTER_CLOSE = 13


MAY_CARRY_BINARY = frozenset(
    {
        MessageType.BROADCAST,
        MessageType.BROADCAST_ACK,
        MessageType.FETCH_SOCKETS_RESPONSE,
        MessageType.SERVER_SIDE_EMIT,
        MessageType.SERVER_SIDE_EMIT_RESPONSE,
    }
)
"""The types the sharded adapter checks for bytes before choosing JSON."""


# -- decoding ------------------------------------------------------------------------------


def decode_cluster_message(
    payload: bytes, limits: DecodeLimits = DEFAULT_LIMITS
) -> ClusterMessage:
    """The message ``payload`` carries (JSON or msgpack, by its first byte).

    Nothing is filtered: the caller drops its own messages and other namespaces', as Node does.

    :raises ClusterProtocolError: malformed, or of an unknown type.
    """
    return read_cluster_message(decode_payload(payload, limits))


def read_cluster_message(value: Any) -> ClusterMessage:
    """The message a decoded map ``{type, data, uid, nsp}`` holds (the Streams adapter's entries
    arrive as fields, which the caller puts back together).

    :raises ClusterProtocolError: malformed, or of an unknown type.
    """
    fields = Fields(value, "message")
    number = fields.integer("type")
    try:
        kind = MessageType(number)
    except ValueError:
        raise ClusterProtocolError(f"unknown message type {number}") from None
    uid, nsp = fields.text("uid"), fields.text("nsp")
    if kind in _NO_DATA:
        return _NO_DATA[kind](uid=uid, nsp=nsp)
    return _DECODERS[kind](fields.child("data"), uid, nsp)


_NO_DATA: dict[MessageType, type[InitialHeartbeat | Heartbeat | AdapterClose]] = {
    MessageType.INITIAL_HEARTBEAT: InitialHeartbeat,
    MessageType.HEARTBEAT: Heartbeat,
    MessageType.ADAPTER_CLOSE: AdapterClose,
}


def _broadcast(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    packet = data.child("packet")
    if packet.value("type") not in EVENT_PACKET_TYPES:
        raise ClusterProtocolError("data.packet is not an EVENT")
    event, args = _fields.read_event(packet.value("data"), "data.packet.data")
    return Broadcast(
        uid=uid,
        nsp=nsp,
        event=event,
        args=args,
        selection=_fields.read_selection(data.child("opts")),
        request_id=data.optional_text("requestId"),
    )


def _sockets_join(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    selection = _fields.read_selection(data.child("opts"))
    return SocketsJoin(uid=uid, nsp=nsp, selection=selection, rooms=data.texts("rooms"))


def _sockets_leave(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    selection = _fields.read_selection(data.child("opts"))
    return SocketsLeave(uid=uid, nsp=nsp, selection=selection, rooms=data.texts("rooms"))


def _disconnect_sockets(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    return DisconnectSockets(
        uid=uid,
        nsp=nsp,
        selection=_fields.read_selection(data.child("opts")),
        close=data.boolean("close", default=False),
    )


def _fetch_sockets(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    return FetchSockets(
        uid=uid,
        nsp=nsp,
        selection=_fields.read_selection(data.child("opts")),
        request_id=data.text("requestId"),
    )


def _fetch_sockets_response(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    sockets = _fields.read_sockets(data.array("sockets"), "data.sockets")
    return FetchSocketsResponse(
        uid=uid, nsp=nsp, request_id=data.text("requestId"), sockets=sockets
    )


def _server_side_emit(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    event, args = _fields.read_event(data.value("packet"), "data.packet")
    return ServerSideEmit(
        uid=uid, nsp=nsp, event=event, args=args, request_id=data.optional_text("requestId")
    )


def _server_side_emit_response(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    return ServerSideEmitResponse(
        uid=uid, nsp=nsp, request_id=data.text("requestId"), arg=data.value("packet")
    )


def _broadcast_client_count(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    count = data.integer("clientCount")
    if count < 0:
        raise ClusterProtocolError("data.clientCount is negative")
    return BroadcastClientCount(
        uid=uid, nsp=nsp, request_id=data.text("requestId"), client_count=count
    )


def _broadcast_ack(data: Fields, uid: str, nsp: str) -> ClusterMessage:
    return BroadcastAck(
        uid=uid, nsp=nsp, request_id=data.text("requestId"), arg=data.value("packet")
    )


_DECODERS: dict[MessageType, Callable[[Fields, str, str], ClusterMessage]] = {
    MessageType.BROADCAST: _broadcast,
    MessageType.SOCKETS_JOIN: _sockets_join,
    MessageType.SOCKETS_LEAVE: _sockets_leave,
    MessageType.DISCONNECT_SOCKETS: _disconnect_sockets,
    MessageType.FETCH_SOCKETS: _fetch_sockets,
    MessageType.FETCH_SOCKETS_RESPONSE: _fetch_sockets_response,
    MessageType.SERVER_SIDE_EMIT: _server_side_emit,
    MessageType.SERVER_SIDE_EMIT_RESPONSE: _server_side_emit_response,
    MessageType.BROADCAST_CLIENT_COUNT: _broadcast_client_count,
    MessageType.BROADCAST_ACK: _broadcast_ack,
}


# -- encoding ------------------------------------------------------------------------------


def encode_cluster_message(
    message: ClusterMessage, limits: DecodeLimits = DEFAULT_LIMITS, *, msgpack: bool = False
) -> bytes:
    """``message`` as the sharded adapter publishes it: JSON, or msgpack when it holds bytes.

    :param msgpack: msgpack whatever it holds, as the Streams adapter's pub/sub does.
    :raises LocalProtocolError: the format has no such message (``all_rooms`` and the legacy
        socket ids request are classic-only), the message has no ``uid``, or a value cannot be
        encoded.
    """
    kind, wire = wire_message(message, limits)
    if msgpack or carries_binary(kind, wire.get("data")):
        return dump_msgpack(wire)
    return dump_json(wire)


def wire_message(
    message: ClusterMessage, limits: DecodeLimits = DEFAULT_LIMITS
) -> tuple[MessageType, dict[str, Any]]:
    """``message`` as the map ``{type, data, uid, nsp}`` both serialisations write, and its type.

    :raises LocalProtocolError: as :func:`encode_cluster_message`.
    """
    if message.uid is None:
        raise LocalProtocolError("a ClusterAdapter message needs the sender's uid")
    kind, data = _type_and_data(message)
    wire: dict[str, Any] = {"type": int(kind)}
    if data is not None:
        wire["data"] = data
    wire["uid"] = message.uid
    wire["nsp"] = message.nsp
    return kind, to_wire(wire, limits)


def carries_binary(kind: MessageType, data: Any) -> bool:
    """Whether Node would switch to msgpack for this ``data`` (socket.io's ``hasBinary`` on the
    types that may carry bytes)."""
    return kind in MAY_CARRY_BINARY and has_binary(data)


def _type_and_data(message: ClusterMessage) -> tuple[MessageType, dict[str, Any] | None]:
    if isinstance(message, InitialHeartbeat):
        return MessageType.INITIAL_HEARTBEAT, None
    if isinstance(message, Heartbeat):
        return MessageType.HEARTBEAT, None
    if isinstance(message, AdapterClose):
        return MessageType.ADAPTER_CLOSE, None
    if isinstance(message, AllRooms | AllRoomsResponse | FetchSocketIds | FetchSocketIdsResponse):
        raise LocalProtocolError(f"the ClusterAdapter format has no {type(message).__name__}")
    return _REQUEST_WRITERS[type(message)](message)


def _write_broadcast(message: Broadcast) -> tuple[MessageType, dict[str, Any]]:
    data: dict[str, Any] = {"packet": {"type": 2, "data": [message.event, *message.args]}}
    if message.request_id is not None:
        data["requestId"] = message.request_id
    data["opts"] = _fields.write_selection(message.selection)
    return MessageType.BROADCAST, data


def _write_join(message: SocketsJoin | SocketsLeave) -> tuple[MessageType, dict[str, Any]]:
    kind = (
        MessageType.SOCKETS_JOIN if isinstance(message, SocketsJoin) else MessageType.SOCKETS_LEAVE
    )
    return kind, {"opts": _fields.write_selection(message.selection), "rooms": list(message.rooms)}


def _write_disconnect(message: DisconnectSockets) -> tuple[MessageType, dict[str, Any]]:
    opts = _fields.write_selection(message.selection)
    return MessageType.DISCONNECT_SOCKETS, {"opts": opts, "close": message.close}


def _write_fetch(message: FetchSockets) -> tuple[MessageType, dict[str, Any]]:
    opts = _fields.write_selection(message.selection)
    return MessageType.FETCH_SOCKETS, {"opts": opts, "requestId": message.request_id}


def _write_server_side_emit(message: ServerSideEmit) -> tuple[MessageType, dict[str, Any]]:
    packet = [message.event, *message.args]
    if message.request_id is None:
        return MessageType.SERVER_SIDE_EMIT, {"packet": packet}
    return MessageType.SERVER_SIDE_EMIT, {"requestId": message.request_id, "packet": packet}


def _write_fetch_response(message: FetchSocketsResponse) -> tuple[MessageType, dict[str, Any]]:
    sockets = _fields.write_sockets(message.sockets)
    data = {"requestId": message.request_id, "sockets": sockets}
    return MessageType.FETCH_SOCKETS_RESPONSE, data


def _write_server_side_emit_response(
    message: ServerSideEmitResponse,
) -> tuple[MessageType, dict[str, Any]]:
    data = {"requestId": message.request_id, "packet": message.arg}
    return MessageType.SERVER_SIDE_EMIT_RESPONSE, data


def _write_client_count(message: BroadcastClientCount) -> tuple[MessageType, dict[str, Any]]:
    data = {"requestId": message.request_id, "clientCount": message.client_count}
    return MessageType.BROADCAST_CLIENT_COUNT, data


def _write_ack(message: BroadcastAck) -> tuple[MessageType, dict[str, Any]]:
    return MessageType.BROADCAST_ACK, {"requestId": message.request_id, "packet": message.arg}


_REQUEST_WRITERS: dict[type, Callable[[Any], tuple[MessageType, dict[str, Any]]]] = {
    Broadcast: _write_broadcast,
    SocketsJoin: _write_join,
    SocketsLeave: _write_join,
    DisconnectSockets: _write_disconnect,
    FetchSockets: _write_fetch,
    ServerSideEmit: _write_server_side_emit,
    FetchSocketsResponse: _write_fetch_response,
    ServerSideEmitResponse: _write_server_side_emit_response,
    BroadcastClientCount: _write_client_count,
    BroadcastAck: _write_ack,
}
