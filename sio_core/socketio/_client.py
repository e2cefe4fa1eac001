"""One Engine.IO connection as Socket.IO sees it: a decoder and the sockets it holds.

A connection holds at most one socket per namespace. Sockets waiting for their middleware
decision are kept apart: until accepted, their namespace is not joined, and any packet for it
but CONNECT breaks the rules (Node closes the connection with ``forced server close``).
"""

from __future__ import annotations

import dataclasses

from sio_core.http import HttpRequest
from sio_core.socketio._socket import Socket
from sio_core.socketio.packets import PacketDecoder


@dataclasses.dataclass(slots=True, eq=False)
class Client:
    """The Socket.IO state of one Engine.IO session ``sid``."""

    sid: str
    request: HttpRequest
    decoder: PacketDecoder
    sockets: dict[str, Socket] = dataclasses.field(default_factory=dict)
    connecting: dict[str, Socket] = dataclasses.field(default_factory=dict)
    restoring: frozenset[str] = frozenset()
    """Namespaces whose CONNECT waits for a session store's answer (connection state recovery
    on a Redis stream): there is no socket yet. Replaced, never changed in place: almost
    every connection has none, and an empty set costs 216 bytes."""

    def joining(self, nsp: str) -> bool:
        """Whether a CONNECT to ``nsp`` is being dealt with (restoring, or waiting for its
        decision)."""
        return nsp in self.connecting or nsp in self.restoring

    def all_sockets(self) -> list[Socket]:
        """Every socket of the connection, accepted or still waiting."""
        return [*self.connecting.values(), *self.sockets.values()]
