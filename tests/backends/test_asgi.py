"""io.asgi_app(): the same server through an ASGI server, uvicorn on asyncio, hypercorn on trio.

The clients are the raw h11/wsproto ones of the native tests (the ``wire`` fixture), so each
test reads as its native twin: what the native server does, the ASGI app does too.
"""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import hypercorn
import hypercorn.trio
import pytest
import uvicorn
from script_module import load_script
from sio_anyio import EngineIOServer, Server, Socket
from sio_anyio.asgi import ASGIApp
from wsproto import ConnectionType, WSConnection
from wsproto import events as ws

from sio_core.config import CookieOptions, CorsOptions
from sio_core.events import Event, MessageReceived

pytestmark = pytest.mark.anyio

TIMEOUT = 10
SIO = "/socket.io/?EIO=4"
POLLING = f"{SIO}&transport=polling"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ASGI_SERVERS = {"asyncio": "uvicorn", "trio": "hypercorn"}


# -- an ASGI server in this event loop -----------------------------------------------------


@asynccontextmanager
async def asgi_serving(app: Any, anyio_backend: str) -> AsyncIterator[int]:
    """Serve ``app`` on a free port: uvicorn on asyncio, hypercorn's trio worker on trio."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    if ASGI_SERVERS[anyio_backend] == "uvicorn":
        config = uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [listener])
            try:
                yield port
            finally:
                server.should_exit = True
    else:
        hyper = hypercorn.Config()
        hyper.bind = [f"fd://{listener.detach()}"]
        hyper.graceful_timeout = 1
        stop = anyio.Event()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(partial(hypercorn.trio.serve, app, hyper, shutdown_trigger=stop.wait))
            try:
                yield port
            finally:
                stop.set()


def sio_server(disconnects: Any = None, **options: Any) -> Server:
    """A server whose sockets answer ``echo`` with their arguments (and report disconnects)."""
    io = Server(**options)

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("echo", lambda *args: args)
        if disconnects is not None:
            socket.on("disconnect", disconnects)

    return io


async def polling_session(wire: Any, port: int) -> tuple[Any, str]:
    """A polling client whose socket joined ``/``; its sid."""
    client = await wire.http(port)
    opened = await client.request("GET", POLLING)
    sid = wire.open_packet(opened.text)["sid"]
    await client.request("POST", f"{POLLING}&sid={sid}", b"40")
    connected = await client.request("GET", f"{POLLING}&sid={sid}")
    assert connected.text.startswith("40{"), connected.text
    return client, sid


async def ws_handshake(port: int, target: str) -> tuple[anyio.abc.SocketStream, Any]:
    """The first event a WebSocket client gets: accepted, or rejected with a response."""
    stream = await anyio.connect_tcp("127.0.0.1", port)
    client = WSConnection(ConnectionType.CLIENT)
    await stream.send(client.send(ws.Request(host="127.0.0.1", target=target)))
    while True:
        client.receive_data(await stream.receive())
        for event in client.events():
            if isinstance(event, ws.RejectData):
                continue
            return stream, event


# -- polling ---------------------------------------------------------------------------------


async def test_polling_client_connects_and_is_answered(wire, anyio_backend) -> None:
    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client, sid = await polling_session(wire, port)
            target = f"{POLLING}&sid={sid}"
            posted = await client.request("POST", target, b'421["echo","hi"]')
            answered = await client.request("GET", target)
            await client.aclose()
    assert (posted.status, posted.text) == (200, "ok")
    assert answered.text == '431["hi"]'


async def test_client_leaving_a_held_get_is_reported_to_the_core(wire, anyio_backend) -> None:
    disconnects = wire.Seen()
    io = sio_server(disconnects)
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client, sid = await polling_session(wire, port)
            await client.send_request("GET", f"{POLLING}&sid={sid}")
            await client.aclose()
            reasons = await disconnects.wait_for(1)
    assert reasons == ["transport error"]


async def test_declared_oversized_post_gets_413_and_ends_the_session(wire, anyio_backend) -> None:
    disconnects = wire.Seen()
    io = sio_server(disconnects, max_http_buffer_size=100)
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client, sid = await polling_session(wire, port)
            target = f"{POLLING}&sid={sid}"
            response = await client.request("POST", target, b"4" + b"x" * 1000)
            await client.aclose()
            reasons = await disconnects.wait_for(1)
    assert response.status == 413
    assert reasons == ["transport error"]


async def test_chunked_oversized_post_gets_413(wire, anyio_backend) -> None:
    io = sio_server(max_http_buffer_size=100)
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client, sid = await polling_session(wire, port)
            chunked = [("Transfer-Encoding", "chunked")]
            target = f"{POLLING}&sid={sid}"
            response = await client.request("POST", target, b"4" + b"x" * 1000, chunked)
            await client.aclose()
    assert response.status == 413


@pytest.mark.parametrize(("compression", "encoding"), [(True, "gzip"), (False, None)])
async def test_http_compression_applies_to_a_large_poll(
    wire, anyio_backend, compression, encoding
) -> None:
    io = sio_server(http_compression=compression)
    big = "x" * 5000
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client, sid = await polling_session(wire, port)
            target = f"{POLLING}&sid={sid}"
            await client.request(
                "POST", target, json.dumps(["echo", big]).join(["421", ""]).encode()
            )
            gzip_ok = [("Accept-Encoding", "gzip")]
            answered = await client.request("GET", target, headers=gzip_ok)
            await client.aclose()
    assert answered.headers.get("content-encoding") == encoding
    body = gzip.decompress(answered.body) if encoding else answered.body
    assert body.decode() == f'431["{big}"]'


async def test_cors_preflight_and_handshake_carry_the_allowed_origin(wire, anyio_backend) -> None:
    origin = [("Origin", "https://example.com")]
    io = sio_server(cors=CorsOptions(origins=("https://example.com",), credentials=True))
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client = await wire.http(port)
            preflight = await client.request("OPTIONS", POLLING, headers=origin)
            opened = await client.request("GET", POLLING, headers=origin)
            await client.aclose()
    assert preflight.status == 204
    for response in (preflight, opened):
        assert response.headers["access-control-allow-origin"] == "https://example.com"
        assert response.headers["access-control-allow-credentials"] == "true"


async def test_cookie_is_set_on_the_polling_handshake(wire, anyio_backend) -> None:
    io = sio_server(cookie=CookieOptions())
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client = await wire.http(port)
            opened = await client.request("GET", POLLING)
            await client.aclose()
    sid = wire.open_packet(opened.text)["sid"]
    assert opened.headers["set-cookie"] == f"io={sid}; Path=/; HttpOnly; SameSite=Lax"


# -- WebSocket -------------------------------------------------------------------------------


async def test_websocket_client_connects_and_is_answered(wire, anyio_backend) -> None:
    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client = await wire.connected(port)
            await client.emit("echo", {"a": 1}, ack_id=7)
            answer = await client.receive()
            await client.aclose()
    assert answer.raw == '37[{"a":1}]'


async def test_cookie_is_set_on_the_websocket_handshake(wire, anyio_backend) -> None:
    io = sio_server(cookie=CookieOptions())
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client = await wire.sio(port)
            await client.aclose()
    assert client.ws.accepted is not None
    headers = {name.lower(): value.decode() for name, value in client.ws.accepted.extra_headers}
    sid = client.handshake["sid"]
    assert headers[b"set-cookie"] == f"io={sid}; Path=/; HttpOnly; SameSite=Lax"


async def test_polling_session_upgrades_to_websocket(wire, anyio_backend) -> None:
    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            poller, sid = await polling_session(wire, port)
            upgrade = await wire.ws(port, f"{SIO}&transport=websocket&sid={sid}")
            await upgrade.send_message("2probe")
            probed = await upgrade.receive_message()
            await upgrade.send_message("5")
            await upgrade.send_message('421["echo","over ws"]')
            answered = await upgrade.receive_message()
            await upgrade.aclose()
            await poller.aclose()
    assert (probed, answered) == ("3probe", '431["over ws"]')


async def test_oversized_websocket_message_closes_it_with_1009(wire, anyio_backend) -> None:
    disconnects = wire.Seen()
    io = sio_server(disconnects, max_http_buffer_size=100)
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client = await wire.connected(port)
            await client.ws.send_message("42" + json.dumps(["echo", "x" * 200]))
            while not isinstance(closing := await client.ws.next_event(), ws.CloseConnection):
                pass
            await client.aclose()
            reasons = await disconnects.wait_for(1)
    assert closing.code == 1009
    assert reasons == ["transport error"]


async def test_websocket_the_core_refuses_gets_its_answer(anyio_backend) -> None:
    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            stream, refusal = await ws_handshake(port, f"{SIO}&transport=websocket&sid=nope")
            await stream.aclose()
    assert isinstance(refusal, ws.RejectConnection)
    assert refusal.status_code == 400


# -- beside another application --------------------------------------------------------------


async def other_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers every HTTP request with its path; closes every WebSocket; no lifespan."""
    if scope["type"] == "http":
        body = f"other {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000})
    else:
        raise RuntimeError("no lifespan here")


