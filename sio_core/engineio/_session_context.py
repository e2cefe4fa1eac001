"""What a session shares with its server, and the names of its transports, states and timers.

Apart from :mod:`~sio_core.engineio._session` so that the server can build the context and key
its deadlines without reaching into the session's own logic.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

from sio_core._deadlines import Deadlines
from sio_core.config import EngineConfig
from sio_core.engineio._events import Event
from sio_core.engineio._traffic import TrafficCounter

if TYPE_CHECKING:
    from sio_core.engineio._session import Session

CLOSE_TIMEOUT = 30.0
"""How long a forced close waits on polling for the GET that collects the close packet (Node's)."""


class Transport(str, enum.Enum):
    """The two transports of Engine.IO v4."""

    POLLING = "polling"
    WEBSOCKET = "websocket"


class SessionState(enum.Enum):
    """Where a session is in its life."""

    OPEN = "open"
    UPGRADING = "upgrading"
    CLOSING = "closing"
    CLOSED = "closed"


# Read for every packet, so bound once: on Python 3.11 an enum's member costs four module globals
# to read (EnumType's __getattr__ slows every attribute of the class down).
OPEN, UPGRADING, WEBSOCKET = SessionState.OPEN, SessionState.UPGRADING, Transport.WEBSOCKET


class Timer(str, enum.Enum):
    """The deadlines a session can have armed, keyed ``(sid, Timer)``."""

    PING = "ping"
    PONG = "pong"
    UPGRADE = "upgrade"
    CLOSE = "close"


@dataclasses.dataclass(slots=True)
class SessionContext:
    """What sessions share with their server: options, the event list, deadlines and indexes."""

    config: EngineConfig
    emit: Callable[[Event], None]
    deadlines: Deadlines[tuple[str, Timer]]
    mark_dirty: Callable[[Session], None]
    forget: Callable[[Session], None]
    held_gets: dict[int, Session] = dataclasses.field(default_factory=dict)
    websockets: dict[int, Session] = dataclasses.field(default_factory=dict)
    now: float = 0.0
    traffic: TrafficCounter | None = None
