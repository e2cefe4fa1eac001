"""JSON and msgpack as Node writes them (notepack 3.0.x quirks), and the bounds of decoding."""

from __future__ import annotations

import math

import msgpack
import pytest

from sio_core.cluster import ClusterProtocolError, DecodeLimits
from sio_core.cluster.values import (
    DEFAULT_LIMITS,
    decode_json,
    decode_msgpack,
    decode_payload,
    encode_json,
    encode_msgpack,
    has_binary,
    to_wire,
)
from sio_core.errors import LocalProtocolError


def _pack(value: object) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


# -- what notepack writes, we read ---------------------------------------------------------


def test_node_buffers_arrive_as_bytes_and_strings_as_str() -> None:
    assert decode_msgpack(b"\x92\xc4\x02\x01\x02\xa2hi", DEFAULT_LIMITS) == [b"\x01\x02", "hi"]


def test_undefined_inside_an_array_is_nil_and_reads_as_none() -> None:
    # notepack 3 writes [1, undefined] as 92 01 c0
    assert decode_msgpack(b"\x92\x01\xc0", DEFAULT_LIMITS) == [1, None]


def test_notepack_2s_undefined_extension_reads_as_none() -> None:
    assert decode_msgpack(b"\x92\x01\xd4\x00\x00", DEFAULT_LIMITS) == [1, None]


def test_notepack_2s_arraybuffer_extension_reads_as_bytes() -> None:
    assert decode_msgpack(b"\xc7\x03\x00abc", DEFAULT_LIMITS) == b"abc"


def test_a_date_reads_as_the_string_node_would_forward_to_clients() -> None:
    # notepack 3 writes [new Date(1500)] with a timestamp 64; JSON.stringify gives the string
    payload = bytes.fromhex("91d7ff7735940000000001")
    assert decode_msgpack(payload, DEFAULT_LIMITS) == ["1970-01-01T00:00:01.500Z"]


def test_a_date_past_year_9999_is_refused() -> None:
    far = msgpack.Timestamp(seconds=400_000_000_000).to_bytes()  # timestamp 96
    with pytest.raises(ClusterProtocolError, match="timestamp out of range"):
        decode_msgpack(b"\xc7\x0c\xff" + far, DEFAULT_LIMITS)


def test_an_unknown_extension_type_is_refused() -> None:
    with pytest.raises(ClusterProtocolError, match="unknown extension type 7"):
        decode_msgpack(b"\xd4\x07\x00", DEFAULT_LIMITS)


def test_a_non_finite_number_reads_as_null_as_json_stringify_makes_it() -> None:
    payload = _pack([math.nan, math.inf, 1.5])
    assert decode_msgpack(payload, DEFAULT_LIMITS) == [None, None, 1.5]
    assert decode_json(b"[1e400]", DEFAULT_LIMITS) == [None]


# -- what we write, notepack and JSON.parse read -------------------------------------------


def test_we_write_the_bytes_notepack_writes() -> None:
    value = {
        "s": "é",
        "i": [0, 127, 128, 65536, -1, -33, 2**32],
        "f": 2.5,
        "b": b"\x00",
        "n": None,
    }
    # What notepack.encode() writes for the same JavaScript value (Buffer.from([0]) for b).
    node = bytes.fromhex(
        "85a173a2c3a9a16997007fcc80ce00010000ffd0dfcf0000000100000000a166cb4004000000000000"
        "a162c40100a16ec0"
    )
    assert encode_msgpack(value) == node


def test_we_write_json_as_json_stringify_does() -> None:
    value = {"a": [1, 2.5, "é\n", None, True], "b": {}}
    assert encode_json(value) == '{"a":[1,2.5,"é\\n",null,true],"b":{}}'.encode()


def test_bytes_in_json_are_written_as_a_node_buffer() -> None:
    assert encode_json([b"\x01\xff"]) == b'[{"type":"Buffer","data":[1,255]}]'


