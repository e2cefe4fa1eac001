"""Starlette routes behind Socket.IO: ``io.asgi_app(other_app=starlette_app)``.

    uvicorn --app-dir examples asgi_starlette:app --port 3000
    hypercorn --worker-class trio --bind 127.0.0.1:3000 examples/asgi_starlette:app

The Socket.IO app is the outer one: it serves ``/socket.io/`` and hands every other request,
and the lifespan, to Starlette (the server's tasks run for the lifespan, and the server closes
gracefully before Starlette's own shutdown). ``GET /hello`` is Starlette's; every
``chat message`` a client sends is broadcast to every client.
"""

from __future__ import annotations

from sio_anyio import Server, Socket
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

io = Server()


@io.on("connection")
def on_connection(socket: Socket) -> None:
    @socket.on("chat message")
    def chat_message(message: str) -> None:
        io.emit("chat message", message)


async def hello(_: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


app = io.asgi_app(other_app=Starlette(routes=[Route("/hello", hello)]))
