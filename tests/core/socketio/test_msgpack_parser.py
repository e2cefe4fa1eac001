"""The msgpack parser: one msgpack map per packet, as socket.io-msgpack-parser 3.0.x writes it.

Messages are built by hand where the exact bytes matter (notepack 2.2's ``undefined``, typed
arrays and Dates), with Python's ``msgpack`` where they do not.
"""

from __future__ import annotations

import math
from typing import Any

import msgpack
import pytest

from sio_core.errors import DisconnectReason, LocalProtocolError, RemoteProtocolError
from sio_core.socketio.msgpack_parser import MsgpackDecoder, MsgpackParser, decode, encode
from sio_core.socketio.packets import MAX_ACK_ID, Packet, PacketType, Parser

CONNECT = PacketType.CONNECT
DISCONNECT = PacketType.DISCONNECT
EVENT = PacketType.EVENT
ACK = PacketType.ACK
CONNECT_ERROR = PacketType.CONNECT_ERROR

UNDEFINED = b"\xd4\x00\x00"
"""notepack 2.2's ``undefined``: fixext 1, type 0."""


def pack(value: Any) -> bytes:
    return bytes(msgpack.packb(value, use_bin_type=True))


def event_with(*raw_args: bytes, nsp: str = "/") -> bytes:
    """An EVENT ``["ev", ...]`` whose arguments are given as raw msgpack bytes."""
    data = bytes([0x90 + 1 + len(raw_args)]) + pack("ev") + b"".join(raw_args)
    return b"\x83" + pack("type") + pack(2) + pack("data") + data + pack("nsp") + pack(nsp)


def args_of(message: bytes) -> list[Any]:
    """The arguments of the EVENT ``message`` after its name."""
    packet = decode(message)
    assert packet.type is EVENT
    return list(packet.data[1:])


def assert_refused(message: bytes | str, match: str, **limits: int) -> None:
    with pytest.raises(RemoteProtocolError, match=match) as info:
        MsgpackDecoder(**limits).feed(message)
    assert info.value.reason is DisconnectReason.FORCED_CLOSE


# -- each packet type, both ways ---------------------------------------------------------------

ROUND_TRIPS = [
    (Packet(CONNECT), {"type": 0, "nsp": "/"}),
    (
        Packet(CONNECT, "/admin", {"token": "abc"}),
        {"type": 0, "data": {"token": "abc"}, "nsp": "/admin"},
    ),
    (Packet(DISCONNECT, "/admin"), {"type": 1, "nsp": "/admin"}),
    (
        Packet(EVENT, data=["hello", 1, "two"]),
        {"type": 2, "data": ["hello", 1, "two"], "nsp": "/"},
    ),
    (Packet(EVENT, data=["ask"], id=12), {"type": 2, "data": ["ask"], "id": 12, "nsp": "/"}),
    (Packet(ACK, "/admin", ["yes"], 12), {"id": 12, "type": 3, "data": ["yes"], "nsp": "/admin"}),
    (
        Packet(CONNECT_ERROR, data={"message": "no"}),
        {"type": 4, "data": {"message": "no"}, "nsp": "/"},
    ),
    (Packet(CONNECT_ERROR, data="refused"), {"type": 4, "data": "refused", "nsp": "/"}),
]


@pytest.mark.parametrize(("packet", "fields"), ROUND_TRIPS)
def test_a_packet_is_one_msgpack_map_with_nodes_keys_in_nodes_order(
    packet: Packet, fields: dict[str, Any]
) -> None:
    assert encode(packet) == pack(fields)


@pytest.mark.parametrize(("packet", "fields"), ROUND_TRIPS)
def test_a_map_decodes_to_its_packet(packet: Packet, fields: dict[str, Any]) -> None:
    assert decode(pack(fields)) == packet


def test_the_parser_sends_each_packet_as_one_binary_message() -> None:
    parser = MsgpackParser()
    packet = Packet(EVENT, data=["ev", b"\x01"])
    assert parser.encode(packet) == [encode(packet)]
    assert parser.decoder().feed(encode(packet)) == packet


def test_the_parser_fits_the_parser_seam() -> None:
    parser: Parser = MsgpackParser()
    assert isinstance(parser.decoder(), MsgpackDecoder)


# -- binary ----------------------------------------------------------------------------------


def test_binary_stays_inside_the_packet_as_bin_and_the_type_stays_event() -> None:
    message = encode(Packet(EVENT, data=["up", {"blob": b"\x00\xff"}], id=1))
    assert message == pack({"type": 2, "data": ["up", {"blob": b"\x00\xff"}], "id": 1, "nsp": "/"})
    assert b"\xc4\x02\x00\xff" in message


def test_bytearray_and_memoryview_are_written_as_bin() -> None:
    message = encode(Packet(ACK, data=[bytearray(b"a"), memoryview(b"b")], id=0))
    assert decode(message).data == [b"a", b"b"]


