"""The servers and scenarios of the benchmark, and how to start, drive and stop them.

Every subprocess here has a deadline: servers must listen within ``START_TIMEOUT`` and stop
within ``STOP_TIMEOUT`` of SIGINT (else they are killed), and each load run has its scenario's
timeout on top of ``load.mjs``'s own hard timer.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOCS = ROOT / "docs"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
CMP_PYTHON = Path(sys.executable)
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
IDLE_CPU = 0.05  # cores
IDLE_WINDOW = 0.3  # seconds
IDLE_TIMEOUT = 20.0  # seconds
SERVER_CPU = "0"
LOAD_CPU = "1"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSpec:
    """One benchmarked server: a short key, a label for tables, and its command for a port.

    ``only`` names the scenarios it can run when it cannot run them all (the ceiling speaks just
    enough of the protocol for some); ``ours`` marks sio-core, whose figures are also given as a
    fraction of the ceiling's.
    """

    key: str
    label: str
    command: Callable[[int], list[str]]
    only: frozenset[str] | None = None
    ours: bool = False

    def runs(self, scenario: str) -> bool:
        return self.only is None or scenario in self.only


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One load.mjs invocation: the row key it feeds, its arguments and its timeout."""

    key: str
    args: tuple[str, ...]
    timeout: float


def sio_core_command(backend: str, *options: str) -> Callable[[int], list[str]]:
    """The benchmark server on sio-core with ``backend``, and more of its ``options``."""
    script = str(BENCH / "servers" / "sio_core_server.py")
    return lambda port: [
        *(str(PROJECT_PYTHON), script, "--port", str(port), "--backend", backend),
        *options,
    ]


def _pysio(port: int) -> list[str]:
    return [str(CMP_PYTHON), str(BENCH / "servers" / "pysio_server.py"), "--port", str(port)]


def _node(port: int) -> list[str]:
    return ["node", str(BENCH / "servers" / "node_server.mjs"), "--port", str(port)]


def _ceiling(port: int) -> list[str]:
    return [str(PROJECT_PYTHON), str(BENCH / "servers" / "ws_ceiling.py"), "--port", str(port)]


# What the bare wsproto server answers: WebSocket-only connections and echo acks, nothing else.
CEILING_SCENARIOS = frozenset(
    {
        *("memory", "connect-ws", "connect-ws-lean"),
        *("echo-small", "echo-small-lean", "echo-16k", "binary-64k", "binary-64k-lean"),
    }
)
SERVERS = (
    ServerSpec(
        key="sio-asyncio", label="sio-core asyncio", command=sio_core_command("asyncio"), ours=True
    ),
    ServerSpec(key="sio-trio", label="sio-core trio", command=sio_core_command("trio"), ours=True),
    ServerSpec(key="pysio", label="python-socketio", command=_pysio),
    ServerSpec(key="node", label="node socket.io", command=_node),
    ServerSpec(key="ceiling", label="wsproto ceiling", command=_ceiling, only=CEILING_SCENARIOS),
)
BASELINE = "pysio"
CEILING = "ceiling"


def scenarios(echo_seconds: float) -> list[Scenario]:
    """The scenarios in the order they run on each server; memory first, on a fresh process."""
    echo = ("echo", "--clients", "50", "--seconds", str(echo_seconds), "--warmup", "0.5")
    echo_timeout = echo_seconds + 40
    return [
        Scenario(
            key="memory", args=("memory", "--steps", "1000,5000", "--settle", "1"), timeout=90
        ),
        Scenario(key="connect-ws", args=("connect-ws", "--total", "1000"), timeout=60),
        Scenario(
            key="connect-ws-lean",
            args=("connect-ws", "--total", "2000", "--client", "lean"),
            timeout=60,
        ),
        Scenario(key="connect-upgrade", args=("connect-upgrade", "--total", "200"), timeout=60),
        Scenario(key="cycle", args=("cycle", "--total", "500"), timeout=90),
        Scenario(key="echo-small", args=(*echo, "--size", "32"), timeout=echo_timeout),
        Scenario(
            key="echo-small-lean",
            args=(*echo, "--size", "32", "--client", "lean"),
            timeout=echo_timeout,
        ),
        Scenario(key="echo-16k", args=(*echo, "--size", "16384"), timeout=echo_timeout),
        Scenario(
            key="binary-64k",
            args=(*echo, "--size", "65536", "--binary", "1"),
            timeout=echo_timeout,
        ),
        Scenario(
            key="binary-64k-lean",
            args=(*echo, "--size", "65536", "--binary", "1", "--client", "lean"),
            timeout=echo_timeout,
        ),
        Scenario(
            key="fanout", args=("fanout", "--clients", "1000", "--messages", "200"), timeout=90
        ),
    ]


