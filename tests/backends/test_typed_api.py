"""Typed decorators: every decorator hands back the function with its type (mypy --strict).

A user's module using each decorator is checked with mypy's API: it must pass ``--strict``,
and ``reveal_type`` must show each decorated function's own signature, not ``Any``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]

USER_MODULE = """
from typing import Any, TypedDict

from sio_anyio import Ack, Server, Socket, Transport


class UserData(TypedDict, total=False):
    username: str


io = Server()
admin = io.of("/admin")


@io.use
async def authenticate(socket: Socket) -> None: ...


@admin.use
def admin_only(socket: Socket) -> None: ...


@io.on("connection")
def on_connection(socket: Socket[UserData]) -> None:
    socket.data["username"] = "alice"

    @socket.on("chat")
    def chat(text: str) -> None: ...

    @socket.once("question")
    async def question(n: int, ack: Ack) -> None: ...

    @socket.use
    def middleware(event: str, args: list[Any]) -> None: ...

    @socket.on_any
    def any_event(event: str, *args: Any) -> None: ...

    @socket.prepend_any
    def first_of_all(event: str, *args: Any) -> None: ...

    @socket.on_any_outgoing
    def outgoing(event: str, *args: Any) -> None: ...

    @socket.conn.on("close")
    def closed(reason: str) -> None: ...

    @socket.conn.once("upgrade")
    def upgraded(transport: Transport) -> None: ...

    reveal_type(chat)
    reveal_type(question)
    reveal_type(middleware)
    reveal_type(any_event)
    reveal_type(first_of_all)
    reveal_type(outgoing)
    reveal_type(closed)
    reveal_type(upgraded)
    reveal_type(socket.data)
    reveal_type(socket.conn.transport.name)


@admin.on("connection")
async def on_admin(socket: Socket) -> None: ...


@io.sockets.once("connection")
def first_connection(socket: Socket) -> None: ...


reveal_type(authenticate)
reveal_type(admin_only)
reveal_type(on_connection)
reveal_type(on_admin)
reveal_type(first_connection)
"""

REVEALED = [
    "def (text: str)",
    "def (n: int, ack: sio_anyio.socket.Ack) -> typing.Coroutine[Any, Any, None]",
    "def (event: str, args: list[Any])",
    "def (event: str, *args: Any)",
    "def (event: str, *args: Any)",
    "def (event: str, *args: Any)",
    "def (reason: str)",
    "def (transport: sio_anyio.conn.Transport)",
    "TypedDict(user.UserData, {username?: str})",
    "str",
    "def (socket: sio_anyio.socket.Socket[dict[str, Any]]) -> typing.Coroutine[Any, Any, None]",
    "def (socket: sio_anyio.socket.Socket[dict[str, Any]])",
    "def (socket: sio_anyio.socket.Socket[TypedDict(user.UserData, {username?: str})])",
    "def (socket: sio_anyio.socket.Socket[dict[str, Any]]) -> typing.Coroutine[Any, Any, None]",
    "def (socket: sio_anyio.socket.Socket[dict[str, Any]])",
]
"""What ``reveal_type`` shows, written without ``builtins.`` and quotes (mypy versions differ)."""


def normalized(revealed: str) -> str:
    return revealed.replace("builtins.", "").replace("'", "")


def test_typed_decorators_keep_each_functions_type_under_mypy_strict(
    tmp_path: Path, monkeypatch
) -> None:
    module = tmp_path / "user.py"
    module.write_text(USER_MODULE)
    monkeypatch.setenv("MYPYPATH", f"{ROOT}{os.pathsep}{ROOT / 'backends'}")
    report, errors, status = api.run(
        ["--strict", "--no-error-summary", "--show-traceback", str(module)]
    )
    revealed = re.findall(r'note: Revealed type is "(.*)"', report)
    problems = [line for line in report.splitlines() if ": error:" in line]
    assert (problems, errors) == ([], "")
    assert status == 0
    assert [normalized(found) for found in revealed] == REVEALED
