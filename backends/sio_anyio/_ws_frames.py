"""WebSocket frames at their cheapest: the client's cut apart here, the server's built here.

What wsproto reads comes in fragments: :class:`MessageAssembler` joins them, up to the limit.

Server frames are not masked, so without compression the frame of a message is the same bytes
on every connection: :func:`shared_frame` builds it once, and a broadcast reuses it.

Nearly every frame a Socket.IO client sends is one whole message: FIN set, text or binary, no
extension bits, masked, a few dozen bytes. wsproto parses each through a general machine
(partial payloads, fragments, extensions, control frames), which costs more than the Socket.IO
work the message then needs. :class:`FrameSplitter` takes that one shape itself, under the
same rules (RFC 6455 section 5: a client frame is masked, its length is encoded in the fewest
bytes, text is valid UTF-8), and hands every other frame to wsproto whole, one at a time, so
wsproto sees each frame it gets from its first byte to its last and keeps its own state (a
fragmented message under way, a close handshake) exactly as if it had read everything. The
one control frame every client sends, its close, comes with the answer wsproto would give
when it is a plain one (:class:`PeerClose`), for a WebSocket that never needed wsproto.

Anything it does not vouch for goes to wsproto, which decides: a frame that breaks a rule
(wsproto then answers with the right close code), a message over the size limit (wsproto's
guard refuses it from its header, before its bytes are held), and from then on every byte.
Nothing is buffered past the limit: a frame is held until it is whole only when its header
announces at most ``limit`` bytes.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Sequence

from wsproto.events import BytesMessage, TextMessage

try:
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # websockets comes with the fast extra
    _apply_mask = None  # type: ignore[assignment]

_FIN = 0x80
_RSV = 0x70
_OPCODE = 0x0F
_MASKED = 0x80
_LENGTH = 0x7F
_TEXT, _BINARY = 0x1, 0x2
_CLOSE = 0x8
_CONTROL = frozenset({_CLOSE, 0x9, 0xA})  # close, ping, pong: whole frames of 125 bytes at most


@dataclasses.dataclass(frozen=True, slots=True)
class ForWsproto:
    """Bytes for wsproto: one whole frame, or everything from a point it must judge on."""

    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class PeerClose(ForWsproto):
    """The client's close frame, a plain one (no code, or 1000 or 1001 with a UTF-8 reason):
    ``reply`` is the server's close frame in kind, what wsproto would answer. A WebSocket that
    has not needed wsproto yet answers it without; one that has gives ``data`` to wsproto."""

    reply: bytes


Piece = str | bytes | ForWsproto
"""A whole text message, a whole binary message, or bytes for wsproto."""


class FrameSplitter:
    """Cuts a client's byte stream into messages and frames for wsproto (see the module)."""

    __slots__ = ("_held", "_limit", "_wsproto_only")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held = b""  # the start of a frame not yet whole
        self._wsproto_only = False

    def feed(self, data: bytes) -> list[Piece]:
        """What ``data`` completes, in order; a frame cut short waits for the next call."""
        if self._wsproto_only:
            return [ForWsproto(data)]
        if self._held:
            data = self._held + data
            self._held = b""
        pieces: list[Piece] = []
        start, end = 0, len(data)
        while start < end:
            size = self._frame_size(data, start)
            if size is None:
                self._held = data[start:]  # at most a header and ``limit`` bytes
                break
            piece = _piece(data, start, size) if size else None
            if piece is None:  # from here on, wsproto reads every byte
                self._wsproto_only = True
                pieces.append(ForWsproto(data[start:]))
                break
            pieces.append(piece)
            start += size
        return pieces

    def _frame_size(self, data: bytes, start: int) -> int | None:
        """The size of the frame at ``start``: None while its header or payload is cut short,
        0 when wsproto must read it as it comes (not a frame of ours, or over the limit)."""
        available = len(data) - start
        if available < 2:
            return None
        first, second = data[start], data[start + 1]
        if not first & _FIN or first & _RSV or not second & _MASKED:
            return 0
        length, header = second & _LENGTH, 6
        if first & _OPCODE not in (_TEXT, _BINARY):
            if first & _OPCODE not in _CONTROL or length > 125:
                return 0
        elif length == 126:
            header = 8
            if available < 4:
                return None
            length = int.from_bytes(data[start + 2 : start + 4], "big")
            if length < 126:
                return 0  # not the shortest encoding: wsproto refuses it
        elif length == 127:
            header = 14
            if available < 10:
                return None
            length = int.from_bytes(data[start + 2 : start + 10], "big")
            if length <= 0xFFFF:
                return 0
        if length > self._limit:
            return 0
        size = header + length
        return size if available >= size else None


