"""Profile sio-core on asyncio with py-spy under the echo and fan-out loads; print the hot spots.

For each scenario the server is started pinned like in the benchmark, the load generator runs
longer than in the benchmark, and py-spy samples the server twice in the steady state: once as
collapsed stacks (``docs/benchmarks/profile-SCENARIO.folded``, summarised on stdout as self and
inclusive shares per ``file:function``) and once as a flame graph (``profile-SCENARIO.svg``).

    benchmarks/.venv-cmp/bin/python benchmarks/bench_profile.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path

from bench_lib import BENCH, DOCS, SERVERS, Scenario, load_command, running_server

PY_SPY = Path(sys.executable).parent / "py-spy"
TOP = 25


def _scenarios(seconds: float) -> list[tuple[Scenario, float]]:
    """Each load, with the delay before sampling starts (connections set up, warm-up over)."""
    total = 2 * seconds + 4
    echo = Scenario(
        key="echo-small",
        args=("echo", "--clients", "50", "--seconds", str(total), "--size", "32"),
        timeout=total + 40,
    )
    messages = str(int(30 * total))  # sio-core delivers 20-30k/s: 30 messages x 1000 clients
    fanout = Scenario(
        key="fanout",
        args=("fanout", "--clients", "1000", "--messages", messages),
        timeout=total + 90,
    )
    return [(echo, 1.5), (fanout, 5.0)]


def _record(pid: int, seconds: float, output: Path, fmt: str) -> None:
    command = [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", "200", "--nolineno", "--format", fmt, "--output", str(output)]
    subprocess.run(  # noqa: S603  (our own fixed command line)
        command, capture_output=True, timeout=seconds + 30, check=True
    )


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rpartition(" ")
    return stack.split(";"), int(count)


def _name(frame: str) -> str:
    """``function (path/file.py)`` as ``file.py:function``, keeping the package folder."""
    function, _, where = frame.partition(" (")
    return f"{where.rstrip(')')}:{function}"


def _package(name: str) -> str:
    """The top folder of a ``path/file.py:function`` name (the stdlib module for stdlib files)."""
    path = name.rpartition(":")[0]
    return path.split("/")[0] if "/" in path else path


def summarise(folded: Path) -> str:
    """Top self and inclusive shares of the event loop thread's samples, by file:function.

    Stacks of other threads (the idle thread-pool worker that getaddrinfo left behind, which
    py-spy does not always see as idle) are counted apart and left out of the shares.
    """
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    total = other_threads = 0
    for line in folded.read_text().splitlines():
        frames, count = _frames(line)
        names = [_name(frame) for frame in frames]
        if not any(name.endswith(":run_server") for name in names):
            other_threads += count
            continue
        total += count
        own[names[-1]] += count
        packages[_package(names[-1])] += count
        for name in set(names):
            inclusive[name] += count
    lines = [f"{folded.name}: {total} event-loop samples ({other_threads} other-thread left out)"]
    for title, counter in (("self", own), ("inclusive", inclusive), ("package self", packages)):
        lines.append(f"  top {TOP} by {title} time:")
        for name, count in counter.most_common(TOP):
            lines.append(f"    {100 * count / max(total, 1):5.1f}%  {name}")
    return "\n".join(lines)


def profile(scenario: Scenario, delay: float, seconds: float, folder: Path) -> str:
    spec = next(spec for spec in SERVERS if spec.key == "sio-asyncio")
    with running_server(spec) as (pid, url):
        load = subprocess.Popen(  # noqa: S603  (our own fixed command line)
            load_command(scenario, url, pid), cwd=BENCH, stdout=subprocess.PIPE, text=True
        )
        try:
            time.sleep(delay)
            folded = folder / f"profile-{scenario.key}.folded"
            _record(pid, seconds, folded, "raw")
            _record(pid, seconds, folder / f"profile-{scenario.key}.svg", "flamegraph")
            result = load.communicate(timeout=scenario.timeout)[0].strip().splitlines()
        finally:
            if load.poll() is None:
                load.kill()
                load.wait(5)
    return summarise(folded) + "\n  load: " + (result[-1] if result else "no result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per py-spy record")
    parser.add_argument("--docs", type=Path, default=DOCS)
    options = parser.parse_args()
    folder = options.docs / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    for scenario, delay in _scenarios(options.seconds):
        print(profile(scenario, delay, options.seconds, folder), flush=True)


if __name__ == "__main__":
    main()