def test_non_finite_numbers_are_written_as_null() -> None:
    assert encode_json([math.nan, -math.inf]) == b"[null,null]"
    assert encode_msgpack([math.inf]) == b"\x91\xc0"


def test_a_lone_surrogate_is_written_escaped_as_javascript_does() -> None:
    assert encode_json(["\ud800"]) == b'["\\ud800"]'


def test_tuples_are_arrays_and_bytearrays_are_bytes() -> None:
    assert encode_msgpack((1, bytearray(b"x"))) == b"\x92\x01\xc4\x01x"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({1, 2}, "cannot send a set"),
        (object(), "cannot send a object"),
        ({1: "x"}, "map key is not a string"),
        ([2**64], "cannot encode for msgpack"),
        ([[[[]]]], "nested too deeply"),
    ],
)
def test_what_no_format_carries_is_refused_before_it_is_sent(value: object, reason: str) -> None:
    with pytest.raises(LocalProtocolError, match=reason):
        encode_msgpack(value, DecodeLimits(max_depth=3))


def test_binary_anywhere_is_found() -> None:
    assert has_binary(to_wire([{"a": (1, bytearray())}]))
    assert not has_binary(to_wire([{"a": (1, "b")}]))


def test_a_value_that_contains_itself_is_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(LocalProtocolError, match="nested too deeply"):
        encode_json(loop)


# -- bounded, strict decoding --------------------------------------------------------------


def test_the_first_byte_chooses_json_or_msgpack() -> None:
    assert decode_payload(b'{"a":1}', DEFAULT_LIMITS) == {"a": 1}
    assert decode_payload(_pack({"a": 1}), DEFAULT_LIMITS) == {"a": 1}


def test_a_payload_over_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(ClusterProtocolError, match="11 bytes is over the limit of 10"):
        decode_payload(b'{"a":"xxx"}', DecodeLimits(max_bytes=10))


@pytest.mark.parametrize(
    "payload",
    [b'{"a":[[[]]]}', _pack({"a": [[[]]]}), _pack([{"a": {"b": [1]}}])],
)
def test_nesting_deeper_than_the_limit_is_refused(payload: bytes) -> None:
    with pytest.raises(ClusterProtocolError, match="nested deeper than 3 levels"):
        decode_payload(payload, DecodeLimits(max_depth=3))


def test_nesting_at_the_limit_is_accepted() -> None:
    assert decode_payload(b'{"a":[[]]}', DecodeLimits(max_depth=3)) == {"a": [[]]}


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_nesting_deep_enough_to_exhaust_a_parser_is_refused(depth: int) -> None:
    with pytest.raises(ClusterProtocolError, match=r"nested|invalid msgpack"):
        decode_payload(b"\x91" * depth + b"\xc0", DEFAULT_LIMITS)
    with pytest.raises(ClusterProtocolError, match="nested"):
        decode_payload(b'{"a":' + b"[" * depth + b"]" * depth + b"}", DEFAULT_LIMITS)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty message"),
        (b'{"a":NaN}', "NaN is not a JSON value"),
        (b'{"a":1} x', "invalid JSON"),
        (b'{"a":"\xff"}', "invalid JSON"),
        (b'{"a":' + b"1" * 5000 + b"}", "invalid JSON"),
        (b"\x92\x01", "invalid msgpack"),
        (b"\x01\x02", "invalid msgpack"),
        (b"\xa1\xff", "invalid msgpack"),
        (b"\xc1", "invalid msgpack"),
        (b"\x81\x01\x02", "invalid msgpack"),
        (b"\x81\xc4\x01k\x02", "a map key is not a string"),
        (b"\xdd\xff\xff\xff\xff", "invalid msgpack"),
        (b"\xd6\xff\x00", "invalid msgpack"),
    ],
)
def test_malformed_payloads_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ClusterProtocolError, match=reason):
        decode_payload(payload, DEFAULT_LIMITS)
