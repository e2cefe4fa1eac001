"""The Socket.IO v5 server core: Engine.IO sessions in, sockets, rooms, events and acks out.

:class:`SocketServer` is the one object a backend drives. It wraps an
:class:`~sio_core.engineio._server.EngineServer`, passes its transport events through untouched,
and turns its messages into Socket.IO packets, then into events for the application.

Disconnect semantics (Node 4.x): a socket leaves with ``disconnecting`` (its rooms still listed),
then leaves its rooms, then ``disconnect``; both exactly once. Who ends it decides the reason:

========================================  ======================================
what happened                             reason
========================================  ======================================
``disconnect(socket_id)``                 ``server namespace disconnect``
client DISCONNECT packet                  ``client namespace disconnect``
``close_all()``                           ``server shutting down``
Socket.IO decode error                    ``forced close`` (after an ``error``)
packet invalid in the connection's state  ``forced server close``
no namespace within ``connect_timeout``   ``forced server close``
Engine.IO session ended                   its own reason (``ping timeout``...)
========================================  ======================================
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from sio_core._deadlines import Deadlines
from sio_core.config import SocketConfig
from sio_core.engineio._events import Event, MessageReceived, SessionClosed, SessionOpened
from sio_core.engineio._server import EngineServer
from sio_core.errors import DisconnectReason, LocalProtocolError, RemoteProtocolError
from sio_core.http import HttpRequest
from sio_core.ids import IdGenerator
from sio_core.socketio import packets
from sio_core.socketio._acks import Acks
from sio_core.socketio._adapter import BroadcastOptions
from sio_core.socketio._client import Client
from sio_core.socketio._cluster_node import ClusterNode
from sio_core.socketio._events import (
    AckAbandoned,
    EventReceived,
    SocketConnected,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
)
from sio_core.socketio._namespace import AdapterFactory, Namespace, Namespaces
from sio_core.socketio._socket import Handshake, Socket, SocketSnapshot, SocketState
from sio_core.socketio.packets import Packet, PacketType

_ALL = BroadcastOptions()

Rooms = str | Iterable[str]
"""One room name, or several."""


class SocketServer:
    """A sans-IO Socket.IO server, driven as :class:`sio_core.surface.TransportCore` says.

    Commands (``accept``, ``emit``, ``join``, ``disconnect``...) only queue output; it leaves on
    the next :meth:`events`.

    :param node_id: this node's id in a cluster (unique per process: the backend draws it).
        When set, every operation that selects sockets and is not flagged ``local`` also goes to
        the other nodes as a :class:`~sio_core.events.ClusterMessageReady` (see
        ``docs/cluster.md``); ``None`` (the default) is a single node.
    """

    def __init__(
        self,
        config: SocketConfig | None = None,
        *,
        id_generator: IdGenerator,
        adapter_factory: AdapterFactory | None = None,
        parser: packets.Parser | None = None,
        node_id: str | None = None,
    ) -> None:
        self.config = config or SocketConfig()
        self.parser: packets.Parser = parser or packets.JsonParser()
        self.engine = EngineServer(self.config.engine, id_generator=id_generator)
        self.namespaces = Namespaces(adapter_factory)
        self._new_id = id_generator
        self._events: list[Event] = []
        self._clients: dict[str, Client] = {}
        self._sockets: dict[str, Socket] = {}
        self._acks = Acks()
        self._owed_acks: dict[str, set[int]] = {}
        self._connect_deadlines: Deadlines[str] = Deadlines()
        self._broadcast_ids = itertools.count(1)
        self._now = 0.0
        self.node_id = node_id
        self.cluster_peers: int | None = None
        """How many *other* nodes answer requests; ``None``: unknown, wait out each timeout.

        The backend keeps it current (a Redis backend counts the channel's subscribers, as
        Node's ``serverCount()`` does); each request reads it when it starts."""
        self._cluster = ClusterNode(
            self,
            acks=self._acks,
            deliver=self._deliver_all,
            emit=lambda events: self._events.extend(events),  # events() swaps the list
            now=lambda: self._now,
        )

    # -- the TransportCore surface: delegate to Engine.IO, then translate ---------------

    @property
    def max_http_buffer_size(self) -> int:
        """The most bytes one POST body or one WebSocket message may hold."""
        return self.engine.max_http_buffer_size

    def owns(self, request: HttpRequest) -> bool:
        """Whether the request is under the Socket.IO path."""
        return self.engine.owns(request)

    def receive_request(self, request_id: int, request: HttpRequest, now: float) -> None:
        """One complete HTTP request."""
        self._tick(now)
        self.engine.receive_request(request_id, request, now)
        self._pull()

    def request_aborted(self, request_id: int, now: float) -> None:
        """The client went away before its request was answered."""
        self._tick(now)
        self.engine.request_aborted(request_id, now)
        self._pull()

    def receive_ws_message(self, ws_id: int, message: str | bytes, now: float) -> None:
        """One WebSocket message."""
        self._tick(now)
        self.engine.receive_ws_message(ws_id, message, now)
        self._pull()

    def ws_message_too_large(self, ws_id: int, now: float) -> None:
        """A WebSocket message went past the limit."""
        self._tick(now)
        self.engine.ws_message_too_large(ws_id, now)
        self._pull()

    def ws_closed(self, ws_id: int, now: float, *, error: bool = False) -> None:
        """A WebSocket went away."""
        self._tick(now)
        self.engine.ws_closed(ws_id, now, error=error)
        self._pull()

    def next_deadline(self) -> float | None:
        """The earliest of heartbeats, ack timeouts and connect timeouts."""
        deadlines = (
            self.engine.next_deadline(),
            self._acks.next_deadline(),
            self._connect_deadlines.next(),
            self._cluster.next_deadline(),
        )
        return min((d for d in deadlines if d is not None), default=None)

    def handle_timeout(self, now: float) -> None:
        """Fire every deadline due at ``now``."""
        self._tick(now)
        self.engine.handle_timeout(now)
        self._pull()
        self._events.extend(self._acks.handle_timeout(now))
        self._cluster.handle_timeout(now)
        for sid in list(self._connect_deadlines.pop_due(now)):
            client = self._clients.get(sid)
            if client is not None and not client.sockets:
                self._close_client(client, DisconnectReason.FORCED_SERVER_CLOSE)
        self._pull()

    def events(self) -> list[Event]:
        """What happened since the last call, output flushed."""
        self._pull()
        events, self._events = self._events, []
        return events

    def watch_packets(self, sid: str, on: bool = True) -> bool:
        """Pass on session ``sid``'s packet events (``socket.conn``'s ``packet``, ``drain``...).

        They come through :meth:`events` untouched, like every Engine.IO session event.
        """
        return self.engine.watch_packets(sid, on)

    # -- from Engine.IO --------------------------------------------------------------------

    def _pull(self) -> None:
        while engine_events := self.engine.events():
            for event in engine_events:
                self._translate(event)

    def _translate(self, event: Event) -> None:
        if isinstance(event, MessageReceived):
            self._receive_message(event.sid, event.data)
            return
        if isinstance(event, SessionOpened):
            self._clients[event.sid] = Client(event.sid, event.request, self.parser.decoder())
            self._connect_deadlines.set(event.sid, self._now + self.config.connect_timeout)
        elif isinstance(event, SessionClosed):
            client = self._clients.get(event.sid)
            if client is not None:
                self._close_client(client, event.reason, close_engine=False)
        self._events.append(event)

    def _receive_message(self, sid: str, data: str | bytes) -> None:
        client = self._clients.get(sid)
        if client is None:
            return
        try:
            packet = client.decoder.feed(data)
        except RemoteProtocolError as error:
            self._decode_error(client, error)
            return
        if packet is not None:
            self._receive_packet(client, packet)

    def _decode_error(self, client: Client, error: RemoteProtocolError) -> None:
        """Node: each socket gets an ``error`` event, then the connection is closed."""
        for socket in client.sockets.values():
            self._events.append(SocketErrored(socket_id=socket.id, message=error.message))
        self.engine.close(client.sid)

    def _receive_packet(self, client: Client, packet: Packet) -> None:
        socket = client.sockets.get(packet.nsp)
        kind = packet.type
        if kind is PacketType.CONNECT and socket is None and packet.nsp not in client.connecting:
            self._connect(client, packet)
        elif socket is None or kind in (PacketType.CONNECT, PacketType.CONNECT_ERROR):
            self._close_client(client, DisconnectReason.FORCED_SERVER_CLOSE)
        elif kind in (PacketType.EVENT, PacketType.BINARY_EVENT):
            self._receive_event(socket, packet)
        elif kind in (PacketType.ACK, PacketType.BINARY_ACK):
            assert packet.id is not None
            self._receive_ack(socket, packet.id, tuple(packet.data))
        else:
            self._close_socket(socket, DisconnectReason.CLIENT_NAMESPACE_DISCONNECT)

    def _receive_ack(self, socket: Socket, ack_id: int, args: tuple[Any, ...]) -> None:
        """A client answered: the server's own emit or broadcast, or another node's broadcast."""
        if not self._cluster.relay_answer(socket.id, ack_id, args):
            self._events.extend(self._acks.answer(socket.id, ack_id, args))

    def _receive_event(self, socket: Socket, packet: Packet) -> None:
        name, *args = packet.data
        event = name if isinstance(name, str) else str(name)  # JS keys numeric names as strings
        if packet.id is not None:
            self._owed_acks.setdefault(socket.id, set()).add(packet.id)
        self._events.append(
            EventReceived(
                socket_id=socket.id,
                nsp=socket.nsp,
                event=event,
                args=tuple(args),
                ack_id=packet.id,
            )
        )

    # -- connecting: the middleware decision point ------------------------------------------

    def _connect(self, client: Client, packet: Packet) -> None:
        auth = packet.data if isinstance(packet.data, dict) else {}
        namespace = self.namespaces.resolve(packet.nsp, auth)
        if namespace is None:
            error = {"message": "Invalid namespace"}
            self._send(client.sid, Packet(PacketType.CONNECT_ERROR, packet.nsp, error))
            return
        handshake = Handshake.from_request(client.request, auth)
        socket = Socket(id=self._new_id(), nsp=namespace.name, sid=client.sid, handshake=handshake)
        client.connecting[namespace.name] = socket
        self._sockets[socket.id] = socket
        self._events.append(
            SocketConnecting(socket_id=socket.id, nsp=namespace.name, handshake=handshake)
        )

    def accept(self, socket_id: str) -> None:
        """Let a connecting socket in: the client gets its id, the socket its own room."""
        socket = self._connecting(socket_id)
        client = self._clients[socket.sid]
        del client.connecting[socket.nsp]
        client.sockets[socket.nsp] = socket
        socket.state = SocketState.CONNECTED
        namespace = self._namespace(socket.nsp)
        namespace.socket_ids[socket.id] = None
        namespace.adapter.add_all(socket.id, (socket.id,))
        self._connect_deadlines.cancel(client.sid)
        self._send(client.sid, Packet(PacketType.CONNECT, socket.nsp, {"sid": socket.id}))
        self._events.append(SocketConnected(socket_id=socket.id, nsp=socket.nsp))

    def reject(self, socket_id: str, message: str, data: Any = None) -> None:
        """Refuse a connecting socket: the client gets CONNECT_ERROR ``{message, data}``."""
        socket = self._connecting(socket_id)
        client = self._clients[socket.sid]
        del client.connecting[socket.nsp]
        self._forget(socket)
        error: dict[str, Any] = {"message": message}
        if data is not None:
            error["data"] = data
        self._send(client.sid, Packet(PacketType.CONNECT_ERROR, socket.nsp, error))

    def _connecting(self, socket_id: str) -> Socket:
        socket = self._sockets.get(socket_id)
        if socket is None or socket.state is not SocketState.CONNECTING:
            raise LocalProtocolError(f"socket {socket_id!r} is not waiting for a decision")
        return socket

    def is_pending(self, socket_id: str) -> bool:
        """Whether the socket still waits for accept or reject (False once its client left)."""
        socket = self._sockets.get(socket_id)
        return socket is not None and socket.state is SocketState.CONNECTING

    # -- emitting and acknowledging --------------------------------------------------------

    def emit(
        self,
        socket_id: str,
        event: str,
        args: Sequence[Any] = (),
        *,
        with_ack: bool = False,
        timeout: float | None = None,
    ) -> int | None:
        """Send ``event`` to one socket; with an ack, returns the ack id to wait on.

        A socket already gone drops the emit, as Node does; an awaited ack then ends at once
        with :class:`~sio_core.events.AckAbandoned`.
        """
        _check_event_name(event)
        socket = self._sockets.get(socket_id)
        connected = socket is not None and socket.state is SocketState.CONNECTED
        nsp = socket.nsp if socket is not None else "/"
        ack_id = self._namespace(nsp).next_ack_id() if with_ack else None
        if socket is not None and connected:
            self._send(socket.sid, Packet(PacketType.EVENT, nsp, [event, *args], ack_id))
        if ack_id is None:
            return None
        if connected:
            deadline = None if timeout is None else self._now + timeout
            self._acks.expect(socket_id, ack_id, deadline)
        else:
            self._events.append(
                AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason="disconnected")
            )
        return ack_id

    def ack(self, socket_id: str, ack_id: int, args: Sequence[Any] = ()) -> None:
        """Answer the client's event ``ack_id``, once; to a socket already gone it is dropped.

        Dropping matters: a handler that answers after an ``await`` may find its client gone.
        """
        socket = self._sockets.get(socket_id)
        if socket is None:
            return
        owed = self._owed_acks.get(socket_id, set())
        if ack_id not in owed:
            raise LocalProtocolError(f"no acknowledgement {ack_id} is owed to {socket_id!r}")
        owed.discard(ack_id)
        self._send(socket.sid, Packet(PacketType.ACK, socket.nsp, list(args), ack_id))

    def broadcast(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any] = (),
        options: BroadcastOptions = _ALL,
        *,
        timeout: float | None = None,
    ) -> int | None:
        """Send ``event`` to every socket the options select, encoding it once.

        With a ``timeout``, every recipient is asked to acknowledge and the answers are
        collected into one :class:`~sio_core.events.BroadcastAcksCollected`, whose id is returned.
        In a cluster, the other nodes' recipients are asked too and their answers collected.
        """
        _check_event_name(event)
        namespace = self._namespace(nsp)
        ack_id = namespace.next_ack_id() if timeout is not None else None
        parts = self.parser.encode(Packet(PacketType.EVENT, nsp, [event, *args], ack_id))
        broadcast_id = next(self._broadcast_ids) if timeout is not None else None
        peers = self._cluster.publish_broadcast(
            nsp, event, args, options, request_id=broadcast_id, timeout=timeout
        )
        delivered = self._deliver_all(namespace, parts, options)
        if timeout is None or ack_id is None or broadcast_id is None:
            return None
        recipients = [(socket_id, ack_id) for socket_id in delivered]
        deadline = self._now + timeout
        self._events.extend(
            self._acks.expect_broadcast(broadcast_id, recipients, deadline, peers=peers)
        )
        return broadcast_id

    def _deliver_all(
        self, namespace: Namespace, parts: list[str | bytes], options: BroadcastOptions
    ) -> list[str]:
        """Queue the encoded packet for every local socket selected; returns those reached."""
        return [
            socket_id
            for socket_id in namespace.adapter.matching(options)
            if self._deliver(socket_id, parts, volatile=options.volatile)
        ]

    def _deliver(self, socket_id: str, parts: list[str | bytes], *, volatile: bool) -> bool:
        socket = self._sockets.get(socket_id)
        if socket is None or socket.state is not SocketState.CONNECTED:
            return False
        if volatile and not self.engine.writable(socket.sid):
            return False
        for part in parts:
            self.engine.send(socket.sid, part)
        return True

    def _send(self, sid: str, packet: Packet) -> None:
        for part in self.parser.encode(packet):
            self.engine.send(sid, part)

    # -- rooms --------------------------------------------------------------------------

    def join(self, socket_id: str, rooms: Rooms) -> None:
        """Put a connected socket in one room or several."""
        socket = self._connected(socket_id)
        names = (rooms,) if isinstance(rooms, str) else tuple(rooms)
        self._namespace(socket.nsp).adapter.add_all(socket_id, names)

    def leave(self, socket_id: str, room: str) -> None:
        """Take a connected socket out of one room."""
        socket = self._connected(socket_id)
        self._namespace(socket.nsp).adapter.delete(socket_id, room)

    def rooms(self, socket_id: str) -> frozenset[str]:
        """The rooms a socket is in (empty once it is gone)."""
        socket = self._sockets.get(socket_id)
        if socket is None:
            return frozenset()
        return self._namespace(socket.nsp).adapter.rooms_of(socket_id)

    def socket(self, socket_id: str) -> Socket | None:
        """The core's record of a socket, connecting or connected."""
        return self._sockets.get(socket_id)

    def _connected(self, socket_id: str) -> Socket:
        socket = self._sockets.get(socket_id)
        if socket is None or socket.state is not SocketState.CONNECTED:
            raise LocalProtocolError(f"socket {socket_id!r} is not connected")
        return socket

    # -- server utilities, with the broadcast operators in front -------------------------------

    def fetch_sockets(self, nsp: str, options: BroadcastOptions = _ALL) -> list[SocketSnapshot]:
        """A snapshot of every socket the options select."""
        namespace = self._namespace(nsp)
        return [self._snapshot(self._sockets[sid]) for sid in namespace.adapter.matching(options)]

    def sockets_join(
        self, nsp: str, options: BroadcastOptions, rooms: str | Iterable[str]
    ) -> None:
        """Make every selected socket join the rooms."""
        names = (rooms,) if isinstance(rooms, str) else tuple(rooms)
        selected = list(self._namespace(nsp).adapter.matching(options))
        self._cluster.publish_sockets_join(nsp, options, names)
        for socket_id in selected:
            self.join(socket_id, names)

    def sockets_leave(
        self, nsp: str, options: BroadcastOptions, rooms: str | Iterable[str]
    ) -> None:
        """Make every selected socket leave the rooms."""
        names = (rooms,) if isinstance(rooms, str) else tuple(rooms)
        selected = list(self._namespace(nsp).adapter.matching(options))
        self._cluster.publish_sockets_leave(nsp, options, names)
        for socket_id in selected:
            for room in names:
                self.leave(socket_id, room)

    def disconnect_sockets(
        self, nsp: str, options: BroadcastOptions = _ALL, *, close: bool = False
    ) -> None:
        """Disconnect every selected socket (and close their connections with ``close``)."""
        selected = list(self._namespace(nsp).adapter.matching(options))
        self._cluster.publish_disconnect_sockets(nsp, options, close=close)
        for socket_id in selected:
            if self.is_connected(socket_id):
                self.disconnect(socket_id, close=close)

    def server_side_emit(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any] = (),
        *,
        with_ack: bool = False,
        timeout: float = 5.0,
    ) -> int | None:
        """Send an event to the other nodes of a cluster: with one node there are none.

        Each other node gets a :class:`~sio_core.events.ServerSideEmitReceived`. With
        ``with_ack``, each answers once and the answers end in one
        :class:`~sio_core.events.ServerSideEmitAcksCollected`, whose request id is returned;
        with one node it ends at once, empty (Node's ``ack(null, [])``).
        """
        _check_event_name(event)
        self._namespace(nsp)
        return self._cluster.server_side_emit(
            nsp, event, tuple(args), with_ack=with_ack, timeout=timeout
        )

    def server_side_ack(self, ack_id: int, args: Sequence[Any] = ()) -> None:
        """Answer another node's server-side emit (:class:`ServerSideEmitReceived` ``ack_id``)."""
        self._cluster.server_side_ack(ack_id, tuple(args))

    def request_fetch_sockets(
        self, nsp: str, options: BroadcastOptions = _ALL, *, timeout: float = 5.0
    ) -> int:
        """Start a ``fetch_sockets`` across the cluster; returns the request id.

        The answer comes as one :class:`~sio_core.events.ClusterFetchCompleted`: this node's
        sockets, then those of each node that answered by the deadline. With one node, or with
        ``local``, it comes at once; :meth:`fetch_sockets` is the synchronous local form.
        """
        local = self.fetch_sockets(nsp, options)
        return self._cluster.request_fetch_sockets(nsp, options, local, timeout)

    def is_connected(self, socket_id: str) -> bool:
        """Whether the socket is connected now."""
        socket = self._sockets.get(socket_id)
        return socket is not None and socket.state is SocketState.CONNECTED

    def _snapshot(self, socket: Socket) -> SocketSnapshot:
        return SocketSnapshot(
            id=socket.id,
            nsp=socket.nsp,
            handshake=socket.handshake,
            rooms=self.rooms(socket.id),
            data=socket.data,
        )

    def _namespace(self, name: str) -> Namespace:
        namespace = self.namespaces.get(name)
        if namespace is None:
            raise LocalProtocolError(f"no namespace {name!r}")
        return namespace

    # -- disconnecting --------------------------------------------------------------------

    def disconnect(self, socket_id: str, *, close: bool = False) -> None:
        """Disconnect a socket (``server namespace disconnect``).

        With ``close``, every socket of its connection is disconnected the same way and the
        connection is closed.
        """
        socket = self._connected(socket_id)
        client = self._clients[socket.sid]
        targets = list(client.sockets.values()) if close else [socket]
        for target in targets:
            self._send(client.sid, Packet(PacketType.DISCONNECT, target.nsp))
            self._close_socket(target, DisconnectReason.SERVER_NAMESPACE_DISCONNECT)
        if close:
            self._close_client(client, DisconnectReason.SERVER_NAMESPACE_DISCONNECT)

    def close_all(self) -> None:
        """Shut down: each socket leaves with ``server shutting down``; connections close."""
        for client in list(self._clients.values()):
            self._close_client(client, DisconnectReason.SERVER_SHUTTING_DOWN)

    def _close_client(
        self, client: Client, reason: DisconnectReason, *, close_engine: bool = True
    ) -> None:
        self._clients.pop(client.sid, None)
        self._connect_deadlines.cancel(client.sid)
        for socket in client.all_sockets():
            self._close_socket(socket, reason)
        if close_engine:
            self.engine.close(client.sid)

    def _close_socket(self, socket: Socket, reason: DisconnectReason) -> None:
        """disconnecting (rooms still listed), rooms left, disconnect: once per socket."""
        if socket.state is SocketState.DISCONNECTED:
            return
        if socket.state is SocketState.CONNECTING:
            self._forget(socket)
            return
        namespace = self._namespace(socket.nsp)
        rooms = namespace.adapter.rooms_of(socket.id)
        self._events.append(
            SocketDisconnecting(socket_id=socket.id, nsp=socket.nsp, reason=reason, rooms=rooms)
        )
        namespace.adapter.delete_all(socket.id)
        namespace.socket_ids.pop(socket.id, None)
        client = self._clients.get(socket.sid)
        if client is not None:
            client.sockets.pop(socket.nsp, None)
        self._forget(socket)
        self._events.append(SocketDisconnected(socket_id=socket.id, nsp=socket.nsp, reason=reason))
        self._events.extend(self._acks.socket_left(socket.id))

    def _forget(self, socket: Socket) -> None:
        socket.state = SocketState.DISCONNECTED
        self._sockets.pop(socket.id, None)
        self._owed_acks.pop(socket.id, None)

    # -- cluster: the other nodes' requests and answers ------------------------------------

    def receive_cluster_message(self, data: bytes, now: float) -> None:
        """Apply a message another node published (its :class:`ClusterMessageReady` bytes).

        Requests are applied to this node's sockets (flagged ``local``, so they travel no
        further) and answered when they want an answer; responses feed the requests waiting
        for them. A message from this node itself (a pub/sub channel echoes it) or a response
        meant for another node is ignored; one that does not decode is dropped with a
        :class:`~sio_core.events.ClusterMessageRejected`.

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        self._cluster.uid()  # outside cluster mode this raises before the clock moves
        self._tick(now)
        self._cluster.receive(data)
        self._pull()

    def _tick(self, now: float) -> None:
        self._now = max(self._now, now)


def _check_event_name(event: str) -> None:
    if event in packets.RESERVED_EVENTS:
        raise LocalProtocolError(f"{event!r} is a reserved event name")
