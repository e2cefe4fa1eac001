"""The servers' options: the core's config objects, plus what only this backend needs.

Every option has one home, and its default is stated there only: the Engine.IO and Socket.IO
options are fields of :class:`~sio_core.config.EngineConfig` and
:class:`~sio_core.config.SocketConfig`, the backend's own are fields of :class:`BackendOptions`.
Node-style keywords (``Server(ping_interval=5, cors=...)``) are typed by the ``TypedDict``\\ s
below, which name those fields (a test checks that they name the same fields with the same
types), and are routed to their dataclass by field name.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from sio_anyio._http import Fallback
from sio_core.config import (
    AllowRequest,
    ConnectionStateRecovery,
    CookieOptions,
    CorsOptions,
    EngineConfig,
    SocketConfig,
)
from sio_core.socketio.msgpack_parser import MsgpackParser
from sio_core.socketio.packets import JsonParser, Parser

if TYPE_CHECKING:  # for ``**options: Unpack[...]``, in annotations only
    if sys.version_info >= (3, 11):
        from typing import Unpack as Unpack  # re-exported to the servers
    else:
        from typing_extensions import Unpack as Unpack


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BackendOptions:
    """What the anyio backend needs beside the core's config.

    :param fallback: answers the requests outside the server's path (default: 404).
    :param per_message_deflate: accept WebSocket compression when a client offers it (off by
        default, as in Node).
    :param read_timeout: seconds a connection may take to send one whole request (and may stay
        idle between two).
    """

    fallback: Fallback | None = None
    per_message_deflate: bool = False
    read_timeout: float = 30.0


class BackendKeywords(TypedDict, total=False):
    """The fields of :class:`BackendOptions`, as keyword arguments."""

    fallback: Fallback | None
    per_message_deflate: bool
    read_timeout: float


class ServerKeywords(BackendKeywords, total=False):
    """Node's server options in snake_case: fields of the configs and of the backend options."""

    path: str
    ping_interval: float
    ping_timeout: float
    upgrade_timeout: float
    max_http_buffer_size: int
    transports: tuple[str, ...]
    allow_upgrades: bool
    allow_request: AllowRequest | None
    cors: CorsOptions | None
    cookie: CookieOptions | None
    http_compression: bool
    compression_threshold: int
    max_buffered_bytes: int
    connect_timeout: float
    connection_state_recovery: ConnectionStateRecovery | None


def backend_options(keywords: Mapping[str, Any]) -> BackendOptions:
    """The backend options that ``keywords`` name (the others keep their defaults)."""
    return BackendOptions(**_only(BackendOptions, keywords))


def socket_config(config: SocketConfig | None, keywords: Mapping[str, Any]) -> SocketConfig:
    """``config`` (the defaults when None) with the config fields ``keywords`` name replaced.

    :raises TypeError: a keyword that names no option.
    """
    base = config or SocketConfig()
    unknown = set(keywords) - _names(EngineConfig) - _names(SocketConfig) - _names(BackendOptions)
    if unknown:
        raise TypeError(f"unknown server options: {', '.join(sorted(unknown))}")
    engine = dataclasses.replace(base.engine, **_only(EngineConfig, keywords))
    return dataclasses.replace(base, engine=engine, **_only(SocketConfig, keywords))


def _only(options: type, keywords: Mapping[str, Any]) -> dict[str, Any]:
    names = _names(options)
    return {name: value for name, value in keywords.items() if name in names}


def _names(options: type) -> set[str]:
    return {field.name for field in dataclasses.fields(options)} - {"engine"}


ParserName = Literal["json", "msgpack"]
"""The parsers a server knows by name: socket.io-parser's format and socket.io-msgpack-parser's."""

_PARSERS: dict[str, type[JsonParser | MsgpackParser]] = {
    "json": JsonParser,
    "msgpack": MsgpackParser,
}


def parser_of(parser: Parser | ParserName) -> Parser:
    """The parser named (with its default limits), or the parser object itself, as Node's
    ``parser`` option takes the parser module.

    :raises ValueError: a name that is not a parser's.
    """
    if not isinstance(parser, str):
        return parser
    if parser not in _PARSERS:
        raise ValueError(f"unknown parser {parser!r}: give 'json', 'msgpack' or a Parser")
    return _PARSERS[parser]()
