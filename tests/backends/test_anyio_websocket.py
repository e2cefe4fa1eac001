"""The anyio backend over WebSocket, driven by a wsproto client on real TCP."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from sio_anyio._driver import Driver
from sio_anyio._streams import ByteStream
from sio_anyio._ws_frames import shared_frame
from wsproto import events as ws
from wsproto.frame_protocol import CloseReason

from sio_core.config import EngineConfig
from sio_core.errors import DisconnectReason
from sio_core.events import SessionClosed, SessionOpened, SessionUpgraded

pytestmark = pytest.mark.anyio

TIMEOUT = 5
WS_TARGET = "/engine.io/?EIO=4&transport=websocket"


async def test_websocket_handshake_sends_the_open_packet(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            opening = await client.receive_message()
            await client.aclose()
    assert isinstance(opening, str)
    assert wire.open_packet(opening)["sid"] == "s1".ljust(20, "_")


async def test_switching_response_and_open_packet_leave_in_one_write(
    wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    send_buffers_now = ByteStream.send_buffers_now

    def recording(self: ByteStream, buffers: Sequence[bytes | bytearray | memoryview]) -> int:
        writes.append(b"".join(buffers))
        return send_buffers_now(self, buffers)

    monkeypatch.setattr(ByteStream, "send_buffers_now", recording)
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            opening = await client.receive_message()
            await client.aclose()
    assert wire.open_packet(opening)["sid"]
    assert writes[0].startswith(b"HTTP/1.1 101 ")
    assert writes[0].endswith(b"\r\n\r\n" + shared_frame(opening))


async def test_output_the_kernel_takes_at_once_is_never_reported_unwritten(
    wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports: list[tuple[int, int]] = []
    monkeypatch.setattr(
        Driver, "ws_unwritten", lambda _, ws_id, size: reports.append((ws_id, size))
    )
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            for _ in range(20):
                await client.send_message("4hello")
                await client.receive_message()
            await client.aclose()
    assert reports == []


@pytest.mark.parametrize("message", ["4hello", b"\x00\x01\xff"], ids=["text", "binary"])
async def test_message_is_echoed_over_websocket(wire, message: str | bytes) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send_message(message)
            echoed = await client.receive_message()
            await client.aclose()
    assert echoed == message


async def test_fragments_are_joined_into_one_message(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send(ws.TextMessage(data="4hel", message_finished=False))
            await client.send(ws.TextMessage(data="lo", message_finished=True))
            echoed = await client.receive_message()
            await client.aclose()
    assert echoed == "4hello"


async def answers(wire, *sent: ws.Event) -> list[ws.Event]:
    """The server's next event after each of ``sent``, on a new WebSocket past its open packet."""
    received = []
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            for event in sent:
                await client.send(event)
                received.append(await client.next_event())
            await client.aclose()
    return received


async def test_ws_ping_is_answered_with_a_pong(wire) -> None:
    answer = await answers(wire, ws.Ping(payload=b"are you there"))
    assert answer == [ws.Pong(payload=b"are you there")]


async def test_permessage_deflate_is_negotiated_when_offered(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET, deflate=True)
            await client.receive_message()
            await client.send_message("4" + "compressible " * 100)
            echoed = await client.receive_message()
            await client.aclose()
    assert [ext.name for ext in client.accepted.extensions] == ["permessage-deflate"]
    assert echoed == "4" + "compressible " * 100


