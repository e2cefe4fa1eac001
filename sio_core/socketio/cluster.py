"""The messages the nodes of a cluster exchange, and their codec: pure functions, no I/O.

Theory of operation (after Node's ``ClusterAdapter``, socket.io-adapter ``cluster-adapter.ts``)
-------------------------------------------------------------------------------------------

In a cluster every node runs its own :class:`~sio_core.socketio._server.SocketServer` with its
own clients. An operation that selects sockets (a broadcast, ``sockets_join``...) is applied to
the local sockets and, unless flagged ``local``, also sent to every other node as a *request*,
which each of them applies to its own sockets. Some requests want *responses*, addressed to the
requesting node only: ``fetch_sockets`` (each node answers with snapshots of its sockets),
``server_side_emit`` with an ack (each node's application answers once), and a broadcast with
acks (each node says how many clients it reached, then relays each client's answer).

The message types keep Node's numbers (heartbeats, 1 and 2, and ``ADAPTER_CLOSE``, 13, are not
used: the backend tells the core how many peers there are). Messages carry the sender's node id
``uid`` and the namespace; responses also carry ``to``, the requester, so that a response that
reaches the wrong node (one shared response channel) is recognised and dropped.

Encoding: a message travels as **one Socket.IO packet**, an EVENT in the message's namespace
whose payload is ``[type, uid, body]``, encoded by :mod:`sio_core.socketio.packets`. Reusing
that codec means ``bytes`` anywhere (broadcast arguments, ``socket.data``, ack answers) become
binary attachments exactly as they do on a client connection, and the strict decoder (finite
numbers, one JSON value, placeholders matching attachments) checks what comes back. No new
dependency is needed; msgpack would only save a few bytes per message. The packet's parts (the
text, then each attachment) are framed into one ``bytes``, each part led by its length as a
4-byte big-endian integer, since a pub/sub channel carries one blob per message.

Decoding is strict: a wrong type, a missing or unknown field, a bad frame all raise
:class:`~sio_core.errors.RemoteProtocolError`, and nothing else escapes.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import struct
from collections.abc import Callable
from typing import Any, ClassVar

from sio_core.errors import DisconnectReason, RemoteProtocolError
from sio_core.socketio import packets
from sio_core.socketio._adapter import BroadcastOptions
from sio_core.socketio._socket import Handshake, SocketSnapshot


class MessageType(enum.IntEnum):
    """The cluster message types, numbered as Node's ``MessageType``."""

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


# -- requests: sent to every other node ------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Broadcast:
    """Deliver ``event`` to the sockets ``options`` select; with ``request_id``, collect acks.

    :param request_id: the requester's broadcast id, when it waits for acknowledgements; each
        node then answers with a :class:`BroadcastClientCount`, then one :class:`BroadcastAck`
        per client answer, for ``timeout`` seconds.
    """

    TYPE: ClassVar[MessageType] = MessageType.BROADCAST
    uid: str
    nsp: str
    options: BroadcastOptions
    event: str
    args: tuple[Any, ...] = ()
    request_id: int | None = None
    timeout: float | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketsJoin:
    """Make the sockets ``options`` select join ``rooms``."""

    TYPE: ClassVar[MessageType] = MessageType.SOCKETS_JOIN
    uid: str
    nsp: str
    options: BroadcastOptions
    rooms: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketsLeave:
    """Make the sockets ``options`` select leave ``rooms``."""

    TYPE: ClassVar[MessageType] = MessageType.SOCKETS_LEAVE
    uid: str
    nsp: str
    options: BroadcastOptions
    rooms: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DisconnectSockets:
    """Disconnect the sockets ``options`` select (closing their connections with ``close``)."""

    TYPE: ClassVar[MessageType] = MessageType.DISCONNECT_SOCKETS
    uid: str
    nsp: str
    options: BroadcastOptions
    close: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchSockets:
    """Answer with a :class:`FetchSocketsResponse` holding the sockets ``options`` select."""

    TYPE: ClassVar[MessageType] = MessageType.FETCH_SOCKETS
    uid: str
    nsp: str
    options: BroadcastOptions
    request_id: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmit:
    """An event for the application of every other node; with ``request_id``, answer once."""

    TYPE: ClassVar[MessageType] = MessageType.SERVER_SIDE_EMIT
    uid: str
    nsp: str
    event: str
    args: tuple[Any, ...] = ()
    request_id: int | None = None


