"""The server that Socket.IO conformance and interop checks expect.

On ``/`` and ``/custom`` each new socket is sent ``auth`` with its handshake's auth payload.
On ``/``: ``message`` is answered by ``message-back`` with the same arguments (binary included)
and ``message-with-ack`` is acknowledged with the same arguments. A few more events exercise
rooms, server-side acks and disconnects for the interop tests (see ``on_connection``);
``/restricted`` refuses connections without ``auth.token == "secret"``. ``--parser msgpack``
speaks npm ``socket.io-msgpack-parser`` instead of the default JSON format.

    python examples/conformance.py --port 3000 --backend trio [--parser msgpack]
    python examples/conformance.py --port 3000 --asgi hypercorn --backend trio

``--asgi uvicorn`` (asyncio) or ``--asgi hypercorn`` (asyncio or trio) serves the same server
through ``io.asgi_app()`` under that ASGI server instead of the native one.
"""

from __future__ import annotations

import argparse
import socket
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


def serve_asgi(io: Server, asgi_server: str, host: str, port: int, backend: str) -> None:
    """Serve ``io.asgi_app()`` under uvicorn or hypercorn until interrupted.

    The socket is bound here, so that the ``listening on`` line can be printed before the
    ASGI server takes over (connections made meanwhile wait in the backlog).
    """
    listener = socket.create_server((host, port), reuse_port=False)
    bound_host, bound_port = listener.getsockname()[:2]
    print(f"listening on http://{bound_host}:{bound_port}", flush=True)
    # Each ASGI server types the application in its own way; ours is a plain ASGI 3 callable.
    app: Any = io.asgi_app()
    if asgi_server == "uvicorn":
        import uvicorn

        uvicorn_config = uvicorn.Config(app, lifespan="on", log_level="warning")
        uvicorn.Server(uvicorn_config).run(sockets=[listener])
        return
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns the socket from now on
    config.loglevel = "WARNING"
    if backend == "trio":
        import hypercorn.trio
        import trio

        trio.run(hypercorn.trio.serve, app, config)
    else:
        import asyncio

        import hypercorn.asyncio

        asyncio.run(hypercorn.asyncio.serve(app, config))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--ping-interval", type=int, default=25000, help="milliseconds")
    parser.add_argument("--ping-timeout", type=int, default=20000, help="milliseconds")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--parser", choices=("json", "msgpack"), default="json")
    parser.add_argument(
        "--asgi", choices=("uvicorn", "hypercorn"), help="serve through this ASGI server"
    )
    options = parser.parse_args()
    if options.asgi == "uvicorn" and options.backend != "asyncio":
        parser.error("uvicorn runs on asyncio only: use --asgi hypercorn --backend trio")
    io = build_server(options.ping_interval / 1000, options.ping_timeout / 1000, options.parser)
    if options.asgi:
        serve_asgi(io, options.asgi, options.host, options.port, options.backend)
    else:
        run_server(io, options.host, options.port, backend=options.backend)


if __name__ == "__main__":
    main()
