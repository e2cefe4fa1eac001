"""Binary attachments: placeholders in the text message, then one binary message each."""

from __future__ import annotations

import pytest

from sio_core.errors import DisconnectReason, RemoteProtocolError
from sio_core.socketio.packets import Decoder, Packet, PacketType, encode

EVENT = PacketType.EVENT
ACK = PacketType.ACK
PH0 = '{"_placeholder":true,"num":0}'
PH1 = '{"_placeholder":true,"num":1}'


def feed_all(decoder: Decoder, messages: list[str | bytes]) -> list[Packet | None]:
    return [decoder.feed(message) for message in messages]


def assert_rejected(messages: list[str | bytes], match: str, **limits: int) -> None:
    decoder = Decoder(**limits)
    with pytest.raises(RemoteProtocolError, match=match) as info:
        feed_all(decoder, messages)
    assert info.value.reason is DisconnectReason.FORCED_CLOSE


# Rows of socket.io-protocol's "Packet encoding" tables that carry binary data.
SPEC_EXAMPLES: list[tuple[Packet, list[str | bytes]]] = [
    (Packet(EVENT, data=["baz", b"\x01\x02\x03\x04"]), [f'51-["baz",{PH0}]', b"\x01\x02\x03\x04"]),
    (
        Packet(EVENT, "/admin", ["baz", b"\x01\x02", b"\x03\x04"]),
        [f'52-/admin,["baz",{PH0},{PH1}]', b"\x01\x02", b"\x03\x04"],
    ),
    (
        Packet(EVENT, data=["foo", b"\x01\x02\x03\x04"], id=14),
        [f'51-14["foo",{PH0}]', b"\x01\x02\x03\x04"],
    ),
    (
        Packet(ACK, data=["bar", b"\x01\x02\x03\x04"], id=15),
        [f'61-15["bar",{PH0}]', b"\x01\x02\x03\x04"],
    ),
]


@pytest.mark.parametrize(("packet", "wire"), SPEC_EXAMPLES)
def test_encodes_spec_example(packet: Packet, wire: list[str | bytes]) -> None:
    assert encode(packet) == wire


@pytest.mark.parametrize(("packet", "wire"), SPEC_EXAMPLES)
def test_decodes_spec_example(packet: Packet, wire: list[str | bytes]) -> None:
    assert feed_all(Decoder(), wire)[-1] == packet


def test_namespace_and_ack_id_follow_the_attachment_count() -> None:
    wire = encode(Packet(EVENT, "/nsp", ["ev", b"\x00"], 12))
    assert wire == [f'51-/nsp,12["ev",{PH0}]', b"\x00"]


def test_placeholders_are_numbered_in_document_order() -> None:
    data = ["ev", {"z": b"1", "a": [b"2", {"k": b"3"}]}, b"4"]
    text, *attachments = encode(Packet(EVENT, data=data))
    assert text == (
        '54-["ev",{"z":{"_placeholder":true,"num":0},"a":[{"_placeholder":true,"num":1},'
        '{"k":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}]'
    )
    assert attachments == [b"1", b"2", b"3", b"4"]


def test_bytearray_and_memoryview_are_sent_as_bytes() -> None:
    wire = encode(Packet(EVENT, data=["ev", bytearray(b"a"), memoryview(b"b")]))
    assert wire[1:] == [b"a", b"b"]


def test_empty_bytes_is_an_attachment() -> None:
    assert encode(Packet(ACK, data=[b""], id=1)) == [f"61-1[{PH0}]", b""]


def test_text_of_binary_packet_returns_nothing_yet() -> None:
    assert Decoder().feed(f'51-["baz",{PH0}]') is None


def test_packet_returns_with_its_last_attachment() -> None:
    decoder = Decoder()
    wire = [f'52-["a",{PH0},{PH1}]', b"x", b"y"]
    assert feed_all(decoder, wire) == [None, None, Packet(EVENT, data=["a", b"x", b"y"])]


def test_decoder_counts_the_attachments_it_awaits() -> None:
    decoder = Decoder()
    counts = [decoder.awaiting_attachments]
    for message in [f'52-["a",{PH0},{PH1}]', b"x", b"y"]:
        decoder.feed(message)
        counts.append(decoder.awaiting_attachments)
    assert counts == [0, 2, 1, 0]


def test_placeholders_may_come_out_of_order() -> None:
    wire: list[str | bytes] = [f'52-["a",{PH1},{PH0}]', b"first", b"second"]
    assert feed_all(Decoder(), wire)[-1] == Packet(EVENT, data=["a", b"second", b"first"])


