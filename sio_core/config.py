"""Server options, frozen and validated at construction; the names are Node's, in snake_case.

Durations are seconds (floats), like the ``now`` the core is fed; the handshake converts them to
the milliseconds the wire wants.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

from sio_core.http import HttpRequest

TRANSPORTS = ("polling", "websocket")

AllowRequest = Callable[[HttpRequest], "bool | str"]
"""Decides whether a handshake may proceed: True accepts; False, or a message, refuses (403)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CorsOptions:
    """Which cross-origin pages may talk to the server (the options of Node's ``cors`` package).

    :param origins: ``"*"`` for any origin, ``True`` to reflect the request's origin, or the
        exact origins allowed.
    """

    origins: Literal["*"] | bool | tuple[str, ...] = "*"
    credentials: bool = False
    methods: tuple[str, ...] = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE")
    allowed_headers: tuple[str, ...] | None = None
    exposed_headers: tuple[str, ...] = ()
    max_age: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CookieOptions:
    """The ``io`` cookie that carries the sid, set on the handshake response when configured."""

    name: str = "io"
    path: str | None = "/"
    http_only: bool = True
    same_site: Literal["Strict", "Lax", "None"] | None = "Lax"
    secure: bool = False
    max_age: int | None = None
    domain: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """Options of the Engine.IO layer; defaults are the Node server's.

    :param max_buffered_bytes: the most output one session may hold for its client, queued or
        handed to its WebSocket and not yet written (not in Node, where it is unbounded). Past
        a quarter of it the server stops reading from that client; past it the session closes
        (``transport error``, "output buffer full"). See ``docs/limits.md``.
    """

    path: str = "/engine.io/"
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    upgrade_timeout: float = 10.0
    max_http_buffer_size: int = 1_000_000
    transports: tuple[str, ...] = TRANSPORTS
    allow_upgrades: bool = True
    allow_request: AllowRequest | None = None
    cors: CorsOptions | None = None
    cookie: CookieOptions | None = None
    http_compression: bool = True
    compression_threshold: int = 1024
    max_buffered_bytes: int = 16_000_000

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/': {self.path!r}")
        if not self.path.endswith("/"):
            object.__setattr__(self, "path", self.path + "/")
        unknown = set(self.transports) - set(TRANSPORTS)
        if unknown or not self.transports:
            raise ValueError(f"transports must be a non-empty subset of {TRANSPORTS}")
        for name in ("ping_interval", "ping_timeout", "upgrade_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_http_buffer_size <= 0:
            raise ValueError("max_http_buffer_size must be positive")
        if self.max_buffered_bytes <= 0:
            raise ValueError("max_buffered_bytes must be positive")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionStateRecovery:
    """Node's ``connectionStateRecovery``: a client that lost its connection for a while comes
    back as the same socket (id, rooms, ``data``) and gets the events it missed.

    :param max_disconnection_duration: how long a disconnected socket's session, and each
        event kept for replay, is kept (Node: 2 minutes).
    :param skip_middlewares: whether a recovered socket skips the namespace's middlewares.
    :param max_buffered_packets: the most events kept for replay, per namespace; past it the
        oldest go first, and a client whose last event went is given a fresh socket (never a
        gap). Not in Node, whose in-memory buffer is bounded by time only.
    """

    max_disconnection_duration: float = 120.0
    skip_middlewares: bool = True
    max_buffered_packets: int = 10_000

    def __post_init__(self) -> None:
        if self.max_disconnection_duration <= 0:
            raise ValueError("max_disconnection_duration must be positive")
        if self.max_buffered_packets <= 0:
            raise ValueError("max_buffered_packets must be positive")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketConfig:
    """Options of the Socket.IO layer; its Engine.IO layer serves ``/socket.io/`` by default.

    :param connect_timeout: how long a connection may stay without joining any namespace
        before the server closes it (Node's ``connectTimeout``).
    :param connection_state_recovery: recover the sockets of clients that come back after a
        short disconnection (see ``docs/recovery.md``); off (``None``) by default, as in Node.
    """

    engine: EngineConfig = dataclasses.field(
        default_factory=lambda: EngineConfig(path="/socket.io/")
    )
    connect_timeout: float = 45.0
    connection_state_recovery: ConnectionStateRecovery | None = None

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
