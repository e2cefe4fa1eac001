"""Two Socket.IO servers in one process, on two ports: a public one and an admin one.

``Server.serve`` serves until ``close``; ``await tasks.start(io.serve, host, port)`` returns
once the server listens, with the address it bound. So any number of servers share one task
group, on trio as on asyncio. Here an admin's ``announce`` reaches every public client.

    python examples/two_servers.py --backend trio --ports 3000 3001
"""

from __future__ import annotations

import argparse
import signal

import anyio
import anyio.abc
from sio_anyio import Server, Socket


def build_servers() -> tuple[Server, Server]:
    """The public server and the admin server, which can speak to the public's clients."""
    public, admin = Server(), Server()

    @admin.on("connection")
    def on_admin(socket: Socket) -> None:
        @socket.on("announce")
        def announce(text: str) -> int:
            public.emit("announcement", text)
            return len(public.sockets.sockets)  # the ack: how many clients heard it

    return public, admin


async def serve_both(
    public: Server,
    admin: Server,
    host: str,
    ports: tuple[int, int],
    *,
    task_status: anyio.abc.TaskStatus[list[tuple[str, int]]] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve both until both are closed; reports the two bound addresses once listening."""
    async with anyio.create_task_group() as tasks:
        addresses = [
            await tasks.start(server.serve, host, port)
            for server, port in zip((public, admin), ports, strict=True)
        ]
        task_status.started(addresses)


async def main(host: str, ports: tuple[int, int]) -> None:
    """Serve until SIGINT or SIGTERM, then close both servers gracefully, side by side."""
    public, admin = build_servers()
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with anyio.create_task_group() as tasks:
            addresses = await tasks.start(serve_both, public, admin, host, ports)
            for name, (bound_host, bound_port) in zip(("public", "admin"), addresses, strict=True):
                print(f"{name}: listening on http://{bound_host}:{bound_port}", flush=True)
            async for _ in signals:
                break
            tasks.start_soon(public.close)
            tasks.start_soon(admin.close)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ports", type=int, nargs=2, default=(3000, 3001))
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="trio")
    options = parser.parse_args()
    anyio.run(main, options.host, tuple(options.ports), backend=options.backend)
