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
import enum
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Protocol

from sio_core.errors import DisconnectReason, EncodeError, LocalProtocolError, RemoteProtocolError

RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
"""Event names with a meaning of their own on either side; no EVENT packet may carry them."""

DEFAULT_MAX_ATTACHMENTS = 10
"""How many binary attachments one incoming packet may announce, unless told otherwise."""

MAX_ACK_ID = 2**53 - 1
"""JavaScript's ``Number.MAX_SAFE_INTEGER``: a larger ack id would not survive a JS peer."""


class PacketType(enum.IntEnum):
    """The seven Socket.IO packet types, numbered as on the wire."""

    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


@dataclasses.dataclass(frozen=True, slots=True)
class Packet:
    """One Socket.IO packet; binary payloads are ``bytes`` anywhere inside ``data``.

    :param nsp: the namespace, ``/`` for the main one.
    :param data: the decoded JSON payload (``None`` when the packet has none).
    :param id: the ack id of an EVENT that wants an answer, or of the ACK that answers it.
    """

    type: PacketType
    nsp: str = "/"
    data: Any = None
    id: int | None = None


_BINARY_TYPES = frozenset({PacketType.BINARY_EVENT, PacketType.BINARY_ACK})
_PLAIN_TYPE = {PacketType.BINARY_EVENT: PacketType.EVENT, PacketType.BINARY_ACK: PacketType.ACK}
_BINARY_TYPE = {plain: binary for binary, plain in _PLAIN_TYPE.items()}
_TYPE_BY_CHAR = {str(int(kind)): kind for kind in PacketType}
_ACK_ID_TYPES = frozenset({PacketType.EVENT, PacketType.ACK, *_BINARY_TYPES})
_MAX_ACK_ID_DIGITS = len(str(MAX_ACK_ID))
_MAX_COUNT_DIGITS = 6
_ILLEGAL_NSP_CHARS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DIGITS = re.compile("[0-9]*")
_PLACEHOLDER_KEYS = frozenset({"_placeholder", "num"})


# -- the rules both directions share ---------------------------------------------------------


def _namespace_problem(nsp: object) -> str | None:
    """Why ``nsp`` cannot be a namespace on the wire, or ``None`` if it can."""
    if not isinstance(nsp, str) or not nsp.startswith("/"):
        return f"namespace {nsp!r} does not start with '/'"
    if "," in nsp or _ILLEGAL_NSP_CHARS.search(nsp):
        return f"namespace {nsp!r} contains an illegal character"
    return None


def _ack_id_problem(kind: PacketType, ack_id: object) -> str | None:
    """Why ``ack_id`` cannot go with a packet of type ``kind``, or ``None`` if it can."""
    if ack_id is None:
        if kind in (PacketType.ACK, PacketType.BINARY_ACK):
            return f"{kind.name} packet without an ack id"
        return None
    if kind not in _ACK_ID_TYPES:
        return f"{kind.name} packet with an ack id"
    if type(ack_id) is not int or not 0 <= ack_id <= MAX_ACK_ID:
        return f"ack id {ack_id!r} is not an integer in [0, 2**53 - 1]"
    return None


def _payload_problem(kind: PacketType, data: object) -> str | None:
    """Why ``data`` cannot be the payload of a ``kind`` packet (socket.io-parser's rules)."""
    if kind is PacketType.CONNECT:
        ok = data is None or isinstance(data, dict)
    elif kind is PacketType.DISCONNECT:
        ok = data is None
    elif kind is PacketType.CONNECT_ERROR:
        ok = isinstance(data, (str, dict))
    elif kind in (PacketType.EVENT, PacketType.BINARY_EVENT):
        return _event_payload_problem(data)
    else:
        ok = isinstance(data, list)
    return None if ok else f"invalid {kind.name} payload {_describe(data)}"


def _event_payload_problem(data: object) -> str | None:
    """An EVENT payload is a non-empty list led by its name: a non-reserved string or a number."""
    if not isinstance(data, list) or not data:
        return f"EVENT payload must be a non-empty list, not {_describe(data)}"
    name = data[0]
    if isinstance(name, str):
        return f"{name!r} is a reserved event name" if name in RESERVED_EVENTS else None
    if isinstance(name, (int, float)) and not isinstance(name, bool):
        return None
    return f"event name must be a string or a number, not {_describe(name)}"


def _describe(value: object) -> str:
    return "nothing" if value is None else f"of type {type(value).__name__}"


# -- encoding --------------------------------------------------------------------------------


