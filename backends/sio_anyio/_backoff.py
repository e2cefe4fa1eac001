"""Capped exponential backoff: how long to wait before the next try at reaching a service.

A pure policy (no sleeping here), so that the bus that uses it and its tests agree on the
numbers. No jitter: a handful of nodes reconnecting to one Redis is no thundering herd, and a
deterministic wait keeps fault tests bounded and readable.
"""

from __future__ import annotations

import dataclasses

_MAX_EXPONENT = 64
"""Past this many doublings every delay is the cap anyway; stops ``factor ** n`` overflowing."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Wait ``initial`` after the first failure, times ``factor`` after each next one, at most
    ``maximum`` seconds.

    The defaults retry quickly at first (a restarting Redis is back in well under a second)
    and then every 2 s, close to Node's ``redis`` client (which waits at most 0.5 s): a node
    must not stay deaf long after Redis is back, and a retry costs one refused connection.
    """

    initial: float = 0.1
    factor: float = 2.0
    maximum: float = 2.0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.factor < 1 or self.maximum < self.initial:
            raise ValueError(f"an unusable backoff: {self}")

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed tries in a row (1 for the first)."""
        exponent = min(max(failures - 1, 0), _MAX_EXPONENT)
        return min(self.maximum, self.initial * self.factor**exponent)
