"""Benchmark a two-server cluster on Redis: sio-core against Node with @socket.io/redis-adapter.

For each kind of cluster (two sio-core servers on asyncio with uvloop, two on trio, two Node
servers; all on the same adapter and a Redis of this run's own), ``cluster_load.mjs`` splits
its clients between the two servers, puts them in one room and has one server broadcast to it:

- **deliveries/s**: a burst of broadcasts, until every client has every one;
- **latency**, p50 and p99, of one broadcast at a time, for the clients on the broadcasting
  server (local) and on the other one (remote, through Redis); the difference is what the
  cross-server hop adds.

The kinds alternate within each of ``--runs`` rounds, so that drift in the machine hits all of
them alike; each cell is the median over the runs. It prints a Markdown table (and writes it to
``--output`` when given). The servers are the cluster tests' own (``tests/cluster``: the same
contract on both kinds), so ``make cluster-deps`` must have installed their Node packages.

    .venv/bin/python benchmarks/cluster_bench.py [--adapter classic|sharded] [--runs 3]
        [--clients 400] [--rounds 100] [--burst 200] [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "cluster"))

from cluster_procs import NodeServer, start_servers  # noqa: E402 - found through the path above
from redis_server import RedisServer  # noqa: E402

KINDS = {
    "sio-core asyncio": ("uvloop:a", "uvloop:b"),
    "sio-core trio": ("trio:a", "trio:b"),
    "node socket.io": ("node:a", "node:b"),
}
COLUMNS = (
    ("deliveries_per_s", "deliveries/s", "{:,.0f}"),
    ("local_p50_ms", "local p50 ms", "{:.2f}"),
    ("remote_p50_ms", "remote p50 ms", "{:.2f}"),
    ("added_p50_ms", "added p50 ms", "{:.2f}"),
    ("local_p99_ms", "local p99 ms", "{:.2f}"),
    ("remote_p99_ms", "remote p99 ms", "{:.2f}"),
    ("added_p99_ms", "added p99 ms", "{:.2f}"),
)
LOAD_TIMEOUT = 300.0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", choices=("classic", "sharded"), default="classic")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a tiny run: does it all work?")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    options = parser.parse_args()
    if options.quick:
        options.runs, options.clients, options.rounds, options.burst = 1, 10, 5, 5
    return options


def one_run(kind: str, redis: RedisServer, options: argparse.Namespace, work: Path) -> Any:
    """Two servers of ``kind``, one load run against them; its numbers."""
    members = KINDS[kind]
    key = f"bench-{uuid.uuid4().hex[:8]}"
    directory = work / f"{kind.replace(' ', '-')}-{key}"
    servers = start_servers(options.adapter, redis.url, directory, members, key=key)
    try:
        return load(servers, options)
    finally:
        for server in servers:
            server.stop()


def load(servers: list[NodeServer], options: argparse.Namespace) -> Any:
    command = ["node", str(BENCH / "cluster_load.mjs")]
    command += ["--urls", ",".join(server.url for server in servers)]
    command += ["--clients", str(options.clients), "--rounds", str(options.rounds)]
    command += ["--burst", str(options.burst)]
    done = subprocess.run(  # noqa: S603  (our own fixed command line)
        command, capture_output=True, timeout=LOAD_TIMEOUT, cwd=BENCH, check=False, text=True
    )
    if done.returncode != 0:
        logs = "\n".join(server.output()[-2000:] for server in servers)
        raise RuntimeError(f"cluster_load.mjs failed:\n{done.stderr}\n{logs}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict[str, list[dict[str, Any]]], options: argparse.Namespace) -> str:
    head = ["cluster of two", *(label for _, label, _ in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind, runs in results.items():
        cells = [kind]
        for key, _, form in COLUMNS:
            cells.append(form.format(statistics.median(run[key] for run in runs)))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"{options.adapter} Redis adapter; {options.clients} clients split between the two "
        f"servers, one room; latency over {options.rounds} broadcasts one at a time, "
        f"deliveries/s over a burst of {options.burst}; median of {options.runs} run(s)."
    )
    return "\n".join(lines)


def main() -> None:
    options = parse_arguments()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is missing: `make cluster-deps` installs it")
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as scratch:
        work = Path(scratch)
        redis = RedisServer(work / "redis").start()
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            for run in range(1, options.runs + 1):
                for kind in KINDS:
                    started = time.monotonic()
                    result = one_run(kind, redis, options, work)
                    results[kind].append(result)
                    print(
                        f"run {run} {kind:<17} {result['deliveries_per_s']:>10,.0f} deliveries/s"
                        f"  added p50 {result['added_p50_ms']:.2f} ms"
                        f"  ({time.monotonic() - started:.1f} s)",
                        flush=True,
                    )
        finally:
            signal.signal(signal.SIGINT, previous)
            redis.stop()
    report = table(results, options)
    print(report)
    if options.output is not None:
        options.output.write_text(report + "\n")


if __name__ == "__main__":
    main()
