"""Socket.IO beside FastAPI routes: ``io.asgi_app()`` mounted at ``/socket.io``.

    uvicorn --app-dir examples asgi_fastapi:app --port 3000
    hypercorn --worker-class trio --bind 127.0.0.1:3000 examples/asgi_fastapi:app

``GET /hello`` is FastAPI's; a Socket.IO client connects to ``http://127.0.0.1:3000`` and
every ``chat message`` it sends is broadcast to every client. Mounted apps get no lifespan
from the framework, so the FastAPI lifespan runs the server's tasks (without it they would
start with the first Socket.IO request) and closes it gracefully at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sio_anyio import Server, Socket

io = Server()


@io.on("connection")
def on_connection(socket: Socket) -> None:
    @socket.on("chat message")
    def chat_message(message: str) -> None:
        io.emit("chat message", message)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with io.running():
        yield
        await io.close()


app = FastAPI(lifespan=lifespan)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


app.mount("/socket.io", io.asgi_app())
