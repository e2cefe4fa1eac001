"""The Socket: one client's presence in one namespace, as the core keeps it.

What the Node docs list on the server-side Socket lives here: ``id`` (20 URL-safe characters,
distinct from the Engine.IO sid), ``nsp``, ``handshake``, ``data`` (free for the application,
``{}`` at first as in Node, and seen by ``fetch_sockets``) and, through the namespace's
adapter, ``rooms``. The socket always sits in the room named after its own id.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
from collections.abc import Iterator, Mapping
from typing import Any

from sio_core.http import HttpRequest

_NODE_KEYS = ("headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth")
"""The keys of Node's handshake object, in the order Node writes them."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Handshake(Mapping[str, Any]):
    """The fields of Node's ``socket.handshake`` (their names are the same in Python).

    It is also a read-only mapping of Node's keys, in Node's order, so that it is sent (emitted,
    acked) as the JSON object Node sends; :meth:`to_dict` gives that object as a ``dict``.

    :param time: the date of creation, as JavaScript's ``Date.toString()`` writes it.
    :param issued: the date of creation, in milliseconds since the Unix epoch.
    :param xdomain: whether the request carried an ``Origin`` header (a cross-site request).
    """

    headers: dict[str, str]
    query: dict[str, str]
    auth: dict[str, Any]
    time: str
    issued: int
    url: str
    address: str
    xdomain: bool
    secure: bool

    @classmethod
    def from_request(cls, request: HttpRequest, auth: dict[str, Any]) -> Handshake:
        """Build the handshake from the Engine.IO handshake request and the CONNECT payload."""
        return cls(
            headers=dict(request.headers),
            query=request.query(),
            auth=auth,
            time=_js_date_string(request.timestamp),
            issued=int(request.timestamp * 1000),
            url=request.url,
            address=request.client[0] if request.client else "",
            xdomain=request.header("origin") is not None,
            secure=request.secure,
        )

    def to_dict(self) -> dict[str, Any]:
        """Node's handshake object: a new dict of the fields, in Node's order."""
        return {key: getattr(self, key) for key in _NODE_KEYS}

    def __getitem__(self, key: str) -> Any:
        if key not in _NODE_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_NODE_KEYS)

    def __len__(self) -> int:
        return len(_NODE_KEYS)


def _js_date_string(timestamp: float) -> str:
    return _js_date_of_second(int(timestamp))


@functools.lru_cache(maxsize=2)
def _js_date_of_second(second: int) -> str:
    """The string shows whole seconds, and connections come in bursts: formatting the date
    took about 2 % of the server's CPU per WebSocket connect."""
    moment = datetime.datetime.fromtimestamp(second, tz=datetime.timezone.utc)
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


class SocketState(enum.Enum):
    """A socket waits for a middleware decision, then is connected, then is gone."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


CONNECTED = SocketState.CONNECTED
"""Read for every socket a packet goes to, so bound once: on Python 3.11 an enum's member costs
four module globals to read (EnumType's ``__getattr__`` slows every attribute of the class)."""


@dataclasses.dataclass(slots=True, eq=False)
class Socket:
    """The core's record of one socket; the backend wraps it in the user-facing handle.

    :param held: the encoded packets waiting for the socket's release, in order, while its
        output is held (from ``accept`` to ``release``, and for a recovered socket from its
        CONNECT on); ``None`` when it flows.
    :param pid: the private session id sent in the CONNECT reply when connection state
        recovery is on (``None`` when it is off).
    :param recovered: whether the socket took a disconnected socket's place (its id, rooms,
        ``data``) and had the events its client missed replayed.
    :param replayed_to: for a socket recovered from a Redis stream, the last entry its replay
        read (as :func:`~sio_core.cluster.stream_commands.entry_order` sorts it): a later
        delivery of an entry up to there is one it had already. ``None`` once the stream's
        deliveries have passed it.
    """

    id: str
    nsp: str
    sid: str
    handshake: Handshake
    state: SocketState = SocketState.CONNECTING
    data: Any = dataclasses.field(default_factory=dict)
    held: list[str | bytes] | None = None
    pid: str | None = None
    recovered: bool = False
    replayed_to: tuple[int, int] | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketSnapshot:
    """What ``fetch_sockets`` returns for one socket: a copy, taken at the time of the call."""

    id: str
    nsp: str
    handshake: Handshake
    rooms: frozenset[str]
    data: Any
