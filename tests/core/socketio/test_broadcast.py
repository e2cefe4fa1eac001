"""Broadcasts: who they reach (rooms, exceptions, volatile), how they are encoded, their acks."""

from __future__ import annotations

import dataclasses

import pytest

from sio_core import BroadcastOptions, SocketServer
from sio_core.errors import LocalProtocolError
from sio_core.events import BroadcastAcksCollected
from sio_core.ids import CountingIds
from sio_core.socketio.packets import JsonParser
from sio_core.testing import Harness, SocketIOClient

PH0 = '{"_placeholder":true,"num":0}'


def _peers(new_peer, count):
    """``count`` connected peers, alternating WebSocket and polling, with their socket ids."""
    peers = [new_peer("websocket" if i % 2 == 0 else "polling") for i in range(count)]
    return peers, [p.connect() for p in peers]


def _reached(peers):
    """Which peers (by index) received something, reading every wire."""
    return [i for i, p in enumerate(peers) if p.wire()]


def _options(**fields):
    return BroadcastOptions(**{k: frozenset(v) for k, v in fields.items()})


def test_broadcast_reaches_every_socket_of_the_namespace(new_peer):
    peers, _ = _peers(new_peer, 3)
    peers[0].server.operations.broadcast("/", "news", [1, "two"])
    peers[0].harness.pump()
    assert [p.wire() for p in peers] == [['2["news",1,"two"]']] * 3


def test_broadcast_to_a_room_reaches_only_its_members(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[1], "a")
    server.operations.broadcast("/", "news", options=_options(rooms={"a"}))
    peers[0].harness.pump()
    assert _reached(peers) == [1]


def test_broadcast_to_several_rooms_reaches_the_union_once_each(new_peer):
    peers, ids = _peers(new_peer, 4)
    server = peers[0].server
    server.operations.join(ids[0], ["a", "b"])
    server.operations.join(ids[1], "a")
    server.operations.join(ids[2], "b")
    server.operations.broadcast("/", "news", options=_options(rooms={"a", "b"}))
    peers[0].harness.pump()
    assert [p.wire() for p in peers] == [['2["news"]']] * 3 + [[]]


def test_broadcast_except_rooms_removes_their_members(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[0], "a")
    server.operations.join(ids[1], ["a", "muted"])
    server.operations.broadcast("/", "news", options=_options(rooms={"a"}, except_rooms={"muted"}))
    peers[0].harness.pump()
    assert _reached(peers) == [0]


