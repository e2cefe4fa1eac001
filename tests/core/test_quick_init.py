"""quick_init: the same frozen dataclass, made faster; nothing a caller can see changes."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from sio_core._quick import quick_init
from sio_core.engineio._events import MessageReceived, WebSocketDataReady
from sio_core.engineio._packets import Packet as EnginePacket
from sio_core.engineio._packets import PacketType as EngineType
from sio_core.socketio._events import AckReceived, EventReceived
from sio_core.socketio._packet import Packet, PacketType


def _twins() -> tuple[type[Any], type[Any]]:
    """The same class twice: as @dataclass makes it, and quick."""

    def make() -> type[Any]:
        @dataclasses.dataclass(frozen=True, slots=True)
        class Point:
            x: int
            y: int = 0
            label: str = dataclasses.field(default="", kw_only=True)
            checked: list[str] = dataclasses.field(default_factory=list, init=False, repr=False)

            def __post_init__(self) -> None:
                if self.x < 0:
                    raise ValueError("x must not be negative")

        return Point

    plain = make()
    with pytest.raises(TypeError, match="only plain fields"):
        quick_init(make())  # a field kept out of __init__ is refused, not mishandled

    @quick_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class Point:
        x: int
        y: int = 0
        label: str = dataclasses.field(default="", kw_only=True)

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError("x must not be negative")

    return plain, Point


def test_the_signature_is_the_dataclass_one() -> None:
    plain, quick = _twins()

    def shape(cls: type[Any]) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]

    assert (
        shape(quick)
        == shape(plain)
        == [
            ("x", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
            ("y", inspect.Parameter.POSITIONAL_OR_KEYWORD, 0),
            ("label", inspect.Parameter.KEYWORD_ONLY, ""),
        ]
    )


def test_fields_and_defaults_are_set_as_the_dataclass_sets_them() -> None:
    _, quick = _twins()
    assert (quick(1).x, quick(1).y, quick(1).label) == (1, 0, "")
    assert quick(1, 2, label="a") == quick(x=1, y=2, label="a")
    assert repr(quick(1, 2, label="a")) == "_twins.<locals>.Point(x=1, y=2, label='a')"


def test_post_init_still_runs() -> None:
    _, quick = _twins()
    with pytest.raises(ValueError, match="negative"):
        quick(-1)


def test_the_class_stays_frozen() -> None:
    _, quick = _twins()
    point = quick(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2
    assert hash(point) == hash(quick(1))


def test_a_mutable_or_slotless_dataclass_is_refused() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        x: int

    with pytest.raises(TypeError, match="frozen dataclass with slots"):
        quick_init(Mutable)


def test_a_keyword_is_still_required_where_the_dataclass_requires_one() -> None:
    with pytest.raises(TypeError):
        EventReceived("s", "/", "e", ())  # type: ignore[misc]


def test_the_quick_classes_build_what_their_fields_say() -> None:
    event = EventReceived(socket_id="s", nsp="/", event="e", args=(1,))
    assert (event.socket_id, event.nsp, event.event, event.args, event.ack_id) == (
        "s",
        "/",
        "e",
        (1,),
        None,
    )
    assert AckReceived(socket_id="s", ack_id=3, args=()).ack_id == 3
    assert WebSocketDataReady(ws_id=1, messages=("4a",)).size == 2
    assert MessageReceived(sid="x", data="hi").data == "hi"
    assert Packet(PacketType.EVENT) == Packet(PacketType.EVENT, "/", None, None)
    with pytest.raises(ValueError, match="only message packets carry binary data"):
        EnginePacket(EngineType.PING, b"x")  # __post_init__'s rule holds
