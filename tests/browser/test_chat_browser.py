"""The chat example in a real browser: two headless Chromium pages talk through our server.

The server (examples/chat/server.py) runs as its own process on a free port, once on asyncio and
once on trio; tests/browser/chat_e2e.mjs drives Debian's Chromium through playwright-core and
prints what each page showed at each step, which is what these tests assert on (see
``browser_procs.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_procs import CHROMIUM, HERE, REPO, require_tools, run_scenario, serving

SERVER = REPO / "examples" / "chat" / "server.py"
SCRIPT = HERE / "chat_e2e.mjs"


@pytest.fixture(scope="module", params=["asyncio", "trio"])
def chat_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The chat server on a free port, on the given backend; stopped at the end.

    Module-scoped, like :func:`chat_run`: one browser scenario per backend, asserted on by
    several tests, keeps the suite to two Chromium runs."""
    command = [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", "0"]
    command += ["--backend", request.param]
    with serving(command) as url:
        yield url + "/"


@pytest.fixture(scope="module")
def chat_run(chat_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the two-page scenario; its report, with a screenshot of each page in a tmp dir."""
    node = require_tools()
    out = tmp_path_factory.mktemp("chat-screenshots")
    command = [node, str(SCRIPT), "--url", chat_url, "--out", str(out)]
    return run_scenario([*command, "--chromium", str(CHROMIUM)])


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
