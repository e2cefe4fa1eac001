"""sio_anyio.Server: connecting to namespaces, the handshake, middlewares, dynamic namespaces."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from sio_anyio import ConnectionRejected, Server, Socket
from sio_anyio._context import Context

pytestmark = pytest.mark.anyio

TIMEOUT = 5


async def test_connection_handler_gets_a_socket_with_the_id_sent_to_the_client(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join()
            (socket,) = await seen.wait_for(1)
            await client.aclose()
    assert answer.raw == f'0{{"sid":"{socket.id}"}}'
    assert isinstance(socket, Socket)
    assert socket.nsp.name == "/"


async def test_socket_rooms_contain_its_own_id(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen(socket.id, socket.rooms))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            [(socket_id, rooms)] = await seen.wait_for(1)
            await client.aclose()
    assert rooms == {socket_id}


async def test_handshake_carries_auth_query_headers_and_address(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen(socket.handshake))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port, "&room=42", [("X-Custom", "hello")])
            await client.join(auth={"token": "abc"})
            (handshake,) = await seen.wait_for(1)
            await client.aclose()
    assert handshake.auth == {"token": "abc"}
    assert handshake.query["room"] == "42"
    assert handshake.query["EIO"] == "4"
    assert handshake.headers["x-custom"] == "hello"
    assert handshake.address == "127.0.0.1"


async def test_handshake_time_and_issued_are_when_the_connection_came(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen(socket.handshake))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            before = time.time()
            client = await wire.connected(port)
            (handshake,) = await seen.wait_for(1)
            after = time.time()
            await client.aclose()
    assert before * 1000 - 1000 <= handshake.issued <= after * 1000 + 1000
    assert handshake.time.endswith("GMT+0000 (Coordinated Universal Time)")


async def test_handshake_auth_is_empty_without_a_connect_payload(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen(socket.handshake.auth))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            (auth,) = await seen.wait_for(1)
            await client.aclose()
    assert auth == {}


async def test_async_connection_handler_is_awaited(wire) -> None:
    io = Server()

    @io.on("connection")
    async def on_connection(socket: Socket) -> None:
        await anyio.lowlevel.checkpoint()
        socket.emit("welcome", socket.id)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join()
            welcome = await client.receive()
            await client.aclose()
    assert welcome.data == ["welcome", answer.data["sid"]]


async def test_socket_data_set_in_a_middleware_is_seen_by_the_handler(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.use
    def remember(socket: Socket) -> None:
        socket.data = {"user": socket.handshake.auth["user"]}

    io.on("connection", lambda socket: seen(socket.data))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port, auth={"user": "ann"})
            (data,) = await seen.wait_for(1)
            await client.aclose()
    assert data == {"user": "ann"}


async def test_middleware_rejection_sends_connect_error_with_message_and_data(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.use
    def refuse(socket: Socket) -> None:
        raise ConnectionRejected("not authorized", {"code": 401})

    io.on("connection", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join()
            await client.aclose()
    assert answer.raw == '4{"message":"not authorized","data":{"code":401}}'
    assert seen.items == []


async def test_middleware_plain_exception_rejects_with_its_text(wire) -> None:
    io = Server()

    @io.use
    async def refuse(socket: Socket) -> None:
        raise ValueError("bad token")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join()
            await client.aclose()
    assert answer.raw == '4{"message":"bad token"}'


async def test_rejected_client_may_retry_and_get_in(wire) -> None:
    io, seen = Server(), wire.Seen()

    @io.use
    def require_token(socket: Socket) -> None:
        if socket.handshake.auth.get("token") != "secret":
            raise ConnectionRejected("no token")

    io.on("connection", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            refused = await client.join()
            accepted = await client.join(auth={"token": "secret"})
            await seen.wait_for(1)
            await client.aclose()
    assert refused.type == 4
    assert accepted.type == 0


async def test_middlewares_run_in_registration_order(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.use(lambda socket: seen("first"))
    io.use(lambda socket: seen("second"))
    io.on("connection", lambda socket: seen("connection"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            items = await seen.wait_for(3)
            await client.aclose()
    assert items == ["first", "second", "connection"]


async def test_static_namespace_has_its_own_connection_handler(wire) -> None:
    io, main, admin = Server(), wire.Seen(), wire.Seen()
    io.on("connection", main)
    io.of("/admin").on("connection", lambda socket: admin(socket.nsp.name))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join("/admin")
            names = await admin.wait_for(1)
            await client.aclose()
    assert answer.nsp == "/admin"
    assert answer.type == 0
    assert names == ["/admin"]
    assert main.items == []


async def test_unknown_namespace_is_refused_as_invalid(wire) -> None:
    io = Server()
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join("/nowhere")
            await client.aclose()
    assert answer.raw == '4/nowhere,{"message":"Invalid namespace"}'


async def test_one_connection_carries_sockets_in_two_namespaces(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen(socket.nsp.name, socket.conn.id))
    io.of("/admin").on("connection", lambda socket: seen(socket.nsp.name, socket.conn.id))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            main = await client.join("/")
            admin = await client.join("/admin")
            items = await seen.wait_for(2)
            await client.aclose()
    assert main.data["sid"] != admin.data["sid"]
    assert sorted(items) == [("/", client.handshake["sid"]), ("/admin", client.handshake["sid"])]


async def test_dynamic_namespace_applies_parent_middleware_and_handler(wire) -> None:
    io, seen = Server(), wire.Seen()
    parent = io.of(re.compile(r"^/dyn-\d+$"))
    parent.use(lambda socket: seen("middleware", socket.nsp.name))
    parent.on("connection", lambda socket: seen("connection", socket.nsp.name))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join("/dyn-12")
            items = await seen.wait_for(2)
            await client.aclose()
    assert answer.type == 0
    assert answer.nsp == "/dyn-12"
    assert items == [("middleware", "/dyn-12"), ("connection", "/dyn-12")]


async def test_dynamic_namespace_parent_middleware_can_reject(wire) -> None:
    io = Server()
    parent = io.of(re.compile(r"^/dyn-\d+$"))

    @parent.use
    def refuse(socket: Socket) -> None:
        raise ConnectionRejected("closed", "try later")

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join("/dyn-7")
            await client.aclose()
    assert answer.raw == '4/dyn-7,{"message":"closed","data":"try later"}'


async def test_name_not_matching_the_dynamic_pattern_is_invalid(wire) -> None:
    io = Server()
    io.of(re.compile(r"^/dyn-\d+$"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join("/dyn-x")
            await client.aclose()
    assert answer.raw == '4/dyn-x,{"message":"Invalid namespace"}'


async def test_dynamic_child_is_reachable_with_of_once_created(wire) -> None:
    io, seen = Server(), wire.Seen()
    parent = io.of(re.compile(r"^/dyn-\d+$"))
    parent.on("connection", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port, "/dyn-3")
            await seen.wait_for(1)
            io.of("/dyn-3").emit("news", 1)
            news = await client.receive()
            await client.aclose()
    assert news.raw == '2/dyn-3,["news",1]'


async def test_emit_on_the_parent_reaches_every_child(wire) -> None:
    io, seen = Server(), wire.Seen()
    parent = io.of(re.compile(r"^/dyn-\d+$"))
    parent.on("connection", seen)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            one = await wire.connected(port, "/dyn-1")
            two = await wire.connected(port, "/dyn-2")
            await seen.wait_for(2)
            parent.emit("all", "x")
            got = [(await one.receive()).raw, (await two.receive()).raw]
            await one.aclose()
            await two.aclose()
    assert got == ['2/dyn-1,["all","x"]', '2/dyn-2,["all","x"]']


def spawns_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the server starts tasks for, from now on."""
    spawned: list[str] = []
    spawn = Context.spawn

    def counting(self: Context, function: Callable[..., Awaitable[Any]], *args: Any) -> bool:
        spawned.append(getattr(function, "__name__", repr(function)))
        return spawn(self, function, *args)

    monkeypatch.setattr(Context, "spawn", counting)
    return spawned


async def test_plain_middleware_and_handlers_need_no_task_from_connect_to_close(
    wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Admission, events and the connection's close run in the reading task while every
    listener is a plain function; the close of a connection nobody listens to costs nothing."""
    io, seen = Server(), wire.Seen()
    io.use(lambda socket: None)

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        seen("connected")
        socket.on("disconnect", lambda reason: seen(reason))

    spawned = spawns_of(monkeypatch)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await seen.wait_for(1)
            await client.aclose()
            await seen.wait_for(2)
    assert seen.items == ["connected", "transport close"]
    assert spawned == []


async def test_async_middleware_still_precedes_the_handler_and_the_connect(wire) -> None:
    io = Server()

    @io.use
    async def slow_gate(socket: Socket) -> None:
        await anyio.sleep(0.01)
        socket.data["gate"] = "passed"

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.emit("gate", socket.data["gate"])

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            greeting = await client.receive()
            await client.aclose()
    assert greeting.data == ["gate", "passed"]
