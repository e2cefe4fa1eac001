"""What the cluster node tests share: a node of the cluster, and reading what clients got."""

from __future__ import annotations

from typing import Any, TypeVar

from sio_core import BroadcastOptions, SocketConfig, SocketServer
from sio_core.cluster import (
    ClassicRedisFormat,
    ClusterFormat,
    ClusterMessage,
    RedisStreamsFormat,
    ShardedRedisFormat,
)
from sio_core.cluster.streams import read_entry
from sio_core.events import ClusterCommand, ClusterPublish, Event
from sio_core.ids import CountingIds
from sio_core.socketio.packets import PacketType
from sio_core.testing import ClusterBus, Harness, SocketIOClient

E = TypeVar("E", bound=Event)

FORMATS: dict[str, ClusterFormat] = {
    "classic": ClassicRedisFormat(),
    "sharded": ShardedRedisFormat(),
    "streams": RedisStreamsFormat(),
}


class Node:
    """One server of the cluster, with the shortcuts the tests use."""

    def __init__(
        self,
        bus: ClusterBus,
        name: str,
        cluster_format: ClusterFormat,
        config: SocketConfig | None = None,
    ) -> None:
        self.name = name
        self.format = cluster_format
        self.server = SocketServer(
            config, id_generator=CountingIds(name), node_id=name, cluster_format=cluster_format
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

    def read(self, published: ClusterPublish | ClusterCommand, nsp: str = "/") -> ClusterMessage:
        """What a message published in ``nsp`` (or appended to the stream) says, read with this
        node's format."""
        if isinstance(published, ClusterCommand):
            return read_entry(appended_fields(published))
        return self.format.codec(nsp).read(published.channel, published.payload)

    def published(self) -> list[ClusterMessage]:
        """Every message this node published (or appended to the stream) so far, read back."""
        self.harness.pump()
        sent = self.harness.app_events
        return [self.read(event) for event in sent if _carries_a_message(event)]

    def peers(self, nsp: str = "/") -> int:
        return self.bus.peers(self.harness, nsp)

    def rooms(self, socket_id: str) -> set[str]:
        return set(self.ops.rooms(socket_id))


def appended_fields(command: ClusterCommand) -> dict[str, str]:
    """The fields of the entry an ``XADD`` appends."""
    star = command.command.index(b"*")
    parts = [part.decode() for part in command.command[star + 1 :]]
    return dict(zip(parts[0::2], parts[1::2], strict=True))


def _carries_a_message(event: Event) -> bool:
    if isinstance(event, ClusterCommand):
        return event.command[0] == b"XADD"
    return isinstance(event, ClusterPublish)


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
