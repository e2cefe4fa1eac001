"""The command line, as uvicorn's users expect it: ``python -m sio_anyio module:io``.

It imports the server object named ``module:attribute`` (the current directory first on the
import path, as uvicorn does), sets up stdlib logging, and runs it with :func:`run_server`:
one ``listening on http://host:port`` line once listening, a graceful stop on the first Ctrl-C
or SIGTERM.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from sio_anyio._run import Servable, run_server

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class TargetError(Exception):
    """``module:attribute`` names nothing that can be served."""


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv`` (default: the process's), load the server, serve until interrupted."""
    parser = _parser()
    options = parser.parse_args(argv)
    logging.basicConfig(level=options.log_level.upper(), format=LOG_FORMAT)
    try:
        server = load(options.target)
    except TargetError as error:
        parser.error(str(error))
    run_server(server, options.host, options.port, backend=options.backend)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sio_anyio", description="Serve a sio_anyio Server (or EngineIOServer)."
    )
    parser.add_argument("target", help="where the server object is, as module:attribute")
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=int, default=3000, help="default: %(default)s")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    return parser


def load(target: str) -> Servable:
    """The object ``module:attribute`` names (the attribute may be dotted).

    :raises TargetError: the target is malformed, its module does not import, its attribute
        is missing, or the object cannot be served.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"the target must be module:attribute, not {target!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")  # the current directory, as `python -m` and uvicorn have it
    try:
        found: object = importlib.import_module(module_name)
    except ImportError as error:
        raise TargetError(f"cannot import {module_name!r}: {error}") from error
    for name in attribute.split("."):
        try:
            found = getattr(found, name)
        except AttributeError:
            raise TargetError(f"{module_name!r} has no attribute {attribute!r}") from None
    if not (callable(getattr(found, "serve", None)) and callable(getattr(found, "close", None))):
        kind = type(found).__name__
        raise TargetError(f"{target} is not a server: {kind} has no serve() and close()")
    return found  # type: ignore[return-value]  # checked just above, as far as Python can
