"""``socket.conn``: the Engine.IO connection under a socket, and its events.

Events: ``upgrade`` (with the new transport name) and ``close`` (with the reason), delivered
once the connection's state changed in the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sio_anyio._listeners import Listener, Listeners

if TYPE_CHECKING:
    from sio_anyio.server import Server


class Conn:
    """One Engine.IO session, shared by the sockets it carries."""

    def __init__(self, server: Server, sid: str) -> None:
        self.id = sid
        self._server = server
        self.listeners = Listeners()

    @property
    def transport(self) -> str | None:
        """``polling`` or ``websocket``; None once the connection is closed."""
        return self._server._core.engine.transport_of(self.id)

    def on(self, event: str, listener: Listener | None = None) -> Any:
        """Register a listener for ``upgrade`` or ``close`` (usable as a decorator)."""
        if listener is None:
            return self.listeners.decorator(event)
        self.listeners.add(event, listener)
        return listener

    def close(self) -> None:
        """Close the connection, and with it every socket on it."""
        self._server._core_call(lambda core: core.engine.close(self.id))
