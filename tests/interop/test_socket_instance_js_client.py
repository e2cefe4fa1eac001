"""socket.io-client against the conformance server: ``disconnect(True)`` racing the upgrade.

With the default transports the client starts its upgrade as soon as the session opens, so a
server that disconnects it at once often does so mid-upgrade: after the client's ``3probe``,
when it no longer polls and its ``5`` is on the way. Node keeps the DISCONNECT and sends it
over the WebSocket once the upgrade completes; the client must report ``io server
disconnect`` every time (a lost DISCONNECT shows as ``transport close``, which a client with
reconnection on takes as a reason to reconnect). Before the fix, a third or more of the runs
lost it, so twenty runs in a row catch a regression almost surely; Node's own server passes
every run of the same script.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sio_servers import INTEROP_DIR, ServerProcess

CLIENT_SCRIPT = INTEROP_DIR / "socket_instance_client.mjs"
RUNS = 20


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (v18+) is not on PATH; the interop tests need it")
    if not (INTEROP_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail("tests/interop/node_modules has no socket.io-client: run `make npm` first")
    return executable


def test_disconnect_close_racing_the_upgrade_is_io_server_disconnect_every_time(
    node: str, sio_server: ServerProcess
) -> None:
    scenario = {"url": sio_server.url, "count": RUNS}
    completed = subprocess.run(
        [node, str(CLIENT_SCRIPT), json.dumps(scenario)],
        capture_output=True,
        timeout=RUNS * 3 + 10,
        cwd=INTEROP_DIR,
        check=False,
    )
    lines = completed.stdout.decode(errors="replace").strip().splitlines()
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    result = json.loads(lines[-1])
    assert result["reasons"] == {"io server disconnect": RUNS}, sio_server.output()
