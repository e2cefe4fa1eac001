"""What selects sockets: rooms, broadcasts and their one delivery path, the server utilities
(``fetch_sockets``, ``sockets_join``/``sockets_leave``, ``disconnect_sockets``) and the requests
to the other nodes of a cluster.

Every operation picks sockets through a namespace's adapter, as
:class:`~sio_core.socketio._adapter.BroadcastOptions` say. Each is written in two halves:
:class:`LocalSockets` applies it to this node's sockets and does nothing else, and
:class:`Operations` (the server's ``operations``, the public one) first sends it to the other
nodes, unless it is flagged ``local``, then has :class:`LocalSockets` apply it here. Another
node's request goes straight to :class:`LocalSockets`, so it cannot travel any further: the
halves, not a flag, stop the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import count
from typing import Any

from sio_core.cluster.stream_commands import entry_order
from sio_core.engineio._events import Event
from sio_core.errors import LocalProtocolError
from sio_core.socketio import packets
from sio_core.socketio._adapter import Adapter, BroadcastOptions, ReportingAdapter
from sio_core.socketio._cluster_node import ClusterNode, Delivery
from sio_core.socketio._events import RoomJoined, RoomLeft
from sio_core.socketio._namespace import Namespace, Namespaces
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import SocketSnapshot
from sio_core.socketio._sockets import Sockets
from sio_core.socketio.packets import Packet, PacketType

_ALL = BroadcastOptions()

Rooms = str | Iterable[str]
"""One room name, or several."""


def check_event_name(event: str) -> None:
    """Refuse a name that may not travel in an EVENT packet (``connect``, ``disconnect``...)."""
    if event in packets.RESERVED_EVENTS:
        raise LocalProtocolError(f"{event!r} is a reserved event name")


def room_names(rooms: Rooms) -> tuple[str, ...]:
    """``"a"`` and ``["a", "b"]`` both name rooms."""
    return (rooms,) if isinstance(rooms, str) else tuple(rooms)


class LocalSockets:
    """Each operation applied to this node's sockets only: what other nodes' requests use."""

    def __init__(
        self, sockets: Sockets, namespaces: Namespaces, parser: packets.Parser, shared: Shared
    ) -> None:
        self._sockets = sockets
        self._namespaces = namespaces
        self._parser = parser
        self._recovery = shared.recovery
        self._now = shared.now

    def report_rooms(self, emit: Callable[[Iterable[Event]], None]) -> None:
        """Have every namespace's adapter, those to come too, report joins and leaves."""
        self._namespaces.wrap_adapters(lambda nsp, adapter: _reporting(nsp, adapter, emit))

    def namespace(self, name: str) -> Namespace:
        """The namespace ``name``.

        :raises LocalProtocolError: there is none (a dynamic one is created by a client only).
        """
        namespace = self._namespaces.get(name)
        if namespace is None:
            raise LocalProtocolError(f"no namespace {name!r}")
        return namespace

    def has_members(self, nsp: str, room: str) -> bool:
        """Whether a socket of this node is in ``room`` of namespace ``nsp``."""
        members = self.namespace(nsp).adapter.matching(BroadcastOptions(rooms=frozenset((room,))))
        return next(iter(members), None) is not None

    def all_rooms(self, nsp: str) -> list[str]:
        """Every room of namespace ``nsp`` with a socket of this node in it (ids included)."""
        adapter = self.namespace(nsp).adapter
        rooms: dict[str, None] = {}
        for socket_id in list(adapter.matching(_ALL)):
            rooms.update(dict.fromkeys(sorted(adapter.rooms_of(socket_id))))
        return list(rooms)

    def deliver(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any],
        options: BroadcastOptions,
        *,
        with_ack: bool,
        entry_id: str | None = None,
    ) -> Delivery:
        """Encode ``event`` once and queue it for every selected socket: the one delivery path.

        With ``with_ack`` the packet carries a fresh ack id, which every recipient answers.
        With connection state recovery on, an event without ack and not volatile carries an
        offset as its last argument: a fresh one, kept for replay (see
        :mod:`sio_core.socketio._recovery`), or on the Redis Streams format ``entry_id``, the
        id of the stream entry the event was read from.
        """
        namespace = self.namespace(nsp)
        ack_id = namespace.next_ack_id() if with_ack else None
        recovery = self._recovery
        offset = None
        if recovery is not None:
            offset = recovery.offset_for(options, with_ack=with_ack, entry_id=entry_id)
        data = [event, *args] if offset is None else [event, *args, offset]
        parts = self.encode_event(nsp, data, ack_id)
        if recovery is not None and offset is not None:
            recovery.record(nsp, offset, options, parts, self._now())
        replayable = offset is not None
        entry = entry_order(entry_id) if entry_id is not None else None
        reached = [
            socket_id
            for socket_id in namespace.adapter.matching(options)
            if self._sockets.deliver(
                socket_id, parts, volatile=options.volatile, replayable=replayable, entry=entry
            )
        ]
        return Delivery(ack_id=ack_id, reached=reached)

    def encode_event(
        self, nsp: str, data: list[Any], ack_id: int | None = None
    ) -> list[str | bytes]:
        """The EVENT ``data`` of namespace ``nsp`` as the clients' parser writes it."""
        return self._parser.encode(Packet(PacketType.EVENT, nsp, data, ack_id))

    def fetch_sockets(self, nsp: str, options: BroadcastOptions) -> list[SocketSnapshot]:
        """A snapshot of every selected socket."""
        return [self._sockets.snapshot(socket_id) for socket_id in self._connected(nsp, options)]

    def sockets_join(self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]) -> None:
        """Make every selected socket join the rooms."""
        adapter = self.namespace(nsp).adapter
        for socket_id in list(self._connected(nsp, options)):
            adapter.add_all(socket_id, rooms)

    def sockets_leave(self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]) -> None:
        """Make every selected socket leave the rooms."""
        adapter = self.namespace(nsp).adapter
        for socket_id in list(self._connected(nsp, options)):
            for room in rooms:
                adapter.delete(socket_id, room)

    def _connected(self, nsp: str, options: BroadcastOptions) -> Iterator[str]:
        """The selected sockets that are connected: a recovered socket waiting for its
        decision is in its rooms already, but, as in Node, no utility sees it yet."""
        for socket_id in self.namespace(nsp).adapter.matching(options):
            if self._sockets.is_connected(socket_id):
                yield socket_id

    def disconnect_sockets(self, nsp: str, options: BroadcastOptions, *, close: bool) -> None:
        """Disconnect every selected socket still connected when its turn comes."""
        for socket_id in list(self.namespace(nsp).adapter.matching(options)):
            socket = self._sockets.get(socket_id)
            if socket is not None and self._sockets.is_connected(socket_id):
                self._sockets.disconnect(socket, close=close)


