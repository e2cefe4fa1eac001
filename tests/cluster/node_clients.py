"""socket.io-client sockets for the cluster tests, seen from Python: ``client.mjs``'s hub.

:class:`NodeClientHub` is one Node process with any number of socket.io-client sockets, for a
whole session; ``hub.clients(url, ...)`` connects some for the length of an ``async with``, on
either loop: the test emits through them, reads what they received, drops their connection
and sends them back to any server (connection state recovery). Binary values cross the JSON
lines as ``{"$bin": base64}`` (:func:`cluster_procs.to_json`). Every wait is bounded by the
caller's ``anyio.fail_after``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from cluster_procs import CLUSTER_DIR, from_json, node_executable, to_json


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

    async def drop(self) -> None:
        """Close the socket's connection under it, as a network failure would; returns once the
        socket knows (socket.io-client keeps its pid and offset)."""
        await self.hub.command("drop", client=self.key)

    async def reconnect(self, url: str) -> bool:
        """Connect the dropped socket again, to ``url``; whether it was recovered (its id is
        then unchanged)."""
        socket_id, recovered = await self.hub.command("reconnect", client=self.key, url=url)
        self.id = str(socket_id)
        return bool(recovered)

    async def disconnected(self) -> str:
        """Wait until the socket is disconnected; the reason."""

        def reasons() -> list[str]:
            lines = self.hub.lines(self.key)
            return [line["reason"] for line in lines if line["type"] == "disconnect"]

        await self.hub.until(lambda: bool(reasons()))
        return reasons()[0]
