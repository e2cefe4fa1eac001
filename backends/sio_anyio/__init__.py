"""The anyio backend of sio-core: serves the sans-IO core over TCP on asyncio or trio.

``Server`` is the Socket.IO server, Node's ``io`` in Python's spelling; ``EngineIOServer``
serves plain Engine.IO. Both run unchanged on asyncio and trio. ``instrument(io, auth=...)``
opens a server to the Socket.IO admin UI (its password check needs the ``admin`` extra,
bcrypt, imported only then). ``RedisEmitter`` (and the Redis adapters, ``RedisStreamsAdapter``
among them) need the ``redis`` extra (coredis); they are imported on first use, so that the
rest works without it.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from sio_anyio._backoff import Backoff
from sio_anyio._extras import MissingExtra
from sio_anyio._handlers import AppHandler
from sio_anyio._http import Fallback
from sio_anyio._redis_status import RedisUnavailable
from sio_anyio._run import run_server
from sio_anyio._runner import CoreRunner
from sio_anyio.admin import instrument
from sio_anyio.asgi import ASGIApp
from sio_anyio.broadcast import BroadcastOperator, RemoteSocket
from sio_anyio.conn import Conn, Transport
from sio_anyio.engineio import EngineIOServer
from sio_anyio.errors import (
    AckError,
    AckTimeoutError,
    ClusterTimeoutError,
    ConnectionRejected,
    SocketGoneError,
)
from sio_anyio.namespace import Namespace, ParentNamespace
from sio_anyio.room_events import RoomEvents
from sio_anyio.server import Server
from sio_anyio.socket import Ack, Socket
from sio_core.config import ConnectionStateRecovery

if TYPE_CHECKING:
    from sio_anyio.emitter import EmitterOperator, RedisEmitter
    from sio_anyio.redis_adapter import RedisAdapter, ShardedRedisAdapter
    from sio_anyio.redis_streams_adapter import RedisStreamsAdapter

_NEEDS_COREDIS = {
    "EmitterOperator": "sio_anyio.emitter",
    "RedisAdapter": "sio_anyio.redis_adapter",
    "RedisEmitter": "sio_anyio.emitter",
    "RedisStreamsAdapter": "sio_anyio.redis_streams_adapter",
    "ShardedRedisAdapter": "sio_anyio.redis_adapter",
}
"""What imports coredis, by the module it is in: imported on first use."""

logging.getLogger("sio_anyio").addHandler(logging.NullHandler())

__all__ = [
    "ASGIApp",
    "Ack",
    "AckError",
    "AckTimeoutError",
    "AppHandler",
    "Backoff",
    "BroadcastOperator",
    "ClusterTimeoutError",
    "Conn",
    "ConnectionRejected",
    "ConnectionStateRecovery",
    "CoreRunner",
    "EmitterOperator",
    "EngineIOServer",
    "Fallback",
    "MissingExtra",
    "Namespace",
    "ParentNamespace",
    "RedisAdapter",
    "RedisEmitter",
    "RedisStreamsAdapter",
    "RedisUnavailable",
    "RemoteSocket",
    "RoomEvents",
    "Server",
    "ShardedRedisAdapter",
    "Socket",
    "SocketGoneError",
    "Transport",
    "instrument",
    "run_server",
]


def __getattr__(name: str) -> Any:
    module = _NEEDS_COREDIS.get(name)
    if module is None:
        raise AttributeError(f"module 'sio_anyio' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