# -- responses: sent to the requester only ---------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchSocketsResponse:
    """Node ``uid``'s sockets for request ``request_id`` of node ``to``."""

    TYPE: ClassVar[MessageType] = MessageType.FETCH_SOCKETS_RESPONSE
    uid: str
    nsp: str
    to: str
    request_id: int
    sockets: tuple[SocketSnapshot, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmitResponse:
    """Node ``uid``'s application answered server-side emit ``request_id`` with ``args``."""

    TYPE: ClassVar[MessageType] = MessageType.SERVER_SIDE_EMIT_RESPONSE
    uid: str
    nsp: str
    to: str
    request_id: int
    args: tuple[Any, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastClientCount:
    """Node ``uid`` sent broadcast ``request_id`` to ``count`` clients: that many acks to wait."""

    TYPE: ClassVar[MessageType] = MessageType.BROADCAST_CLIENT_COUNT
    uid: str
    nsp: str
    to: str
    request_id: int
    count: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastAck:
    """One client of node ``uid`` acknowledged broadcast ``request_id`` with ``args``."""

    TYPE: ClassVar[MessageType] = MessageType.BROADCAST_ACK
    uid: str
    nsp: str
    to: str
    request_id: int
    args: tuple[Any, ...] = ()


Request = (
    Broadcast | SocketsJoin | SocketsLeave | DisconnectSockets | FetchSockets | ServerSideEmit
)
Response = FetchSocketsResponse | ServerSideEmitResponse | BroadcastClientCount | BroadcastAck
ClusterMessage = Request | Response
"""Every message a node publishes or receives."""


# -- encoding ---------------------------------------------------------------------------------

_LENGTH = struct.Struct(">I")


def encode(message: ClusterMessage) -> bytes:
    """The bytes to publish for ``message``.

    :raises LocalProtocolError: the message holds a value JSON cannot carry (``socket.data``
        of an unsupported type, for instance).
    """
    body = _BODY_ENCODERS[message.TYPE](message)
    payload = [int(message.TYPE), message.uid, body]
    parts = packets.encode(packets.Packet(packets.PacketType.EVENT, message.nsp, payload))
    return b"".join(_frame(part) for part in parts)


def _frame(part: str | bytes) -> bytes:
    data = part.encode("utf-8") if isinstance(part, str) else part
    return _LENGTH.pack(len(data)) + data


def _options_json(options: BroadcastOptions) -> dict[str, Any]:
    flags = {"volatile": options.volatile, "compress": options.compress, "local": options.local}
    return {"rooms": sorted(options.rooms), "except": sorted(options.except_rooms), "flags": flags}


def _snapshot_json(snapshot: SocketSnapshot) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "handshake": dataclasses.asdict(snapshot.handshake),
        "rooms": sorted(snapshot.rooms),
        "data": snapshot.data,
    }


def _optional(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _broadcast_json(m: Any) -> dict[str, Any]:
    extra = _optional(requestId=m.request_id, timeout=m.timeout)
    return {"opts": _options_json(m.options), "packet": [m.event, *m.args], **extra}


def _rooms_json(m: Any) -> dict[str, Any]:
    return {"opts": _options_json(m.options), "rooms": list(m.rooms)}


_BODY_ENCODERS: dict[MessageType, Callable[[Any], dict[str, Any]]] = {
    MessageType.BROADCAST: _broadcast_json,
    MessageType.SOCKETS_JOIN: _rooms_json,
    MessageType.SOCKETS_LEAVE: _rooms_json,
    MessageType.DISCONNECT_SOCKETS: lambda m: {"opts": _options_json(m.options), "close": m.close},
    MessageType.FETCH_SOCKETS: lambda m: {
        "opts": _options_json(m.options),
        "requestId": m.request_id,
    },
    MessageType.SERVER_SIDE_EMIT: lambda m: {
        "packet": [m.event, *m.args],
        **_optional(requestId=m.request_id),
    },
    MessageType.FETCH_SOCKETS_RESPONSE: lambda m: {
        "to": m.to,
        "requestId": m.request_id,
        "sockets": [_snapshot_json(s) for s in m.sockets],
    },
    MessageType.SERVER_SIDE_EMIT_RESPONSE: lambda m: {
        "to": m.to,
        "requestId": m.request_id,
        "packet": list(m.args),
    },
    MessageType.BROADCAST_CLIENT_COUNT: lambda m: {
        "to": m.to,
        "requestId": m.request_id,
        "clientCount": m.count,
    },
    MessageType.BROADCAST_ACK: lambda m: {
        "to": m.to,
        "requestId": m.request_id,
        "packet": list(m.args),
    },
}


# -- decoding ---------------------------------------------------------------------------------


def _bad(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(
        f"bad cluster message: {message}", reason=DisconnectReason.PARSE_ERROR
    )


def decode(data: bytes) -> ClusterMessage:
    """The message ``data`` holds.

    :raises RemoteProtocolError: ``data`` is not exactly one well-formed cluster message.
    """
    parts = _unframe(bytes(data))
    try:
        text = parts[0].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("the text part is not UTF-8") from None
    decoder = packets.Decoder(max_attachments=len(parts) - 1)
    packet = decoder.feed(text)
    for attachment in parts[1:]:
        packet = decoder.feed(attachment)  # refuses a part beyond the announced attachments
    if packet is None:
        raise _bad(f"{decoder.awaiting_attachments} attachments missing")
    return _from_packet(packet)


def _unframe(data: bytes) -> list[bytes]:
    parts: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + _LENGTH.size > len(data):
            raise _bad("truncated length")
        (size,) = _LENGTH.unpack_from(data, pos)
        pos += _LENGTH.size
        if pos + size > len(data):
            raise _bad(f"part of {size} bytes runs past the end")
        parts.append(data[pos : pos + size])
        pos += size
    if not parts:
        raise _bad("empty")
    return parts


def _from_packet(packet: packets.Packet) -> ClusterMessage:
    if packet.type is not packets.PacketType.EVENT or packet.id is not None:
        raise _bad(f"a {packet.type.name} packet, not an EVENT without ack id")
    payload = packet.data
    if len(payload) != 3 or type(payload[0]) is not int or not isinstance(payload[2], dict):
        raise _bad("payload is not [type, uid, body]")
    kind, uid, body = payload
    if kind not in _DECODERS:
        raise _bad(f"unknown message type {kind}")
    if not isinstance(uid, str) or not uid:
        raise _bad("uid is not a non-empty string")
    fields = _Fields(body)
    message = _DECODERS[MessageType(kind)](fields, uid, packet.nsp)
    fields.check_all_read()
    return message


class _Fields:
    """Reads the fields of a message body, each checked, and refuses fields nobody read."""

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body
        self._read: set[str] = set()

    def has(self, key: str) -> bool:
        self._read.add(key)
        return key in self._body

    def get(self, key: str) -> Any:
        if not self.has(key):
            raise _bad(f"field {key!r} missing")
        return self._body[key]

    def check_all_read(self) -> None:
        unknown = self._body.keys() - self._read
        if unknown:
            raise _bad(f"unknown fields {sorted(unknown)}")

    def string(self, key: str) -> str:
        return _string(self.get(key), key)

    def count(self, key: str) -> int:
        value = self.get(key)
        if type(value) is not int or value < 0:
            raise _bad(f"{key!r} is not a non-negative integer")
        return value

    def optional_count(self, key: str) -> int | None:
        """A count that may be absent (but not ``null``: the encoder never writes one)."""
        return self.count(key) if self.has(key) else None

    def request_id(self) -> int:
        return self.count("requestId")

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if type(value) is not bool:
            raise _bad(f"{key!r} is not a boolean")
        return value

    def rooms(self, key: str) -> tuple[str, ...]:
        return _strings(self.get(key), key)

    def args(self) -> tuple[Any, ...]:
        value = self.get("packet")
        if not isinstance(value, list):
            raise _bad("'packet' is not a list")
        return tuple(value)

    def event(self) -> tuple[str, tuple[Any, ...]]:
        packet = self.args()
        if not packet or not isinstance(packet[0], str):
            raise _bad("'packet' does not start with an event name")
        if packet[0] in packets.RESERVED_EVENTS:
            raise _bad(f"{packet[0]!r} is a reserved event name")
        return packet[0], packet[1:]

    def options(self) -> BroadcastOptions:
        return _options(self.get("opts"))


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _bad(f"{what!r} is not a string")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad(f"{what!r} is not a list of strings")
    return tuple(value)


def _options(value: Any) -> BroadcastOptions:
    if not isinstance(value, dict):
        raise _bad("'opts' is not an object")
    fields = _Fields(value)
    rooms, except_rooms = fields.rooms("rooms"), fields.rooms("except")
    flag_values = fields.get("flags")
    if not isinstance(flag_values, dict):
        raise _bad("'flags' is not an object")
    flags = _Fields(flag_values)
    options = BroadcastOptions(
        rooms=frozenset(rooms),
        except_rooms=frozenset(except_rooms),
        volatile=flags.flag("volatile"),
        compress=flags.flag("compress"),
        local=flags.flag("local"),
    )
    fields.check_all_read()
    flags.check_all_read()
    return options


def _timeout(f: _Fields) -> float | None:
    if not f.has("timeout"):
        return None
    value = f.get("timeout")
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise _bad("'timeout' is not a non-negative number")
    return float(value)


def _decode_broadcast(f: _Fields, uid: str, nsp: str) -> Broadcast:
    event, args = f.event()
    request_id = f.optional_count("requestId")
    timeout = _timeout(f)
    if (request_id is None) != (timeout is None):
        raise _bad("'requestId' and 'timeout' go together")
    return Broadcast(
        uid=uid,
        nsp=nsp,
        options=f.options(),
        event=event,
        args=args,
        request_id=request_id,
        timeout=timeout,
    )


def _decode_join(f: _Fields, uid: str, nsp: str) -> SocketsJoin:
    return SocketsJoin(uid=uid, nsp=nsp, options=f.options(), rooms=f.rooms("rooms"))


def _decode_leave(f: _Fields, uid: str, nsp: str) -> SocketsLeave:
    return SocketsLeave(uid=uid, nsp=nsp, options=f.options(), rooms=f.rooms("rooms"))


def _decode_disconnect(f: _Fields, uid: str, nsp: str) -> DisconnectSockets:
    return DisconnectSockets(uid=uid, nsp=nsp, options=f.options(), close=f.flag("close"))


def _decode_fetch(f: _Fields, uid: str, nsp: str) -> FetchSockets:
    return FetchSockets(uid=uid, nsp=nsp, options=f.options(), request_id=f.request_id())


def _decode_server_side_emit(f: _Fields, uid: str, nsp: str) -> ServerSideEmit:
    event, args = f.event()
    request_id = f.optional_count("requestId")
    return ServerSideEmit(uid=uid, nsp=nsp, event=event, args=args, request_id=request_id)


def _decode_fetch_response(f: _Fields, uid: str, nsp: str) -> FetchSocketsResponse:
    sockets = f.get("sockets")
    if not isinstance(sockets, list):
        raise _bad("'sockets' is not a list")
    snapshots = tuple(_snapshot(item, nsp) for item in sockets)
    return FetchSocketsResponse(
        uid=uid, nsp=nsp, to=f.string("to"), request_id=f.request_id(), sockets=snapshots
    )


def _snapshot(value: Any, nsp: str) -> SocketSnapshot:
    if not isinstance(value, dict):
        raise _bad("a socket is not an object")
    fields = _Fields(value)
    snapshot = SocketSnapshot(
        id=fields.string("id"),
        nsp=nsp,
        handshake=_handshake(fields.get("handshake")),
        rooms=frozenset(fields.rooms("rooms")),
        data=fields.get("data"),
    )
    fields.check_all_read()
    return snapshot


def _handshake(value: Any) -> Handshake:
    if not isinstance(value, dict):
        raise _bad("'handshake' is not an object")
    f = _Fields(value)
    handshake = Handshake(
        headers=_string_map(f.get("headers"), "headers"),
        query=_string_map(f.get("query"), "query"),
        auth=_object(f.get("auth"), "auth"),
        time=f.string("time"),
        issued=_integer(f.get("issued"), "issued"),
        url=f.string("url"),
        address=f.string("address"),
        xdomain=f.flag("xdomain"),
        secure=f.flag("secure"),
    )
    f.check_all_read()
    return handshake


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{what!r} is not an object")
    return value


def _string_map(value: Any, what: str) -> dict[str, str]:
    if not all(isinstance(item, str) for item in _object(value, what).values()):
        raise _bad(f"{what!r} holds a value that is not a string")
    return dict(value)


def _integer(value: Any, what: str) -> int:
    if type(value) is not int:
        raise _bad(f"{what!r} is not an integer")
    return value


def _decode_emit_response(f: _Fields, uid: str, nsp: str) -> ServerSideEmitResponse:
    to, request_id = f.string("to"), f.request_id()
    return ServerSideEmitResponse(uid=uid, nsp=nsp, to=to, request_id=request_id, args=f.args())


def _decode_client_count(f: _Fields, uid: str, nsp: str) -> BroadcastClientCount:
    to, request_id = f.string("to"), f.request_id()
    count = f.count("clientCount")
    return BroadcastClientCount(uid=uid, nsp=nsp, to=to, request_id=request_id, count=count)


def _decode_broadcast_ack(f: _Fields, uid: str, nsp: str) -> BroadcastAck:
    to, request_id = f.string("to"), f.request_id()
    return BroadcastAck(uid=uid, nsp=nsp, to=to, request_id=request_id, args=f.args())


_DECODERS: dict[MessageType, Callable[[_Fields, str, str], ClusterMessage]] = {
    MessageType.BROADCAST: _decode_broadcast,
    MessageType.SOCKETS_JOIN: _decode_join,
    MessageType.SOCKETS_LEAVE: _decode_leave,
    MessageType.DISCONNECT_SOCKETS: _decode_disconnect,
    MessageType.FETCH_SOCKETS: _decode_fetch,
    MessageType.SERVER_SIDE_EMIT: _decode_server_side_emit,
    MessageType.FETCH_SOCKETS_RESPONSE: _decode_fetch_response,
    MessageType.SERVER_SIDE_EMIT_RESPONSE: _decode_emit_response,
    MessageType.BROADCAST_CLIENT_COUNT: _decode_client_count,
    MessageType.BROADCAST_ACK: _decode_broadcast_ack,
}