async def test_permessage_deflate_can_be_turned_off(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server(per_message_deflate=False) as (port, _):
            client = await wire.ws(port, WS_TARGET, deflate=True)
            await client.receive_message()
            await client.aclose()
    assert client.accepted.extensions == []


async def test_server_close_ends_the_websocket_with_a_close_frame(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.ws(port, WS_TARGET)
            sid = wire.open_packet(await client.receive_message())["sid"]
            recorder.server.close_session(sid)
            while not isinstance(event := await client.next_event(), ws.CloseConnection):
                pass
            await client.aclose()
    assert event.code == 1000


async def test_close_closes_open_websockets_before_stopping(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await recorder.server.close()
            while not isinstance(event := await client.next_event(), ws.CloseConnection):
                pass
            await client.aclose()
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
    assert event.code == 1000
    assert ended.reason is DisconnectReason.FORCED_CLOSE


async def test_oversized_message_closes_the_websocket_with_1009(wire) -> None:
    config = EngineConfig(max_http_buffer_size=100)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send(ws.TextMessage(data="4" + "x" * 60, message_finished=False))
            await client.send(ws.TextMessage(data="x" * 60, message_finished=True))
            closing = await client.next_event()
            await client.aclose()
            await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
    assert isinstance(closing, ws.CloseConnection)
    assert closing.code == 1009
    assert answered


async def test_client_close_frame_closes_the_session_cleanly(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send(ws.CloseConnection(code=1000))
            answer = await client.next_event()
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            await client.aclose()
    assert isinstance(answer, ws.CloseConnection)
    assert isinstance(ended, SessionClosed)
    assert ended.reason is DisconnectReason.TRANSPORT_CLOSE


async def test_after_the_client_close_handshake_the_connection_closes_without_a_drain(
    wire, lingered: list[ByteStream]
) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.send(ws.CloseConnection(code=1000))
            answer = await client.next_event()
            with pytest.raises(anyio.EndOfStream):
                await client.stream.receive()
            await client.aclose()
    assert isinstance(answer, ws.CloseConnection)
    assert lingered == []


async def test_after_a_server_close_frame_the_connection_drains_the_client_reply(
    wire, lingered: list[ByteStream]
) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.ws(port, WS_TARGET)
            sid = wire.open_packet(await client.receive_message())["sid"]
            recorder.server.close_session(sid)
            while not isinstance(await client.next_event(), ws.CloseConnection):
                pass
            await client.send(ws.CloseConnection(code=1000))
            await client.aclose()
    assert len(lingered) == 1


@pytest.mark.parametrize(
    ("sent", "answered"),
    [(None, (1005, "")), (1001, (1001, "bye"))],
    ids=["without a code", "going away, with a reason"],
)
async def test_client_close_is_answered_in_kind(
    wire, sent: int | None, answered: tuple[int, str]
) -> None:
    reason = "bye" if sent is not None else None
    code = sent if sent is not None else CloseReason.NO_STATUS_RCVD  # an empty payload
    (answer,) = await answers(wire, ws.CloseConnection(code=code, reason=reason))
    assert isinstance(answer, ws.CloseConnection)
    assert (answer.code, answer.reason) == answered


async def test_client_close_after_a_ping_is_answered_too(wire) -> None:
    """The ping brought wsproto in: from then on it reads the close frame as well."""
    pong, answer = await answers(wire, ws.Ping(payload=b"?"), ws.CloseConnection(code=1000))
    assert isinstance(pong, ws.Pong)
    assert isinstance(answer, ws.CloseConnection)
    assert answer.code == 1000


async def test_client_eof_closes_the_session_cleanly(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            await client.aclose()
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
    assert isinstance(ended, SessionClosed)
    assert ended.reason is DisconnectReason.TRANSPORT_CLOSE


async def test_heartbeat_timer_sends_a_ping_over_websocket(wire) -> None:
    config = EngineConfig(ping_interval=0.05, ping_timeout=1.0)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, _):
            client = await wire.ws(port, WS_TARGET)
            await client.receive_message()
            ping = await client.receive_message()
            await client.aclose()
    assert ping == "2"


async def test_silent_client_is_closed_by_the_ping_timeout(wire) -> None:
    config = EngineConfig(ping_interval=0.05, ping_timeout=0.05)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, recorder):
            client = await wire.ws(port, WS_TARGET)
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            await client.aclose()
    assert isinstance(ended, SessionClosed)
    assert ended.reason is DisconnectReason.PING_TIMEOUT


async def test_polling_session_upgrades_to_websocket(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            http = await wire.http(port)
            sid = await wire.handshake(http)
            client = await wire.ws(port, f"{WS_TARGET}&sid={sid}")
            await client.send_message("2probe")
            probe_answer = await client.receive_message()
            await client.send_message("5")
            await recorder.wait_for(lambda e: isinstance(e, SessionUpgraded))
            await client.send_message("4after upgrade")
            echoed = await client.receive_message()
            await client.aclose()
            await http.aclose()
    assert (probe_answer, echoed) == ("3probe", "4after upgrade")


async def test_upgrade_request_without_a_key_gets_400_and_opens_no_session(wire) -> None:
    upgrade = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
    ]
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            raw = await wire.http(port)
            refused = await raw.request("GET", WS_TARGET, headers=upgrade)
            await raw.aclose()
            client = await wire.http(port)
            await wire.handshake(client)  # a session the application does hear of, after
            await client.aclose()
            await recorder.wait_for(lambda e: isinstance(e, SessionOpened))
    assert refused.status == 400
    assert "Sec-WebSocket-Key" in refused.text
    opened = [e for e in recorder.events if isinstance(e, SessionOpened)]
    assert [e.transport for e in opened] == ["polling"]
