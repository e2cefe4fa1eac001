"""The Socket.IO v5 packet codec: pure encoding, a small stateful decoder, the parser seam.

Theory of operation (socket.io-protocol v5, "Packet encoding"; socket.io-parser for the checks)
-------------------------------------------------------------------------------------------

A packet travels as the data of one Engine.IO ``message`` packet::

    <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]

* the namespace is written only when it is not ``/``; it starts with ``/`` and ends at the
  first comma (or at the end of the message);
* the ack id is the run of ASCII digits right after it;
* the payload is compact JSON (``separators=(",", ":")``, non-ASCII kept as Node's
  ``JSON.stringify`` does).

A :class:`~collections.abc.Mapping` that is not a ``dict`` (``socket.handshake`` is one) goes
out as the JSON object of its items, as a JavaScript object goes out as its properties. A value
JSON cannot carry raises :class:`~sio_core.errors.EncodeError`, naming the argument it sits in.

Binary data (``bytes`` anywhere inside an EVENT or ACK payload) cannot go into JSON. The encoder
replaces each ``bytes`` with a placeholder ``{"_placeholder":true,"num":N}`` numbered in document
order, switches the type to BINARY_EVENT / BINARY_ACK, writes the attachment count before a
dash (``51-["ev",{"_placeholder":true,"num":0}]``) and sends each ``bytes`` as its own binary
Engine.IO message, right after the text one. The :class:`Decoder` reverses this: a text message
with attachments waits for exactly that many binary messages, then the placeholders are replaced
and an ordinary EVENT / ACK comes out. BINARY_EVENT and BINARY_ACK therefore exist only on the
wire: :func:`encode` refuses them and the decoder never returns them.

Strictness: everything the Node parser rejects is rejected, plus the quirks it tolerates by
accident (an empty message read as CONNECT, a space read as an ack id digit, an EVENT without
payload, which the spec itself forbids). Every violation raises
:class:`~sio_core.errors.RemoteProtocolError` with the reason ``forced close``, since that is
how Node ends a connection whose Socket.IO packet does not decode. The same payload rules guard
:func:`encode`, where a violation is the application's fault: :class:`LocalProtocolError`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from sio_core.errors import EncodeError, LocalProtocolError
from sio_core.socketio._json_decoder import Decoder
from sio_core.socketio._packet import (
    BINARY_TYPE,
    BINARY_TYPES,
    CHAR_OF_TYPE,
    DEFAULT_MAX_ATTACHMENTS,
    MAX_ACK_ID,
    RESERVED_EVENTS,
    SURROGATE,
    Packet,
    PacketType,
    packet_problem,
)

# -- encoding --------------------------------------------------------------------------------


_ACK, _BINARY_ACK = PacketType.ACK, PacketType.BINARY_ACK  # an enum's member is slow to read


def encode(packet: Packet) -> list[str | bytes]:
    """Encode ``packet`` as Engine.IO message payloads: the text first, then each attachment.

    An EVENT or ACK whose data holds ``bytes`` goes out as BINARY_EVENT / BINARY_ACK.

    :raises LocalProtocolError: the packet breaks a protocol rule or its data is not JSON.
    """
    if packet.type is _ACK and packet.nsp == "/":  # most packets sent to one socket
        messages = _common_ack(packet.data, packet.id)
        if messages is not None:
            return messages
    return _encode_any(packet)


def _common_ack(data: object, ack_id: object) -> list[str | bytes] | None:
    """The messages of an ACK to ``/`` whose arguments are plain JSON or ``bytes`` themselves
    (each then a placeholder and an attachment), without the general path's steps: its only
    rules are an ack id in range and a list. None for any other ACK (bytes deeper inside, a
    value to refuse), which :func:`_encode_any` then takes."""
    if type(data) is not list or type(ack_id) is not int or not 0 <= ack_id <= MAX_ACK_ID:
        return None
    attachments = [item for item in data if type(item) is bytes]
    try:
        payload = _dump_with_placeholders(data) if attachments else _dump_plain(data)
        payload = _escape_lone_surrogates(payload)
    except (TypeError, ValueError, RecursionError):
        return None
    kind = _BINARY_ACK if attachments else _ACK
    return [_header(kind, len(attachments), "/", ack_id) + payload, *attachments]


def _dump_with_placeholders(data: list[object]) -> str:
    """The JSON of a list whose ``bytes`` items become numbered placeholders, in order."""
    items, num = [], 0
    for item in data:
        if type(item) is bytes:
            items.append(f'{{"_placeholder":true,"num":{num}}}')
            num += 1
        else:
            items.append(_dump_item(item))
    return "[" + ",".join(items) + "]"


def _encode_any(packet: Packet) -> list[str | bytes]:
    problem = packet_problem(packet)
    if problem is not None:
        raise LocalProtocolError(problem)
    binary_allowed = packet.type in (PacketType.EVENT, PacketType.ACK)
    attachments: list[bytes] = []
    try:
        payload = (
            "" if packet.data is None else _dump_json(packet.data, attachments, binary_allowed)
        )
    except EncodeError as error:
        raise _located(packet, error) from error.__cause__
    kind = BINARY_TYPE[packet.type] if attachments else packet.type
    return [_header(kind, len(attachments), packet.nsp, packet.id) + payload, *attachments]


def _header(kind: PacketType, attachments: int, nsp: str, ack_id: int | None) -> str:
    if nsp == "/" and kind not in BINARY_TYPES:  # most packets
        return CHAR_OF_TYPE[kind] if ack_id is None else CHAR_OF_TYPE[kind] + str(ack_id)
    parts = [CHAR_OF_TYPE[kind]]
    if kind in BINARY_TYPES:
        parts.append(f"{attachments}-")
    if nsp != "/":
        parts.append(f"{nsp},")
    if ack_id is not None:
        parts.append(str(ack_id))
    return "".join(parts)


def _no_default(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _plain_json_encoder() -> Callable[[object], str]:
    """Compact JSON by the C encoder, made once (``JSONEncoder.encode`` makes one per call,
    which costs more than encoding a small event does). It does not check for cycles: a cyclic
    value ends in RecursionError, and the long way then names the problem."""
    make: Callable[..., Callable[[object, int], Sequence[str]]] | None
    make = getattr(json.encoder, "c_make_encoder", None)  # typeshed does not declare it
    if make is None:  # an interpreter without the C accelerator
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return encoder.encode
    chunks = make(None, _no_default, json.encoder.encode_basestring, None, ":", ",", *_FLAGS)
    return lambda value: "".join(chunks(value, 0))


_FLAGS = (False, False, False)  # sort_keys, skipkeys, allow_nan
_plain_json = _plain_json_encoder()

_LONG = 512
"""From this length on, a string is checked for what JSON escapes before the C encoder is
asked: the encoder's per-character loop takes 58 µs for 16 KiB, the check 14."""
_ESCAPED = bytes(range(0x20)) + b'"\\'


