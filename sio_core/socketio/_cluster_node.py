"""This node's part in a cluster: what it publishes for the others, and what it does for them.

:class:`ClusterNode` belongs to one :class:`~sio_core.socketio._server.SocketServer` and holds
everything cluster-only: this node's id, the requests waiting for other nodes' answers, and the
application of other nodes' requests to this node's sockets. It never sees the server: it
applies requests through :class:`LocalNode`, the local half of the operations (which never
publishes, so a request cannot travel on), and it is handed the acks, a way to queue events,
the clock and the peer count. The messages and their codec are in
:mod:`sio_core.socketio.cluster`, the waiting in :mod:`sio_core.socketio._cluster_requests`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, TypedDict

from sio_core.errors import LocalProtocolError, RemoteProtocolError
from sio_core.socketio import cluster
from sio_core.socketio._adapter import BroadcastOptions
from sio_core.socketio._cluster_requests import ClusterRequests, Origin
from sio_core.socketio._events import (
    ClusterMessageReady,
    ClusterMessageRejected,
    ServerSideEmitReceived,
)
from sio_core.socketio._shared import Shared
from sio_core.socketio._socket import SocketSnapshot


class Delivery(NamedTuple):
    """What a delivery did: the ack id its packet carried, and the sockets it reached."""

    ack_id: int | None
    reached: list[str]


class LocalNode(Protocol):
    """This node's sockets, as another node's request reaches them: here, and nowhere else."""

    def has_namespace(self, name: str) -> bool: ...

    def deliver(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any],
        options: BroadcastOptions,
        *,
        with_ack: bool,
    ) -> Delivery: ...

    def fetch_sockets(self, nsp: str, options: BroadcastOptions) -> list[SocketSnapshot]: ...

    def sockets_join(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None: ...

    def sockets_leave(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None: ...

    def disconnect_sockets(self, nsp: str, options: BroadcastOptions, *, close: bool) -> None: ...


class _Address(TypedDict):
    """The fields every response carries: from this node, to the request it answers."""

    uid: str
    nsp: str
    to: str
    request_id: int


class ClusterNode:
    """Publishes this node's requests and answers, and applies the other nodes' ones."""

    def __init__(
        self,
        local: LocalNode,
        shared: Shared,
        *,
        node_id: str | None,
        peers: Callable[[], int | None],
    ) -> None:
        self._local = local
        self._node_id = node_id
        self._cluster_peers = peers
        self._acks = shared.acks
        self._emit = shared.emit
        self._now = shared.now
        self._requests = ClusterRequests()
        self._request_ids = itertools.count(1)

    # -- this node's id, its peers, and publishing ------------------------------------------

    def uid(self) -> str:
        """This node's id.

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        if self._node_id is None:
            raise LocalProtocolError("not in cluster mode: the server has no node_id")
        return self._node_id

    def _travels(self, options: BroadcastOptions) -> str | None:
        """This node's id when an operation with these options goes to the other nodes too."""
        return None if options.local else self._node_id

    def _peers(self, travels: str | None) -> int | None:
        """How many other nodes will answer a request: none when it does not travel."""
        return 0 if travels is None else self._cluster_peers()

    def _publish(self, message: cluster.ClusterMessage, target: str | None = None) -> None:
        """Hand a message to the backend, for every other node or only for ``target``."""
        self._emit([ClusterMessageReady(message=cluster.encode(message), target=target)])

    def _address(self, origin: Origin) -> _Address:
        """Where a response to ``origin`` goes; it is published for ``origin.node`` only."""
        return _Address(
            uid=self.uid(), nsp=origin.nsp, to=origin.node, request_id=origin.request_id
        )

    # -- operations this node applies, sent to the other nodes too unless ``local`` -----------

    def publish_broadcast(
        self,
        nsp: str,
        event: str,
        args: Sequence[Any],
        options: BroadcastOptions,
        *,
        request_id: int | None,
        timeout: float | None,
    ) -> int | None:
        """Publish a broadcast; returns how many other nodes will report on its acks."""
        uid = self._travels(options)
        if uid is not None:
            request = cluster.Broadcast(
                uid=uid,
                nsp=nsp,
                options=options,
                event=event,
                args=tuple(args),
                request_id=request_id,
                timeout=timeout,
            )
            self._publish(request)
        return self._peers(uid)

    def publish_sockets_join(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None:
        """Publish a ``sockets_join``."""
        if (uid := self._travels(options)) is not None:
            self._publish(cluster.SocketsJoin(uid=uid, nsp=nsp, options=options, rooms=rooms))

    def publish_sockets_leave(
        self, nsp: str, options: BroadcastOptions, rooms: tuple[str, ...]
    ) -> None:
        """Publish a ``sockets_leave``."""
        if (uid := self._travels(options)) is not None:
            self._publish(cluster.SocketsLeave(uid=uid, nsp=nsp, options=options, rooms=rooms))

    def publish_disconnect_sockets(
        self, nsp: str, options: BroadcastOptions, *, close: bool
    ) -> None:
        """Publish a ``disconnect_sockets``."""
        if (uid := self._travels(options)) is not None:
            message = cluster.DisconnectSockets(uid=uid, nsp=nsp, options=options, close=close)
            self._publish(message)

    # -- requests this node makes, and answers it owes ------------------------------------------

    def server_side_emit(
        self, nsp: str, event: str, args: tuple[Any, ...], *, with_ack: bool, timeout: float
    ) -> int | None:
        """Publish a server-side emit; with an ack, wait for each other node's answer."""
        request_id = next(self._request_ids) if with_ack else None
        uid = self._node_id
        if uid is not None:
            message = cluster.ServerSideEmit(
                uid=uid, nsp=nsp, event=event, args=args, request_id=request_id
            )
            self._publish(message)
        if request_id is None:
            return None
        deadline, peers = self._now() + timeout, self._peers(uid)
        self._emit(self._requests.start_emit(request_id, peers, deadline))
        return request_id

    def server_side_ack(self, ack_id: int, args: tuple[Any, ...]) -> None:
        """Send the application's answer to another node's server-side emit, once."""
        origin = self._requests.owed_to(ack_id)
        answer = cluster.ServerSideEmitResponse(**self._address(origin), args=args)
        self._publish(answer, target=origin.node)
        self._requests.settle(ack_id)

    def request_fetch_sockets(
        self, nsp: str, options: BroadcastOptions, local: list[SocketSnapshot], timeout: float
    ) -> int:
        """Ask the other nodes for their sockets; ``local``, this node's, come first."""
        request_id = next(self._request_ids)
        uid = self._travels(options)
        if uid is not None:
            message = cluster.FetchSockets(
                uid=uid, nsp=nsp, options=options, request_id=request_id
            )
            self._publish(message)
        deadline, peers = self._now() + timeout, self._peers(uid)
        self._emit(self._requests.start_fetch(request_id, local, peers, deadline))
        return request_id

    def relay_answer(self, socket_id: str, ack_id: int, args: tuple[Any, ...]) -> bool:
        """Pass a client's answer on to the node whose broadcast asked; False if none did.

        The answer names the broadcast's namespace, which is the socket's: only that
        namespace's sockets were asked.
        """
        origin = self._requests.relayed(socket_id, ack_id)
        if origin is None:
            return False
        answer = cluster.BroadcastAck(**self._address(origin), args=args)
        self._publish(answer, target=origin.node)
        return True

    def next_deadline(self) -> float | None:
        """The earliest request or relay deadline."""
        return self._requests.next_deadline()

    def handle_timeout(self, now: float) -> None:
        """End each request due at ``now``; stop relaying each broadcast whose timeout passed."""
        self._emit(self._requests.handle_timeout(now))

    # -- the other nodes' requests and answers ------------------------------------------------

    def receive(self, data: bytes) -> None:
        """Apply a message another node published (see ``SocketServer.receive_cluster_message``).

        :raises LocalProtocolError: the server is not in cluster mode (no ``node_id``).
        """
        node_id = self.uid()
        try:
            message = cluster.decode(data)
        except RemoteProtocolError as error:
            self._emit([ClusterMessageRejected(reason=error.message)])
            return
        if message.uid == node_id:
            return
        if not isinstance(message, cluster.Response):
            self._receive_request(message)
        elif message.to == node_id:
            self._receive_response(message)

    def _receive_request(self, message: cluster.Request) -> None:
        if not self._local.has_namespace(message.nsp):
            self._request_without_namespace(message)  # a dynamic one not yet used here
        elif isinstance(message, cluster.FetchSockets):
            self._respond_fetch(message, self._local.fetch_sockets(message.nsp, message.options))
        elif isinstance(message, cluster.Broadcast):
            self._remote_broadcast(message)
        elif isinstance(message, cluster.ServerSideEmit):
            self._remote_server_side_emit(message)
        elif isinstance(message, cluster.SocketsJoin):
            self._local.sockets_join(message.nsp, message.options, message.rooms)
        elif isinstance(message, cluster.SocketsLeave):
            self._local.sockets_leave(message.nsp, message.options, message.rooms)
        else:
            self._local.disconnect_sockets(message.nsp, message.options, close=message.close)

    def _request_without_namespace(self, message: cluster.Request) -> None:
        """No sockets here; a request that wants an answer still gets one (an empty one)."""
        if isinstance(message, cluster.FetchSockets):
            self._respond_fetch(message, [])
        elif isinstance(message, cluster.Broadcast) and message.request_id is not None:
            self._report_count(message, 0)

    def _respond_fetch(self, message: cluster.FetchSockets, sockets: list[SocketSnapshot]) -> None:
        origin = Origin(node=message.uid, nsp=message.nsp, request_id=message.request_id)
        answer = cluster.FetchSocketsResponse(**self._address(origin), sockets=tuple(sockets))
        self._publish(answer, target=origin.node)

    def _remote_broadcast(self, message: cluster.Broadcast) -> None:
        """Deliver another node's broadcast; with acks, report the count, then relay answers."""
        with_ack = message.request_id is not None and message.timeout is not None
        delivery = self._local.deliver(
            message.nsp, message.event, message.args, message.options, with_ack=with_ack
        )
        if message.request_id is None or message.timeout is None or delivery.ack_id is None:
            return
        origin = Origin(node=message.uid, nsp=message.nsp, request_id=message.request_id)
        deadline = self._now() + message.timeout
        for socket_id in delivery.reached:
            self._requests.relay(socket_id, delivery.ack_id, origin, deadline)
        self._report_count(message, len(delivery.reached))

    def _report_count(self, message: cluster.Broadcast, count: int) -> None:
        assert message.request_id is not None
        origin = Origin(node=message.uid, nsp=message.nsp, request_id=message.request_id)
        answer = cluster.BroadcastClientCount(**self._address(origin), count=count)
        self._publish(answer, target=origin.node)

    def _remote_server_side_emit(self, message: cluster.ServerSideEmit) -> None:
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

    def _receive_response(self, message: cluster.Response) -> None:
        requests = self._requests
        if isinstance(message, cluster.FetchSocketsResponse):
            events = requests.fetch_answered(message.request_id, message.uid, message.sockets)
        elif isinstance(message, cluster.ServerSideEmitResponse):
            events = requests.emit_answered(message.request_id, message.uid, message.args)
        elif isinstance(message, cluster.BroadcastClientCount):
            events = self._acks.remote_count(message.request_id, message.uid, message.count)
        else:
            events = self._acks.remote_answer(message.request_id, message.args)
        self._emit(events)
