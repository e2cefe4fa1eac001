"""Turns the runs into the table (stdout and ``docs/benchmarks.md``) and the PNG plots."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import platform
import statistics
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench_lib import BASELINE, BENCH, CEILING, PROJECT_PYTHON, ROOT, SERVERS, ServerSpec, pinning
from bench_markdown import CEILING_HEADER, render
from bench_plots import write_plots

Runs = dict[str, list[dict[str, dict[str, Any]]]]
SATURATED = 0.9  # load generator CPU, in cores, past which its numbers are suspect
NOT_RUN = "\u2014"  # a scenario the server cannot run (the ceiling's fan-out, say)
RATIO_HEADERS = {BASELINE: "vs py-sio", CEILING: CEILING_HEADER}
CEILING_BOUND = (
    "; the load generator, not the ceiling, may be the limit here: the ceiling's figure is a"
    " lower bound, so sio-core's x ceiling ratios for it are upper bounds"
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One row: which scenario's which field, how to show it, and which way is better."""

    scenario: str
    field: str
    label: str
    higher_is_better: bool
    scale: float = 1.0


def _three(scenario: str, title: str, rate: str, unit: str) -> list[Metric]:
    return [
        Metric(scenario=scenario, field=rate, label=f"{title}: {unit}", higher_is_better=True),
        Metric(
            scenario=scenario, field="p50_ms", label=f"{title}: p50 ms", higher_is_better=False
        ),
        Metric(
            scenario=scenario, field="p99_ms", label=f"{title}: p99 ms", higher_is_better=False
        ),
    ]


METRICS = [
    *_three("connect-ws", "connect WS-only x1000 c50", "conn_per_s", "conn/s"),
    *_three("connect-ws-lean", "connect WS-only, lean clients x2000 c50", "conn_per_s", "conn/s"),
    *_three("connect-upgrade", "connect polling+upgrade x200 c50", "conn_per_s", "conn/s"),
    *_three("cycle", "connect, echo, disconnect x500 c50", "cycles_per_s", "cycles/s"),
    Metric(
        scenario="cycle",
        field="server_ms_per_cycle",
        label="connect, echo, disconnect x500 c50: server CPU ms per cycle",
        higher_is_better=False,
    ),
    *_three("echo-small", "echo 32 B, 50 clients", "acks_per_s", "acks/s"),
    *_three("echo-small-lean", "echo 32 B, 50 lean clients", "acks_per_s", "acks/s"),
    *_three("echo-16k", "echo 16 KiB str, 50 clients", "acks_per_s", "acks/s"),
    *_three("binary-64k", "echo 64 KiB bytes, 50 clients", "acks_per_s", "acks/s"),
    *_three("binary-64k-lean", "echo 64 KiB bytes, 50 lean clients", "acks_per_s", "acks/s"),
    Metric(
        scenario="fanout",
        field="deliveries_per_s",
        label="fan-out 200 msgs to 1000 clients: deliveries/s",
        higher_is_better=True,
    ),
    Metric(
        scenario="memory",
        field="rss_kib.0",
        label="RSS, 0 clients: MiB",
        higher_is_better=False,
        scale=1 / 1024,
    ),
    Metric(
        scenario="memory",
        field="rss_kib.1000",
        label="RSS, 1000 idle WS clients: MiB",
        higher_is_better=False,
        scale=1 / 1024,
    ),
    Metric(
        scenario="memory",
        field="rss_kib.5000",
        label="RSS, 5000 idle WS clients: MiB",
        higher_is_better=False,
        scale=1 / 1024,
    ),
    Metric(
        scenario="memory",
        field="kib_per_conn",
        label="memory per connection (RSS5000-RSS0)/5000: KiB",
        higher_is_better=False,
    ),
]


def value(result: dict[str, Any], field: str) -> float | None:
    """A (dotted) field of one scenario result, or None when missing or failed."""
    current: Any = result
    for part in field.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return float(current) if isinstance(current, (int, float)) else None


