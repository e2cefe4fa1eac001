"""The WebSocket guards inside wsproto, sans-IO: client frames in, wsproto events out."""

from __future__ import annotations

from sio_anyio._ws_guards import (
    AnnouncedLength,
    BoundedDeflate,
    Refusal,
    Verdict,
    failure_reason,
)
from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection, Event, Ping, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import FrameProtocol

LIMIT = 1000


class Server:
    """A server-side wsproto connection behind the guards, deflate negotiated."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.verdict = Verdict()
        deflate = BoundedDeflate(limit, self.verdict)
        deflate.accept("permessage-deflate")
        guards = [AnnouncedLength(limit, self.verdict), deflate]
        self.ws = Connection(ConnectionType.SERVER, guards)

    def feed(self, data: bytes) -> list[Event]:
        self.ws.receive_data(data)
        return list(self.ws.events())


def client_frames(*, deflate: bool = True) -> FrameProtocol:
    extensions = []
    if deflate:
        extension = PerMessageDeflate()
        extension.finalize("permessage-deflate")
        extensions.append(extension)
    return FrameProtocol(client=True, extensions=extensions)


def joined(events: list[Event]) -> str:
    return "".join(event.data for event in events if isinstance(event, TextMessage))


def test_deflate_bomb_is_refused_without_yielding_its_inflated_bytes() -> None:
    bomb = bytes(client_frames().send_data("a" * 10_000_000))
    server = Server()
    assert len(bomb) < 20_000  # small on the wire: no header says it is large
    events = server.feed(bomb)
    assert [(type(event), getattr(event, "code", None)) for event in events] == [
        (CloseConnection, 1009)
    ]
    assert server.verdict.refusal is Refusal.TOO_LARGE


def test_compressed_message_of_exactly_the_limit_is_inflated_whole() -> None:
    server = Server()
    events = server.feed(bytes(client_frames().send_data("b" * LIMIT)))
    assert joined(events) == "b" * LIMIT
    assert server.verdict.refusal is None


def test_inflation_is_counted_per_message_not_per_connection() -> None:
    frames = client_frames()
    server = Server()
    events = server.feed(bytes(frames.send_data("c" * 800)) + bytes(frames.send_data("d" * 800)))
    assert joined(events) == "c" * 800 + "d" * 800


def test_fragmented_compressed_message_past_the_limit_is_refused() -> None:
    frames = client_frames()
    server = Server()
    first = server.feed(bytes(frames.send_data("e" * 600, fin=False)))
    second = server.feed(bytes(frames.send_data("e" * 600, fin=True)))
    assert len(joined(first)) <= LIMIT
    assert [type(event) for event in second] == [CloseConnection]
    assert server.verdict.refusal is Refusal.TOO_LARGE


def test_ping_between_compressed_fragments_passes_untouched() -> None:
    frames = client_frames()
    server = Server()
    events = server.feed(
        bytes(frames.send_data("f" * 10, fin=False))
        + bytes(frames.ping(b"still there"))
        + bytes(frames.send_data("g" * 10, fin=True))
    )
    assert Ping(payload=b"still there") in events
    assert joined(events) == "f" * 10 + "g" * 10


def test_header_announcing_past_the_limit_is_refused_before_any_payload() -> None:
    header = bytes(client_frames(deflate=False).send_data(b"h" * (LIMIT + 1)))[:8]
    server = Server()
    events = server.feed(header)
    assert [(type(event), getattr(event, "code", None)) for event in events] == [
        (CloseConnection, 1009)
    ]


def test_corrupt_compressed_data_is_1007_with_a_reason_of_our_own() -> None:
    server = Server()
    events = server.feed(b"\xc1\x84\x00\x00\x00\x00\xff\xff\xff\xff")
    assert len(events) == 1
    assert isinstance(events[0], CloseConnection)
    assert events[0].code == 1007
    assert failure_reason(events[0], server.verdict) == "invalid compressed data"


def test_invalid_utf8_reason_is_ours_not_the_codec_message() -> None:
    verdict = Verdict()
    codec_failure = CloseConnection(
        code=1007, reason="'utf-8' codec can't decode byte 0xff in position 5: invalid start byte"
    )
    assert failure_reason(codec_failure, verdict) == "invalid UTF-8 in a text message"


def test_other_wsproto_reasons_are_kept() -> None:
    failure = CloseConnection(code=1002, reason="Reserved bit set unexpectedly")
    assert failure_reason(failure, Verdict()) == "Reserved bit set unexpectedly"


def test_invalid_utf8_in_a_close_reason_gets_a_reason_of_our_own() -> None:
    server = Server()
    events = server.feed(b"\x88\x84\x00\x00\x00\x00\x03\xe8\xff\xfe")
    assert len(events) == 1
    assert isinstance(events[0], CloseConnection)
    assert events[0].code == 1007
    assert failure_reason(events[0], server.verdict) == "invalid UTF-8 in a close reason"
