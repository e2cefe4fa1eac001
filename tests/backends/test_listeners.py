"""The handles' listeners follow Node's EventEmitter: ``once``, ``off``, registration order.

The rules are Node's ``events`` module's: a listener registered twice runs twice and ``off``
removes its latest registration; an emit calls the listeners registered when it began; a
``once`` listener leaves before it runs, so it runs at most once.
"""

from __future__ import annotations

import pytest
from sio_anyio._listeners import EventEmitter, Listeners

pytestmark = pytest.mark.anyio


def recorder(calls: list[object], name: str):
    def listener(*args: object) -> None:
        calls.append((name, *args))

    return listener


async def test_listeners_run_in_registration_order() -> None:
    calls: list[object] = []
    listeners = Listeners()
    listeners.add("x", recorder(calls, "a"))
    listeners.add("x", recorder(calls, "b"))
    await listeners.emit("x", 1)
    assert calls == [("a", 1), ("b", 1)]


async def test_once_listener_runs_on_the_next_emit_only() -> None:
    calls: list[object] = []
    listeners = Listeners()
    listeners.add("x", recorder(calls, "a"), once=True)
    await listeners.emit("x", 1)
    await listeners.emit("x", 2)
    assert calls == [("a", 1)]
    assert listeners.get("x") == []


async def test_a_listener_registered_twice_runs_twice_and_off_removes_one() -> None:
    calls: list[object] = []
    listeners = Listeners()
    a = recorder(calls, "a")
    listeners.add("x", a)
    listeners.add("x", a)
    listeners.remove("x", a)
    await listeners.emit("x")
    assert calls == [("a",)]


def test_off_removes_the_latest_registration() -> None:
    listeners = Listeners()
    a, b = recorder([], "a"), recorder([], "b")
    listeners.add("x", a)
    listeners.add("x", b)
    listeners.add("x", a, once=True)
    listeners.remove("x", a)
    assert listeners.get("x") == [a, b]
    assert listeners.take("x") == [a, b]  # the once registration was the one removed


def test_off_removes_a_once_listener_by_the_function_itself() -> None:
    listeners = Listeners()
    a = recorder([], "a")
    listeners.add("x", a, once=True)
    listeners.remove("x", a)
    assert listeners.get("x") == []


async def test_an_emit_calls_the_listeners_registered_when_it_began() -> None:
    calls: list[object] = []
    listeners = Listeners()
    late = recorder(calls, "late")
    second = recorder(calls, "second")

    def first() -> None:
        calls.append(("first",))
        listeners.remove("x", second)
        listeners.add("x", late)

    listeners.add("x", first)
    listeners.add("x", second)
    await listeners.emit("x")
    assert calls == [("first",), ("second",)]
    assert listeners.get("x") == [first, late]


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    calls: list[object] = []
    listeners = Listeners()

    def broken() -> None:
        raise RuntimeError("boom")

    listeners.add("x", broken)
    listeners.add("x", recorder(calls, "b"))
    await listeners.emit("x")
    assert calls == [("b",)]


async def test_raw_listeners_wrap_a_once_listener_that_leaves_when_called() -> None:
    calls: list[object] = []
    emitter = EventEmitter()
    a = recorder(calls, "a")
    emitter.once("x", a)
    (raw,) = emitter.raw_listeners("x")
    assert raw is not a
    await raw(1)
    await raw(2)
    assert calls == [("a", 1)]
    assert emitter.listeners("x") == []


def test_emitter_on_and_once_work_as_decorators_and_return_the_function() -> None:
    emitter = EventEmitter()

    @emitter.on("x")
    def a() -> None: ...

    @emitter.once("x")
    def b() -> None: ...

    assert emitter.listeners("x") == [a, b]
    assert emitter.listener_count("x") == 2


def test_remove_all_listeners_of_one_event_or_of_all() -> None:
    emitter = EventEmitter()
    a = recorder([], "a")
    emitter.on("x", a)
    emitter.on("y", a)
    emitter.remove_all_listeners("x")
    assert (emitter.listeners("x"), emitter.listeners("y")) == ([], [a])
    emitter.remove_all_listeners()
    assert emitter.listeners("y") == []


def test_prepend_listener_goes_before_the_others() -> None:
    emitter = EventEmitter()
    a, b = recorder([], "a"), recorder([], "b")
    emitter.on("x", a)
    emitter.prepend_listener("x", b)
    assert emitter.listeners("x") == [b, a]


def test_prepend_listener_works_as_a_decorator() -> None:
    emitter = EventEmitter()
    a = recorder([], "a")
    emitter.on("x", a)

    @emitter.prepend_listener("x")
    def b() -> None: ...

    assert emitter.listeners("x") == [b, a]
