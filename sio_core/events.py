"""Everything the core hands out: small frozen events, named in the past tense.

The backend drains them with ``events()`` after each call it makes into the core and acts on
each one: transport events tell it what to write, session events are for the application.

Packet events (:class:`PacketReceived`, :class:`PacketCreated`, :class:`SessionDrained`) are
Node's ``socket.conn`` traffic events. They are opt-in per session (``watch_packets``) because
they cost an object per packet: a server nobody watches never builds one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sio_core.errors import DisconnectReason
from sio_core.handshake import Handshake
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


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketDataReady(Event):
    """Send these messages on WebSocket ``ws_id``, in order, one message per item.

    A ``str`` goes out as a text message, ``bytes`` as a binary message.
    """

    ws_id: int
    messages: tuple[str | bytes, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketCloseRequested(Event):
    """Close WebSocket ``ws_id`` with this close code; the core has already forgotten it."""

    ws_id: int
    code: int = 1000
    reason: str = ""


# -- session events: what the application (or the Socket.IO layer) reacts to ----------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionOpened(Event):
    """A client completed the Engine.IO handshake; ``request`` is the handshake request."""

    sid: str
    transport: str
    request: HttpRequest


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


# -- Socket.IO events: what the application reacts to, one socket at a time ----------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketConnecting(Event):
    """A client asked to join namespace ``nsp``; the socket waits for a middleware decision.

    Answer with ``accept(socket_id)`` or ``reject(socket_id, message, data)``.
    """

    socket_id: str
    nsp: str
    handshake: Handshake


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketConnected(Event):
    """The socket was accepted and the client told so (Node's ``connection`` event)."""

    socket_id: str
    nsp: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EventReceived(Event):
    """The client emitted ``event`` with ``args``; when ``ack_id`` is set it awaits an answer.

    Answer with ``ack(socket_id, ack_id, args)``: the core never replies on its own.
    """

    socket_id: str
    nsp: str
    event: str
    args: tuple[Any, ...]
    ack_id: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AckReceived(Event):
    """The client answered the server's emit ``ack_id``."""

    socket_id: str
    ack_id: int
    args: tuple[Any, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AckAbandoned(Event):
    """No answer will come for emit ``ack_id``: its timeout passed, or the socket left.

    :param reason: ``"timeout"`` or ``"disconnected"``.
    """

    socket_id: str
    ack_id: int
    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastAcksCollected(Event):
    """Every recipient of broadcast ``broadcast_id`` answered, or its timeout passed.

    :param responses: one tuple of arguments per recipient that answered, in arrival order.
    :param timed_out: True when some recipients did not answer in time.
    """

    broadcast_id: int
    responses: tuple[tuple[Any, ...], ...]
    timed_out: bool


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketErrored(Event):
    """Node's socket ``error`` event: the connection broke a rule and is about to close."""

    socket_id: str
    message: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketDisconnecting(Event):
    """The socket is leaving; ``rooms`` are the rooms it was in (Node's ``disconnecting``)."""

    socket_id: str
    nsp: str
    reason: DisconnectReason
    rooms: frozenset[str]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketDisconnected(Event):
    """The socket is gone and out of every room (Node's ``disconnect``); reported exactly once."""

    socket_id: str
    nsp: str
    reason: DisconnectReason


# -- cluster events: what a cluster backend publishes, and what other nodes asked or answered --


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketSnapshot:
    """What ``fetch_sockets`` returns for one socket: a copy, taken at the time of the call.

    Declared here rather than with the socket because cluster events carry snapshots too, and
    this module may not import the Socket.IO layer (Engine.IO imports it).
    """

    id: str
    nsp: str
    handshake: Handshake
    rooms: frozenset[str]
    data: Any


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterMessageReady(Event):
    """Publish ``message`` to the other nodes of the cluster (only in cluster mode).

    :param target: the node id the message is for (a response to its request), or ``None`` for
        every other node. Hand the bytes over as they are, to each node's
        ``receive_cluster_message``.
    """

    message: bytes
    target: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterMessageRejected(Event):
    """A cluster message did not decode and was dropped; nothing else happened (for logs)."""

    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmitReceived(Event):
    """Node ``origin`` emitted ``event`` to the other nodes (Node's ``serverSideEmit``).

    When ``ack_id`` is set the sender waits for one answer: give it with
    ``server_side_ack(ack_id, args)``.
    """

    nsp: str
    event: str
    args: tuple[Any, ...]
    origin: str
    ack_id: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmitAcksCollected(Event):
    """Every other node answered server-side emit ``request_id``, or its timeout passed.

    :param responses: one tuple of arguments per node that answered, in arrival order.
    :param timed_out: True when fewer nodes than expected answered in time.
    """

    request_id: int
    responses: tuple[tuple[Any, ...], ...]
    timed_out: bool


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterFetchCompleted(Event):
    """The answer to ``request_fetch_sockets``: this node's sockets, then the other nodes'.

    :param sockets: snapshots of the selected sockets of every node that answered in time.
    :param timed_out: True when fewer nodes than expected answered in time.
    """

    request_id: int
    sockets: tuple[SocketSnapshot, ...]
    timed_out: bool
