"""Connection state recovery across the nodes of a Redis Streams cluster.

Theory of operation (Node's ``persistSession`` and ``restoreSession`` of
``@socket.io/redis-streams-adapter`` 0.3.1, with a better boundary)
-------------------------------------------------------------------------------------------------

The events are in the stream already, each with its entry id as offset; what a node adds is the
sessions, in Redis so that any node can take one back:

- **Persist**: ``SET <session_key_prefix><pid> <session> PX <max_disconnection_duration>``, the
  session as Node writes it (:func:`~sio_core.cluster.stream_commands.encode_session`), with its
  namespace added.
- **Restore**: the offset must look like an entry id, or the socket is a fresh one and nothing
  is asked. Then three commands at once: ``GETDEL`` the session, ``XRANGE offset offset`` and
  the first page after the offset. The session must exist and belong to this namespace (a
  session a Node server stored does not say which it is), and so must the entry at the offset:
  a pid or an offset from another namespace gives a fresh socket. The replay is every broadcast
  of the namespace after the offset that reached the session's rooms and was not volatile, with
  its entry id as the offset, in the stream's order.

**The boundary.** Node replays up to the end of the stream while its reader goes on reading, so
an event appended meanwhile may reach the client twice, or not at all. Here the replay goes
page by page until it has read at least as far as this node's reader
(:attr:`~sio_core.socketio._cluster_stream.ClusterStream.position`): everything before that the
reader has delivered while the socket was away, so it must come from the replay; everything
after it the reader will deliver live. The socket is then created at once, in the same step,
and told how far its replay went (``replayed_to``): an event the reader delivers later that the
replay read already is skipped for it. No gap, no duplicate. A node whose reader has not
started yet replays to the end of the stream and its reader starts there.

A replay that has not caught up after :data:`MAX_PAGES` pages of :data:`REPLAY_PAGE` entries
gives a fresh socket rather than a partial replay; so does any failed command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Final

from sio_core.cluster import Broadcast, ClusterProtocolError, DecodeLimits
from sio_core.cluster.stream_commands import (
    CommandFailed,
    Entry,
    StoredSession,
    decode_session,
    encode_session,
    entries_between,
    entries_of,
    entry_order,
    is_entry_id,
    keep_session,
    take_session,
)
from sio_core.cluster.streams import read_entry
from sio_core.cluster.values import DEFAULT_LIMITS
from sio_core.config import ConnectionStateRecovery
from sio_core.ids import IdGenerator
from sio_core.socketio._adapter import BroadcastOptions
from sio_core.socketio._cluster_stream import ClusterStream
from sio_core.socketio._recovery import (
    Answer,
    Parts,
    Recovery,
    RestoredSession,
    Session,
    reaches,
)

REPLAY_PAGE: Final = 1000
"""Entries per ``XRANGE`` of a replay."""
MAX_PAGES: Final = 100
"""The most pages one replay reads (Node stops after as many ``XRANGE`` calls)."""

EventEncoder = Callable[[str, list[Any]], Sequence[str | bytes]]
"""Encodes the EVENT ``data`` of namespace ``nsp`` for the clients (the server's parser)."""


class StreamSessionStore:
    """One namespace's sessions, in Redis; its events are the stream's entries.

    :param encode: writes a replayed event as the clients' parser does.
    """

    def __init__(
        self,
        nsp: str,
        stream: ClusterStream,
        options: ConnectionStateRecovery,
        encode: EventEncoder,
        limits: DecodeLimits = DEFAULT_LIMITS,
    ) -> None:
        self.nsp = nsp
        self.stream = stream
        self.encode = encode
        self.limits = limits
        self._lifetime_ms = round(options.max_disconnection_duration * 1000)

    def record(self, offset: str, options: BroadcastOptions, parts: Parts, now: float) -> None:
        """Nothing to keep: the event is an entry of the stream already."""

    def persist(self, session: Session, now: float) -> None:
        """``SET ... PX``: any node may take the session back until it expires."""
        rooms = (session.sid, *sorted(session.rooms - {session.sid}))
        stored = StoredSession(
            sid=session.sid, pid=session.pid, rooms=rooms, data=session.data, nsp=self.nsp
        )
        value = encode_session(stored, self.limits)
        self.stream.send(keep_session(self.stream.format, session.pid, value, self._lifetime_ms))

    def restore(self, pid: str, offset: str, now: float, answer: Answer) -> None:
        """Take session ``pid`` back from Redis with what it missed after ``offset``; the answer
        comes once Redis has replied (at once, None, for an offset that is no entry id)."""
        if not is_entry_id(offset):
            answer(None)
            return
        _Restore(self, pid, offset, now, answer).start()

    def purge(self, now: float) -> bool:
        """Nothing to purge: Redis expires the sessions, and trims the stream."""
        return False


class _Restore:
    """One restore, from its three first commands to its answer."""

    def __init__(
        self, store: StreamSessionStore, pid: str, offset: str, now: float, answer: Answer
    ) -> None:
        self._store = store
        self._pid = pid
        self._offset = offset
        self._now = now
        self._answer = answer
        self._first: dict[str, Any] = {}
        self._session: Session | None = None
        self._missed: list[Parts] = []
        self._last = offset  # the last entry the replay has read
        self._pages = 0

    def start(self) -> None:
        stream, stream_format = self._store.stream, self._store.stream.format
        first = (
            ("session", take_session(stream_format, self._pid)),
            ("offset", entries_between(stream_format, self._offset, self._offset)),
        )
        for name, command in first:
            stream.request(command, functools.partial(self._first_reply, name))
        self._next_page(functools.partial(self._first_reply, "page"))

    def _first_reply(self, name: str, reply: Any) -> None:
        self._first[name] = reply
        if len(self._first) < 3:
            return
        self._session = self._session_of(self._first["session"])
        if self._session is None or not self._offset_is_ours(self._first["offset"]):
            self._answer(None)
            return
        self._page(self._first["page"])

    def _next_page(self, on_reply: Callable[[Any], None]) -> None:
        stream = self._store.stream
        command = entries_between(stream.format, f"({self._last}", "+", REPLAY_PAGE)
        asked_at = stream.position
        stream.request(command, lambda reply: on_reply((reply, asked_at)))

    def _page(self, answered: tuple[Any, str | None]) -> None:
        reply, asked_at = answered
        entries = _entries(reply)
        if entries is None:
            self._answer(None)
            return
        self._pages += 1
        for entry_id, fields in entries:
            self._replay(entry_id, fields)
            self._last = entry_id
        if self._caught_up(at_end=len(entries) < REPLAY_PAGE, asked_at=asked_at):
            self._finish()
        elif self._pages >= MAX_PAGES:
            self._answer(None)
        else:
            self._next_page(self._page)

    def _caught_up(self, *, at_end: bool, asked_at: str | None) -> bool:
        """Whether the replay has read everything the reader delivered while the socket was
        away. A page that ends before the reader's position is not enough if it was asked for
        before the reader got there: the entries between may have come after it was answered."""
        position = self._store.stream.position
        if position is None:
            return at_end
        if entry_order(self._last) >= entry_order(position):
            return True
        return at_end and asked_at == position  # what is missing was trimmed, or Redis lost it

    def _finish(self) -> None:
        assert self._session is not None
        stream = self._store.stream
        stream.start_at(self._last)
        restored = RestoredSession(
            session=self._session,
            missed=tuple(self._missed),
            replayed_to=entry_order(self._last),
        )
        self._answer(restored)

    def _session_of(self, reply: Any) -> Session | None:
        """The session ``GETDEL`` took, if it is this namespace's and this pid's."""
        try:
            stored = decode_session(reply, self._store.limits)
        except ClusterProtocolError:
            return None
        if stored.pid != self._pid or stored.nsp not in (None, self._store.nsp):
            return None
        return Session(
            sid=stored.sid,
            pid=stored.pid,
            rooms=frozenset(stored.rooms),
            data=stored.data,
            disconnected_at=self._now,
        )

    def _offset_is_ours(self, reply: Any) -> bool:
        """Whether the client's offset is an entry of the stream, of this namespace."""
        entries = _entries(reply) or []
        return (
            len(entries) == 1
            and entries[0][0] == self._offset
            and ((entries[0][1] or {}).get("nsp") == self._store.nsp)
        )

    def _replay(self, entry_id: str, fields: dict[str, str] | None) -> None:
        """Keep the entry for the client if it is one of the broadcasts it missed."""
        store, session = self._store, self._session
        assert session is not None
        if fields is None or fields.get("nsp") != store.nsp or fields.get("type") != "3":
            return
        try:
            message = read_entry(fields, store.limits)
        except ClusterProtocolError:
            return
        if not isinstance(message, Broadcast) or message.request_id is not None:
            return
        selection = message.selection
        if selection.flags is not None and selection.flags.volatile:
            return
        if reaches(session.rooms, selection.rooms, selection.except_rooms):
            data = [message.event, *message.args, entry_id]
            self._missed.append(tuple(store.encode(store.nsp, data)))


def _entries(reply: Any) -> list[Entry] | None:
    """The entries of an ``XRANGE`` reply; None if there was none, or it is no such reply."""
    if isinstance(reply, CommandFailed):
        return None
    try:
        return entries_of(reply)
    except ClusterProtocolError:
        return None


def recovery_of(
    options: ConnectionStateRecovery | None,
    new_id: IdGenerator,
    stream: ClusterStream | None,
    encode: EventEncoder,
) -> Recovery | None:
    """A server's recovery: none when the option is off, in memory, or on its Redis stream."""
    if options is None:
        return None
    if stream is None:
        return Recovery(options, new_id)
    return Recovery(
        options,
        new_id,
        lambda nsp: StreamSessionStore(nsp, stream, options, encode),
        offsets_from_stream=True,
    )
