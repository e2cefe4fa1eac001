"""The Socket.IO admin UI in a real browser, logged in to our server, shows its clients and rooms.

The UI is npm ``@socket.io/admin-ui`` 0.5's own build (``ui/dist``), served here by a tiny static
server on 127.0.0.1; the server is ``examples/admin_ui.py`` (``instrument()`` with basic
authentication), as its own process, once on asyncio and once on trio.
``tests/browser/admin_ui_e2e.mjs`` connects three socket.io-client clients that join rooms, logs
the UI in through its connection dialog and reports what the Sockets, Rooms and socket pages
showed; the screenshots land in ``tests/browser/artifacts/<backend>/`` (printed below).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_procs import CHROMIUM, HERE, REPO, require_tools, run_scenario, serving

SERVER = REPO / "examples" / "admin_ui.py"
SCRIPT = HERE / "admin_ui_e2e.mjs"
UI_DIST = HERE / "node_modules" / "@socket.io" / "admin-ui" / "ui" / "dist"
ARTIFACTS = HERE / "artifacts"
PASSWORD = "sans-io-secret"


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The test's output is the scenario's report, not an access log."""


@contextlib.contextmanager
def static_site(root: Path) -> Iterator[str]:
    """Serve the files under ``root`` on 127.0.0.1 and a free port; yields the base URL."""
    handler = functools.partial(_QuietFiles, directory=str(root))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()
        site.server_close()
        thread.join(10)


@pytest.fixture(scope="module", params=["asyncio", "trio"])
def admin_run(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One browser scenario per backend, asserted on by several tests."""
    node = require_tools(
        (not (UI_DIST / "index.html").is_file(), "@socket.io/admin-ui: npm ci in tests/browser")
    )
    out = ARTIFACTS / request.param
    out.mkdir(parents=True, exist_ok=True)
    with static_site(UI_DIST) as ui:
        origin = ui.rstrip("/")
        command = [sys.executable, str(SERVER), "--port", "0", "--backend", request.param]
        command += ["--ui-origin", origin, "--password", PASSWORD]
        with serving(command) as server:
            scenario = [node, str(SCRIPT), "--ui", ui, "--server", server]
            scenario += ["--password", PASSWORD, "--out", str(out), "--chromium", str(CHROMIUM)]
            report = run_scenario(scenario)
    print(f"admin UI screenshots ({request.param}): {', '.join(report['screenshots'])}")
    return report


def test_the_sockets_page_lists_every_client(admin_run: dict[str, Any]) -> None:
    rows = admin_run["snapshots"]["sockets"]
    clients = admin_run["clients"]
    assert sorted(cells[0] for cells in rows) == sorted(clients.values())
    assert {cells[2] for cells in rows} == {"WebSocket"}


def test_the_rooms_page_shows_each_room_with_its_sockets(admin_run: dict[str, Any]) -> None:
    rooms = {cells[0]: cells[2] for cells in admin_run["snapshots"]["rooms"]}
    assert rooms == {"lobby": "2", "sans-io": "2", "trio": "1"}


def test_a_socket_page_shows_its_rooms(admin_run: dict[str, Any]) -> None:
    alice = admin_run["clients"]["alice"]
    assert admin_run["snapshots"]["aliceRooms"] == sorted([alice, "lobby", "sans-io"])  # as JS


def test_the_ui_runs_without_errors(admin_run: dict[str, Any]) -> None:
    assert admin_run["pageErrors"] == []


def test_each_page_is_screenshotted(admin_run: dict[str, Any]) -> None:
    shots = [Path(path) for path in admin_run["screenshots"]]
    assert [shot.name for shot in shots] == [
        "admin-ui-sockets.png",
        "admin-ui-rooms.png",
        "admin-ui-socket.png",
    ]
    for shot in shots:
        assert shot.read_bytes().startswith(b"\x89PNG")
