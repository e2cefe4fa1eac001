"""The Redis Streams adapter's format (``@socket.io/redis-streams-adapter`` 0.3.x).

Theory of operation (``lib/adapter.ts`` of socket.io-redis-streams-adapter 0.3.1, on top of
socket.io-adapter's ``ClusterAdapter``)
-------------------------------------------------------------------------------------------------

The messages are the ``ClusterAdapter`` ones (:mod:`sio_core.cluster.cluster_format`); what is
new is where they go. A message that must reach every node, *including one that comes back
later*, is **durable**: it is appended to a Redis stream (``XADD <stream> MAXLEN ~ <max_len> *``)
as four fields,

=========  ==================================================================================
``uid``    the sender's node id (16 hex digits)
``nsp``    the namespace
``type``   the message type, as a decimal string (``"3"`` for a broadcast)
``data``   the message's ``data`` as JSON text, or as base64 of its msgpack when it holds bytes
           (left out when there is none)
=========  ==================================================================================

and every node reads the stream in a loop (``XREAD COUNT <read_count> BLOCK <block_time>``),
remembering the last entry id read. Durable are broadcasts without acks, ``sockets_join``,
``sockets_leave`` and ``disconnect_sockets``. The rest is **ephemeral** and goes over pub/sub,
msgpack of the whole message ``{type, data, uid, nsp}`` whatever it holds: broadcasts with acks,
``fetch_sockets`` and ``server_side_emit`` on ``<channel_prefix>#<nsp>#``, which every node
listens to, and every response on the requester's own ``<channel_prefix>#<nsp>#<uid>#``. The
number of nodes is ``PUBSUB NUMSUB`` of the first channel (``SHARDNUMSUB`` with sharded pub/sub).
Version 0.3 sends no heartbeat (0.2 did, in the stream; this reader ignores them).

The entry id of a broadcast is its offset for connection state recovery: see
:mod:`sio_core.cluster.stream_commands` for the commands, the replies and the stored sessions.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from typing import Any

from sio_core.cluster.channels import (
    Publication,
    ShardedChannels,
    SubscriptionMode,
    Subscriptions,
)
from sio_core.cluster.cluster_format import (
    carries_binary,
    decode_cluster_message,
    encode_cluster_message,
    read_cluster_message,
    wire_message,
)
from sio_core.cluster.errors import ClusterProtocolError
from sio_core.cluster.messages import (
    RESPONSE_TYPES,
    Broadcast,
    ClusterMessage,
    FetchSockets,
    ServerSideEmit,
)
from sio_core.cluster.values import (
    DEFAULT_LIMITS,
    JSON_FIRST_BYTE,
    DecodeLimits,
    decode_json,
    decode_msgpack,
    dump_json,
    dump_msgpack,
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RedisStreamsFormat:
    """The Redis Streams adapter's format (Node's ``createAdapter`` of
    ``@socket.io/redis-streams-adapter``), with its option names in snake_case and its defaults.

    :param stream_name: Node's ``streamName``: the stream every namespace's durable messages go to
        (Node's ``streamCount`` above 1, one stream per hash of the namespace, is not supported).
    :param channel_prefix: Node's ``channelPrefix``, of the pub/sub channels.
    :param max_len: Node's ``maxLen``: the stream is trimmed to about this many entries.
    :param read_count: Node's ``readCount``: the most entries one ``XREAD`` returns.
    :param block_time: Node's ``blockTimeInMs``, in seconds: how long one ``XREAD`` waits.
    :param session_key_prefix: Node's ``sessionKeyPrefix``: where recovery sessions are stored.
    :param use_sharded_pubsub: Node's ``useShardedPubSub``: ``SPUBLISH``/``SSUBSCRIBE``
        (Redis 7) for the ephemeral messages.
    :raises ValueError: a size or a time that is not positive.
    """

    stream_name: str = "socket.io"
    channel_prefix: str = "socket.io"
    max_len: int = 10_000
    read_count: int = 100
    block_time: float = 5.0
    session_key_prefix: str = "sio:session:"
    use_sharded_pubsub: bool = False

    def __post_init__(self) -> None:
        if self.max_len <= 0 or self.read_count <= 0 or self.block_time <= 0:
            raise ValueError("max_len, read_count and block_time must be positive")

    @property
    def sharded(self) -> bool:
        """Whether the pub/sub part is sharded (``SPUBLISH``, ``SSUBSCRIBE``)."""
        return self.use_sharded_pubsub

    def codec(self, nsp: str, limits: DecodeLimits = DEFAULT_LIMITS) -> StreamsCodec:
        """The codec of namespace ``nsp``."""
        return StreamsCodec(nsp, self, limits=limits)

    def count_channel(self, nsp: str) -> str:
        """The channel every node of ``nsp`` listens to: ``PUBSUB NUMSUB`` of it counts them."""
        return f"{self.channel_prefix}#{nsp}#"

    def session_key(self, pid: str) -> str:
        """Where the session of private id ``pid`` is stored."""
        return f"{self.session_key_prefix}{pid}"


@dataclasses.dataclass(frozen=True, slots=True)
class StreamEntry:
    """A durable message as the fields of one stream entry, in Node's order."""

    fields: tuple[tuple[str, str], ...]


def is_ephemeral(message: ClusterMessage) -> bool:
    """Whether the Streams adapter sends ``message`` over pub/sub rather than the stream: the
    requests that wait for answers (and, apart, every response)."""
    if isinstance(message, Broadcast):
        return message.request_id is not None
    return isinstance(message, FetchSockets | ServerSideEmit)


class StreamsCodec:
    """Messages of one namespace to and from the Streams adapter: stream entries for the durable
    ones, pub/sub for the others.

    :param limits: the bounds of decoding, and of the values encoding accepts.
    """

    def __init__(
        self, nsp: str, stream_format: RedisStreamsFormat, *, limits: DecodeLimits = DEFAULT_LIMITS
    ) -> None:
        self.nsp = nsp
        self.format = stream_format
        self.sharded = stream_format.use_sharded_pubsub
        """Pub/sub with ``SPUBLISH``/``SSUBSCRIBE``."""
        self.channels = ShardedChannels(stream_format.channel_prefix, nsp, SubscriptionMode.STATIC)
        self.limits = limits

    @property
    def count_channel(self) -> str:
        """The channel whose ``PUBSUB NUMSUB`` is the number of nodes."""
        return self.channels.main

    def subscriptions(self, uid: str) -> Subscriptions:
        """The requests channel and node ``uid``'s own, for its responses."""
        return Subscriptions(
            channels=(self.channels.main, self.channels.response_for(uid)), sharded=self.sharded
        )

    def owns(self, channel: str) -> bool:
        """Whether ``channel`` is one of this namespace's (a node's included)."""
        return channel.startswith(self.channels.main) and channel.endswith("#")

    def room_filter(self, channel: str) -> str | None:
        """Always ``None``: no channel is a room's."""
        return None

    def room_channel(self, room: str, *, is_socket_id: bool) -> str | None:
        """Always ``None``: rooms have no channels of their own."""
        return None

    def read(self, channel: str, payload: bytes) -> ClusterMessage:
        """An ephemeral message or a response, from either channel.

        :raises ClusterProtocolError: malformed.
        """
        return decode_cluster_message(payload, self.limits)

    def encode(
        self, message: ClusterMessage, *, requester: str | None = None
    ) -> Publication | StreamEntry:
        """Where and how ``message`` goes: a stream entry, or msgpack for a pub/sub channel (a
        response needs its ``requester``'s uid).

        :raises LocalProtocolError: see :func:`~sio_core.cluster.encode_cluster_message`, or a
            response without ``requester``.
        """
        if isinstance(message, RESPONSE_TYPES) or is_ephemeral(message):
            channel = self.channels.channel_for(message, requester)
            return Publication(channel, encode_cluster_message(message, self.limits, msgpack=True))
        return self.entry(message)

    def entry(self, message: ClusterMessage) -> StreamEntry:
        """``message`` as the fields of a stream entry.

        :raises LocalProtocolError: as :meth:`encode`.
        """
        kind, wire = wire_message(message, self.limits)
        fields = [("uid", str(wire["uid"])), ("nsp", str(wire["nsp"])), ("type", str(int(kind)))]
        if "data" in wire:
            data = wire["data"]
            if carries_binary(kind, data):
                text = base64.b64encode(dump_msgpack(data)).decode("ascii")
            else:
                text = dump_json(data).decode("utf-8")
            fields.append(("data", text))
        return StreamEntry(tuple(fields))


def read_entry(fields: Mapping[str, str], limits: DecodeLimits = DEFAULT_LIMITS) -> ClusterMessage:
    """The message the fields of a stream entry hold (any namespace's).

    :raises ClusterProtocolError: malformed.
    """
    number = fields.get("type", "")
    if not (number.isascii() and number.isdigit()) or len(number) > 9:
        raise ClusterProtocolError(f"entry type {number!r} is not a number")
    message: dict[str, Any] = {
        "type": int(number),
        "uid": fields.get("uid"),
        "nsp": fields.get("nsp"),
    }
    data = fields.get("data")
    if data:  # Node: ``if (rawMessage.data)``
        message["data"] = _entry_data(data, limits)
    return read_cluster_message(message)


def _entry_data(text: str, limits: DecodeLimits) -> Any:
    """The ``data`` field: JSON when it starts with ``{``, else base64 of msgpack."""
    raw = text.encode("utf-8")
    if len(raw) > limits.max_bytes:
        raise ClusterProtocolError(f"entry data of {len(raw)} bytes is over the limit")
    if raw[:1] == bytes((JSON_FIRST_BYTE,)):
        return decode_json(raw, limits)
    try:
        packed = base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise ClusterProtocolError("entry data is neither JSON nor base64") from None
    if not packed:
        raise ClusterProtocolError("entry data is empty")
    return decode_msgpack(packed, limits)
