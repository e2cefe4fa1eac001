"""The one small surface a backend drives: requests, WebSocket messages and time in; events out.

Both :class:`sio_core.engineio._server.EngineServer` and the Socket.IO server on top of it
implement it, so one I/O layer serves plain Engine.IO and Socket.IO alike. Every method is
synchronous and cheap; after each call, the backend drains :meth:`events` and acts on them.
"""

from __future__ import annotations

from typing import Protocol

from sio_core.events import Event
from sio_core.http import HttpRequest


class TransportCore(Protocol):
    """What a backend may call; ids are the backend's (one per request, kept by its WebSocket)."""

    @property
    def max_http_buffer_size(self) -> int:
        """The most bytes the backend should buffer for one POST body or one WebSocket message."""
        ...

    def owns(self, request: HttpRequest) -> bool:
        """Whether the request is for this server's path (else the backend's fallback answers)."""
        ...

    def receive_request(self, request_id: int, request: HttpRequest, now: float) -> None:
        """A complete HTTP request (WebSocket upgrade requests included)."""
        ...

    def request_aborted(self, request_id: int, now: float) -> None:
        """The client went away before request ``request_id`` was answered."""
        ...

    def receive_ws_message(self, ws_id: int, message: str | bytes, now: float) -> None:
        """One complete WebSocket message (fragments already joined)."""
        ...

    def ws_message_too_large(self, ws_id: int, now: float) -> None:
        """A WebSocket message went past :attr:`max_http_buffer_size`; the backend dropped it."""
        ...

    def ws_closed(self, ws_id: int, now: float, *, error: bool = False) -> None:
        """The WebSocket is gone: a clean close or EOF, or ``error`` when it broke."""
        ...

    def ws_unwritten(self, ws_id: int, size: int, now: float) -> None:
        """``size`` of what WebSocket ``ws_id`` was handed still waits to be written (0: none
        does), counted as ``WebSocketDataReady.size`` counts it. Output counts as written once
        it is handed over: a backend only reports what its transport could not take at once,
        and again when that changes. Reading may pause or resume after it."""
        ...

    @property
    def backlogged(self) -> bool:
        """Whether the output queued since :meth:`events` was last called is worth handing over
        now, in the middle of a run of commands, rather than once they are done."""
        ...

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timeout` must next be called, on the clock of ``now``."""
        ...

    def handle_timeout(self, now: float) -> None:
        """Time has come for the deadlines up to ``now`` (heartbeats, upgrade timeouts)."""
        ...

    def events(self) -> list[Event]:
        """Everything that happened since the last call, in order; the list is the caller's."""
        ...
