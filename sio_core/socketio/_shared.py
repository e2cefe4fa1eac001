"""What the parts of a :class:`~sio_core.SocketServer` share with it, and nothing more.

The sockets, the operations and the cluster node each get this one small object: the pending
acks, a way to queue events for the server's next ``events()``, the server's clock (the
latest ``now`` it was given) and, when the option is on, its connection state recovery. None of
them holds the server itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from sio_core.engineio._events import Event
from sio_core.socketio._acks import Acks
from sio_core.socketio._recovery import Recovery


@dataclasses.dataclass(frozen=True, slots=True)
class Shared:
    """The server's acks, event queue, clock and recovery (None when it is off)."""

    acks: Acks
    emit: Callable[[Iterable[Event]], None]
    now: Callable[[], float]
    recovery: Recovery | None = None
