"""The events of the Engine.IO layer: what the backend must write, and what sessions did.

Transport events (:class:`HttpResponseReady`, the ``WebSocket*`` ones) tell the backend what to
write; session events are for the application, or for the Socket.IO layer above. Packet events
(:class:`PacketReceived`, :class:`PacketCreated`, :class:`SessionDrained`) are Node's
``socket.conn`` traffic events. They are opt-in per session (``watch_packets``) because they cost
an object per packet: a server nobody watches never builds one.
"""

from __future__ import annotations

import dataclasses

from sio_core._quick import quick_init
from sio_core.errors import DisconnectReason
from sio_core.http import HttpRequest, HttpResponse


class Event:
    """Base class of every event the core emits."""

    __slots__ = ()


# -- transport events: what the backend must write ------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponseReady(Event):
    """The answer to request ``request_id``; every request gets exactly one."""

    request_id: int
    response: HttpResponse


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketAccepted(Event):
    """Complete the WebSocket handshake of request ``request_id``, which becomes ws ``request_id``.

    :param headers: extra headers for the 101 response (a cookie, for instance).
    """

    request_id: int
    headers: tuple[tuple[str, str], ...] = ()


@quick_init  # made for every write
@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketDataReady(Event):
    """Send these messages on WebSocket ``ws_id``, in order, one message per item.

    A ``str`` goes out as a text message, ``bytes`` as a binary message.
    """

    ws_id: int
    messages: tuple[str | bytes, ...]

    @property
    def size(self) -> int:
        """What the messages weigh against the session's output limit: text in characters,
        binary in bytes: the unit of ``ws_unwritten``, which reports what is not written yet."""
        messages = self.messages
        if len(messages) == 1:  # most often
            return len(messages[0])
        return sum(len(message) for message in messages)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketCloseRequested(Event):
    """Close WebSocket ``ws_id`` with this close code; the core has already forgotten it.

    :param abort: the client does not read what it is sent: drop what is not written yet and
        cut the connection, instead of writing the rest and a close frame.
    """

    ws_id: int
    code: int = 1000
    reason: str = ""
    abort: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketReadPaused(Event):
    """Stop reading from WebSocket ``ws_id``: its session's output is past the high-water mark.

    TCP then holds the client back, so that it cannot make the server queue more on its behalf.
    """

    ws_id: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketReadResumed(Event):
    """Read from WebSocket ``ws_id`` again: its session's output has drained."""

    ws_id: int


# -- session events: what the application (or the Socket.IO layer) reacts to ----------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionOpened(Event):
    """A client completed the Engine.IO handshake; ``request`` is the handshake request."""

    sid: str
    transport: str
    request: HttpRequest


@quick_init  # made for most messages read
@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(Event):
    """A message packet arrived: text as ``str``, binary as ``bytes``."""

    sid: str
    data: str | bytes


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionUpgraded(Event):
    """The session now runs over ``transport`` (the upgrade completed)."""

    sid: str
    transport: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionClosed(Event):
    """The session ended; reported exactly once per session.

    :param description: a detail for logs (which rule was broken, for instance).
    """

    sid: str
    reason: DisconnectReason
    description: str = ""


# -- packet events: the session's traffic, only for sessions watched with ``watch_packets`` ---


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PacketReceived(Event):
    """The client sent this packet (Node's ``packet``), before the session acted on it.

    :param type: Node's name of the packet type: ``"pong"``, ``"message"``, ``"close"``...
    :param data: the packet's payload; ``""`` when it has none.
    """

    sid: str
    type: str
    data: str | bytes = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PacketCreated(Event):
    """The server queued this packet for the client (Node's ``packetCreate``).

    Like Node, only ``ping`` and ``message`` packets: transport control packets (the ``noop``
    of an upgrade, the ``close`` of a polling session) never go through the queue.
    """

    sid: str
    type: str
    data: str | bytes = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionDrained(Event):
    """The queued packets were handed to the transport in one go (Node's ``drain``)."""

    sid: str
