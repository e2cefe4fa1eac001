"""An in-memory Redis pub/sub for cluster tests: several servers, one bus, no I/O, no sleeps.

:class:`ClusterBus` does for the :class:`~sio_core.events.ClusterPublish`,
:class:`~sio_core.events.ClusterSubscribe` and :class:`~sio_core.events.ClusterUnsubscribe`
events of servers in cluster mode what Redis does for their backends:

- ``SUBSCRIBE`` / ``PSUBSCRIBE`` / ``PUBLISH``: a message reaches every node subscribed to its
  channel, and every node with a matching pattern (``*`` any run of characters, ``?`` one; no
  other glob syntax), once per matching subscription as in Redis, the publisher included;
- ``SSUBSCRIBE`` / ``SPUBLISH``: shard channels, a space of their own, without patterns;
- ``PUBSUB NUMSUB`` and ``SHARDNUMSUB`` (:meth:`ClusterBus.numsub`,
  :meth:`ClusterBus.shardnumsub`), and :meth:`ClusterBus.peers`, what a backend passes as
  ``peers``.

Each node is a :class:`~sio_core.testing.Harness` around a
:class:`~sio_core.SocketServer`, with its own clock; the bus reads the cluster events the
harness drained (``app_events``) and feeds each message to the receiving node at that node's
``now``. Nothing moves until :meth:`ClusterBus.flush`, which delivers until no message is left
in flight, so a test decides exactly when the nodes hear from each other. Between two flushes
the bus cannot tell which node acted first: the subscriptions asked for since the last flush
count for every message published since.

A node can be :meth:`muted <ClusterBus.mute>` (it stays subscribed and counted, but hears and
says nothing: a frozen process) or :meth:`detached <ClusterBus.detach>` (its subscriptions are
gone, as when its connection to Redis dies).

Nodes on the Redis Streams format also send commands (:class:`~sio_core.events.ClusterCommand`)
and read the stream: the bus runs both on one in-memory Redis (:attr:`ClusterBus.redis`, a
:class:`~sio_core._fake_redis.FakeRedis`). A command is carried out when the bus collects it,
in the order nodes issued them; its reply reaches the node at the next :meth:`ClusterBus.flush`,
which also has every node read what is new in the stream, until nothing moves. A node's reading
can be held back (:meth:`ClusterBus.hold_reader`), as a slow reader would be.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import TYPE_CHECKING

from sio_core import SocketServer
from sio_core._fake_redis import FakeRedis
from sio_core.cluster.stream_commands import CommandFailed
from sio_core.errors import LocalProtocolError
from sio_core.events import ClusterCommand, ClusterPublish, ClusterSubscribe, ClusterUnsubscribe

if TYPE_CHECKING:
    from sio_core.testing import Harness


@functools.lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile("".join(parts), re.DOTALL)


def pattern_matches(glob: str, channel: str) -> bool:
    """Whether ``PSUBSCRIBE glob`` receives what is published on ``channel``."""
    return _pattern(glob).fullmatch(channel) is not None


@dataclasses.dataclass(eq=False)
class _Node:
    harness: Harness
    channels: set[str] = dataclasses.field(default_factory=set)
    patterns: set[str] = dataclasses.field(default_factory=set)
    shard_channels: set[str] = dataclasses.field(default_factory=set)
    seen: int = 0
    muted: bool = False
    streams: bool = False
    reader_held: bool = False

    @property
    def server(self) -> SocketServer:
        core = self.harness.core
        assert isinstance(core, SocketServer), "a cluster node is a SocketServer"
        return core

    def copies(self, publication: ClusterPublish) -> int:
        """How many times Redis hands ``publication`` to this node."""
        if publication.sharded:
            return int(publication.channel in self.shard_channels)
        channel = publication.channel
        matching = sum(pattern_matches(glob, channel) for glob in self.patterns)
        return int(channel in self.channels) + matching

    def subscribe(self, event: ClusterSubscribe | ClusterUnsubscribe) -> None:
        channels = self.shard_channels if event.sharded else self.channels
        if isinstance(event, ClusterSubscribe):
            channels.update(event.channels)
            self.patterns.update(event.patterns)
        else:
            channels.difference_update(event.channels)
            self.patterns.difference_update(event.patterns)


class ClusterBus:
    """Redis pub/sub in memory, between the harnesses :meth:`attach`-ed to it."""

    def __init__(self) -> None:
        self._nodes: list[_Node] = []
        self._in_flight: list[tuple[ClusterPublish, list[_Node]]] = []
        self.published: list[ClusterPublish] = []
        """Every message a node that was not muted published, in order."""
        self.delivered = 0
        """How many messages the nodes received (a message counts once per recipient; a stream
        entry once per reader)."""
        self.redis = FakeRedis()
        """The streams and keys of the nodes on the Redis Streams format."""
        self._replies: list[tuple[_Node, int, object]] = []

    def attach(self, harness: Harness) -> Harness:
        """Plug a harness's server (in cluster mode) into the bus; returns the harness."""
        node = _Node(harness)
        node.server.count_channel("/")  # refuses a server not in cluster mode, at once
        try:
            node.server.next_stream_read()
        except LocalProtocolError:
            pass
        else:
            node.streams = True
        self._nodes.append(node)
        self._collect()
        self._read(node)  # a Streams node starts reading at once: it hears what comes next
        return harness

    def detach(self, harness: Harness) -> None:
        """Unplug a node: its subscriptions are gone and it no longer counts."""
        self._nodes.remove(self._node(harness))

    def mute(self, harness: Harness, muted: bool = True) -> None:
        """Freeze a node (or thaw it): still subscribed and counted, it hears and says nothing.

        What it publishes while muted is lost, as are the messages for it.
        """
        self._node(harness).muted = muted

    def hold_reader(self, harness: Harness, held: bool = True) -> None:
        """Stop a Streams node from reading the stream (or let it read again): its commands
        and their replies still go through."""
        self._node(harness).reader_held = held

    # -- PUBSUB -----------------------------------------------------------------------------

    def numsub(self, channel: str) -> int:
        """``PUBSUB NUMSUB channel``: the nodes subscribed to it (patterns not counted)."""
        return sum(channel in node.channels for node in self._nodes)

    def shardnumsub(self, channel: str) -> int:
        """``PUBSUB SHARDNUMSUB channel``."""
        return sum(channel in node.shard_channels for node in self._nodes)

    def peers(self, harness: Harness, nsp: str = "/") -> int:
        """The other nodes of ``nsp`` as ``harness``'s backend would count them right now
        (every subscription asked for so far counts; no message moves)."""
        self._collect()
        channel, sharded = self._node(harness).server.count_channel(nsp)
        count = self.shardnumsub(channel) if sharded else self.numsub(channel)
        return max(count - 1, 0)

    # -- moving messages --------------------------------------------------------------------

    def flush(self, max_rounds: int = 100) -> int:
        """Deliver every message in flight, and the ones their delivery caused, until none is
        left (with Streams nodes: every command reply, and every new entry to each reader not
        held); returns how many were delivered.

        :raises RuntimeError: messages kept coming for ``max_rounds`` rounds (a loop).
        """
        total = 0
        for _ in range(max_rounds):
            self._collect()
            moved = self._reply_all() + self._read_all()
            if not self._in_flight and not moved:
                return total
            total += moved
            pending, self._in_flight = self._in_flight, []
            for publication, recipients in pending:
                for node in recipients:
                    total += self._deliver(node, publication)
        raise RuntimeError(f"cluster messages kept coming after {max_rounds} rounds")

    def _reply_all(self) -> int:
        replies, self._replies = self._replies, []
        for node, ticket, reply in replies:
            node.server.receive_command_reply(ticket, reply, node.harness.clock.now)
            node.harness.pump()
        return len(replies)

    def _read_all(self) -> int:
        """Every Streams node whose reader is not held reads what is new; how many entries."""
        return sum(self._read(node) for node in list(self._nodes))

    def _read(self, node: _Node) -> int:
        read = 0
        while node.streams and not node.reader_held and not node.muted:
            step = node.server.next_stream_read()
            reply = self.redis.execute(step.command, node.harness.clock.now)
            if step.after is not None and reply is None:
                break
            node.server.receive_stream_read(step, reply, node.harness.clock.now)
            node.harness.pump()
            if isinstance(reply, dict):
                read += sum(len(found) for found in reply.values())
        self.delivered += read
        return read

    def advance(self, seconds: float) -> None:
        """Move every node's clock by ``seconds`` (firing its deadlines), then :meth:`flush`."""
        for node in list(self._nodes):
            node.harness.advance(seconds)
        self.flush()

    def _collect(self) -> None:
        """Every node's new cluster events: first the subscriptions of all, then the messages.

        The bus cannot tell which of two nodes acted first between two flushes, so a
        subscription asked for since the last flush counts for every message published since.
        """
        fresh = []
        for node in list(self._nodes):
            node.harness.pump()
            events = node.harness.app_events
            fresh.append((node, events[node.seen :]))
            node.seen = len(events)
        for node, events in fresh:
            for event in events:
                if isinstance(event, ClusterSubscribe | ClusterUnsubscribe):
                    node.subscribe(event)
        for node, events in fresh:
            for event in events:
                if node.muted:
                    continue
                if isinstance(event, ClusterPublish):
                    self.published.append(event)
                    self._in_flight.append((event, self._recipients(event)))
                elif isinstance(event, ClusterCommand):
                    self._run(node, event)

    def _run(self, node: _Node, event: ClusterCommand) -> None:
        """Carry out a command now; its reply, if awaited, goes back at the next flush."""
        try:
            reply: object = self.redis.execute(event.command, node.harness.clock.now)
        except ValueError as error:
            reply = CommandFailed(str(error))
        if event.ticket is not None:
            self._replies.append((node, event.ticket, reply))

    def _recipients(self, publication: ClusterPublish) -> list[_Node]:
        return [
            node for node in self._nodes if not node.muted for _ in range(node.copies(publication))
        ]

    def _deliver(self, node: _Node, publication: ClusterPublish) -> int:
        if node not in self._nodes or node.muted:
            return 0
        harness = node.harness
        node.server.receive_cluster_message(
            publication.channel, publication.payload, harness.clock.now
        )
        harness.pump()
        self.delivered += 1
        return 1

    def _node(self, harness: Harness) -> _Node:
        for node in self._nodes:
            if node.harness is harness:
                return node
        raise ValueError("this harness is not attached to the bus")
