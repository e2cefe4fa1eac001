"""A min-heap of named deadlines, so that ``next_deadline()`` stays cheap with many sessions.

Re-arming or cancelling a key leaves its old heap entry behind; entries are checked against the
current value when popped (lazy deletion), which keeps every operation O(log n).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable, Iterator
from typing import ClassVar, Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    """Deadlines by key: at most one live deadline per key."""

    changes: ClassVar[int] = 0
    """Bumped whenever any ``Deadlines`` is armed, cancelled or popped: an owner that combines
    several (the earliest of a server's, asked after every input) can reuse what it found until
    this moves. Shared by all, so another server's change only costs a new look."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._live: dict[K, float] = {}
        self._order = itertools.count()

    def set(self, key: K, when: float) -> None:
        """Arm (or re-arm) ``key`` to fall due at ``when``."""
        self._live[key] = when
        heapq.heappush(self._heap, (when, next(self._order), key))
        Deadlines.changes += 1

    def cancel(self, key: K) -> None:
        """Forget ``key``; a no-op when it is not armed."""
        if self._live.pop(key, None) is not None:
            Deadlines.changes += 1

    def __len__(self) -> int:
        """How many keys are armed."""
        return len(self._live)

    def get(self, key: K) -> float | None:
        """When ``key`` falls due, or None."""
        return self._live.get(key)

    def next(self) -> float | None:
        """The earliest live deadline (asked after every input: most often, none is set)."""
        if not self._heap:
            return None
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> Iterator[K]:
        """Yield (and disarm) each key due at ``now``, earliest first."""
        while True:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                return
            _, _, key = heapq.heappop(self._heap)
            del self._live[key]
            Deadlines.changes += 1
            yield key

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and self._live.get(heap[0][2]) != heap[0][0]:
            heapq.heappop(heap)


def earliest(*deadlines: float | None) -> float | None:
    """The earliest of the deadlines that are set (asked after every input: a plain loop)."""
    found: float | None = None
    for deadline in deadlines:
        if deadline is not None and (found is None or deadline < found):
            found = deadline
    return found


class EarliestOf:
    """The earliest deadline of some owners whose deadlines are all in :class:`Deadlines` heaps.

    Asked after every input, and most inputs arm or cancel nothing: the earliest is looked for
    again only once :attr:`Deadlines.changes` moved.
    """

    __slots__ = ("_due", "_parts", "_seen")

    def __init__(self, *parts: Callable[[], float | None]) -> None:
        self._parts = parts
        self._seen = -1
        self._due: float | None = None

    def __call__(self) -> float | None:
        if self._seen != Deadlines.changes:
            self._seen = Deadlines.changes
            self._due = earliest(*(part() for part in self._parts))
        return self._due
