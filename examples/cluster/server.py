"""One server of a Socket.IO cluster on Redis: run two (or more), with Node servers if you like.

Every client joins the room ``chat`` and gives its name in ``auth``:

- ``say`` (text): everyone in ``chat`` gets ``said`` (name, text), on whichever server they are;
- ``who``: the ``socket.data`` of every socket of the cluster, set by the server it is on
  (the page the project started from: data set on server A, read on server B);
- ``load``: how many clients each server holds, asked of the others with a server-side emit.

    python examples/cluster/server.py --port 3001 --name one --redis redis://127.0.0.1:6379
    python examples/cluster/server.py --port 3002 --name two --redis redis://127.0.0.1:6379

``--adapter sharded`` uses Redis 7's sharded pub/sub instead (every server of one cluster must
use the same adapter and ``--key``); ``--backend trio`` runs on trio. See README.md.
"""

from __future__ import annotations

import argparse
from typing import Any

from sio_anyio import RedisAdapter, Server, ShardedRedisAdapter, Socket, run_server


def build_server(name: str, adapter: RedisAdapter | ShardedRedisAdapter) -> Server:
    """The example's server, named ``name`` in what it tells clients."""
    io = Server(adapter=adapter)

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        user = str((socket.handshake.auth or {}).get("name", "anonymous"))
        socket.data = {"name": user, "server": name}
        socket.join("chat")

        @socket.on("say")
        def say(text: str) -> None:
            io.to("chat").emit("said", user, text)

        @socket.on("who")
        async def who() -> list[Any]:
            return [remote.data for remote in await io.fetch_sockets()]

        @socket.on("load")
        async def load() -> list[Any]:
            others = await io.server_side_emit_with_ack("load?")
            return [here(), *others]

    @io.on("load?")
    def here() -> dict[str, Any]:
        """Another server asks how busy this one is."""
        return {"server": name, "clients": len(io.sockets.sockets)}

    return io


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--name", default="server")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--adapter", choices=("classic", "sharded"), default="classic")
    parser.add_argument("--key", default="socket.io", help="the channel prefix")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    options = parser.parse_args()
    if options.adapter == "sharded":
        adapter: Any = ShardedRedisAdapter(options.redis, channel_prefix=options.key)
    else:
        adapter = RedisAdapter(options.redis, key=options.key)
    io = build_server(options.name, adapter)
    run_server(io, options.host, options.port, backend=options.backend)


if __name__ == "__main__":
    main()
