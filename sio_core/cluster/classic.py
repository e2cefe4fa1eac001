"""The classic ``@socket.io/redis-adapter`` 8.x format, and ``@socket.io/redis-emitter``'s.

Theory of operation (``lib/index.ts`` of socket.io-redis-adapter 8.3.0, checked on the wire)
----------------------------------------------------------------------------------------------

A broadcast without acks is the msgpack array ``[uid, packet, opts]`` on the broadcast channel
(or the room's, for exactly one room; see :mod:`sio_core.cluster.channels`):

- ``packet`` is ``{type: 2, data: [event, ...args], nsp}``; bytes stay msgpack ``bin`` and the
  receiving node builds the Socket.IO packet (with attachments) itself. A missing ``nsp`` means
  ``/``;
- ``opts`` is ``{rooms, except, flags}``. Node's emitter writes ``{rooms, flags, except}`` and
  the uid ``"emitter"``; :meth:`ClassicCodec.encode` follows whichever the uid says.

Everything else is a request on the request channel, or a response on a response channel. Both
are JSON, except a broadcast with acks (type 7) and each client's ack (type 9), which are msgpack
so that bytes survive; a receiver tells them apart by the first byte. The request types:

===  ==================  ==========================================  =========================
 0   SOCKETS (legacy)    ``{uid, requestId, type, rooms}``           ``{requestId, sockets}``
 1   ALL_ROOMS           ``{uid, requestId, type}``                  ``{requestId, rooms}``
 2   REMOTE_JOIN         ``{uid, type, opts{rooms,except}, rooms}``  none
 3   REMOTE_LEAVE        as type 2                                   none
 4   REMOTE_DISCONNECT   ``{uid, type, opts, close}``                none
 5   REMOTE_FETCH        ``{uid, requestId, type, opts}``            ``{requestId, sockets}``
 6   SERVER_SIDE_EMIT    ``{uid, requestId?, type, data}``           ``{type, requestId, data}``
 7   BROADCAST (acks)    ``{uid, requestId, type, packet, opts}``    types 8 and 9
 8   client count        (a response)                                ``{type, requestId,
                                                                     clientCount}``
 9   client ack          (a response)                                ``{type, requestId,
                                                                     packet}``
===  ==================  ==========================================  =========================

The emitter sends types 2, 3 and 4 without a ``uid``. Responses to types 0, 1 and 5 carry no
``type`` either, and none carries a ``uid``: Node matches them to its pending request by
``requestId``. :meth:`ClassicCodec.decode` tells them apart by their fields instead: ``rooms``
is an :class:`AllRoomsResponse`, ``sockets`` of strings a :class:`FetchSocketIdsResponse`,
``sockets`` of maps (or none) a :class:`FetchSocketsResponse`. An empty legacy answer thus reads
as an empty fetch answer, which encodes to the same bytes.

JSON carries bytes as Node's ``JSON.stringify`` does, ``{"type": "Buffer", "data": [...]}``,
and leaves them so when reading, as Node does: a server-side emit with binary arguments reaches
Node's handlers that way too.

Node's legacy per-socket requests (types 2-4 naming one ``sid``, from adapters before 6.x)
are refused, as are heartbeats (this format has none).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, ClassVar

from sio_core.cluster import _fields
from sio_core.cluster._fields import Fields
from sio_core.cluster.channels import ClassicChannels, Publication, Subscriptions
from sio_core.cluster.errors import ClusterProtocolError
from sio_core.cluster.messages import (
    EMITTER_UID,
    RESPONSE_TYPES,
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
    Request,
    Response,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    SocketsJoin,
    SocketsLeave,
)
from sio_core.cluster.values import (
    DEFAULT_LIMITS,
    DecodeLimits,
    decode_payload,
    encode_json,
    encode_msgpack,
)
from sio_core.errors import LocalProtocolError

EVENT_PACKET_TYPES = (2, 5)
"""Socket.IO's EVENT and BINARY_EVENT: what a cluster packet may be (old emitters sent 5)."""


class RequestType(enum.IntEnum):
    """The classic format's request (and response) types, numbered as Node's ``RequestType``."""

    SOCKETS = 0
    ALL_ROOMS = 1
    REMOTE_JOIN = 2
    REMOTE_LEAVE = 3
    REMOTE_DISCONNECT = 4
    REMOTE_FETCH = 5
    SERVER_SIDE_EMIT = 6
    BROADCAST = 7
    BROADCAST_CLIENT_COUNT = 8
    BROADCAST_ACK = 9


