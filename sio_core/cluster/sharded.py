"""The sharded Redis adapter (``createShardedAdapter``, Redis 7 ``SPUBLISH``/``SSUBSCRIBE``).

Its messages are the ``ClusterAdapter`` ones (:mod:`sio_core.cluster.cluster_format`); this
module adds where each goes (:class:`~sio_core.cluster.channels.ShardedChannels`). The sharded
adapter extends the plain ``ClusterAdapter``, not the one with heartbeats: Node's sharded nodes
send no heartbeat and count each other with ``PUBSUB SHARDNUMSUB`` of the main channel.
"""

from __future__ import annotations

from typing import ClassVar

from sio_core.cluster.channels import (
    Publication,
    ShardedChannels,
    SubscriptionMode,
    Subscriptions,
)
from sio_core.cluster.cluster_format import decode_cluster_message, encode_cluster_message
from sio_core.cluster.messages import ClusterMessage
from sio_core.cluster.values import DEFAULT_LIMITS, DecodeLimits


class ShardedCodec:
    """Messages of one namespace to and from the sharded adapter's channels.

    :param channel_prefix: Node's ``channelPrefix`` option.
    :param subscription_mode: Node's ``subscriptionMode`` option.
    :param limits: the bounds of :meth:`decode`, and of the values :meth:`encode` accepts.
    """

    sharded: ClassVar[bool] = True
    """Published with ``SPUBLISH``, received with ``SSUBSCRIBE``."""

    def __init__(
        self,
        nsp: str = "/",
        *,
        channel_prefix: str = "socket.io",
        subscription_mode: SubscriptionMode | str = SubscriptionMode.DYNAMIC,
        limits: DecodeLimits = DEFAULT_LIMITS,
    ) -> None:
        self.nsp = nsp
        self.channels = ShardedChannels(channel_prefix, nsp, SubscriptionMode(subscription_mode))
        self.limits = limits

    @property
    def count_channel(self) -> str:
        """The channel whose ``PUBSUB SHARDNUMSUB`` is the number of nodes: the main one."""
        return self.channels.main

    def subscriptions(self, uid: str) -> Subscriptions:
        """What node ``uid`` always listens to for this namespace (room channels aside)."""
        return self.channels.subscriptions(uid)

    def owns(self, channel: str) -> bool:
        """Whether ``channel`` is one of this namespace's (a room's or a node's included)."""
        return channel.startswith(self.channels.main) and channel.endswith("#")

    def room_filter(self, channel: str) -> str | None:
        """Always ``None``: a sharded node listens to a room channel only while it has members
        in the room, and reads whatever arrives there (as Node does)."""
        return None

    def room_channel(self, room: str, *, is_socket_id: bool) -> str | None:
        """The channel to listen to while this node has members in ``room``, if the
        subscription mode gives the room one (see :meth:`ShardedChannels.subscribes_to_room`)."""
        if self.channels.subscribes_to_room(room, is_socket_id=is_socket_id):
            return self.channels.room(room)
        return None

    def read(self, channel: str, payload: bytes) -> ClusterMessage:
        """:meth:`decode`; every channel of the namespace carries the same messages."""
        return self.decode(payload)

    def encode(self, message: ClusterMessage, *, requester: str | None = None) -> Publication:
        """Where and how to publish ``message``; a response needs its ``requester``'s uid.

        :raises LocalProtocolError: see :func:`encode_cluster_message`, or a response without
            ``requester``.
        """
        channel = self.channels.channel_for(message, requester)
        return Publication(channel, encode_cluster_message(message, self.limits))

    def decode(self, payload: bytes) -> ClusterMessage:
        """The message ``payload`` carries, whichever of this namespace's channels it came on.

        :raises ClusterProtocolError: malformed.
        """
        return decode_cluster_message(payload, self.limits)
