"""The two Redis formats: Node's options and defaults, and the per-namespace codecs they make."""

from __future__ import annotations

import dataclasses

import pytest

from sio_core.cluster import (
    Broadcast,
    ClassicCodec,
    ClassicRedisFormat,
    Selection,
    ShardedCodec,
    ShardedRedisFormat,
    SubscriptionMode,
)


def test_the_classic_format_has_nodes_defaults():
    fmt = ClassicRedisFormat()
    assert (fmt.key, fmt.publish_on_specific_response_channel, fmt.sharded) == (
        "socket.io",
        False,
        False,
    )


def test_the_sharded_format_has_nodes_defaults():
    fmt = ShardedRedisFormat()
    assert (fmt.channel_prefix, fmt.subscription_mode, fmt.sharded) == (
        "socket.io",
        SubscriptionMode.DYNAMIC,
        True,
    )


@pytest.mark.parametrize("mode", ["static", "dynamic", "dynamic-private"])
def test_the_subscription_mode_may_be_given_as_nodes_string(mode):
    assert ShardedRedisFormat(subscription_mode=mode).subscription_mode is SubscriptionMode(mode)


def test_an_unknown_subscription_mode_is_refused():
    with pytest.raises(ValueError, match="dynamic-public"):
        ShardedRedisFormat(subscription_mode="dynamic-public")


def test_a_format_is_a_frozen_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ClassicRedisFormat().key = "other"  # type: ignore[misc]
    assert ShardedRedisFormat(channel_prefix="x") == ShardedRedisFormat(channel_prefix="x")


def test_the_classic_codec_carries_the_formats_options():
    codec = ClassicRedisFormat(key="k", publish_on_specific_response_channel=True).codec("/chat")
    assert isinstance(codec, ClassicCodec)
    assert (codec.nsp, codec.channels.key, codec.publish_on_specific_response_channel) == (
        "/chat",
        "k",
        True,
    )


def test_the_sharded_codec_carries_the_formats_options():
    codec = ShardedRedisFormat(channel_prefix="p", subscription_mode="static").codec("/chat")
    assert isinstance(codec, ShardedCodec)
    assert (codec.nsp, codec.channels.prefix, codec.channels.mode) == (
        "/chat",
        "p",
        SubscriptionMode.STATIC,
    )


def test_the_classic_nodes_are_counted_on_the_request_channel():
    fmt = ClassicRedisFormat(key="k")
    assert fmt.count_channel("/chat") == fmt.codec("/chat").count_channel == "k-request#/chat#"


def test_the_sharded_nodes_are_counted_on_the_main_channel():
    fmt = ShardedRedisFormat(channel_prefix="p")
    assert fmt.count_channel("/chat") == fmt.codec("/chat").count_channel == "p#/chat#"


@pytest.mark.parametrize(
    ("channel", "owned"),
    [
        ("socket.io#/#", True),
        ("socket.io#/#room1#", True),
        ("socket.io-request#/#", True),
        ("socket.io-response#/#", True),
        ("socket.io-response#/#abc#", True),
        ("socket.io#/chat#", False),
        ("socket.io-request#/chat#", False),
        ("socket.io#/#room1", False),
        ("other#/#", False),
    ],
)
def test_a_classic_codec_owns_its_namespaces_channels_only(channel, owned):
    assert ClassicRedisFormat().codec("/").owns(channel) is owned


@pytest.mark.parametrize(
    ("channel", "owned"),
    [
        ("socket.io#/#", True),
        ("socket.io#/#room1#", True),
        ("socket.io#/#cccf29d82a9307c6#", True),
        ("socket.io#/chat#", False),
        ("socket.io-request#/#", False),
        ("socket.io#/#room1", False),
    ],
)
def test_a_sharded_codec_owns_its_namespaces_channels_only(channel, owned):
    assert ShardedRedisFormat().codec("/").owns(channel) is owned


def test_only_a_classic_room_channel_names_a_room_to_filter_on():
    classic, sharded = ClassicRedisFormat().codec("/"), ShardedRedisFormat().codec("/")
    assert classic.room_filter("socket.io#/#room1#") == "room1"
    assert classic.room_filter("socket.io#/#") is None
    assert classic.room_filter("socket.io-request#/#") is None
    assert sharded.room_filter("socket.io#/#room1#") is None


@pytest.mark.parametrize(
    ("mode", "room", "is_socket_id", "channel"),
    [
        ("dynamic", "room1", False, "socket.io#/#room1#"),
        ("dynamic", "p7DzbTA2DHtq9Ad-AAAB", True, None),
        ("dynamic-private", "p7DzbTA2DHtq9Ad-AAAB", True, "socket.io#/#p7DzbTA2DHtq9Ad-AAAB#"),
        ("static", "room1", False, None),
    ],
)
def test_a_sharded_room_gets_a_channel_as_the_mode_says(mode, room, is_socket_id, channel):
    codec = ShardedRedisFormat(subscription_mode=mode).codec("/")
    assert codec.room_channel(room, is_socket_id=is_socket_id) == channel


def test_a_classic_room_never_gets_a_channel_of_its_own_to_subscribe():
    codec = ClassicRedisFormat().codec("/")
    assert codec.room_channel("room1", is_socket_id=False) is None


def test_both_codecs_read_a_message_with_its_channel_and_give_their_subscriptions():
    message = Broadcast(uid="n1", nsp="/", event="e", selection=Selection(rooms=("r",)))
    for fmt in (ClassicRedisFormat(), ShardedRedisFormat()):
        codec = fmt.codec("/")
        publication = codec.encode(message)
        assert codec.read(publication.channel, publication.payload).event == "e"
        assert codec.subscriptions("n1").sharded is fmt.sharded is codec.sharded