def test_binary_is_allowed_in_every_payload_msgpack_carries() -> None:
    packet = Packet(CONNECT_ERROR, data={"message": "no", "data": b"\x01"})
    assert decode(encode(packet)) == packet


def test_bin_decodes_to_bytes() -> None:
    assert args_of(event_with(b"\xc4\x03abc", b"\xc5\x00\x01z", b"\xc6\x00\x00\x00\x00")) == [
        b"abc",
        b"z",
        b"",
    ]


def test_a_typed_array_or_array_buffer_arrives_as_ext_type_0_and_decodes_to_bytes() -> None:
    ext8 = b"\xc7\x02\x00\x01\x02"
    ext16 = b"\xc8\x00\x01\x00\x03"
    ext32 = b"\xc9\x00\x00\x00\x01\x00\x04"
    assert args_of(event_with(ext8, ext16, ext32)) == [b"\x01\x02", b"\x03", b"\x04"]


def test_a_one_byte_buffer_holding_zero_is_bytes_not_undefined() -> None:
    assert args_of(event_with(b"\xc7\x01\x00\x00")) == [b"\x00"]


def test_an_eight_byte_buffer_is_bytes_not_a_date() -> None:
    assert args_of(event_with(b"\xc7\x08\x00" + bytes(8))) == [bytes(8)]


# -- notepack 2.2's undefined and Date -------------------------------------------------------


def test_undefined_in_an_array_is_none() -> None:
    assert args_of(event_with(UNDEFINED, pack(1))) == [None, 1]


def test_undefined_as_a_map_value_leaves_the_key_out_as_json_does() -> None:
    assert args_of(event_with(b"\x82" + pack("a") + UNDEFINED + pack("b") + pack(1))) == [{"b": 1}]


def test_undefined_data_of_a_connect_is_no_auth() -> None:
    message = b"\x83" + pack("type") + pack(0) + pack("data") + UNDEFINED + pack("nsp") + pack("/")
    assert decode(message) == Packet(CONNECT)


def test_undefined_is_any_fixext_1_of_type_0_as_notepack_reads_it() -> None:
    assert args_of(event_with(b"\xd4\x00\x7f")) == [None]


def test_a_date_is_the_string_json_gives_it() -> None:
    millis = 1_704_164_645_678  # 2024-01-02T03:04:05.678Z
    date = b"\xd7\x00" + millis.to_bytes(8, "big", signed=True)
    assert args_of(event_with(date)) == ["2024-01-02T03:04:05.678Z"]


def test_a_date_before_the_epoch_is_read_too() -> None:
    date = b"\xd7\x00" + (-1).to_bytes(8, "big", signed=True)
    assert args_of(event_with(date)) == ["1969-12-31T23:59:59.999Z"]


def test_a_date_in_the_first_millennium_is_written_with_four_year_digits() -> None:
    millis = -62_135_596_800_000  # 0001-01-01T00:00:00.000Z, the first day Python has
    date = b"\xd7\x00" + millis.to_bytes(8, "big", signed=True)
    assert args_of(event_with(date)) == ["0001-01-01T00:00:00.000Z"]


def test_a_date_past_year_9999_is_refused() -> None:
    date = b"\xd7\x00" + (2**62).to_bytes(8, "big", signed=True)
    assert_refused(event_with(date), "Date out of")


@pytest.mark.parametrize(
    "ext",
    [
        b"\xd4\x01\x00",  # fixext 1 of another type
        b"\xd5\x00\x00\x00",  # fixext 2 (notepack writes none)
        b"\xd6\x00" + bytes(4),
        b"\xd7\x05" + bytes(8),
        b"\xd8\x00" + bytes(16),
        b"\xc7\x01\x05\x00",  # ext 8 of another type
        b"\xd6\xff" + bytes(4),  # msgpack's own timestamp
    ],
)
def test_extension_types_notepack_does_not_write_are_refused(ext: bytes) -> None:
    assert_refused(event_with(ext), "unknown extension type")


# -- numbers and strings ---------------------------------------------------------------------


def test_every_integer_and_float_format_is_read() -> None:
    numbers = [
        b"\x05",
        b"\xff",
        b"\xcc\xff",
        b"\xcd\x01\x00",
        b"\xce\x00\x01\x00\x00",
        b"\xcf" + (2**40).to_bytes(8, "big"),
        b"\xd0\x80",
        b"\xd1\xff\x00",
        b"\xd2\xff\xff\x00\x00",
        b"\xd3" + (-(2**40)).to_bytes(8, "big", signed=True),
        b"\xca\x3f\xc0\x00\x00",
        b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00",
    ]
    assert args_of(event_with(*numbers)) == [
        5,
        -1,
        255,
        256,
        65536,
        2**40,
        -128,
        -256,
        -65536,
        -(2**40),
        1.5,
        1.5,
    ]


