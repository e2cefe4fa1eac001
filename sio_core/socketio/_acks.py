"""Acknowledgements: the answers the server waits for, the ones it owes, and what they are worth.

An emit with an ack id waits until the client answers, its timeout passes, or its socket leaves;
each ends it with exactly one event. A broadcast with acks gathers one answer per recipient (see
:mod:`sio_core.socketio._gather`) and ends once all have answered or its timeout passes,
carrying what arrived either way (as Node's ``io.timeout(ms).emit(..., callback)`` does).

In a cluster, a broadcast's other nodes report too: each first says how many clients it reached
(``remote_count``), then relays each answer (``remote_answer``). The broadcast is complete once
``peers`` nodes have reported and every client counted, local or remote, has answered.

The other way round, an EVENT from a client with an ack id is owed exactly one answer, which the
application gives with ``ack``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sio_core._deadlines import Deadlines, earliest
from sio_core.engineio._events import Event
from sio_core.errors import AckAbandonReason
from sio_core.socketio._events import AckAbandoned, AckReceived, BroadcastAcksCollected
from sio_core.socketio._gather import Gathering, Gatherings

Answer = tuple[Any, ...]
"""The arguments of one client's answer, as they came."""


def ack_value(args: Sequence[Any]) -> Any:
    """What one answer is worth to the application: the one rule for every acknowledgement.

    No argument gives ``None``, one argument gives that argument, several give a tuple of them.
    It shapes the result of one socket's ``emit_with_ack`` and each entry of a broadcast's
    answers alike. Node resolves both with the answer's first argument (``undefined`` for an
    empty answer) and drops the others; keeping them as a tuple loses nothing.
    """
    if not args:
        return None
    return args[0] if len(args) == 1 else tuple(args)


class Acks:
    """Pending acknowledgements, keyed by (socket id, ack id), with their deadlines."""

    def __init__(self) -> None:
        self._single: dict[str, set[int]] = {}  # by socket, so that a leaving socket is cheap
        self._deadlines: Deadlines[tuple[str, int]] = Deadlines()
        self._broadcasts: Gatherings[Answer] = Gatherings(self._collected)
        self._member_of: dict[tuple[str, int], int] = {}
        self._owed: dict[str, set[int]] = {}

    # -- answers the server waits for --------------------------------------------------------

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
        peers: int = 0,
    ) -> list[Event]:
        """Gather one answer per recipient (and ``peers`` other nodes' reports, in a cluster);
        ends at once when there is nobody to wait for."""
        gathering: Gathering[Answer] = Gathering(peers=peers, waiting=set(recipients))
        for key in recipients:
            self._member_of[key] = broadcast_id
        return self._broadcasts.start(broadcast_id, gathering, deadline)

    def answer(self, socket_id: str, ack_id: int, args: Answer) -> list[Event]:
        """The client answered; an unknown or late answer is ignored, as in Node."""
        key = (socket_id, ack_id)
        if self._discard_single(socket_id, ack_id):
            self._deadlines.cancel(key)
            return [AckReceived(socket_id=socket_id, ack_id=ack_id, args=args)]
        broadcast_id = self._member_of.pop(key, None)
        gathering = self._broadcasts.get(broadcast_id) if broadcast_id is not None else None
        if broadcast_id is None or gathering is None:
            return []
        gathering.waiting.discard(key)
        gathering.answers.append(args)
        return self._broadcasts.check(broadcast_id)

    def remote_count(self, broadcast_id: int, node: str | None, count: int) -> list[Event]:
        """Node ``node`` (``None``: unnamed) reached ``count`` clients; a second report from a
        named node is ignored."""
        gathering = self._broadcasts.get(broadcast_id)
        if gathering is None or not gathering.report(node, count):
            return []
        return self._broadcasts.check(broadcast_id)

    def remote_answer(self, broadcast_id: int, args: Answer) -> list[Event]:
        """A client of another node answered; late answers are ignored."""
        gathering = self._broadcasts.get(broadcast_id)
        if gathering is None:
            return []
        gathering.counted -= 1
        gathering.answers.append(args)
        return self._broadcasts.check(broadcast_id)

    # -- answers the server owes --------------------------------------------------------------

    def owe(self, socket_id: str, ack_id: int) -> None:
        """The client's event ``ack_id`` awaits one answer."""
        self._owed.setdefault(socket_id, set()).add(ack_id)

    def settle(self, socket_id: str, ack_id: int) -> bool:
        """The answer to ``ack_id`` goes out now; False when none is owed (or it was given)."""
        owed = self._owed.get(socket_id, set())
        if ack_id not in owed:
            return False
        owed.discard(ack_id)
        return True

    # -- endings --------------------------------------------------------------------------

    def socket_left(self, socket_id: str) -> list[Event]:
        """The socket is gone: its own emits end; broadcasts keep waiting for their timeout."""
        self._owed.pop(socket_id, None)
        gone = sorted(self._single.pop(socket_id, ()))
        for ack_id in gone:
            self._deadlines.cancel((socket_id, ack_id))
        return [_abandoned(socket_id, a, AckAbandonReason.DISCONNECTED) for a in gone]

    def _discard_single(self, socket_id: str, ack_id: int) -> bool:
        """Forget one emit's ack; False when it was not pending."""
        pending = self._single.get(socket_id)
        if pending is None or ack_id not in pending:
            return False
        pending.discard(ack_id)
        if not pending:
            del self._single[socket_id]
        return True

    def counts(self) -> tuple[int, int, int, int]:
        """Awaited acks, owed acks, armed ack timeouts and broadcasts still gathering."""
        awaited = sum(len(ids) for ids in self._single.values())
        owed = sum(len(ids) for ids in self._owed.values())
        return awaited, owed, len(self._deadlines), len(self._broadcasts)

    def next_deadline(self) -> float | None:
        """The earliest ack timeout."""
        return earliest(self._deadlines.next(), self._broadcasts.next_deadline())

    def handle_timeout(self, now: float) -> list[Event]:
        """End every ack whose timeout has passed."""
        events: list[Event] = []
        for socket_id, ack_id in list(self._deadlines.pop_due(now)):
            self._discard_single(socket_id, ack_id)
            events.append(_abandoned(socket_id, ack_id, AckAbandonReason.TIMEOUT))
        return events + self._broadcasts.handle_timeout(now)

    def _collected(
        self, broadcast_id: int, gathering: Gathering[Answer], timed_out: bool
    ) -> Event:
        for key in gathering.waiting:
            self._member_of.pop(key, None)
        responses = tuple(gathering.answers)
        return BroadcastAcksCollected(
            broadcast_id=broadcast_id, responses=responses, timed_out=timed_out
        )


def _abandoned(socket_id: str, ack_id: int, reason: AckAbandonReason) -> AckAbandoned:
    return AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason=reason)
