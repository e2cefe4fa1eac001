"""The Socket.IO v5 text codec, checked against the wire strings of socket.io-protocol."""

from __future__ import annotations

import pytest

from sio_core.errors import DisconnectReason, LocalProtocolError, RemoteProtocolError
from sio_core.socketio.packets import (
    RESERVED_EVENTS,
    Decoder,
    JsonParser,
    Packet,
    PacketType,
    Parser,
    encode,
)

CONNECT = PacketType.CONNECT
DISCONNECT = PacketType.DISCONNECT
EVENT = PacketType.EVENT
ACK = PacketType.ACK
CONNECT_ERROR = PacketType.CONNECT_ERROR

# The "Packet encoding" tables of socket.io-protocol's Readme, text-only rows.
SPEC_EXAMPLES = [
    (Packet(CONNECT), "0"),
    (Packet(CONNECT, data={"sid": "wZX3oN0bSVIhsaknAAAI"}), '0{"sid":"wZX3oN0bSVIhsaknAAAI"}'),
    (Packet(CONNECT, "/admin"), "0/admin,"),
    (
        Packet(CONNECT, "/admin", {"sid": "oSO0OpakMV_3jnilAAAA"}),
        '0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}',
    ),
    (Packet(CONNECT_ERROR, data={"message": "Not authorized"}), '4{"message":"Not authorized"}'),
    (Packet(EVENT, data=["foo"]), '2["foo"]'),
    (Packet(EVENT, "/admin", ["bar"]), '2/admin,["bar"]'),
    (Packet(EVENT, data=["foo"], id=12), '212["foo"]'),
    (Packet(ACK, data=[], id=12), "312[]"),
    (Packet(EVENT, "/admin", ["foo"], 13), '2/admin,13["foo"]'),
    (Packet(ACK, "/admin", ["bar"], 13), '3/admin,13["bar"]'),
    (Packet(DISCONNECT), "1"),
    (Packet(DISCONNECT, "/admin"), "1/admin,"),
]


def decode_one(message: str) -> Packet | None:
    return Decoder().feed(message)


def assert_rejected(message: str, match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match) as info:
        decode_one(message)
    assert info.value.reason is DisconnectReason.FORCED_CLOSE


@pytest.mark.parametrize(("packet", "wire"), SPEC_EXAMPLES)
def test_encodes_spec_example(packet: Packet, wire: str) -> None:
    assert encode(packet) == [wire]


@pytest.mark.parametrize(("packet", "wire"), SPEC_EXAMPLES)
def test_decodes_spec_example(packet: Packet, wire: str) -> None:
    assert decode_one(wire) == packet


def test_packet_types_are_numbered_as_on_the_wire() -> None:
    assert [int(kind) for kind in PacketType] == list(range(7))
    assert PacketType.BINARY_EVENT == 5
    assert PacketType.BINARY_ACK == 6


def test_reserved_events_are_those_of_socket_io_parser() -> None:
    assert {"connect", "connect_error", "disconnect", "disconnecting"} <= RESERVED_EVENTS
    assert {"newListener", "removeListener"} <= RESERVED_EVENTS


def test_json_is_compact() -> None:
    assert encode(Packet(EVENT, data=["a", {"b": [1, 2]}, None, True])) == [
        '2["a",{"b":[1,2]},null,true]'
    ]


def test_non_ascii_is_kept_as_is() -> None:
    assert encode(Packet(EVENT, data=["héllo", "€"])) == ['2["héllo","€"]']


def test_control_characters_are_escaped() -> None:
    assert encode(Packet(EVENT, data=["a\x1eb\n"])) == ['2["a\\u001eb\\n"]']


def test_lone_surrogates_are_escaped_as_json_stringify_does() -> None:
    assert encode(Packet(EVENT, data=["\ud800"])) == ['2["\\ud800"]']


def test_escaped_lone_surrogate_decodes() -> None:
    assert decode_one('2["\\ud800"]') == Packet(EVENT, data=["\ud800"])


def test_numeric_event_name_is_accepted() -> None:
    assert decode_one("2[42,1]") == Packet(EVENT, data=[42, 1])


def test_namespace_without_trailing_comma_runs_to_the_end() -> None:
    assert decode_one("0/admin") == Packet(CONNECT, "/admin")


