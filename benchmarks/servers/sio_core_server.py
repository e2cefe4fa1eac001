"""The benchmark server on sio-core: the same handlers as every other benchmarked server.

Every socket joins room ``all`` on connection; ``echo`` acknowledges with its payload;
``fanout`` (n) makes the server emit n ``tick`` messages to room ``all``; ``tick`` ({event,
count, interval}) makes it emit ``event`` n to everyone for n = 0..count-1, one every
``interval`` ms (the recovery benchmark's steady broadcasts). ``--recovery`` turns connection
state recovery on, with Node's defaults.

    .venv/bin/python benchmarks/servers/sio_core_server.py --port 3000 --backend trio
"""

from __future__ import annotations

import argparse
import os
import signal
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
from sio_anyio import ConnectionStateRecovery, Server, Socket, run_server


def build_server(*, recovery: bool = False) -> Server:
    """The benchmark handlers, registered on a Server with default options (and recovery)."""
    io = Server(connection_state_recovery=ConnectionStateRecovery() if recovery else None)

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

        @socket.on("tick")
        async def tick(request: dict[str, Any]) -> bool:
            started, interval = anyio.current_time(), request["interval"] / 1000
            for index in range(request["count"]):  # on a schedule: no drift
                due = started + (index + 1) * interval
                await anyio.sleep(max(0.0, due - anyio.current_time()))  # uvloop: never < 0
                io.emit(request["event"], index)
            return True

    return io


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--recovery", action="store_true", help="connection state recovery on")
    parser.add_argument(
        "--trace-memory",
        type=Path,
        help="trace allocations; each SIGUSR1 dumps a tracemalloc snapshot to PATH.<n>",
    )
    options = parser.parse_args()
    if options.trace_memory is not None:
        _dump_snapshots_on_signal(options.trace_memory)
    server = build_server(recovery=options.recovery)
    run_server(server, options.host, options.port, backend=options.backend)


def _dump_snapshots_on_signal(path: Path) -> None:
    tracemalloc.start(8)
    count = 0

    def dump(_signum: int, _frame: FrameType | None) -> None:
        nonlocal count
        partial = f"{path}.{count}.partial"
        tracemalloc.take_snapshot().dump(partial)
        os.replace(partial, f"{path}.{count}")  # whole or absent: the reader polls for it
        count += 1

    signal.signal(signal.SIGUSR1, dump)


if __name__ == "__main__":
    main()
