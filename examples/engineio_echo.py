"""A plain Engine.IO server that echoes every message back, text and binary alike.

Run it with ``python examples/engineio_echo.py --port 3000`` and point any Engine.IO v4 client
at ``http://127.0.0.1:3000/engine.io/``. Durations on the command line are milliseconds, like
the Node server's options.
"""

from __future__ import annotations

import argparse
import signal

import anyio
from sio_anyio import EngineIOServer

from sio_core.config import EngineConfig
from sio_core.events import Event, MessageReceived


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--ping-interval", type=int, default=25000, help="milliseconds")
    parser.add_argument("--ping-timeout", type=int, default=20000, help="milliseconds")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    config = EngineConfig(
        path="/engine.io/",
        ping_interval=args.ping_interval / 1000,
        ping_timeout=args.ping_timeout / 1000,
    )

    def echo(event: Event) -> None:
        if isinstance(event, MessageReceived):
            server.send(event.sid, event.data)

    server = EngineIOServer(config, echo)
    async with anyio.create_task_group() as tasks:
        host, port = await tasks.start(server.serve, args.host, args.port)
        print(f"listening on http://{host}:{port}", flush=True)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                break
        await server.close()


if __name__ == "__main__":
    arguments = parse_args()
    anyio.run(main, arguments, backend=arguments.backend)