_VIEW_FROM = 4096


def _piece(data: bytes, start: int, size: int) -> Piece | None:
    """The whole frame ``data[start:start + size]`` as a piece: a control frame for wsproto, a
    message decoded, or None for text that is not UTF-8 (wsproto closes with 1007).

    A large payload is unmasked straight from ``data``, through a view, not copied out first
    (a small one is copied: that costs less than the view)."""
    opcode = data[start] & _OPCODE
    length = data[start + 1] & _LENGTH
    header = start + (6 if length < 126 else 8 if length == 126 else 14)
    key, end = data[header - 4 : header], start + size
    if opcode in _CONTROL:
        frame = data[start:end]
        return (
            _peer_close(frame, _unmask(key, data[header:end]))
            if opcode == _CLOSE
            else ForWsproto(frame)
        )
    if size < _VIEW_FROM:
        payload = _unmask(key, data[header:end])
    else:
        with memoryview(data) as view:
            payload = _unmask(key, view[header:end])
    if opcode == _BINARY:
        return payload
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _peer_close(frame: bytes, payload: bytes) -> ForWsproto:
    """Every client closes its WebSocket: a plain close is answered here, in kind (RFC 6455
    section 5.5.1), without bringing in wsproto; wsproto judges any other code or reason."""
    if payload:
        if len(payload) < 2 or int.from_bytes(payload[:2], "big") not in _PLAIN_CLOSE_CODES:
            return ForWsproto(frame)
        try:
            payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            return ForWsproto(frame)
    return PeerClose(frame, _framed(_FIN | _CLOSE, payload))


_PLAIN_CLOSE_CODES = frozenset({1000, 1001})  # normal closure, going away


def _unmask_by_ints(key: bytes, payload: bytes | memoryview) -> bytes:
    """XOR with the repeated key, as big-integer operations (linear in the payload's size).

    The key repeated over the payload is ``key`` times ``1 + 2**32 + 2**64 + ...``, cut to the
    payload's length: a product and a shift, where spelling the repeated key out in bytes
    and converting it would cost as much again as the payload itself.
    """
    size = len(payload)
    if not size:
        return b""
    words = (size + 3) // 4
    mask = (int.from_bytes(key, "big") * _repeat(words)) >> (8 * (4 * words - size))
    return (int.from_bytes(payload, "big") ^ mask).to_bytes(size, "big")


def _unmasker() -> Callable[[bytes, bytes | memoryview], bytes]:
    """websockets' ``apply_mask`` (C) when the ``fast`` extra installed it: about 1 µs for
    64 KiB, where big integers take 110."""
    apply_mask = _apply_mask
    if apply_mask is None:
        return _unmask_by_ints
    return lambda key, payload: apply_mask(payload, key)


_unmask = _unmasker()
"""``payload`` XOR the key repeated, by the fastest means installed."""


@functools.lru_cache(maxsize=64)
def _repeat(words: int) -> int:
    """``1 + 2**32 + ... + 2**(32 * (words - 1))``: one 32-bit word repeated ``words`` times."""
    return ((1 << (32 * words)) - 1) // 0xFFFFFFFF


class _TooLarge(enum.Enum):
    TOO_LARGE = "too large"


TOO_LARGE = _TooLarge.TOO_LARGE


