"""The Engine.IO v4 packet and polling-payload codecs: pure functions, strict on input.

Wire format (engine.io-protocol, v4):

* a packet is its type digit followed by its data: ``4hello``, ``2probe``, ``6``;
* over WebSocket, each message is one packet; a binary message is the raw bytes of a
  ``message`` packet, with no type prefix;
* over HTTP long-polling, packets are joined by the record separator ``\\x1e``, and a binary
  ``message`` packet travels as ``b`` followed by its base64.

Anything that does not follow these rules raises :class:`~sio_core.errors.RemoteProtocolError`
with the reason ``parse error``, and nothing else.

The separator has no escape: a text packet that contains ``\\x1e`` cannot travel over long-polling
(the peer would split it into two packets), so :func:`encode_payload` refuses it with a
:class:`~sio_core.errors.LocalProtocolError` instead of corrupting the stream. It still travels
over WebSocket, where each message is one packet.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import functools
from collections.abc import Iterable

from sio_core._quick import quick_init
from sio_core.errors import LocalProtocolError, RemoteProtocolError

SEPARATOR = "\x1e"


class PacketType(enum.IntEnum):
    """The seven Engine.IO packet types, numbered as on the wire."""

    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


_TYPE_BY_CHAR = {str(int(kind)): kind for kind in PacketType}


@quick_init  # made for every message sent and read
@dataclasses.dataclass(frozen=True, slots=True)
class Packet:
    """One Engine.IO packet; only a ``MESSAGE`` may carry ``bytes``."""

    type: PacketType
    data: str | bytes = ""

    def __post_init__(self) -> None:
        if isinstance(self.data, bytes) and self.type is not PacketType.MESSAGE:
            raise ValueError(f"only message packets carry binary data, not {self.type.name}")


def encode_packet(packet: Packet) -> str | bytes:
    """Encode for one WebSocket message: text for a ``str`` payload, raw bytes for binary.

    A broadcast queues one payload object for many sessions; the cache makes their messages
    one object too, which lets a backend build the frame once for all of them. A long text is
    not cached: hashing it would cost more than the copy, and the cache would keep it alive.
    """
    if isinstance(packet.data, bytes):
        return packet.data
    if len(packet.data) > _CACHED_UP_TO:
        return _encode_text.__wrapped__(packet.type, packet.data)
    return _encode_text(packet.type, packet.data)


_CACHED_UP_TO = 1024


@functools.lru_cache(maxsize=128)
def _encode_text(kind: PacketType, data: str) -> str:
    return _TYPE_CHARS[kind] + data


_TYPE_CHARS = {kind: str(int(kind)) for kind in PacketType}


def packet_size(packet: Packet) -> int:
    """About how many bytes a packet takes in a polling payload, its separator included.

    Counted without encoding it: text in characters (exact for ASCII), binary as its base64.
    """
    if isinstance(packet.data, bytes):
        return 2 + 4 * ((len(packet.data) + 2) // 3)
    return 2 + len(packet.data)


def decode_packet(message: str | bytes) -> Packet:
    """Decode one WebSocket message: a binary message is a binary ``message`` packet."""
    if isinstance(message, bytes):
        return Packet(PacketType.MESSAGE, message)
    if not message:
        raise RemoteProtocolError("empty packet")
    kind = _TYPE_BY_CHAR.get(message[0])
    if kind is None:
        raise RemoteProtocolError(f"unknown packet type {message[0]!r}")
    return Packet(kind, message[1:])


def encode_payload(packets: Iterable[Packet]) -> str:
    """Encode packets for one long-polling HTTP body.

    :raises LocalProtocolError: a text packet contains the separator ``\\x1e``.
    """
    return SEPARATOR.join(_encode_for_polling(packet) for packet in packets)


def _encode_for_polling(packet: Packet) -> str:
    if isinstance(packet.data, bytes):
        return "b" + base64.b64encode(packet.data).decode("ascii")
    if SEPARATOR in packet.data:
        raise LocalProtocolError("a text packet containing \\x1e cannot be sent over long-polling")
    return _TYPE_CHARS[packet.type] + packet.data


def decode_payload(body: bytes | str) -> list[Packet]:
    """Decode one long-polling HTTP body (UTF-8 text) into its packets, in order."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RemoteProtocolError("payload is not valid UTF-8") from exc
    return [_decode_for_polling(chunk) for chunk in body.split(SEPARATOR)]


def _decode_for_polling(chunk: str) -> Packet:
    if chunk.startswith("b"):
        try:
            data = base64.b64decode(chunk[1:].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise RemoteProtocolError("invalid base64 in binary packet") from exc
        return Packet(PacketType.MESSAGE, data)
    return decode_packet(chunk)
