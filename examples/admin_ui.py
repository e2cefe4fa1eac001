"""A Socket.IO server the admin UI (npm ``@socket.io/admin-ui``) can watch, with rooms to see.

    python examples/admin_ui.py --port 3000 --password changeit

Then open the UI (https://admin.socket.io, or the package's ``ui/dist`` served from anywhere;
``--ui-origin`` names where from), give it the server URL ``http://127.0.0.1:3000``, the user
``admin`` and the password. Clients of ``/`` join and leave rooms with ``join`` and ``leave``
events (each answered with the rooms the socket is in), and the UI shows them as they do.
"""

from __future__ import annotations

import argparse

import bcrypt
from sio_anyio import Server, Socket, instrument, run_server

from sio_core.config import CorsOptions


def build_server(
    ui_origins: tuple[str, ...], username: str, password: str, *, read_only: bool = False
) -> Server:
    """The server, open to the UI's pages, instrumented with basic authentication."""
    # The UI's client sends credentials (cookies, for sticky sessions): CORS must allow them.
    io = Server(cors=CorsOptions(origins=ui_origins, credentials=True))
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
    instrument(
        io,
        auth={"type": "basic", "username": username, "password": hashed},
        read_only=read_only,
    )

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        @socket.on("join")
        def join(room: str) -> list[str]:
            socket.join(room)
            return sorted(socket.rooms)

        @socket.on("leave")
        def leave(room: str) -> list[str]:
            socket.leave(room)
            return sorted(socket.rooms)

    return io


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument(
        "--ui-origin",
        action="append",
        help="an origin the UI is served from (repeatable; default https://admin.socket.io)",
    )
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--read-only", action="store_true")
    options = parser.parse_args()
    origins = tuple(options.ui_origin or ["https://admin.socket.io"])
    io = build_server(origins, options.username, options.password, read_only=options.read_only)
    run_server(io, options.host, options.port, backend=options.backend)
