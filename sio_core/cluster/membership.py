"""Who else is in the cluster, from heartbeats: ``ClusterAdapterWithHeartbeat``'s bookkeeping.

Theory of operation (socket.io-adapter 2.5.x ``lib/cluster-adapter.ts``)
------------------------------------------------------------------------

Adapters that cannot ask Redis how many nodes listen (the Streams, Postgres and Mongo adapters,
and any node that chooses to count peers itself) learn it from the messages themselves:

- on start, a node publishes ``INITIAL_HEARTBEAT``; every node that receives one answers with a
  ``HEARTBEAT``, so the newcomer learns of them at once;
- a node publishes a ``HEARTBEAT`` when it has published nothing for ``heartbeat_interval``
  (5 s): Node re-arms that timer on every publication, responses excepted;
- every message received from another node (its ``uid`` set, not ours, not ``"emitter"``)
  marks that node as seen; a node not seen for ``heartbeat_timeout`` (10 s) is gone;
- on close, a node publishes ``ADAPTER_CLOSE``, and the others forget it at once.

The server count is 1 plus the known nodes, and a request waits for one answer per known node.
Node's sharded Redis adapter is a plain ``ClusterAdapter``, not this one: it sends no heartbeats
(and ignores them, as unknown types) and counts nodes with ``PUBSUB SHARDNUMSUB`` instead.
Node sweeps for silent nodes every second with ``now - last_seen > timeout``; here each node has
its own deadline, ``last_seen + timeout``, and is gone once ``now`` reaches it.

Like the rest of the core this is sans-IO: feed it what was published and received with ``now``,
call :meth:`Membership.handle_timeout` at :meth:`Membership.next_deadline`, and drain the
heartbeats to publish (:meth:`Membership.messages_to_send`) and the comings and goings
(:meth:`Membership.events`). ``now`` must never go backwards (a monotonic clock).
"""

from __future__ import annotations

import dataclasses
import enum

from sio_core.cluster.messages import (
    EMITTER_UID,
    AdapterClose,
    ClusterMessage,
    Heartbeat,
    InitialHeartbeat,
    MembershipMessage,
)
from sio_core.errors import LocalProtocolError

DEFAULT_HEARTBEAT_INTERVAL = 5.0
"""Seconds without publishing before a node sends a heartbeat (Node's ``heartbeatInterval``)."""

DEFAULT_HEARTBEAT_TIMEOUT = 10.0
"""Seconds without hearing from a node before it is gone (Node's ``heartbeatTimeout``)."""


class LeaveReason(str, enum.Enum):
    """Why a node stopped counting."""

    TIMED_OUT = "timed out"
    """Silent for longer than the heartbeat timeout."""
    CLOSED = "closed"
    """It said so with ``ADAPTER_CLOSE``."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NodeJoined:
    """The first message from node ``uid`` arrived: it now counts."""

    uid: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NodeLeft:
    """Node ``uid`` no longer counts: requests still waiting for it should stop waiting."""

    uid: str
    reason: LeaveReason


MembershipEvent = NodeJoined | NodeLeft


class Membership:
    """The other nodes of one namespace, as heartbeats reveal them.

    :param uid: this node's id in the namespace.
    """

    def __init__(
        self,
        uid: str,
        nsp: str = "/",
        *,
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
    ) -> None:
        if heartbeat_interval <= 0 or heartbeat_timeout <= 0:
            raise ValueError("heartbeat interval and timeout must be positive")
        self.uid = uid
        self.nsp = nsp
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        # Ordered by last sighting, oldest first: re-seeing a node moves it to the end.
        self._last_seen: dict[str, float] = {}
        self._heartbeat_due: float | None = None
        self._running = False
        self._closed = False
        self._outbox: list[MembershipMessage] = []
        self._events: list[MembershipEvent] = []

    # -- what the node tells us ------------------------------------------------------------

    def start(self, now: float) -> None:
        """This node starts: announce it with an ``INITIAL_HEARTBEAT``."""
        if self._running or self._closed:
            raise LocalProtocolError("membership already started")
        self._running = True
        self._send(InitialHeartbeat(uid=self.uid, nsp=self.nsp), now)

    def published(self, now: float) -> None:
        """This node published a message (not a response): no heartbeat needed for a while."""
        if self._running:
            self._heartbeat_due = now + self.heartbeat_interval

    def received(self, message: ClusterMessage, now: float) -> None:
        """A message arrived from the channels; heartbeats and closes are acted upon here.

        Messages of another namespace, our own, the emitter's and those without a ``uid`` are
        ignored; every other one counts as a sign of life, whatever its type.
        """
        uid = message.uid
        if (
            self._closed
            or uid is None
            or uid in (self.uid, EMITTER_UID)
            or message.nsp != self.nsp
        ):
            return
        if isinstance(message, AdapterClose):
            self._forget(uid, LeaveReason.CLOSED)
            return
        if uid not in self._last_seen:
            self._events.append(NodeJoined(uid=uid))
        self._last_seen.pop(uid, None)
        self._last_seen[uid] = now
        if isinstance(message, InitialHeartbeat) and self._running:
            self._send(Heartbeat(uid=self.uid, nsp=self.nsp), now)

    def close(self) -> None:
        """This node leaves: say so with ``ADAPTER_CLOSE``, stop the timers, ignore what comes."""
        if self._running:
            self._outbox.append(AdapterClose(uid=self.uid, nsp=self.nsp))
        self._running = False
        self._closed = True
        self._heartbeat_due = None
        self._last_seen.clear()

    # -- the clock -------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timeout` must next be called (``None``: not before new input)."""
        deadlines = [self._heartbeat_due] if self._heartbeat_due is not None else []
        oldest = next(iter(self._last_seen.values()), None)
        if oldest is not None:
            deadlines.append(oldest + self.heartbeat_timeout)
        return min(deadlines, default=None)

    def handle_timeout(self, now: float) -> None:
        """Send the heartbeat if due, and forget the nodes silent for too long."""
        while self._last_seen:
            uid, seen = next(iter(self._last_seen.items()))
            if seen + self.heartbeat_timeout > now:
                break
            self._forget(uid, LeaveReason.TIMED_OUT)
        if self._heartbeat_due is not None and self._heartbeat_due <= now:
            self._send(Heartbeat(uid=self.uid, nsp=self.nsp), now)

    # -- what we tell the node -------------------------------------------------------------

    def messages_to_send(self) -> list[MembershipMessage]:
        """The heartbeats to publish (on the namespace's main channel), oldest first."""
        outbox, self._outbox = self._outbox, []
        return outbox

    def events(self) -> list[MembershipEvent]:
        """Nodes that joined or left since the last call, in order."""
        events, self._events = self._events, []
        return events

    @property
    def nodes(self) -> tuple[str, ...]:
        """The other nodes' uids, least recently heard from first."""
        return tuple(self._last_seen)

    def server_count(self) -> int:
        """How many servers the namespace has: this one plus the known others."""
        return 1 + len(self._last_seen)

    # -- internals -------------------------------------------------------------------------

    def _send(self, message: MembershipMessage, now: float) -> None:
        self._outbox.append(message)
        self.published(now)

    def _forget(self, uid: str, reason: LeaveReason) -> None:
        if self._last_seen.pop(uid, None) is not None:
            self._events.append(NodeLeft(uid=uid, reason=reason))
