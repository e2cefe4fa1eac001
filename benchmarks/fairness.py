"""Fair scheduling: how long a bystander waits for its acks while another client floods.

Starts a sio-core server (``benchmarks/servers/sio_core_server.py``'s handlers plus ``join``) on
asyncio or trio, pinned to CPU 0 when ``taskset`` exists (this process goes to CPU 1). A
bystander client sends an acked ``echo`` every 100 ms the whole time. A flooder connects over
raw TCP (its WebSocket frames built by hand, masked with a zero key) and sends each flood in
one go, then an acked sentinel event; the flood is over when the sentinel's ack comes back
(one socket's packets are handled in order). Per flood, the bystander's ack latency (p50, p99,
max) over the events it sent meanwhile; the target is p99 under 100 ms.

The floods, after a quiet baseline: 50k acked ``echo`` events, 100k ``join`` events, 100k
unsolicited Engine.IO pongs, 10k CONNECTs to a namespace that does not exist.

    .venv/bin/python benchmarks/fairness.py [asyncio] [trio] [--rounds 3] [--quick]

Each round runs every flood once on the same server; the figures pool the rounds. ``--quick``
(tiny floods, one round) only checks that it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench_lib import ServerSpec, chosen_loops, pin_load_generator, running_server
from raw_clients import SOCKET_TIMEOUT, WsPeer, client_frame
from sio_anyio import Socket, run_server

BENCH = Path(__file__).resolve().parent
INTERVAL = 0.1  # seconds between the bystander's events
TARGET_P99_MS = 100.0
FLOOD_TIMEOUT = 40.0  # under the server's ping timeout: the flooder answers no ping
SETTLE = 1.0  # seconds of quiet between floods
SENTINEL = 1_000_000_000


@dataclasses.dataclass(frozen=True, slots=True)
class Flood:
    """One flood: ``count`` Socket.IO/Engine.IO packets, the ``n``-th given by ``packet(n)``."""

    label: str
    count: int
    packet: Callable[[int], str]


def floods(quick: bool) -> list[Flood]:
    scale = 100 if quick else 1
    return [
        Flood("acked echo events", 50_000 // scale, lambda n: f'42{n}["echo",{n}]'),
        Flood("join events", 100_000 // scale, lambda n: f'42["join","room-{n}"]'),
        Flood("unsolicited pongs", 100_000 // scale, lambda n: "3"),
        Flood("CONNECTs to /nowhere", 10_000 // scale, lambda n: "40/nowhere,"),
    ]


# -- the server ---------------------------------------------------------------------------------


def serve(backend: str, port: int) -> None:
    """The benchmark server's handlers, plus ``join`` (the socket joins the room it names)."""
    sys.path.insert(0, str(BENCH / "servers"))
    from sio_core_server import build_server  # found through the path above

    io = build_server()

    @io.on("connection")
    def on_connection(client: Socket) -> None:
        client.on("join", client.join)

    run_server(io, "127.0.0.1", port, backend=backend)


def server_spec(backend: str) -> ServerSpec:
    script = str(Path(__file__).resolve())
    return ServerSpec(
        key=f"sio-{backend}",
        label=f"sio-core {backend}",
        command=lambda port: [sys.executable, script, "--serve", backend, "--port", str(port)],
    )


# -- the bystander ------------------------------------------------------------------------------


