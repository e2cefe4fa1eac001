"""Strict reading of a decoded map: each field has the type it must have, or the message goes.

Both formats are maps (or, for the classic broadcast, an array holding maps) whose fields the
codecs read through :class:`Fields`, which names the path of a bad field in its error. Extra
keys are ignored, so that a newer Node version adding one does not cut us off; a missing or
mistyped field the operation needs is a :class:`ClusterProtocolError`.
"""

from __future__ import annotations

from typing import Any

from sio_core.cluster.errors import ClusterProtocolError
from sio_core.cluster.messages import BroadcastFlags, FetchedSocket, Selection

# The wire names of BroadcastFlags' fields, and the type each must have.
_FLAGS: tuple[tuple[str, str, type | tuple[type, ...]], ...] = (
    ("volatile", "volatile", bool),
    ("compress", "compress", bool),
    ("local", "local", bool),
    ("broadcast", "broadcast", bool),
    ("binary", "binary", bool),
    ("timeout_ms", "timeout", (int, float)),
    ("expect_single_response", "expectSingleResponse", bool),
)


class Fields:
    """A decoded map being read; ``where`` is its path in the message, for error messages."""

    __slots__ = ("_map", "_where")

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise ClusterProtocolError(f"{where} is not a map")
        self._map: dict[str, Any] = value
        self._where = where

    def path(self, key: str) -> str:
        """The path of field ``key``, for an error message."""
        return f"{self._where}.{key}"

    def has(self, key: str) -> bool:
        """Whether ``key`` is present (notepack and JSON leave undefined values out)."""
        return key in self._map

    def value(self, key: str) -> Any:
        """Any value, ``None`` when absent (Node's ``undefined``)."""
        return self._map.get(key)

    def text(self, key: str) -> str:
        """A required string."""
        value = self._map.get(key)
        if not isinstance(value, str):
            raise ClusterProtocolError(f"{self.path(key)} is not a string")
        return value

    def optional_text(self, key: str) -> str | None:
        """A string, or ``None`` when absent."""
        return self.text(key) if self._map.get(key) is not None else None

    def integer(self, key: str) -> int:
        """A required integer (a boolean is not one, though Python says so)."""
        value = self._map.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ClusterProtocolError(f"{self.path(key)} is not an integer")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean, or ``default`` when absent."""
        value = self._map.get(key, default)
        if not isinstance(value, bool):
            raise ClusterProtocolError(f"{self.path(key)} is not a boolean")
        return value

    def array(self, key: str) -> list[Any]:
        """A required array."""
        value = self._map.get(key)
        if not isinstance(value, list):
            raise ClusterProtocolError(f"{self.path(key)} is not an array")
        return value

    def texts(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        """An array of strings; when not ``required``, empty if absent (``new Set(undefined)``)."""
        if not required and self._map.get(key) is None:
            return ()
        return texts(self.array(key), self.path(key))

    def child(self, key: str) -> Fields:
        """A required nested map."""
        return Fields(self._map.get(key), self.path(key))


def texts(values: list[Any], where: str) -> tuple[str, ...]:
    """Every item a string (rooms, socket ids)."""
    if not all(isinstance(item, str) for item in values):
        raise ClusterProtocolError(f"{where} holds something other than strings")
    return tuple(values)


def read_event(values: Any, where: str) -> tuple[str, tuple[Any, ...]]:
    """``[event, *args]`` of a broadcast or server-side emit: the event name is a string."""
    if not isinstance(values, list) or not values or not isinstance(values[0], str):
        raise ClusterProtocolError(f"{where} is not [event name, ...arguments]")
    return values[0], tuple(values[1:])


def read_flags(fields: Fields) -> BroadcastFlags:
    """The known flags of a ``flags`` map; unknown ones are ignored."""
    found: dict[str, Any] = {}
    for name, key, kind in _FLAGS:
        value = fields.value(key)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise ClusterProtocolError(f"{fields.path(key)} has the wrong type")
        found[name] = value
    return BroadcastFlags(**found)


def write_flags(flags: BroadcastFlags) -> dict[str, Any]:
    """The flags that are set, in a fixed order (Node's order when only one is set)."""
    written: dict[str, Any] = {}
    for name, key, _ in _FLAGS:
        value = getattr(flags, name)
        if value is not None:
            written[key] = value
    return written


def read_selection(fields: Fields) -> Selection:
    """``opts``: ``rooms``, ``except`` and, when present, ``flags``."""
    flags = read_flags(fields.child("flags")) if fields.has("flags") else None
    return Selection(
        rooms=fields.texts("rooms", required=False),
        except_rooms=fields.texts("except", required=False),
        flags=flags,
    )


def write_selection(selection: Selection, *, flags_before_except: bool = False) -> dict[str, Any]:
    """``opts`` in Node's key order (the emitter writes ``flags`` before ``except``)."""
    opts: dict[str, Any] = {"rooms": list(selection.rooms)}
    if selection.flags is not None and flags_before_except:
        opts["flags"] = write_flags(selection.flags)
    opts["except"] = list(selection.except_rooms)
    if selection.flags is not None and not flags_before_except:
        opts["flags"] = write_flags(selection.flags)
    return opts


def read_sockets(values: list[Any], where: str) -> tuple[FetchedSocket, ...]:
    """The sockets of a fetch answer: ``{id, handshake, rooms, data}`` each."""
    sockets = []
    for index, item in enumerate(values):
        fields = Fields(item, f"{where}[{index}]")
        handshake = fields.value("handshake")
        if not isinstance(handshake, dict):
            raise ClusterProtocolError(f"{where}[{index}].handshake is not a map")
        sockets.append(
            FetchedSocket(
                id=fields.text("id"),
                handshake=handshake,
                rooms=fields.texts("rooms"),
                data=fields.value("data"),
            )
        )
    return tuple(sockets)


def write_sockets(sockets: tuple[FetchedSocket, ...]) -> list[dict[str, Any]]:
    """The sockets of a fetch answer, in Node's key order."""
    return [
        {"id": s.id, "handshake": s.handshake, "rooms": list(s.rooms), "data": s.data}
        for s in sockets
    ]
