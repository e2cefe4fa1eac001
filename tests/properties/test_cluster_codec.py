"""Cluster message codec properties: every message round-trips; garbage only raises
RemoteProtocolError."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sio_core import BroadcastOptions, Handshake, SocketSnapshot
from sio_core.errors import RemoteProtocolError
from sio_core.socketio import cluster
from sio_core.socketio.packets import RESERVED_EVENTS


def blobs(max_size: int | None = None) -> st.SearchStrategy[bytes]:
    """Bytes drawn as integers (see test_engineio_codec: ``-bb`` and hypothesis's cache)."""
    return st.lists(st.integers(0, 255), max_size=max_size).map(bytes)


texts = st.text(st.characters(codec=None, categories=None))
keys = texts.filter(lambda key: key != "_placeholder")  # Socket.IO's own ambiguity, on purpose
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | blobs(8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=10,
)
args = st.lists(json_values, max_size=4).map(tuple)
uids = texts.filter(bool)
namespaces = st.from_regex(r"/[a-zA-Z0-9_/\-é]{0,10}", fullmatch=True)
events = texts.filter(lambda name: name not in RESERVED_EVENTS)
ids = st.integers(min_value=0, max_value=2**53 - 1)
rooms = st.lists(texts, max_size=4).map(tuple)
options = st.builds(
    BroadcastOptions,
    rooms=st.frozensets(texts, max_size=3),
    except_rooms=st.frozensets(texts, max_size=3),
    volatile=st.booleans(),
    local=st.booleans(),
    compress=st.booleans(),
)
handshakes = st.builds(
    Handshake,
    headers=st.dictionaries(texts, texts, max_size=3),
    query=st.dictionaries(texts, texts, max_size=3),
    auth=st.dictionaries(keys, json_values, max_size=3),
    time=texts,
    issued=st.integers(min_value=0, max_value=2**53),
    url=texts,
    address=texts,
    xdomain=st.booleans(),
    secure=st.booleans(),
)


@st.composite
def fetch_responses(draw: st.DrawFn) -> cluster.FetchSocketsResponse:
    nsp = draw(namespaces)
    snapshot = st.builds(
        SocketSnapshot,
        id=texts,
        nsp=st.just(nsp),
        handshake=handshakes,
        rooms=st.frozensets(texts, max_size=3),
        data=json_values,
    )
    return cluster.FetchSocketsResponse(
        uid=draw(uids),
        nsp=nsp,
        to=draw(texts),
        request_id=draw(ids),
        sockets=tuple(draw(st.lists(snapshot, max_size=3))),
    )


@st.composite
def broadcasts(draw: st.DrawFn) -> cluster.Broadcast:
    with_ack = draw(st.booleans())
    return cluster.Broadcast(
        uid=draw(uids),
        nsp=draw(namespaces),
        options=draw(options),
        event=draw(events),
        args=draw(args),
        request_id=draw(ids) if with_ack else None,
        timeout=draw(st.floats(min_value=0, max_value=1e6)) if with_ack else None,
    )


common: dict[str, Any] = {"uid": uids, "nsp": namespaces}
responses: dict[str, Any] = {**common, "to": texts, "request_id": ids}
messages = st.one_of(
    broadcasts(),
    st.builds(cluster.SocketsJoin, **common, options=options, rooms=rooms),
    st.builds(cluster.SocketsLeave, **common, options=options, rooms=rooms),
    st.builds(cluster.DisconnectSockets, **common, options=options, close=st.booleans()),
    st.builds(cluster.FetchSockets, **common, options=options, request_id=ids),
    st.builds(
        cluster.ServerSideEmit, **common, event=events, args=args, request_id=st.none() | ids
    ),
    fetch_responses(),
    st.builds(cluster.ServerSideEmitResponse, **responses, args=args),
    st.builds(cluster.BroadcastClientCount, **responses, count=st.integers(0, 2**31)),
    st.builds(cluster.BroadcastAck, **responses, args=args),
)


@given(messages)
def test_every_cluster_message_round_trips(message: cluster.ClusterMessage) -> None:
    assert cluster.decode(cluster.encode(message)) == message


@given(messages)
def test_encoding_is_deterministic(message: cluster.ClusterMessage) -> None:
    assert cluster.encode(cluster.decode(cluster.encode(message))) == cluster.encode(message)


@given(blobs())
def test_garbage_only_raises_remote_protocol_error(data: bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        cluster.decode(data)


@given(messages, st.data())
def test_a_damaged_message_only_raises_remote_protocol_error(
    message: cluster.ClusterMessage, data: st.DataObject
) -> None:
    encoded = bytearray(cluster.encode(message))
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    with contextlib.suppress(RemoteProtocolError):
        cluster.decode(bytes(encoded[:cut]))


@given(messages, st.data())
def test_a_message_with_a_changed_body_only_raises_remote_protocol_error(
    message: cluster.ClusterMessage, data: st.DataObject
) -> None:
    """Valid JSON in the wrong shape: each field replaced by an arbitrary value."""
    text = cluster.encode(message)[4:].decode("utf-8", errors="replace")
    replacement = data.draw(st.sampled_from(["null", "1", "-1", '"x"', "[]", "{}", "true", "1.5"]))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    damaged = (text[:start] + replacement + text[end:]).encode("utf-8", errors="surrogatepass")
    with contextlib.suppress(RemoteProtocolError):
        cluster.decode(len(damaged).to_bytes(4, "big") + damaged)
