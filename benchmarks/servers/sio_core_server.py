"""The benchmark server on sio-core: the same three handlers as every other benchmarked server.

Every socket joins room ``all`` on connection; ``echo`` acknowledges with its payload;
``fanout`` (n) makes the server emit n ``tick`` messages to room ``all``.

    .venv/bin/python benchmarks/servers/sio_core_server.py --port 3000 --backend trio
"""

from __future__ import annotations

import argparse
import signal
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

from sio_anyio import Server, Socket, run_server


def build_server() -> Server:
    """The benchmark handlers, registered on a Server with default options."""
    io = Server()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.join("all")

        @socket.on("echo")
        def echo(payload: Any) -> Any:
            return payload

        @socket.on("fanout")
        def fanout(count: int) -> None:
            room = io.to("all")
            for index in range(count):
                room.emit("tick", index)

    return io


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument(
        "--trace-memory",
        type=Path,
        help="trace allocations; each SIGUSR1 dumps a tracemalloc snapshot to PATH.<n>",
    )
    options = parser.parse_args()
    if options.trace_memory is not None:
        _dump_snapshots_on_signal(options.trace_memory)
    run_server(build_server(), options.host, options.port, backend=options.backend)


def _dump_snapshots_on_signal(path: Path) -> None:
    tracemalloc.start(8)
    count = 0

    def dump(_signum: int, _frame: FrameType | None) -> None:
        nonlocal count
        tracemalloc.take_snapshot().dump(f"{path}.{count}")
        count += 1

    signal.signal(signal.SIGUSR1, dump)


if __name__ == "__main__":
    main()
