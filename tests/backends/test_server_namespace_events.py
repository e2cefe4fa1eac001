"""What a tool that watches a whole server hooks into: Node's ``new_namespace`` and
``io._nsps`` (``io.namespaces``), and each namespace's adapter events, ``join-room`` and
``leave-room``."""

from __future__ import annotations

import re

import anyio
import pytest
from sio_anyio import Namespace, Server, Socket

pytestmark = pytest.mark.anyio

TIMEOUT = 5


# -- namespaces ----------------------------------------------------------------------------------


def test_namespaces_lists_the_namespaces_made_so_far() -> None:
    io = Server()
    chat = io.of("/chat")
    io.of(re.compile(r"^/room-\d+$"))
    assert dict(io.namespaces) == {"/": io.sockets, "/chat": chat}


def test_new_namespace_hears_of_each_namespace_made_with_of() -> None:
    io, made = Server(), []
    io.on("new_namespace", lambda namespace: made.append(namespace.name))
    io.of("/chat")
    io.of("/chat")
    io.of("news")
    assert made == ["/chat", "/news"]


async def test_new_namespace_hears_of_a_dynamic_child_before_its_middlewares(wire) -> None:
    io, seen = Server(), wire.Seen()
    rooms = io.of(re.compile(r"^/room-\d+$"))
    rooms.use(lambda socket: seen(("middleware", socket.nsp.name)))

    @io.on("new_namespace")
    def made(namespace: Namespace) -> None:
        seen(("new_namespace", namespace.name))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await wire.connected(port, "/room-1")
            await wire.connected(port, "/room-1")
            items = await seen.wait_for(3)
    assert items == [
        ("new_namespace", "/room-1"),
        ("middleware", "/room-1"),
        ("middleware", "/room-1"),
    ]
    assert "/room-1" in io.namespaces


async def test_an_async_new_namespace_listener_runs_in_a_task(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.of(re.compile(r"^/room-\d+$"))

    async def made(namespace: Namespace) -> None:
        await anyio.sleep(0)
        seen(namespace.name)

    io.on("new_namespace", made)
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await wire.connected(port, "/room-7")
            assert await seen.wait_for(1) == ["/room-7"]


# -- room events ---------------------------------------------------------------------------------


async def test_adapter_reports_joins_and_leaves_in_order(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.sockets.adapter.on("join-room", lambda room, sid: seen(("join", room, sid)))
    io.sockets.adapter.on("leave-room", lambda room, sid: seen(("leave", room, sid)))

    @io.on("connection")
    def enter(socket: Socket) -> None:
        socket.join("lobby")
        socket.leave("lobby")
        socket.disconnect()

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            items = await seen.wait_for(4)
            await client.aclose()
    sid = items[0][2]
    assert items == [
        ("join", sid, sid),
        ("join", "lobby", sid),
        ("leave", "lobby", sid),
        ("leave", sid, sid),
    ]


async def test_adapter_events_are_per_namespace(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.of("/chat").adapter.on("join-room", lambda room, sid: seen(("chat", room)))
    io.sockets.adapter.on("join-room", lambda room, sid: seen(("main", room == sid)))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await wire.connected(port, "/chat")
            await wire.connected(port)
            items = await seen.wait_for(2)
    chat, main = sorted(items, key=str)
    assert chat[0] == "chat"  # the socket's own room, an id
    assert main == ("main", True)


async def test_a_prepended_connection_listener_runs_first(wire) -> None:
    io, seen = Server(), wire.Seen()
    io.on("connection", lambda socket: seen("application"))
    io.sockets.prepend_listener("connection", lambda socket: seen("tool"))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            await wire.connected(port)
            assert await seen.wait_for(2) == ["tool", "application"]