def test_a_nan_from_a_javascript_peer_arrives_as_a_float_nan() -> None:
    (value,) = args_of(event_with(b"\xcb\x7f\xf8" + bytes(6)))
    assert math.isnan(value)


def test_every_string_format_is_read() -> None:
    strings = [b"\xa1a", b"\xd9\x01b", b"\xda\x00\x01c", b"\xdb\x00\x00\x00\x01d"]
    assert args_of(event_with(*strings)) == ["a", "b", "c", "d"]


def test_every_container_format_is_read() -> None:
    containers = [b"\xdc\x00\x01\x01", b"\xdd\x00\x00\x00\x00", b"\xde\x00\x01\xa1k\xc3"]
    assert args_of(event_with(*containers, b"\xdf\x00\x00\x00\x00")) == [[1], [], {"k": True}, {}]


def test_a_string_that_is_not_utf8_is_refused() -> None:
    assert_refused(event_with(b"\xa2\xc3\x28"), "not UTF-8")


def test_an_encoded_surrogate_is_refused() -> None:
    assert_refused(event_with(b"\xa3\xed\xa0\x80"), "not UTF-8")


def test_a_map_key_that_is_not_a_string_is_refused() -> None:
    assert_refused(event_with(b"\x81\x01\x02"), "map key of type int")


# -- the packet's keys -----------------------------------------------------------------------


def test_the_options_key_a_client_adds_is_ignored() -> None:
    fields = {"type": 2, "data": ["ev"], "options": {"compress": True}, "id": 3, "nsp": "/"}
    assert decode(pack(fields)) == Packet(EVENT, data=["ev"], id=3)


def test_any_other_key_is_refused() -> None:
    assert_refused(pack({"type": 2, "data": ["ev"], "nsp": "/", "extra": 1}), "key 'extra'")


@pytest.mark.parametrize("key", ["id", "data"])
def test_a_nil_id_or_data_is_refused_as_the_clients_decoder_refuses_it(key: str) -> None:
    fields: dict[str, Any] = {"type": 2, "data": ["ev"], "nsp": "/", key: None}
    assert_refused(pack(fields), f"{key} is nil")


def test_a_nil_data_is_refused_even_where_no_data_is_fine() -> None:
    assert_refused(pack({"type": 1, "data": None, "nsp": "/"}), "data is nil")


def test_the_encoder_leaves_out_data_and_id_it_does_not_have() -> None:
    assert encode(Packet(DISCONNECT)) == pack({"type": 1, "nsp": "/"})
    assert encode(Packet(CONNECT, "/a")) == pack({"type": 0, "nsp": "/a"})


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        (5, "type 5"),
        (6, "type 6"),
        (7, "type 7"),
        (-1, "type -1"),
        (True, "type True"),
        (2.0, "type 2.0"),
        ("2", "type '2'"),
    ],
)
def test_a_packet_type_outside_0_to_4_is_refused(kind: object, match: str) -> None:
    assert_refused(pack({"type": kind, "data": ["ev"], "nsp": "/"}), match)


def test_a_packet_without_a_type_is_refused() -> None:
    assert_refused(pack({"data": ["ev"], "nsp": "/"}), "type None")


def test_a_packet_without_a_namespace_is_refused() -> None:
    assert_refused(pack({"type": 2, "data": ["ev"]}), "without a namespace")


def test_a_namespace_that_is_not_a_string_is_refused() -> None:
    assert_refused(pack({"type": 2, "data": ["ev"], "nsp": 1}), "namespace 1")


@pytest.mark.parametrize(
    ("nsp", "match"),
    [("admin", "does not start with '/'"), ("/a,b", "illegal character"), ("/\n", "illegal")],
)
def test_the_namespace_rules_are_the_json_parsers(nsp: str, match: str) -> None:
    assert_refused(pack({"type": 2, "data": ["ev"], "nsp": nsp}), match)


# -- ack ids ---------------------------------------------------------------------------------


def test_the_largest_safe_integer_is_a_valid_ack_id() -> None:
    packet = Packet(ACK, data=[], id=MAX_ACK_ID)
    assert decode(encode(packet)) == packet


@pytest.mark.parametrize(
    ("ack_id", "match"),
    [
        (MAX_ACK_ID + 1, "not an integer in"),
        (-1, "not an integer in"),
        (1.5, "1.5"),
        (True, "True"),
        ("1", "'1'"),
    ],
)
def test_an_ack_id_outside_the_safe_integers_is_refused(ack_id: object, match: str) -> None:
    assert_refused(pack({"type": 3, "data": [], "id": ack_id, "nsp": "/"}), match)


def test_an_ack_without_an_id_is_refused() -> None:
    assert_refused(pack({"type": 3, "data": [], "nsp": "/"}), "ACK packet without an ack id")


