"""The Socket.IO v5 server core: Engine.IO sessions in, sockets, events and acks out.

:class:`SocketServer` is the one object a backend drives. It wraps an Engine.IO
:class:`~sio_core.EngineServer` (reached only through the methods here), passes its transport
events through untouched, and turns its messages into Socket.IO packets, then into events for
the application. Rooms, broadcasts and the other operations that select sockets are on
``operations`` (:mod:`sio_core.socketio._operations`).

Connecting: a CONNECT makes a :class:`~sio_core.events.SocketConnecting` and the socket waits
for ``accept`` or ``reject``. ``accept`` queues the CONNECT reply and *holds* the socket's
output: the CONNECT, its own emits and acks, and the broadcasts that reach it wait, in order,
until ``release(socket_id)``. The backend releases it when the connection handlers have run up
to their first suspension, so that, as in Node, the client learns it is connected only after
the handlers' first synchronous part ran (a room they join is joined before any event that
client can trigger). ``release`` is idempotent, and a no-op for a socket gone or not held.

======================================================  ===================================
while a socket is held, it ends by                      its held output
======================================================  ===================================
the server: ``disconnect``, ``disconnect_sockets``,     leaves first, then the DISCONNECT
``close``, ``close_all``, a rule the client broke       (or the close): the client sees
                                                        CONNECT, then the end, as in Node
the client: its DISCONNECT, or its connection gone      is dropped: nobody is left to read it
======================================================  ===================================

Disconnect semantics (Node 4.x): a socket leaves with ``disconnecting`` (its rooms still listed),
then leaves its rooms, then ``disconnect``; both exactly once. Who ends it decides the reason
(``docs/closing.md`` has the table of who gives which).

Recovery (``connection_state_recovery``, :mod:`sio_core.socketio._recovery`) keeps a session
that ended with ``forced close``, ``forced server close`` or an Engine.IO reason other than
``parse error``, for the client to come back to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sio_core._deadlines import EarliestOf, earliest
from sio_core.cluster import ClassicRedisFormat, ClusterFormat, RedisStreamsFormat
from sio_core.cluster.stream_commands import StreamRead
from sio_core.config import SocketConfig
from sio_core.engineio._events import Event
from sio_core.engineio._server import EngineServer
from sio_core.errors import (
    AckAbandonReason,
    DisconnectReason,
    LocalProtocolError,
    ProtocolError,
)
from sio_core.http import HttpRequest
from sio_core.ids import IdGenerator
from sio_core.socketio import packets
from sio_core.socketio._acks import Acks
from sio_core.socketio._adapter import Adapter, BroadcastOptions, InMemoryAdapter
from sio_core.socketio._cluster_channels import ClusterChannels
from sio_core.socketio._cluster_node import ClusterNode
from sio_core.socketio._cluster_stream import ClusterStream
from sio_core.socketio._connections import Connections
from sio_core.socketio._events import AckAbandoned, ClusterMessageRejected
from sio_core.socketio._intake import Intake
from sio_core.socketio._namespace import AdapterFactory, Namespace, Namespaces
from sio_core.socketio._operations import LocalSockets, Operations, check_event_name
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import CONNECTED, Socket, SocketState
from sio_core.socketio._sockets import Sockets
from sio_core.socketio._stream_sessions import recovery_of
from sio_core.socketio.packets import Packet, PacketType
from sio_core.stats import ServerStats

_EVENT, _ACK = PacketType.EVENT, PacketType.ACK  # one read per emit and ack: see CONNECTED


class SocketServer:
    """A sans-IO Socket.IO server, driven as :class:`sio_core.surface.TransportCore` says.

    Commands (``accept``, ``emit``, ``disconnect``...) only queue output; it leaves on the next
    :meth:`events`. Rooms, broadcasts and the server utilities are on :attr:`operations`.

    :param node_id: this node's id in a cluster (unique per process and per run: the backend
        draws it at random). When set, the server is in cluster mode: every operation that
        selects sockets and is not flagged ``local`` also goes to the other nodes, as
        :class:`~sio_core.events.ClusterPublish` events, and each namespace asks for its
        channels with a :class:`~sio_core.events.ClusterSubscribe` (see ``docs/cluster.md``).
        ``None`` (the default) is a single node.
    :param cluster_format: how the nodes talk: a :class:`~sio_core.cluster.ClassicRedisFormat`
        (the default in cluster mode), a :class:`~sio_core.cluster.ShardedRedisFormat` or a
        :class:`~sio_core.cluster.RedisStreamsFormat`, all Node's own formats. It needs a
        ``node_id``.
    """

    def __init__(
        self,
        config: SocketConfig | None = None,
        *,
        id_generator: IdGenerator,
        adapter_factory: AdapterFactory | None = None,
        parser: packets.Parser | None = None,
        node_id: str | None = None,
        cluster_format: ClusterFormat | None = None,
    ) -> None:
        if cluster_format is not None and node_id is None:
            raise ValueError("a cluster_format needs a node_id")
        self.config = config or SocketConfig()
        self.parser: packets.Parser = parser or packets.JsonParser()
        self.node_id = node_id
        self._engine = EngineServer(self.config.engine, id_generator=id_generator)
        self._events: list[Event] = []
        self._acks = Acks()
        self._now = 0.0
        wire_format = (cluster_format or ClassicRedisFormat()) if node_id is not None else None
        self._stream: ClusterStream | None = None
        if isinstance(wire_format, RedisStreamsFormat):
            self._stream = ClusterStream(wire_format, self._events.extend)
        recovery = self.config.connection_state_recovery
        self._recovery = recovery_of(recovery, id_generator, self._stream, self._encode_event)
        shared = Shared(self._acks, self._events.extend, self._clock, self._recovery)
        channels = None
        if node_id is not None and wire_format is not None:
            channels = ClusterChannels(wire_format, node_id, shared.emit)
            adapter_factory = channels.adapter_factory(adapter_factory or _in_memory)
        self.namespaces = Namespaces(adapter_factory)
        self._sockets = Sockets(self._engine, self.parser, self.namespaces, shared)
        self._local = LocalSockets(self._sockets, self.namespaces, self.parser, shared)
        self._cluster = ClusterNode(
            self._local,
            shared,
            channels=channels,
            new_id=id_generator,
            stream=self._stream,
            defer_broadcasts=self._recovery is not None,
        )
        if self._stream is not None:
            self._stream.on_entry = self._cluster.receive_entry
        self._heaps_due = EarliestOf(  # the sockets' purge is no heap: see next_deadline
            *(self._engine.next_deadline, self._acks.next_deadline, self._cluster.next_deadline),
            self._sockets.next_connect_deadline,
        )
        self.operations = Operations(self._local, self._cluster, self._sockets, shared)
        """Rooms, broadcasts and the utilities that select sockets."""
        self.connections = Connections(self._engine, self._sockets)
        """The Engine.IO sessions under the sockets (Node's ``socket.conn``)."""
        self._intake = Intake(
            self.config.connect_timeout,
            self._sockets,
            self.namespaces,
            self._cluster,
            shared,
            id_generator,
        )

    # -- the TransportCore surface: delegate to Engine.IO, then translate ---------------

    @property
    def max_http_buffer_size(self) -> int:
        """The most bytes one POST body or one WebSocket message may hold."""
        return self._engine.max_http_buffer_size

    def owns(self, request: HttpRequest) -> bool:
        """Whether the request is under the Socket.IO path."""
        return self._engine.owns(request)

    def receive_request(self, request_id: int, request: HttpRequest, now: float) -> None:
        """One complete HTTP request."""
        self._tick(now)
        self._engine.receive_request(request_id, request, now)
        self._pull()

    def request_aborted(self, request_id: int, now: float) -> None:
        """The client went away before its request was answered."""
        self._tick(now)
        self._engine.request_aborted(request_id, now)
        self._pull()

    def receive_ws_message(self, ws_id: int, message: str | bytes, now: float) -> None:
        """One WebSocket message; most are read here, without an Engine.IO event in between."""
        self._tick(now)
        sid = self._engine.direct_message_sid(ws_id, message, now)
        if sid is None:
            self._engine.receive_ws_message(ws_id, message, now)
        else:
            self._intake.message(sid, message[1:])
        self._pull()

    def ws_message_too_large(self, ws_id: int, now: float) -> None:
        """A WebSocket message went past the limit."""
        self._tick(now)
        self._engine.ws_message_too_large(ws_id, now)
        self._pull()

    def ws_closed(self, ws_id: int, now: float, *, error: bool = False) -> None:
        """A WebSocket went away."""
        self._tick(now)
        self._engine.ws_closed(ws_id, now, error=error)
        self._pull()

    def ws_unwritten(self, ws_id: int, size: int, now: float) -> None:
        """``size`` of what WebSocket ``ws_id`` was handed is not written yet (0: none is)."""
        self._tick(now)
        self._engine.ws_unwritten(ws_id, size, now)
        self._pull()

    @property
    def backlogged(self) -> bool:
        """Whether the output queued since :meth:`events` is worth handing over now (see
        :attr:`EngineServer.backlogged <sio_core.EngineServer.backlogged>`)."""
        return self._engine.backlogged

    def next_deadline(self) -> float | None:
        """The earliest of heartbeats, ack timeouts, connect timeouts and cluster requests (and
        the purge of recovery sessions)."""
        due, purge = self._heaps_due(), self._sockets.next_purge()
        return due if purge is None else earliest(due, purge)

    def handle_timeout(self, now: float) -> None:
        """Fire every deadline due at ``now``."""
        self._tick(now)
        self._engine.handle_timeout(now)
        self._pull()
        self._events.extend(self._acks.handle_timeout(now))
        self._cluster.handle_timeout(now)
        self._sockets.handle_timeout(now)
        self._pull()

    def events(self) -> list[Event]:
        """What happened since the last call, output flushed."""
        self._pull()
        if not self._events:
            return []
        events = self._events[:]
        self._events.clear()  # cleared, not replaced: the operations hold its ``extend``
        return events

    def receive_cluster_message(self, channel: str, payload: bytes, now: float) -> None:
        """Apply a message published on ``channel``, one this server subscribed to.

        Requests are applied to this node's sockets (and travel no further) and answered
        when they want an answer; responses feed the requests waiting for them. A message
        from this node itself (Redis echoes it), from another namespace, or on no channel of
        this server's is ignored; one that does not decode is dropped with a
        :class:`~sio_core.events.ClusterMessageRejected`. Whatever the bytes, nothing is raised.

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        self._cluster.channels()  # outside cluster mode this raises before the clock moves
        self._tick(now)
        self._cluster.receive(channel, payload)
        self._pull()

    def next_stream_read(self) -> StreamRead:
        """The read of the stream to run now, on the Redis Streams format: one at a time, on a
        connection of its own (it blocks up to ``read.block`` seconds), its reply handed back to
        :meth:`receive_stream_read`. After a failure, ask again: reading resumes where it was.

        :raises LocalProtocolError: the server is not on the Redis Streams format.
        """
        return self._stream_of().next_read()

    def receive_stream_read(self, read: StreamRead, reply: Any, now: float) -> None:
        """Apply the reply Redis gave to ``read``: every new entry, in order. A reply that is no
        such reply is dropped with a :class:`~sio_core.events.ClusterMessageRejected`.

        :raises LocalProtocolError: the server is not on the Redis Streams format.
        """
        stream = self._stream_of()
        self._tick(now)
        try:
            stream.receive_read(read, reply)
        except ProtocolError as error:
            self._events.append(ClusterMessageRejected(reason=f"stream read: {error.message}"))
        self._pull()

    def receive_command_reply(self, ticket: int, reply: Any, now: float) -> None:
        """The reply to the :class:`~sio_core.events.ClusterCommand` of ``ticket`` (or a
        :class:`~sio_core.cluster.stream_commands.CommandFailed`).

        :raises LocalProtocolError: the server is not on the Redis Streams format.
        """
        stream = self._stream_of()
        self._tick(now)
        stream.replied(ticket, reply)
        self._pull()

    def _stream_of(self) -> ClusterStream:
        if self._stream is None:
            raise LocalProtocolError("not on the Redis Streams format")
        return self._stream

    def count_channel(self, nsp: str) -> tuple[str, bool]:
        """The channel whose subscribers are the servers of namespace ``nsp``, this one included,
        and whether it is a shard channel: ``PUBSUB NUMSUB`` (``SHARDNUMSUB`` when True) of it,
        minus one, is the ``peers`` a request to the other nodes waits for.

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        return self._cluster.channels().count_channel(nsp)

    # -- sizes -------------------------------------------------------------------------------

    def stats(self) -> ServerStats:
        """The sizes of the server's tables, Engine.IO's and Socket.IO's: once every client has
        gone and the close timeouts have passed, all zero (cluster requests and recovery
        sessions, which end on timeouts of their own, are not counted)."""
        connections, sockets, connect_timers = self._sockets.counts()
        awaited, owed, ack_timers, broadcasts = self._acks.counts()
        return dataclasses.replace(
            self._engine.stats(),
            connections=connections,
            sockets=sockets,
            connect_timers=connect_timers,
            awaited_acks=awaited,
            owed_acks=owed,
            ack_timers=ack_timers,
            broadcasts=broadcasts,
        )

    def _pull(self) -> None:
        while engine_events := self._engine.events():
            for event in engine_events:
                self._intake.translate(event)

    # -- connecting: the middleware decision, then the hold ----------------------------------

    def accept(self, socket_id: str) -> None:
        """Let a connecting socket in: it joins its own room and the client is sent its id.

        The CONNECT reply, and everything else for this socket, is held until
        :meth:`release` (see the module's docstring).
        """
        self._sockets.accept(self._sockets.connecting(socket_id))

    def release(self, socket_id: str) -> None:
        """Let the socket's held output leave, CONNECT first; a no-op unless it is held."""
        socket = self._sockets.get(socket_id)
        if socket is not None:
            self._sockets.release(socket)

    def reject(self, socket_id: str, message: str, data: Any = None) -> None:
        """Refuse a connecting socket: the client gets CONNECT_ERROR ``{message, data}``."""
        socket = self._sockets.connecting(socket_id)
        error: dict[str, Any] = {"message": message}
        if data is not None:
            error["data"] = data
        self._sockets.reject(socket, error)

    def is_pending(self, socket_id: str) -> bool:
        """Whether the socket still waits for accept or reject (False once its client left)."""
        socket = self._sockets.get(socket_id)
        return socket is not None and socket.state is SocketState.CONNECTING

    def is_connected(self, socket_id: str) -> bool:
        """Whether the socket is connected now."""
        return self._sockets.is_connected(socket_id)

    def socket(self, socket_id: str) -> Socket | None:
        """The core's record of a socket, connecting or connected."""
        return self._sockets.get(socket_id)

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
        with :class:`~sio_core.events.AckAbandoned`. With recovery on, an emit without ack goes
        (as in Node) through the broadcast path to the socket's own room: it gets an offset.
        """
        check_event_name(event)
        socket = self._sockets.get(socket_id)
        connected = socket is not None and socket.state is CONNECTED
        nsp = socket.nsp if socket is not None else "/"
        ack_id = self._namespace(nsp).next_ack_id() if with_ack else None
        if socket is not None and connected and ack_id is None and self._recovery:
            own_room = BroadcastOptions(rooms=frozenset((socket_id,)))
            if self._stream is not None:  # in the stream, to be replayed on any node
                self.operations.broadcast(nsp, event, args, own_room)
            else:
                self._local.deliver(nsp, event, args, own_room, with_ack=False)
        elif socket is not None and connected:
            self._sockets.send(socket, Packet(_EVENT, nsp, [event, *args], ack_id))
        if ack_id is None:
            return None
        if connected:
            deadline = None if timeout is None else self._now + timeout
            self._acks.expect(socket_id, ack_id, deadline)
        else:
            reason = AckAbandonReason.DISCONNECTED
            self._events.append(AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason=reason))
        return ack_id

    def ack(self, socket_id: str, ack_id: int, args: Sequence[Any] = ()) -> None:
        """Answer the client's event ``ack_id``, once; to a socket already gone it is dropped.

        Dropping matters: a handler that answers after an ``await`` may find its client gone.

        :raises EncodeError: ``args`` cannot be sent; the answer is still owed.
        """
        socket = self._sockets.get(socket_id)
        if socket is None:
            return
        # Encoded first: an answer that cannot be sent raises and leaves the ack owed.
        parts = self.parser.encode(Packet(_ACK, socket.nsp, list(args), ack_id))
        if not self._acks.settle(socket_id, ack_id):
            raise LocalProtocolError(f"no acknowledgement {ack_id} is owed to {socket_id!r}")
        self._sockets.deliver(socket_id, parts, volatile=False)

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
        self._sockets.disconnect(self._sockets.connected(socket_id), close=close)

    def close_all(self) -> None:
        """Shut down: each socket leaves with ``server shutting down``; connections close."""
        for client in self._sockets.clients():
            self._sockets.close_client(client, DisconnectReason.SERVER_SHUTTING_DOWN)

    def _clock(self) -> float:
        return self._now

    def _encode_event(self, nsp: str, data: list[Any]) -> list[str | bytes]:
        return self._local.encode_event(nsp, data)

    def _tick(self, now: float) -> None:
        self._now = max(self._now, now)


def _in_memory(_nsp: str) -> Adapter:
    return InMemoryAdapter()
