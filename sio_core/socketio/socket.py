"""The Socket: one client's presence in one namespace, as the core keeps it.

What the Node docs list on the server-side Socket lives here: ``id`` (20 URL-safe characters,
distinct from the Engine.IO sid), ``nsp``, ``handshake``, ``data`` (free for the application and
seen by ``fetch_sockets``) and, through the namespace's adapter, ``rooms``. The socket always
sits in the room named after its own id.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from sio_core.events import SocketSnapshot as SocketSnapshot  # re-exported: its old home
from sio_core.handshake import Handshake


class SocketState(enum.Enum):
    """A socket waits for a middleware decision, then is connected, then is gone."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclasses.dataclass(slots=True, eq=False)
class Socket:
    """The core's record of one socket; the backend wraps it in the user-facing handle."""

    id: str
    nsp: str
    sid: str
    handshake: Handshake
    state: SocketState = SocketState.CONNECTING
    data: Any = None