def _dump_plain(data: object) -> str:
    """:func:`_plain_json`, with each long string of a list that needs no escaping written as it
    is: most large payloads are one long string, an argument of an event or its ack."""
    if type(data) is list:
        for item in data:  # a loop, not any(): this runs for every packet sent
            if type(item) is str and len(item) >= _LONG:
                return "[" + ",".join([_dump_item(item) for item in data]) + "]"
    return _plain_json(data)


def _dump_item(item: object) -> str:
    if type(item) is str and len(item) >= _LONG and item.isascii():
        raw = item.encode("ascii")
        if len(raw.translate(None, _ESCAPED)) == len(raw):
            return '"' + item + '"'
    return _plain_json(item)


def _dump_json(data: object, attachments: list[bytes], binary_allowed: bool) -> str:
    """Compact JSON of ``data``, moving each bytes-like value into ``attachments``.

    The JSON encoder calls ``default`` for every value it cannot encode, in document order, so
    that hook both numbers the placeholders as Node does and rejects everything else. Most
    data is plain JSON, though: it is first tried without the hook, in one pass of the C encoder.
    """
    try:
        return _escape_lone_surrogates(_dump_plain(data))
    except (TypeError, ValueError, RecursionError):
        pass  # bytes to move out, a mapping to copy, or an error to name: the long way

    def extract(value: object) -> object:
        if binary_allowed and isinstance(value, (bytes, bytearray, memoryview)):
            attachments.append(bytes(value))
            return {"_placeholder": True, "num": len(attachments) - 1}
        if isinstance(value, Mapping):
            return dict(value)
        raise EncodeError(f"a value of type {type(value).__name__}")

    encoder = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=extract
    )
    try:
        text = encoder.encode(data)
    except EncodeError:
        raise
    except (TypeError, ValueError, RecursionError) as exc:
        raise EncodeError(str(exc) or type(exc).__name__) from exc
    return _escape_lone_surrogates(text)


