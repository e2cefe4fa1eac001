"""The only HTTP shapes the core knows: our own frozen values, never h11's.

The backend turns whatever its HTTP library parsed into an :class:`HttpRequest`, and writes an
:class:`HttpResponse` back as it is: status, headers and body are already final.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from urllib.parse import parse_qsl

# Header names and values, and query parameters, that most requests share: a request keeps
# these objects instead of copies of its own (a socket keeps its request's headers and query for
# ``socket.handshake``: thousands of sockets kept thousands of "connection" or "websocket").
_SHARED = {
    text: text
    for text in (
        *("accept", "accept-encoding", "accept-language", "authorization", "cache-control"),
        *("connection", "content-length", "content-type", "cookie", "host", "origin", "pragma"),
        *("referer", "sec-websocket-extensions", "sec-websocket-key", "sec-websocket-protocol"),
        *("sec-websocket-version", "upgrade", "user-agent", "x-forwarded-for"),
        *("13", "Upgrade", "upgrade", "websocket", "keep-alive", "close", "*/*", "no-cache"),
        *("gzip, deflate", "gzip, deflate, br", "permessage-deflate; client_max_window_bits"),
        *("EIO", "4", "transport", "websocket", "polling"),  # and the handshake's query
    )
}


def _shared(text: str) -> str:
    return _SHARED.get(text, text)


def _parse_query(query: str) -> list[tuple[str, str]]:
    """``parse_qsl(query, keep_blank_values=True)``, split by hand when nothing is escaped.

    Every Engine.IO request is parsed (``EIO=4&transport=polling&t=...&sid=...``), and such a
    query has no ``%`` nor ``+``: what the standard parser does for each pair is then only the
    split, at a fraction of its cost.
    """
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    pairs = []
    for field in query.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((name, value))
    return pairs


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """One HTTP request, body included (the backend reads it, bounded, before handing it over).

    :param headers: names in lower case, in the order received.
    :param body_too_large: the backend stopped reading because the body went past the limit the
        core gave it (:attr:`sio_core.config.EngineConfig.max_http_buffer_size`); ``body`` is then
        empty and the core decides what that means.
    :param client: the peer's (host, port), when known.
    :param secure: the request came over TLS.
    :param timestamp: when it arrived, in seconds since the Unix epoch (a wall-clock reading the
        backend takes, since the core reads no clock); Socket.IO's handshake reports it.
    """

    method: str
    path: str
    query_string: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    body_too_large: bool = False
    client: tuple[str, int] | None = None
    secure: bool = False
    http_version: str = "1.1"
    timestamp: float = 0.0

    @classmethod
    def from_target(
        cls, method: str, target: str, headers: Iterable[tuple[str, str]] = (), **kwargs: object
    ) -> HttpRequest:
        """Build a request from a raw request target such as ``/engine.io/?EIO=4``."""
        path, _, query = target.partition("?")
        lowered = tuple((_shared(name.lower()), _shared(value)) for name, value in headers)
        return cls(method=method.upper(), path=path, query_string=query, headers=lowered, **kwargs)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        """The request target as the client wrote it."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def query(self) -> dict[str, str]:
        """The query parameters (the last value wins when a name repeats)."""
        return {_shared(name): _shared(value) for name, value in _parse_query(self.query_string)}

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def wants_websocket(self) -> bool:
        """True for a WebSocket upgrade request (``Upgrade: websocket``)."""
        upgrade = self.header("upgrade")
        return upgrade is not None and upgrade.lower() == "websocket"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """A complete answer to one request; the backend writes it without looking inside."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None
