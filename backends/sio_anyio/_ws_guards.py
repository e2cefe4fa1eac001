"""Bounds on what a WebSocket peer can make us hold, checked while wsproto parses.

wsproto shows every frame header to its extensions before it reads the payload, and every
payload chunk before its message decoder: that is the one seam where a server can refuse early
without framing bytes by hand. Two guards sit there, sharing one :class:`Verdict`:

- :class:`AnnouncedLength` adds up the lengths the data frames of a message announce, and
  refuses the frame whose header takes the message past the limit, before its payload arrives
  (a header may announce 2^62 bytes);
- :class:`BoundedDeflate` is permessage-deflate whose inflation stops one byte past the limit,
  so a small compressed frame cannot make us inflate a huge message before we notice.

wsproto then reports a close (a ``CloseConnection`` while still open); the verdict says which
refusal it was, for the reader to tell the core (1009 is the core's decision) or to answer the
peer with a reason of our own rather than a Python codec message.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Callable

from wsproto.events import CloseConnection
from wsproto.extensions import Extension, PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol, Opcode, RsvBits

_NO_BITS = RsvBits(False, False, False)
_SYNC_TAIL = b"\x00\x00\xff\xff"  # RFC 7692 7.2.2: the end of a message, dropped by the sender


class Refusal(enum.Enum):
    """Why a guard failed a frame."""

    TOO_LARGE = "the message is larger than the limit"
    BAD_DEFLATE = "invalid compressed data"


class Verdict:
    """The refusal of the guards of one WebSocket, once one refused."""

    def __init__(self) -> None:
        self.refusal: Refusal | None = None

    def refuse(self, refusal: Refusal, code: CloseReason) -> CloseReason:
        self.refusal = refusal
        return code


class AnnouncedLength(Extension):
    """Not negotiated, always on: refuses a message by the lengths its frame headers announce.

    On the wire a message can only be as long as its frames say, so once they add up past the
    limit the message is too large whatever follows. With compression on, these are the
    compressed lengths (as Node's ``ws`` counts them too).
    """

    name = "sio-announced-length"

    def __init__(self, limit: int, verdict: Verdict) -> None:
        self._limit = limit
        self._verdict = verdict
        self._announced = 0

    def enabled(self) -> bool:
        return True

    def offer(self) -> bool:
        return False

    def frame_inbound_header(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        payload_length: int,
    ) -> CloseReason | RsvBits:
        if opcode.iscontrol():
            return _NO_BITS
        if opcode is not Opcode.CONTINUATION:
            self._announced = 0
        self._announced += payload_length
        if self._announced > self._limit:
            return self._verdict.refuse(Refusal.TOO_LARGE, CloseReason.MESSAGE_TOO_BIG)
        return _NO_BITS


class BoundedDeflate(PerMessageDeflate):
    """Server-side permessage-deflate that never inflates more than ``limit + 1`` bytes a message.

    Negotiation and compression are wsproto's; inflation is ours, because wsproto's inflates
    each chunk whole. Here each chunk is inflated with a cap of what the message may still
    grow by, plus one byte to notice it went past.
    """

    def __init__(self, limit: int, verdict: Verdict) -> None:
        super().__init__()
        self._limit = limit
        self._verdict = verdict
        self._inflater: Callable[[bytes, int], bytes] | None = None  # decompress(data, cap)
        self._data_frame = False
        self._compressed = False
        self._inflated = 0

    def frame_inbound_header(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        payload_length: int,
    ) -> CloseReason | RsvBits:
        if rsv.rsv1 and (opcode.iscontrol() or opcode is Opcode.CONTINUATION):
            return CloseReason.PROTOCOL_ERROR  # RFC 7692 6: only a message's first frame
        self._data_frame = not opcode.iscontrol()
        if self._data_frame and opcode is not Opcode.CONTINUATION:
            self._compressed = rsv.rsv1
            self._inflated = 0
            if self._compressed and self._inflater is None:
                self._inflater = zlib.decompressobj(-self.client_max_window_bits).decompress
        return RsvBits(True, False, False)

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if not (self._data_frame and self._compressed):
            return data
        return self._inflate(data)

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        if not (fin and self._data_frame and self._compressed):
            return None
        tail = self._inflate(_SYNC_TAIL)
        self._compressed = False
        if self.client_no_context_takeover:
            self._inflater = None
        return tail

    def _inflate(self, data: bytes) -> bytes | CloseReason:
        assert self._inflater is not None
        try:
            inflated = self._inflater(data, self._limit - self._inflated + 1)
        except zlib.error:
            return self._verdict.refuse(
                Refusal.BAD_DEFLATE, CloseReason.INVALID_FRAME_PAYLOAD_DATA
            )
        self._inflated += len(inflated)
        if self._inflated > self._limit:
            return self._verdict.refuse(Refusal.TOO_LARGE, CloseReason.MESSAGE_TOO_BIG)
        return inflated


def failure_reason(failure: CloseConnection, verdict: Verdict) -> str:
    """The reason we give the peer for a frame wsproto or a guard failed.

    wsproto's own reasons are plain sentences ("Reserved bit set unexpectedly"), except for
    invalid UTF-8, where it passes on Python's codec message; that one gets a reason of ours.
    """
    if verdict.refusal is not None:
        return verdict.refusal.value
    reason = failure.reason or ""
    if failure.code == CloseReason.INVALID_FRAME_PAYLOAD_DATA:
        if "CLOSE reason" in reason:
            return "invalid UTF-8 in a close reason"
        return "invalid UTF-8 in a text message"
    return reason
