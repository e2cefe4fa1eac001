"""Rooms: which sockets are in which rooms, indexed both ways, and who a broadcast reaches.

The in-memory adapter answers for this node only. A cluster adapter (Redis, next) keeps the same
interface and, for every operation not flagged ``local``, also turns it into a request for the
other nodes (see :class:`Adapter`). A :class:`ReportingAdapter` around any of them tells who
joined and who left which rooms, for what must follow the membership (room channels, events).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastOptions:
    """Who a broadcast or a utility method targets: the union of ``rooms`` (every socket when
    empty) minus every socket in ``except_rooms``, plus the delivery flags."""

    rooms: frozenset[str] = frozenset()
    except_rooms: frozenset[str] = frozenset()
    volatile: bool = False
    local: bool = False
    compress: bool = True


class Adapter(Protocol):
    """The room index of one namespace, as the core uses it.

    A cluster adapter implements the same methods; what must reach other nodes (broadcasts,
    ``sockets_join``, ``fetch_sockets``...) it sends as requests of its own, unless the options
    say ``local``.
    """

    def add_all(self, socket_id: str, rooms: Iterable[str]) -> None:
        """Put the socket in each of the rooms."""
        ...

    def delete(self, socket_id: str, room: str) -> None:
        """Take the socket out of one room."""
        ...

    def delete_all(self, socket_id: str) -> None:
        """Take the socket out of every room."""
        ...

    def rooms_of(self, socket_id: str) -> frozenset[str]:
        """The rooms the socket is in."""
        ...

    def matching(self, options: BroadcastOptions) -> Iterator[str]:
        """The local sockets a broadcast with these options reaches."""
        ...


class InMemoryAdapter:
    """The room index of one namespace on one node.

    Members are kept in insertion-ordered dicts rather than sets, so that a broadcast reaches
    sockets in the order they joined, the same on every run.
    """

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, None]] = {}
        self.sids: dict[str, dict[str, None]] = {}

    def add_all(self, socket_id: str, rooms: Iterable[str]) -> None:
        """Put the socket in each of the rooms."""
        joined = self.sids.setdefault(socket_id, {})
        for room in rooms:
            joined[room] = None
            self.rooms.setdefault(room, {})[socket_id] = None

    def delete(self, socket_id: str, room: str) -> None:
        """Take the socket out of one room; an empty room disappears."""
        self.sids.get(socket_id, {}).pop(room, None)
        members = self.rooms.get(room)
        if members is not None:
            members.pop(socket_id, None)
            if not members:
                del self.rooms[room]

    def delete_all(self, socket_id: str) -> None:
        """Take the socket out of every room and forget it."""
        for room in self.sids.pop(socket_id, {}):
            members = self.rooms[room]
            members.pop(socket_id, None)
            if not members:
                del self.rooms[room]

    def rooms_of(self, socket_id: str) -> frozenset[str]:
        """The rooms the socket is in."""
        return frozenset(self.sids.get(socket_id, ()))

    def matching(self, options: BroadcastOptions) -> Iterator[str]:
        """Each socket in any of ``rooms`` (or any socket at all), minus the excepted, once."""
        excluded: set[str] = set()
        for room in options.except_rooms:
            excluded.update(self.rooms.get(room, ()))
        if not options.rooms:
            yield from (sid for sid in list(self.sids) if sid not in excluded)
            return
        seen: set[str] = set()
        for room in options.rooms:
            for sid in list(self.rooms.get(room, ())):
                if sid not in seen and sid not in excluded:
                    seen.add(sid)
                    yield sid


RoomsChanged = Callable[[str, list[str]], None]
"""Told a socket id and the rooms it just joined, or just left."""


class ReportingAdapter:
    """An adapter that reports each socket's joins and leaves, then passes the call on.

    Every change of a namespace's rooms goes through its adapter, so wrapping it sees them all.
    Only real changes are reported: joining a room the socket is in, or leaving one it is not
    in, reports nothing.

    :param joined: called after a socket joined rooms, with the rooms new to it, in call order.
    :param left: called after a socket left rooms (one, or all it was in, sorted).
    """

    def __init__(self, inner: Adapter, *, joined: RoomsChanged, left: RoomsChanged) -> None:
        self._inner = inner
        self._joined = joined
        self._left = left

    def add_all(self, socket_id: str, rooms: Iterable[str]) -> None:
        """Put the socket in each of the rooms; report those it was not in."""
        names = list(rooms)
        had = self._inner.rooms_of(socket_id)
        new = [room for room in dict.fromkeys(names) if room not in had]
        self._inner.add_all(socket_id, names)
        if new:
            self._joined(socket_id, new)

    def delete(self, socket_id: str, room: str) -> None:
        """Take the socket out of one room; report it if the socket was in it."""
        was_in = room in self._inner.rooms_of(socket_id)
        self._inner.delete(socket_id, room)
        if was_in:
            self._left(socket_id, [room])

    def delete_all(self, socket_id: str) -> None:
        """Take the socket out of every room; report them."""
        rooms = sorted(self._inner.rooms_of(socket_id))
        self._inner.delete_all(socket_id)
        if rooms:
            self._left(socket_id, rooms)

    def rooms_of(self, socket_id: str) -> frozenset[str]:
        """The rooms the socket is in."""
        return self._inner.rooms_of(socket_id)

    def matching(self, options: BroadcastOptions) -> Iterator[str]:
        """The local sockets a broadcast with these options reaches."""
        return self._inner.matching(options)