@pytest.mark.parametrize("kind", [0, 1, 4])
def test_only_events_and_acks_carry_an_id(kind: int) -> None:
    data = {"message": "x"} if kind == 4 else {}
    fields = {"type": kind, "id": 1, "nsp": "/"} | ({"data": data} if kind != 1 else {})
    assert_refused(pack(fields), "packet with an ack id")


# -- payloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"type": 2, "data": [], "nsp": "/"}, "non-empty list"),
        ({"type": 2, "data": "ev", "nsp": "/"}, "non-empty list"),
        ({"type": 2, "nsp": "/"}, "non-empty list"),
        ({"type": 2, "data": ["connect"], "nsp": "/"}, "reserved event name"),
        ({"type": 2, "data": [True], "nsp": "/"}, "event name must be"),
        ({"type": 3, "data": {}, "id": 1, "nsp": "/"}, "invalid ACK payload"),
        ({"type": 0, "data": "token", "nsp": "/"}, "invalid CONNECT payload"),
        ({"type": 1, "data": {}, "nsp": "/"}, "invalid DISCONNECT payload"),
        ({"type": 4, "data": [], "nsp": "/"}, "invalid CONNECT_ERROR payload"),
        ({"type": 4, "nsp": "/"}, "invalid CONNECT_ERROR payload"),
    ],
)
def test_the_payload_rules_are_the_json_parsers(fields: dict[str, Any], match: str) -> None:
    assert_refused(pack(fields), match)


def test_a_numeric_event_name_is_accepted() -> None:
    assert decode(pack({"type": 2, "data": [7, "x"], "nsp": "/"})).data == [7, "x"]


# -- malformed messages ----------------------------------------------------------------------


def test_a_text_message_is_refused() -> None:
    assert_refused('2["ev"]', "text message")


def test_a_value_that_is_not_a_map_is_refused() -> None:
    assert_refused(pack([2, ["ev"], "/"]), "a packet is a msgpack map, not list")


def test_an_empty_message_is_refused() -> None:
    assert_refused(b"", "truncated")


def test_a_truncated_message_is_refused() -> None:
    assert_refused(pack({"type": 2, "data": ["ev"], "nsp": "/"})[:-1], "truncated")


def test_bytes_after_the_packet_are_refused() -> None:
    assert_refused(pack({"type": 2, "data": ["ev"], "nsp": "/"}) + b"\xc0", "1 bytes after")


def test_the_never_used_format_byte_is_refused() -> None:
    assert_refused(event_with(b"\xc1"), "unknown format byte 0xc1")


@pytest.mark.parametrize(
    "header", [b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff"]
)
def test_a_length_the_message_cannot_hold_is_refused_before_anything_is_built(
    header: bytes,
) -> None:
    assert_refused(event_with(header), "truncated")


def test_nesting_up_to_the_depth_limit_is_accepted() -> None:
    # The packet's map is 1, its data 2, so 3 nested lists inside make 5.
    packet = Packet(EVENT, data=["ev", [[[]]]])
    assert MsgpackDecoder(max_depth=5).feed(encode(packet)) == packet


def test_nesting_past_the_depth_limit_is_refused() -> None:
    assert_refused(encode(Packet(EVENT, data=["ev", [[[[]]]]])), "deeper than 5", max_depth=5)


def test_the_default_depth_limit_refuses_deep_garbage_without_exhausting_the_stack() -> None:
    assert_refused(event_with(b"\x91" * 100_000 + b"\xc0"), "deeper than 100")


def test_a_depth_limit_below_the_packets_own_nesting_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        MsgpackParser(max_depth=1)


# -- what the encoder refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("packet", "match"),
    [
        (Packet(EVENT, data=["connect"]), "reserved event name"),
        (Packet(EVENT, "admin", ["ev"]), "does not start with '/'"),
        (Packet(ACK, data=[]), "without an ack id"),
        (Packet(DISCONNECT, data={"reason": "x"}), "invalid DISCONNECT payload"),
        (Packet(PacketType.BINARY_EVENT, data=["ev", b"x"]), "picks the binary form itself"),
    ],
)
def test_the_encoder_refuses_what_breaks_a_packet_rule(packet: Packet, match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        encode(packet)


@pytest.mark.parametrize("value", [{1, 2}, 2**64, "\ud800", object()])
def test_the_encoder_refuses_a_value_msgpack_does_not_carry(value: object) -> None:
    with pytest.raises(LocalProtocolError, match="cannot encode for msgpack"):
        encode(Packet(EVENT, data=["ev", value]))


def test_the_encoder_refuses_a_value_that_contains_itself() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(LocalProtocolError, match="cannot encode for msgpack"):
        encode(Packet(EVENT, data=["ev", loop]))
