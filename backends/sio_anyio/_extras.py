"""Optional dependencies, imported by name with an error that says which extra brings them.

sio-core's base install is the core and the anyio server on asyncio. trio, coredis (the Redis
adapters and emitter), bcrypt (the admin UI's password check) and uvloop come with extras, so a
missing one should say how to get it rather than leave a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, extra: str, *, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming ``extra`` and what needed it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        install = f"pip install 'sio-core[{extra}]'"
        message = f"{feature} needs {module}, which the {extra!r} extra brings: {install}"
        raise MissingExtra(message) from error