def test_explicit_main_namespace_is_main_namespace() -> None:
    assert decode_one('2/,["a"]') == Packet(EVENT, data=["a"])


def test_ack_id_leading_zeros_are_read_as_a_number() -> None:
    assert decode_one("3007[]") == Packet(ACK, data=[], id=7)


def test_largest_safe_ack_id_is_accepted() -> None:
    assert decode_one("39007199254740991[]") == Packet(ACK, data=[], id=2**53 - 1)


def test_connect_error_accepts_string_payload() -> None:
    assert decode_one('4"nope"') == Packet(CONNECT_ERROR, data="nope")


def test_json_whitespace_inside_payload_is_accepted() -> None:
    assert decode_one('2[ "a" , 1 ]') == Packet(EVENT, data=["a", 1])


def test_placeholder_in_plain_event_stays_an_object() -> None:
    placeholder = {"_placeholder": True, "num": 0}
    wire = '2["a",{"_placeholder":true,"num":0}]'
    assert decode_one(wire) == Packet(EVENT, data=["a", placeholder])


def test_json_parser_encodes_like_encode() -> None:
    packet = Packet(EVENT, "/admin", ["foo"], 13)
    assert JsonParser().encode(packet) == encode(packet)


def test_json_parser_makes_independent_decoders() -> None:
    parser: Parser = JsonParser()
    first, second = parser.decoder(), parser.decoder()
    assert first.feed('51-["a",{"_placeholder":true,"num":0}]') is None
    assert second.feed('2["b"]') == Packet(EVENT, data=["b"])


def test_parser_refuses_negative_attachment_limit() -> None:
    with pytest.raises(ValueError, match="negative"):
        JsonParser(max_attachments=-1)


def test_decoder_refuses_negative_attachment_limit() -> None:
    with pytest.raises(ValueError, match="negative"):
        Decoder(max_attachments=-1)


# -- decoding errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        ("", "empty packet"),
        ("7", "unknown packet type"),
        ("9[]", "unknown packet type"),
        ("a", "unknown packet type"),
        (" 2[]", "unknown packet type"),
        ('\u0662["a"]', "unknown packet type"),
    ],
)
def test_rejects_unknown_packet_type(wire: str, match: str) -> None:
    assert_rejected(wire, match)


@pytest.mark.parametrize(
    "wire",
    ['2["a"', '2["a"}', "2{", "2[nan]", "2[NaN]", "2[Infinity]", "2[-Infinity]", "2['a']"],
)
def test_rejects_bad_json(wire: str) -> None:
    assert_rejected(wire, "invalid JSON")


def test_rejects_number_overflowing_to_infinity() -> None:
    assert_rejected('2["a",1e400]', "out of range")


def test_rejects_absurdly_long_integer() -> None:
    assert_rejected('2["a",' + "9" * 5000 + "]", "invalid JSON")


def test_rejects_absurdly_deep_nesting() -> None:
    assert_rejected('2["a",' + "[" * 100_000 + "]" * 100_000 + "]", "invalid JSON")


@pytest.mark.parametrize("wire", ['2["a"]x', '2["a"] ', '2["a"]["b"]', "0{}{}", '2["a"]\n'])
def test_rejects_trailing_garbage(wire: str) -> None:
    assert_rejected(wire, "trailing data")


@pytest.mark.parametrize("wire", ["2null", "0null", "1null", "312null", "4null"])
def test_rejects_explicit_null_payload(wire: str) -> None:
    assert_rejected(wire, "payload null")


def test_rejects_leading_whitespace_before_payload() -> None:
    assert_rejected('2 ["a"]', "invalid JSON")


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        ("2", "non-empty list"),
        ("2[]", "non-empty list"),
        ('2{"a":1}', "non-empty list"),
        ('2"a"', "non-empty list"),
        ("2[null]", "string or a number"),
        ("2[true]", "string or a number"),
        ('2[["a"]]', "string or a number"),
        ('2[{"a":1}]', "string or a number"),
    ],
)
def test_rejects_invalid_event_payload(wire: str, match: str) -> None:
    assert_rejected(wire, match)


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_rejects_reserved_event_name(name: str) -> None:
    assert_rejected(f'2["{name}"]', "reserved event name")


