"""sio-core: a sans-IO Socket.IO v5 / Engine.IO v4 server core.

Nothing in this package does I/O, reads a clock or draws random numbers: bytes, parsed requests
and ``now`` come in, events and bytes go out. ``sio_anyio`` drives it on asyncio and trio.
"""

from __future__ import annotations

from sio_core.config import CookieOptions, CorsOptions, EngineConfig, SocketConfig
from sio_core.engineio.server import EngineServer
from sio_core.errors import (
    DisconnectReason,
    EngineErrorCode,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    RequestRefused,
)
from sio_core.events import (
    AckAbandoned,
    AckReceived,
    BroadcastAcksCollected,
    ClusterFetchCompleted,
    ClusterMessageReady,
    ClusterMessageRejected,
    Event,
    EventReceived,
    HttpResponseReady,
    MessageReceived,
    PacketCreated,
    PacketReceived,
    ServerSideEmitAcksCollected,
    ServerSideEmitReceived,
    SessionClosed,
    SessionDrained,
    SessionOpened,
    SessionUpgraded,
    SocketConnected,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
    WebSocketAccepted,
    WebSocketCloseRequested,
    WebSocketDataReady,
)
from sio_core.handshake import Handshake
from sio_core.http import HttpRequest, HttpResponse
from sio_core.ids import CountingIds, IdGenerator
from sio_core.socketio.adapter import Adapter, BroadcastOptions, InMemoryAdapter
from sio_core.socketio.server import SocketServer
from sio_core.socketio.socket import SocketSnapshot
from sio_core.surface import TransportCore

__version__ = "0.1.0.dev0"

__all__ = [
    "AckAbandoned",
    "AckReceived",
    "Adapter",
    "BroadcastAcksCollected",
    "BroadcastOptions",
    "ClusterFetchCompleted",
    "ClusterMessageReady",
    "ClusterMessageRejected",
    "CookieOptions",
    "CorsOptions",
    "CountingIds",
    "DisconnectReason",
    "EngineConfig",
    "EngineErrorCode",
    "EngineServer",
    "Event",
    "EventReceived",
    "Handshake",
    "HttpRequest",
    "HttpResponse",
    "HttpResponseReady",
    "IdGenerator",
    "InMemoryAdapter",
    "LocalProtocolError",
    "MessageReceived",
    "PacketCreated",
    "PacketReceived",
    "ProtocolError",
    "RemoteProtocolError",
    "RequestRefused",
    "ServerSideEmitAcksCollected",
    "ServerSideEmitReceived",
    "SessionClosed",
    "SessionDrained",
    "SessionOpened",
    "SessionUpgraded",
    "SocketConfig",
    "SocketConnected",
    "SocketConnecting",
    "SocketDisconnected",
    "SocketDisconnecting",
    "SocketErrored",
    "SocketServer",
    "SocketSnapshot",
    "TransportCore",
    "WebSocketAccepted",
    "WebSocketCloseRequested",
    "WebSocketDataReady",
    "__version__",
]
