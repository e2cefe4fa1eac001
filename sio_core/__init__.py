"""sio-core: a sans-IO Socket.IO v5 / Engine.IO v4 server core.

Nothing in this package does I/O, reads a clock or draws random numbers: bytes, parsed requests
and ``now`` come in, events and bytes go out. ``sio_anyio`` drives it on asyncio and trio.

The names a backend or an application needs are here; the events are in :mod:`sio_core.events`,
the test doubles in :mod:`sio_core.testing`. Modules whose name starts with ``_`` are internal.
"""

from __future__ import annotations

from sio_core.config import (
    ConnectionStateRecovery,
    CookieOptions,
    CorsOptions,
    EngineConfig,
    SocketConfig,
)
from sio_core.engineio._server import EngineServer
from sio_core.errors import (
    AckAbandonReason,
    DisconnectReason,
    EncodeError,
    EngineErrorCode,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    RequestRefused,
)
from sio_core.http import HttpRequest, HttpResponse
from sio_core.ids import CountingIds, IdGenerator
from sio_core.socketio._acks import ack_value
from sio_core.socketio._adapter import Adapter, BroadcastOptions, InMemoryAdapter
from sio_core.socketio._namespace import DynamicNamespace, NamespaceMatcher
from sio_core.socketio._operations import Operations
from sio_core.socketio._server import SocketServer
from sio_core.socketio._socket import Handshake, SocketSnapshot
from sio_core.stats import ServerStats, Traffic
from sio_core.surface import TransportCore

__version__ = "0.1.0.dev0"

__all__ = [
    "AckAbandonReason",
    "Adapter",
    "BroadcastOptions",
    "ConnectionStateRecovery",
    "CookieOptions",
    "CorsOptions",
    "CountingIds",
    "DisconnectReason",
    "DynamicNamespace",
    "EncodeError",
    "EngineConfig",
    "EngineErrorCode",
    "EngineServer",
    "Handshake",
    "HttpRequest",
    "HttpResponse",
    "IdGenerator",
    "InMemoryAdapter",
    "LocalProtocolError",
    "NamespaceMatcher",
    "Operations",
    "ProtocolError",
    "RemoteProtocolError",
    "RequestRefused",
    "ServerStats",
    "SocketConfig",
    "SocketServer",
    "SocketSnapshot",
    "Traffic",
    "TransportCore",
    "__version__",
    "ack_value",
]
