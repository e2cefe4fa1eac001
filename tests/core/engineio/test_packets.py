"""The Engine.IO v4 codec, checked against the wire strings of engine.io-protocol."""

from __future__ import annotations

import pytest

from sio_core.engineio._packets import (
    Packet,
    PacketType,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
)
from sio_core.errors import (
    DisconnectReason,
    LocalProtocolError,
    RemoteProtocolError,
)


@pytest.mark.parametrize(
    ("packet", "wire"),
    [
        (Packet(PacketType.OPEN, '{"sid":"abc"}'), '0{"sid":"abc"}'),
        (Packet(PacketType.CLOSE), "1"),
        (Packet(PacketType.PING), "2"),
        (Packet(PacketType.PING, "probe"), "2probe"),
        (Packet(PacketType.PONG, "probe"), "3probe"),
        (Packet(PacketType.MESSAGE, "hello"), "4hello"),
        (Packet(PacketType.UPGRADE), "5"),
        (Packet(PacketType.NOOP), "6"),
    ],
)
def test_text_packet_is_type_digit_then_data(packet: Packet, wire: str) -> None:
    assert encode_packet(packet) == wire
    assert decode_packet(wire) == packet


def test_text_message_keeps_non_ascii_data() -> None:
    assert decode_packet("4héllo €") == Packet(PacketType.MESSAGE, "héllo €")


def test_binary_message_over_websocket_is_raw_bytes() -> None:
    assert encode_packet(Packet(PacketType.MESSAGE, b"\x01\x02\x03")) == b"\x01\x02\x03"


def test_raw_bytes_over_websocket_decode_as_binary_message() -> None:
    assert decode_packet(b"\x01\x02\x03") == Packet(PacketType.MESSAGE, b"\x01\x02\x03")


def test_empty_binary_message_is_an_empty_binary_packet() -> None:
    assert decode_packet(b"") == Packet(PacketType.MESSAGE, b"")


def test_only_message_packets_carry_bytes() -> None:
    with pytest.raises(ValueError, match="PING"):
        Packet(PacketType.PING, b"probe")


def test_polling_payload_joins_packets_with_record_separator() -> None:
    packets = [Packet(PacketType.MESSAGE, "hello"), Packet(PacketType.PING)]
    assert encode_payload(packets) == "4hello\x1e2"


def test_polling_payload_splits_on_record_separator() -> None:
    assert decode_payload("4hello\x1e2\x1e6") == [
        Packet(PacketType.MESSAGE, "hello"),
        Packet(PacketType.PING),
        Packet(PacketType.NOOP),
    ]


def test_polling_binary_packet_is_b_then_base64() -> None:
    assert encode_payload([Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04")]) == "bAQIDBA=="


def test_polling_b_then_base64_decodes_as_binary_message() -> None:
    assert decode_payload("4hello\x1ebAQIDBA==") == [
        Packet(PacketType.MESSAGE, "hello"),
        Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04"),
    ]


def test_polling_payload_decodes_utf8_bytes() -> None:
    assert decode_payload("4é".encode()) == [Packet(PacketType.MESSAGE, "é")]


def test_polling_refuses_text_packet_containing_the_separator() -> None:
    with pytest.raises(LocalProtocolError, match="x1e"):
        encode_payload([Packet(PacketType.MESSAGE, "a\x1eb")])


def test_websocket_still_carries_text_containing_the_separator() -> None:
    assert encode_packet(Packet(PacketType.MESSAGE, "a\x1eb")) == "4a\x1eb"


@pytest.mark.parametrize(
    ("decode", "wire", "match"),
    [
        (decode_packet, "", "empty packet"),
        (decode_packet, "7", "unknown packet type"),
        (decode_packet, "x4", "unknown packet type"),
        (decode_packet, "b4", "unknown packet type"),
        (decode_payload, "bAQI*BA==", "base64"),
        (decode_payload, "bAQIDBA", "base64"),
        (decode_payload, "bé", "base64"),
        (decode_payload, b"4\xff\xfe", "UTF-8"),
        (decode_payload, "", "empty packet"),
        (decode_payload, "4a\x1e\x1e4b", "empty packet"),
        (decode_payload, "4a\x1e", "empty packet"),
        (decode_payload, "9\x1e4a", "unknown packet type"),
    ],
    ids=[
        "empty packet",
        "unknown type digit",
        "unknown type char",
        "b prefix over websocket",
        "bad base64 char",
        "missing base64 padding",
        "non-ascii base64",
        "invalid utf-8 body",
        "empty payload",
        "empty chunk in the middle",
        "trailing separator",
        "unknown type in payload",
    ],
)
def test_malformed_input_raises_remote_parse_error(decode: object, wire: str, match: str) -> None:
    assert callable(decode)
    with pytest.raises(RemoteProtocolError, match=match) as info:
        decode(wire)
    assert info.value.reason is DisconnectReason.PARSE_ERROR
