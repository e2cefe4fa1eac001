"""Run a server from a script: serve, print where, stop gracefully on the first Ctrl-C.

A second Ctrl-C (or SIGTERM) during the graceful stop cancels everything at once.

Once a signal has asked for the stop, the process is on its way out, and a later SIGINT or
SIGTERM repeats the same request; it must not turn a clean exit into a crash. Yet when the signal
receiver closes (the graceful stop is over, or cut short), the event loop gives the signals
back to Python's handlers, and a signal can still be on its way: trio redelivers those the
receiver had not handed out yet, and one may land just then. So from that moment on:
- the interrupt such a signal raises is the stop already under way, not news;
- both signals are ignored for the rest of the process (its loop's teardown, the interpreter's).
"""

from __future__ import annotations

import importlib.util
import signal
from typing import Protocol

import anyio
import anyio.abc

from sio_anyio._extras import require

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Servable(Protocol):
    """What :func:`run_server` needs: a server that serves and closes."""

    async def serve(
        self, host: str, port: int, *, task_status: anyio.abc.TaskStatus[tuple[str, int]]
    ) -> None: ...

    async def close(self) -> None: ...


def run_server(server: Servable, host: str, port: int, *, backend: str = "asyncio") -> None:
    """Serve on ``host:port`` with the chosen event loop until interrupted.

    After the interrupt, SIGINT and SIGTERM stay ignored: the process is exiting.

    :raises MissingExtra: ``backend="trio"`` without trio installed.
    """
    if backend == "trio":
        require("trio", "trio", feature='run_server(backend="trio")')
    options = {"use_uvloop": True} if backend == "asyncio" and _has_uvloop() else {}
    anyio.run(_serve_until_signalled, server, host, port, backend=backend, backend_options=options)


def _has_uvloop() -> bool:
    """uvloop, when installed (the ``fast`` extra), runs asyncio faster; as uvicorn does."""
    return importlib.util.find_spec("uvloop") is not None


async def _serve_until_signalled(server: Servable, host: str, port: int) -> None:
    async with anyio.create_task_group() as tasks:
        bound_host, bound_port = await tasks.start(_serve, server, host, port)
        stopping = False
        try:
            try:
                with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
                    print(f"listening on http://{bound_host}:{bound_port}", flush=True)
                    async for _ in signals:
                        stopping = True
                        tasks.start_soon(_close_then_stop, server, tasks.cancel_scope)
                        break
                    async for _ in signals:
                        tasks.cancel_scope.cancel()
                        break
            finally:
                if stopping:  # at once: the receiver just gave the signals back to Python
                    _ignore_stop_signals()
        except KeyboardInterrupt:
            if not stopping:
                raise
            _ignore_stop_signals()  # a repeated signal met Python's handler before we could


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


async def _serve(
    server: Servable,
    host: str,
    port: int,
    *,
    task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
) -> None:
    await server.serve(host, port, task_status=task_status)


async def _close_then_stop(server: Servable, scope: anyio.CancelScope) -> None:
    await server.close()
    scope.cancel()
