"""What the cluster node tests share: a node of the cluster, and reading what clients got."""

from __future__ import annotations

from typing import Any, TypeVar

from sio_core import BroadcastOptions, SocketServer
from sio_core.cluster import (
    ClassicRedisFormat,
    ClusterFormat,
    ClusterMessage,
    ShardedRedisFormat,
)
from sio_core.events import ClusterPublish, Event
from sio_core.ids import CountingIds
from sio_core.socketio.packets import PacketType
from sio_core.testing import ClusterBus, Harness, SocketIOClient

E = TypeVar("E", bound=Event)

FORMATS: dict[str, ClusterFormat] = {
    "classic": ClassicRedisFormat(),
    "sharded": ShardedRedisFormat(),
}


class Node:
    """One server of the cluster, with the shortcuts the tests use."""

    def __init__(self, bus: ClusterBus, name: str, cluster_format: ClusterFormat) -> None:
        self.name = name
        self.format = cluster_format
        self.server = SocketServer(
            id_generator=CountingIds(name), node_id=name, cluster_format=cluster_format
        )
        self.harness = bus.attach(Harness(self.server))
        self.bus = bus

    @property
    def ops(self) -> Any:
        return self.server.operations

    def client(
        self, nsp: str = "/", *, transport: str = "websocket"
    ) -> tuple[SocketIOClient, str]:
        """A client connected to ``nsp`` on this node, and its socket id."""
        client = SocketIOClient(self.harness, transport=transport)
        socket_id = client.connect(nsp)
        assert socket_id is not None
        return client, socket_id

    def events_of(self, kind: type[E]) -> list[E]:
        self.harness.pump()
        return self.harness.events_of(kind)

    def read(self, published: ClusterPublish, nsp: str = "/") -> ClusterMessage:
        """What a message published in ``nsp`` says, read with this node's format."""
        return self.format.codec(nsp).read(published.channel, published.payload)

    def published(self) -> list[ClusterMessage]:
        """Every message this node published so far, read back."""
        return [self.read(event) for event in self.events_of(ClusterPublish)]

    def peers(self, nsp: str = "/") -> int:
        return self.bus.peers(self.harness, nsp)

    def rooms(self, socket_id: str) -> set[str]:
        return set(self.ops.rooms(socket_id))


def received(client: SocketIOClient) -> list[list[Any]]:
    """The EVENT payloads (binary ones reassembled) a client got since the last call."""
    client.harness.pump()
    kinds = (PacketType.EVENT, PacketType.BINARY_EVENT)
    return [packet.data for packet in client.received() if packet.type in kinds]


def ack_all(client: SocketIOClient, *args: Any) -> None:
    """Answer every event the client got that asks for an answer."""
    client.harness.pump()
    for packet in client.received():
        if packet.type in (PacketType.EVENT, PacketType.BINARY_EVENT) and packet.id is not None:
            client.ack(packet.id, *args)


def to(*rooms: str, **flags: Any) -> BroadcastOptions:
    return BroadcastOptions(rooms=frozenset(rooms), **flags)
