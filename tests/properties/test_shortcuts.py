"""Shortcuts on the path of the most common messages, each held to the long way it skips:

* the Socket.IO server reads most WebSocket messages directly
  (:meth:`~sio_core.EngineServer.direct_message_sid`): whatever a client sends, it must do what
  the long way does, in events and in bytes;
* the JSON decoder reads the common header (an EVENT or ACK to ``/``) by a path of its own;
* the JSON encoder writes an ACK to ``/`` of plain JSON by a path of its own.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sio_core import CountingIds, SocketServer
from sio_core.errors import LocalProtocolError, RemoteProtocolError
from sio_core.events import EventReceived
from sio_core.socketio._json_decoder import _parse_header
from sio_core.socketio.packets import Decoder, Packet, PacketType, Parser, _encode_any, encode
from sio_core.testing import Harness, SocketIOClient
from tests.properties.test_hostile_input import PARSERS, near_misses
from tests.properties.test_socketio_codec import ack_ids, binary_values, namespaces
from tests.strategies import blobs

# Texts shaped like the common header, valid or nearly: the decoder's shortcut and its checks.
common_headers = st.from_regex(r"\A4?[23][0-9]{0,17}\Z")
json_tails = st.sampled_from(
    ['["e"]', '["e",1,{"a":[2]}]', "[]", "[1]", '["connect"]', "[null]", "[", '["e"] ', '["e"]x']
)
common_texts = st.builds(str.__add__, common_headers, json_tails)
messages = near_misses | common_texts | st.text(max_size=24) | blobs(24)


class Server:
    """A server and a WebSocket client, the application acking each event with its arguments."""

    def __init__(self, parser: Parser, *, direct: bool) -> None:
        self.server = SocketServer(id_generator=CountingIds(), parser=parser)
        if not direct:  # every message through Engine.IO's MessageReceived
            self.server._engine.direct_message_sid = lambda ws_id, message, now: None  # type: ignore[method-assign]
        self.harness = Harness(self.server)
        self.client = SocketIOClient(self.harness)
        self.client.connect()
        self.client.connect("/chat")

    def receive(self, message: str | bytes) -> list[str | bytes]:
        """The client sends ``message`` as a WebSocket message; what it is sent back."""
        already = len(self.harness.app_events)
        self.client.engine.send(message)
        for event in self.harness.app_events[already:]:
            asks = isinstance(event, EventReceived) and event.ack_id is not None
            if asks and self.server.is_connected(event.socket_id):
                self.server.ack(event.socket_id, event.ack_id, list(event.args))
        self.harness.pump()
        return self.client.engine.take()


@given(st.sampled_from(PARSERS), st.lists(messages, min_size=1, max_size=6))
def test_a_message_read_directly_does_what_the_long_way_does(
    parser: Parser, sent: list[str | bytes]
) -> None:
    direct, long_way = Server(parser, direct=True), Server(parser, direct=False)
    for message in sent:
        assert direct.receive(message) == long_way.receive(message)
        assert direct.harness.app_events == long_way.harness.app_events


@given(st.builds(str.__add__, st.from_regex(r"\A[23][0-9]{0,17}\Z"), json_tails))
def test_the_decoders_common_header_path_decodes_as_the_general_path(text: str) -> None:
    outcomes = []
    for decode in (Decoder().feed, lambda text: Decoder()._feed_header(_parse_header(text, 10))):
        try:
            outcomes.append(("packet", decode(text)))
        except RemoteProtocolError as error:  # the two must fail alike, with the same words
            outcomes.append(("error", error.message))
    assert outcomes[0] == outcomes[1]


# ACKs an application may ask to send, valid or not: any namespace, payload and id.
odd_values = st.sampled_from([{1, 2}, object(), float("nan"), "\ud800", {"a": b"x"}, (1, 2)])
any_acks = st.builds(
    Packet,
    st.just(PacketType.ACK),
    namespaces,
    st.lists(binary_values | odd_values, max_size=4) | binary_values | odd_values,
    st.none() | ack_ids | st.sampled_from([-1, 2**53, True, 1.0, "1"]),
)


# ... and the shortcut's own: to ``/``, with a valid id, arguments plain or bytes at any depth.
common_acks = st.builds(
    Packet, st.just(PacketType.ACK), st.just("/"), st.lists(binary_values, max_size=4), ack_ids
)


@given(any_acks | common_acks)
def test_an_ack_encodes_as_the_general_path_encodes_it(packet: Packet) -> None:
    outcomes = []
    for encoder in (encode, _encode_any):
        try:
            outcomes.append(("messages", encoder(packet)))
        except LocalProtocolError as error:  # the two must refuse alike, with the same words
            outcomes.append((type(error).__name__, error.message))
    assert outcomes[0] == outcomes[1]
