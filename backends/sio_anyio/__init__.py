"""The anyio backend of sio-core: serves the sans-IO core over TCP on asyncio or trio.

``Server`` is the Socket.IO server, Node's ``io`` in Python's spelling; ``EngineIOServer``
serves plain Engine.IO. Both run unchanged on asyncio and trio.
"""

from __future__ import annotations

import logging

from sio_anyio._handlers import AppHandler
from sio_anyio._http import Fallback
from sio_anyio._run import run_server
from sio_anyio._runner import CoreRunner
from sio_anyio.broadcast import BroadcastOperator, RemoteSocket
from sio_anyio.conn import Conn
from sio_anyio.engineio import EngineIOServer
from sio_anyio.errors import AckError, AckTimeoutError, ConnectionRejected, SocketGoneError
from sio_anyio.namespace import Namespace, ParentNamespace
from sio_anyio.server import Server
from sio_anyio.socket import Ack, Socket
from sio_core.config import ConnectionStateRecovery

logging.getLogger("sio_anyio").addHandler(logging.NullHandler())

__all__ = [
    "Ack",
    "AckError",
    "AckTimeoutError",
    "AppHandler",
    "BroadcastOperator",
    "Conn",
    "ConnectionRejected",
    "ConnectionStateRecovery",
    "CoreRunner",
    "EngineIOServer",
    "Fallback",
    "Namespace",
    "ParentNamespace",
    "RemoteSocket",
    "Server",
    "Socket",
    "SocketGoneError",
    "run_server",
]