async def test_other_paths_go_to_the_other_app(wire, anyio_backend) -> None:
    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(other_app), anyio_backend) as port:
            client = await wire.http(port)
            other = await client.request("GET", "/index.html")
            ours = await client.request("GET", POLLING)
            await client.aclose()
    assert (other.status, other.text) == (200, "other /index.html")
    assert ours.text.startswith("0{")


async def test_other_paths_get_404_without_an_other_app(wire, anyio_backend) -> None:
    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(), anyio_backend) as port:
            client = await wire.http(port)
            response = await client.request("GET", "/index.html")
            await client.aclose()
            stream, refusal = await ws_handshake(port, "/elsewhere")
            await stream.aclose()
    assert response.status == 404
    assert isinstance(refusal, ws.RejectConnection)
    assert refusal.status_code == 404


async def test_lifespan_reaches_the_other_app_around_the_servers_own(anyio_backend) -> None:
    seen, started = [], anyio.Event()

    async def lifespan_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message["type"])
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.startup":
                started.set()
            else:
                return

    io = sio_server()
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(io.asgi_app(lifespan_app), anyio_backend):
            await started.wait()
    assert seen == ["lifespan.startup", "lifespan.shutdown"]


# -- without any ASGI server: the app called directly ------------------------------------------


async def call(app: ASGIApp, scope: dict[str, Any], incoming: list[dict[str, Any]]) -> list[Any]:
    """Call ``app`` once; what it sent. ``incoming`` is what it receives, then it waits."""
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(target: str) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [],
        "root_path": "",
    }


