"""Heartbeat bookkeeping: who else is in the cluster, driven by ``now`` alone."""

from __future__ import annotations

import pytest

from sio_core.cluster import (
    AdapterClose,
    Broadcast,
    BroadcastAck,
    Heartbeat,
    InitialHeartbeat,
    LeaveReason,
    Membership,
    NodeJoined,
    NodeLeft,
)
from sio_core.errors import LocalProtocolError

ME = "aaaaaaaaaaaaaaaa"
PEER = "bbbbbbbbbbbbbbbb"
OTHER = "cccccccccccccccc"


def _started(now: float = 0.0) -> Membership:
    membership = Membership(ME, "/")
    membership.start(now)
    membership.messages_to_send()
    return membership


def test_starting_announces_the_node_with_an_initial_heartbeat() -> None:
    membership = Membership(ME, "/")
    membership.start(0.0)
    assert membership.messages_to_send() == [InitialHeartbeat(uid=ME, nsp="/")]


def test_a_heartbeat_goes_out_five_seconds_after_the_last_publication() -> None:
    membership = _started(now=0.0)
    assert membership.next_deadline() == 5.0
    membership.handle_timeout(4.9)
    assert membership.messages_to_send() == []
    membership.handle_timeout(5.0)
    assert membership.messages_to_send() == [Heartbeat(uid=ME, nsp="/")]
    assert membership.next_deadline() == 10.0


def test_publishing_anything_postpones_the_heartbeat() -> None:
    membership = _started(now=0.0)
    membership.published(3.0)
    assert membership.next_deadline() == 8.0
    membership.handle_timeout(5.0)
    assert membership.messages_to_send() == []


def test_an_initial_heartbeat_from_another_node_is_answered_at_once() -> None:
    membership = _started(now=0.0)
    membership.received(InitialHeartbeat(uid=PEER, nsp="/"), 2.0)
    assert membership.messages_to_send() == [Heartbeat(uid=ME, nsp="/")]
    assert membership.events() == [NodeJoined(uid=PEER)]
    assert membership.server_count() == 2


def test_any_message_from_another_node_makes_it_count() -> None:
    membership = _started()
    membership.received(Broadcast(uid=PEER, nsp="/", event="ev"), 1.0)
    membership.received(BroadcastAck(uid=OTHER, nsp="/", request_id="r"), 1.5)
    assert membership.nodes == (PEER, OTHER)
    assert membership.server_count() == 3
    assert membership.messages_to_send() == []


@pytest.mark.parametrize(
    "message",
    [
        Heartbeat(uid=ME, nsp="/"),
        Heartbeat(uid="emitter", nsp="/"),
        Heartbeat(uid=None, nsp="/"),
        Heartbeat(uid=PEER, nsp="/chat"),
    ],
)
def test_ourselves_the_emitter_anonymous_and_other_namespaces_never_count(
    message: Heartbeat,
) -> None:
    membership = _started()
    membership.received(message, 1.0)
    assert membership.server_count() == 1
    assert membership.events() == []


def test_a_node_silent_for_ten_seconds_is_gone() -> None:
    membership = _started(now=0.0)
    membership.received(Heartbeat(uid=PEER, nsp="/"), 1.0)
    membership.events()
    membership.published(100.0)  # keep our own heartbeat out of the way
    assert membership.next_deadline() == 11.0
    membership.handle_timeout(10.9)
    assert membership.nodes == (PEER,)
    membership.handle_timeout(11.0)
    assert membership.events() == [NodeLeft(uid=PEER, reason=LeaveReason.TIMED_OUT)]
    assert membership.server_count() == 1


def test_each_message_restarts_a_nodes_silence() -> None:
    membership = _started(now=0.0)
    membership.received(Heartbeat(uid=PEER, nsp="/"), 1.0)
    membership.received(Heartbeat(uid=OTHER, nsp="/"), 2.0)
    membership.received(Heartbeat(uid=PEER, nsp="/"), 6.0)
    membership.published(100.0)
    assert membership.next_deadline() == 12.0
    assert membership.nodes == (OTHER, PEER)
    membership.handle_timeout(12.0)
    assert membership.nodes == (PEER,)


def test_adapter_close_forgets_the_node_at_once() -> None:
    membership = _started()
    membership.received(Heartbeat(uid=PEER, nsp="/"), 1.0)
    membership.received(AdapterClose(uid=PEER, nsp="/"), 2.0)
    assert membership.events() == [
        NodeJoined(uid=PEER),
        NodeLeft(uid=PEER, reason=LeaveReason.CLOSED),
    ]
    assert membership.server_count() == 1


def test_adapter_close_from_an_unknown_node_changes_nothing() -> None:
    membership = _started()
    membership.received(AdapterClose(uid=PEER, nsp="/"), 2.0)
    assert membership.events() == []


def test_closing_says_goodbye_and_stops_every_timer() -> None:
    membership = _started()
    membership.received(Heartbeat(uid=PEER, nsp="/"), 1.0)
    membership.close()
    assert membership.messages_to_send() == [AdapterClose(uid=ME, nsp="/")]
    assert membership.next_deadline() is None
    membership.received(InitialHeartbeat(uid=OTHER, nsp="/"), 2.0)
    assert membership.messages_to_send() == []
    assert membership.server_count() == 1


def test_before_starting_nodes_are_counted_but_nothing_is_sent() -> None:
    membership = Membership(ME, "/")
    membership.received(InitialHeartbeat(uid=PEER, nsp="/"), 1.0)
    assert membership.messages_to_send() == []
    assert membership.server_count() == 2
    assert membership.next_deadline() == 11.0


def test_before_starting_publishing_arms_no_heartbeat_and_closing_says_nothing() -> None:
    membership = Membership(ME, "/")
    membership.published(1.0)
    assert membership.next_deadline() is None
    membership.close()
    assert membership.messages_to_send() == []


def test_starting_twice_is_a_mistake() -> None:
    membership = _started()
    with pytest.raises(LocalProtocolError, match="already started"):
        membership.start(1.0)


def test_intervals_are_configurable_as_in_node() -> None:
    membership = Membership(ME, "/", heartbeat_interval=1.0, heartbeat_timeout=3.0)
    membership.start(0.0)
    membership.received(Heartbeat(uid=PEER, nsp="/"), 0.5)
    assert membership.next_deadline() == 1.0
    membership.handle_timeout(3.5)
    assert membership.nodes == ()
    assert membership.messages_to_send()[-1] == Heartbeat(uid=ME, nsp="/")


@pytest.mark.parametrize(("interval", "timeout"), [(0.0, 10.0), (5.0, -1.0)])
def test_non_positive_intervals_are_refused(interval: float, timeout: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Membership(ME, "/", heartbeat_interval=interval, heartbeat_timeout=timeout)


def test_two_nodes_find_each_other_through_their_messages() -> None:
    first, second = Membership(PEER, "/"), Membership(OTHER, "/")
    first.start(0.0)
    second.start(1.0)
    for message in second.messages_to_send():
        first.received(message, 1.0)
    for message in first.messages_to_send():
        second.received(message, 1.0)
    assert (first.nodes, second.nodes) == ((OTHER,), (PEER,))
