"""sio-core: a sans-IO Socket.IO v5 / Engine.IO v4 server core.

Nothing in this package does I/O, reads a clock or draws random numbers: bytes, parsed requests
and ``now`` come in, events and bytes go out. ``sio_anyio`` drives it on asyncio and trio.
"""

from __future__ import annotations

from sio_core.config import CookieOptions, CorsOptions, EngineConfig
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
    Event,
    HttpResponseReady,
    MessageReceived,
    SessionClosed,
    SessionOpened,
    SessionUpgraded,
    WebSocketAccepted,
    WebSocketCloseRequested,
    WebSocketDataReady,
)
from sio_core.http import HttpRequest, HttpResponse
from sio_core.ids import CountingIds, IdGenerator
from sio_core.surface import TransportCore

__version__ = "0.1.0.dev0"

__all__ = [
    "CookieOptions",
    "CorsOptions",
    "CountingIds",
    "DisconnectReason",
    "EngineConfig",
    "EngineErrorCode",
    "EngineServer",
    "Event",
    "HttpRequest",
    "HttpResponse",
    "HttpResponseReady",
    "IdGenerator",
    "LocalProtocolError",
    "MessageReceived",
    "ProtocolError",
    "RemoteProtocolError",
    "RequestRefused",
    "SessionClosed",
    "SessionOpened",
    "SessionUpgraded",
    "TransportCore",
    "WebSocketAccepted",
    "WebSocketCloseRequested",
    "WebSocketDataReady",
    "__version__",
]
