"""Every connection and socket of a server: their states, their output, and how they end.

A connection (:class:`~sio_core.socketio._client.Client`, one per Engine.IO session) holds at
most one socket per namespace. A socket is *connecting* until the application accepts or rejects
it, then *connected*, then gone; :class:`Sockets` makes each of those moves, keeps the rooms
(through the namespace's adapter) and the acks in step, and reports what the application hears.

Output: every packet for a socket, whether its own emit, an ack or a broadcast that selected
it, goes through :meth:`Sockets.send` or :meth:`Sockets.deliver`: encoded once, then queued on
the socket's Engine.IO session. While the socket is *held* (from ``accept`` until ``release``,
see :mod:`sio_core.socketio._server`), its packets wait in order in ``Socket.held`` instead, and
:meth:`Sockets.release` queues them all at once. Whatever the server ends releases first; what
the client ends drops the held output with the socket.

Recovery (:mod:`sio_core.socketio._recovery`): a recovered socket is held from its CONNECT on,
the events its client missed first, and is back in its rooms at once, so that the events that
reach those rooms while it waits for its decision join the held output after the replay. The
client thus gets what it missed, then everything new, then the CONNECT reply: no gap, no
duplicate. Only the events a replay would have held reach it while it waits (the ones with an
offset); it counts as connected for nothing else.
"""

from __future__ import annotations

from typing import Any

from sio_core._deadlines import Deadlines
from sio_core.engineio._server import EngineServer
from sio_core.errors import DisconnectReason, LocalProtocolError
from sio_core.http import HttpRequest
from sio_core.socketio._client import Client
from sio_core.socketio._events import (
    SocketConnected,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
)
from sio_core.socketio._namespace import Namespace, Namespaces
from sio_core.socketio._recovery import RestoredSession, Session
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import CONNECTED, Handshake, Socket, SocketSnapshot, SocketState
from sio_core.socketio.packets import Packet, PacketType, Parser


