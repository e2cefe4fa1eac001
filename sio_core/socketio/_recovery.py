"""Connection state recovery (Node 4.6+): what a dropped client left behind, and what it missed.

Theory of operation, with Node's semantics (``socket.io`` ``lib/socket.ts`` and
``lib/namespace.ts``, ``socket.io-adapter`` ``lib/in-memory-adapter.ts``):

* **Offsets.** Every EVENT that reaches sockets without an ack and without ``volatile``, through
  a broadcast or through a socket's own ``emit`` (which Node sends as a broadcast to the
  socket's own room), gets a fresh offset appended as its last argument and is kept, encoded
  once, with the rooms it was sent to and the rooms it excepted. The client remembers the last
  string argument of each event as its offset.
* **Sessions.** A connected socket that leaves for one of :data:`RECOVERABLE_REASONS` leaves a
  :class:`Session` behind: its id, its private ``pid`` (sent only in its CONNECT reply), its
  rooms and its ``data``.
* **Restore.** A CONNECT whose ``auth`` carries a string ``pid`` and a string ``offset`` looks
  the session up *in that namespace's store only*. It is restored when the session has not
  expired and the offset is still kept; the missed events are then those kept after the
  offset that the session's rooms select (in one of the packet's rooms, or any when it had
  none, and in none of its excepted rooms), in order. Anything else gives a fresh socket.
* **Expiry.** A session, and a kept event, lasts ``max_disconnection_duration``. Expiry is
  checked exactly at each store operation; a purge also runs every :data:`PURGE_INTERVAL`
  seconds (as Node's timer does) so that an idle store gives its memory back.

Where this differs from Node's in-memory adapter, on purpose:

* A session is *taken* by its first restore (as the Redis Streams adapter's ``GETDEL`` does),
  so one pid can never bring back two sockets.
* The kept events are capped (``max_buffered_packets`` per namespace, oldest dropped first).
  Dropping from the front only keeps the buffer a contiguous suffix of what was sent: an offset
  still kept has every later event kept too, so a restore replays everything or nothing.

The seam: a namespace's :class:`SessionStore` keeps its sessions and events. The in-memory one
is :class:`InMemorySessionStore`; one that stores them elsewhere implements the same four
operations, and may answer a restore later (it asks another process): the Redis Streams one
(:mod:`sio_core.socketio._stream_sessions`) keeps sessions under ``SET ... PX`` and takes its
offsets from the stream, the entry id of each event (``offsets_from_stream``).
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from sio_core.config import ConnectionStateRecovery
from sio_core.errors import DisconnectReason
from sio_core.ids import IdGenerator
from sio_core.socketio._adapter import BroadcastOptions

RECOVERABLE_REASONS = frozenset(
    {
        DisconnectReason.TRANSPORT_ERROR,
        DisconnectReason.TRANSPORT_CLOSE,
        DisconnectReason.FORCED_CLOSE,
        DisconnectReason.PING_TIMEOUT,
        DisconnectReason.SERVER_SHUTTING_DOWN,
        DisconnectReason.FORCED_SERVER_CLOSE,
    }
)
"""Node's reasons for keeping a session: the connection failed, not someone's decision to leave."""

PURGE_INTERVAL = 60.0
"""Seconds between two purges of expired sessions and events, as Node's timer."""

