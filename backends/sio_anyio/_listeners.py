"""Event listeners, Node's EventEmitter in small: sync or async callables, called in order.

A listener that raises is logged; it never takes down the socket or the server, like an
uncaught exception in one Node handler does not stop the others.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

logger = logging.getLogger("sio_anyio")

Listener = Callable[..., "Awaitable[Any] | Any"]
L = TypeVar("L", bound=Listener)


async def call(listener: Listener, *args: Any, **kwargs: Any) -> Any:
    """Call a sync or async listener and return its result."""
    result = listener(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def call_logged(listener: Listener, *args: Any) -> None:
    """Call a listener; log, and swallow, what it raises."""
    try:
        await call(listener, *args)
    except Exception:
        logger.exception("listener %r failed", listener)


def wants_ack(listener: Listener) -> bool:
    """Whether the handler takes an ``ack`` keyword, to answer by calling it (Node's style).

    Asked on every event that wants an answer, so the answer is remembered per handler.
    """
    try:
        return _wants_ack(listener)
    except TypeError:  # an unhashable callable object
        return _takes_ack(listener)


@functools.lru_cache(maxsize=1024)
def _wants_ack(listener: Listener) -> bool:
    return _takes_ack(listener)


def _takes_ack(listener: Listener) -> bool:
    try:
        return "ack" in inspect.signature(listener).parameters
    except (TypeError, ValueError):
        return False


class Listeners:
    """Listeners by event name."""

    def __init__(self) -> None:
        self._by_event: dict[str, list[Listener]] = {}

    def add(self, event: str, listener: Listener) -> None:
        """Register ``listener`` for ``event``."""
        self._by_event.setdefault(event, []).append(listener)

    def remove(self, event: str, listener: Listener | None = None) -> None:
        """Unregister one listener, or every listener of ``event``."""
        if listener is None:
            self._by_event.pop(event, None)
        elif listener in self._by_event.get(event, []):
            self._by_event[event].remove(listener)

    def get(self, event: str) -> list[Listener]:
        """The listeners of ``event``, in call order (a copy)."""
        return list(self._by_event.get(event, ()))

    async def emit(self, event: str, *args: Any) -> None:
        """Call every listener of ``event`` in order, logging failures."""
        for listener in self.get(event):
            await call_logged(listener, *args)

    def decorator(self, event: str) -> Callable[[L], L]:
        """``@x.on("event")``: registers and returns the function."""

        def register(listener: L) -> L:
            self.add(event, listener)
            return listener

        return register
