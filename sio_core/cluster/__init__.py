"""Node's cluster wire formats, sans-IO: a Python node can join a Node.js Socket.IO cluster.

- :mod:`~sio_core.cluster.messages`: the operations nodes exchange, once for both formats;
- :mod:`~sio_core.cluster.classic`: ``@socket.io/redis-adapter`` 8.x pub/sub format (and the
  emitter's), :class:`ClassicCodec`;
- :mod:`~sio_core.cluster.cluster_format` and :mod:`~sio_core.cluster.sharded`: socket.io-adapter's
  ``ClusterAdapter`` messages, as the sharded Redis adapter publishes them, :class:`ShardedCodec`;
- :mod:`~sio_core.cluster.streams` and :mod:`~sio_core.cluster.stream_commands`: the Redis
  Streams adapter, :class:`RedisStreamsFormat` (stream entries, pub/sub, the Redis commands,
  entry ids as recovery offsets, stored sessions);
- :mod:`~sio_core.cluster.channels`: channel names, and where each message goes;
- :mod:`~sio_core.cluster.formats`: the Redis formats a server speaks,
  :class:`ClassicRedisFormat`, :class:`ShardedRedisFormat` and :class:`RedisStreamsFormat`,
  each making one codec per namespace;
- :mod:`~sio_core.cluster.membership`: heartbeat bookkeeping, :class:`Membership`;
- :mod:`~sio_core.cluster.values`: JSON and msgpack the way Node writes them, bounded decoding.

Decoders raise only :class:`ClusterProtocolError`; encoders raise
:class:`~sio_core.errors.LocalProtocolError` for what no format can carry.
"""

from __future__ import annotations

from sio_core.cluster.channels import (
    NODE_SOCKET_ID_LENGTH,
    ClassicChannels,
    Publication,
    ShardedChannels,
    SubscriptionMode,
    Subscriptions,
)
from sio_core.cluster.classic import ClassicCodec, RequestType
from sio_core.cluster.cluster_format import (
    MessageType,
    decode_cluster_message,
    encode_cluster_message,
)
from sio_core.cluster.errors import ClusterProtocolError
from sio_core.cluster.formats import (
    ClassicRedisFormat,
    ClusterFormat,
    NamespaceCodec,
    ShardedRedisFormat,
)
from sio_core.cluster.membership import (
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HEARTBEAT_TIMEOUT,
    LeaveReason,
    Membership,
    MembershipEvent,
    NodeJoined,
    NodeLeft,
)
from sio_core.cluster.messages import (
    EMITTER_UID,
    RESPONSE_TYPES,
    AdapterClose,
    AllRooms,
    AllRoomsResponse,
    Broadcast,
    BroadcastAck,
    BroadcastClientCount,
    BroadcastFlags,
    ClusterMessage,
    DisconnectSockets,
    FetchedSocket,
    FetchSocketIds,
    FetchSocketIdsResponse,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    MembershipMessage,
    Request,
    Response,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    SocketsJoin,
    SocketsLeave,
)
from sio_core.cluster.sharded import ShardedCodec
from sio_core.cluster.streams import RedisStreamsFormat, StreamEntry, StreamsCodec
from sio_core.cluster.values import DEFAULT_LIMITS, DecodeLimits

__all__ = [
    "DEFAULT_HEARTBEAT_INTERVAL",
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "DEFAULT_LIMITS",
    "EMITTER_UID",
    "NODE_SOCKET_ID_LENGTH",
    "RESPONSE_TYPES",
    "AdapterClose",
    "AllRooms",
    "AllRoomsResponse",
    "Broadcast",
    "BroadcastAck",
    "BroadcastClientCount",
    "BroadcastFlags",
    "ClassicChannels",
    "ClassicCodec",
    "ClassicRedisFormat",
    "ClusterFormat",
    "ClusterMessage",
    "ClusterProtocolError",
    "DecodeLimits",
    "DisconnectSockets",
    "FetchSocketIds",
    "FetchSocketIdsResponse",
    "FetchSockets",
    "FetchSocketsResponse",
    "FetchedSocket",
    "Heartbeat",
    "InitialHeartbeat",
    "LeaveReason",
    "Membership",
    "MembershipEvent",
    "MembershipMessage",
    "MessageType",
    "NamespaceCodec",
    "NodeJoined",
    "NodeLeft",
    "Publication",
    "RedisStreamsFormat",
    "Request",
    "RequestType",
    "Response",
    "Selection",
    "ServerSideEmit",
    "ServerSideEmitResponse",
    "ShardedChannels",
    "ShardedCodec",
    "ShardedRedisFormat",
    "SocketsJoin",
    "SocketsLeave",
    "StreamEntry",
    "StreamsCodec",
    "SubscriptionMode",
    "Subscriptions",
    "decode_cluster_message",
    "encode_cluster_message",
]
