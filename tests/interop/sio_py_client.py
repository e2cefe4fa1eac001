"""Scenarios run by the official Python client, ``python-socketio``'s ``AsyncClient`` (5.x).

They mirror those of ``sio_client.mjs`` so that both clients are held to the same contract
(``examples/conformance.py``), and each returns a dict of what the client saw for
``test_socketio_py_client.py`` to assert on. Every wait is bounded by ``WAIT``; every client is
disconnected on the way out, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import socketio

WAIT = 5.0
"""Seconds any single expected thing may take to happen."""

CLIENT_TRANSPORTS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgraded": ["polling", "websocket"],
}
Result = dict[str, Any]


def run(scenario: Coroutine[Any, Any, Result], timeout: float = 30.0) -> Result:
    """Runs one scenario in a fresh asyncio loop, bounded in time as a whole.

    When a server drops it (server disconnect, crash, restart), python-engineio can leave an
    aiohttp session or connection unclosed; their __del__ warns (ResourceWarning) whenever the
    garbage collector gets to them, which under filterwarnings=error would fail whichever test
    happens to run then. That one warning, from aiohttp only, is ignored while the scenario runs
    and while what it left is collected here, so it can never land on an innocent test.
    """

    async def bounded() -> Result:
        return await asyncio.wait_for(scenario, timeout)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ResourceWarning, module=r"aiohttp\.")
        try:
            return asyncio.run(bounded())
        finally:
            gc.collect()


class Inbox:
    """Queues every arrival of the events it listens to, per (event, namespace)."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self._client = client
        self._queues: dict[tuple[str, str], asyncio.Queue[tuple[Any, ...]]] = {}

    def listen(self, event: str, namespace: str = "/") -> None:
        queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._queues[event, namespace] = queue

        async def handler(*args: Any) -> None:
            queue.put_nowait(args)

        self._client.on(event, handler, namespace=namespace)

    async def next(
        self, event: str, namespace: str = "/", *, timeout: float = WAIT
    ) -> tuple[Any, ...]:
        return await asyncio.wait_for(self._queues[event, namespace].get(), timeout)

    def pending(self, event: str, namespace: str = "/") -> list[tuple[Any, ...]]:
        queue = self._queues[event, namespace]
        return [queue.get_nowait() for _ in range(queue.qsize())]


def new_client(**options: Any) -> tuple[socketio.AsyncClient, Inbox]:
    """A client that never installs a SIGINT handler and does not reconnect unless told to."""
    options = {"reconnection": False, "handle_sigint": False, **options}
    client = socketio.AsyncClient(**options)
    return client, Inbox(client)


async def connect(
    client: socketio.AsyncClient,
    url: str,
    transport: str,
    *,
    auth: Any = None,
    namespaces: tuple[str, ...] = ("/",),
) -> None:
    """Connects; with "upgraded", also waits until the connection runs on WebSocket."""
    await client.connect(
        url,
        auth=auth,
        transports=CLIENT_TRANSPORTS[transport],
        namespaces=list(namespaces),
        wait_timeout=WAIT,
    )
    if transport == "upgraded":
        await until(lambda: client.transport() == "websocket")


async def until(condition: Callable[[], bool]) -> None:
    """Waits, bounded by WAIT, for a condition that no event announces."""
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("condition not met in time")


@contextlib.asynccontextmanager
async def session(
    url: str, transport: str, *, auth: Any = None, events: tuple[str, ...] = (), **options: Any
) -> AsyncIterator[tuple[socketio.AsyncClient, Inbox]]:
    """A client connected to `/`, listening to `auth` and `events`; disconnected on exit."""
    client, inbox = new_client(**options)
    for event in ("auth", *events):
        inbox.listen(event)
    try:
        await connect(client, url, transport, auth=auth)
        yield client, inbox
    finally:
        await client.shutdown()


# --- scenarios --------------------------------------------------------------------------------


async def auth_scenario(
    url: str, transport: str, *, auth: Any = None, namespaces: tuple[str, ...] = ("/",)
) -> Result:
    """Connects every namespace on one client (one Engine.IO connection); collects `auth`."""
    client, inbox = new_client()
    for namespace in namespaces:
        inbox.listen("auth", namespace)
    try:
        await connect(client, url, transport, auth=auth, namespaces=namespaces)
        received = {n: (await inbox.next("auth", n))[0] for n in namespaces}
        sids = {n: client.get_sid(n) for n in namespaces}
        return {"auth": received, "sids": sids, "transport": client.transport()}
    finally:
        await client.shutdown()


async def event_scenario(url: str, transport: str, args: tuple[Any, ...]) -> Result:
    """Sends `message` with `args`; returns the arguments of `message-back`."""
    async with session(url, transport, events=("message-back",)) as (client, inbox):
        await client.emit("message", args)
        reply = await inbox.next("message-back")
        return {"reply": list(reply), "transport": client.transport()}


async def ack_scenario(url: str, transport: str, args: tuple[Any, ...]) -> Result:
    """Sends `message-with-ack` with `args`; returns the arguments of its ack."""
    async with session(url, transport) as (client, _):
        acked: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        await client.emit("message-with-ack", args, callback=lambda *a: acked.set_result(a))
        reply = await asyncio.wait_for(acked, WAIT)
        return {"reply": list(reply), "transport": client.transport()}


