"""How much output a session holds for its client, and what that allows: backpressure.

A session's *buffered* bytes are those queued for its client and not yet written: the outbox,
plus what the backend says a WebSocket was handed and could not write yet (``ws_unwritten``).
Output handed over counts as written unless the backend says so: a transport that takes it at
once, as a socket's kernel buffer does nearly always, costs no report at all. A WebSocket is
counted apart, by id, so that an upgrade probe's ``3probe`` is settled on its own and nothing is
left counted when a WebSocket goes away.

Past the high-water mark (a quarter of the limit) the session is *paused*: the backend stops
reading from the client, and volatile packets are dropped for it; it resumes once the buffered
bytes are back under half the high-water mark, so that a client reading slowly does not make it
flap. Past the limit itself the session closes (:data:`OVERFLOW`).

Sizes are counted without encoding: text in characters (bytes, for ASCII), binary in bytes.
"""

from __future__ import annotations

import dataclasses

from sio_core.engineio._outbox import Outbox

OVERFLOW = "output buffer full"
"""The description of a session closed because its client does not take its output."""


@dataclasses.dataclass(slots=True)
class OutputBudget:
    """The buffered bytes of one session, against ``limit``."""

    limit: int
    outbox: Outbox = dataclasses.field(default_factory=Outbox)
    """The packets not yet handed to a transport."""
    unwritten: dict[int, int] = dataclasses.field(default_factory=dict)
    """Bytes handed to each WebSocket and not yet written, as the backend last reported."""
    paused: bool = False
    _unwritten_total: int = dataclasses.field(default=0, init=False, repr=False)
    """The sum of :attr:`unwritten`, kept as it changes: :attr:`buffered` is read for every
    packet queued, and a broadcast queues one for each of its recipients."""

    @property
    def buffered(self) -> int:
        """Every byte queued for the client and not yet written."""
        return self.outbox.size + self._unwritten_total

    @property
    def high_water(self) -> int:
        """Past this the session pauses."""
        return self.limit // 4

    @property
    def low_water(self) -> int:
        """Under this a paused session resumes."""
        return self.high_water // 2

    def fits(self, size: int) -> bool:
        """Whether ``size`` more bytes keep the session within its limit."""
        return self.buffered + size <= self.limit

    def unwritten_now(self, ws_id: int, size: int) -> None:
        """``size`` bytes handed to WebSocket ``ws_id`` are not written yet (0: none are)."""
        size = max(0, size)
        self._unwritten_total += size - self.unwritten.get(ws_id, 0)
        self.unwritten[ws_id] = size

    def forget(self, ws_id: int) -> None:
        """WebSocket ``ws_id`` is gone, and what it did not write with it."""
        self._unwritten_total -= self.unwritten.pop(ws_id, 0)

    def flow_changed(self) -> bool:
        """Update :attr:`paused` from the buffered bytes; True when it changed.

        Asked for every packet queued, each hand-over and each report (a broadcast queues one per
        recipient): the common answer, not paused and under the high-water mark, takes a sum
        and a comparison, with the two properties spelled out (reading them costs more).
        """
        buffered = self.outbox.size + self._unwritten_total  # :attr:`buffered`
        if not self.paused:
            if buffered <= self.limit // 4:  # :attr:`high_water`
                return False
            self.paused = True
            return True
        if buffered > self.low_water:
            return False
        self.paused = False
        return True
