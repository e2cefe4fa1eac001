"""The processes of the cluster tests: servers (``node_server.mjs``, and ``py_server.py`` for
sio-core on either loop), clients (``client.mjs``) and the emitter (``node_emitter.mjs``), seen
from Python.

- :func:`start_node_servers` starts Node Socket.IO servers on a Redis adapter and waits for
  their ready lines (synchronous: fixtures of any scope can hold them); :func:`start_servers`
  starts any mix of Node and sio-core servers the same way. Both kinds keep one contract
  (``node_server.mjs``'s header), so a test drives either.
- the clients (``client.mjs``) are in :mod:`node_clients`.
- :func:`run_node_emitter` runs ``@socket.io/redis-emitter`` once.

Binary values cross the JSON lines as ``{"$bin": base64}``; :func:`to_json` and
:func:`from_json` convert, so tests deal in ``bytes``. Every wait here is bounded by the
caller's ``anyio.fail_after`` or by a timeout of its own.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

CLUSTER_DIR = Path(__file__).resolve().parent
START_TIMEOUT = 15.0
"""Seconds a Node server may take to connect to Redis and listen."""


def node_executable() -> str:
    """The ``node`` binary, once this folder's npm packages are installed; a failure otherwise."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (v18+) is not on PATH; the cluster tests need it")
    packages = ("socket.io", "@socket.io/redis-adapter", "@socket.io/redis-streams-adapter")
    for package in (*packages, "socket.io-client"):
        if not (CLUSTER_DIR / "node_modules" / package / "package.json").is_file():
            pytest.fail(f"tests/cluster/node_modules has no {package}: run `make test`")
    return executable


def to_json(value: Any) -> Any:
    """``value`` with every ``bytes`` as ``{"$bin": base64}``, ready for ``json.dumps``."""
    if isinstance(value, bytes):
        return {"$bin": base64.b64encode(value).decode()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(value: Any) -> Any:
    """The reverse of :func:`to_json`."""
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"$bin"}:
            return base64.b64decode(value["$bin"])
        return {key: from_json(item) for key, item in value.items()}
    return value


# -- servers -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NodeServer:
    """A running ``node_server.mjs`` (or ``py_server.py``): its process, port, adapter uid and
    output files.

    :param kind: ``node``, or ``asyncio`` / ``trio`` for a sio-core server on that loop.
    """

    process: subprocess.Popen[bytes]
    name: str
    adapter: str
    key: str
    port: int
    uid: str
    log: Path
    kind: str = "node"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """End it at once, as a crash would (its Redis connections just drop)."""
        if self.process.poll() is None:
            self.thaw()
            self.process.kill()
        self.process.wait(timeout=5)

    def freeze(self) -> None:
        """SIGSTOP: its Redis connections stay open but it answers nothing, so requests to it
        time out (a killed node's connections drop, and the subscriber counts drop with them)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Close it cleanly (SIGTERM: io.close(), then the Redis clients quit)."""
        if self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


def start_node_servers(
    adapter: str,
    redis_url: str,
    directory: Path,
    names: Sequence[str] = ("node",),
    *,
    key: str = "socket.io",
    namespaces: Sequence[str] = ("/",),
    requests_timeout_ms: int = 5000,
    subscription_mode: str = "dynamic",
) -> list[NodeServer]:
    """Start one ``node_server.mjs`` per name, all at once (each takes a second or two to load
    its modules), and wait for their ready lines: their subscriptions are then in place. A
    failure quoting a server's output if one does not come."""
    members = [f"node:{name}" for name in names]
    options = {"namespaces": namespaces, "subscription_mode": subscription_mode}
    options["requests_timeout_ms"] = requests_timeout_ms
    return start_servers(adapter, redis_url, directory, members, key=key, **options)


def start_servers(
    adapter: str,
    redis_url: str,
    directory: Path,
    members: Sequence[str],
    *,
    key: str = "socket.io",
    namespaces: Sequence[str] = ("/",),
    requests_timeout_ms: int = 5000,
    subscription_mode: str = "dynamic",
    recovery_ms: int = 0,
) -> list[NodeServer]:
    """Start servers of any kind at once, and wait for their ready lines.

    :param members: ``kind:name`` each, kind ``node`` (``node_server.mjs``), ``asyncio`` or
        ``trio`` (``py_server.py`` on that loop), or ``uvloop`` (asyncio on uvloop).
    :param recovery_ms: connection state recovery's maximum disconnection; 0 turns it off.
    """
    common = ["--adapter", adapter, "--redis", redis_url, "--key", key, "--port", "0"]
    common += ["--namespaces", ",".join(namespaces)]
    common += ["--requests-timeout", str(requests_timeout_ms)]
    common += ["--subscription-mode", subscription_mode, "--recovery", str(recovery_ms)]
    directory.mkdir(parents=True, exist_ok=True)
    spawned = []
    for member in members:
        kind, name = member.split(":")
        out, log = directory / f"{name}.out", directory / f"{name}.log"
        command = [*_program(kind), *common, "--name", name]
        with out.open("wb") as stdout, log.open("wb") as stderr:
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=CLUSTER_DIR)
        spawned.append((kind, name, process, out, log))
    deadline = time.monotonic() + START_TIMEOUT
    return [_ready(adapter, key, *started, deadline=deadline) for started in spawned]


