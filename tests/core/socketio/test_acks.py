"""Acknowledgements both ways: the client's ack ids surfaced, the server's awaited and ended."""

from __future__ import annotations

import pytest

from sio_core import AckAbandonReason, ack_value
from sio_core.errors import LocalProtocolError
from sio_core.events import AckAbandoned, AckReceived, EventReceived


def _acks(harness):
    return [e for e in harness.app_events if isinstance(e, AckReceived | AckAbandoned)]


def test_client_ack_id_is_surfaced_on_event_received(peer):
    socket_id = peer.connect()
    peer.io.emit("question", "x", ack_id=7)
    assert peer.harness.app_events[-1] == EventReceived(
        socket_id=socket_id, nsp="/", event="question", args=("x",), ack_id=7
    )


def test_event_without_ack_id_has_none(peer):
    peer.connect()
    peer.io.emit("note")
    assert peer.harness.app_events[-1].ack_id is None


def test_server_ack_sends_ack_packet(peer):
    socket_id = peer.connect()
    peer.io.emit("question", ack_id=7)
    peer.server.ack(socket_id, 7, ["answer", 42])
    peer.harness.pump()
    assert peer.wire() == ['37["answer",42]']


def test_server_ack_in_custom_namespace_is_prefixed(peer):
    peer.server.namespaces.add("/a")
    socket_id = peer.connect("/a")
    peer.io.emit("question", nsp="/a", ack_id=3)
    peer.server.ack(socket_id, 3)
    peer.harness.pump()
    assert peer.wire() == ["3/a,3[]"]


def test_server_ack_with_binary_sends_binary_ack(peer):
    socket_id = peer.connect()
    peer.io.emit("question", ack_id=1)
    peer.server.ack(socket_id, 1, [b"\x01\x02"])
    peer.harness.pump()
    assert peer.wire() == ['61-1[{"_placeholder":true,"num":0}]', b"\x01\x02"]


def test_acking_twice_raises(peer):
    socket_id = peer.connect()
    peer.io.emit("question", ack_id=7)
    peer.server.ack(socket_id, 7)
    with pytest.raises(LocalProtocolError):
        peer.server.ack(socket_id, 7)


def test_acking_an_id_never_asked_raises(peer):
    socket_id = peer.connect()
    peer.io.emit("note")
    with pytest.raises(LocalProtocolError):
        peer.server.ack(socket_id, 0)


def test_acking_for_another_socket_raises(peer):
    peer.server.namespaces.add("/a")
    peer.connect("/")
    other = peer.connect("/a")
    peer.io.emit("question", ack_id=7)
    with pytest.raises(LocalProtocolError):
        peer.server.ack(other, 7)


def test_server_emit_with_ack_sends_ack_id(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", [1], with_ack=True)
    peer.harness.pump()
    assert ack_id == 0
    assert peer.wire() == ['20["question",1]']


def test_server_emit_ack_ids_increase(peer):
    socket_id = peer.connect()
    ids = [peer.server.emit(socket_id, "q", with_ack=True) for _ in range(3)]
    assert ids == [0, 1, 2]


def test_server_emit_without_ack_returns_none(peer):
    socket_id = peer.connect()
    assert peer.server.emit(socket_id, "note") is None


def test_client_answer_becomes_ack_received(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True)
    peer.harness.pump()
    peer.io.ack(ack_id, "yes", {"n": 1})
    assert _acks(peer.harness) == [
        AckReceived(socket_id=socket_id, ack_id=ack_id, args=("yes", {"n": 1}))
    ]


def test_client_binary_answer_becomes_ack_received(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True)
    peer.harness.pump()
    peer.io.ack(ack_id, b"\xff")
    assert _acks(peer.harness) == [
        AckReceived(socket_id=socket_id, ack_id=ack_id, args=(b"\xff",))
    ]


def test_ack_timeout_abandons_with_reason_timeout(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True, timeout=5.0)
    peer.harness.pump()
    peer.harness.advance(4.9)
    assert _acks(peer.harness) == []
    peer.harness.advance(0.1)
    assert _acks(peer.harness) == [
        AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason="timeout")
    ]


