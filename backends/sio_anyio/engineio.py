"""The plain Engine.IO server: an :class:`~sio_core.EngineServer` on TCP."""

from __future__ import annotations

import anyio
import anyio.abc

from sio_anyio._handlers import AppHandler
from sio_anyio._http import READ_TIMEOUT, Fallback
from sio_anyio._ids import new_id
from sio_anyio._runner import CoreRunner
from sio_core import EngineServer
from sio_core.config import EngineConfig
from sio_core.ids import IdGenerator


class EngineIOServer:
    """Serves Engine.IO v4 (polling and WebSocket) and hands session events to ``handler``.

    :param handler: called, in order, with every session event (``SessionOpened``,
        ``MessageReceived``, ``SessionUpgraded``, ``SessionClosed``); sync or async.
    :param fallback: answers requests outside ``config.path`` (default: 404).
    :param id_generator: where sids come from (default: 20 random URL-safe characters).
    :param per_message_deflate: accept WebSocket compression when a client offers it.
    :param read_timeout: seconds a client may take to send one whole HTTP request.
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        handler: AppHandler | None = None,
        *,
        fallback: Fallback | None = None,
        id_generator: IdGenerator | None = None,
        per_message_deflate: bool = False,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self._core = EngineServer(config, id_generator=id_generator or new_id)
        self._runner = CoreRunner(
            self._core,
            handler,
            fallback=fallback,
            per_message_deflate=per_message_deflate,
            read_timeout=read_timeout,
        )

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until :meth:`aclose`; ``await task_group.start(server.serve, ...)`` gives the
        bound (host, port), useful with port 0."""
        await self._runner.serve(host, port, task_status=task_status)

    def send(self, sid: str, data: str | bytes) -> bool:
        """Queue a message for session ``sid`` (text as ``str``, binary as ``bytes``).

        :returns: False when the session is gone or closing (the message is dropped).
        """
        return self._runner.command(lambda: self._core.send(sid, data))

    def close(self, sid: str) -> None:
        """Close session ``sid`` from the server side."""
        self._runner.command(lambda: self._core.close(sid))

    async def aclose(self, *, grace: float = 2.0) -> None:
        """Close every session (``forced close``, as Node's ``server.close()``), give their last
        output up to ``grace`` seconds to leave, then stop serving."""
        self._runner.command(self._core.close_all)
        with anyio.move_on_after(grace):
            await self._runner.drained()
        await self._runner.stop()
