"""The acknowledgements the application awaits, and what each outcome becomes for it.

An ``emit_with_ack`` runs a command on the core, then waits. The outcome may already have
come during that command's pump (a socket that is gone is known at once), so an outcome and
its wait meet in either order: whichever comes first leaves a :class:`_Outcome` for the other.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import anyio

from sio_anyio.errors import AckTimeoutError, ClusterTimeoutError, SocketGoneError
from sio_core import AckAbandonReason, SocketSnapshot, ack_value
from sio_core.events import (
    AckAbandoned,
    AckReceived,
    BroadcastAcksCollected,
    ClusterFetchCompleted,
    ServerSideEmitAcksCollected,
)

K = TypeVar("K", bound=Hashable)


class _Outcome:
    """One ack's outcome: an event to wait on, and the value or error it came to."""

    def __init__(self) -> None:
        self._done = anyio.Event()
        self._result: Any = None
        self._error: BaseException | None = None

    def resolve(self, result: Any = None, error: BaseException | None = None) -> None:
        self._result, self._error = result, error
        self._done.set()

    async def wait(self) -> Any:
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result


class _Outcomes(Generic[K]):
    """Outcomes by key, for waits and resolutions that come in either order."""

    def __init__(self) -> None:
        self._pending: dict[K, _Outcome] = {}

    def take(self, key: K) -> _Outcome:
        """The outcome the other side left for ``key``, or a new one left for it."""
        outcome = self._pending.pop(key, None)
        if outcome is None:
            outcome = self._pending[key] = _Outcome()
        return outcome


class Acks:
    """The pending acks of single sockets and of broadcasts, and the answers of other nodes."""

    def __init__(self) -> None:
        self._acks: _Outcomes[tuple[str, int]] = _Outcomes()
        self._broadcasts: _Outcomes[int] = _Outcomes()
        self._fetches: _Outcomes[int] = _Outcomes()
        self._server_side: _Outcomes[int] = _Outcomes()

    async def wait_ack(self, socket_id: str, ack_id: int) -> Any:
        """The client's answer: its only argument, a tuple of several, or None for none.

        :raises AckTimeoutError: the timeout passed first.
        :raises SocketGoneError: the socket left first.
        """
        return await self._acks.take((socket_id, ack_id)).wait()

    async def wait_broadcast(self, broadcast_id: int) -> list[Any]:
        """One answer per recipient: its only argument, or a tuple of several.

        :raises AckTimeoutError: some answers did not come in time; it holds those that did.
        """
        responses: list[Any] = await self._broadcasts.take(broadcast_id).wait()
        return responses

    async def wait_fetch(self, request_id: int) -> tuple[SocketSnapshot, ...]:
        """Every node's sockets, this node's first.

        :raises ClusterTimeoutError: some nodes did not answer in time.
        """
        sockets: tuple[SocketSnapshot, ...] = await self._fetches.take(request_id).wait()
        return sockets

    async def wait_server_side(self, request_id: int) -> list[Any]:
        """One answer per other node: the first argument it acknowledged with.

        :raises AckTimeoutError: some nodes did not answer in time; it holds those that did.
        """
        responses: list[Any] = await self._server_side.take(request_id).wait()
        return responses

    def resolve_ack(self, event: AckReceived | AckAbandoned) -> None:
        """Settle the wait of one socket's ack (called during a pump: never waits)."""
        outcome = self._acks.take((event.socket_id, event.ack_id))
        if isinstance(event, AckReceived):
            outcome.resolve(ack_value(event.args))
        elif event.reason is AckAbandonReason.TIMEOUT:
            outcome.resolve(error=AckTimeoutError())
        else:
            outcome.resolve(error=SocketGoneError())

    def resolve_broadcast(self, event: BroadcastAcksCollected) -> None:
        """Settle the wait of a broadcast's acks (called during a pump: never waits)."""
        _resolve_answers(self._broadcasts.take(event.broadcast_id), event)

    def resolve_fetch(self, event: ClusterFetchCompleted) -> None:
        """Settle the wait of a ``fetch_sockets`` across the cluster (during a pump)."""
        outcome = self._fetches.take(event.request_id)
        if event.timed_out:
            outcome.resolve(error=ClusterTimeoutError())
        else:
            outcome.resolve(event.sockets)

    def resolve_server_side(self, event: ServerSideEmitAcksCollected) -> None:
        """Settle the wait of a ``server_side_emit_with_ack`` (during a pump)."""
        _resolve_answers(self._server_side.take(event.request_id), event)


def _resolve_answers(
    outcome: _Outcome, event: BroadcastAcksCollected | ServerSideEmitAcksCollected
) -> None:
    """The answers gathered, each shaped by ``ack_value``; on a timeout, inside the error."""
    responses = [ack_value(args) for args in event.responses]
    if event.timed_out:
        outcome.resolve(error=AckTimeoutError(responses))
    else:
        outcome.resolve(responses)