def test_ack_without_timeout_waits_indefinitely(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True)
    peer.harness.pump()
    peer.harness.advance(20.0)
    assert _acks(peer.harness) == []
    peer.io.ack(ack_id)
    assert _acks(peer.harness) == [AckReceived(socket_id=socket_id, ack_id=ack_id, args=())]


def test_answer_before_timeout_cancels_the_timeout(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True, timeout=5.0)
    peer.harness.pump()
    peer.io.ack(ack_id, "ok")
    peer.harness.advance(10.0)
    assert _acks(peer.harness) == [AckReceived(socket_id=socket_id, ack_id=ack_id, args=("ok",))]


def test_socket_leaving_abandons_with_reason_disconnected(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True, timeout=5.0)
    peer.harness.pump()
    peer.io.disconnect()
    assert _acks(peer.harness) == [
        AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason="disconnected")
    ]


def test_abandoned_on_leave_does_not_time_out_later(peer):
    socket_id = peer.connect()
    peer.server.emit(socket_id, "question", with_ack=True, timeout=5.0)
    peer.harness.pump()
    peer.io.disconnect()
    peer.harness.advance(10.0)
    assert len(_acks(peer.harness)) == 1


def test_late_ack_after_timeout_is_ignored(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True, timeout=5.0)
    peer.harness.pump()
    peer.harness.advance(5.0)
    peer.io.ack(ack_id, "late")
    assert _acks(peer.harness) == [
        AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason="timeout")
    ]
    assert peer.server.is_connected(socket_id)


def test_second_answer_to_same_ack_is_ignored(peer):
    socket_id = peer.connect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True)
    peer.harness.pump()
    peer.io.ack(ack_id, 1)
    peer.io.ack(ack_id, 2)
    assert _acks(peer.harness) == [AckReceived(socket_id=socket_id, ack_id=ack_id, args=(1,))]


def test_answer_to_unknown_ack_id_is_ignored(peer):
    socket_id = peer.connect()
    peer.io.ack(99, "who?")
    assert _acks(peer.harness) == []
    assert peer.server.is_connected(socket_id)


def test_emit_with_ack_to_gone_socket_is_abandoned_at_once(peer):
    socket_id = peer.connect()
    peer.io.disconnect()
    ack_id = peer.server.emit(socket_id, "question", with_ack=True, timeout=5.0)
    peer.harness.pump()
    assert peer.wire() == []
    assert _acks(peer.harness) == [
        AckAbandoned(socket_id=socket_id, ack_id=ack_id, reason="disconnected")
    ]


def test_ack_to_gone_socket_is_dropped_silently(peer):
    """Node drops the answer of a socket that left (as ``emit`` does here): a handler that
    answers after an await must not fail because the client went away meanwhile."""
    socket_id = peer.connect()
    peer.io.emit("question", ack_id=4)
    peer.io.disconnect()
    peer.harness.pump()
    peer.wire()
    peer.server.ack(socket_id, 4, ["too late"])
    peer.harness.pump()
    assert peer.wire() == []


# -- what an answer is worth: one rule for one socket and for each broadcast entry ------------


def test_ack_value_of_an_empty_answer_is_none():
    assert ack_value(()) is None


def test_ack_value_of_one_argument_is_that_argument():
    assert ack_value(("yes",)) == "yes"


def test_ack_value_of_one_none_argument_is_none():
    assert ack_value((None,)) is None


def test_ack_value_of_several_arguments_is_their_tuple():
    assert ack_value(("yes", 2)) == ("yes", 2)


@pytest.mark.parametrize("reason", list(AckAbandonReason))
def test_ack_abandon_reason_equals_its_node_string(reason):
    assert reason == reason.value
    assert str(reason) == reason.value
