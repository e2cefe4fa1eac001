"""The server that Socket.IO conformance and interop checks expect.

On ``/`` and ``/custom`` each new socket is sent ``auth`` with its handshake's auth payload.
On ``/``: ``message`` is answered by ``message-back`` with the same arguments (binary included)
and ``message-with-ack`` is acknowledged with the same arguments. A few more events exercise
rooms, server-side acks and disconnects for the interop tests (see ``on_connection``);
``/restricted`` refuses connections without ``auth.token == "secret"``. ``--parser msgpack``
speaks npm ``socket.io-msgpack-parser`` instead of the default JSON format.

    python examples/conformance.py --port 3000 --backend trio [--parser msgpack]
"""

from __future__ import annotations

import argparse
from typing import Any, Literal

from sio_anyio import ConnectionRejected, Server, Socket, run_server


def build_server(
    ping_interval: float, ping_timeout: float, parser: Literal["json", "msgpack"] = "json"
) -> Server:
    """The conformance server, with its handlers registered."""
    io = Server(ping_interval=ping_interval, ping_timeout=ping_timeout, parser=parser)

    @io.on("connection")
    async def on_connection(socket: Socket) -> None:
        socket.emit("auth", socket.handshake.auth)

        @socket.on("message")
        def message(*args: Any) -> None:
            socket.emit("message-back", *args)

        @socket.on("message-with-ack")
        def message_with_ack(*args: Any) -> tuple[Any, ...]:
            return args

        @socket.on("join")
        def join(room: str) -> str:
            socket.join(room)
            return "joined"

        @socket.on("to-room")
        def to_room(room: str, payload: Any) -> None:
            io.to(room).emit("room-message", payload)

        @socket.on("server-ack")
        async def server_ack(*_: Any) -> None:
            try:
                answer = await socket.timeout(2.0).emit_with_ack("ping-me")
            except Exception:
                answer = "timeout"
            socket.emit("server-ack-result", answer)

        @socket.on("disconnect-me")
        def disconnect_me(*_: Any) -> None:
            socket.disconnect()

        @socket.on("close-me")
        def close_me(*_: Any) -> None:
            socket.disconnect(True)

    @io.of("/custom").on("connection")
    def on_custom(socket: Socket) -> None:
        socket.emit("auth", socket.handshake.auth)

    restricted = io.of("/restricted")

    @restricted.use
    def require_token(socket: Socket) -> None:
        if socket.handshake.auth.get("token") != "secret":
            raise ConnectionRejected("not authorized", {"reason": "no token"})

    @restricted.on("connection")
    def on_restricted(socket: Socket) -> None:
        socket.emit("auth", socket.handshake.auth)

    return io


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--ping-interval", type=int, default=25000, help="milliseconds")
    parser.add_argument("--ping-timeout", type=int, default=20000, help="milliseconds")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--parser", choices=("json", "msgpack"), default="json")
    options = parser.parse_args()
    io = build_server(options.ping_interval / 1000, options.ping_timeout / 1000, options.parser)
    run_server(io, options.host, options.port, backend=options.backend)


if __name__ == "__main__":
    main()
