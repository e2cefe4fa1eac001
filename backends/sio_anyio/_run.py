"""Run a server from a script: serve, print where, stop gracefully on the first Ctrl-C.

A second Ctrl-C (or SIGTERM) during the graceful stop cancels everything at once.
"""

from __future__ import annotations

import importlib.util
import signal
from typing import Protocol

import anyio
import anyio.abc


class Servable(Protocol):
    """What :func:`run_server` needs: a server that serves and closes."""

    async def serve(
        self, host: str, port: int, *, task_status: anyio.abc.TaskStatus[tuple[str, int]]
    ) -> None: ...

    async def close(self) -> None: ...


def run_server(server: Servable, host: str, port: int, *, backend: str = "asyncio") -> None:
    """Serve on ``host:port`` with the chosen event loop until interrupted."""
    options = {"use_uvloop": True} if backend == "asyncio" and _has_uvloop() else {}
    anyio.run(_serve_until_signalled, server, host, port, backend=backend, backend_options=options)


def _has_uvloop() -> bool:
    """uvloop, when installed (the ``fast`` extra), runs asyncio faster; as uvicorn does."""
    return importlib.util.find_spec("uvloop") is not None


async def _serve_until_signalled(server: Servable, host: str, port: int) -> None:
    async with anyio.create_task_group() as tasks:
        bound_host, bound_port = await tasks.start(_serve, server, host, port)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            print(f"listening on http://{bound_host}:{bound_port}", flush=True)
            async for _ in signals:
                tasks.start_soon(_close_then_stop, server, tasks.cancel_scope)
                break
            async for _ in signals:
                tasks.cancel_scope.cancel()
                break


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