async def test_without_a_lifespan_the_server_starts_on_the_first_request() -> None:
    io = sio_server(ping_interval=0.05)
    app = io.asgi_app()
    request = [{"type": "http.request", "body": b"", "more_body": False}]
    with anyio.fail_after(TIMEOUT):
        opened = await call(app, http_scope(POLLING), list(request))
        sid = json.loads(opened[1]["body"][1:])["sid"]
        pinged = await call(app, http_scope(f"{POLLING}&sid={sid}"), list(request))
    assert opened[0]["status"] == 200
    assert pinged[1]["body"] == b"2"  # the heartbeat timer runs: the server's tasks started


async def test_mount_prefix_in_root_path_is_part_of_the_path() -> None:
    io = sio_server()
    scope = {**http_scope("/?EIO=4&transport=polling"), "root_path": "/socket.io"}
    request = [{"type": "http.request", "body": b"", "more_body": False}]
    with anyio.fail_after(TIMEOUT):
        sent = await call(io.asgi_app(), scope, request)
    assert sent[0]["status"] == 200
    assert sent[1]["body"].startswith(b"0{")


# -- the examples: FastAPI and Starlette, routes beside the mount -----------------------------


def load_example(name: str) -> ModuleType:
    return load_script(EXAMPLES / f"{name}.py", f"example_{name}")


@pytest.mark.parametrize("example", ["asgi_fastapi", "asgi_starlette"])
async def test_example_serves_its_routes_and_socketio_side_by_side(
    wire, anyio_backend, example
) -> None:
    app = load_example(example).app
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(app, anyio_backend) as port:
            http = await wire.http(port)
            hello = await http.request("GET", "/hello")
            missing = await http.request("GET", "/nowhere")
            await http.aclose()
            client = await wire.connected(port)
            await client.emit("chat message", "hi there")
            echoed = await client.receive()
            await client.aclose()
    assert (hello.status, json.loads(hello.body)) == (200, {"hello": "world"})
    assert missing.status == 404
    assert echoed.data == ["chat message", "hi there"]


async def test_websocket_refusal_is_a_close_where_the_server_cannot_answer() -> None:
    scope = {**http_scope("/elsewhere"), "type": "websocket", "extensions": {}}
    with anyio.fail_after(TIMEOUT):
        sent = await call(sio_server().asgi_app(), scope, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_engineio_server_is_served_the_same_way(wire, anyio_backend) -> None:
    def echo(event: Event) -> None:
        if isinstance(event, MessageReceived):
            server.send(event.sid, event.data)

    server = EngineIOServer(handler=echo)
    with anyio.fail_after(TIMEOUT):
        async with asgi_serving(server.asgi_app(), anyio_backend) as port:
            client = await wire.ws(port, "/engine.io/?EIO=4&transport=websocket")
            await client.receive_message()
            await client.send_message("4hello")
            echoed = await client.receive_message()
            await client.aclose()
    assert echoed == "4hello"


async def test_output_the_asgi_server_has_not_sent_yet_counts_against_the_budget() -> None:
    io = sio_server()
    scope = {**http_scope(f"{SIO}&transport=websocket"), "type": "websocket"}
    scope["headers"] = [
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
    ]
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "40"}]
    sent: list[Any] = []
    gate: anyio.Event | None = None

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:  # an ASGI server whose client does not read
        sent.append(message)
        if gate is not None:
            await gate.wait()

    def buffered(sid: str) -> int | None:
        return io._context.query(lambda core: core.connections.buffered_bytes(sid))

    async def until(condition: Any) -> None:
        while not condition():
            await anyio.sleep(0.01)  # bounded by the test's fail_after

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(io.asgi_app(), scope, receive, send)
            await until(lambda: any(m.get("text", "").startswith("40{") for m in sent))
            sid = json.loads(sent[1]["text"][1:])["sid"]
            gate = anyio.Event()
            io.emit("news", "x" * 1000)
            await until(lambda: (buffered(sid) or 0) > 1000)
            gate.set()
            await until(lambda: buffered(sid) == 0)
            tasks.cancel_scope.cancel()
    assert sent[-1]["text"].startswith('42["news","xxx')
