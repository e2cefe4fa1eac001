"""Where the memory of an idle WebSocket connection goes, on sio-core (issue 11, point 3).

Starts the benchmark server with tracemalloc on, opens N idle Socket.IO clients over WebSocket
(raw sockets from this process: a handshake, CONNECT, then only pongs), and compares a snapshot
taken with them connected against one taken before. Prints the RSS per connection, the traced
bytes per connection, and the lines and modules that hold them.

    .venv/bin/python benchmarks/idle_memory.py --clients 5000 --backend asyncio

tracemalloc slows the server and adds its own memory to RSS, so the RSS figure comes from a
first run of the same clients without tracing: that is the one to compare with Node's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import os
import signal
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from bench_lib import ServerSpec, running_server, sample, sio_core_command
from raw_clients import WS_TARGET, client_frame

Sizes = list[tuple[str, int]]
"""(where, bytes) pairs, largest first."""


@dataclasses.dataclass(frozen=True, slots=True)
class Traced:
    """What tracemalloc saw the clients add: in all, by line and by module (largest first)."""

    total: int
    lines: Sizes
    modules: Sizes


async def idle_client(port: int) -> asyncio.StreamWriter:
    """A Socket.IO client over WebSocket that connects to ``/`` and then says nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {WS_TARGET} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    writer.write(request.encode())
    await reader.readuntil(b"\r\n\r\n")
    await _read_frame(reader)  # the open packet
    writer.write(client_frame("40"))
    await _read_frame(reader)  # the CONNECT reply
    _PONGS.add(asyncio.create_task(_answer_pings(reader, writer)))
    return writer


_PONGS: set[asyncio.Task[None]] = set()
"""The clients' ping answerers (kept referenced: asyncio holds tasks weakly)."""


async def _answer_pings(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Stay connected: a client that misses pings is closed after ping_interval + ping_timeout,
    which tracing can make shorter than the time 5000 connections take to open."""
    try:
        while True:
            if await _read_frame(reader) == b"2":
                writer.write(client_frame("3"))
    except (asyncio.IncompleteReadError, ConnectionError):
        return


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return await reader.readexactly(length)


async def open_clients(port: int, count: int) -> list[asyncio.StreamWriter]:
    writers: list[asyncio.StreamWriter] = []
    for start in range(0, count, 200):
        batch = [idle_client(port) for _ in range(min(200, count - start))]
        writers += await asyncio.gather(*batch)
    return writers


def snapshot(pid: int, path: Path) -> tracemalloc.Snapshot:
    """Ask the server for a snapshot (SIGUSR1) and load it once it is in place."""
    os.kill(pid, signal.SIGUSR1)
    for _ in range(600):
        time.sleep(0.1)
        if path.exists():  # renamed into place once whole
            return tracemalloc.Snapshot.load(str(path)).filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
    raise TimeoutError("no snapshot")


def rss_per_connection(count: int, backend: str) -> float:
    """KiB of RSS each of ``count`` idle clients adds, on a server that does not trace."""
    spec = ServerSpec(key="sio", label="sio-core", command=sio_core_command(backend))
    with running_server(spec) as (pid, url):
        return asyncio.run(_rss_growth(_port(url), count, pid)) / count


def traced_growth(count: int, backend: str) -> Traced:
    """What tracemalloc sees ``count`` idle clients add, on a server that traces."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "snap"
        command = sio_core_command(backend, "--trace-memory", str(base))
        with running_server(ServerSpec(key="sio", label="sio-core", command=command)) as (
            pid,
            url,
        ):
            return asyncio.run(_traced(_port(url), count, pid, base))


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def _rss_growth(port: int, count: int, pid: int) -> float:
    await _warm(port)
    before = sample(pid).rss_mib
    writers = await open_clients(port, count)
    await asyncio.sleep(2)
    grown = (sample(pid).rss_mib - before) * 1024
    _close_all(writers)
    return grown


async def _traced(port: int, count: int, pid: int, base: Path) -> Traced:
    await _warm(port)
    before = await asyncio.to_thread(snapshot, pid, Path(f"{base}.0"))
    writers = await open_clients(port, count)
    await asyncio.sleep(2)
    after = await asyncio.to_thread(snapshot, pid, Path(f"{base}.1"))
    _close_all(writers)
    lines = [(str(s.traceback[0]), s.size_diff) for s in after.compare_to(before, "lineno")]
    by_module: dict[str, int] = defaultdict(int)
    for stat in after.compare_to(before, "filename"):
        by_module[_short(stat.traceback[0].filename)] += stat.size_diff
    modules = sorted(by_module.items(), key=lambda item: -item[1])
    return Traced(total=sum(by_module.values()), lines=lines[:25], modules=modules[:15])


async def _warm(port: int) -> None:
    """One client first: what the first connection imports is no connection's cost."""
    writer = await idle_client(port)
    writer.close()
    await asyncio.sleep(1)


def _close_all(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3", "/backends/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    options = parser.parse_args()
    count = options.clients
    rss = rss_per_connection(count, options.backend)
    traced = traced_growth(count, options.backend)
    print(f"{count} idle WebSocket clients on sio-core ({options.backend})")
    print(f"RSS per connection, untraced: {rss:.1f} KiB")
    print(f"traced per connection: {traced.total / count / 1024:.2f} KiB\n")
    print("by module (KiB per connection):")
    for module, size in traced.modules:
        print(f"  {size / count / 1024:7.2f}  {module}")
    print("\nby line (bytes per connection):")
    for line, size in traced.lines:
        print(f"  {size / count:8.0f}  {_short(line)}")


if __name__ == "__main__":
    main()
