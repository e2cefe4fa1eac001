"""Benchmark connection state recovery (issue 13): what clients that keep losing their connection
still get, with recovery off and on, against Node with recovery, in one run.

The setup of AnyCable's published benchmark, scaled to one machine: ``recovery_load.mjs``
connects ``--clients`` socket.io-client sockets while the server broadcasts to everyone at a
steady rate; each socket loses its connection every ``--drop-every`` seconds (staggered) and
comes back ``--offline`` seconds later. Per kind of server it reports:

- **delivered / sent**: each client's distinct events over what was broadcast to it (the goal
  is 100.00 %), and the duplicates;
- **recovery rate**: the reconnections that came back recovered (same id, missed events);
- **recovery p50 / p99**: from the reconnection to the ``connect`` of a recovered socket, by
  when its missed events were replayed.

By default each kind is one server, in memory: sio-core (asyncio) with recovery off and on, and
Node's socket.io 4.8 with recovery on. With ``--streams`` each kind is two servers on the Redis
Streams adapter (sio-core's ``RedisStreamsAdapter``, Node's ``@socket.io/redis-streams-adapter``)
on a Redis of this run's own, and a client comes back to the *other* server. The kinds take
turns within each of ``--runs`` rounds; each cell is the median over the runs. It prints a
Markdown table (and writes it to ``--output`` when given).

    .venv/bin/python benchmarks/recovery_bench.py [--clients 500] [--seconds 30]
        [--interval 100] [--drop-every 10] [--offline 2] [--runs 1] [--streams] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "cluster"))

from bench_lib import ServerSpec, running_server  # noqa: E402 - found through the path above
from cluster_procs import start_servers  # noqa: E402
from redis_server import RedisServer  # noqa: E402

SIO_CORE = str(BENCH / "servers" / "sio_core_server.py")
NODE = str(BENCH / "servers" / "node_server.mjs")
IN_MEMORY = {
    "sio-core, recovery off": lambda port: [sys.executable, SIO_CORE, "--port", str(port)],
    "sio-core, recovery on": lambda port: [
        *(sys.executable, SIO_CORE, "--port", str(port)),
        "--recovery",
    ],
    "node socket.io, recovery on": lambda port: ["node", NODE, "--port", str(port), "--recovery"],
}
ON_STREAMS = {
    "sio-core, recovery off": (("asyncio:a", "asyncio:b"), 0),
    "sio-core, recovery on": (("asyncio:a", "asyncio:b"), 120_000),
    "node socket.io, recovery on": (("node:a", "node:b"), 120_000),
}
COLUMNS = (
    ("delivered_ratio", "delivered / sent", "{:.2%}"),
    ("duplicates", "duplicates", "{:,.0f}"),
    ("reconnects", "reconnects", "{:,.0f}"),
    ("recovery_rate", "recovery rate", "{:.2%}"),
    ("recovery_p50_ms", "recovery p50 ms", "{:.1f}"),
    ("recovery_p99_ms", "recovery p99 ms", "{:.1f}"),
)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the server sends")
    parser.add_argument(
        "--interval",
        type=int,
        default=100,
        help="ms between two broadcasts (100: 5,000 deliveries/s to 500 clients, which one "
        "sio-core process sustains beside the reconnections; at 50 it falls behind)",
    )
    parser.add_argument("--drop-every", type=float, default=10.0, help="seconds per client")
    parser.add_argument("--offline", type=float, default=2.0, help="seconds away each time")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--streams", action="store_true", help="two servers on Redis Streams")
    parser.add_argument("--quick", action="store_true", help="a tiny run: does it all work?")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    options = parser.parse_args()
    if options.quick:
        options.clients, options.seconds, options.interval = 10, 3.0, 50
        options.drop_every, options.offline, options.runs = 1.0, 0.3, 1
    return options


def load(urls: list[str], options: argparse.Namespace) -> dict[str, Any]:
    """One run of ``recovery_load.mjs`` against ``urls``; its JSON line."""
    count = round(options.seconds * 1000 / options.interval)
    command = ["node", str(BENCH / "recovery_load.mjs"), "--urls", ",".join(urls)]
    command += ["--clients", str(options.clients), "--count", str(count)]
    command += ["--interval", str(options.interval), "--drop-every", str(options.drop_every)]
    command += ["--offline", str(options.offline)]
    timeout = options.seconds + 120
    command += ["--hard-timeout", str(int(timeout))]
    done = subprocess.run(  # noqa: S603  (our own fixed command line)
        command, capture_output=True, text=True, timeout=timeout + 10, cwd=BENCH, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"recovery_load.mjs failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@contextlib.contextmanager
def serving(kind: str, options: argparse.Namespace, redis: RedisServer | None) -> Iterator[Any]:
    """The URLs of the server(s) of ``kind``, for the length of the ``with``."""
    if redis is None:
        spec = ServerSpec(key=kind, label=kind, command=IN_MEMORY[kind])
        with running_server(spec) as (_, url):
            yield [url]
        return
    members, recovery_ms = ON_STREAMS[kind]
    key = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="sio-recovery-") as folder:
        servers = start_servers(
            "streams", redis.url, Path(folder), members, key=key, recovery_ms=recovery_ms
        )
        try:
            yield [server.url for server in servers]
        finally:
            for server in servers:
                server.stop()


def table(results: dict[str, list[dict[str, Any]]], options: argparse.Namespace) -> str:
    head = ["server", *(label for _, label, _ in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind, runs in results.items():
        cells = [kind]
        for key, _, form in COLUMNS:
            values = [run[key] for run in runs if run[key] is not None]
            cells.append(form.format(statistics.median(values)) if values else "-")
        lines.append("| " + " | ".join(cells) + " |")
    where = (
        "two servers on the Redis Streams adapter, clients coming back to the other one"
        if options.streams
        else "one server, in memory"
    )
    lines += [
        "",
        f"{where}; {options.clients} clients, a broadcast to all every {options.interval} ms "
        f"for {options.seconds:g} s, each client dropped every {options.drop_every:g} s and "
        f"away {options.offline:g} s; median of {options.runs} run(s).",
    ]
    return "\n".join(lines)


def main() -> None:
    options = parse_arguments()
    kinds = list(ON_STREAMS if options.streams else IN_MEMORY)
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    with contextlib.ExitStack() as stack:
        redis = None
        if options.streams:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sio-redis-")))
            redis = RedisServer(folder).start()
            stack.callback(redis.stop)
        for run in range(options.runs):
            for kind in kinds:
                with serving(kind, options, redis) as urls:
                    result = load(urls, options)
                results[kind].append(result)
                print(f"run {run + 1}, {kind}: {json.dumps(result)}", file=sys.stderr)
    report = table(results, options)
    print(report)
    if options.output is not None:
        options.output.write_text(report + "\n")


if __name__ == "__main__":
    main()
