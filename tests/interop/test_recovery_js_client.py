"""Connection state recovery against the official socket.io-client 4.8, on asyncio and trio.

The server runs in the test (``sio_anyio.Server`` with ``connection_state_recovery``); the
client is ``recovery_client.mjs``, steered line by line. Its connection is closed under it (a
network failure: ``transport close`` for the server) while the server emits, then it comes
back with the pid and offset socket.io-client keeps on its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import pytest
from sio_anyio import ConnectionStateRecovery, Server, Socket
from sio_servers import INTEROP_DIR

pytestmark = pytest.mark.anyio

SCRIPT = INTEROP_DIR / "recovery_client.mjs"
TIMEOUT = 15
Line = dict[str, Any]


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, once socket.io-client is installed; a clear failure otherwise."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (v18+) is not on PATH; the interop tests need it")
    if not (INTEROP_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail("tests/interop/node_modules has no socket.io-client: run `make npm` first")
    return executable


@pytest.fixture(params=["websocket", "polling"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class JsClient:
    """socket.io-client in a node process: commands in, what it saw out (every line kept)."""

    def __init__(self, process: anyio.abc.Process) -> None:
        self.process = process
        self.lines: list[Line] = []
        self._read = 0
        self._pending = b""

    async def send(self, command: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(f"{command}\n".encode())

    async def until(self, wanted: Callable[[Line], bool]) -> Line:
        """The next line (after those returned before) that ``wanted`` accepts."""
        while True:
            while self._read < len(self.lines):
                line = self.lines[self._read]
                self._read += 1
                assert line["type"] != "error", line
                if wanted(line):
                    return line
            await self._receive()

    async def next(self, kind: str, name: str | None = None) -> Line:
        """The next line of this type (and event name)."""
        return await self.until(lambda line: line["type"] == kind and line.get("name") == name)

    def events(self) -> list[tuple[str, list[Any]]]:
        """Every event the client's handlers got, in order: (name, args)."""
        return [(line["name"], line["args"]) for line in self.lines if line["type"] == "event"]

    async def _receive(self) -> None:
        assert self.process.stdout is not None
        self._pending += await self.process.stdout.receive()
        *complete, self._pending = self._pending.split(b"\n")
        self.lines += [json.loads(raw) for raw in complete if raw.strip()]


