"""Serve several ``sio_anyio`` servers in one task group, for tests that need them all at once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
from sio_anyio import Server


@contextlib.asynccontextmanager
async def serving(*servers: Server) -> AsyncIterator[list[int]]:
    """Serve every server on a free port; close them all on exit."""
    async with anyio.create_task_group() as tasks:
        ports = []
        for io in servers:
            _, port = await tasks.start(io.serve, "127.0.0.1", 0)
            ports.append(port)
        try:
            yield ports
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                for io in servers:
                    await io.close()
