"""A small multi-room chat on sio-core's Socket.IO server, page and all, from one process.

Run it with ``python examples/chat/server.py --port 3000`` and open http://127.0.0.1:3000/ in two
windows. The chat protocol (events, payloads, acknowledgements) is written down in
``examples/chat/README.md``; the page is ``examples/chat/static/``, and the JavaScript client is
the npm package ``socket.io-client``, served from ``node_modules`` as it was installed.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from sio_anyio import Fallback, Server, Socket

from sio_core.http import HttpRequest, HttpResponse

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CLIENT_DIRS = (
    REPO / "tests" / "interop" / "node_modules" / "socket.io-client" / "dist",
    HERE / "node_modules" / "socket.io-client" / "dist",
)
MAX_NICK, MAX_ROOM, MAX_TEXT = 20, 30, 500

Ack = Callable[..., Any]
"""What answers a request: ``sio_anyio`` passes one to a handler that takes an ``ack`` keyword."""


def no_ack(*answer: Any) -> None:
    """The ``ack`` of a request sent without a callback: the answer goes nowhere."""


# ---- the page: a fixed list of files, so no request path can reach anything else ----------


def static_files(client_dir: Path) -> dict[str, tuple[Path, str]]:
    """URL path -> (file, content type) for everything the page needs."""
    page = HERE / "static"
    js = "text/javascript; charset=utf-8"
    return {
        "/": (page / "index.html", "text/html; charset=utf-8"),
        "/index.html": (page / "index.html", "text/html; charset=utf-8"),
        "/app.js": (page / "app.js", js),
        "/style.css": (page / "style.css", "text/css; charset=utf-8"),
        "/socket.io-client/socket.io.min.js": (client_dir / "socket.io.min.js", js),
        "/socket.io-client/socket.io.min.js.map": (
            client_dir / "socket.io.min.js.map",
            "application/json",
        ),
    }


def plain(status: int, text: str, *extra: tuple[str, str]) -> HttpResponse:
    headers = (("Content-Type", "text/plain; charset=utf-8"), *extra)
    return HttpResponse(status=status, headers=headers, body=text.encode())


def static_site(client_dir: Path) -> Fallback:
    """The server's fallback: answers every request outside Socket.IO's path."""
    files = static_files(client_dir)

    async def serve_file(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return plain(405, "Method Not Allowed", ("Allow", "GET, HEAD"))
        found = files.get(request.path)
        if found is None:
            return plain(404, "Not Found")
        path, content_type = found
        body = await anyio.Path(path).read_bytes()
        headers: tuple[tuple[str, str], ...] = (
            ("Content-Type", content_type),
            ("Cache-Control", "no-cache"),
        )
        if request.method == "HEAD":
            headers = (*headers, ("Content-Length", str(len(body))))
            body = b""
        return HttpResponse(status=200, headers=headers, body=body)

    return serve_file


def find_client_dir(given: Path | None) -> Path:
    """Where socket.io.min.js is: the folder given, else the first npm install that has it."""
    candidates = (given,) if given is not None else CLIENT_DIRS
    for folder in candidates:
        if (folder / "socket.io.min.js").is_file():
            return folder
    tried = ", ".join(str(folder) for folder in candidates)
    sys.exit(f"socket.io.min.js not found in {tried}: run `make npm` (npm ci in tests/interop)")


# ---- who is who and where: plain data, no I/O --------------------------------------------


def clean(
    value: object, limit: int, what: str, *, printable: bool = True
) -> tuple[str, str | None]:
    """The trimmed string and None, or "" and the reason it is refused, in words for people.

    Names must be printable (no control characters hiding in a user list); a message need not.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= limit:
        return "", f"{what} has 1 to {limit} characters"
    if printable and not text.isprintable():
        return "", f"{what} has printable characters only"
    return text, None


@dataclasses.dataclass(slots=True, kw_only=True)
class Member:
    """One connected socket: its nickname once chosen, and the chat rooms it joined."""

    nick: str | None = None
    rooms: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass(slots=True, kw_only=True)
class Chat:
    """The chat's state, kept apart from the server's own rooms (which also hold each socket's
    private room) so that a room's nicknames are one lookup away."""

    members: dict[str, Member] = dataclasses.field(default_factory=dict)

    def nick_taken(self, nick: str, by: str) -> bool:
        wanted = nick.casefold()
        return any(
            sid != by and m.nick is not None and m.nick.casefold() == wanted
            for sid, m in self.members.items()
        )

    def users(self, room: str) -> list[str]:
        return sorted(m.nick for m in self.members.values() if room in m.rooms and m.nick)


def as_fields(message: object) -> dict[str, Any]:
    """A payload that should be an object, as a dict (empty when it was anything else)."""
    return message if isinstance(message, dict) else {}


def now_ms() -> int:
    """The time stamp of messages, like the browser's ``Date.now()``."""
    return int(time.time() * 1000)


# ---- the protocol ------------------------------------------------------------------------


