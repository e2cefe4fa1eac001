"""A sio-core server on a Redis adapter: the Python half of the clusters in tests/cluster.

It keeps node_server.mjs's contract (read that file's header), event for event, so that one test
drives either kind of node: same command line, same ready line, same events and answers.

    python tests/cluster/py_server.py --adapter classic|sharded|streams --redis redis://...
        [--key socket.io] [--port 0] [--name node] [--namespaces /,/chat]
        [--requests-timeout 5000] [--subscription-mode dynamic] [--recovery 0]
        [--backend asyncio|trio] [--uvloop]

Once it listens (its adapter has tried Redis once, and holds its subscriptions if Redis was
there), it prints ONE line on stdout:
``{"ready":true,"name":...,"port":...,"adapter":...,"uid":<the adapter's node id>}``. Logs go to
stderr. SIGTERM or SIGINT closes it cleanly.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc
from sio_anyio import (
    AckTimeoutError,
    BroadcastOperator,
    ConnectionStateRecovery,
    Namespace,
    RedisAdapter,
    RedisStreamsAdapter,
    Server,
    ShardedRedisAdapter,
    Socket,
)

SYNC_LIMIT = 5.0
"""Seconds a ``join`` waits for Redis to apply the room's subscription (sharded, dynamic)."""


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", choices=("classic", "sharded", "streams"), default="classic")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--key", default="socket.io")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--name", default="node")
    parser.add_argument("--namespaces", default="/")
    parser.add_argument("--requests-timeout", type=int, default=5000)
    parser.add_argument("--subscription-mode", default="dynamic")
    parser.add_argument("--recovery", type=int, default=0, help="max disconnection (ms); 0: off")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--uvloop", action="store_true", help="asyncio on uvloop (benchmarks)")
    return parser.parse_args(argv)


def make_adapter(
    options: argparse.Namespace,
) -> RedisAdapter | ShardedRedisAdapter | RedisStreamsAdapter:
    if options.adapter == "streams":
        return RedisStreamsAdapter(
            options.redis,
            stream_name=options.key,
            channel_prefix=options.key,
            session_key_prefix=f"{options.key}:session:",
        )
    if options.adapter == "sharded":
        return ShardedRedisAdapter(
            options.redis,
            channel_prefix=options.key,
            subscription_mode=options.subscription_mode,
        )
    return RedisAdapter(
        options.redis, key=options.key, requests_timeout=options.requests_timeout / 1000
    )


def selection(nsp: Namespace, sel: dict[str, Any] | None) -> BroadcastOperator:
    """``{in, except, timeout (ms)}`` as an operator of ``nsp``, as node_server.mjs reads it."""
    sel = sel or {}
    operator = nsp.except_()
    if sel.get("in"):
        operator = operator.to(sel["in"])
    if sel.get("except"):
        operator = operator.except_(sel["except"])
    if sel.get("timeout") is not None:
        operator = operator.timeout(sel["timeout"] / 1000)
    return operator


def describe(socket: Any) -> dict[str, Any]:
    return {"id": socket.id, "rooms": sorted(socket.rooms), "data": socket.data}


async def with_callback(start: Callable[[], Awaitable[list[Any]]]) -> dict[str, Any]:
    """``{error, responses}`` as node_server.mjs's callbacks report them."""
    try:
        return {"error": None, "responses": await start()}
    except AckTimeoutError as error:
        return {"error": str(error), "responses": error.responses}


