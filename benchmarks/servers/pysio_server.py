"""The benchmark server on python-socketio's AsyncServer under uvicorn, for comparison.

Same handlers as ``sio_core_server.py``. uvicorn runs with its defaults from
``uvicorn[standard]`` (uvloop and httptools when installed, one worker), as it is usually
deployed; access logs are off as they would be under load. WebSocket permessage-deflate, which
uvicorn accepts by default, is off unless ``--ws-deflate``: Node's socket.io and sio-core do
not compress by default, and compressing only here would measure zlib, not Socket.IO.

    benchmarks/.venv-cmp/bin/python benchmarks/servers/pysio_server.py --port 3000
"""

from __future__ import annotations

import argparse
from typing import Any

import socketio  # type: ignore[import-untyped]
import uvicorn


def build_app() -> Any:
    """The benchmark handlers on an ASGI AsyncServer with default options."""
    sio = socketio.AsyncServer(async_mode="asgi")

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.enter_room(sid, "all")

    @sio.event
    async def echo(sid: str, payload: Any) -> Any:
        return payload

    @sio.event
    async def fanout(sid: str, count: int) -> None:
        for index in range(count):
            await sio.emit("tick", index, room="all")

    return socketio.ASGIApp(sio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--ws-deflate", action="store_true", help="accept permessage-deflate")
    options = parser.parse_args()
    print(f"listening on http://{options.host}:{options.port}", flush=True)
    uvicorn.run(
        build_app(),
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=options.ws_deflate,
    )


if __name__ == "__main__":
    main()
