"""A server fed arbitrary input at each entrance a client reaches: WebSocket messages, POST
bodies and request targets. Nothing escapes the core, the attacked connection ends (or carries
on) on its own, and another client, one already there and one that comes next, still has its
event acknowledged.

The decoders' own properties (test_engineio_codec, test_socketio_codec, test_msgpack_codec,
test_cluster_wire) feed them bytes directly; these go through the whole server, both parsers.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sio_core import CountingIds, HttpRequest, SocketServer
from sio_core.events import (
    EventReceived,
    HttpResponseReady,
    SocketConnected,
    SocketDisconnected,
    WebSocketAccepted,
)
from sio_core.socketio.msgpack_parser import MsgpackParser
from sio_core.socketio.packets import JsonParser, Packet, PacketType, Parser
from sio_core.testing import Harness, SocketIOClient
from tests.strategies import blobs

PARSERS: list[Parser] = [JsonParser(), MsgpackParser()]


# Engine.IO packets around a Socket.IO payload, valid or nearly: every layer's error paths.
near_misses = st.sampled_from(
    [
        "0", "1", "2", "2probe", "3", "5", "6", "40", "41", "42", '42["e"]', '421["e"]', "43",
        "431[]", '44{"message":"x"}', '451-["e",{"_placeholder":true,"num":0}]', "45", "46",
        "49", "40/chat,", "40/nowhere,", '42/nowhere,["e"]', "4[", "b", "bAQ==", "4\x1e4",
    ]
)  # fmt: skip
texts = near_misses | st.text(max_size=24)
messages = texts | blobs(24)


class Scene:
    """A server with a bystander already connected, and an attacker with a socket of its own."""

    def __init__(self, parser: Parser, attacker_transport: str) -> None:
        self.server = SocketServer(id_generator=CountingIds(), parser=parser)
        self.harness = Harness(self.server)
        self.bystander = SocketIOClient(self.harness)
        bystander_id = self.bystander.connect()
        assert bystander_id is not None
        self.bystander_id = bystander_id
        self.attacker = SocketIOClient(self.harness, transport=attacker_transport)
        attacker_id = self.attacker.connect()
        assert attacker_id is not None
        self.attacker_id = attacker_id

    def check_aftermath(self) -> None:
        """The attacker's socket is connected, or was reported gone once; the bystander and a
        newcomer each get their ack."""
        gone = [e.socket_id for e in self.harness.events_of(SocketDisconnected)]
        assert gone.count(self.attacker_id) == (
            0 if self.server.is_connected(self.attacker_id) else 1
        )
        assert self.bystander_id not in gone
        assert self.bystander.engine.sid in self.server.connections.sids
        _acked(self.harness, self.bystander, self.bystander_id, ack_id=90)
        newcomer = SocketIOClient(self.harness)
        newcomer_id = newcomer.connect()
        assert newcomer_id is not None
        _acked(self.harness, newcomer, newcomer_id, ack_id=91)


def _acked(harness: Harness, client: SocketIOClient, socket_id: str, ack_id: int) -> None:
    """The client emits with an ack; the application answers; the client gets the answer."""
    client.received()
    client.emit("hello", ack_id=ack_id)
    asked = [e for e in harness.events_of(EventReceived) if e.socket_id == socket_id]
    assert asked[-1].ack_id == ack_id
    client.server.ack(socket_id, ack_id, ["hi"])
    harness.pump()
    acks = [p for p in client.received() if p.type is PacketType.ACK]
    assert acks == [Packet(PacketType.ACK, "/", ["hi"], ack_id)]


@given(st.sampled_from(PARSERS), st.lists(messages, min_size=1, max_size=6))
def test_any_websocket_messages_end_at_most_the_senders_connection(
    parser: Parser, sent: list[str | bytes]
) -> None:
    scene = Scene(parser, "websocket")
    for message in sent:
        scene.attacker.engine.send(message)
    scene.check_aftermath()


@given(st.sampled_from(PARSERS), st.lists(messages, min_size=1, max_size=4))
def test_any_socketio_messages_end_at_most_the_senders_connection(
    parser: Parser, sent: list[str | bytes]
) -> None:
    scene = Scene(parser, "websocket")
    for message in sent:
        scene.attacker.send_raw(message)
    scene.check_aftermath()


@given(st.sampled_from(PARSERS), st.lists(texts, max_size=4).map("\x1e".join) | blobs(48))
def test_any_post_body_is_answered_and_ends_at_most_the_senders_connection(
    parser: Parser, body: str | bytes
) -> None:
    scene = Scene(parser, "polling")
    url = f"/socket.io/?EIO=4&transport=polling&sid={scene.attacker.engine.sid}"
    request_id = scene.harness.request("POST", url, body)
    response = scene.harness.response(request_id)
    assert response is not None
    assert response.status in (200, 400)
    scene.check_aftermath()


query_parts = st.sampled_from(
    ["EIO=4", "EIO=3", "EIO=", "transport=polling", "transport=websocket", "transport=x", "sid=",
     "sid=id1_________________", "sid=id3_________________", "j=%ff", "%", "=", "&", "b64=1"]
) | st.text(max_size=8)  # fmt: skip
upgrade_headers = st.sets(
    st.sampled_from(
        [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-key", "short"),
            ("sec-websocket-version", "13"),
            ("content-type", "application/octet-stream"),
            ("origin", "http://elsewhere"),
            ("accept-encoding", "gzip, deflate"),
        ]
    )
)


@given(
    st.sampled_from(["GET", "POST", "PUT", "OPTIONS", "HEAD"]),
    st.lists(query_parts, max_size=5).map("&".join),
    upgrade_headers,
    st.sampled_from([b"", b"4x", b"1", b"40"]),
    st.booleans(),
)
def test_any_request_is_answered_without_harm_to_other_connections(
    method: str,
    query: str,
    headers: set[tuple[str, str]],
    body: bytes,
    too_large: bool,
) -> None:
    scene = Scene(JsonParser(), "polling")
    request = HttpRequest(
        method=method,
        path="/socket.io/",
        query_string=query,
        headers=tuple(sorted(headers)),
        body=b"" if too_large else body,
        body_too_large=too_large,
    )
    scene.server.receive_request(999, request, 0.0)
    answers = [
        e for e in scene.harness.pump() if isinstance(e, HttpResponseReady | WebSocketAccepted)
    ]
    for answer in answers:
        if isinstance(answer, HttpResponseReady) and answer.request_id == 999:
            assert answer.response.status in (200, 204, 400, 403, 413)
    scene.check_aftermath()
    assert len(scene.harness.events_of(SocketConnected)) == 3
