"""Socket.IO clients on blocking sockets, for the benchmarks that drive a server from threads.

``fairness.py`` and ``soak.py`` use them: a WebSocket client (:class:`WsPeer`) whose frames a
flood can also bypass (:func:`client_frame`: built by hand, masked with a zero key, so what
is written is what the server reads), and a long-polling one (:class:`PollingPeer`). Both
connect a Socket.IO socket to ``/`` on construction; every read has a timeout.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator

import h11
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Event, Request, TextMessage

WS_TARGET = "/socket.io/?EIO=4&transport=websocket"
POLLING_TARGET = "/socket.io/?EIO=4&transport=polling"
SOCKET_TIMEOUT = 10.0
_ZERO_MASK = b"\x00\x00\x00\x00"


def client_frame(text: str) -> bytes:
    """A final text frame from a client, masked with a zero key (its payload reads as sent)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, 0x80 | size))
    elif size < 1 << 16:
        header = bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 0x80 | 127)) + size.to_bytes(8, "big")
    return header + _ZERO_MASK + payload


def _close(sock: socket.socket) -> None:
    """Close, waking a thread blocked reading (a plain close would leave it blocked)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class WsPeer:
    """A WebSocket client with a connected Socket.IO socket on ``/``."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self._send_lock = threading.Lock()
        self.sock.sendall(self.ws.send(Request(host="127.0.0.1", target=WS_TARGET)))
        accepted = next(self.events())
        assert isinstance(accepted, AcceptConnection), accepted
        assert next(self.texts()).startswith("0"), "no Engine.IO open packet"
        self.send("40")
        answer = next(self.texts())
        assert answer.startswith("40{"), answer

    def send(self, text: str) -> None:
        """One text message (a whole Engine.IO packet); safe from several threads."""
        with self._send_lock:
            self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def events(self) -> Iterator[Event]:
        while True:
            yield from self.ws.events()
            data = self.sock.recv(65536)
            if not data:
                return
            self.ws.receive_data(data)

    def texts(self) -> Iterator[str]:
        """Each text message; Engine.IO pings are answered on the way."""
        for event in self.events():
            if isinstance(event, TextMessage):
                if event.data == "2":
                    self.send("3")
                else:
                    yield event.data

    def close(self) -> None:
        _close(self.sock)


class PollingPeer:
    """A long-polling client on one keep-alive connection, with a Socket.IO socket on ``/``."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        self.http = h11.Connection(h11.CLIENT)
        opening = self.request("GET", POLLING_TARGET)
        self.url = f"{POLLING_TARGET}&sid={json.loads(opening[1:])['sid']}"
        assert self.request("POST", self.url, "40") == "ok"
        answer = self.request("GET", self.url)
        assert answer.startswith("40{"), answer

    def request(self, method: str, target: str, body: str = "") -> str:
        """One request and its whole answer's body (status 200 required)."""
        headers = [("Host", "127.0.0.1"), ("Content-Length", str(len(body.encode())))]
        for event in (
            h11.Request(method=method, target=target, headers=headers),
            h11.Data(data=body.encode()),
            h11.EndOfMessage(),
        ):
            self.sock.sendall(self.http.send(event) or b"")
        status, chunks = 0, []
        while not isinstance(event := self._next_event(), h11.EndOfMessage):
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
        self.http.start_next_cycle()
        assert status == 200, (status, b"".join(chunks))
        return b"".join(chunks).decode()

    def close(self) -> None:
        """Close the Engine.IO session (a ``1`` packet), then the connection."""
        self.request("POST", self.url, "1")
        _close(self.sock)

    def _next_event(self) -> h11.Event:
        while (event := self.http.next_event()) is h11.NEED_DATA:
            self.http.receive_data(self.sock.recv(65536))
        assert not isinstance(event, type), event  # h11.PAUSED: not expected of a client
        return event