def test_broadcast_except_alone_reaches_everyone_else(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.join(ids[2], "muted")
    server.operations.broadcast("/", "news", options=_options(except_rooms={"muted"}))
    peers[0].harness.pump()
    assert _reached(peers) == [0, 1]


def test_broadcast_except_own_room_excludes_the_sender(new_peer):
    peers, ids = _peers(new_peer, 3)
    server = peers[0].server
    server.operations.broadcast("/", "news", options=_options(except_rooms={ids[1]}))
    peers[0].harness.pump()
    assert _reached(peers) == [0, 2]


def test_broadcast_to_sender_room_except_sender_reaches_nobody(new_peer):
    peers, ids = _peers(new_peer, 2)
    server = peers[0].server
    server.operations.broadcast(
        "/", "news", options=_options(rooms={ids[0]}, except_rooms={ids[0]})
    )
    peers[0].harness.pump()
    assert _reached(peers) == []


def test_broadcast_to_empty_room_reaches_nobody(new_peer):
    peers, _ = _peers(new_peer, 2)
    peers[0].server.operations.broadcast("/", "news", options=_options(rooms={"empty"}))
    peers[0].harness.pump()
    assert _reached(peers) == []


def test_broadcast_stays_in_its_namespace(new_peer):
    first, second = new_peer(), new_peer("polling")
    first.server.namespaces.add("/a")
    first.connect("/")
    second.connect("/a")
    first.server.operations.broadcast("/a", "news")
    first.harness.pump()
    assert first.wire() == []
    assert second.wire() == ['2/a,["news"]']


def test_broadcast_skips_pending_sockets(new_peer):
    first, second = new_peer(), new_peer("polling")
    first.connect()
    second.ask("/")
    first.server.operations.broadcast("/", "news")
    first.harness.pump()
    assert second.wire() == []
    assert first.wire() == ['2["news"]']


def test_broadcast_to_unknown_namespace_raises(server):
    with pytest.raises(LocalProtocolError):
        server.operations.broadcast("/nowhere", "news")


def test_volatile_broadcast_is_dropped_for_polling_client_without_held_get(new_peer):
    peer = new_peer("polling")
    peer.connect()
    peer.server.operations.broadcast("/", "news", options=BroadcastOptions(volatile=True))
    peer.harness.pump()
    assert peer.wire() == []


def test_volatile_broadcast_reaches_polling_client_with_held_get(new_peer):
    peer = new_peer("polling")
    peer.connect()
    peer.hold_get()
    peer.server.operations.broadcast("/", "news", options=BroadcastOptions(volatile=True))
    peer.harness.pump()
    assert peer.wire() == ['2["news"]']


def test_volatile_broadcast_reaches_websocket_client(new_peer):
    peer = new_peer("websocket")
    peer.connect()
    peer.server.operations.broadcast("/", "news", options=BroadcastOptions(volatile=True))
    peer.harness.pump()
    assert peer.wire() == ['2["news"]']


def test_volatile_broadcast_reaches_writable_recipients_only(new_peer):
    ws, polling = new_peer("websocket"), new_peer("polling")
    ws.connect()
    polling.connect()
    ws.server.operations.broadcast("/", "news", options=BroadcastOptions(volatile=True))
    ws.harness.pump()
    assert [ws.wire(), polling.wire()] == [['2["news"]'], []]


def test_broadcast_sends_identical_messages_to_every_recipient(new_peer):
    peers = [new_peer("websocket") for _ in range(3)]
    for p in peers:
        p.connect()
    peers[0].server.operations.broadcast("/", "news", [{"a": [1, 2]}, "é"])
    peers[0].harness.pump()
    sent = [p.io.engine.ws.sent for p in peers]
    assert sent == [['42["news",{"a":[1,2]},"é"]']] * 3


@dataclasses.dataclass
class _CountingParser:
    """The default parser, counting the packets it encodes (an injected parser is public API)."""

    inner: JsonParser = dataclasses.field(default_factory=JsonParser)
    encoded: list[object] = dataclasses.field(default_factory=list)

    def encode(self, packet):
        self.encoded.append(packet)
        return self.inner.encode(packet)

    def decoder(self):
        return self.inner.decoder()


def test_broadcast_is_encoded_once_for_all_recipients():
    parser = _CountingParser()
    harness = Harness(SocketServer(id_generator=CountingIds(), parser=parser))
    clients = [SocketIOClient(harness, transport=t) for t in ("websocket", "polling", "websocket")]
    for client in clients:
        client.connect()
    parser.encoded.clear()
    harness.core.operations.broadcast("/", "news", ["x"])
    assert len(parser.encoded) == 1


def test_binary_broadcast_sends_placeholder_then_attachment_to_each(new_peer):
    peers, _ = _peers(new_peer, 2)
    peers[0].server.operations.broadcast("/", "file", [{"name": "a", "content": b"\x00\x01\xff"}])
    peers[0].harness.pump()
    expected = [f'51-["file",{{"name":"a","content":{PH0}}}]', b"\x00\x01\xff"]
    assert [p.wire() for p in peers] == [expected, expected]


def test_broadcast_without_timeout_returns_none(new_peer):
    peers, _ = _peers(new_peer, 1)
    assert peers[0].server.operations.broadcast("/", "news") is None


def test_broadcast_with_timeout_asks_each_recipient_with_the_same_ack_id(new_peer):
    peers, _ = _peers(new_peer, 2)
    peers[0].server.operations.broadcast("/", "q", [1], timeout=5.0)
    peers[0].harness.pump()
    assert [p.wire() for p in peers] == [['20["q",1]'], ['20["q",1]']]


def test_broadcast_with_timeout_collects_every_answer(new_peer):
    peers, _ = _peers(new_peer, 2)
    harness = peers[0].harness
    broadcast_id = peers[0].server.operations.broadcast("/", "q", timeout=5.0)
    harness.pump()
    peers[1].io.ack(0, "second")
    assert not [e for e in harness.app_events if isinstance(e, BroadcastAcksCollected)]
    peers[0].io.ack(0, "first", 1)
    assert harness.app_events[-1] == BroadcastAcksCollected(
        broadcast_id=broadcast_id, responses=(("second",), ("first", 1)), timed_out=False
    )


def test_broadcast_with_timeout_times_out_with_partial_answers(new_peer):
    peers, _ = _peers(new_peer, 3)
    harness = peers[0].harness
    broadcast_id = peers[0].server.operations.broadcast("/", "q", timeout=5.0)
    harness.pump()
    peers[2].io.ack(0, "yes")
    harness.advance(4.9)
    assert not [e for e in harness.app_events if isinstance(e, BroadcastAcksCollected)]
    harness.advance(0.1)
    assert harness.app_events[-1] == BroadcastAcksCollected(
        broadcast_id=broadcast_id, responses=(("yes",),), timed_out=True
    )


def test_broadcast_answer_after_timeout_is_ignored(new_peer):
    peers, _ = _peers(new_peer, 1)
    harness = peers[0].harness
    peers[0].server.operations.broadcast("/", "q", timeout=5.0)
    harness.pump()
    harness.advance(5.0)
    collected = [e for e in harness.app_events if isinstance(e, BroadcastAcksCollected)]
    peers[0].io.ack(0, "late")
    after = [e for e in harness.app_events if isinstance(e, BroadcastAcksCollected)]
    assert after == collected
    assert len(after) == 1


def test_broadcast_with_timeout_and_no_recipient_collects_nothing_at_once(new_peer):
    peers, _ = _peers(new_peer, 1)
    broadcast_id = peers[0].server.operations.broadcast(
        "/", "q", options=_options(rooms={"x"}), timeout=5
    )
    peers[0].harness.pump()
    assert peers[0].harness.app_events[-1] == BroadcastAcksCollected(
        broadcast_id=broadcast_id, responses=(), timed_out=False
    )


def test_broadcast_with_timeout_waits_for_timeout_when_a_recipient_leaves(new_peer):
    peers, _ = _peers(new_peer, 2)
    harness = peers[0].harness
    broadcast_id = peers[0].server.operations.broadcast("/", "q", timeout=5.0)
    harness.pump()
    peers[0].io.ack(0, "here")
    peers[1].io.disconnect()
    assert not [e for e in harness.app_events if isinstance(e, BroadcastAcksCollected)]
    harness.advance(5.0)
    assert harness.app_events[-1] == BroadcastAcksCollected(
        broadcast_id=broadcast_id, responses=(("here",),), timed_out=True
    )


def test_broadcasts_with_timeout_get_distinct_ids(new_peer):
    peers, _ = _peers(new_peer, 1)
    first = peers[0].server.operations.broadcast("/", "q", timeout=5.0)
    second = peers[0].server.operations.broadcast("/", "q", timeout=5.0)
    assert first != second
