"""The running traffic counts of an Engine.IO server, kept only once someone asks for them.

Node's admin UI learns the traffic from every connection's ``packet`` and ``packetCreate``
events. Here the sessions add to one tally instead: an event object per packet would cost far
more than the two additions a packet costs the tally, and a server that never counts pays a
``None`` test per packet, the same as for its packet events.
"""

from __future__ import annotations

from sio_core.errors import DisconnectReason
from sio_core.stats import Traffic


class TrafficCounter:
    """Counts packets, bytes and sessions; :meth:`snapshot` reads them."""

    def __init__(self) -> None:
        self._packets_in = 0
        self._bytes_in = 0
        self._packets_out = 0
        self._bytes_out = 0
        self._opened = 0
        self._closed: dict[str, int] = {}

    def received(self, payload: str | bytes) -> None:
        """The client sent a packet with this payload (an empty one is not counted)."""
        if payload:
            self._packets_in += 1
            self._bytes_in += payload_size(payload)

    def sent(self, payload: str | bytes) -> None:
        """A packet with this payload was queued for the client (an empty one is not counted)."""
        if payload:
            self._packets_out += 1
            self._bytes_out += payload_size(payload)

    def opened(self) -> None:
        """A session opened."""
        self._opened += 1

    def closed(self, reason: DisconnectReason) -> None:
        """A session ended for ``reason``."""
        self._closed[reason.value] = self._closed.get(reason.value, 0) + 1

    def snapshot(self) -> Traffic:
        """The counts so far."""
        return Traffic(
            packets_in=self._packets_in,
            bytes_in=self._bytes_in,
            packets_out=self._packets_out,
            bytes_out=self._bytes_out,
            sessions_opened=self._opened,
            sessions_closed=dict(self._closed),
        )


def payload_size(payload: str | bytes) -> int:
    """The size Node counts (``Buffer.byteLength``): UTF-8 bytes for text."""
    if isinstance(payload, bytes) or payload.isascii():
        return len(payload)
    return len(payload.encode("utf-8"))
