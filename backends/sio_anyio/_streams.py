"""The one place where anyio and OS errors become "the peer left" or "the transport broke".

Everything above this module sees a single exception, :class:`StreamGone`, whose ``error`` flag
is what the core's ``ws_closed(..., error=...)`` wants: a clean end of stream is not an error, a
broken one is. Keeping the mapping here keeps the "transport close" and "transport error"
reasons honest (the same idea as httpcore's ``map_exceptions``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import anyio
import anyio.abc

logger = logging.getLogger("sio_anyio")

_READ_SIZE = 65536
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 1 << 20


class StreamGone(Exception):
    """The TCP stream can no longer be used.

    :param error: False when the peer closed it (EOF) or we did; True when it broke.
    """

    def __init__(self, *, error: bool) -> None:
        super().__init__("transport error" if error else "transport closed")
        self.error = error


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """Translate whatever a stream operation raised into :class:`StreamGone`."""
    try:
        yield
    except (anyio.EndOfStream, anyio.ClosedResourceError) as exc:
        raise StreamGone(error=False) from exc
    except (anyio.BrokenResourceError, OSError) as exc:
        raise StreamGone(error=True) from exc


class ByteStream:
    """A TCP stream whose failures all arrive as :class:`StreamGone`."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream

    @property
    def peer(self) -> tuple[str, int] | None:
        """The remote (host, port), when the stream is a socket."""
        address = self._stream.extra(anyio.abc.SocketAttribute.remote_address, None)  # noqa: S610
        if isinstance(address, tuple) and len(address) >= 2:
            return str(address[0]), int(address[1])
        return None

    async def receive(self) -> bytes:
        """Some bytes; never empty (the end of the stream raises :class:`StreamGone`)."""
        with _mapped():
            return await self._stream.receive(_READ_SIZE)

    async def send(self, data: bytes) -> None:
        """Write all of ``data``."""
        if data:
            with _mapped():
                await self._stream.send(data)

    async def aclose(self) -> None:
        """Close at once, even when cancelled; never raises (closing a dead stream is no news)."""
        with contextlib.suppress(Exception):
            await anyio.aclose_forcefully(self._stream)

    async def linger_close(self) -> None:
        """Half-close, drain what the peer still sends (bounded), then close.

        Closing a socket that holds unread input makes the kernel send a reset, which may
        destroy the answer we just wrote before the peer reads it (for instance the answer to
        a POST whose body we refused to read). Draining first lets the answer arrive.
        """
        try:
            with contextlib.suppress(Exception), anyio.move_on_after(_LINGER_SECONDS):
                await self._stream.send_eof()
                drained = 0
                while drained < _LINGER_BYTES:
                    drained += len(await self._stream.receive(_READ_SIZE))
        finally:
            await self.aclose()
