"""Node's server-side Socket instance, to the letter: what a Node user tries on day one.

One test (or a few) per item of the port of the "Socket instance" page that once failed,
each on both loops, against a running server and a raw client.
"""

from __future__ import annotations

import anyio
import pytest
from sio_anyio import Server, Socket
from wsproto import events as ws_events

pytestmark = pytest.mark.anyio

TIMEOUT = 5
POLLING = "/socket.io/?EIO=4&transport=polling"


# -- disconnect(True) while the client upgrades ---------------------------------------------


async def test_disconnect_close_while_upgrading_sends_disconnect_over_the_websocket(
    wire,
) -> None:
    """The client has its ``3probe``, stopped polling, and its ``5`` is on the way when the
    server disconnects it: the DISCONNECT waits for the upgrade, then the WebSocket closes."""
    io, gone = Server(), wire.Seen()

    @io.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("bye", lambda: socket.disconnect(True))
        socket.on("disconnect", gone)

    with anyio.fail_after(TIMEOUT):
        async with wire.serving(io) as port:
            http = await wire.http(port)
            sid = wire.open_packet((await http.request("GET", POLLING)).text)["sid"]
            polling = f"{POLLING}&sid={sid}"
            await http.request("POST", polling, b"40")
            assert (await http.request("GET", polling)).text.startswith("40{")
            ws = await wire.ws(port, f"/socket.io/?EIO=4&transport=websocket&sid={sid}")
            await ws.send_message("2probe")
            assert await ws.receive_message() == "3probe"
            assert (await http.request("GET", polling)).text == "6"  # its last poll
            await http.request("POST", polling, b'42["bye"]')
            assert await gone.wait_for(1) == ["server namespace disconnect"]
            await ws.send_message("5")
            disconnect = await ws.receive_message()
            end = await ws.next_event()
            await ws.aclose()
            await http.aclose()
    assert disconnect == "41"
    assert isinstance(end, ws_events.CloseConnection)
