"""wants_ack reads a plain function's code, cached by code object: it answers what
``inspect.signature`` answers, for every shape of handler."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import pytest
from sio_anyio._listeners import wants_ack


def _decorated(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


def _closure(name: str) -> Any:
    def handler(data: Any, ack: Any = None) -> None:
        print(name, data, ack)

    return handler


class _Handlers:
    def method(self, data: Any, ack: Any) -> None: ...

    def __call__(self, data: Any, *, ack: Any) -> None: ...


SHAPES: dict[str, Any] = {
    "positional": lambda data, ack: None,
    "keyword only": lambda data, *, ack: None,
    "no ack": lambda data, other: None,
    "ack only in the body": lambda data: (lambda ack: ack)(data),
    "positional only": lambda ack, /: None,
    "var args named ack": lambda *ack: None,
    "var keywords named ack": lambda **ack: None,
    "var keywords, no ack": lambda **kwargs: None,
    "a local named ack": lambda data: [ack := data, ack],
    "closure": _closure("a"),
    "decorated, ack inside": _decorated(lambda data, ack: None),
    "decorated, no ack": _decorated(lambda data: None),
    "bound method": _Handlers().method,
    "callable object": _Handlers(),
    "partial": functools.partial(lambda prefix, ack: None, "p"),
    "builtin": print,
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_wants_ack_answers_as_the_signature_does(name: str) -> None:
    handler = SHAPES[name]
    try:
        expected = "ack" in inspect.signature(handler).parameters
    except (TypeError, ValueError):
        expected = False
    assert wants_ack(handler) is expected


def test_closures_made_anew_share_one_answer() -> None:
    first, second = _closure("a"), _closure("b")
    assert first is not second
    assert wants_ack(first)
    assert wants_ack(second)


def test_a_signature_set_by_hand_is_honoured() -> None:
    def handler(data: Any, ack: Any) -> None: ...

    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("data", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )
    assert not wants_ack(handler)
