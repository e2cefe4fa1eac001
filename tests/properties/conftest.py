"""Hypothesis profiles for the properties, and the figures of a fuzz run.

``make test`` runs every property with hypothesis's defaults (or the ``@settings`` a test
gives). ``make fuzz`` runs them again under the ``fuzz`` profile, which multiplies the examples
(``FUZZ_EXAMPLES`` each, 500 unless told) and the steps of the state machines, and drops the
deadline; at the end it prints how many examples ran and how long it took. A test whose own
``@settings`` names ``max_examples`` keeps that number.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")),
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_PASSING = re.compile(r"(\d+) passing")
_started = time.monotonic()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: the properties run, their passing examples (every phase), the wall time."""
    if terminalreporter.config.getoption("hypothesis_profile", None) != "fuzz":
        return
    properties = examples = 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            stats = getattr(report, "__dict__", {}).get("_hypothesis_stats")
            if stats:
                properties += 1
                examples += sum(int(n) for n in _PASSING.findall(stats))
    elapsed = time.monotonic() - _started
    terminalreporter.write_line(
        f"fuzz: {properties} properties, {examples:,} passing examples in {elapsed:.1f} s"
    )
