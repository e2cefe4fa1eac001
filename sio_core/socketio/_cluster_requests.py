"""What a node of a cluster waits for from the others, and what it owes them.

Waiting: ``request_fetch_sockets`` and ``server_side_emit`` with an ack are requests to every
other node, gathered as :mod:`sio_core.socketio._gather` says: each ends with exactly one event,
once the expected number of answers has come or its deadline passes. A late answer is ignored.

Each request has two ids: the one the application holds (an ``int``, in the events), and the
one on the wire (a string from the server's id generator, unique across the cluster, since the
classic format's answers say nothing else about whom they are for). :class:`ClusterRequests`
maps the second to the first until the request's deadline, for broadcasts with acks too (whose
gathering lives with the other acks, in :mod:`sio_core.socketio._acks`). A request from another
node that reuses a wire id pending here is dropped, as Node drops it.

Owing: a node that received a broadcast with acks relays each of its clients' answers to the
requester until the broadcast's timeout, then forgets; a node that received a server-side emit
with an ack owes the requester one answer, given by the application.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
from typing import Any

from sio_core._deadlines import Deadlines, earliest
from sio_core.engineio._events import Event
from sio_core.errors import LocalProtocolError
from sio_core.socketio._events import ClusterFetchCompleted, ServerSideEmitAcksCollected
from sio_core.socketio._gather import Gathering, Gatherings
from sio_core.socketio._socket import SocketSnapshot


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Where an answer goes: wire request ``request_id`` of node ``node``, in namespace ``nsp``.

    ``node`` is ``None`` when the request named no sender (the classic format allows it).
    """

    node: str | None
    nsp: str
    request_id: str


class Kind(enum.Enum):
    """What a wire request id of this node stands for."""

    FETCH = "fetch"
    EMIT = "emit"
    BROADCAST = "broadcast"


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
        self._wire: dict[str, tuple[Kind, int]] = {}
        self._wire_deadlines: Deadlines[str] = Deadlines()
        self._relays: dict[_Relay, Origin] = {}
        self._relay_deadlines: Deadlines[_Relay] = Deadlines()
        self._owed: dict[int, Origin] = {}
        self._owed_ids = itertools.count(1)

    # -- requests this node made -----------------------------------------------------------

    def start_fetch(
        self,
        request_id: int,
        wire_id: str | None,
        local: list[SocketSnapshot],
        peers: int,
        deadline: float,
    ) -> list[Event]:
        """Wait for ``peers`` answers, this node's own ``local`` sockets first."""
        self._track(wire_id, Kind.FETCH, request_id, deadline)
        gathering = Gathering(peers=peers, answers=list(local))
        return self._fetches.start(request_id, gathering, deadline)

    def start_emit(
        self, request_id: int, wire_id: str | None, peers: int, deadline: float
    ) -> list[Event]:
        """Wait for one answer from each of ``peers`` nodes."""
        self._track(wire_id, Kind.EMIT, request_id, deadline)
        gathering: Gathering[tuple[Any, ...]] = Gathering(peers=peers)
        return self._emits.start(request_id, gathering, deadline)

    def track_broadcast(self, wire_id: str, broadcast_id: int, deadline: float) -> None:
        """Route the answers to wire request ``wire_id`` to broadcast ``broadcast_id``."""
        self._track(wire_id, Kind.BROADCAST, broadcast_id, deadline)

    def _track(self, wire_id: str | None, kind: Kind, request_id: int, deadline: float) -> None:
        if wire_id is not None:
            self._wire[wire_id] = (kind, request_id)
            self._wire_deadlines.set(wire_id, deadline)

    def pending(self, wire_id: str) -> tuple[Kind, int] | None:
        """What wire request ``wire_id`` of this node is, until its deadline."""
        return self._wire.get(wire_id)

    def fetch_answered(
        self, request_id: int, node: str | None, sockets: tuple[SocketSnapshot, ...]
    ) -> list[Event]:
        """A node sent its sockets for ``request_id``."""
        gathering = self._fetches.get(request_id)
        if gathering is None or not gathering.report(node):
            return []
        gathering.answers.extend(sockets)
        return self._fetches.check(request_id)

    def emit_answered(
        self, request_id: int, node: str | None, args: tuple[Any, ...]
    ) -> list[Event]:
        """A node's application answered server-side emit ``request_id``."""
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
        """The earliest request, relay or wire id deadline."""
        return earliest(
            self._fetches.next_deadline(),
            self._emits.next_deadline(),
            self._relay_deadlines.next(),
            self._wire_deadlines.next(),
        )

    def handle_timeout(self, now: float) -> list[Event]:
        """End each request due at ``now``; forget each relay and wire id due."""
        for key in list(self._relay_deadlines.pop_due(now)):
            self._relays.pop(key, None)
        for wire_id in list(self._wire_deadlines.pop_due(now)):
            self._wire.pop(wire_id, None)
        return self._fetches.handle_timeout(now) + self._emits.handle_timeout(now)
