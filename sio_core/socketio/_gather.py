"""Answers gathered until every one that is due has come, or a deadline passes.

Three requests wait this way: a broadcast with acks (one answer per client reached, on this node
and on the others), a cluster ``fetch_sockets`` and a server-side emit with an ack (one answer
per other node). Each ends exactly once, with one event: as soon as nothing more is due, or at
its deadline with what arrived, timed out when an answer known to be due is missing (Node's
``BroadcastOperator`` and ``ClusterAdapter`` resolve or fail the same way).

What is due: one answer per key in ``waiting`` (this node's clients, by socket id and ack
id), ``counted`` more that other nodes announced (their clients, known by number), and
``peers`` reports from other nodes. The caller reads ``peers`` from Redis right before the
request, as Node does. A report names its node when the format says who sent it (the sharded
one does), and a second report from the same node is ignored; the classic format's answers name
nobody, so each counts, as Node counts them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Generic, TypeVar

from sio_core._deadlines import Deadlines
from sio_core.engineio._events import Event

T = TypeVar("T")


@dataclasses.dataclass(slots=True, eq=False)
class Gathering(Generic[T]):
    """One request's answers so far, and what is still due."""

    peers: int
    waiting: set[tuple[str, int]] = dataclasses.field(default_factory=set)
    answers: list[T] = dataclasses.field(default_factory=list)
    nodes: set[str] = dataclasses.field(default_factory=set)
    reports: int = 0
    counted: int = 0

    def report(self, node: str | None, count: int = 0) -> bool:
        """A node reported (``None``: one the wire does not name), announcing ``count`` answers
        to come; False when that named node had reported already."""
        if node is not None:
            if node in self.nodes:
                return False
            self.nodes.add(node)
        self.reports += 1
        self.counted += count
        return True

    @property
    def missing(self) -> bool:
        """Whether an answer or a report known to be due has not come."""
        return bool(self.waiting) or self.counted > 0 or self.reports < self.peers

    @property
    def complete(self) -> bool:
        """Whether nothing more is due."""
        return not self.missing


Ending = Callable[[int, "Gathering[T]", bool], Event]
"""Builds the one event that ends gathering ``id`` (``timed_out`` as the last argument)."""


class Gatherings(Generic[T]):
    """The open gatherings of one kind, by id, with their deadlines."""

    def __init__(self, ending: Ending[T]) -> None:
        self._ending = ending
        self._open: dict[int, Gathering[T]] = {}
        self._deadlines: Deadlines[int] = Deadlines()

    def start(self, gathering_id: int, gathering: Gathering[T], deadline: float) -> list[Event]:
        """Wait until ``deadline``; ends at once, not timed out, when nothing is due."""
        if gathering.complete:
            return [self._ending(gathering_id, gathering, False)]
        self._open[gathering_id] = gathering
        self._deadlines.set(gathering_id, deadline)
        return []

    def __len__(self) -> int:
        """How many gatherings are open."""
        return len(self._open)

    def get(self, gathering_id: int) -> Gathering[T] | None:
        """The open gathering ``gathering_id``; None once it has ended (a late answer)."""
        return self._open.get(gathering_id)

    def check(self, gathering_id: int) -> list[Event]:
        """End the gathering if an answer just made it complete."""
        gathering = self._open.get(gathering_id)
        if gathering is None or not gathering.complete:
            return []
        return [self._end(gathering_id, timed_out=False)]

    def next_deadline(self) -> float | None:
        """The earliest deadline of an open gathering."""
        return self._deadlines.next()

    def handle_timeout(self, now: float) -> list[Event]:
        """End each gathering due at ``now`` with what it has."""
        due = list(self._deadlines.pop_due(now))
        return [self._end(key, timed_out=self._open[key].missing) for key in due]

    def _end(self, gathering_id: int, *, timed_out: bool) -> Event:
        gathering = self._open.pop(gathering_id)
        self._deadlines.cancel(gathering_id)
        return self._ending(gathering_id, gathering, timed_out)