class ClusterServer:
    """The contract's handlers on every namespace of one server."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.adapter = make_adapter(options)
        recovery = None
        if options.recovery > 0:
            recovery = ConnectionStateRecovery(max_disconnection_duration=options.recovery / 1000)
        self.io = Server(adapter=self.adapter, connection_state_recovery=recovery)
        self.port = 0
        self.seen: list[dict[str, Any]] = []
        self.tasks: anyio.abc.TaskGroup | None = None
        """Where the ticks of ``tick`` run, while the server runs."""
        for name in options.namespaces.split(","):
            self.serve(self.io.of(name))

    def serve(self, nsp: Namespace) -> None:
        @nsp.on("ping-server")
        def ping_server(*args: Any) -> dict[str, Any]:
            self.seen.append({"event": "ping-server", "nsp": nsp.name, "args": list(args)})
            return {"from": self.options.name, "args": list(args)}

        @nsp.on("note")
        def note(*args: Any) -> None:
            self.seen.append({"event": "note", "nsp": nsp.name, "args": list(args)})

        @nsp.on("connection")
        def connection(socket: Socket) -> None:
            for event, handler in self.handlers(nsp, socket).items():
                socket.on(event, guarded(handler))

    def handlers(self, nsp: Namespace, socket: Socket) -> dict[str, Callable[..., Any]]:
        name, adapter, uid = self.options.name, self.options.adapter, self.adapter.node_id

        async def join(rooms: str | list[str]) -> bool:
            socket.join(rooms)
            with anyio.fail_after(SYNC_LIMIT):
                await self.adapter.synced()  # the sharded adapter's room channel, if any
            return True

        def set_data(value: Any) -> bool:
            socket.data = value
            return True

        def leave(room: str) -> bool:
            socket.leave(room)
            return True

        async def fetch_sockets(sel: dict[str, Any] | None = None) -> list[dict[str, Any]]:
            sockets = await selection(nsp, sel).fetch_sockets()
            return sorted(map(describe, sockets), key=lambda found: found["id"])

        def broadcast(request: dict[str, Any]) -> bool:
            operator = selection(nsp, request)
            if request.get("volatile"):
                operator = operator.volatile
            if request.get("local"):
                operator = operator.local
            operator.emit(request["event"], *request.get("args", []))
            return True

        def sockets_join(request: dict[str, Any]) -> bool:
            selection(nsp, request).sockets_join(request["rooms"])
            return True

        def sockets_leave(request: dict[str, Any]) -> bool:
            selection(nsp, request).sockets_leave(request["rooms"])
            return True

        def disconnect_sockets(request: dict[str, Any]) -> bool:
            selection(nsp, request).disconnect_sockets(request.get("close", False))
            return True

        async def server_side_emit(request: dict[str, Any]) -> Any:
            event, args = request["event"], request.get("args", [])
            if not request.get("ack"):
                nsp.server_side_emit(event, *args)
                return True
            return await with_callback(lambda: nsp.server_side_emit_with_ack(event, *args))

        async def broadcast_with_ack(request: dict[str, Any]) -> dict[str, Any]:
            operator = selection(nsp, request)
            args = request.get("args", [])
            return await with_callback(lambda: operator.emit_with_ack(request["event"], *args))

        def tick(request: dict[str, Any]) -> bool:
            async def ticks() -> None:
                for n in range(request["count"]):
                    await anyio.sleep(request["interval"] / 1000)
                    selection(nsp, request).emit(request["event"], n)

            assert self.tasks is not None
            self.tasks.start_soon(ticks)
            return True

        async def remote(request: dict[str, Any]) -> list[str]:
            sockets = await selection(nsp, request).fetch_sockets()
            op, args = request["op"], request.get("args", [])
            for found in sockets:
                if op == "emit":
                    found.emit(request["event"], *args)
                elif op == "join":
                    found.join(request["rooms"])
                elif op == "leave":
                    found.leave(request["rooms"][0])
                elif op == "disconnect":
                    found.disconnect(request.get("close", False))
                else:
                    raise ValueError(f"unknown op {op!r}")
            return [found.id for found in sockets]

        return {
            "info": lambda: {"name": name, "port": self.port, "adapter": adapter, "uid": uid},
            "set-data": set_data,
            "join": join,
            "leave": leave,
            "fetch-sockets": fetch_sockets,
            "broadcast": broadcast,
            "sockets-join": sockets_join,
            "sockets-leave": sockets_leave,
            "disconnect-sockets": disconnect_sockets,
            "server-side-emit": server_side_emit,
            "broadcast-with-ack": broadcast_with_ack,
            "server-side-seen": lambda: self.seen,
            "remote": remote,
            "tick": tick,
            "recovered": lambda: socket.recovered,
        }

    async def run(self) -> None:
        async with anyio.create_task_group() as tasks:
            self.tasks = tasks
            _, self.port = await tasks.start(self.io.serve, "127.0.0.1", self.options.port)
            ready = {
                "ready": True,
                "name": self.options.name,
                "port": self.port,
                "adapter": self.options.adapter,
                "uid": self.adapter.node_id,
            }
            print(json.dumps(ready), flush=True)
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    break
            await self.io.close()
            tasks.cancel_scope.cancel()


def guarded(handler: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A contract handler whose failure is acknowledged as ``{error: message}``."""

    async def run(*args: Any) -> Any:
        try:
            result = handler(*args)
            return await result if isinstance(result, Awaitable) else result
        except Exception as error:
            return {"error": str(error) or type(error).__name__}

    return run


def main(argv: list[str]) -> None:
    options = parse_arguments(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format=f"[{options.name}] %(levelname)s %(name)s: %(message)s",
    )
    server = ClusterServer(options)
    loop_options = {"use_uvloop": True} if options.uvloop else {}
    anyio.run(server.run, backend=options.backend, backend_options=loop_options)


if __name__ == "__main__":
    main(sys.argv[1:])
