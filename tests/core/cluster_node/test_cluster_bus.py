"""The in-memory Redis of sio_core.testing: channels, patterns, shard channels and counts."""

from __future__ import annotations

import pytest
from cluster_nodes import Node

from sio_core._cluster_bus import pattern_matches
from sio_core.cluster import ClassicRedisFormat, ShardedRedisFormat
from sio_core.events import ClusterMessageRejected, ClusterSubscribe, ClusterUnsubscribe


@pytest.mark.parametrize(
    ("glob", "channel", "matches"),
    [
        ("socket.io#/#*", "socket.io#/#", True),
        ("socket.io#/#*", "socket.io#/#room1#", True),
        ("socket.io#/#*", "socket.io#/chat#", False),
        ("socket.io#/#*", "socket.io-request#/#", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a[b]c", "abc", False),  # only * and ? are special here
        ("a[b]c", "a[b]c", True),
        ("*", "anything\nat all", True),
    ],
)
def test_a_pattern_matches_as_psubscribe_does(glob, channel, matches):
    assert pattern_matches(glob, channel) is matches


def test_numsub_counts_channel_subscribers_not_patterns(bus):
    Node(bus, "a", ClassicRedisFormat()), Node(bus, "b", ClassicRedisFormat())
    assert bus.numsub("socket.io-request#/#") == 2
    assert bus.numsub("socket.io-response#/#a#") == 1
    assert bus.numsub("socket.io#/#") == 0  # heard through a pattern only
    assert bus.shardnumsub("socket.io-request#/#") == 0


def test_shardnumsub_counts_shard_channel_subscribers(bus):
    Node(bus, "a", ShardedRedisFormat()), Node(bus, "b", ShardedRedisFormat())
    assert (bus.shardnumsub("socket.io#/#"), bus.numsub("socket.io#/#")) == (2, 0)


def test_peers_is_the_count_minus_this_node(bus):
    a = Node(bus, "a", ShardedRedisFormat())
    assert a.peers() == 0
    Node(bus, "b", ShardedRedisFormat())
    Node(bus, "c", ShardedRedisFormat())
    assert a.peers() == 2


def test_a_message_reaches_its_publisher_too(bus):
    a = Node(bus, "a", ClassicRedisFormat())
    a.ops.broadcast("/", "hi")
    assert bus.flush() == 1
    assert bus.delivered == 1


def test_a_message_is_delivered_once_per_matching_subscription(bus):
    a = Node(bus, "a", ClassicRedisFormat())
    a.harness.app_events.append(ClusterSubscribe(channels=("socket.io#/#",)))
    a.ops.broadcast("/", "hi")
    assert bus.flush() == 2  # the channel and the pattern, as Redis does


def test_shard_channels_and_plain_channels_are_apart(bus):
    classic = Node(bus, "a", ClassicRedisFormat())
    sharded = Node(bus, "b", ShardedRedisFormat())
    classic.harness.app_events.append(ClusterSubscribe(channels=("socket.io#/#",)))
    sharded.ops.broadcast("/", "hi")  # SPUBLISH socket.io#/#
    assert bus.flush() == 1  # the sharded node hears its own SPUBLISH; SUBSCRIBE hears none
    classic.ops.broadcast("/", "hi")  # PUBLISH socket.io#/#
    assert bus.flush() == 2  # the classic node's channel and pattern; no shard subscriber
    assert [p.sharded for p in bus.published] == [True, False]


def test_an_unsubscribed_channel_is_heard_no_more(bus):
    a, b = Node(bus, "a", ClassicRedisFormat()), Node(bus, "b", ClassicRedisFormat())
    b.harness.app_events.append(ClusterUnsubscribe(patterns=("socket.io#/#*",)))
    a.ops.broadcast("/", "hi")
    assert bus.flush() == 1  # a alone


def test_a_muted_node_is_counted_but_hears_and_says_nothing(bus):
    a, b = Node(bus, "a", ClassicRedisFormat()), Node(bus, "b", ClassicRedisFormat())
    bus.mute(b.harness)
    assert a.peers() == 1
    b.ops.broadcast("/", "lost")
    a.ops.broadcast("/", "heard by a only")
    assert bus.flush() == 1
    bus.mute(b.harness, False)
    b.ops.broadcast("/", "back")
    assert bus.flush() == 2


def test_a_message_in_flight_to_a_node_muted_since_is_lost(bus):
    a, b = Node(bus, "a", ClassicRedisFormat()), Node(bus, "b", ClassicRedisFormat())
    a.ops.broadcast("/", "hi")
    assert a.peers() == 1  # reading the counts takes the message, addressed to a and b
    bus.mute(b.harness)
    assert bus.flush() == 1


def test_a_detached_node_is_not_counted_and_hears_nothing(bus):
    a, b = Node(bus, "a", ShardedRedisFormat()), Node(bus, "b", ShardedRedisFormat())
    bus.detach(b.harness)
    assert a.peers() == 0
    a.ops.broadcast("/", "hi")
    assert bus.flush() == 1
    with pytest.raises(ValueError, match="not attached"):
        bus.mute(b.harness)


def test_flush_refuses_to_go_on_forever(bus):
    a, _ = Node(bus, "a", ShardedRedisFormat()), Node(bus, "b", ShardedRedisFormat())
    a.ops.request_fetch_sockets("/", peers=1)  # the request, then its answer: two rounds
    with pytest.raises(RuntimeError, match="kept coming"):
        bus.flush(max_rounds=1)


def test_the_bus_carries_garbage_as_redis_would(bus):
    a = Node(bus, "a", ShardedRedisFormat())
    a.server.receive_cluster_message("socket.io#/#", b"\x00", 0.0)
    assert len(a.events_of(ClusterMessageRejected)) == 1
