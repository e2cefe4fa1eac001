"""msgpack as notepack.io 2.2 writes it: a writer, and an exact, bounded reader.

``socket.io-msgpack-parser`` 3.0.x, the parser of :mod:`sio_core.socketio.msgpack_parser`,
encodes with notepack.io 2.2.0 (CLUSTER-WIRE.md §4). The cluster codecs read notepack 3 with the
``msgpack`` package's own reader (:mod:`sio_core.cluster.values`); that reader does not fit here,
for the reason below, and the cluster package imports nothing outside itself.

Writing: what the ``msgpack`` package writes with ``use_bin_type`` is what notepack writes for
the same values (``bytes`` become ``bin``, integers take the smallest format, other numbers
float64), so :func:`pack` only turns its refusals into :class:`LocalProtocolError`.

Reading (:func:`unpack`): notepack 2.2 has three extension spellings of type 0 that the
``msgpack`` package cannot tell apart (its ``ext_hook`` sees the type and the data, not the
format byte that carries them):

- ``d4 00 xx`` (fixext 1, type 0) is JavaScript's ``undefined``;
- ``c7``/``c8``/``c9`` (ext 8/16/32) with type 0 is an ArrayBuffer or a typed array's buffer, so
  ``c7 01 00 00`` is a one-byte buffer holding 0, not ``undefined``;
- ``d7 00`` (fixext 8, type 0) is a Date, in milliseconds, so ``c7 08 00 ...`` is an eight-byte
  buffer (a ``Float64Array`` of one) and not a Date.

So the reader here walks the format itself. Buffers come back as ``bytes``. ``undefined``
becomes ``None`` in an array and removes its key from a map, which is what ``JSON.stringify``
makes of it, so a packet reads the same through either parser; a Date becomes the string
``Date.prototype.toJSON`` gives it, for the same reason. Everything else is refused: the other
extension types (notepack 2.2 writes none), map keys that are not strings, invalid UTF-8.

The reader is bounded: every length a message declares is checked against the bytes left
before anything is built, so a message cannot make it allocate more than a small multiple of its
own size, and containers nest at most ``max_depth`` deep. Every refusal is a
:class:`MalformedMsgpack`, which the parser turns into its protocol error.
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import Callable
from typing import Any, Final

import msgpack

from sio_core.errors import LocalProtocolError


class MalformedMsgpack(ValueError):
    """The bytes are not one msgpack value that notepack 2.2 writes, within the limits."""


# -- writing --------------------------------------------------------------------------------


def pack(value: Any) -> bytes:
    """``value`` in msgpack, as notepack writes it.

    :raises LocalProtocolError: a type msgpack does not carry, an integer beyond 64 bits, a lone
        surrogate, or a value that contains itself.
    """
    try:
        packed: bytes = msgpack.packb(value, use_bin_type=True)
    except (TypeError, OverflowError, ValueError) as error:
        raise LocalProtocolError(f"cannot encode for msgpack: {error}") from None
    return packed


# -- reading --------------------------------------------------------------------------------


def unpack(data: bytes, *, max_depth: int) -> Any:
    """The one value ``data`` holds, read as notepack 2.2 reads it (see the module's docstring).

    :raises MalformedMsgpack: truncated, trailing or unknown bytes, a refused value, or
        containers nested deeper than ``max_depth``.
    """
    reader = _Reader(data, max_depth)
    try:
        value = reader.value(0)
    except RecursionError:  # only if max_depth is set past what the stack holds
        raise MalformedMsgpack("nested too deeply for the stack") from None
    if reader.pos != len(data):
        raise MalformedMsgpack(f"{len(data) - reader.pos} bytes after the value")
    return None if value is _UNDEFINED else value


def js_date_json(millis: int) -> str:
    """What ``Date.prototype.toJSON`` writes for ``millis`` since the epoch: ISO 8601, UTC.

    :raises OverflowError: a date past the years 1 to 9999.
    """
    moment = _EPOCH + datetime.timedelta(milliseconds=millis)
    return moment.isoformat(timespec="milliseconds") + "Z"


_EPOCH: Final = datetime.datetime(1970, 1, 1)
"""Naive, read as UTC: ``isoformat`` then writes no offset, and the ``Z`` says UTC."""
_UNDEFINED: Final = object()
"""What ``d4 00 xx`` reads as inside the reader, until its container decides what it means."""


class _Reader:
    """A cursor over one message; :meth:`value` reads the value at the cursor, recursively."""

    __slots__ = ("data", "max_depth", "pos")

    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.max_depth = max_depth
        self.pos = 0

    def value(self, depth: int) -> Any:
        """The value at the cursor; ``depth`` containers enclose it."""
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise MalformedMsgpack("truncated: a value is missing")
        marker = data[pos]
        self.pos = pos + 1
        if marker <= 0x7F:
            return marker
        if marker >= 0xE0:
            return marker - 0x100
        if marker <= 0x8F:
            return self.read_map(marker & 0x0F, depth)
        if marker <= 0x9F:
            return self.read_array(marker & 0x0F, depth)
        if marker <= 0xBF:  # fixstr, the most common value of all (every key): inlined
            end = pos + 1 + (marker & 0x1F)
            if end <= len(data):
                self.pos = end
                return _utf8(data[pos + 1 : end])
            return self.read_str(marker & 0x1F, depth)  # to fail as any truncated string does
        if marker in _CONSTANTS:
            return _CONSTANTS[marker]
        number = _NUMBERS.get(marker)
        if number is not None:
            return number.unpack(self.take(number.size))[0]
        sized = _SIZED.get(marker)
        if sized is not None:
            length, read = sized
            return read(self, length.unpack(self.take(length.size))[0], depth)
        size = _FIXEXT_SIZES.get(marker)
        if size is not None:
            return self.read_fixext(size)
        raise MalformedMsgpack(f"unknown format byte 0x{marker:02x}")

    def take(self, count: int) -> bytes:
        """The next ``count`` bytes, which must be there."""
        start, end = self.pos, self.pos + count
        if end > len(self.data):
            raise MalformedMsgpack(
                f"truncated: {count} bytes declared, {len(self.data) - start} left"
            )
        self.pos = end
        return self.data[start:end]

    def open(self, items: int, depth: int) -> None:
        """Enter a container of ``items`` values (keys included) enclosed in ``depth`` others.

        Each value takes at least a byte: a count the rest of the message cannot hold is refused
        before anything is built.
        """
        if depth >= self.max_depth:
            raise MalformedMsgpack(f"containers nested deeper than {self.max_depth}")
        if items > len(self.data) - self.pos:
            raise MalformedMsgpack(f"truncated: {items} items declared")

    def read_array(self, count: int, depth: int) -> list[Any]:
        self.open(count, depth)
        items = [self.value(depth + 1) for _ in range(count)]
        if _UNDEFINED in items:
            return [None if item is _UNDEFINED else item for item in items]
        return items

    def read_map(self, count: int, depth: int) -> dict[str, Any]:
        self.open(2 * count, depth)
        result: dict[str, Any] = {}
        for _ in range(count):
            key = self.value(depth + 1)
            if type(key) is not str:
                raise MalformedMsgpack(f"map key of type {type(key).__name__}, not a string")
            item = self.value(depth + 1)
            if item is _UNDEFINED:  # as JSON.stringify leaves such a key out
                result.pop(key, None)
            else:
                result[key] = item
        return result

    def read_str(self, length: int, depth: int) -> str:
        return _utf8(self.take(length))

    def read_bin(self, length: int, depth: int) -> bytes:
        return self.take(length)

    def read_ext(self, length: int, depth: int) -> bytes:
        """ext 8/16/32: notepack writes only type 0, an ArrayBuffer."""
        kind = self.take(1)[0]
        data = self.take(length)
        if kind != 0:
            raise MalformedMsgpack(f"unknown extension type {_signed(kind)}")
        return data

    def read_fixext(self, size: int) -> Any:
        """fixext 1 type 0 is ``undefined``, fixext 8 type 0 a Date; notepack writes no other."""
        kind = self.take(1)[0]
        data = self.take(size)
        if kind == 0 and size == 1:
            return _UNDEFINED
        if kind == 0 and size == 8:
            try:
                return js_date_json(int.from_bytes(data, "big", signed=True))
            except OverflowError:
                raise MalformedMsgpack("Date out of the years 1 to 9999") from None
        raise MalformedMsgpack(f"unknown extension type {_signed(kind)} of {size} bytes")


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedMsgpack(f"string is not UTF-8: {error.reason}") from None


def _signed(byte: int) -> int:
    return byte - 0x100 if byte > 0x7F else byte


_CONSTANTS: Final[dict[int, Any]] = {0xC0: None, 0xC2: False, 0xC3: True}
_NUMBERS: Final = {
    marker: struct.Struct(">" + code)
    for marker, code in zip(range(0xCA, 0xD4), "fdBHIQbhiq", strict=True)
}
"""float 32 and 64, uint 8 to 64, int 8 to 64: big-endian, as msgpack writes them."""
_Read = Callable[[_Reader, int, int], Any]
_LENGTHS: Final = {1: struct.Struct(">B"), 2: struct.Struct(">H"), 4: struct.Struct(">I")}
_SIZED: Final[dict[int, tuple[struct.Struct, _Read]]] = {
    marker: (_LENGTHS[width], read)
    for read, markers in (
        (_Reader.read_bin, {0xC4: 1, 0xC5: 2, 0xC6: 4}),
        (_Reader.read_ext, {0xC7: 1, 0xC8: 2, 0xC9: 4}),
        (_Reader.read_str, {0xD9: 1, 0xDA: 2, 0xDB: 4}),
        (_Reader.read_array, {0xDC: 2, 0xDD: 4}),
        (_Reader.read_map, {0xDE: 2, 0xDF: 4}),
    )
    for marker, width in markers.items()
}
"""The formats whose length (of bytes, or of items) follows the marker, big-endian."""
_FIXEXT_SIZES: Final = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}
