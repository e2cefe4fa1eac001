"""``examples/cluster`` does what its README says: two servers (asyncio and trio) as one chat.

The example's servers run as the README runs them, on the session's Redis with a key of their
own; socket.io-client sockets connect to either; ``emit.py`` speaks from outside the cluster.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster"
LIMIT = 15
START_TIMEOUT = 15.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the servers' loops are theirs; the test only drives the clients


pytestmark = pytest.mark.anyio


def start_example(
    name: str, backend: str, redis_url: str, key: str, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-u", str(EXAMPLE / "server.py"), "--port", "0", "--name", name]
    command += ["--redis", redis_url, "--key", key, "--backend", backend]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while not (found := re.search(r"listening on (http://\S+)", log.read_text())):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the example server did not start:\n{log.read_text()}")
        time.sleep(0.02)  # another process starting: there is no event to await
    return process, found[1]


@pytest.fixture(scope="module")
def example(redis_url, tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """Servers ``one`` (asyncio) and ``two`` (trio): their URLs, and their key."""
    key = f"example-{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("example")
    started = [
        start_example(name, backend, redis_url, key, directory / f"{name}.log")
        for name, backend in (("one", "asyncio"), ("two", "trio"))
    ]
    try:
        yield started[0][1], started[1][1], key
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=10)


async def test_who_lists_the_data_each_server_set(example, node_hub):
    one, two, _ = example
    with anyio.fail_after(LIMIT):
        async with (
            node_hub.clients(one, auth={"name": "ann"}) as (ann,),
            node_hub.clients(two, auth={"name": "bob"}) as (bob,),
        ):
            (seen_by_ann,) = await ann.emit("who")
            (seen_by_bob,) = await bob.emit("who")
    users = [{"name": "ann", "server": "one"}, {"name": "bob", "server": "two"}]
    assert sorted(seen_by_ann, key=str) == sorted(seen_by_bob, key=str) == users


async def test_say_reaches_the_room_on_both_servers(example, node_hub):
    one, two, _ = example
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(one, two, auth={"name": "ann"}) as (ann, bob):
            await ann.emit("say", "hello", ack=False)
            assert await ann.wait_events("said", 1) == [["ann", "hello"]]
            assert await bob.wait_events("said", 1) == [["ann", "hello"]]


async def test_load_asks_the_other_server(example, node_hub):
    one, two, _ = example
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(one, two, two) as (asker, *_):
            (load,) = await asker.emit("load")
    assert load == [{"server": "one", "clients": 1}, {"server": "two", "clients": 2}]


async def test_the_emitter_script_reaches_both_servers(example, node_hub, redis_url):
    one, two, key = example
    with anyio.fail_after(LIMIT):
        async with node_hub.clients(one, two) as (ann, bob):
            command = [sys.executable, str(EXAMPLE / "emit.py"), "--redis", redis_url]
            command += ["--key", key, "the build is green"]
            done = await anyio.run_process(command, check=False)
            assert done.returncode == 0, done.stderr.decode()
            for client in (ann, bob):
                assert await client.wait_events("said", 1) == [["announcer", "the build is green"]]