class MessageAssembler:
    """Joins the fragments of one message, keeping at most ``limit`` bytes.

    Past the cap it drops the rest of the message and says so once (:data:`TOO_LARGE`); what
    that means for the session is the core's decision.
    """

    __slots__ = ("_dropping", "_limit", "_parts", "_size")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._dropping = False

    def feed(self, event: TextMessage | BytesMessage) -> str | bytes | _TooLarge | None:
        """The complete message, :data:`TOO_LARGE`, or None while incomplete."""
        overflowed = self._add(event.data)
        if overflowed or not event.message_finished:
            if event.message_finished:
                self._reset()
            return TOO_LARGE if overflowed else None
        message = None if self._dropping else b"".join(self._parts)
        self._reset()
        if message is None or not isinstance(event, TextMessage):
            return message
        return message.decode("utf-8")

    def _add(self, data: str | bytes | bytearray) -> bool:
        """Keep ``data``; True when it is what crossed the cap."""
        if self._dropping:
            return False
        chunk = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self._size += len(chunk)
        if self._size <= self._limit:
            self._parts.append(chunk)
            return False
        self._dropping = True
        self._parts.clear()
        return True

    def _reset(self) -> None:
        self._parts.clear()
        self._size = 0
        self._dropping = False


def shared_frame(message: str | bytes) -> bytes:
    """The unmasked, uncompressed frame of a whole message (RFC 6455 section 5.2).

    Cached, so that a broadcast's one message object is framed once for all its recipients;
    a miss costs little more than the header. Text and binary have caches of their own: ``"a"``
    and ``b"a"`` hash alike, and comparing them would be a BytesWarning. A long message is
    framed anew each time: hashing it would cost more than framing it, and the cache would
    keep it alive.
    """
    framing = _text_frame if isinstance(message, str) else _binary_frame
    if len(message) > _CACHED_UP_TO:
        return framing.__wrapped__(message)  # framed anew, not cached
    return framing(message)


_CACHED_UP_TO = 1024


@functools.lru_cache(maxsize=64)
def _text_frame(message: str) -> bytes:
    return _framed(_FIN | _TEXT, message.encode("utf-8"))


@functools.lru_cache(maxsize=64)
def _binary_frame(message: bytes) -> bytes:
    return _framed(_FIN | _BINARY, message)


_OWN_BUFFER_FROM = 16384
"""From this size on, a message's payload is written from a buffer of its own, behind its
header: copying 64 KiB into a frame, then the frame into the write, cost more than the
vectored write's bookkeeping."""
_MOST_BUFFERS = 64  # well under the kernel's IOV_MAX (1024): past it, the frames are joined


def frame_buffers(messages: Sequence[str | bytes]) -> list[bytes]:
    """The frames of ``messages``, in order, as the buffers of one vectored write: small frames
    (:func:`shared_frame`) joined together, each large payload a buffer of its own."""
    if len(messages) == 1 and len(messages[0]) < _OWN_BUFFER_FROM:  # most writes
        return [shared_frame(messages[0])]
    buffers: list[bytes] = []
    joined: list[bytes] = []  # small frames and headers, until a large payload comes
    for message in messages:
        if len(message) < _OWN_BUFFER_FROM:
            joined.append(shared_frame(message))
            continue
        if isinstance(message, str):
            payload, opcode = message.encode("utf-8"), _TEXT
        else:
            payload, opcode = message, _BINARY
        joined.append(_header(_FIN | opcode, len(payload)))
        buffers += (b"".join(joined), payload)
        joined.clear()
    if joined:
        buffers.append(b"".join(joined))
    return buffers if len(buffers) <= _MOST_BUFFERS else [b"".join(buffers)]


def _framed(first: int, payload: bytes) -> bytes:
    return _header(first, len(payload)) + payload


def _header(first: int, size: int) -> bytes:
    if size < 126:
        return bytes((first, size))
    if size <= 0xFFFF:
        return bytes((first, 126)) + size.to_bytes(2, "big")
    return bytes((first, 127)) + size.to_bytes(8, "big")
