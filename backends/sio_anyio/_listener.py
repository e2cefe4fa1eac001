"""The TCP listener: one task per connection, none of which can take the server down."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc

from sio_anyio._streams import ByteStream

logger = logging.getLogger("sio_anyio")

ConnectionHandler = Callable[[ByteStream], Awaitable[None]]


async def serve_tcp(
    host: str,
    port: int,
    handle: ConnectionHandler,
    *,
    task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Accept connections until cancelled; reports the bound (host, port) once listening."""
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    async with listener:
        address = listener.extra(anyio.abc.SocketAttribute.local_address)  # noqa: S610
        assert isinstance(address, tuple)
        task_status.started((str(address[0]), int(address[1])))
        await listener.serve(lambda stream: _isolated(handle, ByteStream(stream)))


async def _isolated(handle: ConnectionHandler, stream: ByteStream) -> None:
    """A bug met while serving one connection is logged and ends that connection only."""
    try:
        await handle(stream)
    except Exception:
        logger.exception("connection from %s failed", stream.peer)
        await stream.aclose()
