"""What a node of a cluster waits for from the others, and what it owes them.

Waiting: ``request_fetch_sockets`` and ``server_side_emit`` with an ack are requests to every
other node. Each ends with exactly one event, once ``expected`` distinct nodes have answered or
its deadline passes, carrying what arrived either way (Node's ``ClusterAdapter`` resolves with
the answers it has, or fails with a timeout). When the number of peers is unknown (``None``),
there is nothing to compare against: the request simply ends at its deadline, not timed out.
A second answer from the same node is ignored, as is a late one.

Owing: a node that received a broadcast with acks relays each of its clients' answers to the
requester until the broadcast's timeout, then forgets; a node that received a server-side emit
with an ack owes the requester one answer, given by the application.

Broadcast acks on the *requesting* side live with the other broadcast acks, in
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
from sio_core.socketio._socket import SocketSnapshot


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """Where an answer goes: request ``request_id`` of node ``node``, in namespace ``nsp``."""

    node: str
    nsp: str
    request_id: int


@dataclasses.dataclass(slots=True)
class _Request:
    fetch: bool
    expected: int | None
    nodes: set[str] = dataclasses.field(default_factory=set)
    sockets: list[SocketSnapshot] = dataclasses.field(default_factory=list)
    responses: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.expected is not None and len(self.nodes) >= self.expected

    def end(self, request_id: int, *, timed_out: bool) -> Event:
        if self.fetch:
            return ClusterFetchCompleted(
                request_id=request_id, sockets=tuple(self.sockets), timed_out=timed_out
            )
        return ServerSideEmitAcksCollected(
            request_id=request_id, responses=tuple(self.responses), timed_out=timed_out
        )


_Relay = tuple[str, int]
_Key = int | _Relay


class ClusterRequests:
    """Requests to other nodes awaiting answers, and answers this node relays or owes."""

    def __init__(self) -> None:
        self._requests: dict[int, _Request] = {}
        self._relays: dict[_Relay, Origin] = {}
        self._owed: dict[int, Origin] = {}
        self._owed_ids = itertools.count(1)
        self._deadlines: Deadlines[_Key] = Deadlines()

    # -- requests this node made -----------------------------------------------------------

    def start_fetch(
        self,
        request_id: int,
        local: list[SocketSnapshot],
        expected: int | None,
        deadline: float,
    ) -> list[Event]:
        """Wait for ``expected`` nodes' sockets, this node's own ``local`` ones first."""
        request = _Request(fetch=True, expected=expected, sockets=list(local))
        return self._start(request_id, request, deadline)

    def start_emit(self, request_id: int, expected: int | None, deadline: float) -> list[Event]:
        """Wait for one answer from each of ``expected`` nodes."""
        return self._start(request_id, _Request(fetch=False, expected=expected), deadline)

    def _start(self, request_id: int, request: _Request, deadline: float) -> list[Event]:
        if request.complete:
            return [request.end(request_id, timed_out=False)]
        self._requests[request_id] = request
        self._deadlines.set(request_id, deadline)
        return []

    def fetch_answered(
        self, request_id: int, node: str, sockets: tuple[SocketSnapshot, ...]
    ) -> list[Event]:
        """Node ``node`` sent its sockets for ``request_id``."""
        request = self._answering(request_id, node, fetch=True)
        if request is None:
            return []
        request.sockets.extend(sockets)
        return self._maybe_end(request_id, request)

    def emit_answered(self, request_id: int, node: str, args: tuple[Any, ...]) -> list[Event]:
        """Node ``node``'s application answered server-side emit ``request_id``."""
        request = self._answering(request_id, node, fetch=False)
        if request is None:
            return []
        request.responses.append(args)
        return self._maybe_end(request_id, request)

    def _answering(self, request_id: int, node: str, *, fetch: bool) -> _Request | None:
        """The request a first answer from ``node`` counts for; None to ignore the answer."""
        request = self._requests.get(request_id)
        if request is None or request.fetch is not fetch or node in request.nodes:
            return None
        request.nodes.add(node)
        return request

    def _maybe_end(self, request_id: int, request: _Request) -> list[Event]:
        if not request.complete:
            return []
        del self._requests[request_id]
        self._deadlines.cancel(request_id)
        return [request.end(request_id, timed_out=False)]

    # -- answers this node relays or owes ----------------------------------------------------

    def relay(self, socket_id: str, ack_id: int, origin: Origin, deadline: float) -> None:
        """Forward the client's answer to ``ack_id`` to ``origin`` until ``deadline``."""
        self._relays[socket_id, ack_id] = origin
        self._deadlines.set((socket_id, ack_id), deadline)

    def relayed(self, socket_id: str, ack_id: int) -> Origin | None:
        """Where the client's answer goes, if another node awaits it (then forgotten)."""
        origin = self._relays.pop((socket_id, ack_id), None)
        if origin is not None:
            self._deadlines.cancel((socket_id, ack_id))
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
        return self._deadlines.next()

    def handle_timeout(self, now: float) -> list[Event]:
        """End each request due at ``now``; forget each relay due."""
        events: list[Event] = []
        for key in list(self._deadlines.pop_due(now)):
            if isinstance(key, tuple):
                self._relays.pop(key, None)
                continue
            request = self._requests.pop(key)
            events.append(request.end(key, timed_out=not _unknown_complete(request)))
        return events


def _unknown_complete(request: _Request) -> bool:
    """At the deadline: complete when no expectation is known, else when it was met."""
    return request.expected is None or request.complete
