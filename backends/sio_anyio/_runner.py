"""Runs any :class:`~sio_core.surface.TransportCore` on TCP: the part every server shares.

The Engine.IO server of :mod:`sio_anyio.engineio` and the Socket.IO server of
:mod:`sio_anyio.server` both wrap it. It starts three kinds of tasks in one task group: the
listener (and its connection tasks), the deadline timer, and the handler runner. The core itself
is reached through :attr:`CoreRunner.driver`, the only object that calls it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic

import anyio
import anyio.abc

from sio_anyio._driver import C, Driver
from sio_anyio._handlers import AppHandler, HandlerRunner
from sio_anyio._http import HttpConnection, not_found
from sio_anyio._listener import serve_tcp
from sio_anyio._options import BackendOptions
from sio_anyio._streams import ByteStream
from sio_core.events import Event

SHUTDOWN_GRACE = 2.0
"""Seconds a shutdown gives the last output, and the handlers, before it stops serving."""


class CoreRunner(Generic[C]):
    """One core, served over TCP, with its session events delivered to ``handler``.

    :param options: the fallback, WebSocket compression and read timeout.
    """

    def __init__(
        self,
        core: C,
        handler: AppHandler | None = None,
        options: BackendOptions | None = None,
    ) -> None:
        self._options = options or BackendOptions()
        self._handlers = HandlerRunner(handler)
        self.driver: Driver[C] = Driver(core, self._handlers.submit)
        self._scope: anyio.CancelScope | None = None
        self._stopped: anyio.Event | None = None
        self._app_tasks: Callable[[], AbstractAsyncContextManager[object]] = _no_app_tasks
        self._running = False
        self._tasks: anyio.abc.TaskGroup | None = None  # while running

    def route_events(self, router: Callable[[Event], None]) -> None:
        """Hand session events to ``router`` during each pump, instead of to the handler.

        The router must not wait nor call the core (the Socket.IO server routes events to
        per-socket queues this way, saving a task switch per event).
        """
        self.driver.on_app_event = router

    def host_app_tasks(self, scope: Callable[[], AbstractAsyncContextManager[object]]) -> None:
        """Enter ``scope()`` around the runner's own tasks while running.

        The Socket.IO server's handler tasks live there: that scope is entered before the
        timer and the handler runner start, and left after they are cancelled.
        """
        self._app_tasks = scope

    @property
    def is_running(self) -> bool:
        """Whether :meth:`running` (serving included) is under way."""
        return self._running

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the deadline timer and the handlers, without listening; stop them on exit.

        What :meth:`serve` runs around its listener, and what a host that brings its own
        connections (the ASGI app) runs around them.
        """
        if self._running:
            raise RuntimeError("this server is already running")
        self._running = True
        try:
            async with self._app_tasks(), anyio.create_task_group() as tasks:
                tasks.start_soon(self.driver.run_timer)
                tasks.start_soon(self._handlers.run)
                self._tasks = tasks
                try:
                    yield
                finally:
                    self._tasks = None
                    tasks.cancel_scope.cancel()
        finally:
            self._running = False

    async def serve(
        self,
        host: str,
        port: int,
        *,
        task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until :meth:`stop` or cancellation; reports the bound (host, port)."""
        if self._scope is not None:
            raise RuntimeError("this server is already serving")
        self._stopped = anyio.Event()
        try:
            with anyio.CancelScope() as self._scope:
                async with self.running():
                    await serve_tcp(host, port, self._serve_connection, task_status=task_status)
        finally:
            self._scope = None
            self._stopped.set()

    async def shutdown(
        self,
        close_every_session: Callable[[C], object],
        *also: Callable[[], Awaitable[None]],
        grace: float = SHUTDOWN_GRACE,
    ) -> None:
        """Close every session, give their last output up to ``grace`` seconds, then stop.

        :param also: more to wait for within the grace (the application's handler tasks).
        """
        self.driver.command(close_every_session)
        with anyio.move_on_after(grace):
            await self.drained()
            for wait in also:
                await wait()
        await self.stop()

    async def drained(self) -> None:
        """Wait until every answer is written, every WebSocket has ended and the handler has
        seen every event: the end of a graceful shutdown, once every session was closed."""
        await self.driver.drained()
        await self._handlers.idle()

    async def stop(self) -> None:
        """Stop serving and wait until every task has ended; no-op when not serving."""
        if self._scope is not None and self._stopped is not None:
            self._scope.cancel()
            await self._stopped.wait()

    async def _serve_connection(self, stream: ByteStream) -> None:
        connection = HttpConnection(
            stream,
            self.driver,
            self._options.fallback or not_found,
            deflate=self._options.per_message_deflate,
            read_timeout=self._options.read_timeout,
            spawn=self._spawn,
        )
        websocket = await connection.run()
        del connection  # an open WebSocket keeps nothing of its HTTP days
        if websocket is not None:
            peer_sending = await websocket.run()
            await (stream.linger_close() if peer_sending else stream.aclose())

    def _spawn(self, function: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start a helper of a connection (a WebSocket's writer) among the runner's tasks."""
        if self._tasks is not None:
            self._tasks.start_soon(function)


@contextlib.asynccontextmanager
async def _no_app_tasks() -> AsyncIterator[None]:
    yield
