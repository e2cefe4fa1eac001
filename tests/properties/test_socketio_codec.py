"""Socket.IO codec properties: lossless round-trips; garbage only raises RemoteProtocolError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sio_core.errors import RemoteProtocolError
from sio_core.socketio.packets import (
    RESERVED_EVENTS,
    Decoder,
    Packet,
    PacketType,
    _dump_plain,
    encode,
)
from tests.strategies import blobs

# Any text, lone surrogates included: the codec escapes them as JSON.stringify does.
texts = st.text(st.characters(codec=None, categories=None))
# A dict holding "_placeholder" would be read back as an attachment in a binary packet, on
# purpose (Node does the same), so generated objects avoid that one key.
keys = texts.filter(lambda key: key != "_placeholder")
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)


def json_values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )


plain_values = json_values(json_scalars)
binary_values = json_values(json_scalars | blobs(max_size=16))
namespaces = st.just("/") | st.from_regex(r"\A/[a-zA-Z0-9_\-/.é€]{0,12}\Z")
ack_ids = st.integers(min_value=0, max_value=2**53 - 1)
event_names = (
    texts.filter(lambda name: name not in RESERVED_EVENTS)
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
)

events = st.builds(
    Packet,
    st.just(PacketType.EVENT),
    namespaces,
    st.builds(lambda name, args: [name, *args], event_names, st.lists(binary_values, max_size=4)),
    st.none() | ack_ids,
)
acks = st.builds(
    Packet, st.just(PacketType.ACK), namespaces, st.lists(binary_values, max_size=4), ack_ids
)
connects = st.builds(
    Packet,
    st.just(PacketType.CONNECT),
    namespaces,
    st.none() | st.dictionaries(keys, plain_values, max_size=4),
)
disconnects = st.builds(Packet, st.just(PacketType.DISCONNECT), namespaces)
connect_errors = st.builds(
    Packet,
    st.just(PacketType.CONNECT_ERROR),
    namespaces,
    texts | st.dictionaries(keys, plain_values, max_size=4),
)
packets = events | acks | connects | disconnects | connect_errors


def decode_all(decoder: Decoder, messages: list[str | bytes]) -> list[Packet | None]:
    return [decoder.feed(message) for message in messages]


@given(packets)
def test_packet_round_trips(packet: Packet) -> None:
    *waiting, last = decode_all(Decoder(max_attachments=1000), encode(packet))
    assert waiting == [None] * len(waiting)
    assert last == packet


@given(st.lists(packets, max_size=5))
def test_packet_sequence_round_trips_through_one_decoder(sequence: list[Packet]) -> None:
    decoder = Decoder(max_attachments=1000)
    decoded = [decode_all(decoder, encode(packet))[-1] for packet in sequence]
    assert decoded == sequence


@given(packets)
def test_encoded_text_is_valid_utf8(packet: Packet) -> None:
    text = encode(packet)[0]
    assert isinstance(text, str)
    assert text.encode("utf-8").decode("utf-8") == text


@given(st.lists(texts | blobs(), max_size=6))
def test_garbage_only_raises_remote_protocol_error(messages: list[str | bytes]) -> None:
    decoder = Decoder()
    for message in messages:
        with contextlib.suppress(RemoteProtocolError):
            decoder.feed(message)


wire_fragments = st.sampled_from(
    [
        "0", "1", "2", "3", "4", "5", "6", "1-", "99-", "-", "/", "/admin", ",", "12",
        "[", "]", "{", "}", '"a"', ":", '"_placeholder"', "true", "null", "0.5", "1e999", "NaN",
        '{"_placeholder":true,"num":0}', '{"_placeholder":true,"num":1}', '"disconnect"', " ",
        "\\u0000", "\\ud800", "é", "\x00",
    ]
)  # fmt: skip
near_misses = st.lists(wire_fragments, max_size=12).map("".join)


@given(st.lists(near_misses | blobs(max_size=3), max_size=6))
def test_near_miss_wire_only_raises_remote_protocol_error(messages: list[str | bytes]) -> None:
    decoder = Decoder()
    for message in messages:
        with contextlib.suppress(RemoteProtocolError):
            decoder.feed(message)


@given(packets, st.integers(min_value=0, max_value=60), texts)
def test_mangled_encoding_only_raises_remote_protocol_error(
    packet: Packet, cut: int, noise: str
) -> None:
    text, *attachments = encode(packet)
    assert isinstance(text, str)
    decoder = Decoder(max_attachments=1000)
    for message in [text[:cut] + noise + text[cut:], *attachments]:
        with contextlib.suppress(RemoteProtocolError):
            decoder.feed(message)


# Long strings, ASCII or not, most of them with nothing to escape: the shortcut's own cases.
long_texts = st.builds(
    lambda head, filler, tail: head + filler * 600 + tail,
    texts.filter(lambda text: len(text) < 4),
    st.sampled_from(["x", "ab", "é", '"', "\\", "\n", "\x7f", "\x00"]),
    texts.filter(lambda text: len(text) < 4),
)


@given(st.lists(long_texts | json_scalars, max_size=4))
def test_a_long_plain_string_is_encoded_as_the_json_encoder_would(args: list[Any]) -> None:
    expected = json.dumps(args, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert _dump_plain(args) == expected
