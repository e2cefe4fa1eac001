"""The reference ceiling: a bare WebSocket echo server on our stack, with no Engine.IO/Socket.IO.

wsproto on an asyncio Protocol (on uvloop when installed, as ``run_server`` does), doing only
what ``load.mjs`` needs to run its echo, connect-ws and memory scenarios against it:

- it accepts any WebSocket upgrade (no permessage-deflate, like the other servers) and sends an
  Engine.IO open packet offering no upgrades and no heartbeats within any scenario's length;
- it answers the Socket.IO CONNECT to the main namespace ``/`` (the only one it knows);
- it answers ``42<id>["echo",<payload>]`` with ``43<id>[<payload>]`` and, for binary,
  ``451-<id>["echo",<placeholder>]`` with ``461-<id>[<placeholder>]``, by slicing the text: no
  JSON is parsed or built. An attachment frame is sent back verbatim as it arrives, which keeps
  it after its ack's text, as Socket.IO requires.

Every frame still goes through wsproto both ways, and output is written once per read, so what
it spends per message is the least any Python server on wsproto can: the ceiling that sio-core's
echo figures are measured against. Fan-out and polling are out of its scope.

    .venv/bin/python benchmarks/servers/ws_ceiling.py --port 3000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
from collections.abc import Callable, Coroutine
from typing import Any, cast

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Request,
    TextMessage,
)
from wsproto.utilities import ProtocolError

# Heartbeats are not what is measured: a 5-minute interval (the client gives up after interval
# plus timeout) outlasts every scenario, so neither side ever sends a ping.
OPEN = (
    '0{{"sid":"{sid}","upgrades":[],"pingInterval":300000,"pingTimeout":20000,'
    '"maxPayload":1000000}}'
)
CONNECTED = '40{{"sid":"{sid}"}}'
ECHO_ARGS = '["echo",'
ACK_TYPE = {"2": "3", "5": "6"}  # EVENT -> ACK, BINARY_EVENT -> BINARY_ACK

_session_ids = itertools.count()


def ack_for(packet: str) -> str | None:
    """``42<id>["echo",P]`` -> ``43<id>[P]`` (and ``45``/``46`` with the attachment count).

    None when the packet is not an echo event with an id (nothing to answer).
    """
    ack_type = ACK_TYPE.get(packet[1:2])
    if ack_type is None:
        return None
    start = packet.find(ECHO_ARGS, 2)
    if start <= 2 or not packet[start - 1].isdigit():
        return None
    return "4" + ack_type + packet[2:start] + "[" + packet[start + len(ECHO_ARGS) :]


class CeilingProtocol(asyncio.Protocol):
    """One connection: wsproto fed every read, its answers written in one call per read."""

    def __init__(self) -> None:
        self.ws = WSConnection(ConnectionType.SERVER)
        self.transport: asyncio.Transport | None = None
        self.sid = f"c{next(_session_ids)}"
        self.text: list[str] = []  # the parts of a text message split across reads
        self.binary: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is no subclass of it

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        try:
            self.ws.receive_data(data)
            out = b"".join(self.answer(event) for event in self.ws.events())
        except ProtocolError:
            self.transport.abort()
            return
        if out:
            self.transport.write(out)
        if self.ws.state is ConnectionState.CLOSED:
            self.transport.close()

    def eof_received(self) -> None:
        with contextlib.suppress(ProtocolError):
            self.ws.receive_data(None)

    def answer(self, event: Event) -> bytes:
        """The bytes that answer one wsproto event (often none)."""
        if isinstance(event, TextMessage):
            self.text.append(event.data)
            if not event.message_finished:
                return b""
            packet = "".join(self.text)
            self.text.clear()
            return self.answer_packet(packet)
        if isinstance(event, BytesMessage):
            self.binary.append(bytes(event.data))
            if not event.message_finished:
                return b""
            attachment = b"".join(self.binary)
            self.binary.clear()
            return self.ws.send(BytesMessage(data=attachment))
        if isinstance(event, Request):
            accept = self.ws.send(AcceptConnection())
            return accept + self.ws.send(TextMessage(data=OPEN.format(sid=self.sid)))
        if isinstance(event, (CloseConnection, Ping)):
            return self.ws.send(event.response())
        return b""

    def answer_packet(self, packet: str) -> bytes:
        """Socket.IO CONNECT to ``/`` and echo events get an answer; anything else, none."""
        if packet[:1] != "4":
            return b""
        if packet == "40" or packet.startswith("40{"):
            return self.ws.send(TextMessage(data=CONNECTED.format(sid=self.sid)))
        ack = ack_for(packet)
        return b"" if ack is None else self.ws.send(TextMessage(data=ack))


def event_loop_runner() -> tuple[Callable[[Coroutine[Any, Any, None]], None], str]:
    """uvloop's runner when installed, as ``run_server`` and uvicorn use it; else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run, "asyncio"
    return uvloop.run, "uvloop"


async def serve(host: str, port: int, loop_name: str) -> None:
    """Serves until SIGINT or SIGTERM (handled here, even if the parent shell ignored SIGINT)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(CeilingProtocol, host, port)
    print(f"listening on http://{host}:{port} ({loop_name})", flush=True)
    await stop.wait()
    server.close()  # open connections go with the loop: nothing to finish gracefully


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    options = parser.parse_args()
    run, loop_name = event_loop_runner()
    run(serve(options.host, options.port, loop_name))


if __name__ == "__main__":
    main()
