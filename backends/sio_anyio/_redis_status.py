"""What a :class:`~sio_anyio._redis_bus.RedisBus` hands out: the messages it hears, the changes
of its state (and the log line of each), and the error of a command it could not carry out."""

from __future__ import annotations

import dataclasses
import logging

logger = logging.getLogger("sio_anyio.redis")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BusMessage:
    """One message heard on a subscription, exactly as it was published.

    :param channel: the channel it was published on.
    :param data: the payload, never decoded.
    :param pattern: the ``PSUBSCRIBE`` pattern it matched, for a pattern subscription.
    :param sharded: whether it came through ``SSUBSCRIBE`` (it was ``SPUBLISH``-ed).
    """

    channel: bytes
    data: bytes
    pattern: bytes | None = None
    sharded: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SubscriberReady:
    """The bus hears again: its listener is connected and holds every wanted subscription.

    :param gap: how many seconds the bus could not hear before this; ``None`` when it connected
        at the first try at start. Anything published meanwhile was missed.
    :param dropped: messages given to :meth:`RedisBus.publish_nowait` that were dropped during
        the gap (never sent).
    """

    gap: float | None
    dropped: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SubscriberLost:
    """The bus stopped hearing: its session with Redis ended; it is reconnecting already."""

    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ConnectFailed:
    """A try at (re)connecting failed; the next one comes after ``retry_in`` seconds.

    :param attempt: how many tries in a row have failed, this one included.
    """

    attempt: int
    reason: str
    retry_in: float


BusStatus = SubscriberReady | SubscriberLost | ConnectFailed
"""What ``on_status`` receives, in order: any ``ConnectFailed``, then ``SubscriberReady``,
later perhaps ``SubscriberLost``, any ``ConnectFailed``, ``SubscriberReady`` again..."""


class RedisUnavailable(Exception):
    """A command could not be carried out: no session with Redis, or Redis failed it in time."""


def log_status(
    where: str,
    status: BusStatus,
    *,
    first: bool = False,
    most: float = 0.0,
    subscriptions: int = 0,
) -> None:
    """One log line per change of state, never one per retry: a warning when Redis is first
    found unreachable (``first``; the retries are then at most ``most`` seconds apart), when the
    bus loses it, and when it hears again after a gap (``subscriptions`` restored)."""
    if isinstance(status, ConnectFailed):
        if first and status.attempt == 1:
            logger.warning(
                "redis %s unreachable (%s): running without it, retrying every %.1f s at most; "
                "local delivery goes on, other nodes are out of reach",
                where,
                status.reason,
                most,
            )
        else:
            logger.debug("redis %s: try %d failed (%s)", where, status.attempt, status.reason)
    elif isinstance(status, SubscriberLost):
        logger.warning(
            "redis %s: connection lost (%s); reconnecting, messages meanwhile are lost",
            where,
            status.reason,
        )
    elif status.gap is None:
        logger.info("redis %s: connected", where)
    else:
        logger.warning(
            "redis %s: connected after %.2f s without Redis; %d subscriptions restored, "
            "%d messages were not published",
            where,
            status.gap,
            subscriptions,
            status.dropped,
        )
