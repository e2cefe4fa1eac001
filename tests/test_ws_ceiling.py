"""The benchmark's bare wsproto ceiling answers what the load generator sends, and only that.

A wsproto client feeds bytes to the server's Protocol with no socket and reads what it writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from script_module import load_script
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Request,
    TextMessage,
)

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "servers" / "ws_ceiling.py"


ceiling = load_script(SCRIPT, "ws_ceiling")


class FakeTransport:
    """Collects what the server writes; remembers whether it closed."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


class Client:
    """A wsproto client wired to one server Protocol."""

    def __init__(self) -> None:
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.transport = FakeTransport()
        self.server = ceiling.CeilingProtocol()
        self.server.connection_made(self.transport)

    def send(self, event: Event) -> list[Event]:
        """Sends one event; returns the events the server's answer makes on the client."""
        self.server.data_received(self.ws.send(event))
        answer = bytes(self.transport.written)
        self.transport.written.clear()
        self.ws.receive_data(answer)
        return list(self.ws.events())

    def upgrade(self) -> list[Event]:
        return self.send(Request(host="127.0.0.1", target="/socket.io/?EIO=4&transport=websocket"))


@pytest.fixture
def client() -> Client:
    connected = Client()
    connected.upgrade()
    connected.send(TextMessage(data="40"))
    return connected


def test_the_upgrade_is_accepted_with_an_open_packet_offering_no_upgrades() -> None:
    accept, opened = Client().upgrade()
    assert isinstance(accept, AcceptConnection)
    assert isinstance(opened, TextMessage)
    assert opened.data.startswith("0")
    handshake = json.loads(opened.data[1:])
    assert handshake["upgrades"] == []
    assert handshake["sid"]


def test_a_connect_to_the_main_namespace_is_answered_with_a_sid() -> None:
    fresh = Client()
    fresh.upgrade()
    (connected,) = fresh.send(TextMessage(data="40"))
    assert isinstance(connected, TextMessage)
    assert connected.data.startswith("40{")
    assert json.loads(connected.data[2:])["sid"]


def test_an_echo_event_is_acked_with_its_payload_as_sent(client: Client) -> None:
    (ack,) = client.send(TextMessage(data='4217["echo","a]b"]'))
    assert ack == TextMessage(data='4317["a]b"]')


def test_a_binary_echo_is_acked_then_its_attachment_comes_back_verbatim(client: Client) -> None:
    header = '451-3["echo",{"_placeholder":true,"num":0}]'
    (ack,) = client.send(TextMessage(data=header))
    (attachment,) = client.send(BytesMessage(data=b"\x00\x07" * 100))
    assert ack == TextMessage(data='461-3[{"_placeholder":true,"num":0}]')
    assert attachment == BytesMessage(data=b"\x00\x07" * 100)


def test_an_event_without_an_ack_id_gets_no_answer(client: Client) -> None:
    assert client.send(TextMessage(data='42["echo","x"]')) == []


def test_a_close_is_answered_and_the_connection_closed(client: Client) -> None:
    (closing,) = client.send(CloseConnection(code=1000))
    assert isinstance(closing, CloseConnection)
    assert client.transport.closed
