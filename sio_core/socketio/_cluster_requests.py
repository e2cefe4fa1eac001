"""What a node of a cluster waits for from the others, and what it owes them.

Waiting: ``request_fetch_sockets`` and ``server_side_emit`` with an ack are requests to every
other node, gathered as :mod:`sio_core.socketio._gather` says: each ends with exactly one event,
once ``expected`` distinct nodes have answered or its deadline passes. A second answer from the
same node is ignored, as is a late one.

Owing: a node that received a broadcast with acks relays each of its clients' answers to the
requester until the broadcast's timeout, then forgets; a node that received a server-side emit
with an ack owes the requester one answer, given by the application.

Broadcast acks on the *requesting* side live with the other acks, in
:mod:`sio_core.socketio._acks`.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from sio_core._deadlines import Deadlines
from sio_core.engineio._events import Event
from sio_core.errors import LocalProtocolError
from sio_core.socketio._events import ClusterFetchCompleted, ServerSideEmitAcksCollected
from sio_core.socketio._gather import Gathering, Gatherings
from sio_core.socketio._socket import SocketSnapshot


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Where an answer goes: request ``request_id`` of node ``node``, in namespace ``nsp``."""

    node: str
    nsp: str
    request_id: int


def _fetched(request_id: int, gathering: Gathering[SocketSnapshot], timed_out: bool) -> Event:
    sockets = tuple(gathering.answers)
    return ClusterFetchCompleted(request_id=request_id, sockets=sockets, timed_out=timed_out)


def _emitted(request_id: int, gathering: Gathering[tuple[Any, ...]], timed_out: bool) -> Event:
    responses = tuple(gathering.answers)
    return ServerSideEmitAcksCollected(
        request_id=request_id, responses=responses, timed_out=timed_out
    )


_Relay = tuple[str, int]


class ClusterRequests:
    """Requests to other nodes awaiting answers, and answers this node relays or owes."""

    def __init__(self) -> None:
        self._fetches: Gatherings[SocketSnapshot] = Gatherings(_fetched)
        self._emits: Gatherings[tuple[Any, ...]] = Gatherings(_emitted)
        self._relays: dict[_Relay, Origin] = {}
        self._relay_deadlines: Deadlines[_Relay] = Deadlines()
        self._owed: dict[int, Origin] = {}
        self._owed_ids = itertools.count(1)

    # -- requests this node made -----------------------------------------------------------

    def start_fetch(
        self,
        request_id: int,
        local: list[SocketSnapshot],
        expected: int | None,
        deadline: float,
    ) -> list[Event]:
        """Wait for ``expected`` nodes' sockets, this node's own ``local`` ones first."""
        gathering = Gathering(peers=expected, answers=list(local))
        return self._fetches.start(request_id, gathering, deadline)

    def start_emit(self, request_id: int, expected: int | None, deadline: float) -> list[Event]:
        """Wait for one answer from each of ``expected`` nodes."""
        gathering: Gathering[tuple[Any, ...]] = Gathering(peers=expected)
        return self._emits.start(request_id, gathering, deadline)

    def fetch_answered(
        self, request_id: int, node: str, sockets: tuple[SocketSnapshot, ...]
    ) -> list[Event]:
        """Node ``node`` sent its sockets for ``request_id``."""
        gathering = self._fetches.get(request_id)
        if gathering is None or not gathering.report(node):
            return []
        gathering.answers.extend(sockets)
        return self._fetches.check(request_id)

    def emit_answered(self, request_id: int, node: str, args: tuple[Any, ...]) -> list[Event]:
        """Node ``node``'s application answered server-side emit ``request_id``."""
        gathering = self._emits.get(request_id)
        if gathering is None or not gathering.report(node):
            return []
        gathering.answers.append(args)
        return self._emits.check(request_id)

    # -- answers this node relays or owes ----------------------------------------------------

    def relay(self, socket_id: str, ack_id: int, origin: Origin, deadline: float) -> None:
        """Forward the client's answer to ``ack_id`` to ``origin`` until ``deadline``."""
        self._relays[socket_id, ack_id] = origin
        self._relay_deadlines.set((socket_id, ack_id), deadline)

    def relayed(self, socket_id: str, ack_id: int) -> Origin | None:
        """Where the client's answer goes, if another node awaits it (then forgotten)."""
        origin = self._relays.pop((socket_id, ack_id), None)
        if origin is not None:
            self._relay_deadlines.cancel((socket_id, ack_id))
        return origin

    def owe(self, origin: Origin) -> int:
        """Record an answer owed to ``origin``; returns the ack id the application answers."""
        ack_id = next(self._owed_ids)
        self._owed[ack_id] = origin
        return ack_id

    def owed_to(self, ack_id: int) -> Origin:
        """Where the answer ``ack_id`` goes, while it is still owed."""
        origin = self._owed.get(ack_id)
        if origin is None:
            raise LocalProtocolError(f"no server-side acknowledgement {ack_id} is owed")
        return origin

    def settle(self, ack_id: int) -> None:
        """The answer ``ack_id`` was sent: it is owed no more (each is given once)."""
        self._owed.pop(ack_id, None)

    # -- deadlines ------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """The earliest request or relay deadline."""
        deadlines = (
            self._fetches.next_deadline(),
            self._emits.next_deadline(),
            self._relay_deadlines.next(),
        )
        return min((d for d in deadlines if d is not None), default=None)

    def handle_timeout(self, now: float) -> list[Event]:
        """End each request due at ``now``; forget each relay due."""
        for key in list(self._relay_deadlines.pop_due(now)):
            self._relays.pop(key, None)
        return self._fetches.handle_timeout(now) + self._emits.handle_timeout(now)
