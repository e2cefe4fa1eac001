"""The events of the Socket.IO layer: one socket at a time, its acks, and the cluster.

Socket events follow a socket from ``SocketConnecting`` (a middleware decision is due) to
``SocketDisconnected``; ack events end what the server waits for; room events, when watched,
report joins and leaves; cluster events are what a cluster backend publishes and what the
other nodes asked or answered.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sio_core._quick import quick_init
from sio_core.engineio._events import Event
from sio_core.errors import AckAbandonReason, DisconnectReason
from sio_core.socketio._socket import Handshake, SocketSnapshot

# -- Socket.IO events: what the application reacts to, one socket at a time ----------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketConnecting(Event):
    """A client asked to join namespace ``nsp``; the socket waits for a middleware decision.

    Answer with ``accept(socket_id)`` or ``reject(socket_id, message, data)``.

    :param recovered: the socket is a disconnected one come back (connection state recovery):
        its id, rooms and ``data`` are the old ones, and the events its client missed go out
        before its CONNECT reply.
    :param skip_middlewares: the namespace's middlewares must not run: accept at once (a
        recovered socket, with the option's ``skip_middlewares``).
    """

    socket_id: str
    nsp: str
    handshake: Handshake
    recovered: bool = False
    skip_middlewares: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketConnected(Event):
    """The socket was accepted and the client told so (Node's ``connection`` event)."""

    socket_id: str
    nsp: str


@quick_init  # made for every event the clients emit
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


@quick_init  # made for every answer of a client
@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AckReceived(Event):
    """The client answered the server's emit ``ack_id``."""

    socket_id: str
    ack_id: int
    args: tuple[Any, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AckAbandoned(Event):
    """No answer will come for emit ``ack_id``: its timeout passed, or the socket left.

    :param reason: :attr:`~sio_core.errors.AckAbandonReason.TIMEOUT` or ``DISCONNECTED``.
    """

    socket_id: str
    ack_id: int
    reason: AckAbandonReason


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastAcksCollected(Event):
    """Every recipient of broadcast ``broadcast_id`` answered, or its timeout passed.

    :param responses: one tuple of arguments per recipient that answered, in arrival order;
        :func:`~sio_core.ack_value` turns each into what the application sees.
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


# -- room events: who joined and left which rooms, only once ``operations.watch_rooms()`` ------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RoomJoined(Event):
    """Socket ``socket_id`` joined ``room`` of ``nsp`` (Node's adapter ``join-room``): its own
    room as it connects, any other when asked to, by a handler or another node."""

    nsp: str
    room: str
    socket_id: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RoomLeft(Event):
    """Socket ``socket_id`` left ``room`` of ``nsp`` (Node's adapter ``leave-room``), every
    room it was in when it disconnects."""

    nsp: str
    room: str
    socket_id: str


# -- cluster events: what a cluster backend publishes, and what other nodes asked or answered --


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterPublish(Event):
    """Publish ``payload`` on ``channel`` (only in cluster mode): ``PUBLISH``, or ``SPUBLISH``
    when ``sharded``. Hand the bytes over as they are; Redis carries them to every node
    subscribed to the channel, this one included (it ignores its own messages)."""

    channel: str
    payload: bytes
    sharded: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterCommand(Event):
    """Run ``command`` on Redis (only with the Redis Streams format): an ``XADD``, a ``SET``,
    a ``GETDEL``, an ``XRANGE``. Send the bytes as they are, in the order the events come, on
    one connection (with the ``PUBLISH``-es: Redis then applies them in that order).

    :param ticket: when set, the core waits for the reply: hand it back with
        ``receive_command_reply(ticket, reply, now)``, or a
        :class:`~sio_core.cluster.stream_commands.CommandFailed` when Redis refused the command
        or it got no reply. Every ticket must be answered once.
    """

    command: tuple[bytes, ...]
    ticket: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterSubscribe(Event):
    """Start listening (only in cluster mode): ``SUBSCRIBE`` each of ``channels`` (``SSUBSCRIBE``
    when ``sharded``) and ``PSUBSCRIBE`` each of ``patterns``; feed what arrives to
    ``receive_cluster_message``.

    Handed out for each namespace as it comes to exist (the main one at the first ``events()``),
    and, with the sharded ``dynamic`` modes, for a room channel when this node's first socket
    joins the room.
    """

    channels: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    sharded: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterUnsubscribe(Event):
    """Stop listening to what a :class:`ClusterSubscribe` started (a room channel, when this
    node's last socket left the room)."""

    channels: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    sharded: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClusterMessageRejected(Event):
    """A cluster message did not decode and was dropped; nothing else happened (for logs)."""

    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmitReceived(Event):
    """Node ``origin`` emitted ``event`` to the other nodes (Node's ``serverSideEmit``).

    When ``ack_id`` is set the sender waits for one answer: give it with
    ``server_side_ack(ack_id, args)``; only the first argument travels, as in Node.

    :param origin: the sender's node id: ``"emitter"`` for Node's emitter, ``None`` when the
        message carried none.
    """

    nsp: str
    event: str
    args: tuple[Any, ...]
    origin: str | None
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
