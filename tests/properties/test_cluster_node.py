"""A server in cluster mode, under arbitrary input: nothing escapes ``receive_cluster_message``,
and what one node sends another node's clients get unchanged, in both of Node's formats."""

from __future__ import annotations

from cluster_values import blobs, client_keys, texts, values
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sio_core import BroadcastOptions, SocketServer
from sio_core.cluster import ClassicRedisFormat, ClusterFormat, ShardedRedisFormat
from sio_core.events import ClusterFetchCompleted, ClusterPublish
from sio_core.ids import CountingIds
from sio_core.socketio.packets import PacketType
from sio_core.testing import ClusterBus, Harness, SocketIOClient

FORMATS: list[ClusterFormat] = [ClassicRedisFormat(), ShardedRedisFormat()]


def _node(bus: ClusterBus, name: str, cluster_format: ClusterFormat) -> Harness:
    server = SocketServer(
        id_generator=CountingIds(name), node_id=name, cluster_format=cluster_format
    )
    return bus.attach(Harness(server))


def _server(harness: Harness) -> SocketServer:
    assert isinstance(harness.core, SocketServer)
    return harness.core


def _channels(cluster_format: ClusterFormat) -> list[str]:
    wanted = cluster_format.codec("/").subscriptions("b")
    patterns = [pattern.replace("*", "room#") for pattern in wanted.patterns]
    return [*wanted.channels, *patterns, *(p.replace("*", "") for p in wanted.patterns)]


@settings(max_examples=60)
@given(st.sampled_from(FORMATS), st.data(), blobs())
def test_no_bytes_on_any_channel_raise_out_of_the_node(cluster_format, data, payload):
    bus = ClusterBus()
    node = _node(bus, "b", cluster_format)
    client = SocketIOClient(node)
    socket_id = client.connect()
    _server(node).operations.join(socket_id, "room")
    channel = data.draw(st.sampled_from(_channels(cluster_format)))
    _server(node).receive_cluster_message(channel, payload, 0.0)
    node.pump()
    client.received()
    client.emit("still", ack_id=5)  # and the node still serves its client
    _server(node).ack(socket_id, 5, ["here"])
    node.pump()
    assert [p.data for p in client.received() if p.type is PacketType.ACK] == [["here"]]


@st.composite
def published(draw: st.DrawFn) -> tuple[ClusterFormat, ClusterPublish]:
    """Something node ``a`` published: a broadcast, a request, an answer."""
    cluster_format = draw(st.sampled_from(FORMATS))
    bus = ClusterBus()
    a = _node(bus, "a", cluster_format)
    ops = _server(a).operations
    args = draw(st.lists(values(binary=True, keys=client_keys), max_size=3))
    kind = draw(st.sampled_from(["broadcast", "acks", "join", "fetch", "emit"]))
    if kind == "broadcast":
        ops.broadcast("/", "ev", args, BroadcastOptions(rooms=frozenset(draw(st.sets(texts)))))
    elif kind == "acks":
        ops.broadcast("/", "ev", args, timeout=1.0, peers=1)
    elif kind == "join":
        ops.sockets_join("/", BroadcastOptions(except_rooms=frozenset({"x"})), ["r1", "r2"])
    elif kind == "fetch":
        ops.request_fetch_sockets("/", peers=1)
    else:
        ops.server_side_emit("/", "ev", args, with_ack=True, peers=1)
    a.pump()
    (event,) = a.events_of(ClusterPublish)
    return cluster_format, event


@settings(max_examples=80)
@given(published(), st.data())
def test_a_damaged_message_never_raises_out_of_another_node(message, data):
    cluster_format, event = message
    payload = bytearray(event.payload)
    position = data.draw(st.integers(0, len(payload) - 1))
    payload[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(payload)))
    b = _node(ClusterBus(), "b", cluster_format)
    SocketIOClient(b).connect()
    _server(b).receive_cluster_message(event.channel, bytes(payload[:cut]), 0.0)
    b.pump()


@settings(max_examples=60)
@given(st.sampled_from(FORMATS), st.lists(values(binary=True, keys=client_keys), max_size=4))
@example(
    ClassicRedisFormat(), [[b""] * 3, [b""] * 4, [b""] * 4]
)  # more attachments than a server takes
def test_broadcast_arguments_reach_the_other_nodes_client_unchanged(cluster_format, args):
    bus = ClusterBus()
    a, b = _node(bus, "a", cluster_format), _node(bus, "b", cluster_format)
    client = SocketIOClient(b)
    client.connect()
    _server(a).operations.broadcast("/", "ev", args)
    bus.flush()
    kinds = (PacketType.EVENT, PacketType.BINARY_EVENT)
    assert [p.data for p in client.received() if p.type in kinds] == [["ev", *args]]


@settings(max_examples=60)
@given(st.sampled_from(FORMATS), values(binary=False, keys=client_keys))
def test_socket_data_reaches_the_requesting_node_unchanged(cluster_format, data):
    bus = ClusterBus()
    a, b = _node(bus, "a", cluster_format), _node(bus, "b", cluster_format)
    socket_id = SocketIOClient(b).connect()
    assert socket_id is not None
    socket = _server(b).socket(socket_id)
    assert socket is not None
    socket.data = data
    _server(a).operations.request_fetch_sockets("/", peers=bus.peers(a))
    bus.flush()
    (done,) = a.events_of(ClusterFetchCompleted)
    assert [(s.id, s.data) for s in done.sockets] == [(socket_id, data)]


@settings(max_examples=150)
@given(published(), st.data())
def test_a_message_with_a_changed_body_never_raises_out_of_another_node(message, data):
    """Valid JSON in the wrong shape: a stretch of the text replaced by an arbitrary value."""
    cluster_format, event = message
    text = event.payload.decode("utf-8", errors="replace")
    tokens = ["null", "1", "-1", '"x"', "[]", "{}", "true", "1.5", "1" + "0" * 400, "1e400"]
    replacement = data.draw(st.sampled_from(tokens))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    damaged = (text[:start] + replacement + text[end:]).encode("utf-8", errors="surrogatepass")
    b = _node(ClusterBus(), "b", cluster_format)
    SocketIOClient(b).connect()
    _server(b).receive_cluster_message(event.channel, damaged, 0.0)
    b.pump()
