"""``Server(parser=...)``: every packet of every client in the chosen format, here msgpack."""

from __future__ import annotations

from typing import Any

import anyio
import msgpack
import pytest
from sio_anyio import Server, Socket

from sio_core.socketio.msgpack_parser import MsgpackParser

pytestmark = pytest.mark.anyio

TIMEOUT = 5


async def next_packet(ws: Any) -> dict[str, Any]:
    """The next Socket.IO packet, a binary WebSocket message; pings are answered on the way."""
    while True:
        message = await ws.receive_message()
        if isinstance(message, str):
            assert message == "2", message
            await ws.send_message("3")
            continue
        packet: dict[str, Any] = msgpack.unpackb(message)
        return packet


def packed(**fields: Any) -> bytes:
    return bytes(msgpack.packb(fields))


@pytest.mark.parametrize("parser", ["msgpack", MsgpackParser()], ids=["name", "object"])
async def test_a_msgpack_server_connects_and_acks_with_binary(wire, parser: Any) -> None:
    io = Server(parser=parser)

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("upload", lambda blob: (blob[::-1], socket.handshake.auth["token"]))

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            ws = await wire.ws(port, "/socket.io/?EIO=4&transport=websocket")
            assert isinstance(await ws.receive_message(), str)  # Engine.IO's open packet
            await ws.send_message(packed(type=0, data={"token": "t"}, nsp="/"))
            reply = await next_packet(ws)
            options = {"compress": True}
            await ws.send_message(
                packed(type=2, data=["upload", b"\x01\x02"], options=options, id=7, nsp="/")
            )
            ack = await next_packet(ws)
            await ws.aclose()
    assert (reply["type"], set(reply["data"]), reply["nsp"]) == (0, {"sid"}, "/")
    assert ack == {"id": 7, "type": 3, "data": [b"\x02\x01", "t"], "nsp": "/"}


def test_a_parser_name_the_server_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown parser 'yaml'"):
        Server(parser="yaml")  # type: ignore[arg-type]
