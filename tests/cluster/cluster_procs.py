"""The processes of the cluster tests: servers (``node_server.mjs``, and ``py_server.py`` for
sio-core on either loop), clients (``client.mjs``) and the emitter (``node_emitter.mjs``), seen
from Python.

- :func:`start_node_servers` starts Node Socket.IO servers on a Redis adapter and waits for
  their ready lines (synchronous: fixtures of any scope can hold them); :func:`start_servers`
  starts any mix of Node and sio-core servers the same way. Both kinds keep one contract
  (``node_server.mjs``'s header), so a test drives either.
- :class:`NodeClientHub` is one Node process with any number of socket.io-client sockets,
  for a whole session; ``hub.clients(url, ...)`` connects some for the length of an
  ``async with``, on either loop: the test emits through them and reads what they received.
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
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

CLUSTER_DIR = Path(__file__).resolve().parent
START_TIMEOUT = 15.0
"""Seconds a Node server may take to connect to Redis and listen."""


def node_executable() -> str:
    """The ``node`` binary, once this folder's npm packages are installed; a failure otherwise."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node (v18+) is not on PATH; the cluster tests need it")
    for package in ("socket.io", "@socket.io/redis-adapter", "socket.io-client"):
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
) -> list[NodeServer]:
    """Start servers of any kind at once, and wait for their ready lines.

    :param members: ``kind:name`` each, kind ``node`` (``node_server.mjs``), ``asyncio`` or
        ``trio`` (``py_server.py`` on that loop), or ``uvloop`` (asyncio on uvloop).
    """
    common = ["--adapter", adapter, "--redis", redis_url, "--key", key, "--port", "0"]
    common += ["--namespaces", ",".join(namespaces)]
    common += ["--requests-timeout", str(requests_timeout_ms)]
    common += ["--subscription-mode", subscription_mode]
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


# -- clients -------------------------------------------------------------------------------------


class NodeClientError(Exception):
    """The client hub reported a failure: an ack that timed out, a refused connection..."""


class NodeClientHub:
    """One ``client.mjs`` process hosting any number of socket.io-client sockets.

    It lives for the whole session (a synchronous process, like the servers) while each test
    runs its own event loop, asyncio or trio: reading waits on the pipe with
    :func:`anyio.wait_readable`, which works on both, so no reader task outlives a test.
    """

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self.process = process
        self.log = log
        self._stdout = process.stdout.fileno()
        os.set_blocking(self._stdout, False)
        self._buffer = b""
        self._replies: dict[int, dict[str, Any]] = {}
        self._lines: dict[str, list[dict[str, Any]]] = {}
        self._seq = 0
        self._clients = 0
        self._reading = False
        self._changed = anyio.Event()

    @classmethod
    def start(cls, log: Path) -> NodeClientHub:
        command = [node_executable(), str(CLUSTER_DIR / "client.mjs")]
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=CLUSTER_DIR,
            )
        return cls(process, log)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # client.mjs disconnects every socket and exits
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()

    @asynccontextmanager
    async def clients(
        self,
        *urls: str,
        nsp: str = "/",
        auth: Any = None,
        answers: dict[str, Any] | None = None,
        transports: Sequence[str] = ("websocket",),
    ) -> AsyncIterator[list[NodeClient]]:
        """One connected socket per URL (``url`` + ``nsp``) until the block ends.

        ``answers`` maps event names to what the sockets ack them with (other events that ask
        for an ack get the socket's id).
        """
        self._changed = anyio.Event()  # one per test: an event belongs to one loop
        self._reading = False
        options: dict[str, Any] = {"nsp": nsp, "transports": list(transports)}
        options["answers"] = to_json(answers or {})
        if auth is not None:
            options["auth"] = to_json(auth)
        clients: list[NodeClient] = []
        try:
            pending = []
            for url in urls:  # all connect at once; then each answer is awaited
                self._clients += 1
                client = NodeClient(self, f"c{self._clients}")
                clients.append(client)
                pending.append(self._send("connect", client=client.key, url=url, **options))
            for client, seq in zip(clients, pending, strict=True):
                client.id = str((await self._reply(seq))[0])
            yield clients
        finally:
            with anyio.CancelScope(shield=True):
                for client in clients:
                    self._send("close", client=client.key)

    async def command(self, cmd: str, **fields: Any) -> list[Any]:
        """Send one command and wait for its reply's arguments."""
        return await self._reply(self._send(cmd, **fields))

    def lines(self, client: str) -> list[dict[str, Any]]:
        return self._lines.get(client, [])

    def _send(self, cmd: str, **fields: Any) -> int:
        assert self.process.stdin is not None
        self._seq += 1
        line = json.dumps({"seq": self._seq, "cmd": cmd, **fields}).encode() + b"\n"
        self.process.stdin.write(line)  # a short line into a pipe that client.mjs keeps reading
        self.process.stdin.flush()
        return self._seq

    async def _reply(self, seq: int) -> list[Any]:
        await self.until(lambda: seq in self._replies)
        reply = self._replies.pop(seq)
        if "error" in reply:
            raise NodeClientError(reply["error"])
        return [] if reply["args"] is None else list(from_json(reply["args"]))

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds, reading what the process says meanwhile."""
        while not condition():
            if self._reading:  # another task reads the pipe: wait for what it reads
                await self._changed.wait()
                continue
            self._reading = True
            try:
                await self._read()
            finally:
                self._reading = False
                self._changed.set()
                self._changed = anyio.Event()

    async def _read(self) -> None:
        await anyio.wait_readable(self._stdout)
        try:
            data = os.read(self._stdout, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            raise NodeClientError(f"client.mjs exited:\n{self.log.read_text(errors='replace')}")
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        for raw in lines:
            line = json.loads(raw)
            if line["type"] == "reply":
                self._replies[int(line["seq"])] = line
            else:
                self._lines.setdefault(str(line["client"]), []).append(line)


class NodeClient:
    """One socket.io-client socket of the hub: what it received, and how to make it act."""

    def __init__(self, hub: NodeClientHub, key: str) -> None:
        self.hub = hub
        self.key = key
        self.id: str | None = None
        """The socket id, once connected."""

    def events(self, event: str) -> list[list[Any]]:
        """The arguments of every ``event`` received so far, in order."""
        return [args for name, args in self.all_events() if name == event]

    def all_events(self) -> list[tuple[str, list[Any]]]:
        """Every event received so far: (name, arguments), in order."""
        return [
            (line["event"], from_json(line["args"]))
            for line in self.hub.lines(self.key)
            if line["type"] == "event"
        ]

    async def wait_events(self, event: str, count: int) -> list[list[Any]]:
        """Wait until ``count`` ``event`` were received; the arguments of all of them."""
        await self.hub.until(lambda: len(self.events(event)) >= count)
        return self.events(event)

    async def emit(
        self, event: str, *args: Any, ack: bool = True, timeout: float = 5.0
    ) -> list[Any]:
        """Emit ``event``; with ``ack``, wait for it and return its arguments."""
        fields = {"client": self.key, "event": event, "args": to_json(list(args))}
        return await self.hub.command("emit", **fields, ack=ack, timeout=int(timeout * 1000))

    async def disconnected(self) -> str:
        """Wait until the socket is disconnected; the reason."""

        def reasons() -> list[str]:
            lines = self.hub.lines(self.key)
            return [line["reason"] for line in lines if line["type"] == "disconnect"]

        await self.hub.until(lambda: bool(reasons()))
        return reasons()[0]
