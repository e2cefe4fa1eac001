"""This node's part in a cluster: what it publishes for the others, and what it does for them.

:class:`ClusterNode` belongs to one :class:`~sio_core.socketio._server.SocketServer` and holds
everything cluster-only: the requests waiting for other nodes' answers, and the application of
other nodes' requests to this node's sockets. It never sees the server: it applies requests
through :class:`LocalNode`, the local half of the operations (which never publishes, so a
request cannot travel on), and it is handed the acks, a way to queue events, the clock, the id
generator and the channels (:mod:`sio_core.socketio._cluster_channels`, ``None`` outside
cluster mode). The waiting is in :mod:`sio_core.socketio._cluster_requests`.

Receiving follows Node's adapters (``RedisAdapter``, and ``ClusterAdapter`` for the sharded
format): a message on no namespace's channel is ignored; on a classic room channel it is
dropped unread when no local socket is in the room; one that does not decode is dropped with a
:class:`~sio_core.events.ClusterMessageRejected`; one with this node's uid, or another
namespace's, is ignored; so is a request whose id is pending here, and a response to no pending
request. Heartbeats are ignored: the Redis formats count nodes with Redis instead.

On the Redis Streams format the durable messages arrive as stream entries
(:meth:`ClusterNode.receive_entry`), read in order by the node's
:class:`~sio_core.socketio._cluster_stream.ClusterStream`; a broadcast read there carries its
entry id as the offset of connection state recovery. With recovery on, this node's own
broadcasts are *deferred*: delivered here too only when read back from the stream, so that
every node delivers them in the stream's order with the same offsets, and a socket recovered
here knows exactly which of them it has had (see :mod:`sio_core.socketio._stream_sessions`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from sio_core import cluster as wire
from sio_core.cluster.stream_commands import CommandFailed
from sio_core.cluster.streams import read_entry
from sio_core.errors import LocalProtocolError, ProtocolError
from sio_core.ids import IdGenerator
from sio_core.socketio._adapter import BroadcastOptions
from sio_core.socketio._cluster_channels import ClusterChannels
from sio_core.socketio._cluster_convert import (
    fetched_of,
    options_of,
    relay_timeout,
    selection_of,
    snapshot_of,
)
from sio_core.socketio._cluster_requests import ClusterRequests, Kind, Origin
from sio_core.socketio._cluster_stream import ClusterStream
from sio_core.socketio._events import (
    ClusterCommand,
    ClusterMessageRejected,
    ClusterPublish,
    ServerSideEmitReceived,
)
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import SocketSnapshot


class Delivery(NamedTuple):
    """What a delivery did: the ack id its packet carried, and the sockets it reached."""

    ack_id: int | None
    reached: list[str]


class Outgoing(NamedTuple):
    """A broadcast encoded for the other nodes, not yet queued; ``wire_id`` when acks travel."""

    publish: ClusterPublish | ClusterCommand
    wire_id: str | None


class LocalNode(Protocol):
    """This node's sockets, as another node's request reaches them: here, and nowhere else."""

    def has_members(self, nsp: str, room: str) -> bool: ...

    def all_rooms(self, nsp: str) -> list[str]: ...

    def deliver(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any],
        options: BroadcastOptions,
        *,
        with_ack: bool,
        entry_id: str | None = None,
    ) -> Delivery: ...

    def fetch_sockets(self, nsp: str, options: BroadcastOptions) -> list[SocketSnapshot]: ...

    def sockets_join(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None: ...

    def sockets_leave(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None: ...

    def disconnect_sockets(self, nsp: str, options: BroadcastOptions, *, close: bool) -> None: ...


_Answered = wire.Broadcast | wire.FetchSockets | wire.AllRooms | wire.FetchSocketIds
"""The requests a node answers itself (a server-side emit is answered by the application)."""


def _first(args: Sequence[Any]) -> Any:
    """What an answer carries to another node: its first argument only, as in Node."""
    return args[0] if args else None


class ClusterNode:
    """Publishes this node's requests and answers, and applies the other nodes' ones."""

    def __init__(
        self,
        local: LocalNode,
        shared: Shared,
        *,
        channels: ClusterChannels | None,
        new_id: IdGenerator,
        stream: ClusterStream | None = None,
        defer_broadcasts: bool = False,
    ) -> None:
        self._local = local
        self._channels = channels
        self._stream = stream
        self._defer = stream is not None and defer_broadcasts
        self._new_id = new_id
        self._acks = shared.acks
        self._emit = shared.emit
        self._now = shared.now
        self._requests = ClusterRequests()
        self._request_ids = itertools.count(1)

    def channels(self) -> ClusterChannels:
        """The channels of cluster mode.

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        if self._channels is None:
            raise LocalProtocolError("not in cluster mode: the server has no node_id")
        return self._channels

    def _travelling(self, options: BroadcastOptions) -> ClusterChannels | None:
        """The channels, when an operation with these options goes to the other nodes too."""
        return None if options.local else self._channels

    # -- operations this node applies, sent to the other nodes too unless ``local`` -----------

    def encode_broadcast(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any],
        options: BroadcastOptions,
        *,
        timeout: float | None,
    ) -> Outgoing | None:
        """A broadcast for the other nodes, encoded before anything is delivered, so that a
        value no format carries fails first; ``None`` when it does not travel."""
        channels = self._travelling(options)
        if channels is None:
            return None
        wire_id = None if timeout is None else self._new_id()
        message = wire.Broadcast(
            uid=channels.uid,
            nsp=nsp,
            event=event,
            args=tuple(args),
            selection=selection_of(options, timeout=timeout),
            request_id=wire_id,
        )
        return Outgoing(channels.encode(message), wire_id)

    def send(self, outgoing: Outgoing | None) -> None:
        """Queue what :meth:`encode_broadcast` prepared."""
        if outgoing is not None:
            self._emit([outgoing.publish])

    def defers(self, outgoing: Outgoing) -> bool:
        """Whether this broadcast reaches this node's sockets only once read back from the
        stream (the Streams format with recovery on, a broadcast without acks)."""
        return self._defer and isinstance(outgoing.publish, ClusterCommand)

    def append_deferred(self, outgoing: Outgoing, fallback: Callable[[], object]) -> None:
        """Append a deferred broadcast; if Redis refuses it, ``fallback`` delivers it here."""
        assert self._stream is not None
        command = outgoing.publish
        assert isinstance(command, ClusterCommand)

        def appended(reply: Any) -> None:
            if isinstance(reply, CommandFailed):
                fallback()

        self._stream.request(command.command, appended)

    def await_broadcast(self, wire_id: str, broadcast_id: int, deadline: float) -> None:
        """Route the other nodes' counts and answers for ``wire_id`` to ``broadcast_id``."""
        self._requests.track_broadcast(wire_id, broadcast_id, deadline)

    def publish_sockets_join(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None:
        """Publish a ``sockets_join``."""
        if (channels := self._travelling(options)) is not None:
            selection = selection_of(options, flags=channels.request_flags)
            channels.publish(
                wire.SocketsJoin(uid=channels.uid, nsp=nsp, selection=selection, rooms=rooms)
            )

    def publish_sockets_leave(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None:
        """Publish a ``sockets_leave``."""
        if (channels := self._travelling(options)) is not None:
            selection = selection_of(options, flags=channels.request_flags)
            channels.publish(
                wire.SocketsLeave(uid=channels.uid, nsp=nsp, selection=selection, rooms=rooms)
            )

    def publish_disconnect_sockets(
        self, nsp: str, options: BroadcastOptions, *, close: bool
    ) -> None:
        """Publish a ``disconnect_sockets``."""
        if (channels := self._travelling(options)) is not None:
            selection = selection_of(options, flags=channels.request_flags)
            channels.publish(
                wire.DisconnectSockets(uid=channels.uid, nsp=nsp, selection=selection, close=close)
            )

    # -- requests this node makes, and answers it owes ------------------------------------------

    def server_side_emit(
        self,
        nsp: str,
        event: str,
        args: tuple[Any, ...],
        *,
        with_ack: bool,
        timeout: float,
        peers: int,
    ) -> int | None:
        """Publish a server-side emit; with an ack, wait for ``peers`` answers.

        As in Node, an emit with an ack and no other node ends at once, unpublished.
        """
        channels = self._channels
        if not with_ack:
            if channels is not None:
                message = wire.ServerSideEmit(uid=channels.uid, nsp=nsp, event=event, args=args)
                channels.publish(message)
            return None
        request_id = next(self._request_ids)
        wire_id = None
        if channels is not None and peers > 0:
            wire_id = self._new_id()
            message = wire.ServerSideEmit(
                uid=channels.uid, nsp=nsp, event=event, args=args, request_id=wire_id
            )
            channels.publish(message)
        deadline, expected = self._now() + timeout, peers if wire_id is not None else 0
        self._emit(self._requests.start_emit(request_id, wire_id, expected, deadline))
        return request_id

    def server_side_ack(self, ack_id: int, args: tuple[Any, ...]) -> None:
        """Send the application's answer to another node's server-side emit, once."""
        origin = self._requests.owed_to(ack_id)
        channels = self.channels()
        answer = wire.ServerSideEmitResponse(
            uid=channels.uid, nsp=origin.nsp, request_id=origin.request_id, arg=_first(args)
        )
        channels.publish(answer, origin.node)
        self._requests.settle(ack_id)

    def request_fetch_sockets(
        self,
        nsp: str,
        options: BroadcastOptions,
        local: list[SocketSnapshot],
        *,
        timeout: float,
        peers: int,
    ) -> int:
        """Ask the other nodes for their sockets; ``local``, this node's, come first."""
        request_id = next(self._request_ids)
        channels = self._travelling(options)
        wire_id = None
        if channels is not None and peers > 0:
            wire_id = self._new_id()
            selection = selection_of(options, flags=channels.request_flags)
            channels.publish(
                wire.FetchSockets(
                    uid=channels.uid, nsp=nsp, selection=selection, request_id=wire_id
                )
            )
        deadline, expected = self._now() + timeout, peers if wire_id is not None else 0
        self._emit(self._requests.start_fetch(request_id, wire_id, local, expected, deadline))
        return request_id

    def relay_answer(self, socket_id: str, ack_id: int, args: tuple[Any, ...]) -> bool:
        """Pass a client's answer on to the node whose broadcast asked; False if none did."""
        origin = self._requests.relayed(socket_id, ack_id)
        if origin is None:
            return False
        channels = self.channels()
        answer = wire.BroadcastAck(
            uid=channels.uid, nsp=origin.nsp, request_id=origin.request_id, arg=_first(args)
        )
        try:
            channels.publish(answer, origin.node)
        except LocalProtocolError as error:  # the client's answer holds what no format carries
            self._emit([ClusterMessageRejected(reason=f"cannot relay an answer: {error.message}")])
        return True

    def next_deadline(self) -> float | None:
        """The earliest request or relay deadline."""
        return self._requests.next_deadline()

    def handle_timeout(self, now: float) -> None:
        """End each request due at ``now``; stop relaying each broadcast whose timeout passed."""
        self._emit(self._requests.handle_timeout(now))

    # -- the other nodes' requests and answers ------------------------------------------------

    def receive(self, channel: str, payload: bytes) -> None:
        """Apply a message another node published (see ``SocketServer.receive_cluster_message``).

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        channels = self.channels()
        codec = channels.route(channel)
        if codec is None:
            return
        room = codec.room_filter(channel)
        if room is not None and not self._local.has_members(codec.nsp, room):
            return
        try:
            message = codec.read(channel, payload)
            if message.uid != channels.uid and message.nsp == codec.nsp:
                self._dispatch(message)
        except ProtocolError as error:  # malformed, or an answer no format can carry
            self._emit([ClusterMessageRejected(reason=error.message)])

    def receive_entry(self, entry_id: str, fields: dict[str, str]) -> None:
        """Apply a stream entry (any node's, this one's included), read in the stream's order.

        An entry of a namespace this node does not have is ignored, as Node does.
        """
        channels = self.channels()
        nsp = fields.get("nsp")
        codec = channels.codec_of(nsp) if nsp else None
        if codec is None:
            return
        try:
            message = read_entry(fields, codec.limits)
            own = message.uid == channels.uid
            if isinstance(message, wire.Broadcast) and message.request_id is None:
                if self._defer or not own:
                    self._remote_broadcast(message, entry_id)
            elif not own:
                self._dispatch(message)
        except ProtocolError as error:  # malformed, or what no client may be sent
            self._emit([ClusterMessageRejected(reason=f"entry {entry_id}: {error.message}")])

    def _dispatch(self, message: wire.ClusterMessage) -> None:
        if isinstance(message, wire.RESPONSE_TYPES):
            self._receive_response(message)
        elif not isinstance(message, wire.InitialHeartbeat | wire.Heartbeat | wire.AdapterClose):
            request_id = getattr(message, "request_id", None)
            if request_id is None or self._requests.pending(request_id) is None:
                self._receive_request(message)

    def _receive_request(self, message: wire.Request) -> None:
        nsp, local = message.nsp, self._local
        if isinstance(message, wire.Broadcast):
            self._remote_broadcast(message)
        elif isinstance(message, wire.SocketsJoin):
            local.sockets_join(nsp, options_of(message.selection), message.rooms)
        elif isinstance(message, wire.SocketsLeave):
            local.sockets_leave(nsp, options_of(message.selection), message.rooms)
        elif isinstance(message, wire.DisconnectSockets):
            local.disconnect_sockets(nsp, options_of(message.selection), close=message.close)
        elif isinstance(message, wire.FetchSockets):
            found = local.fetch_sockets(nsp, options_of(message.selection))
            sockets = tuple(fetched_of(snapshot) for snapshot in found)
            self._answer(message, wire.FetchSocketsResponse, sockets=sockets)
        elif isinstance(message, wire.ServerSideEmit):
            self._remote_server_side_emit(message)
        elif isinstance(message, wire.AllRooms):
            self._answer(message, wire.AllRoomsResponse, rooms=tuple(local.all_rooms(nsp)))
        else:
            selection = options_of(wire.Selection(rooms=message.rooms))
            ids = tuple(snapshot.id for snapshot in local.fetch_sockets(nsp, selection))
            self._answer(message, wire.FetchSocketIdsResponse, socket_ids=ids)

    def _answer(
        self, request: _Answered, kind: Callable[..., wire.Response], **fields: Any
    ) -> None:
        """Publish the response ``kind`` to ``request``, for its sender."""
        channels = self.channels()
        request_id = request.request_id
        assert request_id is not None  # only a broadcast may have none, and it is not answered
        response = kind(uid=channels.uid, nsp=request.nsp, request_id=request_id, **fields)
        channels.publish(response, request.uid)

    def _remote_broadcast(self, message: wire.Broadcast, entry_id: str | None = None) -> None:
        """Deliver another node's broadcast; with acks, report the count, then relay answers."""
        with_ack = message.request_id is not None
        options = options_of(message.selection)
        delivery = self._local.deliver(
            message.nsp, message.event, message.args, options, with_ack=with_ack, entry_id=entry_id
        )
        if message.request_id is None or delivery.ack_id is None:
            return
        origin = Origin(node=message.uid, nsp=message.nsp, request_id=message.request_id)
        deadline = self._now() + relay_timeout(message.selection)
        for socket_id in delivery.reached:
            self._requests.relay(socket_id, delivery.ack_id, origin, deadline)
        self._answer(message, wire.BroadcastClientCount, client_count=len(delivery.reached))

    def _remote_server_side_emit(self, message: wire.ServerSideEmit) -> None:
        ack_id = None
        if message.request_id is not None:
            ack_id = self._requests.owe(Origin(message.uid, message.nsp, message.request_id))
        received = ServerSideEmitReceived(
            nsp=message.nsp,
            event=message.event,
            args=message.args,
            origin=message.uid,
            ack_id=ack_id,
        )
        self._emit([received])

    def _receive_response(self, message: wire.Response) -> None:
        pending = self._requests.pending(message.request_id)
        if pending is None:
            return
        kind, local_id = pending
        requests, node = self._requests, message.uid
        if isinstance(message, wire.FetchSocketsResponse) and kind is Kind.FETCH:
            sockets = tuple(snapshot_of(socket, message.nsp) for socket in message.sockets)
            self._emit(requests.fetch_answered(local_id, node, sockets))
        elif isinstance(message, wire.ServerSideEmitResponse) and kind is Kind.EMIT:
            self._emit(requests.emit_answered(local_id, node, (message.arg,)))
        elif isinstance(message, wire.BroadcastClientCount) and kind is Kind.BROADCAST:
            self._emit(self._acks.remote_count(local_id, node, message.client_count))
        elif isinstance(message, wire.BroadcastAck) and kind is Kind.BROADCAST:
            self._emit(self._acks.remote_answer(local_id, (message.arg,)))
