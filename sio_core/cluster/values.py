"""JSON and msgpack as Node's cluster adapters write them, with bounded decoding.

Theory of operation
-------------------

Node's adapters use two serialisations:

- ``JSON.stringify`` / ``JSON.parse``. Compact, non-ASCII left as is, ``NaN`` and infinities
  written as ``null``, keys whose value is ``undefined`` left out, and a ``Buffer`` written as
  ``{"type": "Buffer", "data": [bytes...]}`` (its ``toJSON``), which the reader does *not* turn
  back into bytes. :func:`encode_json` does the same.
- msgpack through notepack 3.0.x (CLUSTER-WIRE.md §4, checked on the wire): a ``Buffer`` is
  ``bin``, strings are ``str``, ``undefined`` is ``nil`` inside arrays and left out of maps,
  integral numbers use the smallest integer format and the others float64. The ``msgpack``
  package writes the same bytes for the same values (``use_bin_type``). notepack also reads three
  extension types: a Date (timestamp, type -1), decoded here into the string ``toJSON`` gives
  it, which is what a Node node would forward to a client; and its older ``undefined``
  (``d4 00 00``) and ArrayBuffer (ext type 0) spellings, read as ``None`` and bytes.

A receiver tells the two apart by the first byte: ``{`` (0x7b) is JSON (a msgpack map never
starts with it: 0x7b is the positive fixint 123).

Decoding is bounded, because anyone who can publish on the channels can send anything:

- the payload size is checked before parsing (:attr:`DecodeLimits.max_bytes`);
- container nesting is capped (:attr:`DecodeLimits.max_depth`), after parsing, by an iterative
  walk; deeper input that would exhaust the parsers' own stacks first fails there and is
  reported the same way;
- map keys must be strings, strings valid UTF-8, and numbers finite: a non-finite float
  (msgpack can carry one, Python's JSON reader turns ``1e400`` into one) becomes ``None``, as
  ``JSON.stringify`` would make it before any client sees it.

Every failure is a :class:`~sio_core.cluster.errors.ClusterProtocolError`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from typing import Any, Final

import msgpack

from sio_core.cluster.errors import ClusterProtocolError
from sio_core.errors import LocalProtocolError

JSON_FIRST_BYTE: Final = 0x7B
"""``{``: a payload starting with it is JSON, anything else msgpack."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DecodeLimits:
    """How much a node accepts in one message before refusing it unread.

    :param max_bytes: the largest payload. The default leaves room for a ``fetch_sockets``
        answer listing some ten thousand sockets (about 600 bytes each with their handshake).
    :param max_depth: the deepest nesting of arrays and maps, counting the message itself (a
        ``fetch_sockets`` answer needs 6 before the application's ``socket.data``). Also the
        deepest value a node agrees to encode, so that it never sends what it would refuse.
    """

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 32


DEFAULT_LIMITS: Final = DecodeLimits()


# -- decoding -------------------------------------------------------------------------------


def decode_payload(payload: bytes, limits: DecodeLimits) -> Any:
    """Parse ``payload`` as JSON when it starts with ``{``, as msgpack otherwise."""
    if len(payload) > limits.max_bytes:
        raise ClusterProtocolError(
            f"message of {len(payload)} bytes is over the limit of {limits.max_bytes}"
        )
    if not payload:
        raise ClusterProtocolError("empty message")
    if payload[0] == JSON_FIRST_BYTE:
        return decode_json(payload, limits)
    return decode_msgpack(payload, limits)


def decode_json(payload: bytes, limits: DecodeLimits) -> Any:
    """Parse JSON as ``JSON.parse`` would, refusing what it refuses (``NaN``, bad UTF-8)."""
    try:
        value = json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ClusterProtocolError("JSON nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, too many int digits
        raise ClusterProtocolError(f"invalid JSON: {error}") from None
    return _normalize(value, limits.max_depth)


def decode_msgpack(payload: bytes, limits: DecodeLimits) -> Any:
    """Parse one msgpack value, as notepack 3.0.x would, and nothing after it."""
    try:
        value = msgpack.unpackb(
            payload,
            raw=False,
            strict_map_key=True,
            ext_hook=_notepack_extension,
        )
    except ClusterProtocolError:
        raise
    except (ValueError, OverflowError, RecursionError) as error:
        # ExtraData, StackError, FormatError and UnicodeDecodeError are ValueErrors.
        raise ClusterProtocolError(f"invalid msgpack: {type(error).__name__} {error}") from None
    return _normalize(value, limits.max_depth)


def _refuse_constant(name: str) -> Any:
    raise ClusterProtocolError(f"invalid JSON: {name} is not a JSON value")


def _notepack_extension(code: int, data: bytes) -> Any:
    """notepack's own extension types: ``undefined`` and ArrayBuffer (both type 0)."""
    if code == 0 and data == b"\x00":
        return None
    if code == 0:
        return bytes(data)
    raise ClusterProtocolError(f"invalid msgpack: unknown extension type {code}")


def _normalize(root: Any, max_depth: int) -> Any:
    """Check depth and keys, and replace what Python got but JavaScript would not hold.

    Iterative, so that the depth check itself cannot exhaust the stack.
    """
    root = _scalar(root)
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, list):
            items: Any = enumerate(node)
        elif isinstance(node, dict):
            if not all(isinstance(key, str) for key in node):
                raise ClusterProtocolError("a map key is not a string")
            items = node.items()
        else:
            continue
        if depth > max_depth:
            raise ClusterProtocolError(f"nested deeper than {max_depth} levels")
        for key, item in list(items):
            if isinstance(item, list | dict):
                stack.append((item, depth + 1))
            else:
                node[key] = _scalar(item)
    return root


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, msgpack.Timestamp):
        return _js_date_json(value)
    return value