class ClassicCodec:
    """Messages of one namespace to and from the classic format's channels.

    :param key: Node's ``key`` option, the channel prefix.
    :param publish_on_specific_response_channel: Node's option of that name: responses go to
        the requester's own channel (except a server-side emit's answer, as in Node).
    :param limits: the bounds of :meth:`decode`, and of the values :meth:`encode` accepts.
    """

    sharded: ClassVar[bool] = False
    """Published with ``PUBLISH``, received with ``SUBSCRIBE`` and ``PSUBSCRIBE``."""

    def __init__(
        self,
        nsp: str = "/",
        *,
        key: str = "socket.io",
        publish_on_specific_response_channel: bool = False,
        limits: DecodeLimits = DEFAULT_LIMITS,
    ) -> None:
        self.nsp = nsp
        self.channels = ClassicChannels(key, nsp)
        self.publish_on_specific_response_channel = publish_on_specific_response_channel
        self.limits = limits

    @property
    def count_channel(self) -> str:
        """The channel whose ``PUBSUB NUMSUB`` is the number of nodes: the request channel."""
        return self.channels.request

    def subscriptions(self, uid: str) -> Subscriptions:
        """What node ``uid`` listens to for this namespace."""
        return self.channels.subscriptions(uid)

    def owns(self, channel: str) -> bool:
        """Whether ``channel`` is one of this namespace's (a room's or a node's included)."""
        channels = self.channels
        if channel in (channels.request, channels.response):
            return True
        prefixed = channel.startswith((channels.broadcast, channels.response))
        return prefixed and channel.endswith("#")

    def room_filter(self, channel: str) -> str | None:
        """The room a broadcast ``channel`` is for: a node with no member in it drops the
        message undecoded, as Node does. ``None`` for every other channel."""
        return self.channels.room_of(channel)

    def room_channel(self, room: str, *, is_socket_id: bool) -> str | None:
        """Always ``None``: a classic node listens to every room channel by pattern."""
        return None

    def read(self, channel: str, payload: bytes) -> ClusterMessage:
        """:meth:`decode`, under the name both codecs share."""
        return self.decode(channel, payload)

    def decode(self, channel: str, payload: bytes) -> ClusterMessage:
        """The message ``payload`` carries, read according to the ``channel`` it came on.

        Nothing is filtered here: the caller drops its own messages (same ``uid``) and those
        of another namespace, as Node does.

        :raises ClusterProtocolError: malformed, or on none of this namespace's channels.
        """
        channels = self.channels
        if channel.startswith(channels.broadcast):
            return _decode_broadcast(decode_payload(payload, self.limits))
        if channel == channels.request:
            fields = Fields(decode_payload(payload, self.limits), "request")
            return _decode_request(fields, self.nsp)
        if channel.startswith(channels.response):
            fields = Fields(decode_payload(payload, self.limits), "response")
            return _decode_response(fields, self.nsp)
        raise ClusterProtocolError(f"channel {channel!r} is not one of namespace {self.nsp!r}")

    def encode(self, message: ClusterMessage, *, requester: str | None = None) -> Publication:
        """Where and how to publish ``message``.

        :param requester: for a response, the uid of the node that asked; needed only with
            ``publish_on_specific_response_channel``. A broadcast flagged ``local`` is encoded
            like any other: not publishing it is the caller's decision.
        :raises LocalProtocolError: the format cannot carry this message (heartbeats), or one
            of its values.
        """
        if isinstance(message, Broadcast) and message.request_id is None:
            return self._encode_broadcast(message)
        if isinstance(message, Broadcast | BroadcastAck):
            payload = encode_msgpack(_map_of(message), self.limits)
        else:
            payload = encode_json(_map_of(message), self.limits)
        return Publication(self._channel_of(message, requester), payload)

    def _encode_broadcast(self, message: Broadcast) -> Publication:
        selection = message.selection
        opts = _fields.write_selection(selection, flags_before_except=message.uid == EMITTER_UID)
        payload = encode_msgpack([message.uid, _packet(message), opts], self.limits)
        if len(selection.rooms) == 1:
            return Publication(self.channels.room(selection.rooms[0]), payload)
        return Publication(self.channels.broadcast, payload)

    def _channel_of(self, message: ClusterMessage, requester: str | None) -> str:
        if not isinstance(message, RESPONSE_TYPES):
            return self.channels.request
        if isinstance(message, ServerSideEmitResponse):
            return self.channels.response
        if not self.publish_on_specific_response_channel:
            return self.channels.response
        if requester is None:
            raise LocalProtocolError("a response on a specific channel needs the requester")
        return self.channels.response_for(requester)


# -- decoding ----------------------------------------------------------------------------


