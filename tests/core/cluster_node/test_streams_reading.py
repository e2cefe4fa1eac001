"""How a node on the Redis Streams format reads its stream: where it starts, what it skips, and
what it does with entries that are not what they should be. Replies are fed by hand."""

from __future__ import annotations

import pytest
from cluster_nodes import Node, received

from sio_core import BroadcastOptions, SocketServer
from sio_core.cluster import Broadcast, RedisStreamsFormat, Selection
from sio_core.cluster.stream_commands import StreamRead
from sio_core.errors import LocalProtocolError
from sio_core.events import ClusterCommand, ClusterMessageRejected
from sio_core.ids import CountingIds
from sio_core.testing import ClusterBus

STREAMS = RedisStreamsFormat(stream_name="s", read_count=10, block_time=2.0)


@pytest.fixture
def node() -> Node:
    node = Node(ClusterBus(), "n", STREAMS)
    node.bus.detach(node.harness)  # its reads and commands are the test's to run
    return node


def entry(n: int, *, nsp: str = "/", uid: str = "z") -> list[object]:
    fields = STREAMS.codec(nsp).entry(
        Broadcast(uid=uid, nsp=nsp, event="n", args=(n,), selection=Selection())
    )
    return [f"{n}-0".encode(), [part.encode() for field in fields.fields for part in field]]


def read(node: Node, reply: object, step: StreamRead | None = None) -> None:
    step = step or node.server.next_stream_read()
    node.server.receive_stream_read(step, reply, 0.0)
    node.harness.pump()


def test_a_new_reader_starts_after_the_last_entry():
    server = SocketServer(id_generator=CountingIds(), node_id="n", cluster_format=STREAMS)
    first = server.next_stream_read()
    assert (first.command, first.after, first.block) == (
        (b"XREVRANGE", b"s", b"+", b"-", b"COUNT", b"1"),
        None,
        0.0,
    )
    server.receive_stream_read(first, [[b"41-3", [b"uid", b"z"]]], 0.0)
    assert server.next_stream_read() == StreamRead(
        command=(b"XREAD", b"COUNT", b"10", b"BLOCK", b"2000", b"STREAMS", b"s", b"41-3"),
        after="41-3",
        block=2.0,
    )


def test_on_an_empty_stream_the_reader_starts_at_the_beginning():
    server = SocketServer(id_generator=CountingIds(), node_id="n", cluster_format=STREAMS)
    server.receive_stream_read(server.next_stream_read(), [], 0.0)
    assert server.next_stream_read().after == "0-0"


def test_entries_are_delivered_in_order_and_the_reader_moves_past_them(node):
    client, _ = node.client()
    read(node, [])
    read(node, {b"s": [entry(1), entry(2)]})
    assert received(client) == [["n", 1], ["n", 2]]
    assert node.server.next_stream_read().after == "2-0"


def test_a_reply_to_a_read_that_is_no_longer_current_is_ignored(node):
    client, _ = node.client()
    read(node, [])
    stale = node.server.next_stream_read()
    read(node, {b"s": [entry(1)]})
    read(node, {b"s": [entry(1)]}, stale)  # run twice: nothing twice
    assert received(client) == [["n", 1]]


def test_this_node_s_own_entries_are_not_delivered_again_without_recovery(node):
    client, _ = node.client()
    read(node, [])
    node.ops.broadcast("/", "n", [1])
    read(node, {b"s": [entry(1, uid="n")]})
    assert received(client) == [["n", 1]]  # once, when it was broadcast


def test_entries_of_a_namespace_this_node_lacks_are_ignored(node):
    read(node, [])
    read(node, {b"s": [entry(1, nsp="/elsewhere")]})
    assert node.events_of(ClusterMessageRejected) == []
    assert node.server.next_stream_read().after == "1-0"


def test_an_unreadable_entry_is_rejected_and_the_reader_goes_past_it(node):
    client, _ = node.client()
    read(node, [])
    garbage = [b"1-0", [b"uid", b"z", b"nsp", b"/", b"type", b"3", b"data", b"{oops"]]
    not_text = [b"2-0", [b"nsp", b"\xff"]]
    read(node, {b"s": [garbage, not_text, entry(3)]})
    reasons = [event.reason for event in node.events_of(ClusterMessageRejected)]
    assert len(reasons) == 2
    assert reasons[0].startswith("entry 1-0: invalid JSON")
    assert received(client) == [["n", 3]]


def test_a_read_reply_of_the_wrong_shape_is_rejected_and_read_again(node):
    read(node, [])
    step = node.server.next_stream_read()
    read(node, b"OK", step)
    (rejected,) = node.events_of(ClusterMessageRejected)
    assert rejected.reason.startswith("stream read:")
    assert node.server.next_stream_read() == step


def test_a_durable_operation_is_appended_without_waiting_for_a_reply(node):
    node.ops.sockets_join("/", BroadcastOptions(), "room")
    (append,) = node.events_of(ClusterCommand)
    assert append.command[:6] == (b"XADD", b"s", b"MAXLEN", b"~", b"10000", b"*")
    assert append.ticket is None


def test_a_server_on_another_format_has_no_stream():
    server = SocketServer(id_generator=CountingIds(), node_id="n")
    with pytest.raises(LocalProtocolError, match="Redis Streams"):
        server.next_stream_read()
    with pytest.raises(LocalProtocolError, match="Redis Streams"):
        server.receive_command_reply(1, b"OK", 0.0)