def _js_date_json(stamp: msgpack.Timestamp) -> str:
    """What ``Date.prototype.toJSON`` writes: ISO 8601 in UTC, to the millisecond."""
    millis = stamp.seconds * 1000 + stamp.nanoseconds // 1_000_000
    try:
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        moment += datetime.timedelta(milliseconds=millis)
    except OverflowError:
        raise ClusterProtocolError("invalid msgpack: timestamp out of range") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- encoding -------------------------------------------------------------------------------


def to_wire(value: Any, limits: DecodeLimits = DEFAULT_LIMITS) -> Any:
    """A copy of ``value`` in the types both serialisations write (lists, bytes, finite floats).

    Checking depth here also stops a value that contains itself.

    :raises LocalProtocolError: a type neither format carries, or nesting past the limit.
    """
    return _to_wire(value, limits.max_depth)


def encode_json(value: Any, limits: DecodeLimits = DEFAULT_LIMITS) -> bytes:
    """Write ``value`` as ``JSON.stringify`` does (bytes as Node's ``Buffer.toJSON``)."""
    return dump_json(to_wire(value, limits))


def encode_msgpack(value: Any, limits: DecodeLimits = DEFAULT_LIMITS) -> bytes:
    """Write ``value`` as notepack 3.0.x does."""
    return dump_msgpack(to_wire(value, limits))


def dump_json(wire: Any) -> bytes:
    """JSON of a value already through :func:`to_wire`."""
    options: dict[str, Any] = {"separators": (",", ":"), "allow_nan": False, "default": _buffer}
    text = json.dumps(wire, ensure_ascii=False, **options)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: JavaScript writes it escaped
        return json.dumps(wire, **options).encode("ascii")


def dump_msgpack(wire: Any) -> bytes:
    """msgpack of a value already through :func:`to_wire`."""
    try:
        packed: bytes = msgpack.packb(wire, use_bin_type=True)
    except (OverflowError, ValueError) as error:  # ints beyond 64 bits, lone surrogates
        raise LocalProtocolError(f"cannot encode for msgpack: {error}") from None
    return packed


def has_binary(wire: Any) -> bool:
    """Whether a value already through :func:`to_wire` holds bytes (socket.io's ``hasBinary``)."""
    if isinstance(wire, bytes):
        return True
    if isinstance(wire, list):
        return any(has_binary(item) for item in wire)
    if isinstance(wire, dict):
        return any(has_binary(item) for item in wire.values())
    return False


def _buffer(value: bytes) -> dict[str, Any]:
    """``JSON.stringify`` of a Node ``Buffer`` (its ``toJSON``): after :func:`to_wire`, bytes are
    the one type ``json`` needs help with."""
    return {"type": "Buffer", "data": list(value)}


def _to_wire(value: Any, depth_left: int) -> Any:
    if value is None or isinstance(value, bool | int | str | bytes):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if depth_left <= 0:
        raise LocalProtocolError("value nested too deeply for the cluster's decoding limit")
    if isinstance(value, list | tuple):
        return [_to_wire(item, depth_left - 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise LocalProtocolError("a map key is not a string")
        return {key: _to_wire(item, depth_left - 1) for key, item in value.items()}
    raise LocalProtocolError(f"cannot send a {type(value).__name__} to other nodes")