def _decode_broadcast(value: Any) -> Broadcast:
    if not isinstance(value, list) or len(value) != 3:
        raise ClusterProtocolError("broadcast is not [uid, packet, opts]")
    uid, packet, opts = value
    if not isinstance(uid, str):
        raise ClusterProtocolError("broadcast uid is not a string")
    nsp, event, args = _read_packet(Fields(packet, "broadcast.packet"))
    selection = _fields.read_selection(Fields(opts, "broadcast.opts"))
    return Broadcast(uid=uid, nsp=nsp, event=event, args=args, selection=selection)


def _read_packet(fields: Fields) -> tuple[str, str, tuple[Any, ...]]:
    """``{type, data, nsp}`` of a broadcast: its namespace (``/`` when absent), event, args."""
    if fields.value("type") not in EVENT_PACKET_TYPES:
        raise ClusterProtocolError("broadcast packet is not an EVENT")
    nsp = fields.optional_text("nsp") or "/"
    event, args = _fields.read_event(fields.value("data"), "packet.data")
    return nsp, event, args


def _request_type(fields: Fields) -> RequestType:
    number = fields.integer("type")
    try:
        return RequestType(number)
    except ValueError:
        raise ClusterProtocolError(f"unknown request type {number}") from None


def _decode_request(fields: Fields, nsp: str) -> Request:
    kind = _request_type(fields)
    if kind not in _REQUEST_READERS:
        raise ClusterProtocolError(f"request of type {kind} is a response")
    return _REQUEST_READERS[kind](fields, fields.optional_text("uid"), nsp)


def _read_opts(fields: Fields) -> Selection:
    if not fields.has("opts"):
        raise ClusterProtocolError("legacy per-socket request is not supported")
    return _fields.read_selection(fields.child("opts"))


def _socket_ids(fields: Fields, uid: str | None, nsp: str) -> Request:
    rooms = fields.texts("rooms", required=False)
    return FetchSocketIds(uid=uid, nsp=nsp, request_id=fields.text("requestId"), rooms=rooms)


def _all_rooms(fields: Fields, uid: str | None, nsp: str) -> Request:
    return AllRooms(uid=uid, nsp=nsp, request_id=fields.text("requestId"))


def _join(fields: Fields, uid: str | None, nsp: str) -> Request:
    selection = _read_opts(fields)
    return SocketsJoin(uid=uid, nsp=nsp, selection=selection, rooms=fields.texts("rooms"))


def _leave(fields: Fields, uid: str | None, nsp: str) -> Request:
    selection = _read_opts(fields)
    return SocketsLeave(uid=uid, nsp=nsp, selection=selection, rooms=fields.texts("rooms"))


def _disconnect(fields: Fields, uid: str | None, nsp: str) -> Request:
    close = fields.boolean("close", default=False)
    return DisconnectSockets(uid=uid, nsp=nsp, selection=_read_opts(fields), close=close)


def _fetch(fields: Fields, uid: str | None, nsp: str) -> Request:
    request_id = fields.text("requestId")
    return FetchSockets(uid=uid, nsp=nsp, selection=_read_opts(fields), request_id=request_id)


def _server_side_emit(fields: Fields, uid: str | None, nsp: str) -> Request:
    event, args = _fields.read_event(fields.value("data"), "request.data")
    request_id = fields.optional_text("requestId")
    return ServerSideEmit(uid=uid, nsp=nsp, event=event, args=args, request_id=request_id)


def _broadcast_with_acks(fields: Fields, uid: str | None, nsp: str) -> Request:
    _, event, args = _read_packet(fields.child("packet"))
    return Broadcast(
        uid=uid,
        nsp=nsp,
        event=event,
        args=args,
        selection=_fields.read_selection(fields.child("opts")),
        request_id=fields.text("requestId"),
    )


_REQUEST_READERS: dict[RequestType, Callable[[Fields, str | None, str], Request]] = {
    RequestType.SOCKETS: _socket_ids,
    RequestType.ALL_ROOMS: _all_rooms,
    RequestType.REMOTE_JOIN: _join,
    RequestType.REMOTE_LEAVE: _leave,
    RequestType.REMOTE_DISCONNECT: _disconnect,
    RequestType.REMOTE_FETCH: _fetch,
    RequestType.SERVER_SIDE_EMIT: _server_side_emit,
    RequestType.BROADCAST: _broadcast_with_acks,
}


def _decode_response(fields: Fields, nsp: str) -> Response:
    request_id = fields.text("requestId")
    if fields.has("type"):
        return _decode_typed_response(fields, nsp, request_id)
    if fields.has("rooms"):
        return AllRoomsResponse(
            uid=None, nsp=nsp, request_id=request_id, rooms=fields.texts("rooms")
        )
    if fields.has("sockets"):
        return _decode_sockets_response(fields.array("sockets"), nsp, request_id)
    raise ClusterProtocolError("response has no type, rooms or sockets (a legacy answer?)")


