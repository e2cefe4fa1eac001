"""The frame splitter: plain whole messages decoded at once, every other frame left to wsproto.

Whatever the bytes and however they are cut, the splitter followed by wsproto must yield what
wsproto alone yields: the same messages, in the same order, and the same refusal.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sio_anyio._websocket import _unsent
from sio_anyio._ws_frames import (
    ForWsproto,
    FrameSplitter,
    PeerClose,
    _unmask,
    _unmask_by_ints,
    frame_buffers,
    shared_frame,
)
from sio_anyio._ws_guards import AnnouncedLength, Verdict
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Event, Ping, TextMessage
from wsproto.frame_protocol import FrameProtocol

from tests.strategies import blobs

LIMIT = 1000


def client_frame(message: str | bytes, *, fin: bool = True) -> bytes:
    return bytes(FrameProtocol(client=True, extensions=[]).send_data(message, fin=fin))


def masked(first: int, payload: bytes, *, length: bytes | None = None) -> bytes:
    """A frame by hand: ``first`` byte, the masked payload, its length as given or shortest."""
    key = b"\x01\x02\x03\x04"
    if length is None:
        length = bytes([0x80 | len(payload)])
    body = bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))
    return bytes([first]) + length + key + body


def wsproto_server() -> Connection:
    return Connection(ConnectionType.SERVER, [AnnouncedLength(LIMIT, Verdict())])


def observed(pieces: list[str | bytes | ForWsproto], server: Connection) -> list[object]:
    """Messages as the splitter and wsproto together report them (fragments joined)."""
    seen: list[object] = []
    for piece in pieces:
        if isinstance(piece, ForWsproto):
            server.receive_data(piece.data)
            seen += _summaries(server.events())
        else:
            seen.append(piece)
    return _joined(seen)


def wsproto_alone(chunks: list[bytes]) -> list[object]:
    server = wsproto_server()
    seen: list[object] = []
    for chunk in chunks:
        server.receive_data(chunk)
        seen += _summaries(server.events())
    return _joined(seen)


def split(chunks: list[bytes]) -> list[object]:
    splitter, server = FrameSplitter(LIMIT), wsproto_server()
    pieces = [piece for chunk in chunks for piece in splitter.feed(chunk)]
    return observed(pieces, server)


def _summaries(events: object) -> list[object]:
    found: list[object] = []
    for event in events:  # type: ignore[attr-defined]
        assert isinstance(event, Event)
        if isinstance(event, TextMessage | BytesMessage):
            found.append(("part", event.data, event.message_finished))
        elif isinstance(event, Ping):
            found.append(("ping", bytes(event.payload)))
        elif isinstance(event, CloseConnection):
            found.append(("close", event.code))
            break
    return found


def _joined(seen: list[object]) -> list[object]:
    """Fragments as whole messages, so that the two ways of reading compare."""
    out: list[object] = []
    parts: list[str | bytes] = []
    for item in seen:
        if isinstance(item, tuple) and item[0] == "part":
            parts.append(item[1])
            if item[2]:
                out.append(type(parts[0])().join(parts))  # type: ignore[call-arg]
                parts = []
        else:
            out.append(item)
    return out


def test_a_whole_text_frame_is_decoded_without_wsproto() -> None:
    assert FrameSplitter(LIMIT).feed(client_frame('42["echo",1]')) == ['42["echo",1]']


def test_a_whole_binary_frame_is_decoded_without_wsproto() -> None:
    assert FrameSplitter(LIMIT).feed(client_frame(b"\x00\xff" * 200)) == [b"\x00\xff" * 200]


def test_a_frame_cut_in_two_is_decoded_once_whole() -> None:
    frame, splitter = client_frame("hello"), FrameSplitter(LIMIT)
    assert splitter.feed(frame[:3]) == []
    assert splitter.feed(frame[3:]) == ["hello"]


def test_control_frames_go_to_wsproto_whole() -> None:
    ping = bytes(FrameProtocol(client=True, extensions=[]).ping(b"hi"))
    assert FrameSplitter(LIMIT).feed(ping + client_frame("x")) == [ForWsproto(ping), "x"]


def close_frame(payload: bytes) -> bytes:
    return masked(0x88, payload)


def wsproto_reply(frame: bytes) -> bytes | None:
    """What wsproto alone answers to a client's close frame (None: it calls the frame a
    failure, or the close not a plain one)."""
    server = wsproto_server()
    server.receive_data(frame)
    (event,) = [event for event in server.events() if isinstance(event, CloseConnection)]
    return bytes(server.send(event.response())) if server.state.name == "REMOTE_CLOSING" else None


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x03\xe8", b"\x03\xe9bye", b"\x03\xe8" + "au revoir é".encode()],
    ids=["no code", "1000", "1001 with a reason", "1000 with a UTF-8 reason"],
)
def test_a_plain_close_comes_with_the_reply_wsproto_would_send(payload: bytes) -> None:
    frame = close_frame(payload)
    (piece,) = FrameSplitter(LIMIT).feed(frame)
    assert isinstance(piece, PeerClose)
    assert piece.data == frame
    assert piece.reply == wsproto_reply(frame)


@pytest.mark.parametrize(
    "payload",
    [b"\x03", b"\x03\xed", b"\x0b\xb8", b"\x03\xe8\xff\xfe"],
    ids=["one byte", "1005 (local only)", "3000", "reason not UTF-8"],
)
def test_any_other_close_is_wsprotos_to_judge(payload: bytes) -> None:
    frame = close_frame(payload)
    assert FrameSplitter(LIMIT).feed(frame) == [ForWsproto(frame)]


@given(st.integers(0, 0xFFFF), st.binary(max_size=60))
def test_whenever_a_close_is_answered_here_the_answer_is_wsprotos(
    code: int, reason: bytes
) -> None:
    frame = close_frame(code.to_bytes(2, "big") + reason)
    (piece,) = FrameSplitter(LIMIT).feed(frame)
    if isinstance(piece, PeerClose):
        assert piece.reply == wsproto_reply(frame)


def test_an_unmasked_frame_is_wsprotos_to_refuse() -> None:
    unmasked = b"\x81\x02hi"
    assert split([unmasked]) == wsproto_alone([unmasked]) == [("close", 1002)]


def test_a_length_not_in_its_shortest_form_is_wsprotos_to_refuse() -> None:
    frame = masked(0x81, b"hi", length=bytes([0x80 | 126]) + (2).to_bytes(2, "big"))
    assert split([frame]) == wsproto_alone([frame]) == [("close", 1002)]


def test_text_that_is_not_utf8_is_wsprotos_to_refuse() -> None:
    frame = masked(0x81, b"\xff\xfe")
    assert split([frame]) == wsproto_alone([frame]) == [("close", 1007)]


def test_extension_bits_without_an_extension_are_wsprotos_to_refuse() -> None:
    frame = masked(0xC1, b"hi")
    assert split([frame]) == wsproto_alone([frame]) == [("close", 1002)]


def test_a_frame_over_the_limit_leaves_every_byte_after_it_to_wsproto() -> None:
    big, after = client_frame("x" * (LIMIT + 1)), client_frame("after")
    splitter = FrameSplitter(LIMIT)
    assert splitter.feed(big[:20]) == [ForWsproto(big[:20])]
    assert splitter.feed(after) == [ForWsproto(after)]


def test_a_header_announcing_two_to_the_62_bytes_holds_nothing() -> None:
    header = b"\x82\xff" + (1 << 62).to_bytes(8, "big")
    assert FrameSplitter(LIMIT).feed(header) == [ForWsproto(header)]


def test_a_fragmented_message_leaves_the_rest_of_the_stream_to_wsproto() -> None:
    protocol = FrameProtocol(client=True, extensions=[])
    first = bytes(protocol.send_data("hel", fin=False))
    rest = bytes(protocol.send_data("lo", fin=True)) + client_frame("next")
    assert FrameSplitter(LIMIT).feed(client_frame("a") + first + rest) == [
        "a",
        ForWsproto(first + rest),
    ]
    assert split([first + rest]) == ["hello", "next"]


def test_a_server_frame_is_built_once_for_every_recipient() -> None:
    assert shared_frame('42["tick"]') is shared_frame('42["tick"]')


@given(st.one_of(st.text(max_size=70_000), blobs(max_size=70_000)))
def test_a_server_frame_is_the_frame_wsproto_builds(message: str | bytes) -> None:
    expected = FrameProtocol(client=False, extensions=[]).send_data(message, fin=True)
    assert shared_frame(message) == bytes(expected)


def server_frames(messages: list[str | bytes]) -> bytes:
    protocol = FrameProtocol(client=False, extensions=[])
    return b"".join(bytes(protocol.send_data(message, fin=True)) for message in messages)


# Sizes around the point where a payload gets a buffer of its own (16 KiB).
sizes = st.sampled_from([0, 1, 125, 126, 16383, 16384, 65535, 65536, 70_000])
messages = st.builds(
    lambda size, text: "é" * (size // 2) if text else b"x" * size, sizes, st.booleans()
)


@given(st.lists(messages, min_size=1, max_size=8))
def test_the_buffers_of_a_write_are_the_frames_wsproto_builds(sent: list[str | bytes]) -> None:
    assert b"".join(frame_buffers(sent)) == server_frames(sent)


def test_a_small_message_is_one_buffer_its_shared_frame() -> None:
    assert frame_buffers(['42["tick"]']) == [shared_frame('42["tick"]')]


def test_a_large_payload_is_written_from_its_own_buffer_not_copied() -> None:
    payload = bytes(65536)
    placeholder = '461-[{"_placeholder":true,"num":0}]'
    header, own = frame_buffers([placeholder, payload])
    assert own is payload
    assert header == shared_frame(placeholder) + b"\x82\x7f" + (65536).to_bytes(8, "big")


def test_too_many_large_payloads_for_one_vectored_write_are_joined() -> None:
    sent: list[str | bytes] = [bytes(16384)] * 40  # 80 buffers, over the 64 of one write
    assert frame_buffers(sent) == [server_frames(sent)]


@pytest.mark.parametrize("unmask", [_unmask, _unmask_by_ints], ids=["fastest", "ints"])
@given(st.binary(min_size=4, max_size=4), st.binary(max_size=70_000))
def test_unmasking_xors_each_byte_with_the_key_byte_at_its_position(
    unmask: Callable[[bytes, bytes], bytes], key: bytes, payload: bytes
) -> None:
    expected = bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))
    assert unmask(key, payload) == expected


def test_with_websockets_installed_unmasking_is_its_c_function() -> None:
    # The dev extra installs websockets, as the fast extra does.
    assert _unmask is not _unmask_by_ints


_messages = st.one_of(st.text(max_size=300), blobs(max_size=300))


@st.composite
def _streams(draw: st.DrawFn) -> list[bytes]:
    """Frames of every kind a client may send (some fragmented, some pings), cut anywhere."""
    protocol = FrameProtocol(client=True, extensions=[])
    data = b""
    for message in draw(st.lists(_messages, max_size=8)):
        if draw(st.booleans()) and len(message) > 1:
            cut = len(message) // 2
            data += bytes(protocol.send_data(message[:cut], fin=False))
            data += bytes(protocol.send_data(message[cut:], fin=True))
        else:
            data += bytes(protocol.send_data(message, fin=True))
        if draw(st.booleans()):
            data += bytes(protocol.ping(b"p"))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@given(_streams())
def test_the_splitter_and_wsproto_read_what_wsproto_alone_reads(chunks: list[bytes]) -> None:
    assert split(chunks) == wsproto_alone(chunks)


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_arbitrary_bytes_are_read_as_wsproto_alone_reads_them(chunks: list[bytes]) -> None:
    """But for one thing: text that is not UTF-8 is refused once its frame is whole, where
    wsproto alone may refuse it from its first bytes; when the stream stops in between, only
    wsproto has refused it yet (and neither delivered it)."""
    alone, together = wsproto_alone(chunks), split(chunks)
    if alone[-1:] == [("close", 1007)] and together == alone[:-1]:
        return
    assert together == alone


@pytest.mark.parametrize("message", ["é" * 5000, bytes(range(256)) * 40], ids=["text", "binary"])
def test_a_large_frame_is_read_from_among_the_others(message: str | bytes) -> None:
    stream = client_frame("before") + client_frame(message) + client_frame(b"after")
    assert FrameSplitter(100_000).feed(stream) == ["before", message, b"after"]


@given(st.lists(st.binary(max_size=8), max_size=5), st.data())
def test_what_a_partial_vectored_write_leaves_is_the_rest_of_its_buffers(
    buffers: list[bytes], data: st.DataObject
) -> None:
    whole = b"".join(buffers)
    sent = data.draw(st.integers(0, len(whole)))
    assert b"".join(_unsent(buffers, sent)) == whole[sent:]
