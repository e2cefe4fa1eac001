"""A Redis Streams node's view of its stream: how far it has read, and the commands it waits on.

Only a server on the Redis Streams format (:class:`~sio_core.cluster.RedisStreamsFormat`) has one.

- **Reading.** The backend runs one :class:`~sio_core.cluster.stream_commands.StreamRead` at a
  time, on a connection of its own, and hands its reply back. The first read finds the last
  entry, where this node starts (Node starts from ``$``, which loses what is appended between two
  of its reads); every later one is an ``XREAD`` after the last entry read, the
  :attr:`ClusterStream.position`. Each entry goes, in order, to the node (``on_entry``), then the
  position moves past it. The position outlives any connection: after Redis comes back, reading
  resumes from it. A reply to a read that no longer starts at the position is ignored, so a
  read run twice cannot deliver anything twice.
- **Commands with replies.** :meth:`ClusterStream.request` queues a
  :class:`~sio_core.events.ClusterCommand` with a ticket; its reply (or a
  :class:`~sio_core.cluster.stream_commands.CommandFailed`) comes back through
  :meth:`ClusterStream.replied` to the callback that asked.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from sio_core.cluster import RedisStreamsFormat
from sio_core.cluster.stream_commands import (
    Command,
    StreamRead,
    entries_of,
    last_entry,
    read_after,
    read_entries,
)
from sio_core.engineio._events import Event
from sio_core.socketio._events import ClusterCommand, ClusterMessageRejected

OnEntry = Callable[[str, dict[str, str]], None]
"""What is done with each entry read: its id, and its fields."""
OnReply = Callable[[Any], None]
"""What is done with the reply to a command (or its ``CommandFailed``)."""

NO_ENTRY = "0-0"
"""The position before any entry: where a reader starts on an empty stream."""


class ClusterStream:
    """The reading position of a Streams node, and its commands waiting for replies.

    :param emit: queues events for the server's next ``events()``.
    :param on_entry: called with each entry read, in order (set by the server once its node
        exists).
    """

    def __init__(
        self,
        stream_format: RedisStreamsFormat,
        emit: Callable[[Iterable[Event]], None],
        on_entry: OnEntry | None = None,
    ) -> None:
        self.format = stream_format
        self.on_entry = on_entry
        self.position: str | None = None
        """The id of the last entry read (``None`` until the first read tells where to start)."""
        self._emit = emit
        self._waiting: dict[int, OnReply] = {}
        self._tickets = itertools.count(1)

    # -- reading ----------------------------------------------------------------------------------

    def next_read(self) -> StreamRead:
        """The read to run now: finding the start, or reading after the position."""
        if self.position is None:
            return StreamRead(command=last_entry(self.format), after=None, block=0.0)
        command = read_after(self.format, self.position)
        return StreamRead(command=command, after=self.position, block=self.format.block_time)

    def receive_read(self, read: StreamRead, reply: Any) -> None:
        """Apply the reply to ``read``: start, or hand on each new entry and move past it.

        :raises ClusterProtocolError: the reply is not one Redis gives to that read.
        """
        if read.after is None:
            entries = entries_of(reply)
            if self.position is None:
                self.position = entries[0][0] if entries else NO_ENTRY
            return
        if read.after != self.position:
            return
        for entry_id, fields in read_entries(reply, self.format):
            self.position = entry_id
            if fields is None:
                reason = f"stream entry {entry_id} holds fields that are not text"
                self._emit([ClusterMessageRejected(reason=reason)])
            elif self.on_entry is not None:
                self.on_entry(entry_id, fields)

    def start_at(self, entry_id: str) -> None:
        """Start reading after ``entry_id`` unless reading has started already: a restore went
        to the end of the stream before this node's first read, and delivers up to there."""
        if self.position is None:
            self.position = entry_id

    # -- commands ---------------------------------------------------------------------------------

    def request(self, command: Command, on_reply: OnReply) -> None:
        """Queue ``command``; ``on_reply`` gets its reply."""
        ticket = next(self._tickets)
        self._waiting[ticket] = on_reply
        self._emit([ClusterCommand(command=command, ticket=ticket)])

    def send(self, command: Command) -> None:
        """Queue ``command``, whose reply nobody waits for."""
        self._emit([ClusterCommand(command=command)])

    def replied(self, ticket: int, reply: Any) -> None:
        """The reply to the command of ``ticket``; an unknown ticket is ignored."""
        on_reply = self._waiting.pop(ticket, None)
        if on_reply is not None:
            on_reply(reply)

    @property
    def waiting(self) -> int:
        """How many commands wait for their reply."""
        return len(self._waiting)
