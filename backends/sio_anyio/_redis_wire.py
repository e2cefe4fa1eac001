"""coredis at the level the bus needs it: the import, subscription commands, push frames,
and the account of a failure in one line."""

from __future__ import annotations

import enum
import warnings
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import anyio
import anyio.abc

from sio_anyio._extras import require
from sio_anyio._redis_status import BusMessage

with warnings.catch_warnings():
    # coredis builds sets such as {b"PONG", "PONG"} when it is imported; under ``python -bb``
    # (how the tests run) building them raises BytesWarning. Nothing of ours is hidden here.
    warnings.simplefilter("ignore", BytesWarning)
    require("coredis", "redis", feature="sio_anyio's Redis adapters and emitter")
    import coredis
    from coredis.connection import (
        BaseConnection,
        Location,
        TCPLocation,
        UnixDomainSocketLocation,
    )
    from coredis.exceptions import RedisError, ResponseError
    from coredis.retry import NoRetryPolicy
    from coredis.typing import ResponseType

Channel = str | bytes
"""A channel or pattern name; ``str`` is UTF-8 encoded (Node's adapters name channels so)."""


class Kind(enum.Enum):
    """A kind of subscription: its subscribe and unsubscribe commands."""

    CHANNEL = (b"SUBSCRIBE", b"UNSUBSCRIBE")
    PATTERN = (b"PSUBSCRIBE", b"PUNSUBSCRIBE")
    SHARD = (b"SSUBSCRIBE", b"SUNSUBSCRIBE")


async def probe(location: Location | None) -> None:
    """Open and close a plain connection to Redis, or raise OSError (refused, no route...).

    coredis 6.9 leaves the buffers of a connection whose connect failed unclosed (one
    ResourceWarning each, when collected); trying the address first keeps the usual failure,
    Redis not listening, away from it.
    """
    if isinstance(location, TCPLocation):
        stream: anyio.abc.ByteStream = await anyio.connect_tcp(location.host, location.port)
    elif isinstance(location, UnixDomainSocketLocation):
        stream = await anyio.connect_unix(location.path)
    else:
        return
    await stream.aclose()


async def refusal_tolerated(
    request: Awaitable[ResponseType],
    refused: Callable[[ResponseError], None],
    on_reply: Callable[[ResponseType], None] | None = None,
) -> None:
    """Await the reply, handing it to ``on_reply``; Redis refusing the command (an error reply)
    goes to ``refused`` instead of ending anything."""
    try:
        reply = await request
    except ResponseError as error:
        refused(error)
    else:
        if on_reply is not None:
            on_reply(reply)


def send_subscription(
    listener: BaseConnection, kind: Kind, names: list[bytes], *, wanted: bool
) -> None:
    command = kind.value[0] if wanted else kind.value[1]
    if kind is Kind.SHARD:  # one per channel: in a cluster, channels of one command share a slot
        for name in names:
            listener.send_command(command, name)
    else:
        listener.send_command(command, *names)


def heard_message(push: list[ResponseType]) -> BusMessage | None:
    """A published message from a push frame; None for confirmations and the like."""
    kind = push[0] if push else None
    if kind == b"message" and len(push) == 3:
        channel, data, pattern = push[1], push[2], None
    elif kind == b"pmessage" and len(push) == 4:
        pattern, channel, data = push[1], push[2], push[3]
    elif kind == b"smessage" and len(push) == 3:
        channel, data, pattern = push[1], push[2], None
    else:
        return None
    if not isinstance(channel, bytes) or not isinstance(data, bytes):
        return None
    if pattern is not None and not isinstance(pattern, bytes):
        return None
    return BusMessage(channel=channel, data=data, pattern=pattern, sharded=kind == b"smessage")


def channel_bytes(name: Channel) -> bytes:
    return name.encode() if isinstance(name, str) else bytes(name)


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside ``error``, unwrapping exception groups (trio wraps whatever
    leaves a nursery, here coredis's pool, in one)."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, tuple) and inner:
        return [leaf for exception in inner for leaf in leaves(exception)]
    return [error]


def describe(error: BaseException) -> str:
    """A one-line account of ``error`` and its causes (coredis wraps the OS error)."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 3:
        text = str(current) or type(current).__name__
        if text not in parts:
            parts.append(text)
        current = current.__cause__
    return ": ".join(parts)


def redacted(url: str) -> str:
    """``url`` without its user and password, for logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


__all__ = [
    "BaseConnection",
    "Channel",
    "Kind",
    "NoRetryPolicy",
    "RedisError",
    "ResponseError",
    "ResponseType",
    "channel_bytes",
    "coredis",
    "describe",
    "heard_message",
    "leaves",
    "probe",
    "redacted",
    "refusal_tolerated",
    "send_subscription",
]
