"""Handlers as steps: run at once while they need no waiting, in a task from their first await.

Most handlers are plain functions. Giving each event a task of its own (or a hop to a
socket's task) costs more than the handler; so the work of one event is written once, as a
generator that yields only the awaitables it must wait for (what an ``async def`` handler
returned, say). :func:`advance` runs it in the caller, synchronously, up to the first such
awaitable; :func:`finish` awaits that awaitable and the rest in a task. An awaitable is handed
over before it has started (a coroutine object), so every await happens in the task that owns
it, as anyio and trio require; nothing is ever suspended in one task and resumed in another.

Inside steps, ``value = yield awaitable`` stands for ``value = await awaitable``: its result is
sent back, its exception thrown in at that point.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

logger = logging.getLogger("sio_anyio")

T = TypeVar("T")
Steps = Generator[Awaitable[Any], Any, T]


# What handlers most often return, none of them awaitable: the full test is slower.
_NEVER_AWAITABLE = frozenset({type(None), bool, int, float, str, bytes, list, dict, tuple})


def call_steps(listener: Callable[..., Any], *args: Any, **kwargs: Any) -> Steps[Any]:
    """Call a sync or async listener; its result (awaited, when it is an awaitable)."""
    result = listener(*args, **kwargs)
    if _must_wait(result):
        result = yield result
    return result


def call_logged_steps(
    listener: Callable[..., Any],
    *args: Any,
    before_wait: Callable[[Awaitable[Any]], Awaitable[Any]] | None = None,
) -> Steps[None]:
    """Call a listener; log, and swallow, what it raises.

    :param before_wait: wraps what the listener returned when it must be awaited (to act at
        the first suspension of the task that awaits it, say).
    """
    try:
        result = listener(*args)
        if _must_wait(result):
            yield result if before_wait is None else before_wait(result)
    except Exception:
        logger.exception("listener %r failed", listener)


def _must_wait(result: Any) -> bool:
    return type(result) not in _NEVER_AWAITABLE and inspect.isawaitable(result)


def advance(steps: Steps[Any]) -> Awaitable[Any] | None:
    """Run ``steps`` here up to the first awaitable, which is returned; None once they are done."""
    try:
        return steps.send(None)
    except StopIteration:
        return None


async def finish(steps: Steps[T], awaiting: Awaitable[Any]) -> T:
    """Await ``awaiting`` (the steps' last yield), then run the rest of the steps to their end."""
    while True:
        try:
            value = await awaiting
        except BaseException as error:  # cancellation too: the steps' own handlers decide
            try:
                awaiting = steps.throw(error)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        else:
            try:
                awaiting = steps.send(value)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


async def run_steps(steps: Steps[T]) -> T:
    """Run ``steps`` to their end in the current task."""
    try:
        awaiting = steps.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    return await finish(steps, awaiting)
