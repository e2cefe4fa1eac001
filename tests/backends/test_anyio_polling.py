"""The anyio backend over HTTP long-polling, driven by an h11 client on real TCP."""

from __future__ import annotations

import anyio
import pytest
from sio_anyio._streams import ByteStream

from sio_core.config import EngineConfig
from sio_core.events import SessionClosed, SessionOpened
from sio_core.http import HttpRequest, HttpResponse

pytestmark = pytest.mark.anyio

TIMEOUT = 5


async def test_polling_handshake_answers_with_the_open_packet(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.http(port)
            response = await client.request("GET", f"{wire.EIO}&transport=polling")
            await client.aclose()
            opened = await recorder.wait_for(lambda e: isinstance(e, SessionOpened))
    assert response.status == 200
    assert wire.open_packet(response.text)["sid"] == "s1".ljust(20, "_")
    assert isinstance(opened, SessionOpened)
    assert opened.request.client is not None


async def test_client_that_says_connection_close_is_closed_without_a_drain(
    wire, lingered: list[ByteStream]
) -> None:
    """It sends nothing after its request (as Node's XHR polling does): the lingering close,
    which waits for the peer's end, is for clients that may still be sending."""
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.http(port)
            target = f"{wire.EIO}&transport=polling"
            response = await client.request("GET", target, headers=[("Connection", "close")])
            closed = await client.closed_by_server()
            await client.aclose()
    assert response.status == 200
    assert closed
    assert lingered == []


async def test_held_get_is_completed_by_the_echo_of_a_post(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            poller, poster = await wire.http(port), await wire.http(port)
            sid = await wire.handshake(poller)
            target = f"{wire.EIO}&transport=polling&sid={sid}"
            await poller.send_request("GET", target)
            posted = await poster.request("POST", target, b"4hello")
            polled = await poller.read_response()
            await poller.aclose()
            await poster.aclose()
    assert (posted.status, posted.text) == (200, "ok")
    assert (polled.status, polled.text) == (200, "4hello")


async def test_binary_message_is_echoed_over_polling(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.http(port)
            sid = await wire.handshake(client)
            await client.request("POST", f"{wire.EIO}&transport=polling&sid={sid}", b"bAQID")
            polled = await client.request("GET", f"{wire.EIO}&transport=polling&sid={sid}")
            await client.aclose()
    assert polled.text == "bAQID"


async def test_one_connection_carries_several_requests(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.http(port)
            sid = await wire.handshake(client)
            posted = await client.request("POST", f"{wire.EIO}&transport=polling&sid={sid}", b"4a")
            polled = await client.request("GET", f"{wire.EIO}&transport=polling&sid={sid}")
            await client.aclose()
    assert (posted.text, polled.text) == ("ok", "4a")


async def test_request_outside_the_path_gets_404(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            client = await wire.http(port)
            response = await client.request("GET", "/elsewhere/?EIO=4&transport=polling")
            await client.aclose()
    assert response.status == 404


async def test_fallback_answers_requests_outside_the_path(wire) -> None:
    async def fallback(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=200, body=f"fallback {request.path}".encode())

    with anyio.fail_after(TIMEOUT):
        async with wire.server(fallback=fallback) as (port, _):
            client = await wire.http(port)
            response = await client.request("GET", "/index.html")
            await client.aclose()
    assert (response.status, response.text) == (200, "fallback /index.html")


async def test_declared_oversized_post_is_answered_then_the_connection_closed(wire) -> None:
    config = EngineConfig(max_http_buffer_size=100)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, recorder), wire.bystander(port) as bystander:
            client = await wire.http(port)
            sid = await wire.handshake(client)
            target = f"{wire.EIO}&transport=polling&sid={sid}"
            response = await client.request("POST", target, b"4" + b"x" * 1000)
            closed = await client.closed_by_server()
            await client.aclose()
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
            answered = await bystander.answered()
    assert response.status == 413
    assert closed
    assert isinstance(ended, SessionClosed)
    assert ended.sid == sid
    assert answered


async def test_chunked_oversized_post_is_answered_then_the_connection_closed(wire) -> None:
    config = EngineConfig(max_http_buffer_size=100)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, _):
            client = await wire.http(port)
            sid = await wire.handshake(client)
            chunked = [("Transfer-Encoding", "chunked")]
            target = f"{wire.EIO}&transport=polling&sid={sid}"
            response = await client.request("POST", target, b"4" + b"x" * 1000, chunked)
            closed = await client.closed_by_server()
            await client.aclose()
    assert response.status == 413
    assert closed


async def test_client_leaving_a_held_get_is_reported_to_the_core(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, recorder):
            client = await wire.http(port)
            sid = await wire.handshake(client)
            await client.send_request("GET", f"{wire.EIO}&transport=polling&sid={sid}")
            await client.aclose()
            ended = await recorder.wait_for(lambda e: isinstance(e, SessionClosed))
    assert isinstance(ended, SessionClosed)
    assert ended.sid == sid


async def test_heartbeat_timer_answers_a_held_get_with_a_ping(wire) -> None:
    config = EngineConfig(ping_interval=0.05, ping_timeout=1.0)
    with anyio.fail_after(TIMEOUT):
        async with wire.server(config) as (port, _):
            client = await wire.http(port)
            sid = await wire.handshake(client)
            polled = await client.request("GET", f"{wire.EIO}&transport=polling&sid={sid}")
            await client.aclose()
    assert polled.text == "2"


async def test_unparseable_request_gets_400_and_the_connection_closed(wire) -> None:
    with anyio.fail_after(TIMEOUT):
        async with wire.server() as (port, _):
            stream = await anyio.connect_tcp("127.0.0.1", port)
            await stream.send(b"NOT HTTP AT ALL\r\n\r\n")
            answer = b""
            try:
                while chunk := await stream.receive():
                    answer += chunk
            except anyio.EndOfStream:
                pass
            await stream.aclose()
    assert answer.startswith(b"HTTP/1.1 400 ")
