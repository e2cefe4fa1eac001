"""What comes up from Engine.IO, turned into Socket.IO: sessions into clients, messages into
packets, packets into events and connect decisions.

Kept apart from :class:`~sio_core.SocketServer` because it is the one direction of traffic that
the server does not start: everything here reacts to the client. The rules it applies:

* a message that does not decode gives each of the connection's sockets an ``error`` event, then
  closes the connection (Node's order);
* a CONNECT for a namespace the connection has no socket in (nor one waiting) asks the
  middlewares (or restores a recovered session); any other packet for a namespace without a
  socket, or a second CONNECT, breaks the rules: ``forced server close``;
* a DISCONNECT ends that one socket with ``client namespace disconnect``;
* an ACK answers the server's own emit or broadcast, or another node's broadcast.
"""

from __future__ import annotations

from typing import Any

from sio_core.config import SocketConfig
from sio_core.engineio._events import Event, MessageReceived, SessionClosed, SessionOpened
from sio_core.errors import DisconnectReason, RemoteProtocolError
from sio_core.ids import IdGenerator
from sio_core.socketio._client import Client
from sio_core.socketio._cluster_node import ClusterNode
from sio_core.socketio._events import EventReceived, SocketErrored
from sio_core.socketio._namespace import Namespaces
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import Handshake, Socket
from sio_core.socketio._sockets import Sockets
from sio_core.socketio.packets import Packet, PacketType


class Inbound:
    """Applies Engine.IO's events to the sockets; queues what the application must hear."""

    def __init__(
        self,
        config: SocketConfig,
        sockets: Sockets,
        namespaces: Namespaces,
        cluster: ClusterNode,
        shared: Shared,
        new_id: IdGenerator,
    ) -> None:
        self._config = config
        self._sockets = sockets
        self._namespaces = namespaces
        self._cluster = cluster
        self._shared = shared
        self._new_id = new_id

    def translate(self, event: Event) -> None:
        """One Engine.IO event: a message is consumed here; session events pass on as well."""
        if isinstance(event, MessageReceived):
            self._receive_message(event.sid, event.data)
            return
        if isinstance(event, SessionOpened):
            deadline = self._shared.now() + self._config.connect_timeout
            self._sockets.open_client(event.sid, event.request, deadline)
        elif isinstance(event, SessionClosed):
            client = self._sockets.client(event.sid)
            if client is not None:
                self._sockets.close_client(client, event.reason, close_engine=False)
        self._shared.emit((event,))

    def _receive_message(self, sid: str, data: str | bytes) -> None:
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
        sockets = client.sockets.values()
        self._shared.emit(SocketErrored(socket_id=s.id, message=error.message) for s in sockets)
        self._sockets.close_connection(client)

    def _receive_packet(self, client: Client, packet: Packet) -> None:
        socket = client.sockets.get(packet.nsp)
        kind = packet.type
        if kind is PacketType.CONNECT and socket is None and packet.nsp not in client.connecting:
            self._connect(client, packet)
        elif socket is None or kind in (PacketType.CONNECT, PacketType.CONNECT_ERROR):
            self._sockets.close_client(client, DisconnectReason.FORCED_SERVER_CLOSE)
        elif kind in (PacketType.EVENT, PacketType.BINARY_EVENT):
            self._receive_event(socket, packet)
        elif kind in (PacketType.ACK, PacketType.BINARY_ACK):
            assert packet.id is not None
            self._receive_ack(socket, packet.id, tuple(packet.data))
        else:
            self._sockets.close_socket(socket, DisconnectReason.CLIENT_NAMESPACE_DISCONNECT)

    def _receive_ack(self, socket: Socket, ack_id: int, args: tuple[Any, ...]) -> None:
        if not self._cluster.relay_answer(socket.id, ack_id, args):
            self._shared.emit(self._shared.acks.answer(socket.id, ack_id, args))

    def _receive_event(self, socket: Socket, packet: Packet) -> None:
        name, *args = packet.data
        event = name if isinstance(name, str) else str(name)  # JS keys numeric names as strings
        if packet.id is not None:
            self._shared.acks.owe(socket.id, packet.id)
        received = EventReceived(
            socket_id=socket.id, nsp=socket.nsp, event=event, args=tuple(args), ack_id=packet.id
        )
        self._shared.emit((received,))

    def _connect(self, client: Client, packet: Packet) -> None:
        """The middleware decision point: restore a recovered session, or ask the application."""
        auth = packet.data if isinstance(packet.data, dict) else {}
        namespace = self._namespaces.resolve(packet.nsp, auth)
        if namespace is None:
            error = Packet(PacketType.CONNECT_ERROR, packet.nsp, {"message": "Invalid namespace"})
            self._sockets.send_to_session(client.sid, error)
            return
        handshake = Handshake.from_request(client.request, auth)
        recovery = self._shared.recovery
        restored = recovery and recovery.restore(namespace.name, auth, self._shared.now())
        if not (restored and self._sockets.recover(client, namespace.name, handshake, restored)):
            self._sockets.ask(client, self._new_id(), namespace.name, handshake)
