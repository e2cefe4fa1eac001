"""The chat example in a real browser: two headless Chromium pages talk through our server.

The server (examples/chat/server.py) runs as its own process on a free port, once on asyncio and
once on trio; tests/browser/chat_e2e.mjs drives Debian's Chromium through playwright-core and
prints what each page showed at each step, which is what these tests assert on. Nothing here is
skipped: a missing browser or npm install is a failure that says how to get it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SERVER = REPO / "examples" / "chat" / "server.py"
SCRIPT = HERE / "chat_e2e.mjs"
CHROMIUM = Path(os.environ.get("SIO_CHROMIUM", "/usr/bin/chromium"))
CLIENT_JS = REPO / "tests/interop/node_modules/socket.io-client/dist/socket.io.min.js"
PLAYWRIGHT = HERE / "node_modules" / "playwright-core" / "package.json"
STARTUP_SECONDS = 20
SCENARIO_SECONDS = 120


def require_tools() -> str:
    """The node binary; fails, naming the fix, when something the test needs is missing."""
    node = shutil.which("node")
    missing = [
        (node is None, "node is not on PATH: apt-get install -y nodejs npm"),
        (not CHROMIUM.is_file(), f"{CHROMIUM} is missing: apt-get install -y chromium"),
        (not PLAYWRIGHT.is_file(), "playwright-core is missing: npm ci in tests/browser"),
        (not CLIENT_JS.is_file(), "socket.io-client is missing: npm ci in tests/interop"),
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
        pytest.fail(f"chat server {state} after {STARTUP_SECONDS}s at most; said {line!r}")
    return line.removeprefix("listening on ")


@pytest.fixture(scope="module", params=["asyncio", "trio"])
def chat_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The chat server on a free port, on the given backend; stopped at the end.

    Module-scoped, like :func:`chat_run`: one browser scenario per backend, asserted on by
    several tests, keeps the suite to two Chromium runs."""
    command = [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", "0"]
    command += ["--backend", request.param]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO) as server:
        try:
            yield read_listening_line(server) + "/"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


@pytest.fixture(scope="module")
def chat_run(chat_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the two-page scenario; its report, with a screenshot of each page in a tmp dir."""
    node = require_tools()
    out = tmp_path_factory.mktemp("chat-screenshots")
    command = [node, str(SCRIPT), "--url", chat_url, "--out", str(out)]
    command += ["--chromium", str(CHROMIUM)]
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


def messages(snapshot: dict[str, Any]) -> list[str]:
    """A page's message list as a person reads it: ``nick: text`` or ``* system text``."""
    return [
        f"* {m['system']}" if "system" in m else f"{m['nick']}: {m['text']}"
        for m in snapshot["messages"]
    ]


def test_both_pages_show_the_whole_conversation(chat_run: dict[str, Any]) -> None:
    alice, bob = chat_run["snapshots"]["aliceFinal"], chat_run["snapshots"]["bobFinal"]
    assert messages(alice) == [
        "* alice joined",
        "* bob joined",
        "alice: hello from alice",
        "bob: hi alice, bob here",
    ]
    assert messages(bob) == ["* bob joined", "alice: hello from alice", "bob: hi alice, bob here"]
    for page, nick in ((alice, "alice"), (bob, "bob")):
        assert page["me"] == f"you are {nick}"
        assert page["status"] == "connected"
        assert page["roomTitle"] == "# sans-io"
        assert page["rooms"] == ["# lobby", "# sans-io"]
        assert page["users"] == ["alice", "bob"]
        assert page["typing"] == ""


def test_the_other_page_shows_who_is_typing(chat_run: dict[str, Any]) -> None:
    snapshots = chat_run["snapshots"]
    assert snapshots["bobSeesTyping"]["typing"] == "alice is typing…"
    assert snapshots["aliceWhileTyping"]["typing"] == ""
    assert snapshots["bobGotMessage"]["typing"] == ""


def test_a_taken_nickname_is_refused_on_the_page(chat_run: dict[str, Any]) -> None:
    refused = chat_run["snapshots"]["bobNickTaken"]
    assert refused["nickError"] == "ALICE is taken"
    assert refused["loginVisible"] is True
    assert chat_run["snapshots"]["bobInLobby"]["users"] == ["alice", "bob"]


def test_the_room_sees_a_member_leave(chat_run: dict[str, Any]) -> None:
    snapshots = chat_run["snapshots"]
    alice = snapshots["aliceAfterBobLeft"]
    assert messages(alice)[-1] == "* bob left"
    assert alice["users"] == ["alice"]
    assert snapshots["bobAfterLeaving"]["rooms"] == ["# lobby"]


def test_the_rooms_of_a_closed_page_see_it_go(chat_run: dict[str, Any]) -> None:
    lobby = chat_run["snapshots"]["aliceLobbyAfterBobQuit"]
    assert messages(lobby) == ["* alice joined", "* bob joined", "* bob left"]
    assert lobby["users"] == ["alice"]


def test_the_pages_upgraded_to_websocket(chat_run: dict[str, Any]) -> None:
    snapshots = chat_run["snapshots"]
    assert snapshots["aliceFinal"]["transport"] == "websocket"
    assert snapshots["bobFinal"]["transport"] == "websocket"


def test_pages_run_without_errors(chat_run: dict[str, Any]) -> None:
    assert chat_run["pageErrors"] == []


def test_each_page_is_screenshotted(chat_run: dict[str, Any]) -> None:
    shots = [Path(p) for p in chat_run["screenshots"]]
    assert sorted(p.name for p in shots) == ["chat-alice.png", "chat-bob.png"]
    for shot in shots:
        assert shot.read_bytes().startswith(b"\x89PNG")
