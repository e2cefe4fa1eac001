"""The channels of a node in cluster mode: one codec per namespace, and what it listens to.

Node gives each namespace an adapter of its own, with its own channels; here each namespace gets
a codec of the server's :data:`~sio_core.cluster.ClusterFormat` the moment it comes to exist
(the main one with the server, a dynamic one with its first client), and the backend is told to
subscribe with a :class:`~sio_core.events.ClusterSubscribe`. The hook is the adapter factory:
:meth:`ClusterChannels.adapter_factory` wraps the server's, so that no namespace can be created
without its channels.

The sharded format's ``dynamic`` modes give some rooms a channel of their own, listened to while
this node has members in the room. Node subscribes when its in-memory adapter creates the room
and unsubscribes when it deletes it; :class:`RoomCounts` sees the same moments around any
adapter, and each room channel is subscribed and unsubscribed exactly once in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sio_core.cluster import (
    ClassicRedisFormat,
    ClusterFormat,
    ClusterMessage,
    NamespaceCodec,
    RedisStreamsFormat,
    ShardedRedisFormat,
    StreamEntry,
    SubscriptionMode,
)
from sio_core.cluster.stream_commands import append
from sio_core.engineio._events import Event
from sio_core.socketio._adapter import Adapter, ReportingAdapter
from sio_core.socketio._events import (
    ClusterCommand,
    ClusterPublish,
    ClusterSubscribe,
    ClusterUnsubscribe,
)

AdapterMaker = Callable[[str], Adapter]


class ClusterChannels:
    """This node's codecs by namespace, its room channels, and its publications.

    :param uid: this node's id, as the messages and its response channels carry it.
    :param emit: queues events for the server's next ``events()``.
    """

    def __init__(
        self,
        cluster_format: ClusterFormat,
        uid: str,
        emit: Callable[[Iterable[Event]], None],
    ) -> None:
        self.format = cluster_format
        self.uid = uid
        self._emit = emit
        self._codecs: dict[str, NamespaceCodec] = {}
        self._room_channels: dict[tuple[str, str], str] = {}

    @property
    def request_flags(self) -> bool:
        """Whether requests carry ``flags`` in their ``opts`` (the classic format's do not)."""
        return not isinstance(self.format, ClassicRedisFormat)

    def adapter_factory(self, make: AdapterMaker) -> AdapterMaker:
        """``make``, opening each namespace's channels as its adapter is created."""
        watch = isinstance(self.format, ShardedRedisFormat) and (
            self.format.subscription_mode is not SubscriptionMode.STATIC
        )

        def create(nsp: str) -> Adapter:
            adapter = make(nsp)
            self._open(nsp)
            if not watch:
                return adapter
            return RoomCounts(
                adapter,
                created=lambda room, private: self._room_created(nsp, room, private),
                deleted=lambda room: self._room_deleted(nsp, room),
            ).adapter

        return create

    def _open(self, nsp: str) -> None:
        codec = self.format.codec(nsp)
        self._codecs[nsp] = codec
        wanted = codec.subscriptions(self.uid)
        subscribe = ClusterSubscribe(
            channels=wanted.channels, patterns=wanted.patterns, sharded=wanted.sharded
        )
        self._emit([subscribe])

    def codec_of(self, nsp: str) -> NamespaceCodec | None:
        """The codec of namespace ``nsp``; ``None`` if it does not exist here."""
        return self._codecs.get(nsp)

    def route(self, channel: str) -> NamespaceCodec | None:
        """The codec of the namespace ``channel`` belongs to; ``None`` if none here."""
        for codec in self._codecs.values():
            if codec.owns(channel):
                return codec
        return None

    def count_channel(self, nsp: str) -> tuple[str, bool]:
        """The channel counting the nodes of ``nsp``, and whether it is a shard channel."""
        return self.format.count_channel(nsp), self.format.sharded

    # -- publishing -----------------------------------------------------------------------

    def encode(
        self, message: ClusterMessage, requester: str | None = None
    ) -> ClusterPublish | ClusterCommand:
        """``message`` ready to publish (not yet queued), or to append to the stream (the Redis
        Streams format's durable messages); a response needs its requester.

        :raises LocalProtocolError: the format cannot carry the message or one of its values.
        """
        codec = self._codecs[message.nsp]
        publication = codec.encode(message, requester=requester)
        if isinstance(publication, StreamEntry):
            assert isinstance(self.format, RedisStreamsFormat)  # the only codec with entries
            return ClusterCommand(command=append(self.format, publication))
        return ClusterPublish(
            channel=publication.channel, payload=publication.payload, sharded=codec.sharded
        )

    def publish(self, message: ClusterMessage, requester: str | None = None) -> None:
        """Queue ``message`` for the backend to publish."""
        self._emit([self.encode(message, requester)])

    # -- room channels (the sharded dynamic modes) ------------------------------------------

    def _room_created(self, nsp: str, room: str, is_socket_id: bool) -> None:
        channel = self._codecs[nsp].room_channel(room, is_socket_id=is_socket_id)
        if channel is None or (nsp, room) in self._room_channels:
            return
        self._room_channels[nsp, room] = channel
        self._emit([ClusterSubscribe(channels=(channel,), sharded=True)])

    def _room_deleted(self, nsp: str, room: str) -> None:
        channel = self._room_channels.pop((nsp, room), None)
        if channel is not None:
            self._emit([ClusterUnsubscribe(channels=(channel,), sharded=True)])


class RoomCounts:
    """Reports when a room gets its first member and loses its last one, around an adapter.

    It counts each room's members itself, from the joins and leaves a
    :class:`~sio_core.socketio._adapter.ReportingAdapter` reports, so that no report costs a
    walk over a room.

    :param created: called with the room and whether it is one of the adapter's socket ids.
    :param deleted: called with the room.
    """

    def __init__(
        self,
        inner: Adapter,
        *,
        created: Callable[[str, bool], None],
        deleted: Callable[[str], None],
    ) -> None:
        self._created = created
        self._deleted = deleted
        self._members: dict[str, int] = {}
        self.adapter = ReportingAdapter(inner, joined=self._joined, left=self._left)
        """``inner``, reporting to these counts: the namespace's adapter."""
        self._inner = inner

    def _joined(self, _socket_id: str, rooms: list[str]) -> None:
        for room in rooms:
            self._members[room] = self._members.get(room, 0) + 1
            if self._members[room] == 1:
                self._created(room, bool(self._inner.rooms_of(room)))

    def _left(self, _socket_id: str, rooms: list[str]) -> None:
        for room in rooms:
            count = self._members.pop(room, 0) - 1
            if count > 0:
                self._members[room] = count
            else:
                self._deleted(room)
