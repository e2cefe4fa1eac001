"""The server as an ASGI 3 application: ``io.asgi_app(other_app)`` under uvicorn, hypercorn...

It drives the same core through the same driver as the native server; only the connections
come from the ASGI server (:mod:`sio_anyio._asgi`). Requests under the server's path (the core
says which) are served; every other request, and the ``lifespan`` scope, go to ``other_app``.

The server's tasks (timers, handlers) run for the ASGI server's lifespan. Where no lifespan
comes (a server without one, or an app mounted inside a framework, which keeps the lifespan
to itself), they start with the first request and last as long as the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from types import ModuleType
from typing import Any

import anyio

from sio_anyio._asgi import (
    NOT_FOUND,
    ASGIApplication,
    Receive,
    Scope,
    Send,
    deny,
    request_from_scope,
    respond,
    serve_http,
    serve_websocket,
)
from sio_anyio._runner import CoreRunner
from sio_core.surface import TransportCore

trio: ModuleType | None
try:
    import trio
except ImportError:  # trio is an extra; without it, ASGI servers run on asyncio
    trio = None

logger = logging.getLogger("sio_anyio")

__all__ = ["ASGIApp", "ASGIApplication", "Receive", "Scope", "Send"]


class ASGIApp:
    """A Socket.IO (or Engine.IO) server as an ASGI 3 application; make one with
    :meth:`sio_anyio.Server.asgi_app`.

    :param other_app: answers the requests outside the server's path and takes part in the
        lifespan; without one, those requests get 404.
    """

    def __init__(
        self,
        runner: CoreRunner[TransportCore],
        close: Callable[[], Awaitable[None]],
        other_app: ASGIApplication | None = None,
    ) -> None:
        self._runner = runner
        self._close = close
        self.other_app = other_app
        self._lazily_running: anyio.Event | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if kind not in ("http", "websocket"):
            await self._other(scope, receive, send)
            return
        head = request_from_scope(scope)
        if not self._runner.driver.owns(head):
            await self._other(scope, receive, send)
            return
        await self._ensure_running()
        if kind == "http":
            await serve_http(head, receive, send, self._runner.driver)
        else:
            await serve_websocket(head, scope, receive, send, self._runner.driver)

    async def _other(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.other_app is not None:
            await self.other_app(scope, receive, send)
        elif scope["type"] == "http":
            await respond(send, NOT_FOUND, str(scope.get("method", "GET")))
        elif scope["type"] == "websocket":
            await deny(scope, send, NOT_FOUND)
        else:
            raise ValueError(f"unsupported ASGI scope type {scope['type']!r}")

    # -- the server's tasks ---------------------------------------------------------------

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the server's tasks from startup on; close it at shutdown, before ``other_app``'s
        own shutdown (its sockets' ``disconnect`` handlers may use what that shuts down)."""

        async def receive_closing() -> dict[str, Any]:
            message = dict(await receive())
            if message["type"] == "lifespan.shutdown":
                await self._close()
            return message

        already = self._runner.is_running  # the host runs it (a framework's lifespan)
        async with contextlib.nullcontext() if already else self._runner.running():
            if self.other_app is None:
                await _answer_lifespan(receive_closing, send)
            else:
                await self.other_app(scope, receive_closing, send)

    async def _ensure_running(self) -> None:
        """Start the server's tasks now if no lifespan did (and wait until they run)."""
        if self._runner.is_running and self._lazily_running is None:
            return
        if self._lazily_running is None:
            self._lazily_running = anyio.Event()
            self._spawn(self._run_lazily, self._lazily_running)
        await self._lazily_running.wait()

    async def _run_lazily(self, started: anyio.Event) -> None:
        try:
            async with self._runner.running():
                started.set()
                await anyio.sleep_forever()
        except Exception:
            logger.exception("the server's tasks failed")

    def _spawn(
        self, function: Callable[[anyio.Event], Coroutine[Any, Any, None]], arg: anyio.Event
    ) -> None:
        """Run ``function(arg)`` for the rest of the event loop's life, outside any request.

        anyio has no such task (every task lives in a task group, and a request's ends with
        it); asyncio's tasks and trio's system tasks are just that.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on asyncio: on trio, the other loop anyio runs on
            assert trio is not None
            trio.lowlevel.spawn_system_task(function, arg)
            return
        task = loop.create_task(function(arg))
        self._background.add(task)  # asyncio keeps only weak references to its tasks
        task.add_done_callback(self._background.discard)


async def _answer_lifespan(receive: Receive, send: Send) -> None:
    """The lifespan protocol, for an app with no ``other_app`` to answer it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
