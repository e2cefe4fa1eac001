"""Whether a WebSocket's reader may read on: the core's backpressure, obeyed.

The core pauses a WebSocket while its session holds too much output the client has not read
(``WebSocketReadPaused``), resumes it once that has drained, and may ask for it to be cut
(``WebSocketCloseRequested(abort=True)``) when the client will not read at all. The driver
routes those decisions here; the WebSocket's tasks wait on them.
"""

from __future__ import annotations

import anyio


class ReadFlow:
    """Paused or not, for one WebSocket; the driver sets it, the reader waits on it."""

    __slots__ = ("_aborted", "_resumed", "_scope")

    def __init__(self) -> None:
        self._resumed: anyio.Event | None = None  # set while paused
        self._scope: anyio.CancelScope | None = None
        self._aborted = False

    def pause(self) -> None:
        if self._resumed is None:
            self._resumed = anyio.Event()

    def resume(self) -> None:
        resumed, self._resumed = self._resumed, None
        if resumed is not None:
            resumed.set()

    @property
    def paused(self) -> bool:
        return self._resumed is not None

    async def wait(self) -> None:
        """Return at once unless paused; else when resumed (or never, once aborted)."""
        resumed = self._resumed
        if resumed is not None:
            await resumed.wait()

    def bind(self, scope: anyio.CancelScope) -> None:
        """The scope of the WebSocket's tasks, cancelled by :meth:`abort`."""
        self._scope = scope
        if self._aborted:
            scope.cancel()

    def abort(self) -> None:
        """Cut the WebSocket: its tasks end, unwritten output is dropped."""
        self._aborted = True
        if self._scope is not None:
            self._scope.cancel()
