"""What the handles (sockets, namespaces, operators, connections) may do with the server.

The handles are Node-shaped objects in the application's hands. They never see the server
nor the core: they get this context, which lets them
- change the core (:meth:`Context.command`: the output leaves at once) or read it
  (:meth:`Context.query`), always through the driver;
- hold and release a socket's CONNECT (:meth:`Context.accept_connect`,
  :meth:`Context.release_connect`);
- run application code in tasks of their own (:meth:`Context.spawn`), and tell whether the
  caller is one of them (:attr:`Context.in_spawned_task`); run a service for as long as the
  server runs (:meth:`Context.add_service`);
- wait for acknowledgements (:attr:`Context.acks`);
- ask the cluster adapter, if any, how many other servers will answer (:meth:`Context.peers`).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.abc

from sio_anyio._acks import Acks
from sio_anyio._adapter import ClusterAdapter
from sio_anyio._counter import InFlight
from sio_anyio._driver import Driver
from sio_core import SocketServer

T = TypeVar("T")

logger = logging.getLogger("sio_anyio")

_RUNNING_FOR: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "sio_anyio_running_for", default=None
)
"""The context whose :meth:`Context.spawn` started the current task (it is inherited)."""


class Context:
    """The one door from the handles to the server: the core, the task group, the acks, the
    cluster adapter."""

    def __init__(
        self, driver: Driver[SocketServer], cluster: ClusterAdapter | None = None
    ) -> None:
        self._driver = driver
        self.acks = Acks()
        """The acks the application awaits; the event router settles them."""
        self.cluster = cluster
        """The link to the other nodes; ``None`` for a server alone (in memory)."""
        self._tasks: anyio.abc.TaskGroup | None = None
        self._running = InFlight()
        self._services: list[Callable[[], Awaitable[None]]] = []

    # -- the core -------------------------------------------------------------------------

    def command(self, action: Callable[[SocketServer], T]) -> T:
        """Change the core; what that produced is delivered before this returns."""
        return self._driver.command(action)

    def timed_command(self, action: Callable[[SocketServer], T]) -> T:
        """Like :meth:`command`, for an action that starts a deadline (an ack awaited, a request
        to other nodes): it counts from now, not from the core's last input."""
        return self._driver.timed_command(action)

    def after_pump(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once what the core said has been routed (see the driver)."""
        self._driver.after_pump(callback)

    def query(self, question: Callable[[SocketServer], T]) -> T:
        """Read the core (``question`` must change nothing)."""
        return self._driver.query(question)

    def accept_connect(self, socket_id: str) -> None:
        """Let a connecting socket in, holding its CONNECT until :meth:`release_connect`.

        As in Node, the connection handlers run (up to their first await) before the client
        can learn it is connected, so a room they join is joined before any event that client
        triggers. The core holds everything the socket would receive until the release.
        """
        self._driver.command(lambda core: core.accept(socket_id))

    def release_connect(self, socket_id: str) -> None:
        """Let the held CONNECT of ``socket_id`` (and what followed it) leave; idempotent."""
        self._driver.command(lambda core: core.release(socket_id))

    # -- the cluster -------------------------------------------------------------------------

    async def peers(self, nsp: str, *, local: bool = False) -> int:
        """How many other servers will answer a request about ``nsp`` made now: none without
        an adapter, or for a ``local`` request; read from Redis right before the request, as
        Node does."""
        if self.cluster is None or local:
            return 0
        return await self.cluster.peers(nsp)

    # -- application code -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def task_group(self) -> AsyncIterator[None]:
        """While serving: :meth:`spawn` starts tasks here; they are cancelled on exit."""
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            for service in self._services:
                tasks.start_soon(_serve, service)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                self._tasks = None

    def spawn(self, function: Callable[..., Awaitable[Any]], *args: Any) -> bool:
        """Run ``function(*args)`` in a task of its own; False if dropped (not serving)."""
        if self._tasks is None:
            return False
        self._running.add()
        self._tasks.start_soon(self._tracked, function, *args)
        return True

    def spawn_untracked(self, function: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Like :meth:`spawn`, for a task :meth:`tasks_finished` does not wait for (one that
        waits for the others itself)."""
        if self._tasks is not None:
            self._tasks.start_soon(_call, function, *args)

    def add_service(self, service: Callable[[], Awaitable[None]]) -> None:
        """Run ``service()`` whenever the server runs: from now if it does, else from when it
        starts, until it stops (then it is cancelled; a graceful shutdown does not wait for
        it). A service that fails is logged and not restarted before the next run."""
        self._services.append(service)
        if self._tasks is not None:
            self._tasks.start_soon(_serve, service)

    @property
    def in_spawned_task(self) -> bool:
        """Whether the caller runs in a task this context spawned (a handler, say)."""
        return _RUNNING_FOR.get() is self

    async def tasks_finished(self) -> None:
        """Wait until every spawned task has ended (a shutdown waits for the handlers)."""
        await self._running.idle()

    async def _tracked(self, function: Callable[..., Awaitable[Any]], *args: Any) -> None:
        _RUNNING_FOR.set(self)
        try:
            await function(*args)
        finally:
            self._running.done()


async def _call(function: Callable[..., Awaitable[Any]], *args: Any) -> None:
    await function(*args)


async def _serve(service: Callable[[], Awaitable[None]]) -> None:
    try:
        await service()
    except Exception:
        logger.exception("service %r failed", service)
