"""msgpack parser properties: lossless round-trips; garbage only raises RemoteProtocolError."""

from __future__ import annotations

import contextlib
from typing import Any

import msgpack
from hypothesis import given
from hypothesis import strategies as st

from sio_core.errors import RemoteProtocolError
from sio_core.socketio._notepack import unpack
from sio_core.socketio.msgpack_parser import MsgpackDecoder, encode
from sio_core.socketio.packets import RESERVED_EVENTS, Packet, PacketType
from tests.strategies import blobs

# Strings msgpack carries: valid UTF-8, so no lone surrogates.
texts = st.text(st.characters(codec="utf-8"))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | texts
    | blobs(max_size=16)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
namespaces = st.just("/") | st.from_regex(r"\A/[a-zA-Z0-9_\-/.é€]{0,12}\Z")
ack_ids = st.integers(min_value=0, max_value=2**53 - 1)
event_names = (
    texts.filter(lambda name: name not in RESERVED_EVENTS)
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
)
maps = st.dictionaries(texts, values, max_size=4)

packets = (
    st.builds(
        Packet,
        st.just(PacketType.EVENT),
        namespaces,
        st.builds(lambda name, args: [name, *args], event_names, st.lists(values, max_size=4)),
        st.none() | ack_ids,
    )
    | st.builds(Packet, st.just(PacketType.ACK), namespaces, st.lists(values, max_size=4), ack_ids)
    | st.builds(Packet, st.just(PacketType.CONNECT), namespaces, st.none() | maps)
    | st.builds(Packet, st.just(PacketType.DISCONNECT), namespaces)
    | st.builds(Packet, st.just(PacketType.CONNECT_ERROR), namespaces, texts | maps)
)


def decode_only_raising_remote_errors(message: bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        MsgpackDecoder().feed(message)


@given(packets)
def test_packet_round_trips(packet: Packet) -> None:
    assert MsgpackDecoder().feed(encode(packet)) == packet


@given(packets)
def test_the_encoding_is_one_map_of_the_packets_keys_and_never_nil(packet: Packet) -> None:
    fields = msgpack.unpackb(encode(packet), raw=False)
    assert set(fields) <= {"type", "data", "id", "nsp"}
    assert None not in (fields.get("data", ...), fields.get("id", ...))


@given(st.dictionaries(texts, values, max_size=6) | values)
def test_the_reader_reads_what_pythons_msgpack_writes(value: Any) -> None:
    assert unpack(msgpack.packb(value, use_bin_type=True), max_depth=100) == value


@given(blobs(max_size=64))
def test_garbage_only_raises_remote_protocol_error(message: bytes) -> None:
    decode_only_raising_remote_errors(message)


notepack_fragments = st.sampled_from(
    [
        b"\x80", b"\x81", b"\x84", b"\x90", b"\x91", b"\x9f", b"\xa0", b"\xa1", b"\xa4type",
        b"\xa4data", b"\xa3nsp", b"\xa2id", b"\xa7options", b"\xa1/", b"\x00", b"\x02", b"\x05",
        b"\xc0", b"\xc1", b"\xc2", b"\xc3", b"\xc4\x01", b"\xc7\x01\x00", b"\xc7\x08\x00",
        b"\xcb", b"\xcf", b"\xd3", b"\xd4\x00\x00", b"\xd4\x01", b"\xd7\x00", b"\xd7\x7f",
        b"\xdc\xff\xff", b"\xdd\xff\xff\xff\xff", b"\xde\x00\x01", b"\xdf\xff\xff\xff\xff",
        b"\xed\xa0\x80", b"\xff",
    ]
)  # fmt: skip
near_misses = st.lists(notepack_fragments, max_size=16).map(b"".join)


@given(near_misses)
def test_near_miss_messages_only_raise_remote_protocol_error(message: bytes) -> None:
    decode_only_raising_remote_errors(message)


@given(packets, st.integers(min_value=0, max_value=80), blobs(max_size=4), st.booleans())
def test_mangled_encoding_only_raises_remote_protocol_error(
    packet: Packet, cut: int, noise: bytes, drop: bool
) -> None:
    message = encode(packet)
    tail = message[cut + 1 :] if drop else message[cut:]
    decode_only_raising_remote_errors(message[:cut] + noise + tail)


@given(st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.integers(-(2**63), 2**64 - 1) | texts, inner, max_size=3), max_leaves=8,
))  # fmt: skip
def test_any_msgpack_value_only_raises_remote_protocol_error(value: Any) -> None:
    decode_only_raising_remote_errors(msgpack.packb(value, use_bin_type=True))
