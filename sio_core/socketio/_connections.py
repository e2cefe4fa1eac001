"""The Engine.IO sessions under a Socket.IO server's sockets: which are open, how each is doing,
and closing one (Node's ``socket.conn``).

Apart from :class:`~sio_core.SocketServer` because it is the one place where Socket.IO users
look down at Engine.IO: everything here is a session's, by sid, never a socket's.
"""

from __future__ import annotations

from sio_core.engineio._server import EngineServer
from sio_core.socketio._sockets import Sockets
from sio_core.stats import Traffic


class Connections:
    """The server's Engine.IO sessions, reached as ``SocketServer.connections``."""

    def __init__(self, engine: EngineServer, sockets: Sockets) -> None:
        self._engine = engine
        self._sockets = sockets

    @property
    def sids(self) -> list[str]:
        """The sids of the open sessions."""
        return self._engine.sids

    def buffered_bytes(self, sid: str) -> int | None:
        """Bytes queued for connection ``sid`` and not yet written; None once it is gone."""
        return self._engine.buffered_bytes(sid)

    def transport_of(self, sid: str) -> str | None:
        """``"polling"`` or ``"websocket"``: what session ``sid`` runs on; None once it is gone."""
        return self._engine.transport_of(sid)

    def watch_packets(self, sid: str, on: bool = True) -> bool:
        """Pass on session ``sid``'s packet events (``socket.conn``'s ``packet``, ``drain``...).

        They come through the server's ``events()`` untouched, like every session event.
        """
        return self._engine.watch_packets(sid, on)

    def count_traffic(self) -> None:
        """Count the Engine.IO traffic from now on (see :meth:`traffic`); idempotent."""
        self._engine.count_traffic()

    def traffic(self) -> Traffic | None:
        """Packets, bytes and sessions since :meth:`count_traffic`; None if not counting."""
        return self._engine.traffic()

    def close(self, sid: str) -> None:
        """Close connection ``sid`` (Node's ``socket.conn.close()``): each of its sockets leaves
        with ``forced close``, after the output it held; a no-op once it is gone."""
        client = self._sockets.client(sid)
        if client is not None:
            self._sockets.close_connection(client)
