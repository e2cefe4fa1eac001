"""What comes up from Engine.IO: sessions become clients, and a client's packets are decoded,
then become an event, an answer, a CONNECT or the end.

:class:`Intake` takes each Engine.IO message of a connection (its
:class:`~sio_core.socketio._client.Client`), feeds the connection's decoder and acts on each
packet whole: an EVENT becomes an :class:`~sio_core.events.EventReceived` (an ack then owed), an
ACK settles what waited for it (here, or on the node whose broadcast asked), a DISCONNECT ends
its socket, a packet the connection's state does not allow closes it (``forced server close``),
and one that does not decode closes it after an ``error`` for each socket.

A CONNECT to a namespace makes a socket that waits for the middleware decision; with connection
state recovery on, the session store is asked first (:mod:`sio_core.socketio._recovery`), and
may answer later (a store on Redis): until then the namespace is *restoring* on the connection,
and another packet for it breaks the rules as it would for a socket still connecting.
"""

from __future__ import annotations

import functools
from typing import Any

from sio_core.engineio._events import (
    Event,
    MessageReceived,
    SessionClosed,
    SessionOpened,
    WebSocketDataReady,
)
from sio_core.errors import DisconnectReason, RemoteProtocolError
from sio_core.ids import IdGenerator
from sio_core.socketio._client import Client
from sio_core.socketio._cluster_node import ClusterNode
from sio_core.socketio._events import EventReceived, SocketErrored
from sio_core.socketio._namespace import Namespaces
from sio_core.socketio._packet import ACK_TYPES, EVENT_TYPES
from sio_core.socketio._recovery import RestoredSession
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import Handshake, Socket
from sio_core.socketio._sockets import Sockets
from sio_core.socketio.packets import Packet, PacketType


class Intake:
    """Acts on the packets of every connection of a server."""

    def __init__(
        self,
        connect_timeout: float,
        sockets: Sockets,
        namespaces: Namespaces,
        cluster: ClusterNode,
        shared: Shared,
        new_id: IdGenerator,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._sockets = sockets
        self._namespaces = namespaces
        self._cluster = cluster
        self._acks = shared.acks
        self._emit = shared.emit
        self._now = shared.now
        self._recovery = shared.recovery
        self._new_id = new_id

    def _emit_one(self, event: EventReceived | SocketErrored) -> None:
        self._emit([event])

    def translate(self, event: Event) -> None:
        """One Engine.IO event: a message is consumed here; session events pass on as well."""
        if type(event) is WebSocketDataReady:  # most: every write of every session
            self._emit([event])
            return
        if isinstance(event, MessageReceived):
            self.message(event.sid, event.data)
            return
        if isinstance(event, SessionOpened):
            deadline = self._now() + self._connect_timeout
            self._sockets.open_client(event.sid, event.request, deadline)
        elif isinstance(event, SessionClosed):
            client = self._sockets.client(event.sid)
            if client is not None:
                self._sockets.close_client(client, event.reason, close_engine=False)
        self._emit([event])

    def message(self, sid: str, data: str | bytes) -> None:
        """One Engine.IO message of session ``sid``: a packet, or part of one."""
        client = self._sockets.client(sid)
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
            self._emit_one(SocketErrored(socket_id=socket.id, message=error.message))
        self._sockets.close_connection(client)

    def _receive_packet(self, client: Client, packet: Packet) -> None:
        socket = client.sockets.get(packet.nsp)
        kind = packet.type
        if socket is not None and kind in EVENT_TYPES:  # most packets
            self._receive_event(socket, packet)
        elif kind is PacketType.CONNECT and socket is None and not client.joining(packet.nsp):
            self._connect(client, packet)
        elif socket is None or kind in (PacketType.CONNECT, PacketType.CONNECT_ERROR):
            self._sockets.close_client(client, DisconnectReason.FORCED_SERVER_CLOSE)
        elif kind in ACK_TYPES:
            assert packet.id is not None
            self._receive_ack(socket, packet.id, tuple(packet.data))
        else:
            self._sockets.close_socket(socket, DisconnectReason.CLIENT_NAMESPACE_DISCONNECT)

    def _receive_ack(self, socket: Socket, ack_id: int, args: tuple[Any, ...]) -> None:
        """A client answered: the server's own emit or broadcast, or another node's broadcast."""
        if not self._cluster.relay_answer(socket.id, ack_id, args):
            self._emit(self._acks.answer(socket.id, ack_id, args))

    def _receive_event(self, socket: Socket, packet: Packet) -> None:
        name, *args = packet.data
        event = name if isinstance(name, str) else str(name)  # JS keys numeric names as strings
        if packet.id is not None:
            self._acks.owe(socket.id, packet.id)
        self._emit_one(
            EventReceived(
                socket_id=socket.id,
                nsp=socket.nsp,
                event=event,
                args=tuple(args),
                ack_id=packet.id,
            )
        )

    # -- connecting: the middleware decision point, or a recovery first ----------------------

    def _connect(self, client: Client, packet: Packet) -> None:
        auth = packet.data if isinstance(packet.data, dict) else {}
        namespace = self._namespaces.resolve(packet.nsp, auth)
        if namespace is None:
            error = Packet(PacketType.CONNECT_ERROR, packet.nsp, {"message": "Invalid namespace"})
            self._sockets.send_to_session(client.sid, error)
            return
        handshake = Handshake.from_request(client.request, auth)
        nsp = namespace.name
        if self._recovery is None:
            self._sockets.ask(client, self._new_id(), nsp, handshake)
            return
        client.restoring |= {nsp}
        answer = functools.partial(self._restored, client, nsp, handshake)
        self._recovery.restore(nsp, auth, self._now(), answer)

    def _restored(
        self, client: Client, nsp: str, handshake: Handshake, restored: RestoredSession | None
    ) -> None:
        """The session a CONNECT asked back, or None: the socket comes back, or a fresh one
        waits for its decision. If the connection ended meanwhile, the session is kept again."""
        client.restoring -= {nsp}
        if self._sockets.client(client.sid) is not client:
            if restored is not None and self._recovery is not None:
                self._recovery.keep(nsp, restored.session, self._now())
            return
        if not (restored and self._sockets.recover(client, nsp, handshake, restored)):
            self._sockets.ask(client, self._new_id(), nsp, handshake)
