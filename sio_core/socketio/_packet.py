"""Socket.IO packets and the rules they obey, whichever parser writes them: the packet types,
the packet, and the checks of namespace, ack id and payload that socket.io-parser makes (both
parsers apply them, in both directions). Public through :mod:`sio_core.socketio.packets`."""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any

from sio_core._quick import quick_init

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


@quick_init  # made for every event and ack, either way
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


BINARY_TYPES = frozenset({PacketType.BINARY_EVENT, PacketType.BINARY_ACK})
PLAIN_TYPE = {PacketType.BINARY_EVENT: PacketType.EVENT, PacketType.BINARY_ACK: PacketType.ACK}
BINARY_TYPE = {plain: binary for binary, plain in PLAIN_TYPE.items()}
TYPE_BY_CHAR = {str(int(kind)): kind for kind in PacketType}
CHAR_OF_TYPE = {kind: char for char, kind in TYPE_BY_CHAR.items()}
ACK_ID_TYPES = frozenset({PacketType.EVENT, PacketType.ACK, *BINARY_TYPES})
EVENT_TYPES = frozenset({PacketType.EVENT, PacketType.BINARY_EVENT})
ACK_TYPES = frozenset({PacketType.ACK, PacketType.BINARY_ACK})
# The type tests of every packet go through these sets: reading an enum's member costs four
# module globals on Python 3.11 (EnumType's __getattr__ slows every attribute of the class).
MAX_ACK_ID_DIGITS = len(str(MAX_ACK_ID))
MAX_COUNT_DIGITS = 6
ILLEGAL_NSP_CHARS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
SURROGATE = re.compile("[\ud800-\udfff]")
DIGITS = re.compile("[0-9]*")
PLACEHOLDER_KEYS = frozenset({"_placeholder", "num"})


# -- the rules both directions share ---------------------------------------------------------


def namespace_problem(nsp: object) -> str | None:
    """Why ``nsp`` cannot be a namespace on the wire, or ``None`` if it can."""
    if nsp == "/":  # most packets: no need for the search
        return None
    if not isinstance(nsp, str) or not nsp.startswith("/"):
        return f"namespace {nsp!r} does not start with '/'"
    if "," in nsp or ILLEGAL_NSP_CHARS.search(nsp):
        return f"namespace {nsp!r} contains an illegal character"
    return None


def ack_id_problem(kind: PacketType, ack_id: object) -> str | None:
    """Why ``ack_id`` cannot go with a packet of type ``kind``, or ``None`` if it can."""
    if ack_id is None:
        if kind in ACK_TYPES:
            return f"{kind.name} packet without an ack id"
        return None
    if kind not in ACK_ID_TYPES:
        return f"{kind.name} packet with an ack id"
    if type(ack_id) is not int or not 0 <= ack_id <= MAX_ACK_ID:
        return f"ack id {ack_id!r} is not an integer in [0, 2**53 - 1]"
    return None


def payload_problem(kind: PacketType, data: object) -> str | None:
    """Why ``data`` cannot be the payload of a ``kind`` packet (socket.io-parser's rules)."""
    if kind in EVENT_TYPES:  # most packets
        return event_payload_problem(data)
    if kind in ACK_TYPES:
        ok = isinstance(data, list)
    elif kind is PacketType.CONNECT:
        ok = data is None or isinstance(data, dict)
    elif kind is PacketType.DISCONNECT:
        ok = data is None
    else:  # CONNECT_ERROR
        ok = isinstance(data, (str, dict))
    return None if ok else f"invalid {kind.name} payload {describe(data)}"


def event_payload_problem(data: object) -> str | None:
    """An EVENT payload is a non-empty list led by its name: a non-reserved string or a number."""
    if not isinstance(data, list) or not data:
        return f"EVENT payload must be a non-empty list, not {describe(data)}"
    name = data[0]
    if isinstance(name, str):
        return f"{name!r} is a reserved event name" if name in RESERVED_EVENTS else None
    if isinstance(name, (int, float)) and not isinstance(name, bool):
        return None
    return f"event name must be a string or a number, not {describe(name)}"


def describe(value: object) -> str:
    return "nothing" if value is None else f"of type {type(value).__name__}"


def packet_problem(packet: Packet) -> str | None:
    """Why ``packet`` breaks a rule of the protocol, or ``None``: its namespace, its ack id and
    its payload, checked as socket.io-parser checks them (another parser applies them too)."""
    if packet.type in BINARY_TYPES:
        return f"encode {PLAIN_TYPE[packet.type].name}: the codec picks the binary form itself"
    return (
        namespace_problem(packet.nsp)
        or ack_id_problem(packet.type, packet.id)
        or payload_problem(packet.type, packet.data)
    )
