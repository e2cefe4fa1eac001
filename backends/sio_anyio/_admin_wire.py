"""The admin UI's protocol (npm ``@socket.io/admin-ui`` 0.5), as data, without I/O.

What the server tells the UI (``config``, ``server_stats``, the sockets it describes) is built
here from plain values, and what the UI asks (``emit``, ``join``, ``leave``, ``_disconnect``)
is read here into small commands, refused with a ``ValueError`` when malformed. The facts come
from the package's server code (``lib/index.ts``) and its UI (``ui/src``): field names, the
order of the features, the ``_admin`` entry of ``socket.data``, dates as JSON writes them.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from sio_core.stats import Traffic

Mode = Literal["development", "production"]

ADMIN_KEY = "_admin"
"""The entry of ``socket.data`` where the UI's client id and transport travel, as in Node:
``fetch_sockets`` carries it from every server of a cluster, Node's included."""

CLIENT_ID_LENGTH = 12
"""Node shows the first 12 characters of the Engine.IO id only ("quite sensitive")."""

BCRYPT_PASSWORD_BYTES = 72
"""bcrypt reads this many bytes of a password; bcryptjs (Node's) ignores the rest silently."""

_BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")


class Feature(str, enum.Enum):
    """What the UI may offer, as the server lists it in ``config``."""

    EMIT = "EMIT"
    JOIN = "JOIN"
    LEAVE = "LEAVE"
    DISCONNECT = "DISCONNECT"
    MJOIN = "MJOIN"
    MLEAVE = "MLEAVE"
    MDISCONNECT = "MDISCONNECT"
    AGGREGATED_EVENTS = "AGGREGATED_EVENTS"
    ALL_EVENTS = "ALL_EVENTS"


_COMMAND_FEATURES = (
    Feature.EMIT,
    Feature.JOIN,
    Feature.LEAVE,
    Feature.DISCONNECT,
    Feature.MJOIN,
    Feature.MLEAVE,
    Feature.MDISCONNECT,
)


def config(*, read_only: bool, mode: Mode) -> dict[str, list[str]]:
    """The ``config`` event: no command in read-only mode, every event in development mode."""
    features = [] if read_only else list(_COMMAND_FEATURES)
    features.append(Feature.AGGREGATED_EVENTS)
    if mode == "development":
        features.append(Feature.ALL_EVENTS)
    return {"supportedFeatures": [feature.value for feature in features]}


# -- authentication ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class BasicAuth:
    """A user name and the bcrypt hash of its password: Node's ``{type: "basic", ...}``."""

    username: str
    password_hash: str


def basic_auth(option: Mapping[str, Any] | Literal[False]) -> BasicAuth | None:
    """Read ``instrument``'s ``auth`` option: ``False`` (no authentication) or Node's
    ``{"type": "basic", "username": ..., "password": <bcrypt hash>}``.

    :raises ValueError: anything else, or a password that is not a bcrypt hash.
    """
    if option is False:
        return None
    if not isinstance(option, Mapping) or option.get("type") != "basic":
        raise ValueError("invalid `auth` option: False, or {'type': 'basic', ...}")
    username, password = option.get("username"), option.get("password")
    if not isinstance(username, str):
        raise ValueError("the `username` field must be a string")
    if not isinstance(password, str) or _BCRYPT_HASH.fullmatch(password) is None:
        raise ValueError("the `password` field must be a valid bcrypt hash")
    return BasicAuth(username, password)


def password_bytes(password: str) -> bytes:
    """What bcrypt compares of a password: its first 72 UTF-8 bytes, as bcryptjs does."""
    return password.encode("utf-8")[:BCRYPT_PASSWORD_BYTES]


# -- sockets -------------------------------------------------------------------------------------


def admin_entry(engine_id: str, transport: str) -> dict[str, str]:
    """The ``_admin`` entry of a socket's data: a short client id and the transport."""
    return {"clientId": engine_id[:CLIENT_ID_LENGTH], "transport": transport}


def public_data(data: Any) -> Any:
    """A socket's data as the UI shows it: without the ``_admin`` entry."""
    if isinstance(data, Mapping):
        return {key: value for key, value in data.items() if key != ADMIN_KEY}
    return data


def describe_socket(
    *, socket_id: str, nsp: str, handshake: Mapping[str, Any], rooms: Iterable[str], data: Any
) -> dict[str, Any]:
    """A socket as ``all_sockets`` and ``socket_connected`` describe it (the handshake's
    ``auth`` stays out). Its rooms come in a fixed order, its own first as in Node, then by
    name (the order Node's set keeps, that of the joins, is not known here)."""
    admin = data.get(ADMIN_KEY) if isinstance(data, Mapping) else None
    admin = admin if isinstance(admin, Mapping) else {}
    headers = handshake.get("headers") or {}
    address = (
        headers.get("cf-connecting-ip")
        or headers.get("x-forwarded-for")
        or handshake.get("address")
    )
    described = {key: handshake.get(key) for key in _HANDSHAKE_KEYS}
    return {
        "id": socket_id,
        "clientId": admin.get("clientId"),
        "transport": admin.get("transport"),
        "nsp": nsp,
        "data": public_data(data),
        "handshake": {"address": address, **described},
        "rooms": sorted(rooms, key=lambda room: (room != socket_id, room)),
    }