Parts = tuple[str | bytes, ...]
"""One packet as the parser encoded it: a text part, then its binary attachments."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """What a socket leaves behind for a recoverable reason (Node's persisted session).

    :param sid: the socket's id (Node calls it ``sid``; not the Engine.IO sid).
    :param pid: the private id the client was given in its CONNECT reply.
    :param rooms: the socket's rooms when it left, its own room included.
    :param disconnected_at: the ``now`` it left at; it expires ``max_disconnection_duration``
        later.
    """

    sid: str
    pid: str
    rooms: frozenset[str]
    data: Any
    disconnected_at: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RestoredSession:
    """A session taken back, with the events its client missed, encoded, in order.

    :param replayed_to: for offsets from a stream, the entry the replay read up to: an event
        at or before it that reaches the socket later, live, is one it was replayed already.
    """

    session: Session
    missed: tuple[Parts, ...]
    replayed_to: tuple[int, int] | None = None


Answer = Callable[[RestoredSession | None], None]
"""Where a store hands the result of a restore: the session, or None if it cannot."""


def reaches(rooms: frozenset[str], to: Iterable[str], excepted: Iterable[str]) -> bool:
    """Whether a socket in ``rooms`` was among the recipients of an event sent to the rooms
    ``to`` (everyone when there are none) except those in ``excepted``."""
    targets = frozenset(to)
    included = not targets or not rooms.isdisjoint(targets)
    return included and rooms.isdisjoint(excepted)


class SessionStore(Protocol):
    """Where one namespace keeps its sessions and the events kept for replay."""

    def record(self, offset: str, options: BroadcastOptions, parts: Parts, now: float) -> None:
        """Keep an event sent with ``offset`` to the sockets ``options`` select."""
        ...

    def persist(self, session: Session, now: float) -> None:
        """Keep a session until it expires or is restored."""
        ...

    def restore(self, pid: str, offset: str, now: float, answer: Answer) -> None:
        """Take session ``pid`` back with what was missed since ``offset`` and hand it to
        ``answer`` (None if it cannot), exactly once: now, or later for a store that asks
        another process."""
        ...

    def purge(self, now: float) -> bool:
        """Forget what expired; whether anything is still kept."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class _Kept:
    """One event kept for replay."""

    sequence: int
    emitted_at: float
    rooms: frozenset[str]
    except_rooms: frozenset[str]
    parts: Parts

    def reaches(self, rooms: frozenset[str]) -> bool:
        """Whether a socket in ``rooms`` was among the event's recipients."""
        return reaches(rooms, self.rooms, self.except_rooms)


class InMemorySessionStore:
    """One namespace's sessions and kept events, in this process (Node's in-memory adapter).

    Both are kept in the order they came, which is also the order they expire in, so a purge
    only ever looks at the oldest (an ``OrderedDict``: taking from its front stays cheap however
    many went before, where a plain dict would scan past every deleted entry).
    """

    def __init__(self, options: ConnectionStateRecovery) -> None:
        self._lifetime = options.max_disconnection_duration
        self._cap = options.max_buffered_packets
        self._sessions: collections.OrderedDict[str, Session] = collections.OrderedDict()
        self._events: collections.deque[_Kept] = collections.deque()
        self._sequences: dict[str, int] = {}  # offset -> sequence, for the events kept
        self._offsets: dict[int, str] = {}  # and back, to forget an offset with its event
        self._counter = itertools.count()

    def record(self, offset: str, options: BroadcastOptions, parts: Parts, now: float) -> None:
        """Keep an event; past the cap, the oldest kept event is dropped."""
        self.purge(now)
        sequence = next(self._counter)
        self._events.append(_Kept(sequence, now, options.rooms, options.except_rooms, parts))
        self._sequences[offset] = sequence
        self._offsets[sequence] = offset
        while len(self._events) > self._cap:
            self._drop_oldest()

    def persist(self, session: Session, now: float) -> None:
        """Keep a session (a later one with the same pid replaces it)."""
        self.purge(now)
        self._sessions[session.pid] = session
        self._sessions.move_to_end(session.pid)

    def restore(self, pid: str, offset: str, now: float, answer: Answer) -> None:
        """Take session ``pid`` back (it is gone from the store either way) with what it
        missed after ``offset``, at once; None if there is no such session or the offset is
        not kept."""
        answer(self._take(pid, offset, now))

    def _take(self, pid: str, offset: str, now: float) -> RestoredSession | None:
        self.purge(now)
        session = self._sessions.pop(pid, None)
        sequence = self._sequences.get(offset)
        if session is None or sequence is None:
            return None
        later = itertools.islice(self._events, sequence - self._events[0].sequence + 1, None)
        missed = tuple(kept.parts for kept in later if kept.reaches(session.rooms))
        return RestoredSession(session=session, missed=missed)

    def purge(self, now: float) -> bool:
        """Forget the sessions and events older than ``max_disconnection_duration``."""
        while self._events and self._events[0].emitted_at + self._lifetime < now:
            self._drop_oldest()
        while self._sessions:
            pid, oldest = next(iter(self._sessions.items()))
            if oldest.disconnected_at + self._lifetime >= now:
                break
            del self._sessions[pid]
        return bool(self._events or self._sessions)

    def __len__(self) -> int:
        """How many events are kept (the memory bound is on this number)."""
        return len(self._events)

    def _drop_oldest(self) -> None:
        kept = self._events.popleft()
        del self._sequences[self._offsets.pop(kept.sequence)]


StoreFactory = Callable[[str], SessionStore]
"""Makes the store of the namespace it is given the name of."""


class Recovery:
    """Connection state recovery for a whole server: one store per namespace, the offsets and
    pids, and the purge timer. Exists only when the option is on.

    :param offsets_from_stream: the offsets are the entry ids of a Redis stream, given with each
        event (:meth:`offset_for`'s ``entry_id``), instead of drawn here.
    """

    def __init__(
        self,
        options: ConnectionStateRecovery,
        new_id: IdGenerator,
        store_factory: StoreFactory | None = None,
        *,
        offsets_from_stream: bool = False,
    ) -> None:
        self.options = options
        self.offsets_from_stream = offsets_from_stream
        self._new_id = new_id
        self._store_factory = store_factory or (lambda _nsp: InMemorySessionStore(options))
        self._stores: dict[str, SessionStore] = {}
        self._next_purge: float | None = None

    def new_pid(self) -> str:
        """A private session id for a new socket (random in production: it is the secret)."""
        return self._new_id()

    def offset_for(
        self, options: BroadcastOptions, *, with_ack: bool, entry_id: str | None = None
    ) -> str | None:
        """The offset of an event Node keeps (no ack, not volatile): a fresh one, or with
        offsets from a stream, its entry id (None for an event that was not in the stream, a
        ``local`` one); None for the others."""
        if with_ack or options.volatile:
            return None
        return entry_id if self.offsets_from_stream else self._new_id()

    def record(
        self,
        nsp: str,
        offset: str,
        options: BroadcastOptions,
        parts: Sequence[str | bytes],
        now: float,
    ) -> None:
        """Keep an event of namespace ``nsp``, sent with ``offset`` (nothing to keep when it
        is in a stream already)."""
        if self.offsets_from_stream:
            return
        self._store(nsp).record(offset, options, tuple(parts), now)
        self._arm(now)

    def persist(self, nsp: str, session: Session, reason: DisconnectReason, now: float) -> None:
        """Keep the session of a socket that left, if it left for a recoverable reason."""
        if reason in RECOVERABLE_REASONS:
            self._store(nsp).persist(session, now)
            self._arm(now)

    def restore(self, nsp: str, auth: dict[str, Any], now: float, answer: Answer) -> None:
        """Hand ``answer`` the session a CONNECT's ``auth`` asks back (string ``pid`` and
        ``offset``) looked up in namespace ``nsp``'s store only, or None; now or later."""
        pid, offset = auth.get("pid"), auth.get("offset")
        store = self._stores.get(nsp)
        if store is None and self.offsets_from_stream:
            store = self._store(nsp)  # a session of another node: the store is Redis
        if store is None or not isinstance(pid, str) or not isinstance(offset, str):
            answer(None)
            return
        store.restore(pid, offset, now, answer)

    def keep(self, nsp: str, session: Session, now: float) -> None:
        """Keep a session again: it was restored for a client that left before it came back."""
        self._store(nsp).persist(session, now)
        self._arm(now)

    def next_deadline(self) -> float | None:
        """When the next purge is due; None while nothing is kept."""
        return self._next_purge

    def handle_timeout(self, now: float) -> None:
        """Purge every store when it is time; the timer stays armed while anything is kept."""
        if self._next_purge is None or now < self._next_purge:
            return
        kept = [store.purge(now) for store in self._stores.values()]
        self._next_purge = now + PURGE_INTERVAL if any(kept) else None

    def _store(self, nsp: str) -> SessionStore:
        store = self._stores.get(nsp)
        if store is None:
            store = self._stores[nsp] = self._store_factory(nsp)
        return store

    def _arm(self, now: float) -> None:
        if self._next_purge is None:
            self._next_purge = now + PURGE_INTERVAL