class Connection:
    """One page's socket speaking the chat protocol of README.md, one method per event."""

    def __init__(self, io: Server, chat: Chat, socket: Socket) -> None:
        self.io, self.chat, self.socket = io, chat, socket
        self.me = chat.members[socket.id] = Member()

    def bind(self) -> None:
        """Register the handlers. Those taking ``ack`` answer by calling it, which lets
        ``join room`` answer before it tells the room (a returned value would go last)."""
        handlers: dict[str, Callable[..., Any]] = {
            "set nickname": self.set_nickname,
            "join room": self.join_room,
            "leave room": self.leave_room,
            "chat message": self.chat_message,
            "typing": self.typing,
            "disconnect": self.disconnect,
        }
        for event, handler in handlers.items():
            self.socket.on(event, handler)

    # what the room hears

    def system(self, room: str, text: str) -> None:
        payload = {"room": room, "text": text, "at": now_ms()}
        self.io.to(room).emit("system message", payload)

    def room_users(self, room: str) -> None:
        self.io.to(room).emit("room users", {"room": room, "users": self.chat.users(room)})

    def gone(self, room: str) -> None:
        """Tell ``room``, which this socket has left already, that its nick is gone."""
        self.me.rooms.discard(room)
        self.io.to(room).emit("typing", {"room": room, "nick": self.me.nick, "on": False})
        self.system(room, f"{self.me.nick} left")
        self.room_users(room)

    def my_room(self, fields: dict[str, Any]) -> str | None:
        """The ``room`` of a ``{room, ...}`` payload when this socket is in it."""
        room = fields.get("room")
        return room if isinstance(room, str) and room in self.me.rooms else None

    # the events

    async def set_nickname(self, name: object, ack: Ack = no_ack) -> None:
        nick, error = clean(name, MAX_NICK, "a nickname")
        if error is None and self.chat.nick_taken(nick, self.socket.id):
            error = f"{nick} is taken"
        if error is not None:
            ack({"ok": False, "error": error})
            return
        old, self.me.nick = self.me.nick, nick
        ack({"ok": True, "nick": nick})
        for room in sorted(self.me.rooms):
            if old != nick:
                self.system(room, f"{old} is now known as {nick}")
            self.room_users(room)

    async def join_room(self, name: object, ack: Ack = no_ack) -> None:
        room, error = clean(name, MAX_ROOM, "a room name")
        if self.me.nick is None:
            error = "pick a nickname first"
        if error is not None:
            ack({"ok": False, "error": error})
            return
        already = room in self.me.rooms
        if not already:
            self.me.rooms.add(room)
            self.socket.join(room)
        # The ack goes first so that the page knows the room before its first event arrives.
        ack({"ok": True, "room": room, "users": self.chat.users(room)})
        if not already:
            self.system(room, f"{self.me.nick} joined")
            self.room_users(room)

    async def leave_room(self, name: object, ack: Ack = no_ack) -> None:
        if isinstance(name, str) and name in self.me.rooms:
            self.socket.leave(name)
            self.gone(name)
        ack({"ok": True})

    async def chat_message(self, message: object, ack: Ack = no_ack) -> None:
        fields = as_fields(message)
        room = self.my_room(fields)
        if room is None:
            ack({"ok": False, "error": "join the room first"})
            return
        text, error = clean(fields.get("text"), MAX_TEXT, "a message", printable=False)
        if error is not None:
            ack({"ok": False, "error": error})
            return
        payload = {"room": room, "nick": self.me.nick, "text": text, "at": now_ms()}
        self.io.to(room).emit("chat message", payload)  # the sender included
        ack({"ok": True})

    async def typing(self, message: object) -> None:
        fields = as_fields(message)
        room = self.my_room(fields)
        if room is not None:
            payload = {"room": room, "nick": self.me.nick, "on": bool(fields.get("on"))}
            self.socket.to(room).emit("typing", payload)  # everyone else

    async def disconnect(self, reason: str) -> None:
        # Like Node's, a disconnected socket has already left every room.
        for room in sorted(self.me.rooms):
            self.gone(room)
        del self.chat.members[self.socket.id]


def attach(io: Server, chat: Chat) -> None:
    """Serve the chat protocol on ``io``'s main namespace."""

    async def on_connection(socket: Socket) -> None:
        Connection(io, chat, socket).bind()

    io.on("connection", on_connection)


# ---- the command line --------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--client-dir", type=Path, help="folder holding socket.io.min.js")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace, client_dir: Path) -> None:
    io = Server(fallback=static_site(client_dir))
    attach(io, Chat())
    async with anyio.create_task_group() as tasks:
        host, port = await tasks.start(io.serve, args.host, args.port)
        print(f"listening on http://{host}:{port}", flush=True)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                break
        await io.close()


if __name__ == "__main__":
    arguments = parse_args()
    anyio.run(main, arguments, find_client_dir(arguments.client_dir), backend=arguments.backend)
