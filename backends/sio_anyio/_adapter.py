"""What the server asks of a cluster adapter, and what it gives one: the seam between them.

``Server(adapter=...)`` takes any object shaped like :class:`ClusterAdapter`:
:class:`~sio_anyio.redis_adapter.RedisAdapter`,
:class:`~sio_anyio.redis_adapter.ShardedRedisAdapter` and
:class:`~sio_anyio.redis_streams_adapter.RedisStreamsAdapter` are the three there are. The
core decides what travels and how it is spelled (its ``cluster_format``); an adapter moves the
bytes, feeds what it hears back to the core through the :class:`CoreAccess` it is given, and
counts the nodes before each request that waits for their answers.

This module imports no Redis client, so that a server without an adapter needs none.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from sio_core import SocketServer
from sio_core.cluster import ClassicRedisFormat, RedisStreamsFormat, ShardedRedisFormat
from sio_core.events import Event

T = TypeVar("T")

ClusterFormat = ClassicRedisFormat | ShardedRedisFormat | RedisStreamsFormat


class CoreAccess(Protocol):
    """The server's core, through the driver (the server's context is one)."""

    def command(self, action: Callable[[SocketServer], T]) -> T:
        """Change the core; what that produced is routed before this returns."""
        ...

    def query(self, question: Callable[[SocketServer], T]) -> T:
        """Read the core."""
        ...


class ClusterAdapter(Protocol):
    """A link between this server and the other nodes of its cluster."""

    @property
    def node_id(self) -> str:
        """This node's id on the wire, drawn when the adapter is made."""
        ...

    @property
    def cluster_format(self) -> ClusterFormat:
        """How the core spells what it publishes."""
        ...

    def attach(self, core: CoreAccess) -> None:
        """Serve this server's core from now on (once: an adapter belongs to one server)."""
        ...

    def on_cluster_event(self, event: Event) -> None:
        """A cluster event of the core (publish, subscribe, unsubscribe, a rejected message);
        called during the driver's pump: it must not wait, nor call the core."""
        ...

    def running(self) -> AbstractAsyncContextManager[None]:
        """Keep the link up for the length of the ``async with`` (the server serves inside it)."""
        ...

    async def peers(self, nsp: str) -> int:
        """How many *other* servers of ``nsp`` will answer a request made now (0 if unknown)."""
        ...

    def fetch_timeout(self, requested: float | None) -> float:
        """Seconds a ``fetch_sockets`` waits for the other nodes; ``requested`` is the
        operator's ``timeout()``, which some adapters honour."""
        ...

    @property
    def emit_timeout(self) -> float:
        """Seconds a ``server_side_emit_with_ack`` waits for the other nodes."""
        ...
