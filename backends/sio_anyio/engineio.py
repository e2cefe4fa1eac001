"""The plain Engine.IO server: an :class:`~sio_core.EngineServer` on TCP."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import anyio
import anyio.abc

from sio_anyio._handlers import AppHandler
from sio_anyio._ids import new_id
from sio_anyio._options import BackendKeywords, backend_options
from sio_anyio._runner import SHUTDOWN_GRACE, CoreRunner
from sio_anyio.asgi import ASGIApp, ASGIApplication
from sio_core import EngineServer
from sio_core.config import EngineConfig
from sio_core.ids import IdGenerator

if TYPE_CHECKING:
    from sio_anyio._options import Unpack


class EngineIOServer:
    """Serves Engine.IO v4 (polling and WebSocket) and hands session events to ``handler``.

    :param handler: called, in order, with every session event (``SessionOpened``,
        ``MessageReceived``, ``SessionUpgraded``, ``SessionClosed``); sync or async.
    :param id_generator: where sids come from (default: 20 random URL-safe characters).
    :param options: the backend's own: ``fallback`` answers requests outside ``config.path``
        (default: 404), ``per_message_deflate`` accepts WebSocket compression when a client
        offers it, ``read_timeout`` is the seconds a client may take to send one whole request.
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        handler: AppHandler | None = None,
        *,
        id_generator: IdGenerator | None = None,
        **options: Unpack[BackendKeywords],
    ) -> None:
        core = EngineServer(config, id_generator=id_generator or new_id)
        self._runner = CoreRunner(core, handler, backend_options(options))

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until :meth:`close`; ``await task_group.start(server.serve, ...)`` gives the
        bound (host, port), useful with port 0."""
        await self._runner.serve(host, port, task_status=task_status)

    def running(self) -> AbstractAsyncContextManager[None]:
        """Run the server's tasks without listening (see :meth:`sio_anyio.Server.running`)."""
        return self._runner.running()

    def asgi_app(self, other_app: ASGIApplication | None = None) -> ASGIApp:
        """This server as an ASGI 3 application (see :meth:`sio_anyio.Server.asgi_app`)."""
        return ASGIApp(self._runner, self.close, other_app)

    def send(self, sid: str, data: str | bytes) -> bool:
        """Queue a message for session ``sid`` (text as ``str``, binary as ``bytes``).

        :returns: False when the session is gone or closing (the message is dropped).
        """
        return self._runner.driver.command(lambda core: core.send(sid, data))

    def close_session(self, sid: str) -> None:
        """Close session ``sid`` from the server side."""
        self._runner.driver.command(lambda core: core.close(sid))

    async def close(self, *, grace: float = SHUTDOWN_GRACE) -> None:
        """Shut down: close every session (``forced close``, as Node's ``server.close()``), give
        their last output up to ``grace`` seconds to leave, then stop serving."""
        await self._runner.shutdown(lambda core: core.close_all(), grace=grace)