class Sockets:
    """The connections by sid and the sockets by id, with their output."""

    def __init__(
        self,
        engine: EngineServer,
        parser: Parser,
        namespaces: Namespaces,
        shared: Shared,
    ) -> None:
        self._engine = engine
        self._parser = parser
        self._namespaces = namespaces
        self._acks = shared.acks
        self._emit = shared.emit
        self._now = shared.now
        self._recovery = shared.recovery
        self._clients: dict[str, Client] = {}
        self._sockets: dict[str, Socket] = {}
        self._connect_deadlines: Deadlines[str] = Deadlines()

    # -- connections ----------------------------------------------------------------------

    def open_client(self, sid: str, request: HttpRequest, connect_deadline: float) -> None:
        """A session opened; it must join a namespace by ``connect_deadline``."""
        self._clients[sid] = Client(sid, request, self._parser.decoder())
        self._connect_deadlines.set(sid, connect_deadline)

    def client(self, sid: str) -> Client | None:
        """The connection of session ``sid``, while it lasts."""
        return self._clients.get(sid)

    def clients(self) -> list[Client]:
        """Every connection."""
        return list(self._clients.values())

    def counts(self) -> tuple[int, int, int]:
        """Connections, sockets (connecting or connected) and armed connect timeouts."""
        return len(self._clients), len(self._sockets), len(self._connect_deadlines)

    def next_connect_deadline(self) -> float | None:
        """The earliest connect timeout (from a heap of :class:`Deadlines`)."""
        return self._connect_deadlines.next()

    def next_purge(self) -> float | None:
        """When the recovery sessions are next purged (no heap: a plain time)."""
        return self._recovery.next_deadline() if self._recovery is not None else None

    def handle_timeout(self, now: float) -> None:
        """Close each connection that joined no namespace in time (``forced server close``);
        purge the recovery sessions when it is time."""
        if self._recovery is not None:
            self._recovery.handle_timeout(now)
        for sid in list(self._connect_deadlines.pop_due(now)):
            client = self._clients.get(sid)
            if client is not None and not client.sockets:
                self.close_client(client, DisconnectReason.FORCED_SERVER_CLOSE)

    # -- sockets, from connecting to gone -----------------------------------------------------

    def get(self, socket_id: str) -> Socket | None:
        """The socket, connecting or connected; None once it is gone."""
        return self._sockets.get(socket_id)

    def is_connected(self, socket_id: str) -> bool:
        """Whether the socket is connected now."""
        socket = self._sockets.get(socket_id)
        return socket is not None and socket.state is CONNECTED

    def connected(self, socket_id: str) -> Socket:
        """The socket, which must be connected.

        :raises LocalProtocolError: it is not (yet, or any more).
        """
        socket = self._sockets.get(socket_id)
        if socket is None or socket.state is not CONNECTED:
            raise LocalProtocolError(f"socket {socket_id!r} is not connected")
        return socket

    def connecting(self, socket_id: str) -> Socket:
        """The socket, which must wait for a decision.

        :raises LocalProtocolError: it does not (decided already, or its client left).
        """
        socket = self._sockets.get(socket_id)
        if socket is None or socket.state is not SocketState.CONNECTING:
            raise LocalProtocolError(f"socket {socket_id!r} is not waiting for a decision")
        return socket

    def ask(self, client: Client, socket_id: str, nsp: str, handshake: Handshake) -> None:
        """The client asked to join ``nsp``: a new socket now waits for a decision."""
        pid = self._recovery.new_pid() if self._recovery is not None else None
        socket = Socket(id=socket_id, nsp=nsp, sid=client.sid, handshake=handshake, pid=pid)
        self._connecting(client, socket, skip_middlewares=False)

    def recover(
        self, client: Client, nsp: str, handshake: Handshake, restored: RestoredSession
    ) -> bool:
        """The client asked to join ``nsp`` as a socket that left: that socket comes back, in
        its rooms, what it missed held for it, and waits for a decision (see the module's
        docstring). False, and nothing done, if its id is in use (never, but for a clash of
        random ids)."""
        session = restored.session
        if session.sid in self._sockets:
            return False
        socket = Socket(
            id=session.sid,
            nsp=nsp,
            sid=client.sid,
            handshake=handshake,
            data=session.data,
            held=[part for parts in restored.missed for part in parts],
            pid=session.pid,
            recovered=True,
            replayed_to=restored.replayed_to,
        )
        self._namespace(nsp).adapter.add_all(socket.id, session.rooms)
        assert self._recovery is not None  # a session was restored
        self._connecting(client, socket, skip_middlewares=self._recovery.options.skip_middlewares)
        return True

    def _connecting(self, client: Client, socket: Socket, *, skip_middlewares: bool) -> None:
        client.connecting[socket.nsp] = socket
        self._sockets[socket.id] = socket
        self._emit(
            [
                SocketConnecting(
                    socket_id=socket.id,
                    nsp=socket.nsp,
                    handshake=socket.handshake,
                    recovered=socket.recovered,
                    skip_middlewares=skip_middlewares,
                )
            ]
        )

    def accept(self, socket: Socket) -> None:
        """Connect the socket, in its own room, its output held behind its CONNECT reply
        (``{"sid", "pid"}`` with recovery on)."""
        client = self._clients[socket.sid]
        del client.connecting[socket.nsp]
        client.sockets[socket.nsp] = socket
        socket.state = SocketState.CONNECTED
        self._namespace(socket.nsp).adapter.add_all(socket.id, (socket.id,))
        self._connect_deadlines.cancel(client.sid)
        if socket.held is None:
            socket.held = []
        reply = {"sid": socket.id} if socket.pid is None else {"sid": socket.id, "pid": socket.pid}
        self.send(socket, Packet(PacketType.CONNECT, socket.nsp, reply))
        self._emit([SocketConnected(socket_id=socket.id, nsp=socket.nsp)])

    def reject(self, socket: Socket, error: dict[str, Any]) -> None:
        """Forget the socket (a recovered one leaves its rooms; its session is gone); the
        client gets CONNECT_ERROR with ``error``."""
        client = self._clients[socket.sid]
        del client.connecting[socket.nsp]
        if socket.recovered:
            self._namespace(socket.nsp).adapter.delete_all(socket.id)
        self._forget(socket)
        self.send_to_session(client.sid, Packet(PacketType.CONNECT_ERROR, socket.nsp, error))

    def snapshot(self, socket_id: str) -> SocketSnapshot:
        """A copy of what ``fetch_sockets`` shows of a socket, rooms included."""
        socket = self._sockets[socket_id]
        rooms = self._namespace(socket.nsp).adapter.rooms_of(socket_id)
        return SocketSnapshot(
            id=socket.id, nsp=socket.nsp, handshake=socket.handshake, rooms=rooms, data=socket.data
        )

    # -- output ---------------------------------------------------------------------------

    def send(self, socket: Socket, packet: Packet) -> None:
        """Encode a packet for one socket and queue it (or hold it)."""
        self._write(socket, self._parser.encode(packet))

    def send_to_session(self, sid: str, packet: Packet) -> None:
        """Encode a packet for a connection as a whole (a CONNECT_ERROR: there is no socket)."""
        for part in self._parser.encode(packet):
            self._engine.send(sid, part)

    def deliver(
        self,
        socket_id: str,
        parts: list[str | bytes],
        *,
        volatile: bool,
        replayable: bool = False,
        entry: tuple[int, int] | None = None,
    ) -> bool:
        """Queue a packet encoded once for many; False if the socket is not connected, or if
        the packet is volatile and the transport cannot take it now.

        A ``replayable`` packet (one with an offset) also reaches a recovered socket that
        waits for its decision: it is held after the replay. A packet of stream ``entry`` that
        the socket's replay held already is skipped.
        """
        socket = self._sockets.get(socket_id)
        if socket is None or not _takes(socket, replayable=replayable):
            return False
        if socket.replayed_to is not None and entry is not None:
            if entry <= socket.replayed_to:
                return False
            socket.replayed_to = None  # the stream's deliveries are past the replay now
        if volatile and not self._engine.writable(socket.sid):
            return False
        self._write(socket, parts)
        return True

    def _write(self, socket: Socket, parts: list[str | bytes]) -> None:
        if socket.held is not None:
            socket.held.extend(parts)
            return
        for part in parts:
            self._engine.send(socket.sid, part)

    def release(self, socket: Socket) -> None:
        """Queue what the socket held, in order; from now on its packets flow (idempotent)."""
        held, socket.held = socket.held, None
        for part in held or ():
            self._engine.send(socket.sid, part)

    # -- endings --------------------------------------------------------------------------

    def disconnect(self, socket: Socket, *, close: bool) -> None:
        """The server disconnects the socket (every socket of its connection with ``close``):
        its held output, then DISCONNECT, then ``server namespace disconnect``."""
        client = self._clients[socket.sid]
        for target in list(client.sockets.values()) if close else [socket]:
            self.release(target)
            self.send(target, Packet(PacketType.DISCONNECT, target.nsp))
            self.close_socket(target, DisconnectReason.SERVER_NAMESPACE_DISCONNECT)
        if close:
            self.close_client(client, DisconnectReason.SERVER_NAMESPACE_DISCONNECT)

    def close_connection(self, client: Client) -> None:
        """Close the Engine.IO session from this side, after what its sockets held; the
        session's end then ends the sockets (``forced close``)."""
        for socket in client.sockets.values():
            self.release(socket)
        self._engine.close(client.sid)

    def close_client(
        self, client: Client, reason: DisconnectReason, *, close_engine: bool = True
    ) -> None:
        """End every socket of a connection with ``reason``; with ``close_engine`` the server
        ends it (held output leaves first), without it the session is gone already."""
        if close_engine:
            for socket in client.sockets.values():
                self.release(socket)
        self._clients.pop(client.sid, None)
        self._connect_deadlines.cancel(client.sid)
        for socket in client.all_sockets():
            self.close_socket(socket, reason)
        if close_engine:
            self._engine.close(client.sid)

    def close_socket(self, socket: Socket, reason: DisconnectReason) -> None:
        """disconnecting (rooms still listed), rooms left, disconnect: once per socket."""
        if socket.state is SocketState.DISCONNECTED:
            return
        adapter = self._namespace(socket.nsp).adapter
        if socket.state is SocketState.CONNECTING:
            if socket.recovered:  # back in its rooms already; its session is kept again
                self._persist(socket, adapter.rooms_of(socket.id), reason)
                adapter.delete_all(socket.id)
            self._forget(socket)
            return
        rooms = adapter.rooms_of(socket.id)
        leaving = SocketDisconnecting(
            socket_id=socket.id, nsp=socket.nsp, reason=reason, rooms=rooms
        )
        self._persist(socket, rooms, reason)
        adapter.delete_all(socket.id)
        client = self._clients.get(socket.sid)
        if client is not None:
            client.sockets.pop(socket.nsp, None)
        self._forget(socket)
        gone = SocketDisconnected(socket_id=socket.id, nsp=socket.nsp, reason=reason)
        self._emit([leaving, gone, *self._acks.socket_left(socket.id)])

    def _persist(self, socket: Socket, rooms: frozenset[str], reason: DisconnectReason) -> None:
        """Keep what recovery needs of a socket that leaves (for Node's recoverable reasons)."""
        if self._recovery is None or socket.pid is None:
            return
        now = self._now()
        session = Session(
            sid=socket.id, pid=socket.pid, rooms=rooms, data=socket.data, disconnected_at=now
        )
        self._recovery.persist(socket.nsp, session, reason, now)

    def _forget(self, socket: Socket) -> None:
        socket.state = SocketState.DISCONNECTED
        socket.held = None
        self._sockets.pop(socket.id, None)

    def _namespace(self, name: str) -> Namespace:
        namespace = self._namespaces.get(name)
        assert namespace is not None, name  # a socket's namespace outlives it
        return namespace


def _takes(socket: Socket, *, replayable: bool) -> bool:
    """Whether a packet for many may be queued for the socket now (see :meth:`Sockets.deliver`)."""
    if socket.state is CONNECTED:
        return True
    return replayable and socket.recovered and socket.state is SocketState.CONNECTING
