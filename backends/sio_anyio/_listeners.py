"""Event listeners, Node's EventEmitter in small: sync or async callables, called in order.

A listener that raises is logged; it never takes down the socket or the server, like an
uncaught exception in one Node handler does not stop the others.
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from sio_anyio._steps import Steps, call_logged_steps, call_steps, run_steps

logger = logging.getLogger("sio_anyio")

Listener = Callable[..., "Awaitable[Any] | Any"]
L = TypeVar("L", bound=Listener)


async def call(listener: Listener, *args: Any, **kwargs: Any) -> Any:
    """Call a sync or async listener and return its result."""
    return await run_steps(call_steps(listener, *args, **kwargs))


async def call_logged(listener: Listener, *args: Any) -> None:
    """Call a listener; log, and swallow, what it raises."""
    await run_steps(call_logged_steps(listener, *args))


def wants_ack(listener: Listener) -> bool:
    """Whether the handler takes an ``ack`` keyword, to answer by calling it (Node's style).

    Asked on every event that wants an answer, so the answer is remembered: per code object
    for a plain function (handlers are often closures made anew for each socket, and
    ``inspect.signature`` cost 1.4 % of a connect-echo-disconnect cycle), else per handler.
    """
    if type(listener) is types.FunctionType and not _signature_overridden(listener):
        return _code_takes_ack(listener.__code__)
    try:
        return _wants_ack(listener)
    except TypeError:  # an unhashable callable object
        return _takes_ack(listener)


def _signature_overridden(function: types.FunctionType) -> bool:
    """Whether ``inspect.signature`` reads more than the function's code (a decorator's)."""
    return hasattr(function, "__wrapped__") or hasattr(function, "__signature__")


@functools.lru_cache(maxsize=1024)
def _code_takes_ack(code: types.CodeType) -> bool:
    """Whether a parameter of the code is named ``ack``: its positional and keyword-only
    parameters come first among its variable names, then ``*args`` and ``**kwargs``."""
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & inspect.CO_VARARGS)
    count += bool(code.co_flags & inspect.CO_VARKEYWORDS)
    return "ack" in code.co_varnames[:count]


@functools.lru_cache(maxsize=1024)
def _wants_ack(listener: Listener) -> bool:
    return _takes_ack(listener)


def _takes_ack(listener: Listener) -> bool:
    try:
        return "ack" in inspect.signature(listener).parameters
    except (TypeError, ValueError):
        return False


class _Once:
    """A ``once`` registration; a plain one is stored as the bare listener (most are plain, and
    a socket may hold many)."""

    __slots__ = ("listener",)

    def __init__(self, listener: Listener) -> None:
        self.listener = listener


_Item = Listener | _Once


def _listener_of(item: _Item) -> Listener:
    return item.listener if isinstance(item, _Once) else item


class Listeners:
    """Listeners by event name, with Node's rules.

    A listener registered twice is called twice; removing it removes its latest registration.
    An emit calls the listeners registered when it began, even those removed meanwhile, and a
    ``once`` listener is unregistered as that emit begins, so it runs at most once.
    """

    __slots__ = ("_by_event", "_had_once")

    def __init__(self) -> None:
        self._by_event: dict[str, list[_Item]] = {}
        self._had_once = False  # until a ``once`` comes, an emit need not look for them

    def add(
        self, event: str, listener: Listener, *, once: bool = False, first: bool = False
    ) -> None:
        """Register ``listener`` for ``event`` (for its next emit only, with ``once``), after
        the others, or before them with ``first``."""
        entries = self._by_event.setdefault(event, [])
        self._had_once = self._had_once or once
        entries.insert(0 if first else len(entries), _Once(listener) if once else listener)

    def remove(self, event: str, listener: Listener | None = None) -> None:
        """Unregister the latest registration of ``listener``, or every listener of ``event``."""
        entries = self._by_event.get(event, [])
        if listener is None:
            entries.clear()
        for index in range(len(entries) - 1, -1, -1):
            if _listener_of(entries[index]) == listener:
                del entries[index]
                break
        if not entries:
            self._by_event.pop(event, None)

    def remove_all(self, event: str | None = None) -> None:
        """Unregister every listener of ``event``, or of every event."""
        if event is None:
            self._by_event.clear()
        else:
            self._by_event.pop(event, None)

    def has(self, event: str) -> bool:
        """Whether ``event`` has a listener (an emptied event's entry is dropped)."""
        return event in self._by_event

    def get(self, event: str) -> list[Listener]:
        """The listeners of ``event``, in call order (a copy; ``once`` ones included)."""
        return [_listener_of(item) for item in self._by_event.get(event, ())]

    def take(self, event: str) -> list[Listener]:
        """The listeners one emit of ``event`` calls, in order; its ``once`` ones leave now."""
        entries = self._by_event.get(event)
        if not entries:
            return []
        if not self._had_once:
            return entries[:]  # type: ignore[return-value]  # no _Once was ever stored
        if any(type(item) is _Once for item in entries):
            kept = [item for item in entries if type(item) is not _Once]
            if kept:
                self._by_event[event] = kept
            else:
                del self._by_event[event]
        return [_listener_of(item) for item in entries]

    def raw(self, event: str) -> list[Listener]:
        """The listeners of ``event``, each ``once`` one wrapped to unregister itself first."""
        return [
            functools.partial(self._once, event, item) if isinstance(item, _Once) else item
            for item in self._by_event.get(event, ())
        ]

    async def _once(self, event: str, item: _Once, *args: Any, **kwargs: Any) -> Any:
        entries = self._by_event.get(event, [])
        if not any(entry is item for entry in entries):
            return None  # another emit called it already
        entries[:] = [entry for entry in entries if entry is not item]
        if not entries:
            self._by_event.pop(event, None)
        return await call(item.listener, *args, **kwargs)

    async def emit(self, event: str, *args: Any) -> None:
        """Call every listener of ``event`` in order, logging failures."""
        await run_steps(self.emit_steps(event, *args))

    def emit_steps(self, event: str, *args: Any) -> Steps[None]:
        """:meth:`emit` as steps (see :mod:`sio_anyio._steps`)."""
        for listener in self.take(event):
            yield from call_logged_steps(listener, *args)


class EventEmitter:
    """Node's EventEmitter methods, in Python's spelling, for the handles that have listeners.

    ``on`` and ``once`` return the listener, so that both work as decorators.
    """

    def __init__(self) -> None:
        self._listeners = Listeners()

    def _event_name(self, event: str) -> str:
        """The name listeners of ``event`` are kept under (a subclass may have aliases)."""
        return event

    def _added(self, event: str) -> None:
        """Called once a listener of ``event`` is registered (a subclass may act on it)."""

    @overload
    def on(self, event: str) -> Callable[[L], L]: ...
    @overload
    def on(self, event: str, listener: L) -> L: ...
    def on(self, event: str, listener: Listener | None = None) -> Any:
        """Register a listener of ``event``; ``@x.on("event")`` as a decorator."""
        return self._register(event, listener, once=False)

    @overload
    def once(self, event: str) -> Callable[[L], L]: ...
    @overload
    def once(self, event: str, listener: L) -> L: ...
    def once(self, event: str, listener: Listener | None = None) -> Any:
        """Like :meth:`on`, for the next ``event`` only (Node's ``once``)."""
        return self._register(event, listener, once=True)

    @overload
    def prepend_listener(self, event: str) -> Callable[[L], L]: ...
    @overload
    def prepend_listener(self, event: str, listener: L) -> L: ...
    def prepend_listener(self, event: str, listener: Listener | None = None) -> Any:
        """Like :meth:`on`, called before the listeners already there (Node's
        ``prependListener``)."""
        return self._register(event, listener, once=False, first=True)

    def off(self, event: str, listener: Listener | None = None) -> None:
        """Remove ``listener`` (its latest registration), or every listener of ``event``."""
        self._listeners.remove(self._event_name(event), listener)

    def remove_listener(self, event: str, listener: Listener) -> None:
        """Node's ``removeListener``: :meth:`off` with a listener."""
        self._listeners.remove(self._event_name(event), listener)

    def remove_all_listeners(self, event: str | None = None) -> None:
        """Remove every listener of ``event``, or of every event."""
        self._listeners.remove_all(None if event is None else self._event_name(event))

    def listeners(self, event: str) -> list[Listener]:
        """The listeners of ``event``, in call order (a copy)."""
        return self._listeners.get(self._event_name(event))

    def raw_listeners(self, event: str) -> list[Listener]:
        """The listeners of ``event`` as an emit calls them: a ``once`` listener comes wrapped,
        and calling the wrapper unregisters it first (Node's ``rawListeners``)."""
        return self._listeners.raw(self._event_name(event))

    def listener_count(self, event: str) -> int:
        """How many listeners ``event`` has."""
        return len(self.listeners(event))

    def _register(
        self, event: str, listener: Listener | None, *, once: bool, first: bool = False
    ) -> Any:
        if listener is None:

            def register(function: L) -> L:
                self._register(event, function, once=once, first=first)
                return function

            return register
        self._listeners.add(self._event_name(event), listener, once=once, first=first)
        self._added(event)
        return listener
