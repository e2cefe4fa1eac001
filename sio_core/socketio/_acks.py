"""Acknowledgements the server waits for: one per emit, or one per recipient of a broadcast.

An emit with an ack id waits until the client answers, its timeout passes, or its socket leaves;
each ends it with exactly one event. A broadcast with acks collects one answer per recipient and
ends once all have answered or its timeout passes, carrying what arrived either way (as Node's
``io.timeout(ms).emit(..., callback)`` does).

In a cluster, a broadcast's other nodes report too: each first says how many clients it reached
(``remote_count``), then relays each answer (``remote_answer``). The broadcast is complete once
``peers`` nodes have reported and every client counted, local or remote, has answered (Node's
``BroadcastOperator.emit`` checks the same three numbers). With ``peers=None`` (how many nodes
there are is unknown) it ends at its timeout, timed out only if a counted client is missing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sio_core._deadlines import Deadlines
from sio_core.engineio._events import Event
from sio_core.socketio._events import AckAbandoned, AckReceived, BroadcastAcksCollected


@dataclasses.dataclass(slots=True)
class _Broadcast:
    waiting: set[tuple[str, int]]
    responses: list[tuple[Any, ...]] = dataclasses.field(default_factory=list)
    peers: int | None = 0
    nodes: set[str] = dataclasses.field(default_factory=set)
    remote_expected: int = 0
    remote_answered: int = 0

    @property
    def missing(self) -> bool:
        """Whether an answer or a node report known to be due has not arrived."""
        peers_missing = self.peers is not None and len(self.nodes) < self.peers
        return bool(self.waiting) or self.remote_answered < self.remote_expected or peers_missing

    @property
    def complete(self) -> bool:
        return self.peers is not None and not self.missing


_Key = tuple[str, int] | int


class Acks:
    """Pending acknowledgements, keyed by (socket id, ack id), with their deadlines."""

    def __init__(self) -> None:
        self._single: dict[str, set[int]] = {}  # by socket, so that a leaving socket is cheap
        self._broadcasts: dict[int, _Broadcast] = {}
        self._member_of: dict[tuple[str, int], int] = {}
        self._deadlines: Deadlines[_Key] = Deadlines()

    def expect(self, socket_id: str, ack_id: int, deadline: float | None) -> None:
        """Wait for the client's answer to one emit."""
        self._single.setdefault(socket_id, set()).add(ack_id)
        if deadline is not None:
            self._deadlines.set((socket_id, ack_id), deadline)

    def expect_broadcast(
        self,
        broadcast_id: int,
        recipients: list[tuple[str, int]],
        deadline: float,
        *,
        peers: int | None = 0,
    ) -> list[Event]:
        """Collect one answer per recipient (and ``peers`` other nodes' answers, in a cluster);
        ends at once when there is nobody to wait for."""
        broadcast = _Broadcast(waiting=set(recipients), peers=peers)
        if broadcast.complete:
            return [
                BroadcastAcksCollected(broadcast_id=broadcast_id, responses=(), timed_out=False)
            ]
        self._broadcasts[broadcast_id] = broadcast
        for key in recipients:
            self._member_of[key] = broadcast_id
        self._deadlines.set(broadcast_id, deadline)
        return []

    def answer(self, socket_id: str, ack_id: int, args: tuple[Any, ...]) -> list[Event]:
        """The client answered; an unknown or late answer is ignored, as in Node."""
        key = (socket_id, ack_id)
        if self._discard_single(socket_id, ack_id):
            self._deadlines.cancel(key)
            return [AckReceived(socket_id=socket_id, ack_id=ack_id, args=args)]
        broadcast_id = self._member_of.pop(key, None)
        if broadcast_id is None:
            return []
        broadcast = self._broadcasts[broadcast_id]
        broadcast.waiting.discard(key)
        broadcast.responses.append(args)
        return self._end_if_complete(broadcast_id, broadcast)

    def remote_count(self, broadcast_id: int, node: str, count: int) -> list[Event]:
        """Node ``node`` reached ``count`` clients; a second report from it is ignored."""
        broadcast = self._broadcasts.get(broadcast_id)
        if broadcast is None or node in broadcast.nodes:
            return []
        broadcast.nodes.add(node)
        broadcast.remote_expected += count
        return self._end_if_complete(broadcast_id, broadcast)

    def remote_answer(self, broadcast_id: int, args: tuple[Any, ...]) -> list[Event]:
        """A client of another node answered; late answers are ignored."""
        broadcast = self._broadcasts.get(broadcast_id)
        if broadcast is None:
            return []
        broadcast.remote_answered += 1
        broadcast.responses.append(args)
        return self._end_if_complete(broadcast_id, broadcast)

    def _end_if_complete(self, broadcast_id: int, broadcast: _Broadcast) -> list[Event]:
        if not broadcast.complete:
            return []
        return [self._end_broadcast(broadcast_id, timed_out=False)]

    def socket_left(self, socket_id: str) -> list[Event]:
        """The socket is gone: its own emits end; broadcasts keep waiting for their timeout."""
        gone = sorted(self._single.pop(socket_id, ()))
        for ack_id in gone:
            self._deadlines.cancel((socket_id, ack_id))
        return [AckAbandoned(socket_id=socket_id, ack_id=a, reason="disconnected") for a in gone]

    def _discard_single(self, socket_id: str, ack_id: int) -> bool:
        """Forget one emit's ack; False when it was not pending."""
        pending = self._single.get(socket_id)
        if pending is None or ack_id not in pending:
            return False
        pending.discard(ack_id)
        if not pending:
            del self._single[socket_id]
        return True

    def next_deadline(self) -> float | None:
        """The earliest ack timeout."""
        return self._deadlines.next()

    def handle_timeout(self, now: float) -> list[Event]:
        """End every ack whose timeout has passed."""
        events: list[Event] = []
        for key in list(self._deadlines.pop_due(now)):
            if isinstance(key, int):
                timed_out = self._broadcasts[key].missing
                events.append(self._end_broadcast(key, timed_out=timed_out))
            else:
                self._discard_single(*key)
                events.append(AckAbandoned(socket_id=key[0], ack_id=key[1], reason="timeout"))
        return events

    def _end_broadcast(self, broadcast_id: int, *, timed_out: bool) -> Event:
        broadcast = self._broadcasts.pop(broadcast_id)
        self._deadlines.cancel(broadcast_id)
        for key in broadcast.waiting:
            self._member_of.pop(key, None)
        return BroadcastAcksCollected(
            broadcast_id=broadcast_id, responses=tuple(broadcast.responses), timed_out=timed_out
        )
