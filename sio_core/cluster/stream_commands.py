"""The Redis commands of the Streams adapter, their replies, entry ids and stored sessions.

A node of a Streams cluster talks to Redis with a handful of commands, built here as the byte
strings a backend sends unchanged, and whose replies it hands back unread:

==================================================  ===========================================
``XADD <stream> MAXLEN ~ <max_len> * <fields>``     a durable message (its reply: the entry id)
``XREVRANGE <stream> + - COUNT 1``                  where a new reader starts: the last entry
``XREAD COUNT <n> BLOCK <ms> STREAMS <stream> <id>``  the entries after ``id``, waiting for some
``XRANGE <stream> <start> <end> [COUNT <n>]``       entries again, to replay what a client missed
``SET <key> <session> PX <ms>``                     a session kept for recovery, with its expiry
``GETDEL <key>``                                    a session taken back (Redis 6.2)
==================================================  ===========================================

**Entry ids** (``<milliseconds>-<sequence>``) are the offsets of connection state recovery:
:func:`is_entry_id` is Node's check of a client's offset, and :func:`entry_order` compares two.

**Sessions** are stored as Node stores them: base64 of the msgpack of ``{sid, pid, rooms, data}``
(:func:`encode_session`). A sio-core node adds ``nsp``, which Node ignores, so that a pid cannot
bring a socket back in another namespace; a session Node wrote has none.

Replies come as coredis gives them with RESP3 (maps for ``XREAD``) or RESP2 (arrays): both are
read. Whatever does not have the expected shape is a
:class:`~sio_core.cluster.errors.ClusterProtocolError`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Sequence
from typing import Any, Final

from sio_core.cluster.errors import ClusterProtocolError
from sio_core.cluster.streams import RedisStreamsFormat, StreamEntry
from sio_core.cluster.values import (
    DEFAULT_LIMITS,
    DecodeLimits,
    decode_msgpack,
    dump_msgpack,
    to_wire,
)
from sio_core.errors import LocalProtocolError

Command = tuple[bytes, ...]
"""A Redis command, ready to send: its name, then its arguments."""

Entry = tuple[str, dict[str, str] | None]
"""One stream entry: its id, and its fields by name (``None`` when they are not readable text:
the entry still counts, so that a reader can go past it)."""

_ENTRY_ID: Final = re.compile(r"[0-9]+-[0-9]+")


def is_entry_id(text: str) -> bool:
    """Whether ``text`` looks like an entry id (Node's ``/^[0-9]+-[0-9]+$/`` on an offset)."""
    return _ENTRY_ID.fullmatch(text) is not None


def entry_order(entry_id: str) -> tuple[int, int]:
    """What sorts entry ids as Redis does: milliseconds, then sequence."""
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class StreamRead:
    """One read of the stream, for the backend to run on a connection of its own (it blocks)
    and hand back with its reply.

    :param after: the entry id it reads after; ``None`` for the first read, which finds where
        to start (the last entry).
    :param block: seconds Redis may hold it before replying; the backend's timeout for it must
        be longer.
    """

    command: Command
    after: str | None
    block: float


@dataclasses.dataclass(frozen=True, slots=True)
class CommandFailed:
    """The reply to a command Redis refused, or that got no reply (Redis away, a timeout)."""

    reason: str


# -- commands --------------------------------------------------------------------------------


def append(stream_format: RedisStreamsFormat, entry: StreamEntry) -> Command:
    """``XADD``: append a durable message, trimming the stream to about ``max_len`` entries."""
    head = (b"XADD", stream_format.stream_name.encode(), b"MAXLEN", b"~")
    fields = (part.encode() for field in entry.fields for part in field)
    return (*head, b"%d" % stream_format.max_len, b"*", *fields)


def last_entry(stream_format: RedisStreamsFormat) -> Command:
    """``XREVRANGE``: the last entry of the stream, where a new reader starts."""
    return (b"XREVRANGE", stream_format.stream_name.encode(), b"+", b"-", b"COUNT", b"1")


def read_after(stream_format: RedisStreamsFormat, entry_id: str) -> Command:
    """``XREAD``: up to ``read_count`` entries after ``entry_id``, waiting ``block_time``."""
    block = b"%d" % max(1, round(stream_format.block_time * 1000))
    stream = stream_format.stream_name.encode()
    count = b"%d" % stream_format.read_count
    return (b"XREAD", b"COUNT", count, b"BLOCK", block, b"STREAMS", stream, entry_id.encode())


def entries_between(
    stream_format: RedisStreamsFormat, start: str, end: str, count: int | None = None
) -> Command:
    """``XRANGE``: the entries from ``start`` to ``end`` (``(`` before an id excludes it)."""
    command = (b"XRANGE", stream_format.stream_name.encode(), start.encode(), end.encode())
    return command if count is None else (*command, b"COUNT", b"%d" % count)


def keep_session(stream_format: RedisStreamsFormat, pid: str, session: bytes, ms: int) -> Command:
    """``SET ... PX``: keep a session for ``ms`` milliseconds."""
    key = stream_format.session_key(pid).encode()
    return (b"SET", key, session, b"PX", b"%d" % max(1, ms))


def take_session(stream_format: RedisStreamsFormat, pid: str) -> Command:
    """``GETDEL``: take a session back, so that it restores one socket at most."""
    return (b"GETDEL", stream_format.session_key(pid).encode())


# -- replies ---------------------------------------------------------------------------------


def entries_of(reply: Any) -> list[Entry]:
    """The entries of an ``XRANGE`` or ``XREVRANGE`` reply, in its order."""
    if not isinstance(reply, list):
        raise ClusterProtocolError("a range reply is not an array")
    return [_entry(item) for item in reply]


def read_entries(reply: Any, stream_format: RedisStreamsFormat) -> list[Entry]:
    """The entries of an ``XREAD`` reply (none when it timed out)."""
    if reply is None:
        return []
    name = stream_format.stream_name.encode()
    if isinstance(reply, dict):
        streams = list(reply.items())
    elif isinstance(reply, list) and all(_is_pair(item) for item in reply):
        streams = [(item[0], item[1]) for item in reply]
    else:
        raise ClusterProtocolError("a read reply is neither a map nor an array of streams")
    wanted = name.decode()
    return [entry for key, found in streams if _text(key) == wanted for entry in entries_of(found)]


def entry_id_of(reply: Any) -> str:
    """The id an ``XADD`` answered with."""
    entry_id = _text(reply)
    if not is_entry_id(entry_id):
        raise ClusterProtocolError(f"{entry_id!r} is not an entry id")
    return entry_id


def _entry(item: Any) -> Entry:
    if not _is_pair(item):
        raise ClusterProtocolError("a stream entry is not [id, fields]")
    entry_id, raw_fields = _text(item[0]), item[1]
    if not is_entry_id(entry_id):
        raise ClusterProtocolError(f"{entry_id!r} is not an entry id")
    if isinstance(raw_fields, dict):
        pairs: Sequence[Any] = [part for pair in raw_fields.items() for part in pair]
    elif isinstance(raw_fields, list) and len(raw_fields) % 2 == 0:
        pairs = raw_fields
    else:
        return entry_id, None
    names, values = pairs[0::2], pairs[1::2]
    try:
        fields = {_text(name): _text(value) for name, value in zip(names, values, strict=True)}
    except ClusterProtocolError:
        return entry_id, None
    return entry_id, fields


def _is_pair(item: Any) -> bool:
    return isinstance(item, list | tuple) and len(item) == 2


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ClusterProtocolError("a stream reply holds text that is not UTF-8") from None
    raise ClusterProtocolError(f"a stream reply holds a {type(value).__name__}, not text")


# -- sessions ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class StoredSession:
    """A session as Redis keeps it between a socket's disconnection and its recovery.

    :param nsp: the socket's namespace; ``None`` in a session a Node server stored.
    """

    sid: str
    pid: str
    rooms: tuple[str, ...]
    data: Any
    nsp: str | None = None


def encode_session(session: StoredSession, limits: DecodeLimits = DEFAULT_LIMITS) -> bytes:
    """Base64 of msgpack, as Node's ``persistSession`` writes it. ``data`` no format can carry
    is stored as ``None`` (as ``fetch_sockets`` sends it)."""
    try:
        data = to_wire(session.data, limits)
    except LocalProtocolError:
        data = None
    stored: dict[str, Any] = {
        "sid": session.sid,
        "pid": session.pid,
        "rooms": list(session.rooms),
        "data": data,
    }
    if session.nsp is not None:
        stored["nsp"] = session.nsp
    try:
        packed = dump_msgpack(stored)
    except LocalProtocolError:
        packed = dump_msgpack({**stored, "data": None})
    return base64.b64encode(packed)


def decode_session(raw: Any, limits: DecodeLimits = DEFAULT_LIMITS) -> StoredSession:
    """The session a ``GETDEL`` answered with.

    :raises ClusterProtocolError: not a session (or none: ``raw`` is ``None``).
    """
    if not isinstance(raw, bytes | str):
        raise ClusterProtocolError("no session")
    try:
        packed = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ClusterProtocolError("a session is not base64") from None
    value = decode_msgpack(packed, limits) if packed else None
    if not isinstance(value, dict):
        raise ClusterProtocolError("a session is not a map")
    sid, pid, rooms, nsp = (value.get(key) for key in ("sid", "pid", "rooms", "nsp"))
    if not isinstance(sid, str) or not isinstance(pid, str):
        raise ClusterProtocolError("a session has no sid or pid")
    if not isinstance(rooms, list) or not all(isinstance(room, str) for room in rooms):
        raise ClusterProtocolError("a session's rooms are not strings")
    if nsp is not None and not isinstance(nsp, str):
        raise ClusterProtocolError("a session's namespace is not a string")
    return StoredSession(sid=sid, pid=pid, rooms=tuple(rooms), data=value.get("data"), nsp=nsp)
