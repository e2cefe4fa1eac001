"""The core's values to and from the cluster messages' (:mod:`sio_core.cluster.messages`).

The core selects sockets with :class:`~sio_core.socketio._adapter.BroadcastOptions` and reports
them as :class:`~sio_core.socketio._socket.SocketSnapshot`; the wire carries Node's ``opts``
(:class:`~sio_core.cluster.Selection`) and Node's socket details
(:class:`~sio_core.cluster.FetchedSocket`). Going out, the values are written as Node writes
them. Coming in, they are read leniently where Node itself is lenient: a handshake from another
node is whatever that node put there, so a missing or odd field becomes an empty one rather than
losing the whole answer.
"""

from __future__ import annotations

from typing import Any

from sio_core.cluster import BroadcastFlags, FetchedSocket, Selection
from sio_core.cluster.values import to_wire
from sio_core.errors import LocalProtocolError
from sio_core.socketio._adapter import BroadcastOptions
from sio_core.socketio._socket import Handshake, SocketSnapshot

DEFAULT_ACK_TIMEOUT_MS = 5000
"""How long a node relays its clients' answers to a broadcast with acks that names no timeout."""


def options_of(selection: Selection) -> BroadcastOptions:
    """What another node's ``opts`` select here (``local`` never travels)."""
    flags = selection.flags or BroadcastFlags()
    return BroadcastOptions(
        rooms=frozenset(selection.rooms),
        except_rooms=frozenset(selection.except_rooms),
        volatile=flags.volatile is True,
        compress=flags.compress is not False,
    )


def selection_of(
    options: BroadcastOptions, *, flags: bool = True, timeout: float | None = None
) -> Selection:
    """Node's ``opts`` for ``options``, with the flags Node's operator would have set.

    :param flags: False for the classic format's requests, whose ``opts`` carry none.
    :param timeout: the ack timeout of a broadcast with acks, in seconds (milliseconds on the
        wire).
    """
    if not flags:
        return Selection(
            rooms=_ordered(options.rooms), except_rooms=_ordered(options.except_rooms)
        )
    written = BroadcastFlags(
        volatile=True if options.volatile else None,
        compress=False if not options.compress else None,
        timeout_ms=None if timeout is None else round(timeout * 1000),
    )
    return Selection(
        rooms=_ordered(options.rooms), except_rooms=_ordered(options.except_rooms), flags=written
    )


MAX_ACK_TIMEOUT_MS = 2**53
"""The longest relay a broadcast may ask for (JavaScript's largest exact integer); beyond it a
number from JSON may not even convert to a float."""


def relay_timeout(selection: Selection) -> float:
    """Seconds to relay the answers to a broadcast with acks: its ``timeout`` flag, or 5."""
    flags = selection.flags
    millis = flags.timeout_ms if flags is not None else None
    if millis is None:
        millis = DEFAULT_ACK_TIMEOUT_MS
    return float(min(max(millis, 0), MAX_ACK_TIMEOUT_MS)) / 1000


def _ordered(rooms: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(rooms))


# -- sockets ----------------------------------------------------------------------------------


def fetched_of(snapshot: SocketSnapshot) -> FetchedSocket:
    """A local socket as Node describes it to another node: ``{id, handshake, rooms, data}``.

    ``data`` that no format can carry (an object of the application's) travels as ``null``:
    the other sockets' answers must not be lost for it.
    """
    rooms = sorted(snapshot.rooms - {snapshot.id})
    if snapshot.id in snapshot.rooms:
        rooms.insert(0, snapshot.id)  # Node lists the socket's own room first
    return FetchedSocket(
        id=snapshot.id,
        handshake=_handshake_map(snapshot.handshake),
        rooms=tuple(rooms),
        data=_carried(snapshot.data),
    )


def _carried(data: Any) -> Any:
    try:
        to_wire(data)
    except LocalProtocolError:
        return None
    return data


def _handshake_map(handshake: Handshake) -> dict[str, Any]:
    """Node's ``socket.handshake``, in its key order."""
    return {
        "headers": dict(handshake.headers),
        "time": handshake.time,
        "address": handshake.address,
        "xdomain": handshake.xdomain,
        "secure": handshake.secure,
        "issued": handshake.issued,
        "url": handshake.url,
        "query": dict(handshake.query),
        "auth": handshake.auth,
    }


def snapshot_of(fetched: FetchedSocket, nsp: str) -> SocketSnapshot:
    """Another node's socket, as ``fetch_sockets`` reports a local one."""
    return SocketSnapshot(
        id=fetched.id,
        nsp=nsp,
        handshake=handshake_of(fetched.handshake),
        rooms=frozenset(fetched.rooms),
        data=fetched.data,
    )


def handshake_of(value: dict[str, Any]) -> Handshake:
    """A handshake map from another node; what is missing or mistyped reads as empty."""
    auth = value.get("auth")
    issued = value.get("issued")
    return Handshake(
        headers=_text_map(value.get("headers")),
        query=_text_map(value.get("query")),
        auth=auth if isinstance(auth, dict) else {},
        time=_text(value.get("time")),
        issued=int(issued) if isinstance(issued, int | float) else 0,
        url=_text(value.get("url")),
        address=_text(value.get("address")),
        xdomain=value.get("xdomain") is True,
        secure=value.get("secure") is True,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _text_map(value: Any) -> dict[str, str]:
    """Headers or query: Node's repeated ones are arrays of strings, joined here with ``,``."""
    if not isinstance(value, dict):
        return {}
    found: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            found[key] = item
        elif isinstance(item, list) and all(isinstance(part, str) for part in item):
            found[key] = ",".join(item)
    return found
