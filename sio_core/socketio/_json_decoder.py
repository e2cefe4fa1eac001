"""Decoding the JSON parser's wire format: text messages, then their binary attachments (the
theory of operation is in :mod:`sio_core.socketio.packets`)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

from sio_core.errors import DisconnectReason, RemoteProtocolError
from sio_core.socketio._packet import (
    BINARY_TYPES,
    DEFAULT_MAX_ATTACHMENTS,
    DIGITS,
    MAX_ACK_ID,
    MAX_ACK_ID_DIGITS,
    MAX_COUNT_DIGITS,
    PLACEHOLDER_KEYS,
    PLAIN_TYPE,
    TYPE_BY_CHAR,
    Packet,
    PacketType,
    ack_id_problem,
    namespace_problem,
    payload_problem,
)


def _remote(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, reason=DisconnectReason.FORCED_CLOSE)


@dataclasses.dataclass(frozen=True, slots=True)
class _Header:
    kind: PacketType
    attachments: int
    nsp: str
    ack_id: int | None
    payload: str


# An EVENT or ACK to the main namespace, the header of most messages: read in one match.
_MAIN_NSP_EVENT_OR_ACK = re.compile(r"[23]([0-9]*)\[")


def _parse_header(text: str, max_attachments: int) -> _Header:
    """Split a text message into its header fields and its (still undecoded) JSON payload."""
    kind = TYPE_BY_CHAR.get(text[:1])
    if kind is None:
        raise _remote(f"unknown packet type {text[:1]!r}" if text else "empty packet")
    attachments, pos = 0, 1
    if kind in BINARY_TYPES:
        attachments, pos = _read_attachment_count(text, pos, max_attachments)
    nsp, pos = _read_namespace(text, pos)
    ack_id, pos = _read_ack_id(text, pos)
    return _Header(kind, attachments, nsp, ack_id, text[pos:])


def _read_attachment_count(text: str, pos: int, limit: int) -> tuple[int, int]:
    dash = text.find("-", pos)
    digits = text[pos:dash]
    if dash < 0 or not digits or DIGITS.fullmatch(digits) is None:
        raise _remote("illegal attachment count")
    if len(digits) > MAX_COUNT_DIGITS or int(digits) > limit:
        raise _remote(f"too many attachments: {digits} > {limit}")
    return int(digits), dash + 1


def _read_namespace(text: str, pos: int) -> tuple[str, int]:
    if not text.startswith("/", pos):
        return "/", pos
    comma = text.find(",", pos)
    end = len(text) if comma < 0 else comma
    nsp = text[pos:end]
    problem = namespace_problem(nsp)
    if problem is not None:
        raise _remote(problem)
    return nsp, end if comma < 0 else comma + 1


def _read_ack_id(text: str, pos: int) -> tuple[int | None, int]:
    match = DIGITS.match(text, pos)
    assert match is not None  # "[0-9]*" matches everywhere, if only the empty string
    return _ack_id(match.group()), match.end()


def _ack_id(digits: str) -> int | None:
    if not digits:
        return None
    if len(digits) > MAX_ACK_ID_DIGITS or int(digits) > MAX_ACK_ID:
        raise _remote(f"ack id {digits[:20]}... is out of range")
    return int(digits)


def _finite_float(text: str) -> float:
    """Parse a JSON number, refusing those that overflow to infinity (``1e400``)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _refuse_constant(name: str) -> object:
    """Refuse ``NaN`` and ``Infinity``, which Python's JSON accepts and JSON does not."""
    raise ValueError(f"{name} is not JSON")


_JSON = json.JSONDecoder(parse_float=_finite_float, parse_constant=_refuse_constant)

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
    if placeholder.keys() != PLACEHOLDER_KEYS or type(num) is not int:
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
        kind = PLAIN_TYPE[self.header.kind]
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
        self._json = _JSON  # stateless: one for every connection
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
        common = _MAIN_NSP_EVENT_OR_ACK.match(text)
        if common is not None:
            return self._main_event_or_ack(text, common)
        return self._feed_header(_parse_header(text, self._max_attachments))

    def _feed_header(self, header: _Header) -> Packet | None:
        """Any text message, its header read: the payload decoded and checked."""
        data = self._parse_json(header.payload) if header.payload else None
        if data is None and header.payload:
            # ``null`` is a payload, not its absence, and no packet type accepts it (as in Node).
            raise _remote(f"invalid {header.kind.name} payload null")
        problem = ack_id_problem(header.kind, header.ack_id) or payload_problem(header.kind, data)
        if problem is not None:
            raise _remote(problem)
        if header.kind not in BINARY_TYPES:
            return Packet(header.kind, header.nsp, data, header.ack_id)
        reassembly = _Reassembly(header, data, _find_placeholders(data, header.attachments))
        if header.attachments == 0:
            return reassembly.packet()
        self._pending = reassembly
        return None

    def _main_event_or_ack(self, text: str, header: re.Match[str]) -> Packet:
        """Most messages: an EVENT or ACK to ``/`` with no attachment, its header read by one
        match, its checks those the general path would make of it, in the same order."""
        kind = TYPE_BY_CHAR[text[0]]
        ack_id = _ack_id(header[1])
        data = self._parse_json(text[header.end() - 1 :])
        problem = ack_id_problem(kind, ack_id) or payload_problem(kind, data)
        if problem is not None:
            raise _remote(problem)
        return Packet(kind, "/", data, ack_id)

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
