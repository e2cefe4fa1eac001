"""The broadcast operator: ``to`` / ``in_`` / ``except_`` / ``volatile`` / ``local`` / ``timeout``.

Immutable, as in Node: each call returns a new operator, so ``io.to("a")`` can be kept and
reused. It targets a namespace; the core does the selection and encodes the packet once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sio_core import BroadcastOptions

if TYPE_CHECKING:
    from sio_anyio.server import Server
    from sio_anyio.socket import RemoteSocket

RoomNames = str | Iterable[str]


def room_set(rooms: tuple[RoomNames, ...]) -> frozenset[str]:
    """``to("a")``, ``to("a", "b")`` and ``to(["a", "b"])`` all name rooms."""
    names: set[str] = set()
    for room in rooms:
        names.update((room,) if isinstance(room, str) else room)
    return frozenset(names)


class BroadcastOperator:
    """Who an emit or a utility method reaches, in one namespace."""

    def __init__(
        self,
        server: Server,
        nsp: str,
        options: BroadcastOptions | None = None,
        timeout: float | None = None,
    ) -> None:
        self._server = server
        self._nsp = nsp
        self._options = options or BroadcastOptions()
        self._timeout = timeout

    def _with(self, timeout: float | None = None, **changes: Any) -> BroadcastOperator:
        options = dataclasses.replace(self._options, **changes)
        timeout = self._timeout if timeout is None else timeout
        return BroadcastOperator(self._server, self._nsp, options, timeout)

    def to(self, *rooms: RoomNames) -> BroadcastOperator:
        """Target the sockets in these rooms too (a union with the rooms already named)."""
        return self._with(rooms=self._options.rooms | room_set(rooms))

    in_ = to

    def except_(self, *rooms: RoomNames) -> BroadcastOperator:
        """Leave out every socket in these rooms."""
        return self._with(except_rooms=self._options.except_rooms | room_set(rooms))

    @property
    def volatile(self) -> BroadcastOperator:
        """Drop the message for clients whose transport cannot take it right now."""
        return self._with(volatile=True)

    @property
    def local(self) -> BroadcastOperator:
        """Only this node's clients, when several nodes share an adapter."""
        return self._with(local=True)

    def compress(self, compress: bool = True) -> BroadcastOperator:
        """Whether the message may be compressed."""
        return self._with(compress=compress)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """Acks from every recipient are awaited at most ``seconds``."""
        return self._with(timeout=seconds)

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to every targeted socket."""
        self._server._core_call(
            lambda core: core.operations.broadcast(self._nsp, event, args, self._options)
        )
        return True

    async def emit_with_ack(self, event: str, *args: Any) -> list[Any]:
        """Send ``event`` and collect one answer per recipient (needs :meth:`timeout`).

        :raises AckTimeoutError: some recipients did not answer in time; it carries the
            answers that came.
        """
        if self._timeout is None:
            raise ValueError("broadcast acks need a timeout: use .timeout(seconds) first")
        timeout = self._timeout
        broadcast_id = self._server._core_call(
            lambda core: core.operations.broadcast(
                self._nsp, event, args, self._options, timeout=timeout
            )
        )
        assert broadcast_id is not None
        responses: list[Any] = await self._server._wait_broadcast(broadcast_id)
        return responses

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """A snapshot of the targeted sockets, with the methods Node gives them."""
        from sio_anyio.socket import RemoteSocket

        snapshots = self._server._core.operations.fetch_sockets(self._nsp, self._options)  # a read
        return [RemoteSocket(self._server, snapshot) for snapshot in snapshots]

    def sockets_join(self, *rooms: RoomNames) -> None:
        """Make the targeted sockets join the rooms."""
        names = room_set(rooms)
        self._server._core_call(
            lambda core: core.operations.sockets_join(self._nsp, self._options, names)
        )

    def sockets_leave(self, *rooms: RoomNames) -> None:
        """Make the targeted sockets leave the rooms."""
        names = room_set(rooms)
        self._server._core_call(
            lambda core: core.operations.sockets_leave(self._nsp, self._options, names)
        )

    def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect the targeted sockets (and close their connections with ``close``)."""
        self._server._core_call(
            lambda core: core.operations.disconnect_sockets(self._nsp, self._options, close=close)
        )
