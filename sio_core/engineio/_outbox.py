"""The packets a session has queued for its client and not yet handed to a transport.

It keeps their size as they come and go (sizes as :func:`~sio_core.engineio._packets.packet_size`
counts them), so that the output budget reads it without walking the packets, and it cuts a
long-poll answer to a bounded slice: a backlog leaves over several GETs, never in one answer
(nor one compression) that grows with it.
"""

from __future__ import annotations

from sio_core.engineio._packets import Packet, packet_size


class Outbox:
    """Packets waiting for the client, oldest first."""

    __slots__ = ("_packets", "size")

    def __init__(self) -> None:
        self._packets: list[Packet] = []
        self.size = 0
        """Their total size."""

    def __bool__(self) -> bool:
        return bool(self._packets)

    def append(self, packet: Packet, size: int) -> None:
        """Queue ``packet``, whose size the caller has measured already."""
        self._packets.append(packet)
        self.size += size

    def take_all(self) -> list[Packet]:
        """Every packet, leaving the outbox empty."""
        packets, self._packets, self.size = self._packets, [], 0
        return packets

    def take_slice(self, limit: int) -> list[Packet]:
        """The oldest packets up to about ``limit`` in size: at least one, whatever its size."""
        count, total = 0, 0
        for packet in self._packets:
            size = packet_size(packet)
            if count and total + size > limit:
                break
            count, total = count + 1, total + size
        packets = self._packets[:count]
        del self._packets[:count]
        self.size -= total
        return packets
