"""Engine.IO codec properties: lossless round-trips; garbage only raises RemoteProtocolError."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from sio_core.engineio._packets import (
    SEPARATOR,
    Packet,
    PacketType,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
)
from sio_core.errors import RemoteProtocolError
from tests.strategies import blobs

text_packets = st.builds(Packet, st.sampled_from(PacketType), st.text())
binary_packets = st.builds(Packet, st.just(PacketType.MESSAGE), blobs())
packets = text_packets | binary_packets
# Long-polling cannot carry the separator inside a text packet (encode_payload refuses it).
polling_packets = (
    st.builds(Packet, st.sampled_from(PacketType), st.text().filter(lambda t: SEPARATOR not in t))
    | binary_packets
)


@given(packets)
def test_websocket_packet_round_trips(packet: Packet) -> None:
    assert decode_packet(encode_packet(packet)) == packet


@given(st.lists(polling_packets, min_size=1))
def test_polling_payload_round_trips(packets_: list[Packet]) -> None:
    assert decode_payload(encode_payload(packets_)) == packets_


@given(st.lists(polling_packets, min_size=1))
def test_polling_payload_round_trips_through_utf8(packets_: list[Packet]) -> None:
    assert decode_payload(encode_payload(packets_).encode("utf-8")) == packets_


@given(st.text() | blobs())
def test_garbage_packet_only_raises_remote_protocol_error(message: str | bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        decode_packet(message)


@given(st.text() | blobs())
def test_garbage_payload_only_raises_remote_protocol_error(body: str | bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        decode_payload(body)


@given(st.lists(st.sampled_from(["4", "b", "2", "\x1e", "AQ", "=", "é", "-", "0"])).map("".join))
def test_near_miss_payload_only_raises_remote_protocol_error(body: str) -> None:
    with contextlib.suppress(RemoteProtocolError):
        decode_payload(body)
