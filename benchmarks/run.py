"""Benchmark sio-core against python-socketio and Node's socket.io with one load generator.

Each server is started in turn on 127.0.0.1 (pinned to CPU 0 when ``taskset`` exists) and driven
by ``load.mjs`` (socket.io-client in Node, pinned to CPU 1) through every scenario it can run; the
servers alternate within each of ``--runs`` rounds so that drift in the machine hits all alike.
The medians, spreads and ratios to python-socketio (and, for sio-core, to the bare wsproto
ceiling, ``servers/ws_ceiling.py``) go to stdout and ``docs/benchmarks.md``, plots to
``docs/benchmarks/``. Run it with the comparison venv's Python (``make bench``):

    benchmarks/.venv-cmp/bin/python benchmarks/run.py [--runs 3] [--echo-seconds 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

from bench_lib import (
    BENCH,
    DOCS,
    SERVERS,
    ServerSpec,
    load_command,
    run_load,
    running_server,
    scenarios,
    wait_idle,
)
from bench_report import write_report

NOFILE_WANTED = 16_384  # 5000 clients plus their 5000 server ends, with room to spare


def raise_nofile_limit() -> int:
    """Lifts the open-files limit (inherited by the servers and the load generator)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = NOFILE_WANTED if hard == resource.RLIM_INFINITY else min(hard, NOFILE_WANTED)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def one_server_run(spec: ServerSpec, options: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Starts one server, runs every scenario against it once, stops it."""
    results: dict[str, dict[str, Any]] = {}
    with running_server(spec) as (pid, url):
        for scenario in scenarios(options.echo_seconds):
            if not spec.runs(scenario.key):
                continue
            wait_idle(pid)
            command = load_command(scenario, url, pid)
            results[scenario.key] = run_load(command, scenario.timeout)
            print(f"    {scenario.key:<16} {summary(results[scenario.key])}", flush=True)
    return results


def summary(result: dict[str, Any]) -> str:
    """One short progress line for a scenario's result."""
    if "error" in result:
        return "ERROR " + str(result["error"]).splitlines()[0][:120]
    keys = (
        "conn_per_s",
        "cycles_per_s",
        "server_ms_per_cycle",
        "acks_per_s",
        "deliveries_per_s",
        "kib_per_conn",
        "p50_ms",
    )
    shown = [f"{key}={result[key]:.1f}" for key in keys if result.get(key) is not None]
    return " ".join([*shown, f"loadgen_cpu={result.get('loadgen_cpu', 0):.2f}"])


def all_runs(options: argparse.Namespace) -> dict[str, list[dict[str, dict[str, Any]]]]:
    """``--runs`` rounds; in each, every server once, the order rotated by one per round."""
    chosen = [spec for spec in SERVERS if spec.key in options.servers]
    runs: dict[str, list[dict[str, dict[str, Any]]]] = {spec.key: [] for spec in chosen}
    for round_index in range(options.runs):
        order = chosen[round_index % len(chosen) :] + chosen[: round_index % len(chosen)]
        for spec in order:
            print(f"round {round_index + 1}/{options.runs}: {spec.label}", flush=True)
            runs[spec.key].append(one_server_run(spec, options))
    return runs


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="alternating rounds (>= 3 for spread)")
    parser.add_argument(
        "--echo-seconds", type=float, default=3.0, help="measured seconds of each echo scenario"
    )
    parser.add_argument(
        "--servers",
        nargs="+",
        default=[spec.key for spec in SERVERS],
        choices=[spec.key for spec in SERVERS],
    )
    parser.add_argument("--docs", type=Path, default=DOCS, help="where benchmarks.md goes")
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    nofile = raise_nofile_limit()
    started = time.monotonic()
    runs = all_runs(options)
    elapsed = time.monotonic() - started
    raw = BENCH / ".last-results.json"
    raw.write_text(json.dumps(runs, indent=1))
    table = write_report(runs, options, elapsed=elapsed, nofile=nofile)
    print()
    print(table)
    print(f"\nbench took {elapsed:.0f} s; report in {options.docs / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