_HANDSHAKE_KEYS = ("headers", "query", "issued", "secure", "time", "url", "xdomain")


def js_date(seconds: float) -> str:
    """A moment as ``JSON.stringify(new Date())`` writes it: ``2026-01-01T12:00:00.000Z``."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- statistics ----------------------------------------------------------------------------------


def aggregated_events(traffic: Traffic, timestamp_ms: int) -> list[dict[str, Any]]:
    """The ``aggregatedEvents`` of ``server_stats``: what was carried since the last report,
    all stamped ``timestamp_ms`` (the UI sums them into ten-second buckets). Zero counts are
    left out, as Node never records them."""
    counts: list[tuple[str, str | None, int]] = [
        ("rawConnection", None, traffic.sessions_opened),
        *(("rawDisconnection", reason, n) for reason, n in traffic.sessions_closed.items()),
        ("packetsIn", None, traffic.packets_in),
        ("packetsOut", None, traffic.packets_out),
        ("bytesIn", None, traffic.bytes_in),
        ("bytesOut", None, traffic.bytes_out),
    ]
    events = []
    for kind, sub_type, count in counts:
        if count:
            event: dict[str, Any] = {"timestamp": timestamp_ms, "type": kind, "count": count}
            if sub_type is not None:
                event["subType"] = sub_type
            events.append(event)
    return events


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerFacts:
    """What identifies a server in ``server_stats``."""

    server_id: str
    hostname: str
    pid: int


def server_stats(
    facts: ServerFacts,
    *,
    uptime: float,
    clients: int,
    polling_clients: int,
    events: list[dict[str, Any]],
    namespaces: Iterable[tuple[str, int]],
) -> dict[str, Any]:
    """The ``server_stats`` event (``namespaces``: each name with its count of sockets)."""
    return {
        "serverId": facts.server_id,
        "hostname": facts.hostname,
        "pid": facts.pid,
        "uptime": uptime,
        "clientsCount": clients,
        "pollingClientsCount": polling_clients,
        "aggregatedEvents": events,
        "namespaces": [{"name": name, "socketsCount": count} for name, count in namespaces],
    }


# -- what the UI asks ----------------------------------------------------------------------------

Rooms = str | tuple[str, ...]
"""One room, or several (Node's ``in()`` and ``socketsJoin()`` take both)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Emit:
    """Emit ``event`` with ``args`` to the namespace, or to the sockets in ``filter``."""

    nsp: str
    filter: Rooms | None
    event: str
    args: tuple[Any, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Join:
    """Make the namespace's sockets (those in ``filter``) join ``room``."""

    nsp: str
    room: Rooms
    filter: Rooms | None


@dataclasses.dataclass(frozen=True, slots=True)
class Leave:
    """Make the namespace's sockets (those in ``filter``) leave ``room``."""

    nsp: str
    room: Rooms
    filter: Rooms | None


@dataclasses.dataclass(frozen=True, slots=True)
class Disconnect:
    """Disconnect the namespace's sockets (those in ``filter``), closing the connection with
    ``close``."""

    nsp: str
    close: bool
    filter: Rooms | None


Command = Emit | Join | Leave | Disconnect

COMMANDS = ("emit", "join", "leave", "_disconnect")
"""The events the UI sends to act on the server."""


def parse_command(name: str, args: Sequence[Any]) -> Command:
    """Read one of the UI's commands from its event name and arguments.

    :raises ValueError: the UI sent arguments of the wrong kind, or too few.
    """
    if name == "emit":
        nsp, room_filter, event, *rest = _at_least(args, 3, name)
        return Emit(
            _text(nsp, "namespace"), _filter(room_filter), _text(event, "event"), tuple(rest)
        )
    if name in ("join", "leave"):
        nsp, room, room_filter = _padded(_at_least(args, 2, name), 3)
        kind = Join if name == "join" else Leave
        return kind(_text(nsp, "namespace"), _rooms(room), _filter(room_filter))
    if name == "_disconnect":
        nsp, close, room_filter = _padded(_at_least(args, 2, name), 3)
        if not isinstance(close, bool):
            raise ValueError(f"_disconnect: close must be true or false, not {close!r}")
        return Disconnect(_text(nsp, "namespace"), close, _filter(room_filter))
    raise ValueError(f"no such command: {name!r}")


def _at_least(args: Sequence[Any], count: int, name: str) -> list[Any]:
    if len(args) < count:
        raise ValueError(f"{name}: {count} arguments at least, {len(args)} given")
    return list(args)


def _padded(args: list[Any], count: int) -> list[Any]:
    return [*args, *[None] * (count - len(args))][:count]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"the {what} must be a non-empty string, not {value!r}")
    return value


def _rooms(value: Any) -> Rooms:
    if isinstance(value, list) and value and all(isinstance(room, str) for room in value):
        return tuple(value)
    return _text(value, "room")


def _filter(value: Any) -> Rooms | None:
    """Node's ``if (filter)``: no filter (the whole namespace) when absent or empty."""
    if value is None or value == "" or value == []:
        return None
    return _rooms(value)
