"""What the nodes of a Socket.IO cluster tell each other, independent of how it is spelled.

Node has two cluster formats (see :mod:`sio_core.cluster.classic` and
:mod:`sio_core.cluster.cluster_format`), and they carry the same operations: a broadcast, making
sockets join or leave rooms, disconnecting sockets, fetching sockets, a server-side emit, and the
answers to the last three. The classes below are those operations once, so that a node deals with
one set of messages whichever format its Redis speaks. Each codec documents which of them it
can carry: the classic format has no heartbeats, the ``ClusterAdapter`` one no ``all_rooms``.

Field values follow the wire, not the core:

- ``uid`` is the sender's node id. It is ``None`` where the wire carries none: the classic
  format's responses, and the join, leave and disconnect requests of Node's emitter.
- request ids are strings (Node draws them at random: 6 characters in the classic format, 16 hex
  digits in the other); the caller supplies them.
- ``args`` and the other application values are what JSON or msgpack can carry: ``None``,
  ``bool``, ``int``, ``float``, ``str``, ``bytes``, lists and maps with string keys. A value Node
  sent as ``undefined`` arrives as ``None`` (notepack and ``JSON.stringify`` leave such keys out).
- ``timeout_ms`` stays in milliseconds, as Node writes it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

EMITTER_UID: Final = "emitter"
"""The uid Node's ``@socket.io/redis-emitter`` sends with; it is never counted as a node."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastFlags:
    """The flags of a broadcast, as Node's ``BroadcastFlags``; ``None`` means the key is absent.

    Node copies the flags object as the application built it, so its keys are optional and only
    the ones that were set travel. Unknown keys are ignored when decoding.

    :param timeout_ms: the acknowledgement timeout of a broadcast with acks, in milliseconds.
    :param expect_single_response: set by Node when a remote socket's ``emit`` waits for one ack.
    """

    volatile: bool | None = None
    compress: bool | None = None
    local: bool | None = None
    broadcast: bool | None = None
    binary: bool | None = None
    timeout_ms: int | float | None = None
    expect_single_response: bool | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which sockets an operation applies to: Node's ``opts`` of a broadcast or a request.

    Empty ``rooms`` means every socket of the namespace. A socket id counts as a room. Order is
    kept as on the wire (Node sends sets as arrays), so that messages re-encode byte for byte.

    :param flags: ``None`` when the wire carries no ``flags`` key (the classic format's requests).
    """

    rooms: tuple[str, ...] = ()
    except_rooms: tuple[str, ...] = ()
    flags: BroadcastFlags | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchedSocket:
    """One socket in an answer to :class:`FetchSockets`: Node's ``RemoteSocket`` data.

    :param handshake: Node's ``socket.handshake`` as a plain map (``headers``, ``time``,
        ``address``, ``xdomain``, ``secure``, ``issued``, ``url``, ``query``, ``auth``).
    :param data: the application's ``socket.data``.
    """

    id: str
    handshake: dict[str, Any]
    rooms: tuple[str, ...]
    data: Any = None


# -- requests: published to every node of the namespace ----------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Broadcast:
    """Deliver the EVENT ``[event, *args]`` to the sockets ``selection`` selects.

    :param request_id: present when the sender waits for acknowledgements. Each node then answers
        with one :class:`BroadcastClientCount`, then one :class:`BroadcastAck` per client answer.
    """

    uid: str | None
    nsp: str
    event: str
    args: tuple[Any, ...] = ()
    selection: Selection = Selection()
    request_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketsJoin:
    """Make the sockets ``selection`` selects join ``rooms``."""

    uid: str | None
    nsp: str
    selection: Selection
    rooms: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SocketsLeave:
    """Make the sockets ``selection`` selects leave ``rooms``."""

    uid: str | None
    nsp: str
    selection: Selection
    rooms: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DisconnectSockets:
    """Disconnect the sockets ``selection`` selects; with ``close``, close their connections."""

    uid: str | None
    nsp: str
    selection: Selection
    close: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchSockets:
    """Answer with a :class:`FetchSocketsResponse` listing the sockets ``selection`` selects."""

    uid: str | None
    nsp: str
    selection: Selection
    request_id: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmit:
    """Run the application's ``event`` handler; with ``request_id``, answer it once.

    The answer is a :class:`ServerSideEmitResponse` carrying the handler's first ack argument.
    """

    uid: str | None
    nsp: str
    event: str
    args: tuple[Any, ...] = ()
    request_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AllRooms:
    """Classic format only: answer with every room this node holds (``allRooms()``)."""

    uid: str | None
    nsp: str
    request_id: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchSocketIds:
    """Classic format only, legacy (type 0, sent by adapters before 7.x): the ids in ``rooms``."""

    uid: str | None
    nsp: str
    request_id: str
    rooms: tuple[str, ...] = ()


# -- responses: for the requester only -----------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchSocketsResponse:
    """A node's sockets for :class:`FetchSockets` ``request_id``."""

    uid: str | None
    nsp: str
    request_id: str
    sockets: tuple[FetchedSocket, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideEmitResponse:
    """A node's application answered :class:`ServerSideEmit` ``request_id`` with ``arg``."""

    uid: str | None
    nsp: str
    request_id: str
    arg: Any = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastClientCount:
    """A node sent :class:`Broadcast` ``request_id`` to ``client_count`` clients: acks to await."""

    uid: str | None
    nsp: str
    request_id: str
    client_count: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastAck:
    """One client acknowledged :class:`Broadcast` ``request_id``; ``arg`` is its first argument."""

    uid: str | None
    nsp: str
    request_id: str
    arg: Any = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AllRoomsResponse:
    """Classic format only: a node's rooms for :class:`AllRooms` ``request_id``."""

    uid: str | None
    nsp: str
    request_id: str
    rooms: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FetchSocketIdsResponse:
    """Classic format only, legacy: a node's socket ids for :class:`FetchSocketIds`."""

    uid: str | None
    nsp: str
    request_id: str
    socket_ids: tuple[str, ...] = ()


# -- membership: the ClusterAdapter format only ------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class InitialHeartbeat:
    """A node has started: every other node answers with a :class:`Heartbeat`."""

    uid: str | None
    nsp: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    """A node is alive (sent 5 s after its last publication, and to answer a new node)."""

    uid: str | None
    nsp: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AdapterClose:
    """A node is leaving: forget it now rather than after the heartbeat timeout."""

    uid: str | None
    nsp: str


Request = (
    Broadcast
    | SocketsJoin
    | SocketsLeave
    | DisconnectSockets
    | FetchSockets
    | ServerSideEmit
    | AllRooms
    | FetchSocketIds
)
"""A message for every node of the namespace."""

Response = (
    FetchSocketsResponse
    | ServerSideEmitResponse
    | BroadcastClientCount
    | BroadcastAck
    | AllRoomsResponse
    | FetchSocketIdsResponse
)
"""A message for the node that sent the request it answers (``request_id``)."""

MembershipMessage = InitialHeartbeat | Heartbeat | AdapterClose
"""A message that only tells who is in the cluster."""

ClusterMessage = Request | Response | MembershipMessage
"""Every message a codec encodes or decodes."""

RESPONSE_TYPES: Final = (
    FetchSocketsResponse,
    ServerSideEmitResponse,
    BroadcastClientCount,
    BroadcastAck,
    AllRoomsResponse,
    FetchSocketIdsResponse,
)
"""The :data:`Response` classes, for ``isinstance``."""