def pinning() -> tuple[list[str], list[str], str]:
    """taskset prefixes for the server and the load generator, and what the report says of it."""
    taskset = shutil.which("taskset")
    if taskset is None or (os.cpu_count() or 1) < 2:
        return [], [], "no pinning (taskset missing or a single CPU)"
    server = [taskset, "-c", SERVER_CPU]
    load = [taskset, "-c", LOAD_CPU]
    return server, load, f"server pinned to CPU {SERVER_CPU}, load generator to CPU {LOAD_CPU}"


def load_command(scenario: Scenario, url: str, pid: int) -> list[str]:
    """The pinned ``node load.mjs`` command line for one scenario."""
    hard = str(int(scenario.timeout) - 2)
    node = ["node", str(BENCH / "load.mjs"), *scenario.args, "--url", url, "--pid", str(pid)]
    return [*pinning()[1], *node, "--hard-timeout", hard]


def run_load(command: list[str], timeout: float) -> dict[str, Any]:
    """Runs load.mjs and returns its JSON line, or ``{"error": ...}``."""
    try:
        done = subprocess.run(  # noqa: S603  (our own fixed command line)
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=BENCH
        )
    except subprocess.TimeoutExpired:
        return {"error": f"load generator timed out after {timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": f"no result (exit {done.returncode}): {done.stderr[-500:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    """What the server process holds: resident memory (MiB) and open file descriptors."""

    rss_mib: float
    fds: int


def sample(pid: int) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None, "no VmRSS in /proc/PID/status"
    return Sample(int(match[1]) / 1024, len(os.listdir(f"/proc/{pid}/fd")))


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int) -> float:
    """Waits (at most ``IDLE_TIMEOUT``) until the server uses under ``IDLE_CPU`` of a core.

    A scenario's aftermath (5000 sockets closing after the memory scenario, say) must not be
    billed to the next one. Returns the seconds waited.
    """
    started = time.monotonic()
    while time.monotonic() - started < IDLE_TIMEOUT:
        before = _cpu_seconds(pid)
        time.sleep(IDLE_WINDOW)
        if (_cpu_seconds(pid) - before) / IDLE_WINDOW < IDLE_CPU:
            break
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Polls with plain TCP connects (no HTTP request, so no Engine.IO session is left over)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port}: {log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running_server(spec: ServerSpec) -> Iterator[tuple[int, str]]:
    """Starts the server pinned to its CPU; yields its PID and URL; always stops it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sio-bench-") as folder:
        log = Path(folder) / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603  (our own fixed command line)
                [*pinning()[0], *spec.command(port)], stdout=output, stderr=output, cwd=ROOT
            )
        try:
            _wait_listening(process, port, log)
            yield process.pid, f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


LOOPS = ("asyncio", "trio")


def chosen_loops(parser: argparse.ArgumentParser, names: list[str]) -> list[str]:
    """The event loops named on the command line (both when none is)."""
    if set(names) - set(LOOPS):
        parser.error(f"the loops are {' and '.join(LOOPS)}")
    return names or list(LOOPS)


def pin_load_generator() -> None:
    """Run this process on the load generator's CPU, when there are two."""
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {int(LOAD_CPU)})
