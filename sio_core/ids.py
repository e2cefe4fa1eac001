"""Where ids come from: an injected generator, so that the core itself holds no randomness.

The backend passes :func:`default_id_generator`-like callables built on :mod:`secrets`; tests pass
:class:`CountingIds` and get the same ids on every run.
"""

from __future__ import annotations

from collections.abc import Callable

IdGenerator = Callable[[], str]
"""Returns a new id on each call: 20 URL-safe characters for Engine.IO sids and Socket.IO ids."""


class CountingIds:
    """A deterministic generator for tests: ``prefix`` and a counter, padded to 20 chars."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._count = 0

    def __call__(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count}".ljust(20, "_")