@pytest.mark.parametrize("wire", ["312", '312{"a":1}', '312"a"', "312null", "312true"])
def test_rejects_ack_payload_that_is_not_a_list(wire: str) -> None:
    assert_rejected(wire, "invalid ACK payload")


def test_rejects_ack_without_id() -> None:
    assert_rejected('3["a"]', "without an ack id")


@pytest.mark.parametrize("wire", ['0["a"]', '0"a"', "0null", "0true"])
def test_rejects_connect_payload_that_is_not_an_object(wire: str) -> None:
    assert_rejected(wire, "invalid CONNECT payload")


@pytest.mark.parametrize("wire", ["4", '4["a"]', "4null", "4true", "4-1.5"])
def test_rejects_connect_error_payload_that_is_not_string_or_object(wire: str) -> None:
    assert_rejected(wire, "CONNECT_ERROR")


@pytest.mark.parametrize("wire", ["1{}", "1/admin,{}", '1["a"]', "1null"])
def test_rejects_disconnect_with_payload(wire: str) -> None:
    assert_rejected(wire, "invalid DISCONNECT payload")


@pytest.mark.parametrize("wire", ["012{}", "1/admin,3", "112"])
def test_rejects_ack_id_on_packet_type_without_acks(wire: str) -> None:
    assert_rejected(wire, "with an ack id")


@pytest.mark.parametrize("wire", ["39007199254740992[]", "3" + "1" * 30 + "[]"])
def test_rejects_ack_id_beyond_javascript_safe_integers(wire: str) -> None:
    assert_rejected(wire, "out of range")


@pytest.mark.parametrize("wire", ['2/a\x00b,["x"]', '2/a\nb,["x"]', '2/a\x7f,["x"]'])
def test_rejects_namespace_with_control_characters(wire: str) -> None:
    assert_rejected(wire, "illegal character")


def test_decoder_recovers_after_an_error() -> None:
    decoder = Decoder()
    with pytest.raises(RemoteProtocolError):
        decoder.feed("2[]")
    assert decoder.feed('2["a"]') == Packet(EVENT, data=["a"])


# -- encoding errors (the application's fault) ---------------------------------------------


@pytest.mark.parametrize(
    "packet",
    [
        Packet(EVENT, data=[]),
        Packet(EVENT, data=None),
        Packet(EVENT, data=("a",)),
        Packet(EVENT, data=["disconnect"]),
        Packet(EVENT, data=[None]),
        Packet(ACK, data=[]),
        Packet(ACK, data={"a": 1}, id=1),
        Packet(CONNECT, data=["a"]),
        Packet(CONNECT, data={}, id=1),
        Packet(DISCONNECT, data={}),
        Packet(CONNECT_ERROR),
        Packet(EVENT, "admin", ["a"]),
        Packet(EVENT, "/a,b", ["a"]),
        Packet(EVENT, data=["a"], id=-1),
        Packet(EVENT, data=["a"], id=2**53),
        Packet(EVENT, data=["a"], id=True),
        Packet(PacketType.BINARY_EVENT, data=["a", b"x"]),
        Packet(PacketType.BINARY_ACK, data=[b"x"], id=1),
    ],
    ids=repr,
)
def test_encode_refuses_packet_breaking_the_rules(packet: Packet) -> None:
    with pytest.raises(LocalProtocolError):
        encode(packet)


@pytest.mark.parametrize(
    "data",
    [["a", float("nan")], ["a", float("inf")], ["a", object()], ["a", {("k",): 1}], ["a", {1, 2}]],
    ids=["nan", "infinity", "object", "tuple key", "set"],
)
def test_encode_refuses_data_that_is_not_json(data: list[object]) -> None:
    with pytest.raises(LocalProtocolError, match="cannot encode"):
        encode(Packet(EVENT, data=data))


def test_encode_refuses_circular_data() -> None:
    data: list[object] = ["a"]
    data.append(data)
    with pytest.raises(LocalProtocolError, match="cannot encode"):
        encode(Packet(EVENT, data=data))


def test_encode_refuses_bytes_outside_event_and_ack() -> None:
    with pytest.raises(LocalProtocolError, match="bytes"):
        encode(Packet(CONNECT, data={"token": b"x"}))
