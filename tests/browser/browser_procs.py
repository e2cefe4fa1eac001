"""What the browser tests share: their prerequisites, a server subprocess, a Node scenario.

Each browser test runs a server (an example, as its own process, on a free port), then a Node
script that drives Debian's Chromium through playwright-core and prints one JSON report as its
last line. Nothing here is skipped: a missing browser or npm install is a failure that says how
to get it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = Path(os.environ.get("SIO_CHROMIUM", "/usr/bin/chromium"))
PLAYWRIGHT = HERE / "node_modules" / "playwright-core" / "package.json"
CLIENT_JS = REPO / "tests/interop/node_modules/socket.io-client/dist/socket.io.min.js"
STARTUP_SECONDS = 20
SCENARIO_SECONDS = 120


def require_tools(*also: tuple[bool, str]) -> str:
    """The node binary; fails, naming the fix, when something the test needs is missing.

    :param also: more ``(missing, how to get it)`` pairs, for what one test alone needs.
    """
    node = shutil.which("node")
    missing = [
        (node is None, "node is not on PATH: apt-get install -y nodejs npm"),
        (not CHROMIUM.is_file(), f"{CHROMIUM} is missing: apt-get install -y chromium"),
        (not PLAYWRIGHT.is_file(), "playwright-core is missing: npm ci in tests/browser"),
        (not CLIENT_JS.is_file(), "socket.io-client is missing: npm ci in tests/interop"),
        *also,
    ]
    problems = [why for absent, why in missing if absent]
    if problems:
        pytest.fail(
            "browser test prerequisites missing (make browser-deps):\n" + "\n".join(problems)
        )
    assert node is not None
    return node


def read_listening_line(server: subprocess.Popen[str]) -> str:
    """The server's ``listening on http://HOST:PORT`` line, waited for in a bounded way."""
    stdout = server.stdout
    assert stdout is not None
    lines: list[str] = []

    def read() -> None:
        with contextlib.suppress(OSError, ValueError):  # closed under it when the test gives up
            lines.append(stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(STARTUP_SECONDS)
    line = lines[0].strip() if lines else ""
    if not line.startswith("listening on http://"):
        code = server.poll()
        state = f"exited with code {code}" if code is not None else "is not listening"
        pytest.fail(f"server {state} after {STARTUP_SECONDS}s at most; said {line!r}")
    return line.removeprefix("listening on ")


@contextlib.contextmanager
def serving(command: list[str]) -> Iterator[str]:
    """Run a server that prints ``listening on URL``; yields the URL, stops it at the end."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO) as server:
        try:
            yield read_listening_line(server)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def run_scenario(command: list[str]) -> dict[str, Any]:
    """Run a Node scenario, bounded; its JSON report, or a failure that shows what it saw."""
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=SCENARIO_SECONDS, cwd=HERE, check=False
    )
    lines = done.stdout.strip().splitlines()
    report: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0:
        pytest.fail(
            f"browser scenario failed (exit {done.returncode}): {report.get('error')}\n"
            f"pages: {json.dumps(report.get('snapshots', {}), indent=1)}\nstderr: {done.stderr}"
        )
    return report