def _program(kind: str) -> list[str]:
    if kind == "node":
        return [node_executable(), str(CLUSTER_DIR / "node_server.mjs")]
    script = [sys.executable, "-u", str(CLUSTER_DIR / "py_server.py")]
    if kind in ("asyncio", "trio"):
        return [*script, "--backend", kind]
    if kind == "uvloop":
        return [*script, "--backend", "asyncio", "--uvloop"]
    raise ValueError(f"no server of kind {kind!r}")


def _ready(
    adapter: str,
    key: str,
    kind: str,
    name: str,
    process: subprocess.Popen[bytes],
    out: Path,
    log: Path,
    *,
    deadline: float,
) -> NodeServer:
    while not (ready := _ready_line(out)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=5)
            pytest.fail(f"node server {name} did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.02)  # another process starting: there is no event to await
    return NodeServer(
        process=process,
        name=name,
        adapter=adapter,
        key=key,
        port=int(ready["port"]),
        uid=str(ready["uid"]),
        log=log,
        kind=kind,
    )


def _ready_line(out: Path) -> dict[str, Any] | None:
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            ready = json.loads(line)
            if ready.get("ready"):
                return dict(ready)
    return None


# -- clusters of two servers, Node and sio-core ---------------------------------------------

TOPOLOGIES = {
    "classic-python": ("classic", ("asyncio:a", "trio:b")),
    "classic-mixed": ("classic", ("node:a", "asyncio:b")),
    "sharded-python": ("sharded", ("trio:a", "asyncio:b")),
    "sharded-mixed": ("sharded", ("node:a", "trio:b")),
    "streams-python": ("streams", ("asyncio:a", "trio:b")),
    "streams-mixed": ("streams", ("node:a", "asyncio:b")),
}
"""Two servers on one Redis each: sio-core on both loops, and Node with sio-core, per adapter."""


@dataclasses.dataclass(frozen=True, slots=True)
class Cluster:
    """Two running servers of one cluster (a key of their own on the session's Redis)."""

    name: str
    adapter: str
    key: str
    a: NodeServer
    b: NodeServer

    def pair(self, direction: str) -> tuple[NodeServer, NodeServer]:
        """``(sender, receiver)``: ``a->b`` or ``b->a``."""
        return (self.a, self.b) if direction == "a->b" else (self.b, self.a)


class Clusters:
    """Starts each topology the first time a test of the module asks for it; stops them all."""

    def __init__(self, redis_url: str, directory: Path) -> None:
        self.redis_url = redis_url
        self.directory = directory
        self.started: dict[str, Cluster] = {}

    def get(self, name: str) -> Cluster:
        if name not in self.started:
            adapter, members = TOPOLOGIES[name]
            key = f"{name}-{uuid.uuid4().hex[:8]}"
            a, b = start_servers(adapter, self.redis_url, self.directory / name, members, key=key)
            self.started[name] = Cluster(name, adapter, key, a, b)
        cluster = self.started[name]
        for server in (cluster.a, cluster.b):
            assert server.process.poll() is None, f"{server.name} died:\n{server.output()}"
        return cluster

    def stop(self) -> None:
        for cluster in self.started.values():
            cluster.a.stop()
            cluster.b.stop()


# -- the emitter ---------------------------------------------------------------------------------


def run_node_emitter(redis_url: str, action: dict[str, Any], *, key: str = "socket.io") -> None:
    """Run ``node_emitter.mjs`` once with ``action`` (see that file); fail if it fails."""
    command = [node_executable(), str(CLUSTER_DIR / "node_emitter.mjs"), "--redis", redis_url]
    command += ["--key", key, json.dumps(to_json(action))]
    done = subprocess.run(
        command, capture_output=True, timeout=START_TIMEOUT, cwd=CLUSTER_DIR, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"node_emitter.mjs failed ({done.returncode}):\n{done.stderr.decode()}")
