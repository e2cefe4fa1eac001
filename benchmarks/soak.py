"""Soak: connect/disconnect churn and a flood, with the server's memory and open files watched.

For each loop (asyncio, trio) a sio-core server (``benchmarks/servers/sio_core_server.py``) runs
in a process of its own, pinned to CPU 0 when ``taskset`` exists; its RSS and open file
descriptors are read from ``/proc``. Clients run in threads of this process.

1. **Churn**: ``--cycles`` connect/disconnect cycles over long-polling, then as many over
   WebSocket, ``--clients`` at a time. A cycle opens a session, connects a socket to ``/`` and
   leaves (polling: an Engine.IO close; WebSocket: the TCP connection closed). The figures are
   printed after a warm-up (the first tenth) and after each further tenth. Once the server has
   settled after the last, its RSS must be within ``CHURN_RSS_TOLERANCE_MIB`` of the warm
   figure and its open files back to the warm count.
2. **Flood**, twice: ``--flood-clients`` WebSocket clients at once, each writing
   ``--flood-events`` acked echo events of 32 KiB in one go, reading their acks, then leaving.
   The first flood leaves the allocators' high-water mark behind (about 6 to 9 MiB here:
   freed memory that pymalloc and malloc keep for reuse rather than hand back), so it is
   reported, not judged. The second, identical flood must reuse it: once the server is idle
   again, its RSS must be within ``FLOOD_RSS_TOLERANCE_MIB`` of the figure before that flood,
   and its open files at that count. Memory a flood really leaked would show there again.

    .venv/bin/python benchmarks/soak.py [asyncio] [trio] [--cycles 10000] [--clients 8]
        [--flood-clients 100] [--flood-events 20] [--quick]

Every wait is bounded; the exit status is 1 if any figure is past its tolerance or any client
failed. ``--quick`` (300 cycles, a small flood) only checks that it runs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Iterator

from bench_lib import (
    Sample,
    ServerSpec,
    chosen_loops,
    pin_load_generator,
    running_server,
    sample,
    sio_core_command,
    wait_idle,
)
from raw_clients import PollingPeer, WsPeer, client_frame

CHURN_RSS_TOLERANCE_MIB = 4.0
"""Growth allowed over the churn, from the warm figure to the settled one."""
FLOOD_RSS_TOLERANCE_MIB = 1.0
"""Growth allowed from before the flood to the settled figure after it."""
SETTLE_TIMEOUT = 15.0  # seconds the open files have to come back after the last client left
PHASE_TIMEOUT = 900.0  # seconds one churn or flood phase may take, whatever its size
FLOOD_PAYLOAD = "x" * 32_768
PEAK_EVERY = 0.05  # seconds between samples during the flood


def settled(pid: int, fds: int) -> Sample:
    """The figures once the server is idle and its open files are back to ``fds`` (bounded)."""
    wait_idle(pid)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while (now := sample(pid)).fds > fds and time.monotonic() < deadline:
        time.sleep(0.1)
    return now


def run_clients(count: int, clients: int, one: Callable[[int], None]) -> int:
    """``one(n)`` for n in range(count), ``clients`` at a time; how many raised."""
    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(one, n) for n in range(count)]
        for future in concurrent.futures.as_completed(futures, timeout=PHASE_TIMEOUT):
            if future.exception() is not None:
                failures += 1
    return failures


# -- churn --------------------------------------------------------------------------------------


def polling_cycle(port: int) -> None:
    PollingPeer(port).close()


def websocket_cycle(port: int) -> None:
    WsPeer(port).close()


def churn(pid: int, port: int, transport: str, options: argparse.Namespace) -> bool:
    """The cycles of one transport, in tenths; True when flat within the tolerances."""
    cycle = polling_cycle if transport == "polling" else websocket_cycle
    tenth = max(1, options.cycles // 10)
    print(f"  churn over {transport}: {options.cycles:,} cycles, {options.clients} at a time")
    print(f"    {'cycles':>8} {'RSS MiB':>9} {'open fds':>9}")
    failures = run_clients(tenth, options.clients, lambda _: cycle(port))
    warm = settled(pid, 1 << 30)
    print(f"    {tenth:>8,} {warm.rss_mib:9.1f} {warm.fds:9}  (warm)", flush=True)
    done = tenth
    while done < options.cycles:
        batch = min(tenth, options.cycles - done)
        failures += run_clients(batch, options.clients, lambda _: cycle(port))
        done += batch
        now = sample(pid)
        print(f"    {done:>8,} {now.rss_mib:9.1f} {now.fds:9}", flush=True)
    final = settled(pid, warm.fds)
    growth = final.rss_mib - warm.rss_mib
    flat = growth <= CHURN_RSS_TOLERANCE_MIB and final.fds <= warm.fds and not failures
    print(
        f"    {'settled':>8} {final.rss_mib:9.1f} {final.fds:9}  RSS {growth:+.1f} MiB, "
        f"fds {final.fds - warm.fds:+d}, {failures} failed cycles: "
        f"{'flat' if flat else 'NOT FLAT'} (tolerance +{CHURN_RSS_TOLERANCE_MIB} MiB, +0 fds)"
    )
    return flat


# -- flood --------------------------------------------------------------------------------------


def flood_client(port: int, events: int) -> None:
    """Write every acked event in one go, read every ack, leave."""
    peer = WsPeer(port)
    try:
        frames = [client_frame(f'42{n}["echo","{FLOOD_PAYLOAD}"]') for n in range(events)]
        peer.sock.sendall(b"".join(frames))
        acks = 0
        for text in peer.texts():
            acks += text.startswith("43")
            if acks == events:
                return
        raise ConnectionError(f"closed after {acks} of {events} acks")
    finally:
        peer.close()


@contextlib.contextmanager
def peak_of(pid: int) -> Iterator[list[float]]:
    """Samples the RSS while the block runs; the list holds the highest figure seen."""
    peak = [sample(pid).rss_mib]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(PEAK_EVERY):
            with contextlib.suppress(OSError):
                peak[0] = max(peak[0], sample(pid).rss_mib)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield peak
    finally:
        stop.set()
        watcher.join(PHASE_TIMEOUT)


def flood(pid: int, port: int, options: argparse.Namespace) -> bool:
    """Two identical floods; True when the second left the memory where the first had."""
    clients, events = options.flood_clients, options.flood_events
    kib = len(FLOOD_PAYLOAD) // 1024
    print(f"  flood, twice: {clients} WebSocket clients at once, {events} acked {kib} KiB each")
    first = one_flood(pid, port, options, "first (high-water mark, not judged)")
    second = one_flood(pid, port, options, "second (reuses it)")
    back = second.kept <= FLOOD_RSS_TOLERANCE_MIB and second.fds_back and not second.failures
    verdict = "no growth" if back else "GREW"
    print(
        f"    the second flood left {second.kept:+.1f} MiB, {second.failures} failed clients: "
        f"{verdict} (tolerance +{FLOOD_RSS_TOLERANCE_MIB} MiB, +0 fds); the first left "
        f"{first.kept:+.1f} MiB"
    )
    return back and not first.failures


@dataclasses.dataclass(frozen=True)
class FloodResult:
    kept: float
    fds_back: bool
    failures: int


def one_flood(pid: int, port: int, options: argparse.Namespace, label: str) -> FloodResult:
    before = settled(pid, 1 << 30)
    clients, events = options.flood_clients, options.flood_events
    with peak_of(pid) as peak:
        failures = run_clients(clients, clients, lambda _: flood_client(port, events))
    after = settled(pid, before.fds)
    kept = after.rss_mib - before.rss_mib
    print(f"    {label}")
    print(f"      before  {before.rss_mib:9.1f} MiB {before.fds:5} fds")
    print(f"      peak    {peak[0]:9.1f} MiB")
    print(f"      settled {after.rss_mib:9.1f} MiB {after.fds:5} fds  RSS {kept:+.1f} MiB")
    return FloodResult(kept=kept, fds_back=after.fds <= before.fds, failures=failures)


# -- main ---------------------------------------------------------------------------------------


def server_spec(backend: str) -> ServerSpec:
    return ServerSpec(
        key=f"sio-{backend}", label=f"sio-core {backend}", command=sio_core_command(backend)
    )


def soak_backend(backend: str, options: argparse.Namespace) -> bool:
    print(f"\nsio-core {backend}", flush=True)
    with running_server(server_spec(backend)) as (pid, url):
        port = int(url.rsplit(":", 1)[1])
        results = [churn(pid, port, transport, options) for transport in ("polling", "websocket")]
        results.append(flood(pid, port, options))
    return all(results)


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", help="asyncio, trio (both unless told)")
    parser.add_argument("--cycles", type=int, default=10_000, help="per transport")
    parser.add_argument("--clients", type=int, default=8, help="cycles at a time")
    parser.add_argument("--flood-clients", type=int, default=100)
    parser.add_argument("--flood-events", type=int, default=20, help="per flood client")
    parser.add_argument("--quick", action="store_true", help="a small run: it works")
    options = parser.parse_args()
    options.backends = chosen_loops(parser, options.backends)
    if options.quick:
        options.cycles, options.flood_clients, options.flood_events = 300, 10, 5
    return options


def main() -> None:
    options = parse_options()
    pin_load_generator()
    results = [soak_backend(backend, options) for backend in options.backends]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
