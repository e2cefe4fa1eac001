"""docs/socket.md, the port of Node's "Socket instance" page: each example run as a test.

Every ``python`` block of the page is a complete module, preceded by ``<!-- test: NAME -->``.
Each test here executes one block as it is written (its ``print`` records what it prints),
serves the ``io`` it defines, and plays the page's scenario with a real client, on both loops.
A block without a test, or a test without a block, fails :func:`test_every_example_has_a_test`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from sio_anyio import Server
from wsproto import events as ws_events

pytestmark = pytest.mark.anyio

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "socket.md"
BLOCK = re.compile(r"<!-- test: (\w+) -->\n```python\n(.*?)```", re.S)
TIMEOUT = 5
POLLING = "/socket.io/?EIO=4&transport=polling"
NODE_KEYS = ["headers", "time", "address", "xdomain", "secure", "issued", "url", "query", "auth"]


def examples() -> dict[str, str]:
    return dict(BLOCK.findall(PAGE.read_text()))


def run_example(name: str, printed: Any) -> dict[str, Any]:
    """Execute the block ``name``; returns its globals (``io`` among them)."""
    namespace: dict[str, Any] = {"__name__": f"docs_socket_{name}", "print": printed}
    exec(compile(examples()[name], f"{PAGE}:{name}", "exec"), namespace)
    assert isinstance(namespace["io"], Server)
    return namespace


def test_every_example_has_a_test() -> None:
    text = PAGE.read_text()
    tested = set(examples())
    assert text.count("```python") == len(tested)
    assert tested == {
        name.removeprefix("test_example_")
        for name in globals()
        if name.startswith("test_example_")
    }


async def test_example_id(wire) -> None:
    printed = wire.Seen()
    io = run_example("id", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            answer = await client.join()
            await printed.wait_for(1)
            await client.aclose()
    assert printed.items == [answer.data["sid"]]


async def test_example_private_message(wire) -> None:
    io = run_example("private_message", wire.Seen())["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            alice, bob = await wire.sio(port), await wire.sio(port)
            alice_id = (await alice.join()).data["sid"]
            bob_id = (await bob.join()).data["sid"]
            await alice.emit("private message", bob_id, "hi")
            message = await bob.receive()
            await alice.aclose()
            await bob.aclose()
    assert message.data == ["private message", alice_id, "hi"]


async def test_example_handshake(wire) -> None:
    printed = wire.Seen()
    io = run_example("handshake", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port, auth={"token": "123"})
            await client.emit("whoami", ack_id=1)
            answer = await client.receive()
            await client.aclose()
    assert printed.items == [{"token": "123"}, NODE_KEYS]
    (handshake,) = answer.data
    assert list(handshake) == NODE_KEYS
    assert handshake["auth"] == {"token": "123"}
    assert handshake["query"]["transport"] == "websocket"


async def test_example_rooms(wire) -> None:
    printed = wire.Seen()
    io = run_example("rooms", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.sio(port)
            socket_id = (await client.join()).data["sid"]
            await printed.wait_for(2)
            await client.aclose()
    assert printed.items == [{socket_id}, {socket_id, "room1"}]


async def test_example_data(wire) -> None:
    example = run_example("data", wire.Seen())
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(example["io"]) as port:
            client = await wire.connected(port)
            names = await example["usernames"]()
            await client.aclose()
    assert names == ["alice"]


async def test_example_typed_data(wire) -> None:
    printed = wire.Seen()
    io = run_example("typed_data", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.send("1")
            await printed.wait_for(1)
            await client.aclose()
    assert printed.items == [("alice", "client namespace disconnect")]


async def test_example_conn(wire) -> None:
    printed = wire.Seen()
    io = run_example("conn", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            sid = wire.open_packet((await http.request("GET", POLLING)).text)["sid"]
            polling = f"{POLLING}&sid={sid}"
            await http.request("POST", polling, b"40")
            await http.request("GET", polling)
            ws = await wire.ws(port, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
            await ws.send_message("2probe")
            await ws.receive_message()
            await ws.send_message("5")
            await printed.wait_for(2)
            await ws.send(ws_events.CloseConnection(code=1000))
            await printed.wait_for(3)
            await ws.aclose()
            await http.aclose()
    assert printed.items == [
        ("initial transport", "polling"),
        ("upgraded transport", "websocket"),
        ("closed:", "transport close"),
    ]


async def test_example_attributes(wire) -> None:
    printed, left = wire.Seen(), wire.Seen()
    io = run_example("attributes", printed)["io"]
    io.on("connection", lambda socket: socket.on("disconnect", lambda _: left(socket)))
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            stranger = await wire.sio(port)
            refused = await stranger.join(auth={"token": "nope"})
            alice = await wire.connected(port, auth={"token": "123"})
            await alice.emit("set username", "al")
            await alice.send("1")
            (socket,) = await left.wait_for(1)
            await stranger.aclose()
            await alice.aclose()
    assert (refused.type, refused.data) == (4, {"message": "unknown user"})
    assert printed.items == ["alice"]
    assert socket.data == {"user": "alice", "username": "al"}


async def test_example_socket_middleware(wire) -> None:
    printed = wire.Seen()
    io = run_example("socket_middleware", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("chat", "hi", 2)
            await printed.wait_for(1)
            await client.aclose()
    assert printed.items == [("received", "chat", ["hi", 2])]


async def test_example_socket_middleware_error(wire) -> None:
    io = run_example("socket_middleware_error", wire.Seen())["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.emit("admin:drop-tables")
            notice = await client.receive()
            await client.aclose()
    assert notice.raw == "1"  # the DISCONNECT of the error listener


async def test_example_disconnect(wire) -> None:
    printed = wire.Seen()
    io = run_example("disconnect", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await client.send("1")
            await printed.wait_for(1)
            await client.aclose()
    assert printed.items == ["client namespace disconnect"]


async def test_example_disconnecting(wire) -> None:
    io = run_example("disconnecting", wire.Seen())["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            leaving, staying = await wire.sio(port), await wire.sio(port)
            leaving_id = (await leaving.join()).data["sid"]
            await staying.join()
            for client in (leaving, staying):
                await client.emit("join", "kitchen", ack_id=1)
                assert (await client.receive()).raw == "31[]"  # joined
            await leaving.send("1")
            message = await staying.receive()
            await leaving.aclose()
            await staying.aclose()
    assert message.data == ["user has left", leaving_id]


async def test_example_reserved(wire) -> None:
    printed = wire.Seen()
    io = run_example("reserved", printed)["io"]
    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            client = await wire.connected(port)
            await printed.wait_for(1)
            await client.aclose()
    assert [str(item) for item in printed.items] == ["'disconnect' is a reserved event name"]


def test_server_page_table_maps_each_node_spelling_of_the_socket_instance() -> None:
    """docs/server.md's Node-to-Python table has a row for each of them."""
    rows = [line for line in (DOCS / "server.md").read_text().splitlines() if line.startswith("|")]
    wanted = {
        "once / off / removeListener": "once / off / remove_listener / remove_all_listeners",
        "(err) => err.message": "str(error)",
        "JSON.stringify": "TypeError",
        "socket.data": "Socket[MyData]",
        "socket.handshake": "to_dict()",
        "socket.conn.transport.name": "socket.conn.transport.name",
        'socket.conn.once("upgrade"': "transport.name",
        "io.listen(port)": "tasks.start(io.serve, host, port)",
        "io.close()": "returns at once",
    }
    for node, python in wanted.items():
        assert [row for row in rows if node in row and python in row], node