def _decode_typed_response(fields: Fields, nsp: str, request_id: str) -> Response:
    kind = _request_type(fields)
    if kind is RequestType.SERVER_SIDE_EMIT:
        arg = fields.value("data")
        return ServerSideEmitResponse(uid=None, nsp=nsp, request_id=request_id, arg=arg)
    if kind is RequestType.BROADCAST_CLIENT_COUNT:
        count = fields.integer("clientCount")
        if count < 0:
            raise ClusterProtocolError("response.clientCount is negative")
        return BroadcastClientCount(uid=None, nsp=nsp, request_id=request_id, client_count=count)
    if kind is RequestType.BROADCAST_ACK:
        arg = fields.value("packet")
        return BroadcastAck(uid=None, nsp=nsp, request_id=request_id, arg=arg)
    raise ClusterProtocolError(f"response of type {kind} is a request")


def _decode_sockets_response(
    sockets: list[Any], nsp: str, request_id: str
) -> FetchSocketIdsResponse | FetchSocketsResponse:
    if sockets and all(isinstance(item, str) for item in sockets):
        ids = tuple(sockets)
        return FetchSocketIdsResponse(uid=None, nsp=nsp, request_id=request_id, socket_ids=ids)
    found = _fields.read_sockets(sockets, "response.sockets")
    return FetchSocketsResponse(uid=None, nsp=nsp, request_id=request_id, sockets=found)


# -- encoding ----------------------------------------------------------------------------


def _packet(message: Broadcast) -> dict[str, Any]:
    return {"type": 2, "data": [message.event, *message.args], "nsp": message.nsp}


def _opts(message: SocketsJoin | SocketsLeave | DisconnectSockets | FetchSockets) -> Any:
    return _fields.write_selection(message.selection)


def _map_of(message: ClusterMessage) -> dict[str, Any]:
    """The JSON or msgpack map of every message but a broadcast without acks."""
    if isinstance(message, RESPONSE_TYPES):
        return _response_map(message)
    writer = _REQUEST_WRITERS.get(type(message))
    if writer is None:
        raise LocalProtocolError(f"the classic format has no {type(message).__name__} message")
    fields = writer(message)
    return fields if message.uid is None else {"uid": message.uid, **fields}


def _write_socket_ids(message: FetchSocketIds) -> dict[str, Any]:
    return {"requestId": message.request_id, "type": 0, "rooms": list(message.rooms)}


def _write_all_rooms(message: AllRooms) -> dict[str, Any]:
    return {"requestId": message.request_id, "type": 1}


def _write_join(message: SocketsJoin) -> dict[str, Any]:
    return {"type": 2, "opts": _opts(message), "rooms": list(message.rooms)}


def _write_leave(message: SocketsLeave) -> dict[str, Any]:
    return {"type": 3, "opts": _opts(message), "rooms": list(message.rooms)}


def _write_disconnect(message: DisconnectSockets) -> dict[str, Any]:
    return {"type": 4, "opts": _opts(message), "close": message.close}


def _write_fetch(message: FetchSockets) -> dict[str, Any]:
    return {"requestId": message.request_id, "type": 5, "opts": _opts(message)}


def _write_server_side_emit(message: ServerSideEmit) -> dict[str, Any]:
    data = [message.event, *message.args]
    if message.request_id is None:
        return {"type": 6, "data": data}
    return {"requestId": message.request_id, "type": 6, "data": data}


def _write_broadcast_with_acks(message: Broadcast) -> dict[str, Any]:
    opts = _fields.write_selection(message.selection)
    return {"requestId": message.request_id, "type": 7, "packet": _packet(message), "opts": opts}


_REQUEST_WRITERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    FetchSocketIds: _write_socket_ids,
    AllRooms: _write_all_rooms,
    SocketsJoin: _write_join,
    SocketsLeave: _write_leave,
    DisconnectSockets: _write_disconnect,
    FetchSockets: _write_fetch,
    ServerSideEmit: _write_server_side_emit,
    Broadcast: _write_broadcast_with_acks,
}


def _response_map(message: Response) -> dict[str, Any]:
    request_id = message.request_id
    if isinstance(message, FetchSocketsResponse):
        return {"requestId": request_id, "sockets": _fields.write_sockets(message.sockets)}
    if isinstance(message, FetchSocketIdsResponse):
        return {"requestId": request_id, "sockets": list(message.socket_ids)}
    if isinstance(message, AllRoomsResponse):
        return {"requestId": request_id, "rooms": list(message.rooms)}
    if isinstance(message, ServerSideEmitResponse):
        return {"type": 6, "requestId": request_id, "data": message.arg}
    if isinstance(message, BroadcastClientCount):
        return {"type": 8, "requestId": request_id, "clientCount": message.client_count}
    return {"type": 9, "requestId": request_id, "packet": message.arg}