async def server_ack_scenario(url: str, transport: str, *, answer: Any) -> Result:
    """Answers the server's `ping-me` with `answer`; returns its `server-ack-result`."""
    async with session(url, transport, events=("server-ack-result",)) as (client, inbox):
        seen: list[list[Any]] = []

        async def ping_me(*args: Any) -> Any:
            seen.append(list(args))
            return answer

        client.on("ping-me", ping_me)
        await client.emit("server-ack")
        (outcome,) = await inbox.next("server-ack-result")
        return {"ping_me_args": seen, "server_ack_result": outcome}


async def late_ack_scenario(url: str, transport: str, *, late_answer: Any) -> Result:
    """Answers `ping-me` only after the server gave up on it, then checks the link still works.

    python-socketio always acks once its handler returns, so the handler is held until the
    server has reported its timeout.
    """
    events = ("server-ack-result", "message-back")
    async with session(url, transport, events=events) as (client, inbox):
        release = asyncio.Event()

        async def ping_me(*_: Any) -> Any:
            await asyncio.wait_for(release.wait(), WAIT)
            return late_answer

        client.on("ping-me", ping_me)
        await client.emit("server-ack")
        (outcome,) = await inbox.next("server-ack-result")
        release.set()
        await client.emit("message", "still here")
        reply = await inbox.next("message-back")
        return {"server_ack_result": outcome, "reply_after_late_answer": list(reply)}


async def restricted_scenario(url: str, transport: str, *, auth: Any = None) -> Result:
    """Connects only `/restricted`; returns whether it got in, and what `connect_error` said."""
    client, inbox = new_client()
    inbox.listen("auth", "/restricted")
    inbox.listen("connect_error", "/restricted")
    result: Result = {"connected": False, "auth": None, "connect_error": None, "raised": None}
    try:
        await connect(client, url, transport, auth=auth, namespaces=("/restricted",))
    except socketio.exceptions.ConnectionError as error:
        result["raised"] = str(error)
        result["connect_error"] = list(inbox.pending("connect_error", "/restricted"))
    else:
        result["connected"] = True
        (result["auth"],) = await inbox.next("auth", "/restricted")
    finally:
        await client.shutdown()
    return result


async def rooms_scenario(url: str, transport: str, *, payload: Any) -> Result:
    """Two members of `r1`, an outsider in `r2`, a sender in none (see sio_client.mjs `rooms`)."""
    names = ("member1", "member2", "outsider", "sender")
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                session(url, transport, events=("room-message",))
            )
            for name in names
        }
        joins = [("member1", "r1"), ("member2", "r1"), ("outsider", "r2")]
        acks = [await clients[name][0].call("join", room, timeout=WAIT) for name, room in joins]
        sender = clients["sender"][0]
        await sender.emit("to-room", ("r1", payload))
        await sender.emit("to-room", ("r2", "marker"))
        received = {}
        for name in ("member1", "member2", "outsider"):
            inbox = clients[name][1]
            first = await inbox.next("room-message")
            received[name] = [list(first), *map(list, inbox.pending("room-message"))]
        return {"join_acks": acks, "received": received}


async def disconnect_scenario(
    url: str, transport: str, *, trigger: str, pid: int | None = None
) -> Result:
    """Ends the connection by `trigger` (as in sio_client.mjs); returns the disconnect reason."""
    async with session(url, transport, events=("disconnect",)) as (client, inbox):
        await _pull(trigger, client, pid)
        # python-engineio notices a silent polling server only when its GET times out, after
        # max(pingInterval, pingTimeout) + 5 s.
        (reason,) = await inbox.next("disconnect", timeout=WAIT + 6)
        return {"reason": reason, "connected": client.connected}


async def _pull(trigger: str, client: socketio.AsyncClient, pid: int | None) -> None:
    actions: dict[str, Callable[[], Awaitable[None]]] = {
        "client": client.disconnect,
        "kill": lambda: _signal(pid, signal.SIGKILL),
        "freeze": lambda: _signal(pid, signal.SIGSTOP),
    }
    action = actions.get(trigger)
    await (action() if action else client.emit(trigger))


async def _signal(pid: int | None, signum: signal.Signals) -> None:
    assert pid is not None
    os.kill(pid, signum)


async def restart_scenario(
    url: str, transport: str, *, auth: Any, restart: Callable[[], Awaitable[None]]
) -> Result:
    """Connects with reconnection on, awaits `restart()` (kill + start again on the same port),
    then waits for the reconnection, its `auth` event and a working `message` round trip."""
    options = {"reconnection": True, "reconnection_delay": 0.1, "randomization_factor": 0}
    events = ("disconnect", "connect", "message-back")
    async with session(url, transport, auth=auth, events=events, **options) as (client, inbox):
        await inbox.next("auth")
        await inbox.next("connect")
        await restart()
        (reason,) = await inbox.next("disconnect")
        await asyncio.wait_for(inbox.next("connect"), WAIT * 2)
        (auth_after,) = await inbox.next("auth")
        if transport == "upgraded":
            await until(lambda: client.transport() == "websocket")
        await client.emit("message", "after restart")
        reply = await inbox.next("message-back")
        return {"reason": reason, "auth_after": auth_after, "reply": list(reply)}
