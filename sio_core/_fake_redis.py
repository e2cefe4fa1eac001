"""The few Redis commands of a Redis Streams cluster, in memory, for tests and examples.

:class:`FakeRedis` runs the commands a :class:`~sio_core.SocketServer` on the Redis Streams
format hands out (:class:`~sio_core.events.ClusterCommand`, and the reads of
:meth:`~sio_core.SocketServer.next_stream_read`) the way Redis 7 does, on values held here, and
answers as coredis does with RESP3 (``XREAD`` as a map). Entry ids count up from ``1-0``.
``SET ... PX`` expires with the ``now`` of the caller. ``XREAD`` never blocks: with nothing new
it answers ``None`` at once, as a blocking one would once its time is up.

An unknown command, or a known one with arguments Redis would refuse, raises ``ValueError``:
what Redis would answer with an error, and what a backend turns into a ``CommandFailed``.
"""

from __future__ import annotations

import bisect
from typing import Any

Fields = list[bytes]
StreamEntries = list[tuple[tuple[int, int], Fields]]


def _order(entry_id: bytes) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition(b"-")
    return int(milliseconds), int(sequence or b"0")


def _text(order: tuple[int, int]) -> bytes:
    return b"%d-%d" % order


class FakeRedis:
    """Streams and keys in memory; :meth:`execute` runs one command."""

    def __init__(self) -> None:
        self.streams: dict[bytes, StreamEntries] = {}
        self.keys: dict[bytes, tuple[bytes, float | None]] = {}
        self._last = 0

    def execute(self, command: tuple[bytes, ...], now: float = 0.0) -> Any:
        """Run ``command`` at ``now``; its reply.

        :raises ValueError: Redis would answer with an error.
        """
        name, *args = command
        handler = getattr(self, "_" + name.decode().lower(), None)
        if handler is None:
            raise ValueError(f"ERR unknown command {name!r}")
        try:
            return handler(args, now)
        except (IndexError, KeyError) as error:
            raise ValueError(f"ERR syntax error in {name!r}") from error

    def entry_ids(self, stream: bytes = b"socket.io") -> list[str]:
        """The ids of the entries of ``stream``, oldest first."""
        return [_text(order).decode() for order, _ in self.streams.get(stream, [])]

    def wipe(self) -> None:
        """Forget everything, as a Redis without persistence does when it restarts; new ids go
        on counting up, as real ones (made of the time) would."""
        self.streams.clear()
        self.keys.clear()

    # -- streams ---------------------------------------------------------------------------

    def _xadd(self, args: list[bytes], now: float) -> bytes:
        stream, options = args[0], args[1:]
        max_len = None
        if options[0].upper() == b"MAXLEN":
            options = options[1:]
            if options[0] in (b"~", b"="):
                options = options[1:]
            max_len, options = int(options[0]), options[1:]
        if options[0] != b"*" or len(options) % 2 != 1 or len(options) < 3:
            raise ValueError("ERR wrong number of arguments for 'xadd'")
        self._last += 1
        entries = self.streams.setdefault(stream, [])
        entries.append(((self._last, 0), list(options[1:])))
        if max_len is not None and len(entries) > max_len:
            del entries[: len(entries) - max_len]
        return _text((self._last, 0))

    def _xrange(self, args: list[bytes], now: float) -> list[Any]:
        stream, start, end = args[0], args[1], args[2]
        count = int(args[4]) if len(args) > 4 and args[3].upper() == b"COUNT" else None
        found = self._between(stream, start, end)
        return [self._entry(entry) for entry in found[:count]]

    def _xrevrange(self, args: list[bytes], now: float) -> list[Any]:
        stream, end, start = args[0], args[1], args[2]
        count = int(args[4]) if len(args) > 4 and args[3].upper() == b"COUNT" else None
        found = self._between(stream, start, end)[::-1]
        return [self._entry(entry) for entry in found[:count]]

    def _xread(self, args: list[bytes], now: float) -> dict[bytes, list[Any]] | None:
        count = None
        while args[0].upper() != b"STREAMS":
            option, value, args = args[0].upper(), args[1], args[2:]
            if option == b"COUNT":
                count = int(value)
        stream, after = args[1], args[2]
        found = self._between(stream, b"(" + after, b"+")[:count]
        return {stream: [self._entry(entry) for entry in found]} if found else None

    def _between(self, stream: bytes, start: bytes, end: bytes) -> StreamEntries:
        entries = self.streams.get(stream, [])
        orders = [order for order, _ in entries]
        if start == b"-":
            low = 0
        elif start.startswith(b"("):
            low = bisect.bisect_right(orders, _order(start[1:]))
        else:
            low = bisect.bisect_left(orders, _order(start))
        high = len(entries) if end == b"+" else bisect.bisect_right(orders, _order(end))
        return entries[low:high]

    @staticmethod
    def _entry(entry: tuple[tuple[int, int], Fields]) -> list[Any]:
        order, fields = entry
        return [_text(order), list(fields)]

    # -- keys ------------------------------------------------------------------------------

    def _set(self, args: list[bytes], now: float) -> bytes:
        key, value, options = args[0], args[1], args[2:]
        expires = None
        if options:
            if options[0].upper() != b"PX":
                raise ValueError("ERR syntax error")
            expires = now + int(options[1]) / 1000
        self.keys[key] = (value, expires)
        return b"OK"

    def _getdel(self, args: list[bytes], now: float) -> bytes | None:
        value, expires = self.keys.pop(args[0], (None, None))
        if expires is not None and expires <= now:
            return None
        return value

    def _get(self, args: list[bytes], now: float) -> bytes | None:
        value, expires = self.keys.get(args[0], (None, None))
        if expires is not None and expires <= now:
            return None
        return value