def samples(runs: Runs, server: str, metric: Metric) -> list[float]:
    found = (value(run.get(metric.scenario, {}), metric.field) for run in runs.get(server, []))
    return [sample * metric.scale for sample in found if sample is not None]


def all_samples(runs: Runs) -> dict[str, dict[str, list[float]]]:
    """Every metric's samples per server label, keyed ``scenario:field``, for the plots."""
    return {
        f"{metric.scenario}:{metric.field}": {
            label: samples(runs, key, metric) for key, label in _servers(runs)
        }
        for metric in METRICS
    }


def fmt(number: float) -> str:
    if abs(number) >= 100:
        return f"{number:,.0f}"
    return f"{number:.1f}" if abs(number) >= 10 else f"{number:.2f}"


def saturated(runs: Runs, server: str, scenario: str) -> bool:
    cpus = [run.get(scenario, {}).get("loadgen_cpu") or 0.0 for run in runs.get(server, [])]
    return any(cpu > SATURATED for cpu in cpus)


def cell(runs: Runs, server: str, metric: Metric) -> str:
    """``median (min-max)``, with ``!`` when the load generator was saturated in some run."""
    if not _spec(server).runs(metric.scenario):
        return NOT_RUN
    found = samples(runs, server, metric)
    if not found:
        return "n/a"
    flag = " !" if saturated(runs, server, metric.scenario) else ""
    median = statistics.median(found)
    return f"{fmt(median)} ({fmt(min(found))}-{fmt(max(found))}){flag}"


def ratio(runs: Runs, server: str, metric: Metric, reference: str) -> str:
    """The ratio of medians to ``reference``'s.

    ``!`` when the load generator may have bounded the reference: its figure is then a lower
    bound, and a rate's ratio to it an upper bound.
    """
    if not (_spec(server).runs(metric.scenario) and _spec(reference).runs(metric.scenario)):
        return NOT_RUN
    mine, base = samples(runs, server, metric), samples(runs, reference, metric)
    if not mine or not base or statistics.median(base) == 0:
        return "n/a"
    flag = " !" if saturated(runs, reference, metric.scenario) else ""
    return f"x{statistics.median(mine) / statistics.median(base):.2f}{flag}"


def _spec(key: str) -> ServerSpec:
    return next(spec for spec in SERVERS if spec.key == key)


def _servers(runs: Runs) -> list[tuple[str, str]]:
    return [(spec.key, spec.label) for spec in SERVERS if spec.key in runs]


def references(runs: Runs, server: str) -> list[str]:
    """What a server's figures are divided by: python-socketio, and for sio-core the ceiling."""
    wanted = [BASELINE] if server != BASELINE else []
    wanted += [CEILING] if _spec(server).ours else []
    return [reference for reference in wanted if reference in runs]