def _located(packet: Packet, error: EncodeError) -> EncodeError:
    """``error`` with the argument that caused it named: ``cannot encode argument 2 of event
    'chat': a value of type Decimal``. Only called on failure, so each argument is encoded
    again on its own to find the first one that fails."""
    where = "the payload"
    if packet.type in (PacketType.EVENT, PacketType.ACK) and isinstance(packet.data, list):
        first = 1 if packet.type is PacketType.EVENT else 0
        of = f"event {packet.data[0]!r}" if first else "the acknowledgement"
        for position, value in enumerate(packet.data[first:], start=1):
            try:
                _dump_json(value, [], binary_allowed=True)
            except EncodeError:
                where = f"argument {position} of {of}"
                break
    return EncodeError(f"cannot encode {where}: {error.message}")


def _escape_lone_surrogates(text: str) -> str:
    """Escape lone surrogates as ``JSON.stringify`` does, so the text is valid UTF-8.

    A peer can send ``"\\ud800"`` in JSON; echoing it back raw would make the message
    unencodable to UTF-8 further down.
    """
    if text.isascii():
        return text
    return SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# -- the parser seam -------------------------------------------------------------------------


class PacketDecoder(Protocol):
    """The decoding half of a parser: one per connection, fed each Engine.IO message in order."""

    def feed(self, message: str | bytes) -> Packet | None:
        """Return the packet ``message`` completes, if any; raise RemoteProtocolError if bad."""
        ...


class Parser(Protocol):
    """How packets become Engine.IO messages and back (JSON by default; msgpack could plug in).

    A parser is configuration, shared by all connections: it holds no per-connection state,
    which lives in the decoders it makes.
    """

    def encode(self, packet: Packet) -> list[str | bytes]:
        """The Engine.IO messages that carry ``packet``, in order."""
        ...

    def decoder(self) -> PacketDecoder:
        """A fresh decoder for one connection."""
        ...


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class JsonParser:
    """The default parser: the text + attachments format of socket.io-parser.

    :param max_attachments: passed to each :class:`Decoder` it makes.
    """

    max_attachments: int = DEFAULT_MAX_ATTACHMENTS

    def __post_init__(self) -> None:
        if self.max_attachments < 0:
            raise ValueError("max_attachments must not be negative")

    def encode(self, packet: Packet) -> list[str | bytes]:
        """See :func:`encode`."""
        return encode(packet)

    def decoder(self) -> Decoder:
        """A :class:`Decoder` with this parser's attachment limit."""
        return Decoder(max_attachments=self.max_attachments)


__all__ = [
    "DEFAULT_MAX_ATTACHMENTS",
    "MAX_ACK_ID",
    "RESERVED_EVENTS",
    "Decoder",
    "JsonParser",
    "Packet",
    "PacketDecoder",
    "PacketType",
    "Parser",
    "encode",
    "packet_problem",
]
