"""The msgpack parser: npm ``socket.io-msgpack-parser`` 3.0.x on the wire.

Theory of operation
-------------------

Node's ``new Server({ parser: require("socket.io-msgpack-parser") })`` is
``MsgpackParser()`` here (``sio_anyio.Server(parser="msgpack")``). The clients must use the same
parser; a server speaks one format to all of them.

Each packet is one binary Engine.IO message holding one msgpack map, written by notepack.io
2.2.0: ``{"type": 0-4, "data": ..., "nsp": "/...", "id": n}``. There are no attachments and no
BINARY_EVENT / BINARY_ACK: ``bytes`` travel inside the map as msgpack ``bin``.

What the real client and its decoder do (CLUSTER-WIRE.md §4, and the captures in
``tests/core/socketio/msgpack_captures.json``):

* it writes JavaScript's ``undefined`` as ``d4 00 00``, for instance the ``data`` of a CONNECT
  without auth; a typed array or an ArrayBuffer as ext type 0 (a Node ``Buffer`` as ``bin``);
  :mod:`~sio_core.socketio._notepack` reads both;
* every EVENT and ACK it sends carries an extra ``options: {compress: true}``, which is ignored;
* its decoder closes the connection ("parse error") on ``id: nil``, on a ``data`` key that
  DISCONNECT should not have, or on ``data: nil`` in any packet; so the encoder leaves out the
  keys whose value is ``None``, and writes the keys in the order Node's server writes them, so
  that its bytes are Node's.

Decoding is as strict as the JSON parser's: the packet rules are the same
(:func:`~sio_core.socketio.packets.packet_problem`), a map with another key, a missing ``type``
or ``nsp``, a ``nil`` where Node's decoder wants ``undefined``, or bytes that are not one
notepack value raise :class:`~sio_core.errors.RemoteProtocolError` with the reason ``forced
close``, as Node closes a connection whose packet does not decode. Decoding is bounded: the
message's size by the Engine.IO limit (``max_http_buffer_size``), the lengths it declares by its
size, and its nesting by :attr:`MsgpackParser.max_depth`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from sio_core.errors import DisconnectReason, LocalProtocolError, RemoteProtocolError
from sio_core.socketio._notepack import MalformedMsgpack, pack, unpack
from sio_core.socketio.packets import Packet, PacketType, packet_problem

DEFAULT_MAX_DEPTH: Final = 100
"""How deep one incoming packet may nest arrays and maps (the packet's own map is 1)."""

_KEYS: Final = frozenset({"type", "nsp", "data", "id", "options"})
_TYPES: Final = {int(kind): kind for kind in PacketType if kind <= PacketType.CONNECT_ERROR}
_KEY_ORDER: Final = {PacketType.ACK: ("id", "type", "data", "nsp")}
"""Node's server writes an ACK id first, every other packet as type, data, id, nsp."""
_DEFAULT_ORDER: Final = ("type", "data", "id", "nsp")


def encode(packet: Packet) -> bytes:
    """The one binary Engine.IO message that carries ``packet``.

    :raises LocalProtocolError: the packet breaks a protocol rule, or its data holds a value
        msgpack does not carry.
    """
    problem = packet_problem(packet)
    if problem is not None:
        raise LocalProtocolError(problem)
    fields = {"type": int(packet.type), "data": packet.data, "id": packet.id, "nsp": packet.nsp}
    order = _KEY_ORDER.get(packet.type, _DEFAULT_ORDER)
    return pack({key: fields[key] for key in order if fields[key] is not None})


def decode(message: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Packet:
    """The packet one binary message holds.

    :raises RemoteProtocolError: (reason ``forced close``) the message is not such a packet.
    """
    try:
        fields = unpack(message, max_depth=max_depth)
    except MalformedMsgpack as error:
        raise _remote(f"invalid msgpack: {error}") from None
    if not isinstance(fields, dict):
        raise _remote(f"a packet is a msgpack map, not {type(fields).__name__}")
    _check_keys(fields)
    kind, nsp = _packet_type(fields.get("type")), _namespace(fields.get("nsp"))
    packet = Packet(kind, nsp, fields.get("data"), fields.get("id"))
    problem = packet_problem(packet)
    if problem is not None:
        raise _remote(problem)
    return packet


def _check_keys(fields: dict[str, Any]) -> None:
    """Only the packet's keys, and ``nil`` for none of them: the client's decoder refuses a
    ``nil`` ``data`` or ``id``, where an absent key (or ``undefined``) means none."""
    unknown = fields.keys() - _KEYS
    if unknown:
        raise _remote(f"unknown packet key {min(unknown)!r}")
    for key in ("data", "id"):
        if key in fields and fields[key] is None:
            raise _remote(f"{key} is nil")


def _packet_type(kind: object) -> PacketType:
    if type(kind) is not int or kind not in _TYPES:
        raise _remote(f"invalid packet type {kind!r}")
    return _TYPES[kind]


def _namespace(nsp: object) -> str:
    if not isinstance(nsp, str):
        raise _remote("packet without a namespace" if nsp is None else f"namespace {nsp!r}")
    return nsp


def _remote(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, reason=DisconnectReason.FORCED_CLOSE)


@dataclasses.dataclass(frozen=True, slots=True)
class MsgpackDecoder:
    """Decodes the messages of one connection; each packet is one message, so it keeps no state.

    :param max_depth: see :attr:`MsgpackParser.max_depth`.
    """

    max_depth: int = DEFAULT_MAX_DEPTH

    def feed(self, message: str | bytes) -> Packet:
        """The packet ``message`` holds.

        :raises RemoteProtocolError: (reason ``forced close``) a text message, or see
            :func:`decode`.
        """
        if isinstance(message, str):
            raise _remote("text message: the msgpack parser reads binary messages only")
        return decode(message, max_depth=self.max_depth)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MsgpackParser:
    """The :class:`~sio_core.socketio.packets.Parser` of ``socket.io-msgpack-parser`` 3.0.x.

    :param max_depth: the deepest nesting of arrays and maps one incoming packet may have,
        counting the packet's own map; deeper closes the connection.
    """

    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        if self.max_depth < 2:
            raise ValueError("max_depth must be at least 2: the packet and its data")

    def encode(self, packet: Packet) -> list[str | bytes]:
        """See :func:`encode`."""
        return [encode(packet)]

    def decoder(self) -> MsgpackDecoder:
        """A decoder with this parser's depth limit."""
        return MsgpackDecoder(self.max_depth)
