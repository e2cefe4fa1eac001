"""The PNG plots of docs/benchmarks/: throughput, latency and memory, medians with min-max bars."""

from __future__ import annotations

import statistics
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

Samples = dict[str, dict[str, list[float]]]
"""``scenario:field`` -> server label -> one value per run."""

THROUGHPUT = [
    ("connect-ws:conn_per_s", "connect WS-only: conn/s"),
    ("connect-ws-lean:conn_per_s", "connect WS-only, lean clients: conn/s"),
    ("connect-upgrade:conn_per_s", "connect polling+upgrade: conn/s"),
    ("cycle:cycles_per_s", "connect, echo, disconnect: cycles/s"),
    ("echo-small:acks_per_s", "echo 32 B: acks/s"),
    ("echo-small-lean:acks_per_s", "echo 32 B, lean clients: acks/s"),
    ("echo-16k:acks_per_s", "echo 16 KiB: acks/s"),
    ("binary-64k:acks_per_s", "echo 64 KiB binary: acks/s"),
    ("binary-64k-lean:acks_per_s", "echo 64 KiB binary, lean clients: acks/s"),
    ("fanout:deliveries_per_s", "fan-out 200 x 1000: deliveries/s"),
    ("cycle:server_ms_per_cycle", "connect, echo, disconnect: server CPU ms (lower is better)"),
]
LATENCY = [
    ("connect-ws", "connect WS-only"),
    ("connect-ws-lean", "connect WS-only, lean clients"),
    ("connect-upgrade", "connect polling+upgrade"),
    ("cycle", "connect, echo, disconnect"),
    ("echo-small", "echo 32 B"),
    ("echo-small-lean", "echo 32 B, lean clients"),
    ("echo-16k", "echo 16 KiB"),
    ("binary-64k", "echo 64 KiB binary"),
    ("binary-64k-lean", "echo 64 KiB binary, lean clients"),
]
MEMORY_STEPS = (0, 1000, 5000)


def _bars(axes: plt.Axes, series: dict[str, list[float]], title: str) -> None:
    """Median bars with min-max whiskers, one per server."""
    labels = [label for label, found in series.items() if found]
    medians = [statistics.median(series[label]) for label in labels]
    low = [m - min(series[label]) for m, label in zip(medians, labels, strict=True)]
    high = [max(series[label]) - m for m, label in zip(medians, labels, strict=True)]
    axes.bar(labels, medians, yerr=[low, high], capsize=4, color=_colors(labels))
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelrotation=20, labelsize=8)


def _colors(labels: list[str]) -> list[str]:
    palette = ["tab:blue", "tab:cyan", "tab:orange", "tab:green", "tab:red"]
    return [palette[index % len(palette)] for index in range(len(labels))]


def throughput(samples: Samples, path: Path) -> None:
    rows = -(-len(THROUGHPUT) // 3)
    figure, grid = plt.subplots(rows, 3, figsize=(15, 4 * rows))
    for axes, (key, title) in zip(grid.flat, THROUGHPUT, strict=False):
        _bars(axes, samples.get(key, {}), title)
    for axes in grid.flat[len(THROUGHPUT) :]:
        axes.set_visible(False)
    figure.suptitle("Throughput and CPU cost (median of runs, whiskers min-max)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def latency(samples: Samples, path: Path) -> None:
    figure, grid = plt.subplots(2, len(LATENCY), figsize=(3.6 * len(LATENCY), 8))
    for column, (scenario, title) in enumerate(LATENCY):
        for row, field in enumerate(("p50_ms", "p99_ms")):
            _bars(grid[row][column], samples.get(f"{scenario}:{field}", {}), f"{title}: {field}")
    figure.suptitle("Latency in ms, lower is better (median of runs, whiskers min-max)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def memory(samples: Samples, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(8, 5))
    by_step = [samples.get(f"memory:rss_kib.{step}", {}) for step in MEMORY_STEPS]
    for label in by_step[0]:
        points = [
            (s, statistics.median(b[label]))
            for s, b in zip(MEMORY_STEPS, by_step, strict=True)
            if b.get(label)
        ]
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    axes.set_xlabel("idle WebSocket clients")
    axes.set_ylabel("server RSS, MiB (median of runs)")
    axes.set_title("Server memory, lower is better")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def write_plots(samples: Samples, folder: Path) -> list[str]:
    """Writes the three PNGs into ``folder``; returns their file names."""
    names = ["throughput.png", "latency.png", "memory.png"]
    for name, draw in zip(names, (throughput, latency, memory), strict=True):
        draw(samples, folder / name)
    return names
