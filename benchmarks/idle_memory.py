"""Where the memory of an idle WebSocket connection goes, on sio-core (issue 11, point 3).

Starts the benchmark server with tracemalloc on, opens N idle Socket.IO clients over WebSocket
(raw sockets from this process: a handshake, CONNECT, then nothing), and compares a snapshot
taken with them connected against one taken before. Prints the RSS per connection, the traced
bytes per connection, and the lines and modules that hold them.

    .venv/bin/python benchmarks/idle_memory.py --clients 5000 --backend asyncio

tracemalloc slows the server and adds its own memory to RSS: the RSS figure is also taken on a
second run without tracing (``--no-trace``), which is the one to compare with Node's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE / "servers" / "sio_core_server.py"
PATH = "/socket.io/?EIO=4&transport=websocket"

Sizes = list[tuple[str, int]]
"""(where, bytes) pairs, largest first."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def idle_client(port: int) -> asyncio.StreamWriter:
    """A Socket.IO client over WebSocket that connects to ``/`` and then says nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    writer.write(request.encode())
    await reader.readuntil(b"\r\n\r\n")
    await _read_frame(reader)  # the open packet
    writer.write(_masked_text(b"40"))
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
                writer.write(_masked_text(b"3"))
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


def _masked_text(payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


async def open_clients(port: int, count: int) -> list[asyncio.StreamWriter]:
    writers: list[asyncio.StreamWriter] = []
    for start in range(0, count, 200):
        batch = [idle_client(port) for _ in range(min(200, count - start))]
        writers += await asyncio.gather(*batch)
    return writers


def start_server(port: int, backend: str, trace: Path | None) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(SERVER), "--port", str(port), "--backend", backend]
    if trace is not None:
        command += ["--trace-memory", str(trace)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603 (our own script)
    assert server.stdout is not None
    server.stdout.readline()  # "listening on ..."
    return server


def snapshot(server: subprocess.Popen[bytes], path: Path) -> tracemalloc.Snapshot:
    server.send_signal(signal.SIGUSR1)
    for _ in range(600):
        time.sleep(0.1)
        if path.exists():  # renamed into place once whole
            return tracemalloc.Snapshot.load(str(path)).filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
    raise TimeoutError("no snapshot")


def measure(count: int, backend: str, trace: bool) -> tuple[float, Sizes, Sizes]:
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "snap" if trace else None
        server = start_server(port, backend, base)
        try:
            asyncio.run(_warm(port))
            time.sleep(1)
            before = snapshot(server, Path(f"{base}.0")) if base else None
            rss_before = rss_kib(server.pid)
            return asyncio.run(_connected(port, count, server, base, before, rss_before))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # thousands of traced connections to close
                server.kill()
                server.wait()


async def _warm(port: int) -> None:
    writer = await idle_client(port)
    writer.close()


async def _connected(
    port: int,
    count: int,
    server: subprocess.Popen[bytes],
    base: Path | None,
    before: tracemalloc.Snapshot | None,
    rss_before: int,
) -> tuple[float, Sizes, Sizes]:
    writers = await open_clients(port, count)
    await asyncio.sleep(2)
    rss_per = (rss_kib(server.pid) - rss_before) / count
    lines: Sizes = []
    modules: Sizes = []
    if base is not None and before is not None:
        after = await asyncio.to_thread(snapshot, server, Path(f"{base}.1"))
        diff = after.compare_to(before, "lineno")
        lines = [(str(stat.traceback[0]), stat.size_diff) for stat in diff[:25]]
        by_module: dict[str, int] = defaultdict(int)
        for stat in after.compare_to(before, "filename"):
            by_module[_short(stat.traceback[0].filename)] += stat.size_diff
        modules = sorted(by_module.items(), key=lambda item: -item[1])[:15]
    for writer in writers:
        writer.close()
    return rss_per, lines, modules


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
    rss_plain, _, _ = measure(options.clients, options.backend, trace=False)
    _, lines, modules = measure(options.clients, options.backend, trace=True)
    count = options.clients
    print(f"{count} idle WebSocket clients on sio-core ({options.backend})")
    print(f"RSS per connection, untraced: {rss_plain:.1f} KiB")
    traced = sum(size for _, size in modules)
    print(f"traced per connection: {traced / count / 1024:.2f} KiB\n")
    print("by module (KiB per connection):")
    for module, size in modules:
        print(f"  {size / count / 1024:7.2f}  {module}")
    print("\nby line (bytes per connection):")
    for line, size in lines:
        print(f"  {size / count:8.0f}  {_short(line)}")


if __name__ == "__main__":
    main()