def encode(packet: Packet) -> list[str | bytes]:
    """Encode ``packet`` as Engine.IO message payloads: the text first, then each attachment.

    An EVENT or ACK whose data holds ``bytes`` goes out as BINARY_EVENT / BINARY_ACK.

    :raises LocalProtocolError: the packet breaks a protocol rule or its data is not JSON.
    """
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
    kind = _BINARY_TYPE[packet.type] if attachments else packet.type
    return [_header(kind, len(attachments), packet.nsp, packet.id) + payload, *attachments]


def packet_problem(packet: Packet) -> str | None:
    """Why ``packet`` breaks a rule of the protocol, or ``None``: its namespace, its ack id and
    its payload, checked as socket.io-parser checks them (another parser applies them too)."""
    if packet.type in _BINARY_TYPES:
        return f"encode {_PLAIN_TYPE[packet.type].name}: the codec picks the binary form itself"
    return (
        _namespace_problem(packet.nsp)
        or _ack_id_problem(packet.type, packet.id)
        or _payload_problem(packet.type, packet.data)
    )


def _header(kind: PacketType, attachments: int, nsp: str, ack_id: int | None) -> str:
    parts = [str(int(kind))]
    if kind in _BINARY_TYPES:
        parts.append(f"{attachments}-")
    if nsp != "/":
        parts.append(f"{nsp},")
    if ack_id is not None:
        parts.append(str(ack_id))
    return "".join(parts)


def _dump_json(data: object, attachments: list[bytes], binary_allowed: bool) -> str:
    """Compact JSON of ``data``, moving each bytes-like value into ``attachments``.

    The JSON encoder calls ``default`` for every value it cannot encode, in document order, so
    that hook both numbers the placeholders as Node does and rejects everything else.
    """

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
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# -- decoding --------------------------------------------------------------------------------


def _remote(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, reason=DisconnectReason.FORCED_CLOSE)


@dataclasses.dataclass(frozen=True, slots=True)
class _Header:
    kind: PacketType
    attachments: int
    nsp: str
    ack_id: int | None
    payload: str


def _parse_header(text: str, max_attachments: int) -> _Header:
    """Split a text message into its header fields and its (still undecoded) JSON payload."""
    kind = _TYPE_BY_CHAR.get(text[:1])
    if kind is None:
        raise _remote(f"unknown packet type {text[:1]!r}" if text else "empty packet")
    attachments, pos = 0, 1
    if kind in _BINARY_TYPES:
        attachments, pos = _read_attachment_count(text, pos, max_attachments)
    nsp, pos = _read_namespace(text, pos)
    ack_id, pos = _read_ack_id(text, pos)
    return _Header(kind, attachments, nsp, ack_id, text[pos:])


def _read_attachment_count(text: str, pos: int, limit: int) -> tuple[int, int]:
    dash = text.find("-", pos)
    digits = text[pos:dash]
    if dash < 0 or not digits or _DIGITS.fullmatch(digits) is None:
        raise _remote("illegal attachment count")
    if len(digits) > _MAX_COUNT_DIGITS or int(digits) > limit:
        raise _remote(f"too many attachments: {digits} > {limit}")
    return int(digits), dash + 1


def _read_namespace(text: str, pos: int) -> tuple[str, int]:
    if not text.startswith("/", pos):
        return "/", pos
    comma = text.find(",", pos)
    end = len(text) if comma < 0 else comma
    nsp = text[pos:end]
    problem = _namespace_problem(nsp)
    if problem is not None:
        raise _remote(problem)
    return nsp, end if comma < 0 else comma + 1


def _read_ack_id(text: str, pos: int) -> tuple[int | None, int]:
    match = _DIGITS.match(text, pos)
    assert match is not None  # "[0-9]*" matches everywhere, if only the empty string
    digits = match.group()
    if not digits:
        return None, pos
    if len(digits) > _MAX_ACK_ID_DIGITS or int(digits) > MAX_ACK_ID:
        raise _remote(f"ack id {digits[:20]}... is out of range")
    return int(digits), match.end()


def _finite_float(text: str) -> float:
    """Parse a JSON number, refusing those that overflow to infinity (``1e400``)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _refuse_constant(name: str) -> object:
    """Refuse ``NaN`` and ``Infinity``, which Python's JSON accepts and JSON does not."""
    raise ValueError(f"{name} is not JSON")


_Slot = tuple[Any, Any, int]
"""Where a placeholder sits: (list or dict holding it, index or key, attachment number)."""


