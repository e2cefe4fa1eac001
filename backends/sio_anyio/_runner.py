"""Runs any :class:`~sio_core.surface.TransportCore` on TCP: the part every server shares.

The Engine.IO server of :mod:`sio_anyio.engineio` wraps it today; the Socket.IO server will
wrap it with its own core. It starts three kinds of tasks in one task group: the listener (and
its connection tasks), the deadline timer, and the handler runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.abc

from sio_anyio._driver import Driver
from sio_anyio._handlers import AppHandler, HandlerRunner
from sio_anyio._http import READ_TIMEOUT, Fallback, HttpConnection, not_found
from sio_anyio._listener import serve_tcp
from sio_anyio._streams import ByteStream
from sio_core.events import Event
from sio_core.surface import TransportCore

T = TypeVar("T")


class CoreRunner:
    """One core, served over TCP, with its session events delivered to ``handler``.

    :param read_timeout: seconds a client may take to send one whole HTTP request.
    :param router: instead of ``handler``, called synchronously during each pump with every
        session event; it must not wait nor call the core (the Socket.IO server routes events
        to per-socket queues this way, saving a task switch per event).

    :param fallback: answers requests the core does not own (default: 404).
    :param per_message_deflate: accept WebSocket compression when a client offers it (the Node
        server's ``perMessageDeflate`` defaults to off).
    """

    def __init__(
        self,
        core: TransportCore,
        handler: AppHandler | None = None,
        *,
        fallback: Fallback | None = None,
        per_message_deflate: bool = False,
        router: Callable[[Event], None] | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self._deflate = per_message_deflate
        self._read_timeout = read_timeout
        self._handlers = HandlerRunner(handler)
        self._driver = Driver(core, router or self._handlers.submit)
        self._fallback = fallback or not_found
        self._scope: anyio.CancelScope | None = None
        self._stopped: anyio.Event | None = None

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
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(self._driver.timer.run)
                    tasks.start_soon(self._handlers.run)
                    address = await tasks.start(serve_tcp, host, port, self._serve_connection)
                    task_status.started(address)
        finally:
            self._scope = None
            self._stopped.set()

    def command(self, action: Callable[[], T]) -> T:
        """Run an application command on the core, then deliver what it produced."""
        return self._driver.command(action)

    async def drained(self) -> None:
        """Wait until every answer is written, every WebSocket has ended and the handler has
        seen every event: the end of a graceful shutdown, once every session was closed."""
        await self._driver.drained()
        await self._handlers.idle()

    async def stop(self) -> None:
        """Stop serving and wait until every task has ended; no-op when not serving."""
        if self._scope is not None and self._stopped is not None:
            self._scope.cancel()
            await self._stopped.wait()

    async def _serve_connection(self, stream: ByteStream) -> None:
        connection = HttpConnection(
            stream,
            self._driver,
            self._fallback,
            deflate=self._deflate,
            read_timeout=self._read_timeout,
        )
        await connection.run()
