"""What the core asked to write on one WebSocket, handed to its writer the moment it is asked.

The driver routes a WebSocket's output during its pump, which never waits. The native WebSocket
writes it there and then when the kernel takes it (no task hop on the path of a message); the
ASGI one queues it for its sending task. The pump that accepts an upgrade may already carry the
Engine.IO ``open`` packet, before the connection has attached its writer: that waits here.
"""

from __future__ import annotations

from collections.abc import Callable

from sio_core.events import WebSocketCloseRequested, WebSocketDataReady

WsCommand = WebSocketDataReady | WebSocketCloseRequested
Writer = Callable[[WsCommand], None]


class Outbox:
    """One WebSocket's output: kept until a writer is attached, then passed straight to it."""

    __slots__ = ("_kept", "_writer")

    def __init__(self) -> None:
        self._kept: list[WsCommand] = []
        self._writer: Writer | None = None

    def put(self, command: WsCommand) -> None:
        """Hand ``command`` to the writer (it must not wait), or keep it for the writer to come."""
        if self._writer is None:
            self._kept.append(command)
        else:
            self._writer(command)

    def attach(self, writer: Writer) -> None:
        """From now on ``writer`` gets every command, starting with those kept so far."""
        self._writer = writer
        kept, self._kept = self._kept, []
        for command in kept:
            writer(command)
