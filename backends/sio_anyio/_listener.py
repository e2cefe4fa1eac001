"""The TCP listener: one task per connection, none of which can take the server down.

anyio binds the listening sockets (every address ``host`` resolves to, ``SO_REUSEADDR``);
connections are accepted from them directly, as raw sockets for :class:`ByteStream`, several
per wake-up when many arrive at once.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc

from sio_anyio._streams import ByteStream

logger = logging.getLogger("sio_anyio")

ConnectionHandler = Callable[[ByteStream], Awaitable[None]]

_ACCEPTS_PER_WAKE = 64
"""Connections taken from the backlog before the new ones' tasks get to run."""
_OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_OUT_OF_FILES_PAUSE = 0.1


async def serve_tcp(
    host: str,
    port: int,
    handle: ConnectionHandler,
    *,
    task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Accept connections until cancelled; reports the bound (host, port) once listening."""
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    async with listener, anyio.create_task_group() as tasks:
        address = listener.extra(anyio.abc.SocketAttribute.local_address)  # noqa: S610
        assert isinstance(address, tuple)
        for bound in _sockets_of(listener):
            tasks.start_soon(_accept_loop, bound, handle, tasks)
        task_status.started((str(address[0]), int(address[1])))


def _sockets_of(listener: anyio.abc.Listener[anyio.abc.SocketStream]) -> list[socket.socket]:
    """The listening sockets: one per address (anyio returns a multi-listener for several)."""
    parts = getattr(listener, "listeners", [listener])
    return [part.extra(anyio.abc.SocketAttribute.raw_socket) for part in parts]  # noqa: S610


async def _accept_loop(
    bound: socket.socket, handle: ConnectionHandler, tasks: anyio.abc.TaskGroup
) -> None:
    bound.setblocking(False)
    while True:
        await anyio.wait_readable(bound)
        for _ in range(_ACCEPTS_PER_WAKE):
            try:
                accepted, _address = bound.accept()
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno not in _OUT_OF_FILES:
                    raise
                logger.error("cannot accept a connection: %s; pausing", exc)
                await anyio.sleep(_OUT_OF_FILES_PAUSE)
                break
            _set_nodelay(accepted)
            tasks.start_soon(_isolated, handle, ByteStream(accepted))


def _set_nodelay(accepted: socket.socket) -> None:
    """Small frames go out at once, as anyio's streams do (no Nagle delay)."""
    if accepted.family in (socket.AF_INET, socket.AF_INET6):
        accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _isolated(handle: ConnectionHandler, stream: ByteStream) -> None:
    """A bug met while serving one connection is logged and ends that connection only."""
    try:
        await handle(stream)
    except Exception:
        logger.exception("connection from %s failed", stream.peer)
    finally:
        await stream.aclose()