@asynccontextmanager
async def js_client(
    node: str, port: int, transport: str, reconnect_ms: int | None = None
) -> AsyncIterator[JsClient]:
    options = {
        "url": f"http://127.0.0.1:{port}",
        "transports": [transport],
        "reconnect_ms": reconnect_ms,
    }
    process = await anyio.open_process(
        [node, str(SCRIPT), json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield JsClient(process)
    finally:
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            process.kill()
            await process.wait()
            await process.aclose()


class Watched:
    """A server with recovery on, whose handlers note each socket and why it left."""

    def __init__(self, **options: Any) -> None:
        self.io = Server(connection_state_recovery=ConnectionStateRecovery(**options))
        self.sockets: list[Socket] = []
        self.reasons: list[str] = []
        self._changed = anyio.Event()
        self.io.on("connection", self._connected)

    def _connected(self, socket: Socket) -> None:
        socket.on("disconnect", self._left)
        self.sockets.append(socket)
        self._changed.set()

    def _left(self, reason: str) -> None:
        self.reasons.append(reason)
        self._changed.set()

    async def wait(self, enough: Callable[[], bool]) -> None:
        while not enough():
            self._changed = anyio.Event()
            await self._changed.wait()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        async with anyio.create_task_group() as tasks:
            _, port = await tasks.start(self.io.serve, "127.0.0.1", 0)
            try:
                yield port
            finally:
                with anyio.CancelScope(shield=True):
                    await self.io.close(grace=1.0)


async def _connected_with_an_offset(server: Watched, client: JsClient) -> Line:
    """The client connects and gets one event, so that it has an offset; its connect line."""
    first = await client.next("connect")
    await server.wait(lambda: len(server.sockets) == 1)
    server.io.emit("hello", 0)
    await client.next("event", "hello")
    return first


async def _dropped(server: Watched, client: JsClient) -> None:
    """The client's connection fails; returns once both sides saw it."""
    await client.send("drop")
    await client.next("disconnect")
    await server.wait(lambda: len(server.reasons) == 1)


async def test_missed_events_arrive_once_in_order_on_the_same_socket(node, transport) -> None:
    server = Watched()
    with anyio.fail_after(TIMEOUT):
        async with server.serving() as port, js_client(node, port, transport) as client:
            first = await _connected_with_an_offset(server, client)
            server.sockets[0].join("club")
            await _dropped(server, client)
            server.io.to(first["id"]).emit("direct", 1)
            server.io.to("club").emit("club", 2)
            server.io.emit("all", 3)
            server.io.to("elsewhere").emit("not for it", 4)
            await client.send("connect")
            again = await client.next("connect")
            await server.wait(lambda: len(server.sockets) == 2)
            rooms = server.sockets[1].rooms
            server.io.emit("after", 5)
            await client.next("event", "after")
    assert server.reasons[0] == "transport close"
    assert again == {"type": "connect", "id": first["id"], "recovered": True}
    assert (server.sockets[1].id, server.sockets[1].recovered) == (first["id"], True)
    assert rooms == {first["id"], "club"}
    kinds = [line["type"] if line["type"] != "event" else line["name"] for line in client.lines]
    assert kinds == ["connect", "hello", "disconnect", "direct", "club", "all", "connect", "after"]
    values = [args[0] for _, args in client.events()]
    offsets = [args[-1] for _, args in client.events()]
    assert values == [0, 1, 2, 3, 5]
    assert all(isinstance(offset, str) for offset in offsets)
    assert len(set(offsets)) == len(offsets)


async def test_an_expired_session_gives_a_fresh_socket(node, transport) -> None:
    server = Watched(max_disconnection_duration=0.2)
    with anyio.fail_after(TIMEOUT):
        async with server.serving() as port, js_client(node, port, transport) as client:
            first = await _connected_with_an_offset(server, client)
            await _dropped(server, client)
            server.io.emit("missed", 1)
            await anyio.sleep(0.4)  # the server's clock must pass the session's expiry
            await client.send("connect")
            again = await client.next("connect")
            await server.wait(lambda: len(server.sockets) == 2)
    assert again["recovered"] is False
    assert again["id"] != first["id"]
    assert (server.sockets[1].recovered, server.sockets[1].id) == (False, again["id"])
    assert [name for name, _ in client.events()] == ["hello"]


async def test_volatile_events_and_events_with_acks_are_not_replayed(node, transport) -> None:
    server = Watched()
    with anyio.fail_after(TIMEOUT):
        async with server.serving() as port, js_client(node, port, transport) as client:
            await _connected_with_an_offset(server, client)
            await _dropped(server, client)
            server.io.volatile.emit("volatile", 1)
            assert await server.io.timeout(0.5).emit_with_ack("with acks", 2) == []
            server.io.emit("kept", 3)
            await client.send("connect")
            again = await client.next("connect")
    assert again["recovered"] is True
    assert [name for name, _ in client.events()] == ["hello", "kept"]


TICKS = 240
DROPS_AT = (40, 110, 180)


async def _tick(io: Server, count: int, every: float) -> None:
    for number in range(count):
        io.emit("tick", number)
        await anyio.sleep(every)


async def test_broadcasts_running_through_reconnects_arrive_with_no_gap_and_no_duplicate(
    node, transport
) -> None:
    server = Watched()
    with anyio.fail_after(TIMEOUT):
        async with (
            server.serving() as port,
            js_client(node, port, transport, reconnect_ms=20) as client,
            anyio.create_task_group() as ticking,
        ):
            await client.next("connect")
            ticking.start_soon(_tick, server.io, TICKS, 0.005)
            for threshold in DROPS_AT:
                await client.until(lambda line, at=threshold: _tick_at_least(line, at))
                await client.send("drop")
            await client.until(lambda line: _tick_at_least(line, TICKS - 1))
    ticks = [args[0] for name, args in client.events() if name == "tick"]
    assert ticks == list(range(TICKS))
    reconnects = [line for line in client.lines if line["type"] == "connect"][1:]
    assert [line["recovered"] for line in reconnects] == [True] * len(DROPS_AT)
    assert len({socket.id for socket in server.sockets}) == 1
    assert sum(_replayed(client.lines)) > 0  # the boundary was crossed by a replay


def _replayed(lines: list[Line]) -> list[int]:
    """For each reconnection, how many events came between the disconnect and the connect:
    the replay, which socket.io-client buffers until the CONNECT reply."""
    counts, away = [], None
    for line in lines:
        if line["type"] == "disconnect":
            away = 0
        elif line["type"] == "event" and away is not None:
            away += 1
        elif line["type"] == "connect" and away is not None:
            counts.append(away)
            away = None
    return counts


def _tick_at_least(line: Line, number: int) -> bool:
    return line["type"] == "event" and line["name"] == "tick" and line["args"][0] >= number