def _find_placeholders(data: Any, count: int) -> list[_Slot]:
    """Locate the placeholders of a binary packet; together they must use every attachment.

    Node's encoder may reference one attachment twice (a shared object), never skip one.
    Iterative, so that the nesting depth the JSON decoder allowed cannot overflow the stack.
    """
    slots: list[_Slot] = []
    stack = [data]
    while stack:
        container = stack.pop()
        items = enumerate(container) if isinstance(container, list) else container.items()
        for key, value in items:
            if isinstance(value, dict) and value.get("_placeholder") is True:
                slots.append((container, key, _placeholder_num(value, count)))
            elif isinstance(value, (list, dict)):
                stack.append(value)
    if {num for _, _, num in slots} != set(range(count)):
        raise _remote(f"attachment count mismatch: {count} announced, {len(slots)} placeholders")
    return slots


def _placeholder_num(placeholder: dict[str, Any], count: int) -> int:
    num = placeholder.get("num")
    if placeholder.keys() != _PLACEHOLDER_KEYS or type(num) is not int:
        raise _remote(f"malformed placeholder {placeholder!r}")
    if not 0 <= num < count:
        raise _remote(f"placeholder num {num} out of range for {count} attachments")
    return num


@dataclasses.dataclass(slots=True)
class _Reassembly:
    """A binary packet whose text has arrived, waiting for its attachments."""

    header: _Header
    data: Any
    slots: list[_Slot]
    buffers: list[bytes] = dataclasses.field(default_factory=list)

    def packet(self) -> Packet:
        for container, key, num in self.slots:
            container[key] = self.buffers[num]
        kind = _PLAIN_TYPE[self.header.kind]
        return Packet(kind, self.header.nsp, self.data, self.header.ack_id)


class Decoder:
    """Turns the Engine.IO messages of one connection back into Socket.IO packets.

    Stateful only because of binary attachments: a text message announcing ``N`` attachments is
    followed by ``N`` binary messages. After any error the decoder is back to its idle state,
    but the connection is meant to be closed anyway.

    :param max_attachments: the most attachments one packet may announce; more is an error,
        so a peer cannot make the server buffer an unbounded number of binary messages.
    """

    __slots__ = ("_json", "_max_attachments", "_pending")

    def __init__(self, *, max_attachments: int = DEFAULT_MAX_ATTACHMENTS) -> None:
        if max_attachments < 0:
            raise ValueError("max_attachments must not be negative")
        self._max_attachments = max_attachments
        self._json = json.JSONDecoder(parse_float=_finite_float, parse_constant=_refuse_constant)
        self._pending: _Reassembly | None = None

    @property
    def awaiting_attachments(self) -> int:
        """How many binary messages the packet being reassembled still needs (0 when idle)."""
        pending = self._pending
        return 0 if pending is None else pending.header.attachments - len(pending.buffers)

    def feed(self, message: str | bytes) -> Packet | None:
        """Take one Engine.IO message; return the packet it completes, if any.

        :raises RemoteProtocolError: (reason ``forced close``) the message breaks the protocol.
        """
        try:
            if isinstance(message, str):
                return self._feed_text(message)
            return self._feed_binary(bytes(message))
        except RemoteProtocolError:
            self._pending = None
            raise

    def _feed_text(self, text: str) -> Packet | None:
        if self._pending is not None:
            raise _remote(f"text message while {self.awaiting_attachments} attachments pending")
        header = _parse_header(text, self._max_attachments)
        data = self._parse_json(header.payload) if header.payload else None
        if data is None and header.payload:
            # ``null`` is a payload, not its absence, and no packet type accepts it (as in Node).
            raise _remote(f"invalid {header.kind.name} payload null")
        problem = _ack_id_problem(header.kind, header.ack_id) or _payload_problem(
            header.kind, data
        )
        if problem is not None:
            raise _remote(problem)
        if header.kind not in _BINARY_TYPES:
            return Packet(header.kind, header.nsp, data, header.ack_id)
        reassembly = _Reassembly(header, data, _find_placeholders(data, header.attachments))
        if header.attachments == 0:
            return reassembly.packet()
        self._pending = reassembly
        return None

    def _feed_binary(self, data: bytes) -> Packet | None:
        pending = self._pending
        if pending is None:
            raise _remote("binary message while no attachment is expected")
        pending.buffers.append(data)
        if len(pending.buffers) < pending.header.attachments:
            return None
        self._pending = None
        return pending.packet()

    def _parse_json(self, text: str) -> Any:
        """Exactly one JSON value filling ``text``: no whitespace around it, nothing after."""
        try:
            value, end = self._json.raw_decode(text)
        except (ValueError, RecursionError) as exc:
            raise _remote(f"invalid JSON payload: {exc}") from None
        if end != len(text):
            raise _remote(f"trailing data after the JSON payload at {end}")
        return value


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