def table(runs: Runs) -> str:
    """The markdown table: one row per metric, each server's cell then its ratios."""
    header, rule = ["metric"], ["---"]
    for key, label in _servers(runs):
        header += [label, *(RATIO_HEADERS[reference] for reference in references(runs, key))]
        rule += ["---:"] * (1 + len(references(runs, key)))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    for metric in METRICS:
        arrow = "higher" if metric.higher_is_better else "lower"
        row = [f"{metric.label} ({arrow} is better)"]
        for key, _ in _servers(runs):
            row.append(cell(runs, key, metric))
            row += [ratio(runs, key, metric, reference) for reference in references(runs, key)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def cpu_table(runs: Runs) -> str:
    """Median server CPU and max load-generator CPU per scenario, in cores."""
    scenario_keys = list(dict.fromkeys(metric.scenario for metric in METRICS))
    header = ["scenario", *[f"{label}: server / loadgen" for _, label in _servers(runs)]]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for scenario in scenario_keys:
        row = [scenario]
        for key, _ in _servers(runs):
            results = [run.get(scenario, {}) for run in runs[key]]
            server = [r["server_cpu"] for r in results if r.get("server_cpu") is not None]
            load = [r["loadgen_cpu"] for r in results if r.get("loadgen_cpu") is not None]
            shown_server = f"{statistics.median(server):.2f}" if server else "n/a"
            shown = f"{shown_server} / {max(load):.2f}" if load else "n/a"
            row.append(shown if _spec(key).runs(scenario) else NOT_RUN)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def warnings(runs: Runs) -> list[str]:
    """LOADGEN SATURATED lines, and every failed scenario run."""
    out: list[str] = []
    for key, label in _servers(runs):
        for index, run in enumerate(runs[key], start=1):
            for scenario, result in run.items():
                if "error" in result:
                    error = str(result["error"]).splitlines()[0][:160]
                    out.append(f"ERROR: {scenario} on {label}, run {index}: {error}")
                elif (result.get("loadgen_cpu") or 0.0) > SATURATED:
                    out.append(
                        f"LOADGEN SATURATED: {scenario} on {label}, run {index}: "
                        f"load generator at {result['loadgen_cpu']:.2f} of a core"
                        + (CEILING_BOUND if key == CEILING else "")
                    )
    return out


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(  # noqa: S603  (our own fixed command line)
            command, capture_output=True, text=True, timeout=30, check=False, cwd=ROOT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    return done.stdout.strip()


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [
        line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line
    ]
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    model = models[0] if models else "unknown CPU"
    nproc = _run(["nproc"])
    return f"{model}, nproc={nproc}, MemTotal {meminfo}, Linux {platform.release()}"


PROJECT_VERSIONS = """
import json, sys
from importlib import metadata as m
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return "not installed"
found = {"python": sys.version.split()[0]}
found.update({n: version(n) for n in ("sio-core", "anyio", "h11", "wsproto", "trio")})
found["uvloop (project venv: sio-core, ceiling)"] = version("uvloop")
found["websockets (project venv: sio-core's unmasking)"] = version("websockets")
print(json.dumps(found))
"""


def versions() -> dict[str, str]:
    found: dict[str, str] = {}
    project = _run([str(PROJECT_PYTHON), "-c", PROJECT_VERSIONS])
    found.update(json.loads(project) if project.startswith("{") else {"project venv": project})
    for name in ("python-socketio", "python-engineio", "uvicorn", "uvloop", "httptools"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["node"] = _run(["node", "--version"])
    for name in ("socket.io", "socket.io-client", "ws", "bufferutil"):
        package = BENCH / "node_modules" / name / "package.json"
        found[f"npm {name}"] = json.loads(package.read_text())["version"]
    commit = _run(["git", "rev-parse", "--short", "HEAD"])
    # The run's own outputs (this page, its plots and results) do not make the code dirty.
    outputs = [":!docs/benchmarks.md", ":!docs/benchmarks"]
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *outputs])
    found["sio-core commit"] = commit + (" (+ uncommitted changes)" if dirty else "")
    return found


def write_report(runs: Runs, options: argparse.Namespace, *, elapsed: float, nofile: int) -> str:
    """Writes docs/benchmarks.md and the plots; returns the text printed to stdout."""
    plots_dir = options.docs / "benchmarks"
    plots_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(all_samples(runs), plots_dir)
    (plots_dir / "results.json").write_text(json.dumps(runs, indent=1) + "\n")
    context = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(),
        "pinning": pinning()[2],
        "nofile": nofile,
        "elapsed": elapsed,
        "runs": options.runs,
        "echo_seconds": options.echo_seconds,
    }
    (options.docs / "benchmarks.md").write_text(
        render(context, table(runs), cpu_table(runs), warnings(runs), plots)
    )
    header = f"{context['machine']}\n{context['pinning']}; ulimit -n {nofile}; {options.runs} runs"
    notes = "\n".join(warnings(runs)) or "load generator never saturated"
    return f"{header}\n\n{table(runs)}\n\n{cpu_table(runs)}\n\n{notes}"
