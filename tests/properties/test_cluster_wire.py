"""Node's cluster formats: every message round-trips; garbage only raises ClusterProtocolError.

The Redis Streams format's entries, replies and stored sessions are at the end."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import msgpack
from cluster_values import blobs, scalars, texts, values
from hypothesis import given
from hypothesis import strategies as st

from sio_core.cluster import (
    AdapterClose,
    AllRooms,
    AllRoomsResponse,
    Broadcast,
    BroadcastAck,
    BroadcastClientCount,
    BroadcastFlags,
    ClassicCodec,
    ClusterMessage,
    ClusterProtocolError,
    DisconnectSockets,
    FetchedSocket,
    FetchSocketIds,
    FetchSocketIdsResponse,
    FetchSockets,
    FetchSocketsResponse,
    Heartbeat,
    InitialHeartbeat,
    Publication,
    RedisStreamsFormat,
    Selection,
    ServerSideEmit,
    ServerSideEmitResponse,
    ShardedCodec,
    SocketsJoin,
    SocketsLeave,
    StreamEntry,
)
from sio_core.cluster.stream_commands import (
    StoredSession,
    decode_session,
    encode_session,
    entries_of,
    read_entries,
)
from sio_core.cluster.streams import read_entry


def arguments(*, binary: bool) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(values(binary=binary), max_size=4).map(tuple)


room_lists = st.lists(texts, max_size=3).map(tuple)
request_ids = texts
uids = texts
flags = st.builds(
    BroadcastFlags,
    volatile=st.none() | st.booleans(),
    compress=st.none() | st.booleans(),
    local=st.none() | st.booleans(),
    broadcast=st.none() | st.booleans(),
    binary=st.none() | st.booleans(),
    timeout_ms=st.none() | st.integers(0, 2**31) | st.floats(0, 1e9),
    expect_single_response=st.none() | st.booleans(),
)
selections = st.builds(
    Selection, rooms=room_lists, except_rooms=room_lists, flags=st.none() | flags
)


def sockets(*, binary: bool) -> st.SearchStrategy[tuple[FetchedSocket, ...]]:
    socket = st.builds(
        FetchedSocket,
        id=texts,
        handshake=st.dictionaries(texts, values(binary=binary), max_size=4),
        rooms=room_lists,
        data=values(binary=binary),
    )
    return st.lists(socket, max_size=3).map(tuple)


def shared_messages(nsp: str, uid: st.SearchStrategy[str | None], *, binary: bool) -> list[Any]:
    """Messages both formats carry, with the sender ``uid`` each format keeps."""
    common: dict[str, Any] = {"uid": uid, "nsp": st.just(nsp)}
    return [
        st.builds(SocketsJoin, **common, selection=selections, rooms=room_lists),
        st.builds(SocketsLeave, **common, selection=selections, rooms=room_lists),
        st.builds(DisconnectSockets, **common, selection=selections, close=st.booleans()),
        st.builds(FetchSockets, **common, selection=selections, request_id=request_ids),
        st.builds(
            ServerSideEmit,
            **common,
            event=texts,
            args=arguments(binary=binary),
            request_id=st.none() | request_ids,
        ),
    ]


CLASSIC = ClassicCodec("/", key="socket.io")


def classic_messages() -> st.SearchStrategy[ClusterMessage]:
    """What the classic format carries: no uid on responses, bytes only in msgpack messages."""
    response: dict[str, Any] = {"uid": st.none(), "nsp": st.just("/"), "request_id": request_ids}
    return st.one_of(
        *shared_messages("/", st.none() | uids, binary=False),
        st.builds(
            Broadcast,
            uid=uids,
            nsp=st.just("/"),
            event=texts,
            args=arguments(binary=True),
            selection=selections,
        ),
        st.builds(
            Broadcast,
            uid=st.none() | uids,
            nsp=st.just("/"),
            event=texts,
            args=arguments(binary=True),
            selection=selections,
            request_id=request_ids,
        ),
        st.builds(AllRooms, uid=uids, nsp=st.just("/"), request_id=request_ids),
        st.builds(FetchSocketIds, uid=uids, nsp=st.just("/"), request_id=request_ids,
                  rooms=room_lists),
        st.builds(FetchSocketsResponse, **response, sockets=sockets(binary=False)),
        st.builds(FetchSocketIdsResponse, **response,
                  socket_ids=st.lists(texts, min_size=1, max_size=3).map(tuple)),
        st.builds(AllRoomsResponse, **response, rooms=room_lists),
        st.builds(ServerSideEmitResponse, **response, arg=values(binary=False)),
        st.builds(BroadcastClientCount, **response, client_count=st.integers(0, 2**31)),
        st.builds(BroadcastAck, **response, arg=values(binary=True)),
    )  # fmt: skip


SHARDED = ShardedCodec("/", channel_prefix="socket.io")


def cluster_adapter_messages() -> st.SearchStrategy[ClusterMessage]:
    """What the ClusterAdapter format carries: a uid on everything, bytes anywhere."""
    common: dict[str, Any] = {"uid": uids, "nsp": st.just("/")}
    response: dict[str, Any] = {**common, "request_id": request_ids}
    return st.one_of(
        *shared_messages("/", uids, binary=True),
        st.builds(
            Broadcast,
            **common,
            event=texts,
            args=arguments(binary=True),
            selection=selections,
            request_id=st.none() | request_ids,
        ),
        st.builds(FetchSocketsResponse, **response, sockets=sockets(binary=True)),
        st.builds(ServerSideEmitResponse, **response, arg=values(binary=True)),
        st.builds(BroadcastClientCount, **response, client_count=st.integers(0, 2**31)),
        st.builds(BroadcastAck, **response, arg=values(binary=True)),
        st.builds(InitialHeartbeat, **common),
        st.builds(Heartbeat, **common),
        st.builds(AdapterClose, **common),
    )


# -- round trips -----------------------------------------------------------------------------


@given(classic_messages())
def test_every_classic_message_round_trips(message: ClusterMessage) -> None:
    publication = CLASSIC.encode(message, requester="abc123")
    assert CLASSIC.decode(publication.channel, publication.payload) == message


@given(classic_messages())
def test_classic_encoding_is_stable_through_a_decode(message: ClusterMessage) -> None:
    publication = CLASSIC.encode(message)
    again = CLASSIC.encode(CLASSIC.decode(publication.channel, publication.payload))
    assert again == publication


@given(cluster_adapter_messages())
def test_every_cluster_adapter_message_round_trips(message: ClusterMessage) -> None:
    publication = SHARDED.encode(message, requester="abc123")
    assert SHARDED.decode(publication.payload) == message


@given(cluster_adapter_messages())
def test_cluster_adapter_encoding_is_stable_through_a_decode(message: ClusterMessage) -> None:
    payload = SHARDED.encode(message, requester="r").payload
    assert SHARDED.encode(SHARDED.decode(payload), requester="r").payload == payload


# -- garbage ---------------------------------------------------------------------------------

CLASSIC_CHANNELS = st.sampled_from(
    ["socket.io#/#", "socket.io#/#room#", "socket.io-request#/#", "socket.io-response#/#"]
)


@given(CLASSIC_CHANNELS, blobs())
def test_classic_garbage_only_raises_cluster_protocol_error(channel: str, data: bytes) -> None:
    with contextlib.suppress(ClusterProtocolError):
        CLASSIC.decode(channel, data)


@given(blobs())
def test_cluster_adapter_garbage_only_raises_cluster_protocol_error(data: bytes) -> None:
    with contextlib.suppress(ClusterProtocolError):
        SHARDED.decode(data)


# Well-formed JSON or msgpack with the formats' own field names, to reach the shape checks.
KEYS = st.sampled_from(
    [
        *("uid", "nsp", "type", "data", "requestId", "opts", "rooms", "except", "flags"),
        *("packet", "sockets", "id", "handshake", "close", "clientCount", "timeout", "volatile"),
    ]
)
wire_values = st.recursive(
    scalars | blobs(4) | st.integers(0, 13),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=20,
)


def _serialise(value: Any, as_json: bool) -> bytes:
    if as_json:
        return json.dumps(value, default=list).encode()
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


@given(CLASSIC_CHANNELS, wire_values, st.booleans())
def test_classic_shaped_garbage_only_raises_cluster_protocol_error(
    channel: str, value: Any, as_json: bool
) -> None:
    with contextlib.suppress(ClusterProtocolError):
        CLASSIC.decode(channel, _serialise(value, as_json))


@given(wire_values, st.booleans())
def test_cluster_adapter_shaped_garbage_only_raises_cluster_protocol_error(
    value: Any, as_json: bool
) -> None:
    with contextlib.suppress(ClusterProtocolError):
        SHARDED.decode(_serialise(value, as_json))


@given(cluster_adapter_messages(), st.data())
def test_a_damaged_message_only_raises_cluster_protocol_error(
    message: ClusterMessage, data: st.DataObject
) -> None:
    encoded = bytearray(SHARDED.encode(message, requester="r").payload)
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    with contextlib.suppress(ClusterProtocolError):
        SHARDED.decode(bytes(encoded[:cut]))
    with contextlib.suppress(ClusterProtocolError):
        CLASSIC.decode("socket.io-request#/#", bytes(encoded[:cut]))


# -- the Redis Streams format ----------------------------------------------------------------

STREAMS = RedisStreamsFormat()
STREAMS_CODEC = STREAMS.codec("/")


@given(cluster_adapter_messages())
def test_every_message_round_trips_through_its_entry_or_its_payload(
    message: ClusterMessage,
) -> None:
    encoded = STREAMS_CODEC.encode(message, requester="r")
    if isinstance(encoded, StreamEntry):
        assert read_entry(dict(encoded.fields)) == message
    else:
        assert isinstance(encoded, Publication)
        assert STREAMS_CODEC.read(encoded.channel, encoded.payload) == message


@given(
    st.builds(
        StoredSession,
        sid=texts,
        pid=texts,
        rooms=st.lists(texts, max_size=3).map(tuple),
        data=scalars | blobs(8),
        nsp=st.none() | texts,
    )
)
def test_every_session_round_trips(session: StoredSession) -> None:
    assert decode_session(encode_session(session)) == session


FIELD_NAMES = st.sampled_from(["uid", "nsp", "type", "data", "other"])
field_values = (
    texts | st.integers(0, 20).map(str) | blobs(12).map(lambda raw: base64.b64encode(raw).decode())
)


@given(st.dictionaries(FIELD_NAMES, field_values, max_size=5))
def test_garbage_entries_only_raise_cluster_protocol_error(fields: dict[str, str]) -> None:
    with contextlib.suppress(ClusterProtocolError):
        read_entry(fields)


replies = st.recursive(
    scalars | blobs(6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(blobs(6), inner, max_size=3),
    max_leaves=16,
)


@given(replies)
def test_garbage_replies_only_raise_cluster_protocol_error(reply: Any) -> None:
    with contextlib.suppress(ClusterProtocolError):
        entries_of(reply)
    with contextlib.suppress(ClusterProtocolError):
        read_entries(reply, STREAMS)


@given(blobs() | blobs().map(base64.b64encode) | st.none() | texts)
def test_garbage_sessions_only_raise_cluster_protocol_error(raw: Any) -> None:
    with contextlib.suppress(ClusterProtocolError):
        decode_session(raw)