class Bystander:
    """Sends an acked ``echo`` every ``INTERVAL`` and times each ack, in two threads."""

    ACK = re.compile(r"^43(\d+)\[")

    def __init__(self, port: int) -> None:
        self._peer = WsPeer(port)
        self._sent: dict[int, float] = {}
        self.samples: list[tuple[float, float | None]] = []  # (sent at, latency or None)
        self._acked: dict[int, float] = {}
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._send_loop, daemon=True),
            threading.Thread(target=self._read_loop, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._peer.close()
        for thread in self._threads:
            thread.join(SOCKET_TIMEOUT)

    def latencies(self, start: float, end: float) -> tuple[list[float], int]:
        """Ack latencies (ms) of the events sent in [start, end], and how many got none."""
        sent = [(n, at) for n, at in list(self._sent.items()) if start <= at <= end]
        acked = [self._acked[n] - at for n, at in sent if n in self._acked]
        return [1000 * value for value in acked], len(sent) - len(acked)

    def _send_loop(self) -> None:
        n = 0
        while not self._stop.wait(INTERVAL):
            n += 1
            self._sent[n] = time.perf_counter()
            try:
                self._peer.send(f'42{n}["echo","bystander"]')
            except OSError:
                return

    def _read_loop(self) -> None:
        try:
            for text in self._peer.texts():
                if (match := self.ACK.match(text)) is not None:
                    self._acked[int(match[1])] = time.perf_counter()
        except OSError:
            return


# -- one flood ----------------------------------------------------------------------------------


def flood_bytes(flood: Flood) -> bytes:
    """The whole flood and its sentinel, ready to write in one go."""
    frames = [client_frame(flood.packet(n)) for n in range(flood.count)]
    frames.append(client_frame(f'42{SENTINEL}["echo","end"]'))
    return b"".join(frames)


def run_flood(port: int, flood: Flood) -> tuple[float, float, bool]:
    """Connect a flooder, write the flood, read until the sentinel's ack: (start, end, done)."""
    data = flood_bytes(flood)
    peer = WsPeer(port)
    marker = f'43{SENTINEL}["end"]'.encode()
    done = threading.Event()

    def drain() -> None:
        tail = b""
        try:
            while not done.is_set():
                chunk = peer.sock.recv(1 << 20)
                if not chunk:
                    return
                if marker in tail + chunk:
                    done.set()
                tail = chunk[-len(marker) :]
        except OSError:
            return

    peer.sock.settimeout(FLOOD_TIMEOUT)
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    start = time.perf_counter()
    with contextlib.suppress(OSError):  # the server may cut the flooder: the drain says so
        peer.sock.sendall(data)
    reader.join(FLOOD_TIMEOUT)
    end = time.perf_counter()
    peer.close()
    return start, end, done.is_set()


# -- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def row(label: str, count: str, took: str, latencies: list[float], lost: int) -> str:
    if not latencies:
        figures = f"{'-':>8} {'-':>8} {'-':>8}"
        verdict = "no samples"
    else:
        p99 = percentile(latencies, 0.99)
        figures = f"{statistics.median(latencies):8.1f} {p99:8.1f} {max(latencies):8.1f}"
        verdict = "ok" if p99 < TARGET_P99_MS and not lost else "OVER"
    return f"  {label:<22} {count:>9} {took:>8} {len(latencies):>7} {lost:>5} {figures}  {verdict}"


HEADER = (
    f"  {'flood':<22} {'packets':>9} {'took s':>8} {'samples':>7} {'lost':>5}"
    f" {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
)


def bench_backend(backend: str, options: argparse.Namespace) -> bool:
    """Every flood on one server; prints its table. False if a flood did not complete."""
    complete = True
    print(f"\nsio-core {backend}: bystander ack latency while another client floods", flush=True)
    with running_server(server_spec(backend)) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        bystander = Bystander(port)
        bystander.start()
        try:
            quiet_start = time.perf_counter()
            time.sleep(options.baseline + SETTLE)
            quiet = bystander.latencies(quiet_start, quiet_start + options.baseline)
            print(HEADER)
            print(row("(none: baseline)", "-", "-", *quiet))
            for flood in floods(options.quick):
                latencies: list[float] = []
                lost, took, finished = 0, 0.0, True
                for _ in range(options.rounds):
                    time.sleep(SETTLE)
                    start, end, done = run_flood(port, flood)
                    time.sleep(SETTLE)  # the acks of events sent near the end come back
                    sample, missing = bystander.latencies(start, end)
                    latencies += sample
                    lost += missing
                    took += end - start
                    finished = finished and done
                took_text = f"{took / options.rounds:.2f}" if finished else "TIMEOUT"
                count = f"{flood.count:,}"
                print(row(flood.label, count, took_text, latencies, lost), flush=True)
                complete = complete and finished
        finally:
            bystander.stop()
    print(f"  target: p99 < {TARGET_P99_MS:.0f} ms; one bystander event every {INTERVAL} s")
    return complete


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", help="asyncio, trio (both unless told)")
    parser.add_argument("--rounds", type=int, default=3, help="floods of each kind per server")
    parser.add_argument("--baseline", type=float, default=2.0, help="quiet seconds measured")
    parser.add_argument("--quick", action="store_true", help="tiny floods, one round: it runs")
    parser.add_argument("--serve", choices=("asyncio", "trio"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    options.backends = chosen_loops(parser, options.backends)
    if options.quick:
        options.rounds, options.baseline = 1, 0.5
    return options


def main() -> None:
    options = parse_options()
    if options.serve:
        serve(options.serve, options.port)
        return
    pin_load_generator()
    results = [bench_backend(backend, options) for backend in options.backends]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