class Operations:
    """Rooms, and what selects sockets; reached as ``SocketServer.operations``.

    Like every command of the server these only queue output, which leaves on the next
    ``events()``. In cluster mode (the server has a ``node_id``) each operation not flagged
    ``local`` also goes to the other nodes, as a :class:`~sio_core.events.ClusterPublish`.
    """

    def __init__(
        self,
        local: LocalSockets,
        cluster: ClusterNode,
        sockets: Sockets,
        shared: Shared,
    ) -> None:
        self._local = local
        self._cluster = cluster
        self._sockets = sockets
        self._acks = shared.acks
        self._emit = shared.emit
        self._now = shared.now
        self._broadcast_ids = count(1)
        self._watching_rooms = False

    # -- one socket's rooms -----------------------------------------------------------------

    def join(self, socket_id: str, rooms: Rooms) -> None:
        """Put a connected socket in one room or several."""
        socket = self._sockets.connected(socket_id)
        self._local.namespace(socket.nsp).adapter.add_all(socket_id, room_names(rooms))

    def leave(self, socket_id: str, room: str) -> None:
        """Take a connected socket out of one room."""
        socket = self._sockets.connected(socket_id)
        self._local.namespace(socket.nsp).adapter.delete(socket_id, room)

    def watch_rooms(self) -> None:
        """Report every join and leave from now on, in every namespace, as
        :class:`~sio_core.events.RoomJoined` and :class:`~sio_core.events.RoomLeft` (Node's
        adapter ``join-room`` and ``leave-room``); idempotent.

        Off by default, so that a server nobody watches pays nothing for them.
        """
        if not self._watching_rooms:
            self._watching_rooms = True
            self._local.report_rooms(self._emit)

    def rooms(self, socket_id: str) -> frozenset[str]:
        """The rooms a socket is in (empty once it is gone)."""
        socket = self._sockets.get(socket_id)
        if socket is None:
            return frozenset()
        return self._local.namespace(socket.nsp).adapter.rooms_of(socket_id)

    # -- broadcasting -----------------------------------------------------------------------

    def broadcast(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any] = (),
        options: BroadcastOptions = _ALL,
        *,
        timeout: float | None = None,
        peers: int = 0,
    ) -> int | None:
        """Send ``event`` to every socket the options select, encoding it once.

        With a ``timeout``, every recipient is asked to acknowledge and the answers are
        collected into one :class:`~sio_core.events.BroadcastAcksCollected`, whose id is returned.
        In a cluster, the other nodes' recipients are asked too: each of the ``peers`` other
        nodes (read from Redis right before the call, as Node does) reports how many clients it
        reached, and their answers are collected as well.

        On the Redis Streams format with recovery on, a broadcast without acks reaches this
        node's sockets too only when it is read back from the stream, with its entry id as
        offset (or at once, without offset, if Redis refuses it).

        :raises LocalProtocolError: a reserved event name, or an argument the client's or the
            cluster's encoding cannot carry (then nothing is sent anywhere).
        """
        check_event_name(event)
        with_ack = timeout is not None
        outgoing = self._cluster.encode_broadcast(nsp, event, args, options, timeout=timeout)
        if outgoing is not None and self._cluster.defers(outgoing):
            self._cluster.append_deferred(
                outgoing, lambda: self._local.deliver(nsp, event, args, options, with_ack=False)
            )
            return None
        delivery = self._local.deliver(nsp, event, args, options, with_ack=with_ack)
        self._cluster.send(outgoing)
        if timeout is None or delivery.ack_id is None:
            return None
        broadcast_id = next(self._broadcast_ids)
        deadline = self._now() + timeout
        if outgoing is None or outgoing.wire_id is None:
            peers = 0
        else:
            self._cluster.await_broadcast(outgoing.wire_id, broadcast_id, deadline)
        recipients = [(socket_id, delivery.ack_id) for socket_id in delivery.reached]
        self._emit(self._acks.expect_broadcast(broadcast_id, recipients, deadline, peers=peers))
        return broadcast_id

    # -- the server utilities, with the broadcast operators in front ---------------------------

    def fetch_sockets(self, nsp: str, options: BroadcastOptions = _ALL) -> list[SocketSnapshot]:
        """A snapshot of every socket of this node the options select (see
        :meth:`request_fetch_sockets` for the whole cluster)."""
        return self._local.fetch_sockets(nsp, options)

    def sockets_join(self, nsp: str, options: BroadcastOptions, rooms: Rooms) -> None:
        """Make every selected socket join the rooms."""
        names = room_names(rooms)
        self._local.namespace(nsp)
        self._cluster.publish_sockets_join(nsp, options, names)
        self._local.sockets_join(nsp, options, names)

    def sockets_leave(self, nsp: str, options: BroadcastOptions, rooms: Rooms) -> None:
        """Make every selected socket leave the rooms."""
        names = room_names(rooms)
        self._local.namespace(nsp)
        self._cluster.publish_sockets_leave(nsp, options, names)
        self._local.sockets_leave(nsp, options, names)

    def disconnect_sockets(
        self, nsp: str, options: BroadcastOptions = _ALL, *, close: bool = False
    ) -> None:
        """Disconnect every selected socket (and close their connections with ``close``)."""
        self._local.namespace(nsp)
        self._cluster.publish_disconnect_sockets(nsp, options, close=close)
        self._local.disconnect_sockets(nsp, options, close=close)

    # -- requests to the other nodes --------------------------------------------------------

    def server_side_emit(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any] = (),
        *,
        with_ack: bool = False,
        timeout: float = 5.0,
        peers: int = 0,
    ) -> int | None:
        """Send an event to the other nodes of a cluster: with one node there are none.

        Each other node gets a :class:`~sio_core.events.ServerSideEmitReceived`. With
        ``with_ack``, each of the ``peers`` other nodes answers once and the answers end in one
        :class:`~sio_core.events.ServerSideEmitAcksCollected`, whose request id is returned;
        with no peer it ends at once, empty (Node's ``ack(null, [])``).
        """
        check_event_name(event)
        self._local.namespace(nsp)
        return self._cluster.server_side_emit(
            nsp, event, tuple(args), with_ack=with_ack, timeout=timeout, peers=peers
        )

    def server_side_ack(self, ack_id: int, args: Sequence[Any] = ()) -> None:
        """Answer another node's server-side emit (:class:`ServerSideEmitReceived` ``ack_id``)."""
        self._cluster.server_side_ack(ack_id, tuple(args))

    def request_fetch_sockets(
        self,
        nsp: str,
        options: BroadcastOptions = _ALL,
        *,
        timeout: float = 5.0,
        peers: int = 0,
    ) -> int:
        """Start a ``fetch_sockets`` across the cluster; returns the request id.

        The answer comes as one :class:`~sio_core.events.ClusterFetchCompleted`: this node's
        sockets, then those of each of the ``peers`` other nodes that answered by the deadline.
        With no peer, or with ``local``, it comes at once; :meth:`fetch_sockets` is the
        synchronous local form.
        """
        local = self._local.fetch_sockets(nsp, options)
        return self._cluster.request_fetch_sockets(
            nsp, options, local, timeout=timeout, peers=peers
        )


def _reporting(nsp: str, adapter: Adapter, emit: Callable[[Iterable[Event]], None]) -> Adapter:
    """``adapter``, reporting its joins and leaves as room events of ``nsp``."""
    return ReportingAdapter(
        adapter,
        joined=lambda socket_id, rooms: emit(
            RoomJoined(nsp=nsp, room=room, socket_id=socket_id) for room in rooms
        ),
        left=lambda socket_id, rooms: emit(
            RoomLeft(nsp=nsp, room=room, socket_id=socket_id) for room in rooms
        ),
    )
