"""The broadcast operator: ``to`` / ``in_`` / ``except_`` / ``volatile`` / ``local`` / ``timeout``.

Immutable, as in Node: each call returns a new operator, so ``io.to("a")`` can be kept and
reused. It targets a namespace; the core does the selection and encodes the packet once.
``fetch_sockets`` returns :class:`RemoteSocket` snapshots, whose methods are an operator
aimed at one socket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from sio_anyio._context import Context
from sio_core import BroadcastOptions, SocketSnapshot

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
        context: Context,
        nsp: str,
        options: BroadcastOptions | None = None,
        timeout: float | None = None,
    ) -> None:
        self._context = context
        self._nsp = nsp
        self._options = options or BroadcastOptions()
        self._timeout = timeout

    def _with(self, timeout: float | None = None, **changes: Any) -> BroadcastOperator:
        options = dataclasses.replace(self._options, **changes)
        timeout = self._timeout if timeout is None else timeout
        return BroadcastOperator(self._context, self._nsp, options, timeout)

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
        self._context.command(
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
        peers = await self._context.peers(self._nsp, local=self._options.local)
        broadcast_id = self._context.timed_command(
            lambda core: core.operations.broadcast(
                self._nsp, event, args, self._options, timeout=timeout, peers=peers
            )
        )
        assert broadcast_id is not None
        return await self._context.acks.wait_broadcast(broadcast_id)

    async def fetch_sockets(self) -> list[RemoteSocket]:
        """A snapshot of the targeted sockets, with the methods Node gives them.

        In a cluster, every server's sockets (this one's first), unless ``local``.

        :raises ClusterTimeoutError: some servers did not answer in time (the adapter's
            requests timeout; the sharded adapter's honours :meth:`timeout`).
        """
        cluster = self._context.cluster
        if cluster is None or self._options.local:
            snapshots = self._context.query(
                lambda core: core.operations.fetch_sockets(self._nsp, self._options)
            )
        else:
            peers = await cluster.peers(self._nsp)
            timeout = cluster.fetch_timeout(self._timeout)
            request_id = self._context.timed_command(
                lambda core: core.operations.request_fetch_sockets(
                    self._nsp, self._options, timeout=timeout, peers=peers
                )
            )
            snapshots = list(await self._context.acks.wait_fetch(request_id))
        return [RemoteSocket(self._context, snapshot) for snapshot in snapshots]

    def sockets_join(self, *rooms: RoomNames) -> None:
        """Make the targeted sockets join the rooms."""
        names = room_set(rooms)
        self._context.command(
            lambda core: core.operations.sockets_join(self._nsp, self._options, names)
        )

    def sockets_leave(self, *rooms: RoomNames) -> None:
        """Make the targeted sockets leave the rooms."""
        names = room_set(rooms)
        self._context.command(
            lambda core: core.operations.sockets_leave(self._nsp, self._options, names)
        )

    def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect the targeted sockets (and close their connections with ``close``)."""
        self._context.command(
            lambda core: core.operations.disconnect_sockets(self._nsp, self._options, close=close)
        )


class RemoteSocket:
    """What ``fetch_sockets`` returns: a snapshot, with Node's methods on it.

    Its methods go through the adapter, as in Node: on a socket gone since, they do nothing.
    """

    def __init__(self, context: Context, snapshot: SocketSnapshot) -> None:
        self.id = snapshot.id
        self.handshake = snapshot.handshake
        self.rooms = set(snapshot.rooms)
        self.data = snapshot.data
        self._only_me = BroadcastOperator(
            context, snapshot.nsp, BroadcastOptions(rooms=frozenset({snapshot.id}))
        )

    def emit(self, event: str, *args: Any) -> bool:
        """Send ``event`` to this socket."""
        return self._only_me.emit(event, *args)

    def join(self, *rooms: RoomNames) -> None:
        """Make the socket join rooms."""
        self._only_me.sockets_join(*rooms)

    def leave(self, room: str) -> None:
        """Make the socket leave a room."""
        self._only_me.sockets_leave(room)

    def disconnect(self, close: bool = False) -> None:
        """Disconnect the socket."""
        self._only_me.disconnect_sockets(close)