def test_one_attachment_may_be_referenced_twice() -> None:
    wire: list[str | bytes] = [f'51-["a",{{"o":{PH0}}},{{"o":{PH0}}}]', b"x"]
    assert feed_all(Decoder(), wire)[-1] == Packet(EVENT, data=["a", {"o": b"x"}, {"o": b"x"}])


def test_binary_event_with_zero_attachments_is_returned_at_once() -> None:
    assert Decoder().feed('50-["a"]') == Packet(EVENT, data=["a"])


def test_decoder_reads_next_packet_after_reassembly() -> None:
    decoder = Decoder()
    feed_all(decoder, [f"61-3[{PH0}]", b"x"])
    assert decoder.feed('2["b"]') == Packet(EVENT, data=["b"])


def test_attachment_limit_is_inclusive() -> None:
    placeholders = ",".join(f'{{"_placeholder":true,"num":{n}}}' for n in range(3))
    wire: list[str | bytes] = [f'53-["a",{placeholders}]', b"0", b"1", b"2"]
    assert feed_all(Decoder(max_attachments=3), wire)[-1] == Packet(
        EVENT, data=["a", b"0", b"1", b"2"]
    )


# -- decoding errors ----------------------------------------------------------------------


def test_rejects_binary_message_when_no_attachment_is_expected() -> None:
    assert_rejected([b"x"], "no attachment is expected")


def test_rejects_extra_binary_message_after_reassembly() -> None:
    assert_rejected([f'51-["a",{PH0}]', b"x", b"y"], "no attachment is expected")


def test_rejects_text_message_while_attachments_are_pending() -> None:
    assert_rejected([f'52-["a",{PH0},{PH1}]', b"x", '2["b"]'], "1 attachments pending")


def test_decoder_is_idle_again_after_an_error() -> None:
    decoder = Decoder()
    decoder.feed(f'51-["a",{PH0}]')
    with pytest.raises(RemoteProtocolError):
        decoder.feed('2["b"]')
    assert decoder.awaiting_attachments == 0


@pytest.mark.parametrize(
    "text",
    [
        f'5["a",{PH0}]',
        f'5-["a",{PH0}]',
        f'5x-["a",{PH0}]',
        f'5-1-["a",{PH0}]',
        "51",
        '5\u0661-["a"]',
    ],
    ids=["no count", "empty count", "letter", "negative", "no dash", "non-ascii digit"],
)
def test_rejects_illegal_attachment_count(text: str) -> None:
    assert_rejected([text], "illegal attachment count")


@pytest.mark.parametrize("count", ["11", "4294967296", "9" * 1000])
def test_rejects_attachment_count_above_the_limit(count: str) -> None:
    assert_rejected([f'5{count}-["a",{PH0}]'], "too many attachments")


def test_attachment_limit_is_configurable() -> None:
    assert_rejected([f'52-["a",{PH0},{PH1}]'], "too many attachments", max_attachments=1)


@pytest.mark.parametrize(
    "text",
    [
        '51-["a",{"_placeholder":true,"num":1}]',
        '51-["a",{"_placeholder":true,"num":-1}]',
    ],
)
def test_rejects_placeholder_num_out_of_range(text: str) -> None:
    assert_rejected([text], "out of range")


@pytest.mark.parametrize(
    "text",
    [
        '51-["a",{"_placeholder":true,"num":"0"}]',
        '51-["a",{"_placeholder":true,"num":0.0}]',
        '51-["a",{"_placeholder":true,"num":true}]',
        '51-["a",{"_placeholder":true}]',
        '51-["a",{"_placeholder":true,"num":0,"x":1}]',
    ],
    ids=["string num", "float num", "bool num", "no num", "extra key"],
)
def test_rejects_malformed_placeholder(text: str) -> None:
    assert_rejected([text], "malformed placeholder")


@pytest.mark.parametrize(
    "text",
    ['52-["a",{"_placeholder":true,"num":0}]', '51-["a"]', f'52-["a",{PH1},{PH1}]'],
    ids=["fewer placeholders", "no placeholder", "attachment 0 unused"],
)
def test_rejects_attachment_count_mismatch(text: str) -> None:
    assert_rejected([text], "attachment count mismatch")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (f"51-[{PH0}]", "string or a number"),
        (f'51-["disconnect",{PH0}]', "reserved event name"),
        (f'61-["a",{PH0}]', "without an ack id"),
        (f'61-1{{"a":{PH0}}}', "invalid BINARY_ACK payload"),
        ("51-", "non-empty list"),
    ],
)
def test_rejects_invalid_binary_payload(text: str, match: str) -> None:
    assert_rejected([text], match)
