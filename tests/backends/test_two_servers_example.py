"""examples/two_servers.py: two servers in one process, on two ports, in one task group.

In-process on both loops (through its ``serve_both``), and as the script it is, on trio:
both listen, an admin's announcement reaches a public client, and Ctrl-C closes both.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import anyio
import pytest
from script_module import load_script

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "two_servers.py"
TIMEOUT = 5


def load_example() -> ModuleType:
    return load_script(EXAMPLE, "two_servers_example")


@pytest.mark.anyio
async def test_two_servers_serve_side_by_side_and_one_reaches_the_others_clients(wire) -> None:
    example = load_example()
    public, admin = example.build_servers()
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            (_, public_port), (_, admin_port) = await tasks.start(
                example.serve_both, public, admin, "127.0.0.1", (0, 0)
            )
            reader = await wire.connected(public_port)
            announcer = await wire.connected(admin_port)
            await announcer.emit("announce", "maintenance at noon", ack_id=1)
            heard = await reader.receive()
            answer = await announcer.receive()
            await reader.aclose()
            await announcer.aclose()
            await public.close()
            await admin.close()
    assert public_port != admin_port
    assert heard.data == ["announcement", "maintenance at noon"]
    assert answer.raw == "31[1]"


def test_two_servers_script_listens_twice_on_trio_and_stops_on_interrupt() -> None:
    command = [sys.executable, str(EXAMPLE), "--backend", "trio", "--ports", "0", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    ports = [
        re.search(r"^(public|admin): listening on http://127\.0\.0\.1:(\d+)$", line.strip())
        for line in lines
    ]
    assert [match.group(1) for match in ports if match] == ["public", "admin"]
