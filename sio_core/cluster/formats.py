"""The three Redis cluster formats a node can speak, with Node's option names and defaults.

A format is a small frozen value the application picks once (``SocketServer(cluster_format=...)``);
the node then builds one codec per namespace from it, as Node builds one adapter per namespace:

- :class:`ClassicRedisFormat`: ``@socket.io/redis-adapter``'s ``createAdapter`` (pub/sub with
  patterns; the node count is ``PUBSUB NUMSUB`` of the request channel);
- :class:`ShardedRedisFormat`: its ``createShardedAdapter`` (Redis 7 sharded pub/sub; the node
  count is ``PUBSUB SHARDNUMSUB`` of the main channel);
- :class:`~sio_core.cluster.streams.RedisStreamsFormat`: ``@socket.io/redis-streams-adapter``
  (a Redis stream for the durable messages, pub/sub for the others; the node count is
  ``PUBSUB NUMSUB`` of the requests channel).

The codecs answer the same questions (:data:`NamespaceCodec`): what to subscribe to, whether
a channel is theirs, how to read and write a message, which channel counts the nodes, and which
room channels come and go with the node's rooms.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from sio_core.cluster.channels import SubscriptionMode
from sio_core.cluster.classic import ClassicCodec
from sio_core.cluster.sharded import ShardedCodec
from sio_core.cluster.streams import RedisStreamsFormat, StreamsCodec
from sio_core.cluster.values import DEFAULT_LIMITS, DecodeLimits


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClassicRedisFormat:
    """The classic ``@socket.io/redis-adapter`` 8.x format (Node's ``createAdapter``).

    :param key: Node's ``key`` option, the prefix of every channel.
    :param publish_on_specific_response_channel: Node's option of that name: answers go to the
        requester's own response channel rather than the shared one.
    """

    sharded: ClassVar[bool] = False
    key: str = "socket.io"
    publish_on_specific_response_channel: bool = False

    def codec(self, nsp: str, limits: DecodeLimits = DEFAULT_LIMITS) -> ClassicCodec:
        """The codec of namespace ``nsp``."""
        return ClassicCodec(
            nsp,
            key=self.key,
            publish_on_specific_response_channel=self.publish_on_specific_response_channel,
            limits=limits,
        )

    def count_channel(self, nsp: str) -> str:
        """The request channel: ``PUBSUB NUMSUB`` of it counts the nodes of ``nsp``."""
        return f"{self.key}-request#{nsp}#"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ShardedRedisFormat:
    """The sharded Redis adapter's format (Node's ``createShardedAdapter``, Redis 7).

    :param channel_prefix: Node's ``channelPrefix`` option.
    :param subscription_mode: Node's ``subscriptionMode``: ``"dynamic"`` (the default),
        ``"dynamic-private"`` or ``"static"``, as a string or a :class:`SubscriptionMode`.
    :raises ValueError: an unknown subscription mode.
    """

    sharded: ClassVar[bool] = True
    channel_prefix: str = "socket.io"
    subscription_mode: SubscriptionMode | str = SubscriptionMode.DYNAMIC

    def __post_init__(self) -> None:
        object.__setattr__(self, "subscription_mode", SubscriptionMode(self.subscription_mode))

    def codec(self, nsp: str, limits: DecodeLimits = DEFAULT_LIMITS) -> ShardedCodec:
        """The codec of namespace ``nsp``."""
        return ShardedCodec(
            nsp,
            channel_prefix=self.channel_prefix,
            subscription_mode=self.subscription_mode,
            limits=limits,
        )

    def count_channel(self, nsp: str) -> str:
        """The main channel: ``PUBSUB SHARDNUMSUB`` of it counts the nodes of ``nsp``."""
        return f"{self.channel_prefix}#{nsp}#"


ClusterFormat = ClassicRedisFormat | ShardedRedisFormat | RedisStreamsFormat
"""Any of the Redis formats."""

NamespaceCodec = ClassicCodec | ShardedCodec | StreamsCodec
"""The codec of one namespace, in any format."""
